// The day's calendar: one call (GET /v1/calendar/day) returns the rows with patient names; the server
// audits that read once for the whole view.
import { api } from "./api.js";
import { _, language } from "./i18n.js";
import { $, explain, warn } from "./screens.js";

const STATUS = () => ({ confirmed: _("Booked"), pending: _("Awaiting the patient's confirmation"),
                        cancelled: _("Cancelled"), booked: _("Booked"), arrived: _("Arrived"),
                        no_show: _("No-show"), completed: _("Completed") });

export function todayIn(zone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

export function startDay(session) {
  $("day-date").value = todayIn(session.org.timezone);
  $("day-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showDay();
  });
}

export async function showDay() {
  warn("");
  const params = new URLSearchParams({ date: $("day-date").value });
  if ($("day-staff").value) params.set("staff_id", $("day-staff").value);
  let day;
  try {
    day = await api("GET", `/v1/calendar/day?${params}`);
  } catch (error) {
    warn(explain(error));
    return;
  }
  fillStaff(day.staff);
  const time = new Intl.DateTimeFormat(language, { timeZone: day.timezone, hour: "numeric", minute: "2-digit" });
  const services = Object.fromEntries(day.services.map((s) => [s.id, s.name]));
  const staff = Object.fromEntries(day.staff.map((m) => [m.id, m.display_name]));
  $("day-zone").textContent = _("Times are the clinic's: %(zone)s", { zone: day.timezone });
  $("day-caption").textContent = new Intl.DateTimeFormat(language, { dateStyle: "full", timeZone: "UTC" })
    .format(new Date(`${day.date}T12:00:00Z`));
  $("day-rows").replaceChildren(...day.bookings.map((booking) => row([
    `${time.format(new Date(booking.start))} – ${time.format(new Date(booking.end))}`,
    booking.customer.name ?? _("(erased)"), services[booking.service_id] || "", staff[booking.staff_id] || "",
    STATUS()[booking.visit_status || booking.status] || booking.status,
  ], booking.status)));
  $("day-table").hidden = day.bookings.length === 0;
  $("day-empty").hidden = day.bookings.length !== 0;
}

function fillStaff(members) {
  const select = $("day-staff");
  if (select.options.length > 1) return;
  select.append(...members.map((m) => new Option(m.display_name, m.id)));
}

function row(cells, status) {
  const tr = document.createElement("tr");
  tr.className = status;
  tr.append(...cells.map((text, index) => {
    const cell = document.createElement(index === 0 ? "th" : "td");
    if (index === 0) cell.scope = "row";
    cell.textContent = text;
    return cell;
  }));
  return tr;
}
