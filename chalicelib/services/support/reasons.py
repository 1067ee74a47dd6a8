"""The reason a support person gives reaches the clinic's owners by e-mail, from SafeSlot's own address:
it must not become a phishing line. It is one plain line, with no link, e-mail address or phone number."""

from __future__ import annotations

import re
import unicodedata

from chalicelib.errors import ValidationFailed

NOT_PLAIN = "The reason is one plain line: no line breaks, links, e-mail addresses or phone numbers."
# A scheme (https:, mailto:, tel:, data:...), a www. name, a dotted name ending in a top-level domain, an @
_LINK = re.compile(r"[a-z][a-z0-9+.-]*:/*[^\s:]|\bwww\.|\b[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b|@", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s().\-/+]")
# evil[.]com, evil(dot)com, evil dot com, evil . com (a dot with a space on both sides is no sentence's end)
_SPELLED_DOT = re.compile(r"\s*[\[({]\s*(?:\.|dot)\s*[\])}]\s*|\s+(?:dot|\.)\s+(?=[^\W\d_]{2,}\b)", re.IGNORECASE)
# Dots that NFKC leaves alone but a browser or a reader takes for one (ideographic, one-dot leader, middle dots)
_DOT_LIKES = str.maketrans(dict.fromkeys("\u3002\uff61\ufe52\u2024\u2027\u00b7\u30fb\u0701\u0702", "."))
_IP_ADDRESS = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_DATE = re.compile(r"\b(?:19|20)\d\d-[01]\d-[0-3]\d\b")  # "since 2026-12-06" is a date, not a number to call
MAX_DIGITS_IN_A_ROW = 6  # "Ticket 471123" passes; a phone number (7 digits or more, however spaced) does not


def plain_reason(reason: str) -> str:
    """`reason` stripped, or a 422 on field `reason` if it is not one plain line."""
    folded = unicodedata.normalize("NFKC", reason).translate(_DOT_LIKES)  # look-alikes count as what they show
    if any(unicodedata.category(char)[0] in "CZ" and char != " " for char in folded):
        raise ValidationFailed(NOT_PLAIN, field="reason")  # line breaks, tabs, invisible and bidi characters
    dotted = _SPELLED_DOT.sub(".", folded)
    if _LINK.search(dotted) or _IP_ADDRESS.search(dotted) or _longest_digit_run(folded) > MAX_DIGITS_IN_A_ROW:
        raise ValidationFailed(NOT_PLAIN, field="reason")
    return reason.strip()


def _longest_digit_run(text: str) -> int:
    """The most digits found together when spaces, dots, dashes, slashes and brackets between them are ignored."""
    longest = 0
    for word in re.split(r"[^\d\s().\-/+]+", _DATE.sub(" ", text)):
        longest = max(longest, sum(char.isdigit() for char in _SEPARATORS.sub("", word)))
    return longest
