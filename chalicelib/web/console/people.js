// People: who may sign in, invited by e-mail with a role (POST /v1/users: the invitation carries a
// one-time set-password link); unlocking an account, ending its sessions and resetting its factors.
// Making, demoting or disabling an owner or admin and resetting factors need the step-up (ADR 0015).
import { api } from "./api.js";
import { el, fill, row } from "./dom.js";
import { _ } from "./i18n.js";
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
    user.name, user.email, names[user.role] || user.role,
    user.disabled ? _("Disabled") : (user.password_set ? _("Active") : _("Invited")),
    actionsFor(user),
  ])));
}

function actionsFor(user) {
  const mine = user.id === session.user.id;
  if (mine || (user.role === "owner" && !isOwner(session.user.role))) return "";
  const button = (text, work, done) => el("button", { type: "button", text, "aria-label": `${text}: ${user.name}`,
    on: { click: () => run(work, done) } });
  return el("div", { class: "actions" },
    button(_("Unlock"), () => api("POST", `/v1/users/${user.id}/unlock`), _("%(name)s may sign in again.", user)),
    button(_("End sessions"), () => api("DELETE", `/v1/users/${user.id}/sessions`),
           _("Every session of %(name)s has ended.", user)),
    button(_("Reset factors"), () => withStepUp(() => api("POST", `/v1/users/${user.id}/mfa/reset`, {})),
           _("The second factors of %(name)s are removed.", user)));
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
