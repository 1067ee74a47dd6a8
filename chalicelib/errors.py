"""Domain exceptions and the one table that maps them to HTTP.

Services raise these; the HTTP layer turns them into `{"error": {"code", "message"}}` bodies.
Messages are written for the caller and never carry personal data or secrets.
"""

from __future__ import annotations

from typing import Any

from chalice.app import ChaliceUnhandledError


class DomainError(ChaliceUnhandledError):
    """Base of every error a caller may see. `message` is safe to return as is.

    It derives from ChaliceUnhandledError only so that Chalice lets it reach our middleware
    instead of turning it into its own 500 response.
    """

    message = "The request could not be completed."
    retry_after: int | None = None  # seconds, sent as Retry-After

    def __init__(self, message: str | None = None, **details: Any) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details


class InvalidJson(DomainError):
    message = "The request body is not valid JSON."


class PayloadTooLarge(DomainError):
    message = "The request body is larger than 64 KiB."


class ValidationFailed(DomainError):
    message = "The request does not match its schema."


class Unauthenticated(DomainError):
    message = "Authentication is required."


class Forbidden(DomainError):
    message = "You are not allowed to do this."


class CsrfRefused(Forbidden):
    message = "A call made with the session cookie must come from the console itself."


class NotFound(DomainError):
    message = "No such resource."


class MethodNotAllowed(DomainError):
    message = "This method is not allowed on this resource."


class UnsupportedMediaType(DomainError):
    message = "Send the request body as application/json."


class Conflict(DomainError):
    message = "The resource changed or already exists."


class SlotUnavailable(Conflict):
    message = "That time is no longer available; choose another slot."


class BookingCancelled(Conflict):
    message = "The booking is cancelled; it cannot be changed."


class TooLateToChange(Conflict):
    message = "The appointment is too soon to change online; contact the organization."


class HoldExpired(Conflict):
    message = "This booking was not confirmed in time and its time was released; book again."


class AlreadyConfirmed(Conflict):
    message = "This booking is already confirmed; the e-mail we sent has its link."


class VerificationFailed(DomainError):
    message = "That code is not the one we e-mailed."


class IdempotencyKeyReused(DomainError):
    message = "This Idempotency-Key was used for a different request."


class RateLimited(DomainError):
    message = "Too many requests; retry later."


class Unavailable(DomainError):
    """A service we depend on is refusing, throttling, failing or too slow: retry after `retry_after` s."""

    message = "The service is temporarily unavailable; retry later."
    retry_after = 5


class EncryptionUnavailable(Unavailable):
    message = "Encryption is unavailable; nothing was changed. Retry later."
    retry_after = 30


class StorageUnavailable(Unavailable):
    message = "Storage is temporarily unavailable; retry later."


class SecondFactorUnavailable(Unavailable):
    """A second factor's outside service (Duo, the phone network) is down or not set up."""

    message = "The second-factor service is unavailable. Retry later or use another method."


class SealedDataInvalid(DomainError):
    """A sealed value failed its integrity checks: tampered, moved to another row, or a weak suite."""

    message = "Stored data failed an integrity check."


class SealedDataErased(DomainError):
    """The key a sealed value depends on was destroyed (crypto-shredding): the data is gone for good."""

    message = "This data was erased and can no longer be read."


class WeakPassword(DomainError):
    message = "The password does not meet the policy."


class InvalidCredentials(DomainError):
    message = "The e-mail address or password is not correct."


class InvalidToken(DomainError):
    message = "The token is not valid, was already used, or has expired."


class SessionExpired(DomainError):
    message = "The session has expired; log in again."


class TooManyAttempts(DomainError):
    message = "Too many attempts; try again later."


class IpNotAllowed(DomainError):
    message = "Access from this network is not allowed."


class PasswordChangeRequired(DomainError):
    message = "The password has expired; change it to continue."


class MfaEnrollmentRequired(DomainError):
    message = "Your organization requires a second factor; enroll one to continue."


