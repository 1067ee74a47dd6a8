"""What an org export holds: every file and every field, documented once.

The archive's README.txt is written from these tables and the CSV headers come from them, so the
documentation cannot drift from what is written (a test checks every JSON key against them).
"""

from __future__ import annotations

from dataclasses import dataclass

FORMAT_VERSION = 1


@dataclass(frozen=True)
class FileDoc:
    name: str
    what: str
    fields: tuple[tuple[str, str], ...] = ()  # (field, meaning) of each record


ORG_FIELDS = (
    ("org_id", "the organization's id"),
    ("slug", "the short name in the booking page's address"),
    ("name", "the organization's name"),
    ("timezone", "the organization's IANA time zone"),
    ("created_at", "when the organization was created (UTC, ISO 8601)"),
    ("security_policy", "security settings that differ from the defaults (passwords, sessions, second factors)"),
    ("transparency", "transparency settings (policy notice days, access-report naming)"),
    ("profile", "the clinic profile: address, phone, website, map link, cancellation policy, colours, "
                "languages, text messages, embedding websites"),
)
USER_FIELDS = (
    ("id", "the user's id (audit events name users by it)"),
    ("email", "sign-in e-mail address"),
    ("name", "the user's name"),
    ("role", "owner, admin, staff, frontdesk or auditor"),
    ("disabled", "true when the account is disabled"),
    ("password_set", "true once the user chose a password (password hashes are never exported)"),
    ("created_at", "when the account was created"),
    ("last_login_at", "the last successful sign-in, or null"),
)
SERVICE_FIELDS = (
    ("id", "the service's id"),
    ("name", "the service's name"),
    ("names", "its name in other languages the clinic offers, by language code (null: none given)"),
    ("duration_minutes", "length of an appointment"),
    ("buffer_before_minutes", "time kept free before it"),
    ("buffer_after_minutes", "time kept free after it"),
    ("min_notice_minutes", "how long ahead it must be booked"),
    ("max_advance_days", "how far ahead it may be booked"),
    ("slot_step_minutes", "the spacing of offered start times"),
    ("active", "false when no longer offered"),
)
STAFF_FIELDS = (
    ("id", "the staff member's id"),
    ("display_name", "the name patients see"),
    ("timezone", "the IANA zone their hours are in"),
    ("service_ids", "the services they give"),
    ("weekly_hours", "working hours per weekday, wall-clock times"),
    ("exceptions", "days with other hours"),
    ("time_off", "periods not bookable (UTC)"),
    ("user_id", "the staff user who works as this member, or null"),
    ("active", "false when no longer bookable"),
)
CUSTOMER_FIELDS = (
    ("customer_id", "the customer's id (bookings and audit events name customers by it)"),
    ("name", "the customer's name"),
    ("email", "the customer's e-mail address, or empty (the front desk may add a patient without one)"),
    ("phone", "the customer's phone number (E.164), or empty"),
    ("notes", "the clinic's notes on the customer, or empty"),
    ("date_of_birth", "the customer's date of birth (YYYY-MM-DD), or empty"),
    ("created_at", "when the customer was first recorded"),
    ("last_visit_at", "the end of the latest appointment that retention has already deleted, or empty"),
    ("readable", "false when the customer was erased: their key is destroyed, only ids and dates remain"),
)
BOOKING_FIELDS = (
    ("booking_id", "the booking's id (also the calendar event's UID, with @safeslot)"),
    ("status", "confirmed, cancelled, pending (a hold waiting for the patient's e-mail proof) or expired"),
    ("starts_at", "start (UTC, ISO 8601)"),
    ("ends_at", "end (UTC, ISO 8601)"),
    ("service_id", "the service booked"),
    ("service_name", "its name"),
    ("staff_id", "the staff member booked"),
    ("staff_name", "their display name"),
    ("customer_id", "the customer, or empty for a pending hold"),
    ("customer_name", "the customer's name (or the name typed with a pending hold)"),
    ("notes", "notes on the booking, or empty"),
    ("cancel_reason", "why it was cancelled, or empty"),
    ("contact_email", "for a pending hold: the e-mail address typed with it, or empty"),
    ("contact_phone", "for a pending hold: the phone typed with it, or empty"),
    ("sms_to", "the number appointment texts go to, or empty"),
    ("sms_opt_in", "true when the patient asked for texts"),
    ("patient_timezone", "the zone the booking page showed times in, or empty"),
    ("locale", "the language of the patient's e-mails, or empty"),
    ("policy_version", "the privacy-policy version in force when it was booked, or empty"),
    ("sequence", "the calendar SEQUENCE: moves on every change"),
    ("created_at", "when it was made"),
    ("updated_at", "when it last changed"),
    ("readable", "false when its customer was erased: notes and contact details are gone for good"),
)
POLICY_FIELDS = (
    ("version", "1, 2, ..."),
    ("format", "markdown or text"),
    ("text", "what the clinic wrote"),
    ("html", "the sanitized rendering the pages show"),
    ("summary", "what changed, in the clinic's words"),
    ("effective_at", "when it takes effect"),
    ("published_at", "when it was published"),
    ("published_by", "the user id who published it"),
)
AUDIT_FIELDS = (
    ("org_id", "the organization's id"),
    ("seq", "the event's place on the org's hash chain (1, 2, ...)"),
    ("at", "when it happened (UTC)"),
    ("actor", "who: a user id, 'customer', 'system', 'operator' or 'support:<id>'"),
    ("action", "what, e.g. booking.created, customer.read, org.exported"),
    ("subjects", "the ids it concerns (never contents)"),
    ("outcome", "success, failure, ..."),
    ("source_ip", "the caller's address, or null"),
    ("user_agent", "the caller's user agent, or null"),
    ("entry_id", "the outbox entry it was chained from (recent events only)"),
    ("prev_hash", "the hash of the event before it"),
    ("hash", "SHA-256 over this event and prev_hash: the chain verifies offline (docs/audit-verification.md)"),
)
MANIFEST_FIELDS = (
    ("format_version", f"this layout's version ({FORMAT_VERSION})"),
    ("export_id", "this export's id (the audit event org.exported names it)"),
    ("org_id", "the organization's id"),
    ("created_at", "when the export was made (UTC)"),
    ("created_by", "the user id of the owner who made it"),
    ("counts", "records per file"),
    ("sha256", "SHA-256 of every other file, hex"),
)

