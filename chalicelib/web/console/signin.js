// Signing in: password, then the second factor the account has, or the forced password change.
// The session arrives as an HttpOnly cookie; this module only ever sees the second step's short token.
import { api } from "./api.js";
import { _ } from "./i18n.js";
import { $, explain, say, show, warn } from "./screens.js";

const CODE_METHODS = ["totp", "recovery", "sms", "voice"];
let mfaToken = null;

export function startSignIn(onSignedIn) {
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    warn("");
    const body = { org: $("org").value.trim(), email: $("email").value.trim(), password: $("password").value };
    try {
      const answer = await api("POST", "/v1/auth/login", body);
      $("password").value = "";
      await next(answer, onSignedIn);
    } catch (error) {
      warn(explain(error));
    }
  });
  $("factor-method").addEventListener("change", describeMethod);
  $("factor-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    warn("");
    const method = $("factor-method").value;
    try {
      if (method === "webauthn") {
        const { options } = await api("POST", "/v1/auth/mfa/webauthn/options", { mfa_token: mfaToken });
        const credential = await useSecurityKey(options);
        await next(await api("POST", "/v1/auth/mfa/verify", { mfa_token: mfaToken, method, credential }), onSignedIn);
      } else {
        const code = $("factor-code").value.replace(/\s+/g, "");
        await next(await api("POST", "/v1/auth/mfa/verify", { mfa_token: mfaToken, method, code }), onSignedIn);
      }
      $("factor-code").value = "";
    } catch (error) {
      warn(error.code === "webauthn" ? _("The security key did not answer. Please try again.") : explain(error));
    }
  });
  $("password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    warn("");
    const body = { current_password: $("current-password").value, new_password: $("new-password").value };
    try {
      const answer = await api("POST", "/v1/auth/password", body);
      $("current-password").value = $("new-password").value = "";
      say(_("Your password is changed."));
      await next(answer || {}, onSignedIn);
    } catch (error) {
      warn(explain(error));
    }
  });
}

async function next(answer, onSignedIn) {
  if (answer.mfa_required) {
    mfaToken = answer.mfa_token;
    const select = $("factor-method");
    select.replaceChildren(...answer.methods.filter((m) => m === "webauthn" || CODE_METHODS.includes(m))
      .map((m) => new Option(methodName(m), m)));
    describeMethod();
    show("factor");
    return;
  }
  mfaToken = null;
  if (answer.password_change_required) {
    show("password");
    return;
  }
  await onSignedIn();
}

function methodName(method) {
  return {
    totp: _("Code from my authenticator app"),
    recovery: _("A recovery code"),
    sms: _("A code by text message"),
    voice: _("A code by phone call"),
    webauthn: _("My security key"),
  }[method];
}

function describeMethod() {
  const method = $("factor-method").value;
  $("factor-code-box").hidden = method === "webauthn";
  $("factor-code").required = method !== "webauthn";
  $("factor-code-label").textContent = method === "recovery" ? _("Recovery code") : _("Code");
  if (method === "sms" || method === "voice") {
    const path = method === "sms" ? "/v1/auth/mfa/sms/send" : "/v1/auth/mfa/voice/call";
    api("POST", path, { mfa_token: mfaToken }).then(() => say(_("We sent you a code."))).catch((e) => warn(explain(e)));
  }
}

// WebAuthn's JSON options (base64url) to the browser's own API, and its answer back to JSON.
const fromB64 = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const toB64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function useSecurityKey(options) {
  const publicKey = { ...options, challenge: fromB64(options.challenge),
                      allowCredentials: (options.allowCredentials || []).map((c) => ({ ...c, id: fromB64(c.id) })) };
  let credential;
  try {
    credential = await navigator.credentials.get({ publicKey });
  } catch {
    throw Object.assign(new Error("webauthn"), { code: "webauthn" });
  }
  const r = credential.response;
  return { id: credential.id, rawId: toB64(credential.rawId), type: credential.type,
           response: { clientDataJSON: toB64(r.clientDataJSON), authenticatorData: toB64(r.authenticatorData),
                       signature: toB64(r.signature), userHandle: r.userHandle ? toB64(r.userHandle) : null },
           clientExtensionResults: credential.getClientExtensionResults() };
}
