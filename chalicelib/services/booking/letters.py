"""Mail to patients in their clinic's name: plain text and the same as HTML, the clinic's details below.

From shows the clinic's name (on SafeSlot's sending address: SES sends only for verified identities), and
Reply-To is the clinic's own e-mail, so a patient's answer reaches the clinic, never a no-reply box. Every
letter ends with what the clinic states of itself (address, phone, e-mail, cancellation policy, notes, in
the patient's language where it gave them) and the link to the patient's own data page.

Only the clinic's words and validated links go in: no text a patient typed (see booking/mail.py).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib import phone_numbers
from chalicelib.config import settings
from chalicelib.i18n import Gettext, direction
from chalicelib.models.organization import Organization
from chalicelib.services.booking.profile import ClinicProfile
from chalicelib.services.notify import Letter, Sender


@dataclass(frozen=True)
class Link:
    """A sentence holding one URL (`%(link)s` already filled in): in HTML the URL becomes a link."""

    text: str
    url: str


Paragraph = str | Link | None  # None: a blank line in the text


def data_page_url(org: Organization) -> str:
    """The patient's own data page of this clinic (it e-mails a one-time link to the address on file)."""
    return f"{settings().public_url}/my/data/{org.slug}"


def privacy_page_url(org: Organization, language: str) -> str:
    """The clinic's privacy policy and the services that handle patients' data, in `language`."""
    return f"{settings().public_url}/privacy/{org.slug}?lang={language}"


def place_of(org: Organization, profile: ClinicProfile) -> str:
    """The place of the visit as the clinic states it: its name and address on one line."""
    lines = [line.strip() for line in (profile.address or "").splitlines() if line.strip()]
    return ", ".join([org.name, *lines])


def clinic_letter(org: Organization, profile: ClinicProfile, _: Gettext, language: str, subject: str,
                  paragraphs: Sequence[Paragraph]) -> Letter:
    """The letter: `paragraphs`, then the clinic's block; `profile` already in the patient's language."""
    everything = [*paragraphs, None, *clinic_block(org, profile, _)]
    return Letter(subject=subject, text=_text(everything), html=_html(everything, language, subject),
                  sender=Sender(org.name, profile.email))


def clinic_block(org: Organization, profile: ClinicProfile, _: Gettext) -> list[Paragraph]:
    """The clinic's name and what its profile says: where, how to reach it, its policy and notes."""
    block: list[Paragraph] = [org.name, *(line.strip() for line in (profile.address or "").splitlines()
                                          if line.strip())]
    if profile.phone:
        block.append(_("Phone: %(phone)s") % {"phone": phone_numbers.display(profile.phone)})
    if profile.email:
        block.append(Link(_("E-mail: %(email)s") % {"email": profile.email}, f"mailto:{profile.email}"))
    if profile.map_url:
        block.append(Link(_("Directions: %(url)s") % {"url": profile.map_url}, profile.map_url))
    if profile.website:
        block.append(Link(profile.website, profile.website))
    if profile.cancellation_policy:
        block += [None, _("Cancellation policy: %(policy)s") % {"policy": profile.cancellation_policy}]
    if profile.notes:
        block += [None, profile.notes]
    url = data_page_url(org)
    block += [None, Link(_("See, correct or download what the clinic holds about you: %(link)s") % {"link": url},
                         url)]
    return block


def _text(paragraphs: Sequence[Paragraph]) -> str:
    return "\n".join("" if p is None else p.text if isinstance(p, Link) else p for p in paragraphs)


def _html(paragraphs: Sequence[Paragraph], language: str, subject: str) -> str:
    body = []
    for paragraph in paragraphs:
        if paragraph is None:
            body.append("<br>")
        elif isinstance(paragraph, Link):
            shown = html.escape(paragraph.url.removeprefix("mailto:"))
            anchor = f'<a href="{html.escape(paragraph.url)}">{shown}</a>'
            escaped = html.escape(paragraph.text)
            body.append(f"<p>{escaped.replace(shown, anchor, 1) if shown in escaped else anchor}</p>")
        else:
            body.append(f"<p>{html.escape(paragraph)}</p>")
    return (f'<!doctype html><html lang="{language}" dir="{direction(language)}"><head><meta charset="utf-8">'
            f"<title>{html.escape(subject)}</title></head><body>{''.join(body)}</body></html>")
