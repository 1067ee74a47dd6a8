// Privacy: support access (approve with a fresh factor, refuse, revoke, and what support read under
// each grant), patients' erasure requests (carry out or refuse with a reason), the privacy policy's
// versions (publish with an effective date; who has been told of each), the sub-processors, and, for owners only, the org export
// (released after its cooling-off, which can be stopped) and the org's deletion (30 days' grace, cancel).
import { api } from "./api.js";
import { el, fill, row, when } from "./dom.js";
import { _, language } from "./i18n.js";
import { isOwner } from "./roles.js";
import { $, explain, say, warn } from "./screens.js";
import { withStepUp } from "./stepup.js";

let session = null;
let exportId = null;
const STATES = () => ({ requested: _("Waiting for your decision"), awaiting_second: _("Waiting for a second approver"),
                        active: _("Allowed"), refused: _("Refused"), revoked: _("Ended"), expired: _("Expired") });

export function startPrivacy(current) {
  session = current;
  $("owner-only").hidden = !isOwner(current.user.role);
  $("publish-form").addEventListener("submit", (event) => act(event, publish));
  $("export-form").addEventListener("submit", (event) => act(event, startExport));
  $("export-stop").addEventListener("click", (event) => act(event, stopExport));
  $("deletion-form").addEventListener("submit", (event) => act(event, requestDeletion));
  $("deletion-cancel").addEventListener("click", (event) => act(event, cancelDeletion));
}

async function act(event, work) {
  event.preventDefault();
  warn("");
  try {
    await work();
  } catch (error) {
    if (error.code === "factor_too_new") warn(_("Your authenticator was added too recently for this. Please try again later."));
    else if (error.code === "step_up_required") warn(_("Sign in again with your second factor to do this."));
    else if (error.code !== "step_up_cancelled") warn(explain(error));
  }
}

const zone = () => session.org.timezone;
const button = (text, label, work) => el("button", { type: "button", text, "aria-label": label,
                                                     on: { click: (event) => act(event, work) } });

export async function showPrivacy() {
  warn("");
  try {
    await Promise.all([showGrants(), showErasures(), showPolicies(), showSubprocessors(),
                       isOwner(session.user.role) ? showDeletion() : null]);
  } catch (error) {
    warn(explain(error));
  }
}

async function showGrants() {
  const { grants } = await api("GET", "/v1/org/support-grants");
  const states = STATES();
  fill("grants-rows", grants.map((g) => row([
    when(g.requested_at, language, zone()), g.reason, String(g.hours), states[g.status] || g.status,
    el("div", { class: "actions" },
      g.status === "requested" ? button(_("Approve"), `${_("Approve")}: ${g.reason}`, () => decide(g, "approve")) : null,
      g.status === "requested" ? button(_("Refuse"), `${_("Refuse")}: ${g.reason}`, () => decide(g, "refuse")) : null,
      g.status === "active" ? button(_("Revoke"), `${_("Revoke")}: ${g.reason}`, () => decide(g, "revoke")) : null,
      button(_("What support did"), `${_("What support did")}: ${g.reason}`, () => activity(g))),
  ])), "grants-empty");
}

async function decide(grant, decision) {
  const body = {};
  await withStepUp(() => api("POST", `/v1/org/support-grants/${grant.id}/${decision}`, body));
  say({ approve: _("Support may now read your clinic's data for %(hours)s hours.", { hours: grant.hours }),
        refuse: _("The request was refused."), revoke: _("Support's access has ended.") }[decision]);
  await showGrants();
}

async function activity(grant) {
  const { activity: done } = await api("GET", `/v1/org/support-grants/${grant.id}`);
  say(done.length === 0 ? _("Support has not read anything under this grant.")
    : done.map((e) => `${when(e.at, language, zone())} ${e.action}`).join("; "));
}

