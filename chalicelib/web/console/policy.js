// The security policy (GET and PUT /v1/org/security-policy): password rules and expiry, lockout, the
// roles that need a second factor, session limits, the network allowlist, retention, and whether public
// bookings wait for the patient's mailbox proof. Saving needs the step-up (ADR 0015).
import { api } from "./api.js";
import { checked, el, linesOf, numberOf } from "./dom.js";
import { _ } from "./i18n.js";
import { ROLE_NAMES } from "./people.js";
import { $, explain, say, warn } from "./screens.js";
import { withStepUp } from "./stepup.js";

const NUMBERS = ["password_min_length", "password_max_age_days", "password_history", "lockout_threshold",
                 "lockout_minutes", "session_idle_minutes", "session_max_hours", "booking_retention_days",
                 "customer_retention_days", "audit_retention_days"];
const SWITCHES = ["password_require_classes", "require_email_verification"];

export function startPolicy() {
  const names = ROLE_NAMES();
  $("policy-require-mfa").append(...Object.keys(names).map((role) => el("label", { class: "choice" },
    el("input", { type: "checkbox", name: "policy-mfa-role", value: role }), ` ${names[role]}`)));
  $("policy-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    warn("");
    const changes = { ip_allowlist: linesOf("policy-ip_allowlist"), require_mfa: checked("policy-mfa-role") };
    NUMBERS.forEach((name) => { if (numberOf(`policy-${name}`) !== undefined) changes[name] = numberOf(`policy-${name}`); });
    SWITCHES.forEach((name) => { changes[name] = $(`policy-${name}`).checked; });
    try {
      fillPolicy(await withStepUp(() => api("PUT", "/v1/org/security-policy", changes)));
      say(_("The security policy is saved. Every owner was told by e-mail."));
    } catch (error) {
      if (error.code !== "step_up_cancelled") warn(explain(error));
    }
  });
}

function fillPolicy(policy) {
  NUMBERS.forEach((name) => { $(`policy-${name}`).value = policy[name]; });
  SWITCHES.forEach((name) => { $(`policy-${name}`).checked = policy[name]; });
  $("policy-ip_allowlist").value = policy.ip_allowlist.join("\n");
  document.querySelectorAll('input[name="policy-mfa-role"]').forEach((box) => {
    box.checked = policy.require_mfa.includes(box.value);
  });
}

export async function showPolicy() {
  try {
    fillPolicy(await api("GET", "/v1/org/security-policy"));
  } catch (error) {
    warn(explain(error));
  }
}
