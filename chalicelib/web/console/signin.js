// Signing in: password, then the second factor the account has, or the forced password change.
// The session arrives as an HttpOnly cookie; this module only ever sees the second step's short token.
import { api } from "./api.js";
import { _ } from "./i18n.js";
import { $, explain, say, show, warn } from "./screens.js";
import { keyAssertion } from "./webauthn.js";
import { duoAnswer } from "./duo.js";

const CODE_METHODS = ["totp", "recovery", "sms", "voice"];
const OTHER_METHODS = ["webauthn", "duo"];
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
        const credential = await keyAssertion(options);
        await next(await api("POST", "/v1/auth/mfa/verify", { mfa_token: mfaToken, method, credential }), onSignedIn);
      } else if (method === "duo") {
        const prompt = await api("POST", "/v1/auth/mfa/duo/start", { mfa_token: mfaToken });
        if (prompt.fallback) {  // Duo is down and the clinic lets its people use their own methods
          offer(prompt.methods);
          say(_("Duo cannot be reached. Use one of your other methods."));
          return;
        }
        say(_("Confirm in the Duo window that opened."));
        const { code, state } = await duoAnswer(prompt.auth_url);
        await next(await api("POST", "/v1/auth/mfa/verify", { mfa_token: mfaToken, method, code, state }), onSignedIn);
      } else {
        const code = $("factor-code").value.replace(/\s+/g, "");
        await next(await api("POST", "/v1/auth/mfa/verify", { mfa_token: mfaToken, method, code }), onSignedIn);
      }
      $("factor-code").value = "";
    } catch (error) {
      const words = { webauthn: _("The security key did not answer. Please try again."),
                      popup_blocked: _("Your browser blocked Duo's window. Allow pop-ups for SafeSlot and try again."),
                      duo_timeout: _("Duo did not answer in time. Please try again.") };
      warn(words[error.code] || explain(error));
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
    offer(answer.methods);
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

function offer(methods) {
  $("factor-method").replaceChildren(...methods.filter((m) => OTHER_METHODS.includes(m) || CODE_METHODS.includes(m))
    .map((m) => new Option(methodName(m), m)));
  describeMethod();
}

function methodName(method) {
  return {
    totp: _("Code from my authenticator app"),
    recovery: _("A recovery code"),
    sms: _("A code by text message"),
    voice: _("A code by phone call"),
    webauthn: _("My security key"),
    duo: _("Duo (push, call or passcode)"),
  }[method];
}

function describeMethod() {
  const method = $("factor-method").value;
  $("factor-code-box").hidden = OTHER_METHODS.includes(method);
  $("factor-code").required = !OTHER_METHODS.includes(method);
  $("factor-code-label").textContent = method === "recovery" ? _("Recovery code") : _("Code");
  if (method === "sms" || method === "voice") {
    const path = method === "sms" ? "/v1/auth/mfa/sms/send" : "/v1/auth/mfa/voice/call";
    api("POST", path, { mfa_token: mfaToken }).then(() => say(_("We sent you a code."))).catch((e) => warn(explain(e)));
  }
}
