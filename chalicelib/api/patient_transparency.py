"""Patients' transparency routes (no login): the org's privacy policy with its change notice and
sub-processors, and "who saw my record" through the e-mailed link (token in X-Manage-Token)."""

from __future__ import annotations

import html
from typing import Any

from chalice import Blueprint, Response

from chalicelib import clock
from chalicelib.api.requests import header, origin_of
from chalicelib.services import access_report, privacy_policies, rate_limits
from chalicelib.services.organizations import org_by_slug

patient_transparency = Blueprint(__name__)
MANAGE_TOKEN_HEADER = "X-Manage-Token"  # noqa: S105 (a header name)


@patient_transparency.route("/v1/public/orgs/{slug}/privacy-policy", methods=["GET"])
def get_privacy_policy(slug: str) -> dict[str, Any]:
    _throttle(rate_limits.PUBLIC_READS_PER_IP)
    return privacy_policies.public_view(org_by_slug(slug))


@patient_transparency.route("/v1/public/my-access-report", methods=["GET"])
def get_my_access_report() -> dict[str, Any]:
    _throttle(rate_limits.PUBLIC_READS_PER_IP)
    request = patient_transparency.current_request
    return access_report.report_for_link(header(request, MANAGE_TOKEN_HEADER), origin_of(request))


@patient_transparency.route("/privacy/{slug}", methods=["GET"])
def privacy_page(slug: str) -> Response:
    _throttle(rate_limits.PUBLIC_READS_PER_IP)
    view = privacy_policies.public_view(org_by_slug(slug))
    return Response(body=privacy_page_html(view), headers={"Content-Type": "text/html; charset=utf-8"})


def privacy_page_html(view: dict[str, Any]) -> str:
    """The hosted policy page: a prominent notice while a new version is announced, then its date."""
    org, current, upcoming = view["org"], view["current"], view["upcoming"]
    name = html.escape(org["name"])
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Privacy policy of {name}</title>",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
             "<meta name=\"referrer\" content=\"no-referrer\"><link rel=\"icon\" href=\"data:,\">",
             "<link rel=\"stylesheet\" href=\"../static/booking.css\"></head><body><main>",
             f"<h1>Privacy policy of {name}</h1>"]
    if upcoming:
        parts.append("<aside class=\"notice\" role=\"alert\" id=\"policy-notice\"><strong>Our privacy policy "
                     f"changes on {_day(upcoming['effective_at'])}.</strong> What changes: "
                     f"{html.escape(upcoming['summary'])} <a href=\"#upcoming\">Read the new version</a>.</aside>")
    if current:
        parts += [f"<p id=\"effective-date\">Effective date: {_day(current['effective_at'])} "
                  f"(version {current['version']})</p>", f"<article id=\"current\">{current['html']}</article>"]
    else:
        parts.append("<p>This organization has not published a privacy policy yet.</p>")
    if upcoming:
        parts += [f"<h2 id=\"upcoming\">New version, effective {_day(upcoming['effective_at'])}</h2>",
                  f"<article>{upcoming['html']}</article>"]
    parts += [*_subprocessor_section(view["subprocessors"]), "</main></body></html>"]
    return "\n".join(parts)


def _subprocessor_section(document: dict[str, Any]) -> list[str]:
    rows = "".join(f"<tr><td>{html.escape(s['name'])}</td><td>{html.escape(s['provider'])}</td>"
                   f"<td>{html.escape(s['purpose'])}</td></tr>" for s in document["subprocessors"])
    return ["<h2 id=\"subprocessors\">Where your data goes</h2>", f"<p>{html.escape(document['statement'])}</p>",
            f"<table><thead><tr><th>Service</th><th>Provider</th><th>Purpose</th></tr></thead><tbody>{rows}</tbody></table>"]


def _day(instant: str) -> str:
    return clock.parse_instant(instant, "effective_at").strftime("%d %B %Y")


def _throttle(limit: rate_limits.Limit) -> None:
    rate_limits.throttle(limit, origin_of(patient_transparency.current_request).source_ip or "unknown")
