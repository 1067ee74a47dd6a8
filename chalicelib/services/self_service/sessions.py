"""The single-use link and the short self-service session it opens.

The link's token (256 random bits) travels in the URL fragment and reaches the API only in the body of
one POST, which marks it used in the same transaction that creates the session: a second use is refused
with `link_already_used`, whoever races. The session's token goes in the `X-Self-Service-Session`
header. Only SHA-256 hashes of both are stored. The session lasts SESSION_LIFETIME from the exchange,
not sliding: a patient's visit is short, and a stolen session token dies on schedule.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock
from chalicelib.errors import InvalidToken, LinkAlreadyUsed, SessionExpired, Unauthenticated, Unavailable
from chalicelib.models.customer import Customer
from chalicelib.models.self_service import SelfServiceToken
from chalicelib.services import audit, customers
from chalicelib.services.identity.sessions import token_hash

LINK_LIFETIME = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(minutes=15)
LINK = "link"
SESSION = "session"
HEADER = "X-Self-Service-Session"


@dataclass(frozen=True)
class PatientSession:
    """Who a self-service request acts for: one customer of one org, until `expires_at`."""

    org_id: str
    customer_id: str
    token_hash: str
    expires_at: datetime
    origin: audit.Origin


def new_link(org_id: str, customer_id: str) -> str:
    """Save a fresh single-use link for the customer; returns its token (shown once, in the e-mail)."""
    token = secrets.token_urlsafe(32)
    _token(token_hash(token), LINK, org_id, customer_id, clock.now() + LINK_LIFETIME).save()
    return token


def exchange(org_id: str, link_token: str, origin: audit.Origin) -> tuple[str, PatientSession]:
    """Use the link once: a new session's token and the session. Unknown, expired or another org's: 401;
    used before: 410 `link_already_used` (also for the loser of two concurrent exchanges). The customer's
    record is checked in the same transaction: a link of a customer erased meanwhile opens nothing."""
    link = _live(token_hash(link_token), LINK, org_id)
    token = secrets.token_urlsafe(32)
    session = _token(token_hash(token), SESSION, org_id, link.customer_id, clock.now() + SESSION_LIFETIME)
    opened = audit.entry(org_id, "customer", "customer.self_service_opened", origin=origin,
                         subjects={"customer_id": link.customer_id})
    try:
        with audit.audited_transaction(opened) as tx:
            tx.update(link, actions=[SelfServiceToken.used_at.set(clock.now())],
                      condition=SelfServiceToken.used_at.does_not_exist())
            tx.save(session, condition=SelfServiceToken.token_hash.does_not_exist())
            tx.condition_check(Customer, org_id, link.customer_id, condition=Customer.customer_id.exists())
    except TransactWriteError as error:
        _live(link.token_hash, LINK, org_id)  # used meanwhile: 410, as for a replay
        if not customers.record_exists(org_id, link.customer_id):
            link.delete()  # issued while its customer was being erased: it goes as theirs did
            raise InvalidToken() from error
        raise Unavailable("The link could not be opened just now; open it again.") from error  # still unused
    return token, _as_session(session, origin)


def session_for(org_id: str, token: str | None, origin: audit.Origin) -> PatientSession:
    """The live session of `token` in this org: 401 `unauthenticated` without one, `invalid_token` for an
    unknown, ended or another org's, `session_expired` after its time."""
    if not token:
        raise Unauthenticated(f"Send the self-service session in the {HEADER} header.")
    return _as_session(_live(token_hash(token), SESSION, org_id), origin)


def end(session: PatientSession) -> None:
    """End the session now (signing out); audited."""
    SelfServiceToken(session.token_hash).update(actions=[SelfServiceToken.used_at.set(clock.now())])
    audit.record(session.org_id, "customer", "customer.self_service_closed", origin=session.origin,
                 subjects={"customer_id": session.customer_id})


def end_all_of(org_id: str, customer_id: str) -> int:
    """Delete every link and session of the customer (they are erased): nothing they held opens again.

    Tokens carry no index by customer: a filtered scan (each lives 30 minutes, its row a day; erasures
    are rare). Called after the record is gone, so that an exchange racing the sweep fails its check of
    the record instead of leaving a session behind."""
    found = list(SelfServiceToken.scan((SelfServiceToken.org_id == org_id)
                                       & (SelfServiceToken.customer_id == customer_id), consistent_read=True))
    with SelfServiceToken.batch_write() as batch:
        for item in found:
            batch.delete(item)
    return len(found)


def _live(hashed: str, kind: str, org_id: str) -> SelfServiceToken:
    try:
        found = SelfServiceToken.get(hashed, consistent_read=True)
    except SelfServiceToken.DoesNotExist as error:
        raise InvalidToken() from error
    if found.kind != kind or found.org_id != org_id:
        raise InvalidToken()  # a link is not a session, and one org's token means nothing at another
    if found.used_at is not None:
        raise LinkAlreadyUsed() if kind == LINK else InvalidToken()
    if found.expires_at <= clock.now():
        raise SessionExpired("This page has timed out; ask for a new link.") if kind == SESSION else InvalidToken()
    return found


def _token(hashed: str, kind: str, org_id: str, customer_id: str, expires_at: datetime) -> SelfServiceToken:
    return SelfServiceToken(hashed, kind=kind, org_id=org_id, customer_id=customer_id, expires_at=expires_at,
                            ttl=int((expires_at + timedelta(days=1)).timestamp()))


def _as_session(item: SelfServiceToken, origin: audit.Origin) -> PatientSession:
    return PatientSession(item.org_id, item.customer_id, item.token_hash, item.expires_at, origin)
