// Evidence at a glance (GET /v1/org/evidence): the last backup and where it is kept, the last restore
// drill that passed, when the audit chain was last verified against its signed digests, failed sign-ins
// of the week and open data requests, each with a link to its details.
import { api } from "./api.js";
import { el, when } from "./dom.js";
import { _, language } from "./i18n.js";
import { mayOpen } from "./roles.js";
import { $, explain, warn } from "./screens.js";

let open = () => {};
let zone = "UTC";
let role = "auditor";

export function startEvidence(session, openScreen) {
  open = openScreen;
  zone = session.org.timezone;
  role = session.user.role;
}

function ran(run, never) {
  if (!run.last_run_at) return never;
  const last = when(run.last_run_at, language, zone);
  if (run.last_outcome === "success") return _("Succeeded %(when)s", { when: last });
  const passed = run.last_success_at ? when(run.last_success_at, language, zone) : _("never");
  return _("Failed %(when)s; last success %(passed)s", { when: last, passed });
}

function item(term, text, link, bad) {
  const details = link && mayOpen(role, link.screen) ? el("button", { type: "button", class: "link", text: link.text,
                                        on: { click: () => open(link.screen, link.focus) } }) : null;
  return [el("dt", { text: term }), el("dd", { class: bad ? "bad" : null }, el("span", { text }), " ", details)];
}

export async function showEvidence() {
  let evidence;
  try {
    ({ evidence } = await api("GET", "/v1/org/evidence"));
  } catch (error) {
    warn(explain(error));
    return;
  }
  const chain = evidence.audit_chain;
  const digest = chain.latest_digest;
  const failed = evidence.failed_sign_ins.count;
  const requests = evidence.open_requests;
  $("evidence-checked").textContent = _("As of %(when)s (times are the clinic's: %(zone)s)",
                                         { when: when(evidence.checked_at, language, zone), zone });
  const auditLink = { screen: "audit", text: _("See the audit trail"), focus: "audit-title" };
  $("evidence-list").replaceChildren(
    ...item(_("Last backup"), [ran(evidence.backup, _("No backup has run yet.")),
                               _("kept in %(regions)s", { regions: evidence.backup.regions.join(", ") })].join(" · "),
            auditLink, evidence.backup.last_outcome !== "success"),
    ...item(_("Last restore drill"), ran(evidence.restore_drill, _("No restore drill has run yet.")), auditLink,
            evidence.restore_drill.last_outcome !== "success"),
    ...item(_("Audit chain verified against its signed digests"),
            ran(chain.job, _("Not verified yet.")), auditLink, chain.job.last_outcome === "failure"),
    ...item(_("Latest signed digest"), digest
      ? _("Number %(number)s, %(when)s, up to event %(seq)s",
          { number: digest.number, when: when(digest.created_at, language, zone), seq: digest.last_seq })
      : _("None yet."), auditLink),
    ...item(_("Failed sign-ins in the last 7 days"), String(failed),
            { screen: "audit", text: _("See the sign-in attempts"), focus: "attempts-title" }),
    ...item(_("Open data requests"), _("%(erasure)s erasure requests, %(support)s support access requests",
                                       { erasure: requests.erasure_requests, support: requests.support_requests }),
            { screen: "privacy", text: _("See the requests"), focus: "support-title" }),
  );
}
