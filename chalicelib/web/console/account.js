// One's own account: sign-in methods (add one, new recovery codes), where one is signed in (end a
// session, or every other one: "sign out everywhere") and the recent sign-ins. Only the documented
// routes of one's own account: /v1/auth/mfa/factors, /v1/auth/sessions, /v1/auth/me/sign-ins.
import { api } from "./api.js";
import { _, language } from "./i18n.js";
import { $, explain, say, show, warn } from "./screens.js";
import { openEnrollment } from "./enroll.js";

let factors = [];

const when = (iso) => (iso ? new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" })
  .format(new Date(iso)) : "");

function cell(text, header = false) {
  const element = document.createElement(header ? "th" : "td");
  if (header) element.scope = "row";
  element.textContent = text;
  return element;
}

function row(...cells) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}

function kindName(kind) {
  return { totp: _("Authenticator app"), webauthn: _("Security key"), sms: _("Text message"),
           voice: _("Phone call"), recovery: _("Recovery codes") }[kind] || kind;
}

function outcomeName(outcome) {
  return { success: _("Signed in"), mfa_required: _("Password right, second step asked"),
           bad_password: _("Wrong password"), mfa_failed: _("Wrong second factor"), locked: _("Refused: locked"),
           password_expired: _("Password expired"), mfa_enrollment_required: _("Asked to add a method"),
           ip_denied: _("Refused: network not allowed"), reauth_failed: _("Confirmation failed") }[outcome]
    || _("Refused");
}

function deviceName(userAgent) {
  const text = userAgent || "";
  const browser = /Edg\//.test(text) ? "Edge" : /Firefox\//.test(text) ? "Firefox"
    : /Chrom(e|ium)\//.test(text) ? "Chrome" : /Safari\//.test(text) ? "Safari" : _("Another app");
  const system = /Android/.test(text) ? "Android" : /iPhone|iPad/.test(text) ? "iOS" : /Windows/.test(text) ? "Windows"
    : /Mac OS X/.test(text) ? "macOS" : /Linux/.test(text) ? "Linux" : "";
  return system ? `${browser} · ${system}` : browser;
}

export async function showAccount() {
  $("account-add").disabled = $("account-codes").disabled = $("account-everywhere").disabled = true;  // until one's methods are known
  show("account");
  const [mine, sessions, signIns] = await Promise.all([
    api("GET", "/v1/auth/mfa/factors"), api("GET", "/v1/auth/sessions"), api("GET", "/v1/auth/me/sign-ins"),
  ]).catch((error) => {
    warn(explain(error));
    return [{ factors: [] }, { sessions: [] }, { sign_ins: [] }];
  });
  factors = mine.factors.filter((f) => f.status === "active");
  $("factors-rows").replaceChildren(...factors.map((f) => row(
    cell(kindName(f.kind), true),
    cell(f.kind === "recovery" ? _("%(count)s left", { count: f.remaining }) : f.label || ""),
    cell(when(f.created_at)))));
  $("sessions-rows").replaceChildren(...sessions.sessions.map((s) => {
    const action = document.createElement("td");
    if (s.current) {
      action.textContent = _("This device");
    } else {
      const end = document.createElement("button");
      end.type = "button";
      end.textContent = _("Sign out");
      end.setAttribute("aria-label", _("Sign out %(device)s, last active %(when)s",
                                       { device: deviceName(s.user_agent), when: when(s.last_seen_at) }));
      end.addEventListener("click", () => endSession(s.id));
      action.append(end);
    }
    return row(cell(deviceName(s.user_agent), true), cell(s.source_ip || ""), cell(when(s.last_seen_at)), action);
  }));
  $("signins-rows").replaceChildren(...signIns.sign_ins.map((a) => row(
    cell(when(a.at), true), cell(outcomeName(a.outcome)), cell(a.source_ip || ""))));
  $("account-add").disabled = $("account-codes").disabled = $("account-everywhere").disabled = false;
}

async function endSession(sessionId) {
  warn("");
  try {
    await api("DELETE", `/v1/auth/sessions/${encodeURIComponent(sessionId)}`);
    say(_("That session is signed out."));
  } catch (error) {
    warn(explain(error));
  }
  await showAccount();
}

function stepUpFor(purpose, done) {
  const active = factors.filter((f) => f.kind !== "recovery");
  openEnrollment({ purpose, hasFactor: active.length > 0, hasKey: active.some((f) => f.kind === "webauthn"), done });
}

// signOut(message): the console's own sign-out (app.js). "Sign out everywhere" proves the password and a
// factor first (a stolen session must not throw its victim out), ends every other session, then this one.
export function startAccount(signOut) {
  $("account-add").addEventListener("click", () => stepUpFor("enroll", () => showAccount()));
  $("account-codes").addEventListener("click", () => stepUpFor("codes", () => showAccount()));
  $("account-everywhere").addEventListener("click", () => stepUpFor("everywhere",
    () => signOut(_("You are signed out everywhere."))));
}
