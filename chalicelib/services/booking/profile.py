"""The clinic's profile: what patients see of it on the pages, in every e-mail and in the calendar file.

Address, phone, e-mail (where patients' replies go), website, a map link, the cancellation policy and a
note for patients (each also in every language the clinic offers, `translations`; else in its default
language), an accent colour, the default language, the languages the clinic speaks (the booking page
offers these; none chosen: every language SafeSlot has), whether patients may ask for text messages, and
the websites allowed to embed the booking page. Owners and admins change it (catalog.manage); everything
but the embedding origins is public.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any
from urllib.parse import SplitResult, urlsplit

from chalicelib import email_address, phone_numbers
from chalicelib.errors import ValidationFailed
from chalicelib.i18n import DEFAULT_LANGUAGE, languages
from chalicelib.models.organization import Organization
from chalicelib.services import audit
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.organizations import org_by_id

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5  # WCAG 1.4.3: white text on the accent colour (buttons, the chosen time)
MAX_EMBED_ORIGINS = 10
TRANSLATED_FIELDS = ("cancellation_policy", "notes")  # what a clinic may say in each language it offers


@dataclass(frozen=True)
class ClinicProfile:
    address: str | None = None
    phone: str | None = None  # E.164
    website: str | None = None
    map_url: str | None = None
    cancellation_policy: str | None = None
    accent_color: str | None = None
    default_language: str = DEFAULT_LANGUAGE
    sms_enabled: bool = False
    embed_origins: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # the clinic's languages; () offers every one SafeSlot has
    email: str | None = None
    notes: str | None = None
    translations: Mapping[str, Mapping[str, str]] | None = None

    def in_language(self, language: str) -> ClinicProfile:
        """The profile as a patient reading `language` sees it: the clinic's own words in that language
        where it gave them, else in its default language."""
        given = (self.translations or {}).get(language) or {}
        own: dict[str, Any] = {name: given[name] for name in TRANSLATED_FIELDS if given.get(name)}
        return replace(self, **own)

    def public(self, language: str | None = None) -> dict[str, Any]:
        """What the booking pages receive (the phone also formatted for people), in `language` where given."""
        profile = self.in_language(language) if language else self
        shown = {k: v for k, v in asdict(profile).items() if k not in ("embed_origins", "translations")}
        shown["phone_display"] = phone_numbers.display(self.phone) if self.phone else None
        shown["languages"] = list(self.languages or languages())
        return shown


def profile_of(org: Organization) -> ClinicProfile:
    stored = dict(org.profile or {})
    stored["embed_origins"] = tuple(stored.get("embed_origins") or ())
    stored["languages"] = tuple(stored.get("languages") or ())
    known = {f.name for f in fields(ClinicProfile)}
    return ClinicProfile(**{k: v for k, v in stored.items() if k in known})


def read_profile(principal: Principal) -> dict[str, Any]:
    require(principal.role, Permission.CATALOG_READ)
    return _view(profile_of(org_by_id(principal.org_id)))


def change_profile(principal: Principal, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply the given fields (null clears one), check them all, save and audit which changed."""
    require(principal.role, Permission.CATALOG_MANAGE)
    org = org_by_id(principal.org_id)
    profile = replace(profile_of(org), **{k: _checked(k, v) for k, v in changes.items()})
    org.update(actions=[Organization.profile.set(_stored(profile))])
    audit.record(principal.org_id, principal.user_id, "org.profile_updated", origin=principal.origin,
                 subjects={"fields": ",".join(sorted(changes))})
    return _view(profile)


def _view(profile: ClinicProfile) -> dict[str, Any]:
    view = asdict(profile)
    view["embed_origins"] = list(profile.embed_origins)
    view["languages"] = list(profile.languages)
    view["translations"] = {code: dict(texts) for code, texts in (profile.translations or {}).items()}
    return view


def _stored(profile: ClinicProfile) -> dict[str, Any]:
    return {k: v for k, v in _view(profile).items() if v not in (None, [], "", {})}


def _checked(name: str, value: Any) -> Any:
    if value is None:
        return getattr(ClinicProfile(), name)
    check = _CHECKS.get(name)
    return check(value, name) if check else value


def _parts(value: str, field: str) -> SplitResult:
    try:
        return urlsplit(value)
    except ValueError as error:  # e.g. "https://[::1"
        raise ValidationFailed("Give a full https:// address.", field=field) from error


def _https_url(value: str, field: str) -> str:
    parts = _parts(value, field)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ValidationFailed("Give a full https:// address.", field=field)
    return value


def _origin(value: str, field: str) -> str:
    """A web origin for CSP frame-ancestors: https, a host, maybe a port; nothing else can slip in."""
    parts = _parts(value, field)
    try:
        _port = parts.port  # a port that is not a number in range raises here
    except ValueError as error:
        raise ValidationFailed("Each origin must look like https://www.example.com.", field=field) from error
    host_ok = bool(parts.hostname) and re.fullmatch(r"[a-z0-9.-]+", parts.hostname or "") is not None
    if parts.scheme != "https" or not host_ok or parts.path not in ("", "/") or parts.query or parts.fragment \
            or parts.username or parts.password or value.rstrip("/") != f"https://{parts.netloc}":
        raise ValidationFailed("Each origin must look like https://www.example.com.", field=field)
    return f"https://{parts.netloc}"


def _origins(values: list[str], field: str) -> tuple[str, ...]:
    if len(values) > MAX_EMBED_ORIGINS:
        raise ValidationFailed(f"At most {MAX_EMBED_ORIGINS} origins.", field=field)
    return tuple(dict.fromkeys(_origin(v, field) for v in values))


def _colour(value: str, field: str) -> str:
    if not HEX_COLOUR.match(value):
        raise ValidationFailed("Give the colour as #rrggbb.", field=field)
    if contrast_with_white(value) < MIN_CONTRAST:
        raise ValidationFailed("White text on this colour would be hard to read; choose a darker one.",
                               field=field)
    return value.lower()


def _language(value: str, field: str) -> str:
    if value not in languages():
        raise ValidationFailed(f"Choose one of: {', '.join(languages())}.", field=field)
    return value


def _languages(values: list[str], field: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_language(value, field) for value in values))
def _translations(value: Mapping[str, Mapping[str, str]], field: str) -> dict[str, dict[str, str]]:
    """{"es": {"cancellation_policy": "...", "notes": "..."}}: only offered languages and translated fields."""
    checked: dict[str, dict[str, str]] = {}
    for code, texts in value.items():
        _language(code, f"{field}.{code}")
        unknown = set(texts) - set(TRANSLATED_FIELDS)
        if unknown:
            raise ValidationFailed(f"Only {', '.join(TRANSLATED_FIELDS)} can be translated.", field=f"{field}.{code}")
        if given := {name: text for name, text in texts.items() if text}:
            checked[code] = given
    return checked


def _email(value: str, field: str) -> str:
    return email_address.canonical_email(value, field)


def contrast_with_white(colour: str) -> float:
    """WCAG 2 contrast ratio of white against `colour` (#rrggbb)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "phone": phone_numbers.e164,
    "website": _https_url,
    "map_url": _https_url,
    "accent_color": _colour,
    "default_language": _language,
    "embed_origins": _origins,
    "languages": _languages,
    "translations": _translations,
    "email": _email,
}
