"""Privacy-policy change notices, hourly: every staff user and every customer with an upcoming booking
is e-mailed once about each announced version, before it takes effect (a claim per version and person,
released if the e-mail failed so the next run tries again, stamped with the time it went otherwise).

Patients get a letter from their clinic (booking/letters.py) in the language and zone of their booking,
linking the privacy page in that language; staff get English (the console keeps its language in the
browser only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.jobs import once
from chalicelib.jobs.runner import JobReport
from chalicelib.models.booking import Booking
from chalicelib.models.organization import Organization
from chalicelib.models.privacy_policy import PolicyVersion
from chalicelib.services import customers, notify
from chalicelib.services.booking.letters import Link, clinic_letter, privacy_page_url
from chalicelib.services.booking.profile import ClinicProfile, profile_of
from chalicelib.services.booking.wording import wording_for_patient
from chalicelib.services.notice_claims import NO_ADDRESS, SENT, policy_notice_key, record_outcome
from chalicelib.services.policy_audience import Recipient, recipients
from chalicelib.services.privacy_policies import scheduled_versions

CLAIM_KEPT_FOR = timedelta(days=400)  # longer than any notice period


def run_policy_notices(report: JobReport) -> None:
    now, sent = clock.now(), 0
    for org in Organization.scan():
        for version in scheduled_versions(org.org_id, now):
            sent += _notify_everyone(report, org, version, now)
    report.details["policy_notices_sent"] = sent


def _notify_everyone(report: JobReport, org: Organization, version: PolicyVersion, now: datetime) -> int:
    sent, profile = 0, profile_of(org)
    for recipient in recipients(org.org_id, now):
        key = policy_notice_key(org.org_id, int(version.version), recipient.key)
        if not once.claim(key, CLAIM_KEPT_FOR):
            continue
        try:
            delivered = _send(org, profile, version, recipient)
        except Exception as error:  # one bad address never stops the others; the next run retries it
            once.release(key)
            report.fail(f"policy notice to {recipient.key} not sent ({type(error).__name__})")
            continue
        try:
            record_outcome(key, SENT if delivered else NO_ADDRESS, clock.now())
        except Exception as error:  # the mail went: keep the claim (counted as told, time unknown)
            report.fail(f"policy notice to {recipient.key} sent, its time not kept ({type(error).__name__})")
        sent += delivered
    return sent


def _send(org: Organization, profile: ClinicProfile, version: PolicyVersion, recipient: Recipient) -> bool:
    """Mail the notice to the address on the person's record; False if a patient has none (the front
    desk may add one without e-mail): nothing to send to."""
    if recipient.user is not None:
        notify.send_email(str(recipient.user.unseal()["email"]), *_staff_notice(org, version))
        return True
    address = customers.contact_of(org.org_id, recipient.bookings[0].customer_id).email
    if address:
        notify.send_letter(address, _patient_notice(org, profile, version, recipient.bookings))
    return bool(address)


def _staff_notice(org: Organization, version: PolicyVersion) -> tuple[str, str]:
    date = version.effective_at.strftime("%d %B %Y")
    return (f"{org.name} is updating its privacy policy on {date}", "\n".join([
        "Hello,", "", f"{org.name} is updating its privacy policy. The new version takes effect on {date} (UTC).",
        "", "What changes:", version.summary, "",
        f"Read the new version and the list of services that handle your data: {privacy_page_url(org, 'en')}",
    ]))


def _patient_notice(org: Organization, profile: ClinicProfile, version: PolicyVersion,
                    bookings: Sequence[Booking]) -> notify.Letter:
    """The patient's letter from the clinic: the date in their zone and language, what changes (the
    clinic's own words), the privacy page in their language; the clinic's block links their data page."""
    wording = wording_for_patient(bookings, org, profile)
    _, link = wording.gettext, privacy_page_url(org, wording.language)
    values = {"clinic": org.name, "date": wording.time.day(version.effective_at)}
    return clinic_letter(org, profile.in_language(wording.language), _, wording.language,
                         _("%(clinic)s is updating its privacy policy on %(date)s") % values, [
        _("Hello,"), None, _("%(clinic)s is updating its privacy policy. The new version takes effect on %(date)s.")
        % values, None, _("What changes:"), version.summary, None,
        Link(_("Read the new version and the list of services that handle your data: %(link)s") % {"link": link},
             link)])
