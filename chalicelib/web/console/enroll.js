// Adding a sign-in method, and new recovery codes, each behind the step-up the API demands (ADR 0015):
// the password and, once the user has a method, a code or a security key, proven now
// (POST /v1/auth/step-up). Then an authenticator app (its QR code drawn by the server as SVG, shown as
// an image), a security key (navigator.credentials.create), or a phone for texts or calls. The first
// method brings recovery codes; in an enrol-only session (the clinic requires a method) it also turns
// the session into a full one, in the HttpOnly cookie.
import { api } from "./api.js";
import { _, language } from "./i18n.js";
import { $, explain, say, show, warn } from "./screens.js";
import { keyAssertion, newKeyCredential } from "./webauthn.js";
import { showCodes } from "./recovery_codes.js";

const STEPS = ["stepup-form", "kind-form", "totp-form", "phone-form", "phone-code-form", "key-form"];
let current = { purpose: "enroll", hasFactor: false, done: () => null };
let phoneKind = "sms";

function step(id) {
  for (const name of STEPS) $(name).hidden = name !== id;
  const first = $(id).querySelector("input:checked, input");
  if (first) first.focus();
}

// purpose: "enroll" (add a method), "codes" (new recovery codes) or "everywhere" (end every other
// session); done(answer) when it is over.
export function openEnrollment({ required = false, hasFactor = false, hasKey = false, purpose = "enroll", done }) {
  current = { purpose, hasFactor, done };
  $("enroll-title").textContent = { codes: _("New recovery codes"), everywhere: _("Sign out everywhere") }[purpose]
    || _("Add a sign-in method");
  $("enroll-required").hidden = !required;
  $("stepup-code-box").hidden = !hasFactor;
  $("stepup-key").hidden = !hasKey;
  for (const id of ["stepup-password", "stepup-code", "totp-code", "phone-number", "phone-code", "key-label"]) $(id).value = "";
  $("totp-qr").removeAttribute("src");
  $("totp-secret").textContent = "";
  show("enroll");
  for (const name of STEPS) $(name).hidden = name !== "stepup-form";
}

async function steppedUp(proof) {
  await api("POST", "/v1/auth/step-up", { password: $("stepup-password").value, ...proof });
  $("stepup-password").value = $("stepup-code").value = "";
  if (current.purpose === "codes") {
    const { recovery_codes: codes } = await api("POST", "/v1/auth/mfa/recovery-codes");
    showCodes(codes, () => current.done({}));
    return;
  }
  if (current.purpose === "everywhere") {
    await current.done(await api("DELETE", "/v1/auth/sessions"));
    return;
  }
  step("kind-form");
}

async function finished(answer) {
  say(_("Your new sign-in method is ready."));
  if (answer.recovery_codes) {
    showCodes(answer.recovery_codes, () => current.done(answer));
    return;
  }
  await current.done(answer);
}

function guarded(handler) {
  return async (event) => {
    event.preventDefault();
    warn("");
    try {
      await handler(event);
    } catch (error) {
      warn(error.code === "webauthn" ? _("The security key did not answer. Please try again.") : explain(error));
    }
  };
}

export function startEnrollment() {
  $("stepup-form").addEventListener("submit", guarded(() => {
    const code = $("stepup-code").value.replace(/\s+/g, "");
    return steppedUp(current.hasFactor ? { code } : {});
  }));
  $("stepup-key").addEventListener("click", guarded(async () => {
    const { options } = await api("POST", "/v1/auth/mfa/webauthn/reauth-options");
    await steppedUp({ credential: await keyAssertion(options) });
  }));
  $("kind-form").addEventListener("submit", guarded(async () => {
    const kind = $("kind-form").querySelector("input[name=kind]:checked").value;
    if (kind === "totp") {
      const started = await api("POST", "/v1/auth/mfa/totp/enroll");
      $("totp-qr").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(started.qr_svg);
      $("totp-secret").textContent = started.secret.replace(/(.{4})/g, "$1 ").trim();
      step("totp-form");
    } else if (kind === "webauthn") {
      step("key-form");
    } else {
      phoneKind = kind;
      $("phone-legend").textContent = kind === "sms" ? _("Codes by text message") : _("Codes by phone call");
      step("phone-form");
    }
  }));
  $("totp-form").addEventListener("submit", guarded(async () => {
    const code = $("totp-code").value.replace(/\s+/g, "");
    await finished(await api("POST", "/v1/auth/mfa/totp/confirm", { code }));
  }));
  $("phone-form").addEventListener("submit", guarded(async () => {
    await api("POST", `/v1/auth/mfa/${phoneKind}/enroll`, { phone: $("phone-number").value.trim(), language });
    say(phoneKind === "sms" ? _("We sent you a code.") : _("We are calling you with a code."));
    step("phone-code-form");
  }));
  $("phone-code-form").addEventListener("submit", guarded(async () => {
    const code = $("phone-code").value.replace(/\s+/g, "");
    await finished(await api("POST", `/v1/auth/mfa/${phoneKind}/confirm`, { code }));
  }));
  $("key-form").addEventListener("submit", guarded(async () => {
    const { options } = await api("POST", "/v1/auth/mfa/webauthn/register/options");
    const credential = await newKeyCredential(options);
    const label = $("key-label").value.trim() || null;
    await finished(await api("POST", "/v1/auth/mfa/webauthn/register", { credential, label }));
  }));
}
