// Which screen is showing, the status line and the alert; focus moves to each new screen's heading.
import { _ } from "./i18n.js";

export const $ = (id) => document.getElementById(id);
const SCREENS = ["signin", "factor", "password", "enroll", "day", "book",
  "setup", "forgot", "codes", "account", // one's own account (password_setup.js, enroll.js, account.js)
  "week", "patients", "card", // the front desk's week, patients and card (week.js, patients.js, card.js)
  "clinic", "people", "policy", "evidence", "audit", "privacy", // running the clinic (owner.js)
];

export function show(name) {
  for (const screen of SCREENS) $(`screen-${screen}`).hidden = screen !== name;
  const heading = $(`screen-${name}`).querySelector("h1");
  heading.tabIndex = -1;
  heading.focus();
}

export function say(text) {
  $("status").textContent = text;
}

export function warn(text) {
  $("alert").textContent = text;
  $("alert").hidden = !text;
}

// Plain words for each error code the API may answer.
export function explain(error) {
  const words = {
    invalid_credentials: _("The e-mail, password or code is not correct."),
    too_many_attempts: _("Too many tries. Please wait a few minutes and try again."),
    rate_limited: _("Too many tries from your connection. Please wait a few minutes and try again."),
    weak_password: _("This password is too weak or too common. Please choose another one."),
    ip_not_allowed: _("Your clinic does not allow sign-in from this network."),
    org_suspended: _("This clinic's account is suspended."),
    session_expired: _("Your session ended. Please sign in again."),
    unauthenticated: _("Please sign in."),
    forbidden: _("Your role may not do this."),
    slot_unavailable: _("Someone has just taken that time. Please choose another one."),
    not_found: _("Nothing was found."),
    validation_failed: _("Please check what you entered."),
    network: _("We could not reach SafeSlot. Check your connection and try again."),
    invalid_token: _("This link is no longer valid: it was used already or it expired. Ask for a new one."),
    step_up_required: _("Please confirm it is you first: your password and a code or your security key."),
    second_factor_unavailable: _("This sign-in method cannot be reached right now. Please try again later."),
    csrf_refused: _("This request did not come from the console and was refused."),
  };
  return words[error.code] || _("Something went wrong on our side and nothing was changed. Please try again in a minute.");
}
