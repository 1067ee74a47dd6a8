// The week's calendar: one call (GET /v1/calendar/week) gives seven days with patient names and visit
// statuses; the server audits that read once for the whole view. Front desk and staff set the visit
// status from the row (POST /v1/bookings/{id}/visit-status); the staff role sees only their own.
import { api } from "./api.js";
import { _, language } from "./i18n.js";
import { $, explain, say, warn } from "./screens.js";
import { todayIn } from "./day.js";
import { openCard, visitWord } from "./card.js";

const SETTABLE = ["booked", "arrived", "no_show", "completed"];
const MANAGERS = ["owner", "admin", "staff", "frontdesk"];
let session = null;
let counts = {};

export function startWeek(current) {
  session = current;
  $("week-date").value = todayIn(session.org.timezone);
  $("week-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showWeek();
  });
}

export async function showWeek() {
  warn("");
  const params = new URLSearchParams({ date: $("week-date").value });
  if ($("week-staff").value) params.set("staff_id", $("week-staff").value);
  let week;
  try {
    week = await api("GET", `/v1/calendar/week?${params}`);
  } catch (error) {
    warn(explain(error));
    return;
  }
  const select = $("week-staff");
  if (select.options.length === 1) select.append(...week.staff.map((m) => new Option(m.display_name, m.id)));
  const when = new Intl.DateTimeFormat(language, { timeZone: week.timezone, weekday: "short", day: "numeric",
                                                   month: "short", hour: "numeric", minute: "2-digit" });
  const services = Object.fromEntries(week.services.map((s) => [s.id, s.name]));
  const staff = Object.fromEntries(week.staff.map((m) => [m.id, m.display_name]));
  $("week-zone").textContent = _("Times are the clinic's: %(zone)s", { zone: week.timezone });
  counts = { ...week.counts };
  drawCounts();
  $("week-rows").replaceChildren(...week.bookings.map((booking) => row(booking, when.format(new Date(booking.start)),
    services[booking.service_id] || "", staff[booking.staff_id] || "")));
  $("week-table").hidden = week.bookings.length === 0;
  $("week-empty").hidden = week.bookings.length !== 0;
}

function drawCounts() {
  $("week-counts").textContent = SETTABLE.concat(["cancelled"])
    .map((status) => `${visitWord(status)}: ${counts[status] || 0}`).join(" · ");
}

function row(booking, time, service, member) {
  const tr = document.createElement("tr");
  tr.className = booking.status;
  const head = document.createElement("th");
  head.scope = "row";
  head.textContent = time;
  const patient = document.createElement("td");
  if (booking.customer.name) {
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link";
    open.textContent = booking.customer.name;
    open.addEventListener("click", () => openCard(booking.customer.id));
    patient.append(open);
  } else {
    patient.textContent = _("(erased)");
  }
  const cells = [service, member].map((text) => Object.assign(document.createElement("td"), { textContent: text }));
  tr.append(head, patient, ...cells, statusCell(booking, time));
  return tr;
}

function statusCell(booking, time) {
  const cell = document.createElement("td");
  if (!MANAGERS.includes(session.user.role) || !SETTABLE.includes(booking.visit_status)) {
    cell.textContent = visitWord(booking.visit_status || booking.status);
    return cell;
  }
  const select = document.createElement("select");
  select.setAttribute("aria-label", _("Visit of %(name)s, %(time)s", { name: booking.customer.name || "", time }));
  select.append(...SETTABLE.map((status) => new Option(visitWord(status), status)));
  select.value = booking.visit_status;
  select.addEventListener("change", async () => {
    warn("");
    try {
      const { booking: changed } = await api("POST", `/v1/bookings/${encodeURIComponent(booking.id)}/visit-status`,
                                             { status: select.value });
      counts[booking.visit_status] -= 1;
      counts[changed.visit_status] = (counts[changed.visit_status] || 0) + 1;
      booking.visit_status = changed.visit_status;
      drawCounts();
      say(_("%(name)s: %(status)s.", { name: booking.customer.name || "", status: visitWord(changed.visit_status) }));
    } catch (error) {
      select.value = booking.visit_status;
      warn(explain(error));
    }
  });
  cell.append(select);
  return cell;
}
