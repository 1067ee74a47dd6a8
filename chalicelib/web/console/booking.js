// A booking taken by phone: find the patient (or add them), pick a free time from the same availability
// the booking page uses (GET /v1/public/orgs/{slug}/slots), book (POST /v1/bookings).
import { api } from "./api.js";
import { _, language } from "./i18n.js";
import { $, explain, say, warn } from "./screens.js";
import { todayIn } from "./day.js";

let session = null;
let catalogue = null;
let patient = null;
let slotsAsked = 0; // only the latest question's answer is drawn (answers may arrive out of order)

export function startBooking(current) {
  session = current;
  $("book-day").value = todayIn(session.org.timezone);
  $("find-form").addEventListener("submit", (event) => {
    event.preventDefault();
    find();
  });
  $("new-patient-form").addEventListener("submit", (event) => {
    event.preventDefault();
    addPatient();
  });
  for (const id of ["book-service", "book-staff", "book-day"]) $(id).addEventListener("change", loadSlots);
  $("slot-form").addEventListener("submit", (event) => {
    event.preventDefault();
    book();
  });
}

async function find() {
  warn("");
  patient = null;
  $("slot-form").hidden = true;
  let found;
  try {
    found = (await api("POST", "/v1/customers/search", { query: $("find-email").value.trim() })).customers;
  } catch (error) {
    warn(explain(error));
    return;
  }
  $("found").hidden = found.length === 0;
  $("found-list").replaceChildren(...found.map((customer) => choice("patient", customer.id,
    [customer.name, customer.phone, customer.email, customer.date_of_birth].filter(Boolean).join(" · "),
    () => choose(customer))));
  $("new-patient-form").hidden = found.length !== 0;
  if (found.length === 0) {
    // what was typed goes where it belongs on the new patient's form (a phone-only caller has no e-mail)
    const typed = $("find-email").value.trim();
    say(_("No patient matches. Add them below."));
    $("new-email").value = typed.includes("@") ? typed : "";
    $("new-phone").value = /^[+0-9()\s.-]{7,}$/.test(typed) ? typed : "";
    $("new-name").value = !typed.includes("@") && !/[0-9]/.test(typed) ? typed : "";
    $("new-name").focus();
  } else {
    say(_("%(count)s patient(s) found.", { count: found.length }));
    if (found.length === 1) $("found-list").querySelector("input").click();
  }
}

async function addPatient() {
  warn("");
  const body = { name: $("new-name").value.trim() };
  if ($("new-email").value.trim()) body.email = $("new-email").value.trim();
  if ($("new-phone").value.trim()) body.phone = $("new-phone").value.trim().replace(/[\s().-]/g, "");
  try {
    const { customer } = await api("POST", "/v1/customers", body);
    $("new-patient-form").hidden = true;
    say(_("Patient added."));
    choose(customer);
  } catch (error) {
    warn(explain(error));
  }
}

// From the patient's card: book for this patient without searching again.
export function bookFor(customer) {
  warn("");
  $("found").hidden = true;
  $("new-patient-form").hidden = true;
  $("find-email").value = customer.name;
  choose(customer);
}

async function choose(customer) {
  patient = customer;
  if (!catalogue) {
    try {
      catalogue = await api("GET", `/v1/public/orgs/${encodeURIComponent(session.org.slug)}`);
    } catch (error) {
      warn(explain(error));
      return;
    }
    const serviceOption = (s) => {
      const values = { service: s.name, minutes: s.duration_minutes };
      return new Option(_("%(service)s (%(minutes)s min)", values), s.id);
    };
    $("book-service").replaceChildren(...catalogue.services.map(serviceOption));
    $("book-staff").append(...catalogue.staff.map((m) => new Option(m.display_name, m.id)));
  }
  $("slot-legend").textContent = _("Appointment for %(name)s", { name: customer.name });
  $("slot-form").hidden = false;
  await loadSlots();
}

async function loadSlots() {
  if (!patient) return;
  const asked = ++slotsAsked;
  const params = new URLSearchParams({ service_id: $("book-service").value, from: $("book-day").value,
                                       to: $("book-day").value, tz: session.org.timezone });
  if ($("book-staff").value) params.set("staff_id", $("book-staff").value);
  let slots = [];
  try {
    slots = (await api("GET", `/v1/public/orgs/${encodeURIComponent(session.org.slug)}/slots?${params}`)).slots;
  } catch (error) {
    warn(explain(error));
  }
  if (asked !== slotsAsked) return;
  const time = new Intl.DateTimeFormat(language, { timeZone: session.org.timezone, hour: "numeric", minute: "2-digit" });
  const staff = Object.fromEntries(catalogue.staff.map((m) => [m.id, m.display_name]));
  $("slots").replaceChildren(...slots.map((slot) => choice("slot", `${slot.start}|${slot.staff_id}`,
    `${time.format(new Date(slot.start))} · ${staff[slot.staff_id] || ""}`)));
  if (slots.length === 0) say(_("No free times on this day."));
}

async function book() {
  warn("");
  const picked = document.querySelector("input[name=slot]:checked");
  if (!picked) {
    warn(_("Please choose a time."));
    return;
  }
  const [start, staffId] = picked.value.split("|");
  const body = { customer_id: patient.id, service_id: $("book-service").value, staff_id: staffId, start };
  try {
    await api("POST", "/v1/bookings", body, { "Idempotency-Key": crypto.randomUUID() });
    const booked = { name: patient.name, time: picked.labels[0].textContent.trim() };
    say(_("Booked: %(name)s at %(time)s.", booked));
    await loadSlots();
  } catch (error) {
    warn(explain(error));
  }
}

function choice(name, value, text, onPick) {
  const label = document.createElement("label");
  label.className = "choice";
  const input = document.createElement("input");
  Object.assign(input, { type: "radio", name, value });
  if (onPick) input.addEventListener("change", onPick);
  label.append(input, document.createTextNode(` ${text}`));
  return label;
}