FILES = (
    FileDoc("README.txt", "this description"),
    FileDoc("manifest.json", "one JSON object: what this export is", MANIFEST_FIELDS),
    FileDoc("organization.json", "one JSON object: the organization, its settings and clinic profile", ORG_FIELDS),
    FileDoc("users.json", "JSON array: staff accounts (no password hashes, second-factor secrets or sessions)",
            USER_FIELDS),
    FileDoc("services.json", "JSON array: the services offered", SERVICE_FIELDS),
    FileDoc("staff.json", "JSON array: the staff members patients book, with their hours", STAFF_FIELDS),
    FileDoc("customers.json", "JSON array: every customer, with the clinic's notes", CUSTOMER_FIELDS),
    FileDoc("customers.csv", "the same customers as CSV (RFC 4180, UTF-8, header row; see SPREADSHEETS)",
            CUSTOMER_FIELDS),
    FileDoc("bookings.json", "JSON array: every booking, whatever its status", BOOKING_FIELDS),
    FileDoc("bookings.csv", "the same bookings as CSV (RFC 4180, UTF-8, header row; see SPREADSHEETS)",
            BOOKING_FIELDS),
    FileDoc("bookings.ics", "the same bookings as an iCalendar file (RFC 5545, METHOD:PUBLISH, UTC times); "
                            "cancelled ones have STATUS:CANCELLED"),
    FileDoc("privacy-policies.json", "JSON array: every published privacy-policy version", POLICY_FIELDS),
    FileDoc("audit-events.json", "JSON array: the org's audit trail, oldest first, as stored", AUDIT_FIELDS),
)


def columns(fields: tuple[tuple[str, str], ...]) -> list[str]:
    return [name for name, _ in fields]
