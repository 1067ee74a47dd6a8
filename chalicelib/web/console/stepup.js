// The step-up (ADR 0015): when the API answers 403 step_up_required, the console asks for the password
// and a code from the person's authenticator, proves them with POST /v1/auth/step-up, and tries again.
import { api } from "./api.js";
import { _ } from "./i18n.js";
import { $, explain } from "./screens.js";

let pending = null;

export async function withStepUp(act) {
  try {
    return await act();
  } catch (error) {
    if (error.code !== "step_up_required") throw error;
  }
  await ask();
  return act();
}

function ask() {
  $("reconfirm-error").hidden = true;
  $("reconfirm").hidden = false;
  $("reconfirm-password").focus();
  return new Promise((resolve, reject) => { pending = { resolve, reject, opener: document.activeElement }; });
}

function close() {
  $("reconfirm").hidden = true;
  $("reconfirm-password").value = $("reconfirm-code").value = "";
}

export function startStepUp() {
  $("reconfirm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { password: $("reconfirm-password").value };
    const code = $("reconfirm-code").value.replace(/\s+/g, "");
    if (code) body.code = code;
    try {
      await api("POST", "/v1/auth/step-up", body);
    } catch (error) {
      $("reconfirm-error").textContent = error.code === "step_up_required"
        ? _("Enter a code from your authenticator app too.") : explain(error);
      $("reconfirm-error").hidden = false;
      return;
    }
    close();
    pending?.resolve();
    pending = null;
  });
  $("reconfirm-cancel").addEventListener("click", () => {
    close();
    pending?.reject(Object.assign(new Error("cancelled"), { code: "step_up_cancelled" }));
    pending = null;
  });
}
