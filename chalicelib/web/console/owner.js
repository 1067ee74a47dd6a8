// Running the clinic (issue 26): the owner's and admins' screens and the auditor's evidence, each in
// the navigation only for the roles that may use it (roles.js); the server refuses the rest anyway.
import { startAudit, showAudit } from "./audit.js";
import { showClinic, startClinic } from "./clinic.js";
import { showEvidence, startEvidence } from "./evidence.js";
import { loadPeople, showPeople, startPeople } from "./people.js";
import { showPolicy, startPolicy } from "./policy.js";
import { showPrivacy, startPrivacy } from "./privacy.js";
import { mayOpen } from "./roles.js";
import { $, say, show, warn } from "./screens.js";
import { startStepUp } from "./stepup.js";

export const OWNER_SCREENS = ["clinic", "people", "policy", "evidence", "audit", "privacy"];
const SHOW = { clinic: showClinic, people: showPeople, policy: showPolicy, evidence: showEvidence, audit: showAudit,
               privacy: showPrivacy };
let started = false;

export async function openOwnerScreen(screen, focus) {
  document.querySelectorAll("#nav button").forEach((b) => b.removeAttribute("aria-current"));
  $(`nav-${screen}`).setAttribute("aria-current", "page");
  say("");
  warn("");
  show(screen);
  await SHOW[screen]();
  if (focus) {
    $(focus).tabIndex = -1;
    $(focus).focus();
  }
}

// Shows the screens the role may use; returns the screen to open first, or null for the front desk's day.
export function startOwner(session) {
  const role = session.user.role;
  OWNER_SCREENS.forEach((screen) => { $(`nav-${screen}`).hidden = !mayOpen(role, screen); });
  $("nav-day").hidden = $("nav-book").hidden = role === "auditor";  // auditors never see patients
  if (!started) {
    started = true;
    startStepUp();
    OWNER_SCREENS.forEach((screen) => $(`nav-${screen}`).addEventListener("click", () => openOwnerScreen(screen)));
    ["nav-day", "nav-book"].forEach((id) => $(id).addEventListener("click", () => {
      OWNER_SCREENS.forEach((screen) => $(`nav-${screen}`).removeAttribute("aria-current"));
    }));
    if (mayOpen(role, "clinic")) startClinic(session);
    if (mayOpen(role, "people")) startPeople(session);
    if (mayOpen(role, "policy")) startPolicy();
    if (mayOpen(role, "evidence")) startEvidence(session, openOwnerScreen);
    if (mayOpen(role, "audit")) startAudit(session, mayOpen(role, "people") ? loadPeople : null);
    if (mayOpen(role, "privacy")) startPrivacy(session);
  }
  return role === "auditor" ? "evidence" : null;
}
