"""SMS codes (NIST SP 800-63B 5.1.3.3: a restricted authenticator, opt-in, with a notice).

A number is verified by a code before it becomes a factor; login codes are 6 digits, live 10 minutes,
work once, are bound to one login attempt, and at most 3 are sent per user in 15 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.errors import InvalidCredentials, RateLimited
from chalicelib.models.mfa import MfaFactor
from chalicelib.models.user import User
from chalicelib.services import notify, rate_limits
from chalicelib.services.identity.mfa import factors

CODE_LIFETIME = timedelta(minutes=10)
SENDS = rate_limits.Limit("sms-sends", max_hits=3, window_seconds=900)
WEAKER_FACTOR_NOTICE = (
    "SMS is the weakest second factor: messages can be intercepted or a number taken over. "
    "Prefer an authenticator app or a security key, and keep SMS as a fallback."
)


def code_hash(code: str, bound_to: str) -> str:
    return hashlib.sha256(f"{bound_to}/{code}".encode()).hexdigest()


def send_code(user: User, phone: str, bound_to: str) -> tuple[str, datetime]:
    """Text a fresh code to `phone`; returns its hash (bound to `bound_to`) and expiry."""
    if rate_limits.retry_after(SENDS, user.user_id):
        raise RateLimited("At most 3 codes are sent in 15 minutes.",
                          retry_after=rate_limits.retry_after(SENDS, user.user_id))
    rate_limits.hit(SENDS, user.user_id)
    code = f"{secrets.randbelow(10**6):06d}"
    notify.send_sms(phone, f"Your SafeSlot code is {code}. It expires in 10 minutes. Never share it.")
    return code_hash(code, bound_to), clock.now() + CODE_LIFETIME


def start_enrollment(user: User, phone: str) -> MfaFactor:
    notify.check_phone(phone)
    row = factors.new_factor(user, factors.SMS, label=f"SMS to ...{phone[-2:]}")
    row.seal({"phone": phone})
    row.code_hash, row.code_expires_at = send_code(user, phone, row.factor_key)
    row.save()
    return row


def confirm(row: MfaFactor, code: str) -> None:
    check_code(code, row.code_hash, row.code_expires_at, row.factor_key)
    row.update(actions=[MfaFactor.status.set(factors.ACTIVE), MfaFactor.code_hash.remove(),
                        MfaFactor.code_expires_at.remove()])


def check_code(code: str, expected_hash: str | None, expires_at: datetime | None, bound_to: str) -> None:
    if not expected_hash or not expires_at or clock.now() >= expires_at:
        raise InvalidCredentials("The code has expired; ask for a new one.")
    if not hmac.compare_digest(expected_hash, code_hash(code, bound_to)):
        raise InvalidCredentials("The code is not correct.")
