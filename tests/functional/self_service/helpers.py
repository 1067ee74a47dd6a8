"""A clinic with a booked patient, and the steps a patient takes through self-service over HTTP."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalice.test import Client

from chalicelib.models.audit import AuditEvent
from chalicelib.models.booking import Booking
from tests.functional.booking.helpers import ALICE, Clinic, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body

JSON = {"Content-Type": "application/json"}
SESSION_HEADER = "X-Self-Service-Session"


@dataclass
class Patient:
    clinic: Clinic
    customer_id: str
    booking_id: str
    email: str = ALICE["email"]

    @property
    def slug(self) -> str:
        return self.clinic.slug


def booked_patient(client: Client, slug: str = "clinic", customer: dict[str, Any] | None = None,
                   hhmm: str = "10:00") -> Patient:
    """A clinic (made on first use of `slug`) and a patient with one confirmed booking there."""
    clinic = make_clinic(slug)
    return book_patient(client, clinic, customer or ALICE, hhmm)


def book_patient(client: Client, clinic: Clinic, customer: dict[str, Any], hhmm: str = "10:00") -> Patient:
    answer = book(client, clinic, at(next_weekday(), hhmm), customer=customer)
    assert answer.status_code == 201, answer.body
    booking_id = body(answer)["booking"]["id"]
    customer_id = Booking.get(clinic.org_id, booking_id).customer_id
    return Patient(clinic, customer_id, booking_id, customer["email"])


def mails_to(address: str) -> list[str]:
    """Subject and text of every e-mail SES (moto) sent to `address`, oldest first (plain and raw)."""
    import email

    from moto.ses.models import ses_backends

    texts = []
    for message in ses_backends["123456789012"]["us-east-1"].sent_messages:
        if hasattr(message, "raw_data"):
            if address in message.destinations:
                parsed = email.message_from_string(message.raw_data)
                parts = [p.get_payload(decode=True).decode() for p in parsed.walk()
                         if p.get_content_type() == "text/plain"]
                texts.append("\n".join([str(parsed["Subject"]), *parts]))
        elif address in message.destinations["ToAddresses"]:
            texts.append(f"{message.subject}\n{message.body}")
    return texts


def ask_link(client: Client, slug: str, email: str, **headers: str):
    return client.http.post(f"/v1/public/orgs/{slug}/self-service/link", headers={**JSON, **headers},
                            body=json.dumps({"email": email}))


def link_token(address: str, slug: str) -> str:
    """The token of the newest self-service link e-mailed to `address`."""
    text = mails_to(address)[-1]
    link = next(word for word in text.split() if f"/my/data/{slug}#" in word)
    return link.split("#", 1)[1]


def exchange(client: Client, slug: str, token: str):
    return client.http.post(f"/v1/public/orgs/{slug}/self-service/session", headers=JSON,
                            body=json.dumps({"token": token}))


def sign_in(client: Client, patient: Patient) -> str:
    """A self-service session, the way the patient gets one: ask, open the e-mail, exchange its link."""
    assert ask_link(client, patient.slug, patient.email).status_code == 202
    answer = exchange(client, patient.slug, link_token(patient.email, patient.slug))
    assert answer.status_code == 201, answer.body
    return str(body(answer)["session"]["token"])


def as_patient(client: Client, method: str, slug: str, path: str, session: str | None, payload: Any = None):
    headers = {**JSON, **({SESSION_HEADER: session} if session is not None else {})}
    return client.http.request(method, f"/v1/public/orgs/{slug}/self-service/{path}", headers=headers,
                               body=json.dumps(payload).encode() if payload is not None else b"")


def code_in(address: str) -> str:
    text = mails_to(address)[-1]
    return next(w.strip(".,") for w in text.split() if w.strip(".,").isdigit() and len(w.strip(".,")) == 6)


def events(org_id: str, action: str) -> list[AuditEvent]:
    from chalicelib.services.audit import build

    build(org_id)
    return [e for e in AuditEvent.query(org_id) if e.action == action]


def error_code(response) -> str:
    return str(body(response)["error"]["code"])
