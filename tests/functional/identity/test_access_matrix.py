"""Every staff route against every role, no token, and another org's ids (ASVS 8.2.1, 8.2.2)."""

from __future__ import annotations

import re

import pytest

from chalicelib.services.identity.roles import PERMISSIONS, Permission, Role
from tests.functional.identity.helpers import body, call, make_org, post_json, token_for

TARGET = "{target}"  # replaced by a real user id of the same org
# (method, path, permission, body): every staff route of the app
STAFF_ROUTES = [
    ("GET", "/v1/auth/sessions", Permission.OWN_ACCOUNT, None),
    ("POST", "/v1/auth/logout", Permission.OWN_ACCOUNT, None),
    ("POST", "/v1/auth/password", Permission.OWN_ACCOUNT, {"current_password": "x", "new_password": "y"}),
    ("DELETE", "/v1/auth/sessions/unknown", Permission.OWN_ACCOUNT, None),
    ("POST", "/v1/auth/mfa/totp/enroll", Permission.OWN_ACCOUNT, None),
    ("POST", "/v1/auth/mfa/totp/confirm", Permission.OWN_ACCOUNT, {"code": "000000"}),
    ("POST", "/v1/auth/mfa/sms/enroll", Permission.OWN_ACCOUNT, {"phone": "+15005550006"}),
    ("POST", "/v1/auth/mfa/sms/confirm", Permission.OWN_ACCOUNT, {"code": "000000"}),
    ("POST", "/v1/auth/mfa/voice/enroll", Permission.OWN_ACCOUNT, {"phone": "+15005550006"}),
    ("POST", "/v1/auth/mfa/voice/confirm", Permission.OWN_ACCOUNT, {"code": "000000"}),
    ("POST", "/v1/auth/mfa/webauthn/register/options", Permission.OWN_ACCOUNT, None),
    ("POST", "/v1/auth/mfa/webauthn/reauth-options", Permission.OWN_ACCOUNT, None),
    ("POST", "/v1/auth/step-up", Permission.OWN_ACCOUNT, {"password": "x"}),
    ("POST", "/v1/auth/mfa/webauthn/register", Permission.OWN_ACCOUNT, {"credential": {}}),
    ("GET", "/v1/auth/mfa/factors", Permission.OWN_ACCOUNT, None),
    ("DELETE", "/v1/auth/mfa/factors/unknown", Permission.OWN_ACCOUNT, {"password": "x", "code": "1"}),
    ("POST", "/v1/auth/mfa/recovery-codes", Permission.OWN_ACCOUNT, {"password": "x"}),
    ("GET", "/v1/auth/me", Permission.OWN_ACCOUNT, None),
    ("PATCH", "/v1/auth/me", Permission.OWN_ACCOUNT, {"name": "Me Myself"}),
    ("GET", "/v1/auth/me/sign-ins", Permission.OWN_ACCOUNT, None),
    ("POST", f"/v1/users/{TARGET}/mfa/reset", Permission.USERS_MANAGE, None),
    ("GET", "/v1/users", Permission.USERS_READ, None),
    ("POST", "/v1/users", Permission.USERS_MANAGE, {"email": "new@acme.example", "name": "N", "role": "staff"}),
    ("GET", f"/v1/users/{TARGET}", Permission.USERS_READ, None),
    ("PATCH", f"/v1/users/{TARGET}", Permission.USERS_MANAGE, {"name": "Renamed"}),
    ("POST", f"/v1/users/{TARGET}/reset", Permission.USERS_MANAGE, None),
    ("POST", f"/v1/users/{TARGET}/unlock", Permission.USERS_MANAGE, None),
    ("DELETE", f"/v1/users/{TARGET}/sessions", Permission.USERS_MANAGE, None),
    ("GET", f"/v1/users/{TARGET}/sessions", Permission.USERS_MANAGE, None),
    ("DELETE", f"/v1/users/{TARGET}/sessions/unknown", Permission.USERS_MANAGE, None),
    ("GET", "/v1/org/security-policy", Permission.POLICY_READ, None),
    ("PUT", "/v1/org/security-policy", Permission.POLICY_MANAGE, {"lockout_minutes": 20}),
    ("GET", "/v1/org/duo", Permission.POLICY_READ, None),
    ("PUT", "/v1/org/duo", Permission.POLICY_MANAGE, {"client_id": "D" * 20, "client_secret": "s" * 40,
                                                      "api_host": "api-1.example", "redirect_uri": "https://a.example/"}),
    ("DELETE", "/v1/org/duo", Permission.POLICY_MANAGE, None),
    ("GET", "/v1/login-attempts", Permission.LOGIN_ATTEMPTS_READ, None),
    ("GET", "/v1/audit-events", Permission.AUDIT_READ, None),
    ("GET", "/v1/audit-events/verify", Permission.AUDIT_READ, None),
    ("GET", "/v1/services", Permission.CATALOG_READ, None),
    ("POST", "/v1/services", Permission.CATALOG_MANAGE, {"name": "Checkup", "duration_minutes": 30}),
    ("GET", "/v1/services/{service_id}", Permission.CATALOG_READ, None),
    ("PATCH", "/v1/services/{service_id}", Permission.CATALOG_MANAGE, {"active": False}),
    ("GET", "/v1/staff", Permission.CATALOG_READ, None),
    ("POST", "/v1/staff", Permission.CATALOG_MANAGE, {"display_name": "Dr B", "timezone": "UTC"}),
    ("GET", "/v1/staff/{staff_id}", Permission.CATALOG_READ, None),
    ("PATCH", "/v1/staff/{staff_id}", Permission.CATALOG_MANAGE, {"active": False}),
    ("GET", "/v1/bookings?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z", Permission.BOOKINGS_READ, None),
    ("DELETE", "/v1/customers/{customer_id}?reason=patient_request", Permission.CUSTOMERS_ERASE, None),
    ("POST", "/v1/bookings", Permission.BOOKINGS_MANAGE,
     {"service_id": "s", "staff_id": "s", "start": "2030-01-01T10:00:00Z", "customer_id": "unknown"}),
    ("GET", "/v1/bookings/{booking_id}", Permission.BOOKINGS_READ, None),
    ("POST", "/v1/bookings/{booking_id}/reschedule", Permission.BOOKINGS_MANAGE, {"start": "2030-01-01T10:00:00Z"}),
    ("POST", "/v1/bookings/{booking_id}/cancel", Permission.BOOKINGS_MANAGE, {}),
    ("POST", "/v1/customers", Permission.CUSTOMERS_MANAGE, {"name": "C", "email": "c@example.org"}),
    ("POST", "/v1/customers/search", Permission.CUSTOMERS_READ, {"email": "c@example.org"}),
    ("GET", "/v1/customers/{customer_id}", Permission.CUSTOMERS_READ, None),
    ("PATCH", "/v1/customers/{customer_id}", Permission.CUSTOMERS_MANAGE, {"name": "D"}),
]
# Transparency (issue 15): clinic routes decided by the same role table.
STAFF_ROUTES += [
    ("GET", "/v1/org/privacy-policies", Permission.PRIVACY_POLICY_MANAGE, None),
    ("POST", "/v1/org/privacy-policies", Permission.PRIVACY_POLICY_MANAGE, {"text": "Policy", "summary": "First"}),
    ("GET", "/v1/org/privacy-policies/{version}/notices", Permission.PRIVACY_POLICY_MANAGE, None),
    ("GET", "/v1/org/transparency-settings", Permission.PRIVACY_POLICY_MANAGE, None),
    ("PUT", "/v1/org/transparency-settings", Permission.PRIVACY_POLICY_MANAGE, {"access_report_names_staff": False}),
    ("GET", "/v1/customers/{customer_id}/access-report", Permission.AUDIT_READ, None),
    ("GET", "/v1/org/support-grants", Permission.SUPPORT_READ, None),
    ("GET", "/v1/org/support-grants/{grant_id}", Permission.SUPPORT_READ, None),
    ("POST", "/v1/org/support-grants/{grant_id}/approve", Permission.SUPPORT_MANAGE, {"code": "000000"}),
    ("POST", "/v1/org/support-grants/{grant_id}/refuse", Permission.SUPPORT_MANAGE, None),
    ("POST", "/v1/org/support-grants/{grant_id}/revoke", Permission.SUPPORT_MANAGE, None),
    ("POST", "/v1/org/support-grants/{grant_id}/review", Permission.SUPPORT_MANAGE, None),
]
# Patients' erasure requests (issue 14): listed and refused by customers.erase.
STAFF_ROUTES += [
    ("GET", "/v1/erasure-requests", Permission.CUSTOMERS_ERASE, None),
    ("POST", "/v1/erasure-requests/{request_id}/refuse", Permission.CUSTOMERS_ERASE, {"reason": "Kept by law."}),
]
# Vendor support routes: no clinic role opens them. The vendor's own people ask and open sessions;
# the read-only routes answer only to the support token of a live grant.
SUPPORT_ASK = {"org": "acme", "reason": "Ticket 1: calendar looks wrong", "hours": 1}
VENDOR_ROUTES = [
    ("POST", "/v1/support/access-requests", SUPPORT_ASK),
    ("POST", "/v1/support/break-glass", SUPPORT_ASK),
    ("POST", "/v1/support/break-glass/{grant_id}/confirm", None),
    ("POST", "/v1/support/grants/{grant_id}/session", None),
]
SUPPORT_READ_ROUTES = [
    ("GET", "/v1/support/bookings?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z", None),
    ("GET", "/v1/support/bookings/{booking_id}", None),
    ("GET", "/v1/support/customers/{customer_id}", None),
    ("GET", "/v1/support/services", None),
]
STAFF_ROUTES += [  # the org export (issue 14): owners only, with a second factor
    ("POST", "/v1/org/exports", Permission.ORG_EXPORT, {"code": "000000"}),
    ("GET", "/v1/org/exports/{export_id}", Permission.ORG_EXPORT, None),
    ("POST", "/v1/org/exports/{export_id}/stop", Permission.ORG_EXPORT, None),
]
STAFF_ROUTES += [  # the staff console (issue 25): its session, and the day with names
    ("GET", "/v1/console/session", Permission.OWN_ACCOUNT, None),
    ("GET", "/v1/calendar/day?date=2030-01-01", Permission.BOOKINGS_READ, None),  # and customers.read: same roles
]
STAFF_ROUTES += [  # the front desk's week, visit statuses and their report, the patient's card (issue 25)
    ("GET", "/v1/calendar/week?date=2030-01-01", Permission.BOOKINGS_READ, None),  # and customers.read: same roles
    ("POST", "/v1/bookings/{booking_id}/visit-status", Permission.BOOKINGS_MANAGE, {"status": "arrived"}),
    ("GET", "/v1/reports/visits?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z", Permission.BOOKINGS_READ, None),
    ("GET", "/v1/customers/{customer_id}/card", Permission.CUSTOMERS_READ, None),
]
STAFF_ROUTES += [  # the clinic profile (issue 17)
    ("GET", "/v1/org/profile", Permission.CATALOG_READ, None),
    ("PUT", "/v1/org/profile", Permission.CATALOG_MANAGE, {"address": "1 Main St"}),
]
STAFF_ROUTES += [  # ending an account (issue 14)
    ("GET", "/v1/org", Permission.CATALOG_READ, None),
    ("POST", "/v1/org/deletion", Permission.ORG_DELETION, {"code": "000000"}),
    ("DELETE", "/v1/org/deletion", Permission.ORG_DELETION, None),
]
STAFF_ROUTES += [  # one's own account, the evidence at a glance (issues 25, 26)
    ("DELETE", "/v1/auth/sessions", Permission.OWN_ACCOUNT, None),  # and a step-up: step_up_required here
    ("GET", "/v1/org/evidence", Permission.AUDIT_READ, None),
]
STAFF_ROUTES += [  # the weekly tools (issue 29) decided by the role table alone
    ("GET", "/v1/org/calendar-feeds", Permission.POLICY_READ, None),
    ("PUT", "/v1/org/calendar-feeds", Permission.POLICY_MANAGE, {"show_initials": False}),
    ("GET", "/v1/services/{service_id}/intake-form", Permission.CATALOG_READ, None),
    ("PUT", "/v1/services/{service_id}/intake-form", Permission.CATALOG_MANAGE, {"questions": []}),
    ("GET", "/v1/bookings/{booking_id}/intake", Permission.BOOKINGS_READ, None),
    ("GET", "/v1/webhooks", Permission.ORG_EXPORT, None),
    ("POST", "/v1/webhooks", Permission.ORG_EXPORT, {"url": "https://hooks.example.org/safeslot"}),
    ("DELETE", "/v1/webhooks/{endpoint_id}", Permission.ORG_EXPORT, None),
    ("GET", "/v1/webhooks/{endpoint_id}/deliveries", Permission.ORG_EXPORT, None),
]
# Routes whose staff-role answer also depends on the staff member named (a staff user: only their own);
# their role rules are tested where the feature is (tests/functional/weekly/).
PER_STAFF_ROUTES = [
    ("POST", "/v1/staff/{staff_id}/calendar-feed"), ("GET", "/v1/staff/{staff_id}/calendar-feed"),
    ("DELETE", "/v1/staff/{staff_id}/calendar-feed"), ("POST", "/v1/series-checks"), ("POST", "/v1/series"),
    ("GET", "/v1/series/{series_id}"), ("GET", "/v1/series/{series_id}/calendar.ics"),
    ("POST", "/v1/series/{series_id}/move"), ("POST", "/v1/series/{series_id}/cancel"),
]
ROLES = [role.value for role in Role]


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("admin", "staff", "frontdesk", "auditor"))


