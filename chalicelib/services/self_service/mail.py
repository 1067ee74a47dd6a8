"""The e-mails of self-service, in the patient's language (else the clinic's), in the clinic's words only.

No text a patient typed goes into them: the name could carry an attacker's words in the clinic's voice.
A refusal's reason is the clinic's own text, addressed to its patient.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.i18n import Gettext, gettext_for, negotiate
from chalicelib.models.organization import Organization
from chalicelib.services.booking.letters import Link, Paragraph, clinic_letter, data_page_url
from chalicelib.services.booking.profile import profile_of
from chalicelib.services.notify import send_email, send_letter


class _Letters:
    """The patient's language (else the clinic's) and a way to send a letter in the clinic's name in it."""

    def __init__(self, org: Organization, accept_language: str | None) -> None:
        self.org, self.profile = org, profile_of(org)
        self.language = negotiate(None, accept_language, self.profile.default_language)
        self.gettext: Gettext = gettext_for(self.language)

    def send(self, to: str, subject: str, paragraphs: Sequence[Paragraph]) -> None:
        send_letter(to, clinic_letter(self.org, self.profile.in_language(self.language), self.gettext,
                                      self.language, subject, paragraphs))


def page_url(org: Organization) -> str:
    return data_page_url(org)


def send_link(org: Organization, to: str, token: str, minutes: int, accept_language: str | None) -> None:
    letters = _Letters(org, accept_language)
    _ = letters.gettext
    link = f"{page_url(org)}#{token}"
    values = {"clinic": org.name, "link": link, "minutes": minutes}
    letters.send(to, _("Your details at %(clinic)s") % values, [
        _("Here is your link to see, correct or download the details %(clinic)s holds about you, "
          "or to ask for them to be erased:") % values, Link(link, link), None,
        _("It works once, for %(minutes)s minutes. If you did not ask for it, you can ignore this e-mail.")
        % values])


def send_email_change_code(org: Organization, to: str, code: str, minutes: int, accept_language: str | None) -> None:
    letters = _Letters(org, accept_language)
    _ = letters.gettext
    values = {"clinic": org.name, "code": code, "minutes": minutes}
    letters.send(to, _("Confirm your new e-mail address at %(clinic)s") % values, [
        _("Someone asked %(clinic)s to use this address for their record.") % values, None,
        _("To confirm it, enter this code on the page: %(code)s") % values,
        _("It works for %(minutes)s minutes. If it was not you, ignore this e-mail: nothing changes.") % values])


def send_address_in_use(org: Organization, to: str, accept_language: str | None) -> None:
    letters = _Letters(org, accept_language)
    _ = letters.gettext
    values = {"clinic": org.name}
    letters.send(to, _("Your e-mail address at %(clinic)s") % values, [
        _("Someone asked %(clinic)s to use this address for a record, but it already belongs to a record "
          "there, so nothing was changed.") % values,
        _("If it was you and you have two records, please contact the clinic.") % values])


def send_email_changed(org: Organization, to: str, accept_language: str | None) -> None:
    letters = _Letters(org, accept_language)
    _ = letters.gettext
    values = {"clinic": org.name}
    letters.send(to, _("Your e-mail address at %(clinic)s was changed") % values, [
        _("The e-mail address of your record at %(clinic)s was changed; e-mails now go to the new address.")
        % values,
        _("If you did not do this, contact the clinic at once.") % values])


def send_erasure_received(org: Organization, to: str, accept_language: str | None) -> None:
    letters = _Letters(org, accept_language)
    _ = letters.gettext
    values = {"clinic": org.name}
    letters.send(to, _("Your request to %(clinic)s to erase your data") % values, [
        _("%(clinic)s has received your request to erase the data it holds about you.") % values,
        _("The clinic will tell you when it has acted on it. Some medical records may have to be kept by law; "
          "if so, the clinic will tell you why.") % values])


def send_erasure_refused(org: Organization, to: str, reason: str, accept_language: str | None) -> None:
    letters = _Letters(org, accept_language)
    _ = letters.gettext
    values = {"clinic": org.name, "reason": reason}
    letters.send(to, _("Your request to %(clinic)s to erase your data") % values, [
        _("%(clinic)s has decided not to erase your data, for this reason:") % values, None, reason, None,
        _("You may ask the clinic about this decision.") % values])


def send_erasure_requested_to_admin(org: Organization, to: str, request_id: str) -> None:
    """The clinic's admin is told a request waits (ids only: the patient's name stays in the system)."""
    send_email(to, f"A patient asked {org.name} to erase their data", "\n".join([
        f"A patient asked for their data to be erased (request {request_id}).",
        "Review pending requests with GET /v1/erasure-requests; erase with DELETE /v1/customers/{id}, "
        "or refuse with a reason (POST /v1/erasure-requests/{id}/refuse); the patient is told either way."]))
