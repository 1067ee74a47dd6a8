// The staff console (ADR 0017): plain ES modules, no inline script, nothing from another origin.
import { api } from "./api.js";
import { _ } from "./i18n.js";
import { $, explain, say, show, warn } from "./screens.js";
import { startSignIn } from "./signin.js";
import { showDay, startDay } from "./day.js";
import { startBooking } from "./booking.js";
import { stopIdle, watchIdle } from "./idle.js";
import { openOwnerScreen, startOwner } from "./owner.js";

let started = false;

async function signedIn() {
  let current;
  try {
    current = await api("GET", "/v1/console/session");
  } catch (error) {
    if (error.code === "mfa_enrollment_required") {
      show("enroll");
      $("sign-out").hidden = false;
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
  show(screen);
  if (screen === "day") showDay();
}

$("language").addEventListener("change", () => {
  const url = new URL(location.href);
  url.searchParams.set("lang", $("language").value);
  location.assign(url);
});
$("sign-out").addEventListener("click", () => signOut(_("You are signed out.")));
$("nav-day").addEventListener("click", () => navigate("day"));
$("nav-book").addEventListener("click", () => navigate("book"));
startSignIn(signedIn);
signedIn();