def test_matrix_covers_every_staff_route_of_the_app():
    from app import app
    from tests.functional.test_openapi import PUBLIC_OPERATIONS, served_operations

    public = {(path, method.upper()) for path, method in PUBLIC_OPERATIONS}
    staff = {op for op in served_operations() if op not in public}
    listed = {(path.replace(TARGET, "{user_id}").replace("sessions/unknown", "sessions/{session_id}")
               .replace("factors/unknown", "factors/{factor_id}").split("?")[0], method)
              for method, path, _, _ in STAFF_ROUTES}
    listed |= {(path.split("?")[0], method) for method, path, _ in VENDOR_ROUTES + SUPPORT_READ_ROUTES}
    listed |= {(path, method) for method, path in PER_STAFF_ROUTES}
    assert staff == listed, app


def concrete(path: str, target: str) -> str:
    """The path with the user placeholder made real and any other id unknown (404 once allowed)."""
    return re.sub(r"\{\w+\}", "unknown", path.replace(TARGET, target))


def test_without_a_token_every_staff_route_is_401(client, aws_stack):
    target = make_org("acme")["owner"].user_id
    for method, path, _, payload in STAFF_ROUTES:
        response = call(client, method, concrete(path, target), None, payload)

        assert (response.status_code, body(response)["error"]["code"]) == (401, "unauthenticated"), path


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_matrix_says(client, acme, role):
    for method, path, permission, payload in STAFF_ROUTES:
        if path == "/v1/auth/logout":
            continue  # ends the very token under test; covered in test_sessions
        token = token_for(client, acme[role])
        target = acme["frontdesk" if role != "frontdesk" else "staff"].user_id
        response = call(client, method, concrete(path, target), token, payload)
        allowed = Role(role) in PERMISSIONS[permission]
        if allowed:
            code = (body(response) or {}).get("error", {}).get("code") if response.status_code >= 400 else None
            assert code not in ("unauthenticated", "forbidden"), (role, method, path, response.body)
        else:
            assert (response.status_code, body(response)["error"]["code"]) == (403, "forbidden"), (
                role, method, path)


