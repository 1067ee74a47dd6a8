// The patient's card: details (and correcting them), appointments (book, move, cancel), clinical notes
// for the roles that may see them, and who saw this record. One call (GET /v1/customers/{id}/card) is
// one audited read; the card shows only what the server says the role may do (`may`), and the server
// refuses the rest whoever asks.
import { api } from "./api.js";
import { _, language } from "./i18n.js";
import { $, explain, say, show, warn } from "./screens.js";
import { bookFor } from "./booking.js";

let session = null;
let current = null;
let moving = null;
let slotsAsked = 0;

export function visitWord(status) {
  return { booked: _("Booked"), arrived: _("Arrived"), no_show: _("No-show"), completed: _("Completed"),
           cancelled: _("Cancelled"), pending: _("Awaiting the patient's confirmation") }[status] || status;
}

export const plainPhone = (typed) => typed.trim().replace(/[\s().-]/g, "");

export function startCard(signedIn) {
  session = signedIn;
  $("card-book").addEventListener("click", () => {
    $("nav-book").click();
    bookFor(current.customer);
  });
  $("card-edit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    correct();
  });
  $("card-notes-form").addEventListener("submit", (event) => {
    event.preventDefault();
    change({ notes: $("card-notes").value }, _("The notes are saved."));
  });
  $("card-access-show").addEventListener("click", showAccess);
  $("move-day").addEventListener("change", loadSlots);
  $("move-form").addEventListener("submit", (event) => {
    event.preventDefault();
    move();
  });
}

export async function openCard(customerId) {
  warn("");
  let card;
  try {
    card = await api("GET", `/v1/customers/${encodeURIComponent(customerId)}/card`);
  } catch (error) {
    warn(explain(error));
    return;
  }
  current = card;
  show("card");
  draw();
}

function draw() {
  const { customer, may } = current;
  $("card-title").textContent = customer.name;
  const facts = [[_("Phone"), customer.phone], [_("E-mail"), customer.email],
                 [_("Date of birth"), customer.date_of_birth]];
  $("card-details").replaceChildren(...facts.flatMap(([term, value]) => [
    Object.assign(document.createElement("dt"), { textContent: term }),
    Object.assign(document.createElement("dd"), { textContent: value || _("Not given") })]));
  $("card-book").hidden = !may.book;
  $("card-edit-form").hidden = !may.edit_details;
  $("card-name").value = customer.name;
  $("card-phone").value = customer.phone || "";
  $("card-email").value = customer.email || "";
  $("card-dob").value = customer.date_of_birth || "";
  $("card-notes-form").hidden = !may.notes;
  $("card-notes").value = customer.notes || "";
  $("card-access").hidden = !may.access_report;
  $("card-access-list").replaceChildren();
  $("move-form").hidden = true;
  const when = new Intl.DateTimeFormat(language, { timeZone: session.org.timezone, dateStyle: "medium", timeStyle: "short" });
  $("card-rows").replaceChildren(...current.bookings.map((booking) => bookingRow(booking, when)));
  $("card-table").hidden = current.bookings.length === 0;
  $("card-no-bookings").hidden = current.bookings.length !== 0;
}

function bookingRow(booking, when) {
  const tr = document.createElement("tr");
  tr.className = booking.status;
  const head = Object.assign(document.createElement("th"), { scope: "row", textContent: when.format(new Date(booking.start)) });
  const cells = [booking.service || "", booking.staff || "", visitWord(booking.visit_status || booking.status)]
    .map((text) => Object.assign(document.createElement("td"), { textContent: text }));
  const actions = document.createElement("td");
  if (current.may.book && booking.status === "confirmed" && new Date(booking.start) > new Date()) {
    const label = { time: head.textContent };
    actions.append(button(_("Move"), _("Move the appointment of %(time)s", label), () => startMove(booking, head.textContent)),
                   button(_("Cancel"), _("Cancel the appointment of %(time)s", label), () => cancel(booking)));
  }
  tr.append(head, ...cells, actions);
  return tr;
}

function button(text, label, onClick) {
  const b = Object.assign(document.createElement("button"), { type: "button", textContent: text });
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

async function correct() {
  const typed = { name: $("card-name").value.trim(), phone: plainPhone($("card-phone").value),
                  email: $("card-email").value.trim(), date_of_birth: $("card-dob").value };
  const changes = Object.fromEntries(Object.entries(typed)
    .filter(([key, value]) => value && value !== (current.customer[key] || "")));
  if (Object.keys(changes).length === 0) {
    say(_("Nothing to change."));
    return;
  }
  await change(changes, _("The details are corrected."));
}

async function change(fields, done) {
  warn("");
  try {
    await api("PATCH", `/v1/customers/${encodeURIComponent(current.customer.id)}`, fields);
  } catch (error) {
    warn(explain(error));
    return;
  }
  await openCard(current.customer.id);
  say(done);
}

async function cancel(booking) {
  warn("");
  try {
    await api("POST", `/v1/bookings/${encodeURIComponent(booking.id)}/cancel`, {});
  } catch (error) {
    warn(explain(error));
    return;
  }
  await openCard(current.customer.id);
  say(_("The appointment is cancelled."));
}

function startMove(booking, time) {
  moving = booking;
  $("move-legend").textContent = _("Move the appointment of %(time)s", { time });
  $("move-day").value = booking.start.slice(0, 10);
  $("move-form").hidden = false;
  $("move-day").focus();
  loadSlots();
}

async function loadSlots() {
  if (!moving) return;
  const asked = ++slotsAsked;
  const params = new URLSearchParams({ service_id: moving.service_id, staff_id: moving.staff_id, from: $("move-day").value,
                                       to: $("move-day").value, tz: session.org.timezone });
  let slots = [];
  try {
    slots = (await api("GET", `/v1/public/orgs/${encodeURIComponent(session.org.slug)}/slots?${params}`)).slots;
  } catch (error) {
    warn(explain(error));
  }
  if (asked !== slotsAsked) return;
  const time = new Intl.DateTimeFormat(language, { timeZone: session.org.timezone, hour: "numeric", minute: "2-digit" });
  $("move-slots").replaceChildren(...slots.map((slot) => {
    const label = Object.assign(document.createElement("label"), { className: "choice" });
    label.append(Object.assign(document.createElement("input"), { type: "radio", name: "move-slot", value: slot.start }),
                 document.createTextNode(` ${time.format(new Date(slot.start))}`));
    return label;
  }));
  if (slots.length === 0) say(_("No free times on this day."));
}

async function move() {
  warn("");
  const picked = document.querySelector("input[name=move-slot]:checked");
  if (!picked) {
    warn(_("Please choose a time."));
    return;
  }
  try {
    await api("POST", `/v1/bookings/${encodeURIComponent(moving.id)}/reschedule`, { start: picked.value });
  } catch (error) {
    warn(explain(error));
    return;
  }
  moving = null;
  await openCard(current.customer.id);
  say(_("The appointment is moved."));
}

async function showAccess() {
  warn("");
  let report;
  try {
    report = await api("GET", `/v1/customers/${encodeURIComponent(current.customer.id)}/access-report`);
  } catch (error) {
    warn(explain(error));
    return;
  }
  const when = new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" });
  $("card-access-list").replaceChildren(...report.entries.map((entry) => {
    const who = entry.by.name || entry.by.role || entry.by.kind;
    return Object.assign(document.createElement("li"), { textContent: `${when.format(new Date(entry.at))}: ${entry.what} (${who})` });
  }));
  if (report.entries.length === 0) say(_("Nobody has seen this record yet."));
}
