"""E-mail addresses in the one form they are compared in, chosen so that two mailboxes never collide.

What is folded: the domain (DNS names are case-insensitive; IDNA domains become their A-label) and an
all-ASCII local part (every mail provider we know treats ASCII case alike). What is never folded: a
non-ASCII local part. Unicode case folding and NFKC merge different mailboxes (`straße` and
`strasse`, final and medial sigma, `ſ` and `s`, full-width and ASCII letters), so an address whose
meaning depends on such a mapping is refused instead of guessed.
"""  # noqa: RUF002 (the look-alike letters are the point)

from __future__ import annotations

import unicodedata

import idna

from chalicelib.errors import ValidationFailed

MAX_LENGTH = 254


def canonical_email(value: str, field: str = "email") -> str:
    """`local@a-label-domain`, or a 422 naming `field` for what has no safe canonical form."""
    from email_validator import EmailNotValidError, validate_email  # on first use, not on every cold start

    if not isinstance(value, str) or len(value.strip()) > MAX_LENGTH:
        raise ValidationFailed("Enter a valid e-mail address.", field=field)
    value = value.strip()  # surrounding blanks are never part of an address
    try:
        parsed = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationFailed("Enter a valid e-mail address.", field=field) from error
    local = _canonical_local(parsed.local_part, field)
    return f"{local}@{_canonical_domain(value.rpartition('@')[2], field)}"


def _canonical_local(local: str, field: str) -> str:
    if local.isascii():
        return local.lower()
    if unicodedata.normalize("NFKC", local) != local:
        raise ValidationFailed("The e-mail address holds look-alike characters; type it plainly.", field=field)
    return local  # internationalized mailboxes are compared exactly: no Unicode case folding


def _canonical_domain(domain: str, field: str) -> str:
    """The A-label form of a domain typed in its standard form (ASCII letters in any case).

    Strict IDNA 2008, no UTS 46 mapping: `ß` and `ς` stay themselves (distinct domains), while `ſ`,
    full-width letters, upper-case non-ASCII letters and odd dots are refused rather than mapped."""  # noqa: RUF002
    lowered = "".join(char.lower() if char.isascii() else char for char in domain)
    try:
        return idna.encode(lowered, uts46=False).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise ValidationFailed("The e-mail domain is not in its standard form.", field=field) from error


def inbox_of(value: str, field: str = "email") -> str:
    """The inbox an address delivers to, for counting: its canonical form without a `+tag` sub-address
    (a limit per address would otherwise give every tag of one inbox a limit of its own)."""
    local, _, domain = canonical_email(value, field).rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"