def test_admins_cannot_make_or_change_owners(client, acme):
    admin = token_for(client, acme["admin"])

    promote = call(client, "PATCH", f"/v1/users/{acme['staff'].user_id}", admin, {"role": "owner"})
    demote = call(client, "PATCH", f"/v1/users/{acme['owner'].user_id}", admin, {"disabled": True})
    create = post_json(client, "/v1/users", {"email": "o2@acme.example", "name": "O", "role": "owner"}, admin)

    assert promote.status_code == demote.status_code == create.status_code == 403


def test_nobody_changes_their_own_role_or_disables_themselves(client, acme):
    owner = token_for(client, acme["owner"])

    response = call(client, "PATCH", f"/v1/users/{acme['owner'].user_id}", owner, {"disabled": True})

    assert response.status_code == 403


def test_another_orgs_ids_lead_nowhere(client, acme):
    other = make_org("globex", roles=("admin",))
    intruder = token_for(client, other["admin"])
    victim = acme["staff"].user_id

    for method, path, payload in [("GET", f"/v1/users/{victim}", None),
                                  ("PATCH", f"/v1/users/{victim}", {"name": "Pwned"}),
                                  ("POST", f"/v1/users/{victim}/reset", None),
                                  ("POST", f"/v1/users/{victim}/unlock", None),
                                  ("DELETE", f"/v1/users/{victim}/sessions", None)]:
        assert call(client, method, path, intruder, payload).status_code == 404, (method, path)
    listed = body(call(client, "GET", "/v1/users", intruder))["users"]
    assert {u["email"] for u in listed} == {"owner@globex.example", "admin@globex.example"}
    assert body(call(client, "GET", "/v1/audit-events", intruder))["events"][0]["actor"] != acme["owner"].user_id


