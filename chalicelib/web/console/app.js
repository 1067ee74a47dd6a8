// The staff console (ADR 0017): plain ES modules, no inline script, nothing from another origin.
import { api } from "./api.js";
import { _ } from "./i18n.js";
import { $, explain, say, show, warn } from "./screens.js";
import { startSignIn } from "./signin.js";
import { showDay, startDay } from "./day.js";
import { startBooking } from "./booking.js";
import { stopIdle, watchIdle } from "./idle.js";
import { setupTokenFromLink, startPasswordSetup } from "./password_setup.js";
import { openEnrollment, startEnrollment } from "./enroll.js";
import { startRecoveryCodes } from "./recovery_codes.js";
import { showAccount, startAccount } from "./account.js";
import { relayDuoAnswer } from "./duo.js";
import { showWeek, startWeek } from "./week.js";
import { startPatients } from "./patients.js";
import { startCard } from "./card.js";

// The front desk's week and patients (week.js, patients.js, card.js), for the roles that may use them.
const DESK_NAV = { "nav-week": "week", "nav-patients": "patients" };
const DESK_ROLES = ["owner", "admin", "staff", "frontdesk"];

function startDesk(current) {
  for (const id of Object.keys(DESK_NAV)) $(id).hidden = !DESK_ROLES.includes(current.user.role);
  if (!DESK_ROLES.includes(current.user.role)) return;
  startWeek(current);
  startPatients(current);
  startCard(current);
}

function markDeskNav(screen) {
  for (const [id, target] of Object.entries(DESK_NAV)) {
    if (target === screen) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
  if (screen === "week") showWeek();
}
import { openOwnerScreen, startOwner } from "./owner.js";

let started = false;

async function signedIn() {
  let current;
  try {
    current = await api("GET", "/v1/console/session");
  } catch (error) {
    if (error.code === "mfa_enrollment_required") {
      $("sign-out").hidden = false;
      openEnrollment({ required: true, done: (answer) => (answer.password_change_required ? show("password") : signedIn()) });
      return;
    }
    if (error.status !== 401) warn(explain(error));
    show("signin");
    return;
  }
  const who = { name: current.user.name, clinic: current.org.name };
  $("who").textContent = _("%(name)s at %(clinic)s", who);
  $("sign-out").hidden = false;
  $("nav").hidden = false;
  if (!started) {
    started = true;
    startDay(current);
    startBooking(current);
    startDesk(current);
  }
  watchIdle(current.session.idle_minutes, () => signOut(_("You were signed out after a time without activity.")));
  const home = startOwner(current);  // the screens of running the clinic, for the roles that may
  if (home) return openOwnerScreen(home);
  show("day");
  await showDay();
}

async function signOut(message) {
  stopIdle();
  await api("POST", "/v1/auth/logout").catch(() => null);
  $("who").textContent = "";
  $("sign-out").hidden = true;
  $("nav").hidden = true;
  show("signin");
  say(message);
}

function navigate(screen) {
  $("nav-day").toggleAttribute("aria-current", screen === "day");
  $("nav-book").toggleAttribute("aria-current", screen === "book");
  if (screen === "day") $("nav-day").setAttribute("aria-current", "page");
  if (screen === "book") $("nav-book").setAttribute("aria-current", "page");
  $("nav-account").toggleAttribute("aria-current", screen === "account");
  if (screen === "account") $("nav-account").setAttribute("aria-current", "page");
  show(screen);
  markDeskNav(screen);
  if (screen === "day") showDay();
  if (screen === "account") showAccount();
}

$("language").addEventListener("change", () => {
  const url = new URL(location.href);
  url.searchParams.set("lang", $("language").value);
  location.assign(url);
});
$("sign-out").addEventListener("click", () => signOut(_("You are signed out.")));
$("nav-day").addEventListener("click", () => navigate("day"));
$("nav-book").addEventListener("click", () => navigate("book"));
for (const [id, screen] of Object.entries(DESK_NAV)) $(id).addEventListener("click", () => navigate(screen));
startSignIn(signedIn);
// one's own account: the e-mailed set-password link, Duo's answer window, enrolment, the account screen
startPasswordSetup();
startEnrollment();
startRecoveryCodes();
startAccount(signOut);
$("nav-account").addEventListener("click", () => navigate("account"));
if (relayDuoAnswer()) {
  // this window only carried Duo's answer back to the signing-in page
} else if (setupTokenFromLink()) {
  show("setup");
} else {
  signedIn();
}