class StepUpRequired(DomainError):
    message = "Log in with your second factor to do this."


class FactorTooNew(DomainError):
    """The factor proven in a step-up was added too recently (or is a recovery code) for this act."""

    message = ("A sign-in method added recently does not count for this; use an authenticator app or security "
               "key you have had longer.")


class ExportNotReleased(DomainError):
    """An org export inside its cooling-off delay: any owner may still stop it."""

    message = "This export is released after its cooling-off delay; any owner can stop it until then."


class ExportStopped(DomainError):
    message = "An owner stopped this export; it can never be downloaded."


class LinkAlreadyUsed(DomainError):
    """A single-use link presented a second time."""

    message = "This link was already used; ask for a new one."


class EmailInUse(Conflict):
    message = "This address belongs to another record at this clinic; nothing was changed. Contact the clinic."


class AlreadyErased(Conflict):
    message = "This patient's record was erased already: the request is closed as erased, nothing was refused."


class OrgSuspended(DomainError):
    message = "This organization's account is suspended; its pages and sign-in are unavailable."


class InternalError(DomainError):
    message = "An internal error occurred."


# Details that may be shown to the caller (everything else in `details` stays server-side).
PUBLIC_DETAILS = ("field", "reasons")

# exception class -> (HTTP status, stable error code)
ERROR_TABLE: dict[type[DomainError], tuple[int, str]] = {
    InvalidJson: (400, "invalid_json"),
    Unauthenticated: (401, "unauthenticated"),
    InvalidCredentials: (401, "invalid_credentials"),
    InvalidToken: (401, "invalid_token"),
    SessionExpired: (401, "session_expired"),
    Forbidden: (403, "forbidden"),
    IpNotAllowed: (403, "ip_not_allowed"),
    PasswordChangeRequired: (403, "password_change_required"),
    MfaEnrollmentRequired: (403, "mfa_enrollment_required"),
    StepUpRequired: (403, "step_up_required"),
    NotFound: (404, "not_found"),
    OrgSuspended: (423, "org_suspended"),
    MethodNotAllowed: (405, "method_not_allowed"),
    Conflict: (409, "conflict"),
    SlotUnavailable: (409, "slot_unavailable"),
    BookingCancelled: (409, "booking_cancelled"),
    TooLateToChange: (409, "too_late_to_change"),
    HoldExpired: (409, "hold_expired"),
    AlreadyConfirmed: (409, "already_confirmed"),
    VerificationFailed: (422, "verification_failed"),
    IdempotencyKeyReused: (422, "idempotency_key_reused"),
    PayloadTooLarge: (413, "payload_too_large"),
    UnsupportedMediaType: (415, "unsupported_media_type"),
    ValidationFailed: (422, "validation_failed"),
    WeakPassword: (422, "weak_password"),
    RateLimited: (429, "rate_limited"),
    TooManyAttempts: (429, "too_many_attempts"),
    InternalError: (500, "internal_error"),
    SealedDataInvalid: (500, "data_integrity_error"),
    SealedDataErased: (410, "erased"),
    EncryptionUnavailable: (503, "encryption_unavailable"),
    Unavailable: (503, "service_unavailable"),
    StorageUnavailable: (503, "storage_unavailable"),
    SecondFactorUnavailable: (503, "second_factor_unavailable"),
    LinkAlreadyUsed: (410, "link_already_used"),
    EmailInUse: (409, "email_in_use"),
    AlreadyErased: (409, "already_erased"),
    FactorTooNew: (403, "factor_too_new"),
    ExportNotReleased: (409, "export_not_released"),
    ExportStopped: (410, "export_stopped"),
    CsrfRefused: (403, "csrf_refused"),  # the staff console's cookie session (ADR 0017)
}


def status_and_code(error: DomainError) -> tuple[int, str]:
    """Look up an error's status and code, walking up its classes (subclasses inherit a mapping)."""
    for cls in type(error).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return ERROR_TABLE[InternalError]
