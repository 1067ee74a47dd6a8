"""Patients' transparency routes (no login): the org's privacy policy with its change notice and
sub-processors, and "who saw my record" through the e-mailed link (token in X-Manage-Token)."""

from __future__ import annotations

import html
from typing import Any

from chalice import Blueprint, Response

from chalicelib import clock
from chalicelib.api.requests import header, origin_of, query_param
from chalicelib.i18n import DEFAULT_LANGUAGE, Gettext, direction, gettext_for, negotiate
from chalicelib.services import access_report, privacy_policies, rate_limits
from chalicelib.services.booking.profile import profile_of
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
    request = patient_transparency.current_request
    org = org_by_slug(slug)
    language = negotiate(query_param(request, "lang"), header(request, "Accept-Language"),
                         profile_of(org).default_language)
    view = privacy_policies.public_view(org)
    return Response(body=privacy_page_html(view, language), headers={"Content-Type": "text/html; charset=utf-8",
                                                                     "Vary": "Accept-Language"})


def privacy_page_html(view: dict[str, Any], language: str = DEFAULT_LANGUAGE) -> str:
    """The hosted policy page in the visitor's language: a prominent notice while a new version is
    announced, then its date. The policy itself is the clinic's own text, as it published it."""
    _ = gettext_for(language)
    org, current, upcoming = view["org"], view["current"], view["upcoming"]
    values = {"clinic": html.escape(org["name"])}
    title = _("Privacy policy of %(clinic)s") % values
    parts = [f"<!doctype html><html lang=\"{language}\" dir=\"{direction(language)}\"><head>"
             f"<meta charset=\"utf-8\"><title>{title}</title>",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
             "<meta name=\"referrer\" content=\"no-referrer\"><link rel=\"icon\" href=\"data:,\">",
             "<link rel=\"stylesheet\" href=\"../static/booking.css\"></head><body><main>",
             f"<h1>{title}</h1>"]
    if upcoming:
        changes = html.escape(_("Our privacy policy changes on %(date)s.") % {
            "date": _day(upcoming["effective_at"], language)})
        what, read = html.escape(_("What changes:")), html.escape(_("Read the new version"))
        parts.append(f"<aside class=\"notice\" role=\"alert\" id=\"policy-notice\"><strong>{changes}</strong> "
                     f"{what} {html.escape(upcoming['summary'])} <a href=\"#upcoming\">{read}</a>.</aside>")
    if current:
        effective = _("Effective date: %(date)s (version %(version)s)") % {
            "date": _day(current["effective_at"], language), "version": current["version"]}
        parts += [f"<p id=\"effective-date\">{html.escape(effective)}</p>",
                  f"<article id=\"current\">{current['html']}</article>"]
    else:
        none_yet = _("This organization has not published a privacy policy yet.")
        parts.append(f"<p>{html.escape(none_yet)}</p>")
    if upcoming:
        heading = _("New version, effective %(date)s") % {"date": _day(upcoming["effective_at"], language)}
        parts += [f"<h2 id=\"upcoming\">{html.escape(heading)}</h2>", f"<article>{upcoming['html']}</article>"]
    parts += [*_subprocessor_section(view["subprocessors"], _), "</main></body></html>"]
    return "\n".join(parts)


def _subprocessor_section(document: dict[str, Any], _: Gettext) -> list[str]:
    rows = "".join(f"<tr><td>{html.escape(s['name'])}</td><td>{html.escape(s['provider'])}</td>"
                   f"<td>{html.escape(s['purpose'])}</td></tr>" for s in document["subprocessors"])
    head = "".join(f"<th>{html.escape(text)}</th>" for text in (_("Service"), _("Provider"), _("Purpose")))
    where = html.escape(_("Where your data goes"))
    return [f"<h2 id=\"subprocessors\">{where}</h2>",
            f"<p>{html.escape(document['statement'])}</p>",
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"]


def _day(instant: str, language: str) -> str:
    from babel.dates import format_date

    return str(format_date(clock.parse_instant(instant, "effective_at"), "long", locale=language))


def _throttle(limit: rate_limits.Limit) -> None:
    rate_limits.throttle(limit, origin_of(patient_transparency.current_request).source_ip or "unknown")
