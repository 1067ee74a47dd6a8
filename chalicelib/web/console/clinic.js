// The clinic: its profile, services, staff with their hours and time off, and the booking page's link
// and embed code. Every change is a documented call (PUT /v1/org/profile, POST /v1/services,
// POST and PATCH /v1/staff).
import { api } from "./api.js";
import { checked, el, fill, linesOf, midnightIn, row } from "./dom.js";
import { _, language } from "./i18n.js";
import { $, explain, say, warn } from "./screens.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES = () => ({ mon: _("Monday"), tue: _("Tuesday"), wed: _("Wednesday"), thu: _("Thursday"),
                           fri: _("Friday"), sat: _("Saturday"), sun: _("Sunday") });
let session = null;
let services = [];
let staff = [];

export function startClinic(current) {
  session = current;
  const languages = [...$("language").options].map((o) => [o.value, o.textContent]);
  $("profile-default-language").replaceChildren(...languages.map(([code, name]) => new Option(name, code)));
  $("profile-languages").append(...languages.map(([code, name]) => el("label", { class: "choice" },
    el("input", { type: "checkbox", name: "profile-language", value: code }), ` ${name}`)));
  $("staff-days").append(...DAYS.map((day) => el("label", { class: "choice" },
    el("input", { type: "checkbox", name: "staff-day", value: day, checked: !["sat", "sun"].includes(day) }),
    ` ${DAY_NAMES()[day]}`)));
  $("staff-zone").value = current.org.timezone;
  const link = `${location.origin}${location.pathname.replace(/\/console$/, "")}/book/${current.org.slug}`;
  $("booking-link").href = link;
  $("booking-link").textContent = link;
  const title = _("Book an appointment");
  $("embed-snippet").value = `<iframe src="${link}" title="${title}" ` +
    `width="100%" height="900" style="border:0"></iframe>`;
  $("profile-form").addEventListener("submit", (event) => act(event, saveProfile));
  $("service-form").addEventListener("submit", (event) => act(event, addService));
  $("staff-form").addEventListener("submit", (event) => act(event, addStaff));
  $("timeoff-form").addEventListener("submit", (event) => act(event, addTimeOff));
}

async function act(event, work) {
  event.preventDefault();
  warn("");
  try {
    await work();
  } catch (error) {
    warn(explain(error));
  }
}

export async function showClinic() {
  warn("");
  try {
    const [{ profile }, listed, members] = await Promise.all([
      api("GET", "/v1/org/profile"), api("GET", "/v1/services"), api("GET", "/v1/staff")]);
    services = listed.services;
    staff = members.staff;
    showProfile(profile);
    drawServices();
    drawStaff();
  } catch (error) {
    warn(explain(error));
  }
}

function showProfile(profile) {
  $("profile-address").value = profile.address || "";
  $("profile-phone").value = profile.phone || "";
  $("profile-website").value = profile.website || "";
  $("profile-cancellation").value = profile.cancellation_policy || "";
  $("profile-default-language").value = profile.default_language;
  document.querySelectorAll('input[name="profile-language"]').forEach((box) => {
    box.checked = profile.languages.includes(box.value);
  });
  $("profile-embed").value = (profile.embed_origins || []).join("\n");
}

async function saveProfile() {
  const text = (id) => $(id).value.trim() || null;
  const { profile } = await api("PUT", "/v1/org/profile", {
    address: text("profile-address"), phone: text("profile-phone"), website: text("profile-website"),
    cancellation_policy: text("profile-cancellation"), default_language: $("profile-default-language").value,
    languages: checked("profile-language"), embed_origins: linesOf("profile-embed"),
  });
  showProfile(profile);
  say(_("The profile is saved."));
}

function drawServices() {
  fill("services-rows", services.map((s) => row([s.name, _("%(minutes)s min", { minutes: s.duration_minutes })])),
       "services-empty");
  $("staff-services").replaceChildren($("staff-services").querySelector("legend"),
    ...services.map((s) => el("label", { class: "choice" },
      el("input", { type: "checkbox", name: "staff-service", value: s.id, checked: true }), ` ${s.name}`)));
}

async function addService() {
  const body = { name: $("service-name").value.trim(), duration_minutes: Number($("service-minutes").value) };
  const { service } = await api("POST", "/v1/services", body);
  services.push(service);
  drawServices();
  $("service-name").value = "";
  say(_("%(name)s is added.", { name: service.name }));
}

function hoursOf(member) {
  const names = DAY_NAMES();
  return DAYS.filter((day) => (member.weekly_hours || {})[day]?.length)
    .map((day) => `${names[day]} ${member.weekly_hours[day].map((i) => `${i.start}–${i.end}`).join(", ")}`)
    .join("; ");
}

function drawStaff() {
  const named = Object.fromEntries(services.map((s) => [s.id, s.name]));
  fill("staff-rows", staff.map((m) => row([
    m.display_name, hoursOf(m), (m.service_ids || []).map((id) => named[id]).filter(Boolean).join(", "),
    (m.time_off || []).map((t) => awayDays(t, m.timezone)).join("; "),
  ])), "staff-empty");
  $("timeoff-staff").replaceChildren(...staff.map((m) => new Option(m.display_name, m.id)));
}

// Time off as the days away, in the staff member's zone (it ends at the midnight after the last day).
function awayDays(away, zone) {
  const day = new Intl.DateTimeFormat(language, { dateStyle: "medium", timeZone: zone });
  const last = new Date(Date.parse(away.end) - 1);
  return `${day.format(new Date(away.start))} – ${day.format(last)}`;
}

async function addStaff() {
  const interval = [{ start: $("staff-from").value, end: $("staff-to").value }];
  const body = {
    display_name: $("staff-name").value.trim(), timezone: $("staff-zone").value.trim(),
    service_ids: checked("staff-service"),
    weekly_hours: Object.fromEntries(checked("staff-day").map((day) => [day, interval])),
  };
  const created = await api("POST", "/v1/staff", body);
  staff.push(created.staff);
  drawStaff();
  $("staff-name").value = "";
  say(_("%(name)s is added.", { name: created.staff.display_name }));
}

async function addTimeOff() {
  const member = staff.find((m) => m.id === $("timeoff-staff").value);
  if (!member || !$("timeoff-first").value || !$("timeoff-last").value) {
    warn(_("Please check what you entered."));
    return;
  }
  const next = new Date(`${$("timeoff-last").value}T12:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  const away = { start: midnightIn($("timeoff-first").value, member.timezone),
                 end: midnightIn(next.toISOString().slice(0, 10), member.timezone) };
  const updated = await api("PATCH", `/v1/staff/${member.id}`, { time_off: [...(member.time_off || []), away] });
  staff = staff.map((m) => (m.id === member.id ? updated.staff : m));
  drawStaff();
  say(_("The time off of %(name)s is saved.", { name: member.display_name }));
}
