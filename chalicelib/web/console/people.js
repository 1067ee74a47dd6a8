// People: who may sign in, invited by e-mail with a role (POST /v1/users: the invitation carries a
// one-time set-password link); a locked account's lock (until when; Unlock), its sessions (where and
// since when, End one or all: GET/DELETE /v1/users/{id}/sessions) and resetting its factors.
// Making, demoting or disabling an owner or admin and resetting factors need the step-up (ADR 0015).
import { api } from "./api.js";
import { el, fill, row, when } from "./dom.js";
import { _, language } from "./i18n.js";
import { assignable, isOwner } from "./roles.js";
import { $, explain, say, warn } from "./screens.js";
import { withStepUp } from "./stepup.js";

export const ROLE_NAMES = () => ({ owner: _("Owner"), admin: _("Administrator"), staff: _("Clinician"),
                                   frontdesk: _("Front desk"), auditor: _("Auditor") });
let session = null;
export let people = [];

export function startPeople(current) {
  session = current;
  const names = ROLE_NAMES();
  $("invite-role").replaceChildren(...assignable(current.user.role).map((r) => new Option(names[r], r)));
  $("invite-role").value = "frontdesk";
  $("invite-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    warn("");
    const body = { name: $("invite-name").value.trim(), email: $("invite-email").value.trim(),
                   role: $("invite-role").value };
    try {
      await withStepUp(() => api("POST", "/v1/users", body));
      $("invite-name").value = $("invite-email").value = "";
      say(_("An invitation was sent to %(email)s.", { email: body.email }));
      await showPeople();
    } catch (error) {
      if (error.code !== "step_up_cancelled") warn(explain(error));
    }
  });
}

export async function loadPeople() {
  people = (await api("GET", "/v1/users")).users;
  return people;
}

export async function showPeople() {
  try {
    await loadPeople();
  } catch (error) {
    warn(explain(error));
    return;
  }
  const names = ROLE_NAMES();
  fill("people-rows", people.map((user) => row([
    user.name, user.email, names[user.role] || user.role, stateOf(user), actionsFor(user),
  ])));
}

function stateOf(user) {
  if (user.disabled) return _("Disabled");
  if (user.locked) return _("Locked until %(when)s", { when: when(user.locked_until, language, session.org.timezone) });
  return user.password_set ? _("Active") : _("Invited");
}

function actionsFor(user) {
  const mine = user.id === session.user.id;
  if (mine || (user.role === "owner" && !isOwner(session.user.role))) return "";
  const button = (text, work, done) => el("button", { type: "button", text, "aria-label": `${text}: ${user.name}`,
    on: { click: () => run(work, done) } });
  return el("div", { class: "actions" },
    user.locked ? button(_("Unlock"), async () => { await api("POST", `/v1/users/${user.id}/unlock`);
                                                   await showPeople(); }, _("%(name)s may sign in again.", user)) : null,
    el("button", { type: "button", text: _("Sessions"), "aria-label": `${_("Sessions")}: ${user.name}`,
                   on: { click: () => showSessionsOf(user) } }),
    button(_("Reset factors"), () => withStepUp(() => api("POST", `/v1/users/${user.id}/mfa/reset`, {})),
           _("The second factors of %(name)s are removed.", user)));
}

// One user's live sessions: when, from which network, which browser; End one, or End all.
async function showSessionsOf(user) {
  warn("");
  let found;
  try {
    found = (await api("GET", `/v1/users/${user.id}/sessions`)).sessions;
  } catch (error) {
    warn(explain(error));
    return;
  }
  const zone = session.org.timezone;
  $("user-sessions-title").textContent = _("Sessions of %(name)s", user);
  $("user-sessions").hidden = false;
  fill("user-sessions-rows", found.map((s) => row([
    when(s.created_at, language, zone), when(s.last_seen_at, language, zone), when(s.expires_at, language, zone),
    s.source_ip || "", s.user_agent || "",
    el("button", { type: "button", text: _("End"), "aria-label": `${_("End")}: ${when(s.created_at, language, zone)}`,
                   on: { click: () => run(async () => { await api("DELETE", `/v1/users/${user.id}/sessions/${s.id}`);
                                                        await showSessionsOf(user); },
                                          _("That session of %(name)s has ended.", user)) } }),
  ])), "user-sessions-empty");
  $("user-sessions-end-all").hidden = found.length === 0;
  $("user-sessions-end-all").onclick = () => run(async () => {
    await api("DELETE", `/v1/users/${user.id}/sessions`);
    await showSessionsOf(user);
  }, _("Every session of %(name)s has ended.", user));
  $("user-sessions").focus();
}

async function run(work, done) {
  warn("");
  try {
    await work();
    say(done);
  } catch (error) {
    if (error.code !== "step_up_cancelled") warn(explain(error));
  }
}
