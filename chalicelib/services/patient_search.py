"""Finding a patient as a person types them: by name, phone, date of birth or e-mail (ADR 0021).

Nothing is stored in plaintext: each customer row carries a set of blind indexes (HMAC under the org's
search key, `crypto/blind_index.py`) of its normalized values, one per name word, one for the phone in
E.164, one for the date of birth and one for the e-mail. A search normalizes what was typed the same
way and asks for the rows whose set holds every index typed (one paged Query of the org's customers,
filtered in DynamoDB). The search is one audit event listing the customers it showed; what was typed is
never logged, only which kinds of value were searched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import Any

from chalicelib.crypto.blind_index import blind_index
from chalicelib.email_address import canonical_email
from chalicelib.errors import ValidationFailed
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization
from chalicelib.services import audit

SEARCH_INDEX = "customer-search"
SEARCHED = "customer.searched"
MAX_WORDS = 8
MAX_RESULTS = 50
DEFAULT_REGION = "US"  # a number typed without + in a clinic whose own number says nothing of its country
WORD = re.compile(r"[^\W_]+")  # letters and digits of any script; hyphens, apostrophes and dots split words


@dataclass(frozen=True)
class Terms:
    """What a search asks for, each already normalized (never stored, never logged)."""

    words: tuple[str, ...] = ()
    phone: str | None = None
    date_of_birth: str | None = None
    email: str | None = None

    def kinds(self) -> str:
        named = {"name": bool(self.words), "phone": bool(self.phone), "date_of_birth": bool(self.date_of_birth),
                 "email": bool(self.email)}
        return " ".join(kind for kind, given in named.items() if given)


def name_words(name: str) -> list[str]:
    """Each word of a name as it is compared: NFKC, accents stripped, case-folded ("José" -> "jose")."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    plain = "".join(c for c in text if not unicodedata.combining(c))
    return [word for word in WORD.findall(unicodedata.normalize("NFKC", plain).casefold()) if word]


def normalized_phone(typed: str, region: str = DEFAULT_REGION) -> str | None:
    """A phone number as typed ("+1 (415) 555-0123", "415 555 0123") in E.164, or None if it is none."""
    import phonenumbers

    text = typed.strip()
    if not text or len(text) > 32:
        return None
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalized_birth_date(typed: str) -> str | None:
    """A date of birth written as YYYY-MM-DD (what a date field sends), or None."""
    text = typed.strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day.isoformat() if date(1900, 1, 1) <= day else None


def index_values(org_id: str, details: Mapping[str, Any]) -> set[str] | None:
    """The blind indexes a customer's row carries for these (unsealed) details; None if there are none."""
    terms = Terms(words=tuple(name_words(str(details.get("name") or ""))),
                  phone=details.get("phone") or None, date_of_birth=details.get("date_of_birth") or None,
                  email=_email_or_none(details.get("email")))
    return set(_indexes(org_id, terms)) or None


def refresh(customer: Customer) -> None:
    """Set the row's search indexes from its sealed details (before it is saved)."""
    customer.search_index = index_values(customer.org_id, customer.unseal())


def terms_of(org: Organization, fields: Mapping[str, Any]) -> Terms:
    """The search's terms from the body: `query` (one box: an e-mail, a date, a phone or a name, told
    apart by their shape) and/or the explicit fields; a 422 when nothing searchable was given."""
    query = str(fields.get("query") or "").strip()
    words, phone, birth, email = list(name_words(str(fields.get("name") or ""))), None, None, None
    if fields.get("phone"):
        phone = _required(normalized_phone(str(fields["phone"]), _region(org)), "phone")
    if fields.get("date_of_birth"):
        birth = _required(normalized_birth_date(str(fields["date_of_birth"])), "date_of_birth")
    if fields.get("email"):
        email = _required(_email_or_none(fields["email"]), "email")
    if query:
        if "@" in query:
            email = _required(_email_or_none(query), "query")
        elif normalized_birth_date(query):
            birth = normalized_birth_date(query)
        elif re.fullmatch(r"[+0-9()\s.\-]+", query) and sum(c.isdigit() for c in query) >= 7:
            phone = _required(normalized_phone(query, _region(org)), "query")
        else:
            words += name_words(query)
    terms = Terms(tuple(dict.fromkeys(words))[:MAX_WORDS], phone, birth, email)
    if not terms.kinds():
        raise ValidationFailed("Type a name, a phone number, a date of birth or an e-mail address.", field="query")
    return terms


def matching_customers(org_id: str, terms: Terms) -> list[Customer]:
    """The org's customers whose indexes hold every term: by e-mail through its index (one Query), by the
    other terms through one paged Query of the org's rows filtered in DynamoDB."""
    wanted = _indexes(org_id, terms)
    condition = reduce(lambda a, b: a & b, (Customer.search_index.contains(value) for value in wanted))
    if terms.email and not (terms.words or terms.phone or terms.date_of_birth):
        from chalicelib.services.customers import find_customer_ids_by_email

        ids = find_customer_ids_by_email(org_id, terms.email)
        return [c for c in Customer.batch_get([(org_id, i) for i in ids[:MAX_RESULTS]])]
    return list(Customer.query(org_id, filter_condition=condition))[:MAX_RESULTS]


def record_search(org_id: str, actor: str, origin: audit.Origin, terms: Terms, shown: Iterable[str]) -> None:
    """One event per search naming the customers shown (each patient's access report gets one line) and the
    kinds of value searched, never the values."""
    ids = list(shown)
    audit.record_shown(org_id, actor, SEARCHED, ids, origin=origin, outcome="success" if ids else "no_match",
                       subjects={"matches": str(len(ids)), "by": terms.kinds()})


def _indexes(org_id: str, terms: Terms) -> list[str]:
    values = [f"n:{word}" for word in terms.words]
    values += [f"p:{terms.phone}"] if terms.phone else []
    values += [f"d:{terms.date_of_birth}"] if terms.date_of_birth else []
    values += [f"e:{terms.email}"] if terms.email else []
    return [blind_index(org_id, SEARCH_INDEX, value) for value in values]


def _email_or_none(value: Any) -> str | None:
    if not value:
        return None
    try:
        return canonical_email(str(value))
    except ValidationFailed:
        return None


def _required(value: str | None, field: str) -> str:
    if value is None:
        raise ValidationFailed(f"Field '{field}' is not something we can search for.", field=field)
    return value


def _region(org: Organization) -> str:
    """The clinic's own country (from its phone number) for numbers typed without +."""
    import phonenumbers

    phone = (org.profile or {}).get("phone")
    if phone:
        try:
            return phonenumbers.region_code_for_number(phonenumbers.parse(phone)) or DEFAULT_REGION
        except phonenumbers.NumberParseException:
            return DEFAULT_REGION
    return DEFAULT_REGION


def backfill(org_id: str) -> int:
    """Give the org's customers stored before ADR 0021 their search indexes (`manage.py index-customers`);
    a row that has them, or changed meanwhile (a conditional write), is left alone. Returns how many got them."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.errors import SealedDataErased

    done = 0
    for customer in Customer.query(org_id):
        if customer.search_index:
            continue
        try:
            values = index_values(org_id, customer.unseal())
        except SealedDataErased:
            continue
        if not values:
            continue
        try:
            customer.update(actions=[Customer.search_index.set(values)],
                            condition=Customer.search_index.does_not_exist())
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue
        done += 1
    return done
