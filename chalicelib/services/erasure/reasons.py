"""Why a customer is erased: a category (GDPR Art. 17(1) grounds as the model), never free text, since
the audit chain keeps it for six years and free text invites names and diagnoses."""

from __future__ import annotations

from chalicelib.errors import ValidationFailed

REASONS = ("patient_request", "consent_withdrawn", "no_longer_needed", "objection", "unlawful_processing",
           "legal_obligation")


def check_reason(reason: str | None) -> str:
    """`reason` if it is one of REASONS; 422 naming the field otherwise."""
    if reason not in REASONS:
        raise ValidationFailed(f"'reason' must be one of: {', '.join(REASONS)}.", field="reason")
    return reason
