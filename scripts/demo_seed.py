"""The demo organization that `make run` creates, and the credentials file it writes."""

from __future__ import annotations

import secrets
from typing import Any

DEMO_SLUG = "demo"
DEMO_OWNER_EMAIL = "owner@demo.safeslot.example"


def seed_demo(api_url: str) -> dict[str, Any]:
    """The demo org, its owner (random password, an authenticator app), and MFA required of owners and
    admins. Returns the credentials file's content: a newcomer logs in with any authenticator app."""
    import pyotp

    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.identity.authentication import set_password_with_setup_token
    from chalicelib.services.identity.mfa import enrollment
    from chalicelib.services.identity.policy import change_policy
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.identity.users import create_first_owner
    from chalicelib.services.organizations import create_org

    org = create_org(DEMO_SLUG, "Demo Clinic", timezone="America/New_York", actor="seed")
    owner = create_first_owner(org.org_id, DEMO_OWNER_EMAIL, "Demo Owner")
    password = secrets.token_urlsafe(18)
    set_password_with_setup_token(owner.setup_token, password, SYSTEM)
    as_owner = Principal(org.org_id, owner.user["id"], "owner", "seed", "full", SYSTEM, assurance=2)
    change_policy(as_owner, {"require_mfa": ["owner", "admin"]})
    secret = enrollment.start_totp(as_owner, {"password": password})["secret"]  # no factor yet: the password
    enrollment.confirm_totp(as_owner, pyotp.TOTP(secret).now())
    _as_if_added_long_ago(org.org_id, owner.user["id"])
    seed_calendar(as_owner)
    seed_profile(as_owner)
    from scripts.demo_team import seed_team  # one user of each other role (README "Demo users")

    team = seed_team(as_owner)
    return {"api": api_url, "org": DEMO_SLUG, "email": DEMO_OWNER_EMAIL, "password": password,
            "totp_secret": secret, "booking_page": f"{api_url}/book/{DEMO_SLUG}", "team": team}


def _as_if_added_long_ago(org_id: str, user_id: str) -> None:
    """The demo clinic is an established one: its owner's authenticator counts as the fresh factor of an
    export at once, as an app held for longer than the org's `new_factor_wait_hours` would (ADR 0015)."""
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.models.mfa import MfaFactor
    from chalicelib.services.identity.mfa import factors

    for row in factors.factors_of(org_id, user_id, factors.TOTP):
        row.update(actions=[MfaFactor.activated_at.set(clock.now() - timedelta(days=30))])


def seed_calendar(owner: Any) -> None:
    """Two services and three staff members in three zones, each with weekly hours."""
    from chalicelib.services.booking import catalog

    consult = catalog.create_service(owner, {"name": "Consultation", "duration_minutes": 30,
                                             "buffer_after_minutes": 10, "min_notice_minutes": 60,
                                             "names": CONSULTATION})
    follow_up = catalog.create_service(owner, {"name": "Follow-up call", "duration_minutes": 15,
                                               "min_notice_minutes": 30, "names": FOLLOW_UP})
    both = [consult["id"], follow_up["id"]]
    for name, zone, hours, services in [
        ("Dr Ana Ruiz", "America/New_York", _weekdays([("09:00", "12:00"), ("13:00", "17:00")]), both),
        ("Dr Ben Okafor", "Europe/London", _weekdays([("08:00", "16:00")], days=DAYS[:4]), both),
        ("Dr Chen Li", "Australia/Sydney", _weekdays([("09:00", "17:00")]), [follow_up["id"]]),
    ]:
        catalog.create_staff(owner, {"display_name": name, "timezone": zone, "weekly_hours": hours,
                                     "service_ids": services})


def seed_profile(owner: Any) -> None:
    """What patients see of the demo clinic: where it is, how to call, its cancellation policy; texts on."""
    from chalicelib.services.booking import profile

    profile.change_profile(owner, {
        "address": "350 Fifth Avenue, Suite 4100\nNew York, NY 10118", "phone": "+1 212 555 0142",
        "website": "https://demo-clinic.example", "map_url": "https://maps.example/demo-clinic",
        "cancellation_policy": "Cancel or move up to 24 hours before at no cost; later, call us.",
        "email": "frontdesk@demo-clinic.example", "sms_enabled": True,
        "translations": {code: {"cancellation_policy": text} for code, text in POLICY.items()}})


# The demo clinic's own words in every language it offers (the pages' texts come from the catalogues).
CONSULTATION = {"es": "Consulta", "fr": "Consultation", "pt": "Consulta", "zh": "门诊咨询", "vi": "Khám tư vấn",
                "fil": "Konsultasyon", "ar": "استشارة"}
FOLLOW_UP = {"es": "Llamada de seguimiento", "fr": "Appel de suivi", "pt": "Chamada de acompanhamento",
             "zh": "复诊电话", "vi": "Cuộc gọi tái khám", "fil": "Follow-up na tawag", "ar": "مكالمة متابعة"}
POLICY = {
    "es": "Puede cancelar o cambiar la cita sin coste hasta 24 horas antes; después, llámenos.",
    "fr": "Annulation ou report sans frais jusqu’à 24 heures avant ; ensuite, appelez-nous.",  # noqa: RUF001
    "pt": "Pode cancelar ou alterar sem custos até 24 horas antes; depois disso, telefone-nos.",
    "zh": "预约前 24 小时以上可免费取消或改期；之后请致电我们。",  # noqa: RUF001
    "vi": "Quý vị có thể hủy hoặc dời lịch miễn phí trước 24 giờ; sau thời điểm đó, xin gọi cho chúng tôi.",
    "fil": "Maaaring magkansela o maglipat nang walang bayad hanggang 24 na oras bago; pagkatapos nito, tawagan kami.",
    "ar": "يمكنك الإلغاء أو تغيير الموعد مجانًا قبل 24 ساعة على الأقل؛ بعد ذلك، يُرجى الاتصال بنا.",
}


DAYS = ("mon", "tue", "wed", "thu", "fri")


def _weekdays(intervals: list[tuple[str, str]], days: tuple[str, ...] = DAYS) -> dict[str, Any]:
    return {day: [{"start": start, "end": end} for start, end in intervals] for day in days}
