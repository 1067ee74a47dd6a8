// The audit trail (GET /v1/audit-events, filtered by person, patient, action and time), verifying the
// chain against its signed digests (GET /v1/audit-events/verify), and sign-in attempts
// (GET /v1/login-attempts). Reading any of them is itself an audit event on the server.
import { api } from "./api.js";
import { fill, row, when } from "./dom.js";
import { _, language } from "./i18n.js";
import { $, explain, say, warn } from "./screens.js";

let zone = "UTC";
let names = {};
let listPeople = null;

export function startAudit(session, peopleLister) {
  zone = session.org.timezone;
  $("audit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showEvents();
  });
  $("audit-verify").addEventListener("click", verify);
  listPeople = peopleLister;
}

function dayStart(id) {
  return $(id).value ? `${$(id).value}T00:00:00Z` : null;
}

function dayEnd(id) {
  return $(id).value ? `${$(id).value}T23:59:59Z` : null;
}

async function showEvents() {
  warn("");
  const params = new URLSearchParams({ limit: "100" });
  const filters = { actor: $("audit-person").value, customer_id: $("audit-patient").value.trim(),
                    action: $("audit-action").value.trim(), from: dayStart("audit-from"), to: dayEnd("audit-to") };
  Object.entries(filters).forEach(([name, value]) => { if (value) params.set(name, value); });
  try {
    const { events } = await api("GET", `/v1/audit-events?${params}`);
    fill("audit-rows", events.map((e) => row([
      when(e.at, language, zone), names[e.actor] || e.actor, e.action,
      e.outcome === "success" ? _("Succeeded") : _("Failed"),
      Object.entries(e.subjects || {}).map(([k, v]) => `${k}: ${v}`).join("; "),
    ])), "audit-empty");
  } catch (error) {
    warn(explain(error));
  }
}

async function verify() {
  warn("");
  $("audit-verified").textContent = _("Verifying…");
  try {
    const result = await api("GET", "/v1/audit-events/verify");
    $("audit-verified").textContent = result.ok
      ? _("The chain is intact: %(events)s events checked against %(digests)s signed digests.",
          { events: result.events_checked, digests: result.digests_checked })
      : _("The chain is broken at event %(seq)s.", { seq: result.failed_at_seq });
  } catch (error) {
    $("audit-verified").textContent = "";
    warn(explain(error));
  }
}

async function showAttempts() {
  const { attempts } = await api("GET", "/v1/login-attempts?limit=50");
  fill("attempts-rows", attempts.map((a) => row([
    when(a.at, language, zone), names[a.user_id] || a.user_id || _("Unknown account"), a.outcome, a.source_ip || "",
  ])), "attempts-empty");
}

export async function showAudit() {
  warn("");
  try {
    if (listPeople && Object.keys(names).length === 0) {
      const people = await listPeople();
      names = Object.fromEntries(people.map((p) => [p.id, p.name]));
      $("audit-person").append(...people.map((p) => new Option(p.name, p.id)));
    }
    await Promise.all([showEvents(), showAttempts()]);
    say("");
  } catch (error) {
    warn(explain(error));
  }
}
