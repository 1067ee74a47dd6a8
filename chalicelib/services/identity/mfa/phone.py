"""Codes sent to a phone: by text (SMS) or by a call that speaks them (voice).

NIST SP 800-63B 5.1.3.3: the PSTN is a restricted authenticator, so both are opt-in and come with a
notice that they are weaker than an authenticator app or a security key. A number is proven by a code
before it becomes a factor; login codes are 6 digits, live 10 minutes, work once, are bound to one login
attempt and to their channel, and each channel sends at most 3 per user in 15 minutes. Proving a new
number allows 5 tries per user in 15 minutes, whichever channel or pending factor they go to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.errors import InvalidCredentials, RateLimited, TooManyAttempts, ValidationFailed
from chalicelib.models.mfa import MfaFactor
from chalicelib.models.user import User
from chalicelib.services import notify, rate_limits
from chalicelib.services.identity.mfa import factors

CODE_LIFETIME = timedelta(minutes=10)
PROOF_TRIES = rate_limits.Limit("phone-proof-tries", max_hits=5, window_seconds=900)  # per user
LANGUAGES = ("en", "es")
SMS_TEXT = {
    "en": "Your SafeSlot code is {code}. It expires in 10 minutes. Never share it.",
    "es": "Su código de SafeSlot es {code}. Caduca en 10 minutos. No lo comparta con nadie.",
}
# Read slowly, digit by digit, twice (SSML: Amazon Polly voices of AWS End User Messaging).
SPOKEN = {
    "en": ("Hello. This is SafeSlot. Your sign-in code is", "Again, your code is",
           "It expires in 10 minutes. Never share it."),
    "es": ("Hola. Le llama SafeSlot. Su código de acceso es", "Repito, su código es",
           "Caduca en 10 minutos. No lo comparta con nadie."),
}
VOICES = {"en": "JOANNA", "es": "LUPE"}
SMS_NOTICE = (
    "SMS is a weak second factor: messages can be intercepted or a number taken over. "
    "Prefer an authenticator app or a security key, and keep SMS as a fallback."
)
VOICE_NOTICE = (
    "A phone call is a weak second factor: calls can be redirected or a number taken over. "
    "Prefer an authenticator app or a security key, and keep calls as a fallback."
)


def _text(phone: str, code: str, language: str) -> None:
    notify.send_sms(phone, SMS_TEXT[language].format(code=code))


def _call(phone: str, code: str, language: str) -> None:
    notify.place_voice_call(phone, spoken_code(code, language), VOICES[language])


def spoken_code(code: str, language: str) -> str:
    """The SSML of a call: the code digit by digit, slowly, twice."""
    intro, again, outro = SPOKEN[language]
    digits = f'<say-as interpret-as="digits">{" ".join(code)}</say-as>'
    return (f'<speak><prosody rate="x-slow">{intro} {digits}. <break time="1s"/>{again} {digits}. '
            f'<break time="500ms"/>{outro}</prosody></speak>')


@dataclass(frozen=True)
class Channel:
    """One way of getting a code to a phone."""

    kind: str  # the factor kind: factors.SMS or factors.VOICE
    sends: rate_limits.Limit
    deliver: Callable[[str, str, str], None]  # (phone, code, language)
    notice: str
    label: str


SMS = Channel(factors.SMS, rate_limits.Limit("sms-sends", max_hits=3, window_seconds=900), _text, SMS_NOTICE,
              "SMS to")
VOICE = Channel(factors.VOICE, rate_limits.Limit("voice-calls", max_hits=3, window_seconds=900), _call,
                VOICE_NOTICE, "Calls to")
CHANNELS = {channel.kind: channel for channel in (SMS, VOICE)}


def code_hash(code: str, bound_to: str) -> str:
    return hashlib.sha256(f"{bound_to}/{code}".encode()).hexdigest()


def login_binding(channel: Channel, challenge_hash: str) -> str:
    """What a login code is bound to: its login attempt and its channel (a texted code cannot pass as a call's)."""
    return f"{channel.kind}/{challenge_hash}"


def send_code(channel: Channel, user: User, row: MfaFactor, bound_to: str) -> tuple[str, datetime]:
    """Send a fresh code to the factor's phone; returns its hash (bound to `bound_to`) and expiry."""
    return _send(channel, user, row.unseal()["phone"], row.language or "en", bound_to)


def start_enrollment(channel: Channel, user: User, phone: str, language: str) -> MfaFactor:
    notify.check_phone(phone)
    if language not in LANGUAGES:
        raise ValidationFailed(f"Language must be one of {', '.join(LANGUAGES)}.", field="language")
    row = factors.new_factor(user, channel.kind, label=f"{channel.label} ...{phone[-2:]}")
    row.seal({"phone": phone})
    row.language = language
    row.code_hash, row.code_expires_at = _send(channel, user, phone, language, row.factor_key)
    row.save()
    return row


def confirm(row: MfaFactor, code: str) -> None:
    rate_limits.take(PROOF_TRIES, row.user_id)  # TooManyAttempts past the limit: a number is not guessed
    check_code(code, row.code_hash, row.code_expires_at, row.factor_key)
    row.update(actions=[MfaFactor.status.set(factors.ACTIVE), MfaFactor.code_hash.remove(),
                        MfaFactor.code_expires_at.remove()])


def check_code(code: str, expected_hash: str | None, expires_at: datetime | None, bound_to: str) -> None:
    if not expected_hash or not expires_at or clock.now() >= expires_at:
        raise InvalidCredentials("The code has expired; ask for a new one.")
    if not hmac.compare_digest(expected_hash, code_hash(code, bound_to)):
        raise InvalidCredentials("The code is not correct.")


def _send(channel: Channel, user: User, phone: str, language: str, bound_to: str) -> tuple[str, datetime]:
    try:  # taken atomically: however many requests race, at most 3 codes go out
        rate_limits.take(channel.sends, user.user_id)
    except TooManyAttempts as refused:
        raise RateLimited("At most 3 codes are sent in 15 minutes.", **refused.details) from refused
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        channel.deliver(phone, code, language)
    except Exception:  # nothing was sent: the user keeps that send
        rate_limits.give_back(channel.sends, user.user_id)
        raise
    return code_hash(code, bound_to), clock.now() + CODE_LIFETIME