async function showErasures() {
  const { erasure_requests: requests } = await api("GET", "/v1/erasure-requests");
  fill("erasure-rows", requests.map((r) => {
    const reason = el("input", { maxlength: "1000", "aria-label": _("Reason for refusing"), autocomplete: "off" });
    return row([when(r.requested_at, language, zone()), r.customer_id, el("div", { class: "actions" },
      button(_("Erase"), `${_("Erase")}: ${r.customer_id}`, async () => {
        await withStepUp(() => api("DELETE", `/v1/customers/${r.customer_id}?reason=patient_request`));
        say(_("The patient is erased."));
        await showErasures();
      }),
      reason,
      button(_("Refuse"), `${_("Refuse")}: ${r.customer_id}`, async () => {
        await api("POST", `/v1/erasure-requests/${r.id}/refuse`, { reason: reason.value.trim() });
        say(_("The request was refused; the patient is told why."));
        await showErasures();
      }))]);
  }), "erasure-empty");
}

async function showPolicies() {
  const { versions } = await api("GET", "/v1/org/privacy-policies");
  const told = await Promise.all(versions.map((v) => api("GET", `/v1/org/privacy-policies/${v.version}/notices`)));
  fill("policies-rows", versions.map((v, i) => row([String(v.version), when(v.effective_at, language, zone()), v.summary,
                                                    whoWasTold(told[i].notices)])));
}

// Who has been told of a version: staff by name, patients as counts only (the API names none).
function whoWasTold({ staff, patients, last_sent_at: last }) {
  const names = staff.members.filter((m) => m.told).map((m) => m.name);
  return el("div", {},
    el("p", { text: _("Staff: %(told)s told, %(to_tell)s still to tell", staff) }),
    el("p", { text: _("Patients: %(told)s told, %(to_tell)s still to tell", patients) }),
    patients.without_email ? el("p", { text: _("%(count)s without an e-mail address", { count: patients.without_email }) }) : null,
    last ? el("p", { text: _("Last notice: %(when)s", { when: when(last, language, zone()) }) }) : null,
    names.length ? el("details", {}, el("summary", { text: _("Staff told") }),
                      el("ul", {}, ...names.map((name) => el("li", { text: name })))) : null);
}

async function publish() {
  const body = { text: $("publish-text").value, summary: $("publish-summary").value.trim() };
  if ($("publish-effective").value) body.effective_at = `${$("publish-effective").value}T00:00:00Z`;
  await api("POST", "/v1/org/privacy-policies", body);
  $("publish-text").value = $("publish-summary").value = "";
  say(_("The new version is published. Patients are told before it takes effect."));
  await showPolicies();
}

async function showSubprocessors() {
  const { subprocessors } = await api("GET", `/v1/public/orgs/${session.org.slug}/privacy-policy`);
  fill("subprocessors-rows", subprocessors.subprocessors.map((s) => row([`${s.name} (${s.provider})`, s.purpose])));
}

async function startExport() {
  const { export: started } = await withStepUp(() => api("POST", "/v1/org/exports", {}));
  exportId = started.id;
  $("export-state").textContent = _("The export is being prepared. It is released at %(when)s; until then you can stop it. Keep this key to open the file: %(key)s",
    { when: when(started.release_at, language, zone()), key: started.decryption_key || "" });
  $("export-stop").hidden = false;
}

async function stopExport() {
  await api("POST", `/v1/org/exports/${exportId}/stop`, {});
  $("export-state").textContent = _("The export was stopped.");
  $("export-stop").hidden = true;
}

async function showDeletion() {
  const { org } = await api("GET", "/v1/org");
  const scheduled = org.deletion;
  $("deletion-state").textContent = scheduled
    ? _("Everything the clinic holds will be deleted on %(when)s.", { when: when(scheduled.deletes_at, language, zone()) })
    : _("The clinic's account is open.");
  $("deletion-form").hidden = Boolean(scheduled);
  $("deletion-cancel").hidden = !scheduled;
}

async function requestDeletion() {
  await withStepUp(() => api("POST", "/v1/org/deletion", {}));
  await showDeletion();
}

async function cancelDeletion() {
  await api("DELETE", "/v1/org/deletion");
  await showDeletion();
}
