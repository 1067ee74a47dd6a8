"""An org's privacy policy, as numbered versions with the instant each takes effect."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class PolicyVersion(Model):
    """One published version. The text is the org's own public document, not personal data."""

    Meta = table_meta("privacy_policies")

    org_id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(range_key=True)  # 1, 2, ...
    source_format = UnicodeAttribute()  # "markdown" or "text"
    source = UnicodeAttribute()  # what the org wrote
    html = UnicodeAttribute()  # the sanitized rendering the pages show
    summary = UnicodeAttribute()  # what changed, in the org's words (the notice e-mail carries it)
    effective_at = UTCDateTimeAttribute()
    published_at = UTCDateTimeAttribute()
    published_by = UnicodeAttribute()
