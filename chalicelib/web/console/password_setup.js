// The set-password page that an invitation or reset e-mail opens, and "forgot your password?".
// The e-mailed link carries the one-time token in the URL fragment (#setup/<token>), which the browser
// never sends to a server; it leaves the address bar and the history at once, and reaches only
// POST /v1/auth/setup.
import { api } from "./api.js";
import { _ } from "./i18n.js";
import { $, explain, say, show, warn } from "./screens.js";

let setupToken = null;

export function setupTokenFromLink() {
  const match = /^#setup\/([A-Za-z0-9._~-]{10,400})$/.exec(location.hash);
  if (!match) return false;
  setupToken = match[1];
  history.replaceState(null, "", location.pathname + location.search);
  return true;
}

export function startPasswordSetup() {
  window.addEventListener("hashchange", () => {  // a link opened in a tab where the console already is
    if (setupTokenFromLink()) show("setup");
  });
  $("setup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    warn("");
    try {
      await api("POST", "/v1/auth/setup", { token: setupToken, password: $("setup-password").value });
    } catch (error) {
      warn(error.code === "invalid_token"
        ? _("This link is no longer valid: it was used already or it expired. Ask for a new one.")
        : explain(error));
      return;
    }
    setupToken = null;
    $("setup-password").value = "";
    show("signin");
    say(_("Your password is set. Sign in with it now."));
  });
  $("signin-forgot").addEventListener("click", () => {
    $("forgot-org").value = $("org").value;
    $("forgot-email").value = $("email").value;
    warn("");
    show("forgot");
  });
  $("forgot-back").addEventListener("click", () => show("signin"));
  $("forgot-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    warn("");
    const body = { org: $("forgot-org").value.trim(), email: $("forgot-email").value.trim() };
    try {
      await api("POST", "/v1/auth/password/forgot", body);
    } catch (error) {
      warn(explain(error));
      return;
    }
    show("signin");
    say(_("If this address belongs to an account, we have e-mailed it a link to choose a new password. It works for 30 minutes."));
  });
}