def test_role_and_tenant_cannot_be_mass_assigned(client, acme):
    owner = token_for(client, acme["owner"])

    sneaky = post_json(client, "/v1/users", {"email": "m@acme.example", "name": "M", "role": "staff",
                                             "org_id": "globex", "is_admin": True}, owner)

    assert (sneaky.status_code, body(sneaky)["error"]["code"]) == (422, "validation_failed")


# --- vendor support principals (issue 15) -------------------------------------------------------------

def live_support_token(acme) -> str:
    """The support token of a live grant to acme (the grant steps are tested in tests/functional/transparency)."""
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.models.support import SupportGrant
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.support import sessions as support_sessions
    from tests.functional.transparency.helpers import make_vendor

    vendor = make_vendor()
    grant = SupportGrant("g-matrix", org_id=acme["owner"].org_id, agent_id=vendor.first.user_id, kind="request",
                         reason="matrix", hours=1, status="active", requested_at=clock.now(),
                         expires_at=clock.now() + timedelta(hours=1))
    grant.save()
    agent = Principal(vendor.org_id, vendor.first.user_id, "owner", "s", "full", SYSTEM, assurance=2)
    return str(support_sessions.open_session(agent, grant.grant_id)["token"])


def test_without_a_token_every_support_route_is_401(client, aws_stack):
    for method, path, payload in VENDOR_ROUTES + SUPPORT_READ_ROUTES:
        response = call(client, method, concrete(path, "unknown"), None, payload)

        assert (response.status_code, body(response)["error"]["code"]) == (401, "unauthenticated"), path


@pytest.mark.parametrize("role", ROLES)
def test_no_clinic_role_reaches_a_support_route(client, acme, role):
    token = token_for(client, acme[role])
    for method, path, payload in VENDOR_ROUTES + SUPPORT_READ_ROUTES:
        response = call(client, method, concrete(path, "unknown"), token, payload)

        assert response.status_code == 404, (role, method, path)


def test_a_support_principal_reaches_only_the_read_only_support_routes(client, acme):
    support = live_support_token(acme)
    target = acme["staff"].user_id

    for method, path, _, payload in STAFF_ROUTES:
        response = call(client, method, concrete(path, target), support, payload)
        assert (response.status_code, body(response)["error"]["code"]) == (401, "unauthenticated"), path
    for method, path, payload in VENDOR_ROUTES:
        assert call(client, method, concrete(path, "unknown"), support, payload).status_code == 401, path
    for method, path, payload in SUPPORT_READ_ROUTES:
        assert call(client, method, concrete(path, "unknown"), support, payload).status_code in (200, 404), path
    assert call(client, "GET", "/v1/support/services", support).status_code == 200
