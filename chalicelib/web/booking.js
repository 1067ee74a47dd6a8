"use strict";
// The hosted booking pages: book (/book/{slug}), manage one booking (/manage/{id}#token), list
// one's bookings (/my/bookings#token) and one's own data (/my/data/{slug}#token). The token stays in
// the fragment and goes only in a header or a POST body.
// Texts come translated with the page (#messages); `_("...")` marks them for the catalogues.
(() => {
  const page = document.body.dataset.page;
  const base = location.pathname.replace(/\/(book|manage|my)\/.*$/, "");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const token = decodeURIComponent(location.hash.slice(1));
  const $ = (id) => document.getElementById(id);
  const language = document.documentElement.lang || "en";
  // The browser's own locale when it speaks the page's language ("en-GB": 24-hour clock), else the language.
  const locale = (navigator.languages || []).find((tag) => tag.split("-")[0] === language) || language;
  const messages = JSON.parse($("messages").textContent || "{}");
  const lastSegment = () => decodeURIComponent(location.pathname.split("/").pop());
  const DAYS_AHEAD = 14; // the first search for a day with free times; then the next 14, up to 8 weeks

  function _(text, values = {}) {
    const translated = messages[text] || text;
    return translated.replace(/%\((\w+)\)s/g, (_match, name) => String(values[name] ?? ""));
  }

  // Plain words for each error code the API may answer; the field it names decides where it shows.
  function explain(error) {
    const byField = {
      "customer.name": _("Please enter your name."),
      "customer.email": _("Please enter an e-mail address like name@example.com."),
      "customer.phone": _("Please enter a mobile number with the country code, like +1 415 555 0123."),
      sms_opt_in: _("This clinic does not send text messages; untick the box."),
      start: _("Please choose a time."),
      notes: _("Please shorten your note to 2,000 characters."),
      reason: _("Please shorten the reason to 500 characters."),
      email: _("Please enter an e-mail address like name@example.com."),
      name: _("Please enter your name."),
      phone: _("Please enter a phone number with the country code, like +1 415 555 0123."),
    };
    const byCode = {
      slot_unavailable: _("Someone has just taken that time. Please choose another one."),
      too_late_to_change: _("This appointment is too soon to change online. Please call the clinic."),
      booking_cancelled: _("This appointment is cancelled, so it cannot be changed."),
      rate_limited: _("Too many tries from your connection. Please wait a few minutes and try again."),
      too_many_attempts: _("Too many tries. Please wait a few minutes and try again."),
      not_found: _("We could not find this. The link may be out of date."),
      verification_failed: _("That code is not the one we e-mailed. Check the latest e-mail from the clinic and try again."),
      hold_expired: _("The time was held for you but not confirmed in time, so it is free again. Please choose a time again."),
      already_confirmed: _("This booking is already confirmed; the e-mail we sent has its link."),
      unauthenticated: _("This link does not work any more. Open the latest e-mail from the clinic."),
      invalid_token: _("This link does not work any more. Ask for a new one below."),
      link_already_used: _("This link was already used. Ask for a new one below."),
      session_expired: _("For your safety this page closed after 15 minutes. Ask for a new link below."),
      email_in_use: _("This address belongs to another record at this clinic, so nothing was changed. Please contact the clinic."),
      network: _("We could not reach the booking system. Check your connection and try again."),
    };
    if (error.code === "validation_failed" && error.field === "code") return byCode.verification_failed;
    if (error.code === "validation_failed") return byField[error.field] || _("Please check what you entered.");
    return byCode[error.code] || _("Something went wrong on our side and nothing was changed. Please try again in a minute.");
  }

  async function api(method, path, body, headers = {}) {
    // The page's language, so the clinic's own words (service names, policy) and e-mails come in it too.
    const init = { method, headers: { "Accept-Language": language, ...headers }, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(base + path, init);
    } catch {
      throw Object.assign(new Error("network"), { code: "network" });
    }
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      const error = (data && data.error) || {};
      throw Object.assign(new Error(error.code || "error"), { code: error.code, field: error.field });
    }
    return (response.headers.get("Content-Type") || "").startsWith("application/json") ? response.json() : response.text();
  }

  // --- showing errors next to what caused them ---------------------------------------------------

  function showError(id, text) {
    const box = $(`${id}-error`);
    box.textContent = text || "";
    box.hidden = !text;
    const field = $(id);
    if (field && field.tagName !== "BUTTON") {
      if (text) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    }
  }

  function clearErrors(ids) {
    ids.forEach((id) => showError(id, ""));
  }

  // After any error, keyboard and screen-reader focus goes to the message that explains it.
  function focusMessage(box) {
    if (!box || box.hidden) return;
    box.tabIndex = -1;
    box.focus();
  }

  function showErrorAndFocus(id, text) {
    showError(id, text);
    focusMessage($(`${id}-error`));
  }

  const say = (text) => { $("status").textContent = text; };
  const sayError = (text) => { say(text); focusMessage($("status")); };

  // --- formatting, by the page's locale ----------------------------------------------------------

  const clockTime = (iso) => new Date(iso).toLocaleTimeString(locale, { hour: "numeric", minute: "2-digit", timeZone: zone });
  const longTime = (iso) => new Date(iso).toLocaleString(locale, { dateStyle: "full", timeStyle: "short", timeZone: zone });
  const localDay = (date) => date.toLocaleDateString("en-CA", { timeZone: zone }); // YYYY-MM-DD
  const addDays = (day, days) => {
    const date = new Date(`${day}T12:00:00Z`);
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  };
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));

  function addOption(select, value, text) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = text;
    select.append(option);
  }

  function showClinic(org, profile) {
    if (profile.accent_color) document.documentElement.style.setProperty("--accent", profile.accent_color);
    const box = $("clinic");
    if (!box) return;
    const line = (text, href) => {
      const item = document.createElement(href ? "a" : "span");
      item.textContent = text;
      if (href) item.href = href;
      box.append(item);
    };
    box.replaceChildren();
    line(org.name);
    (profile.address || "").split("\n").filter((part) => part.trim()).forEach((part) => line(part.trim()));
    if (profile.phone) line(_("Phone: %(phone)s", { phone: profile.phone_display || profile.phone }), `tel:${profile.phone}`);
    if (profile.map_url) line(_("Directions"), profile.map_url);
    if (profile.website) line(_("Website"), profile.website);
    box.hidden = false;
  }

  // --- the language picker ----------------------------------------------------------------------

  function languagePicker() {
    $("language").addEventListener("change", () => {
      const url = new URL(location.href);
      url.searchParams.set("lang", $("language").value);
      location.replace(url.toString());
    });
  }
  const withLanguage = (path) => (new URL(location.href).searchParams.has("lang") ? `${path}?lang=${language}` : path);

  // --- the times: one radio group, one Tab stop, arrow keys move between times -------------------

  const staffNames = new Map();
  let latestRefresh = 0;

  function timeButton(slot, showStaff) {
    const button = document.createElement("button");
    button.type = "button";
    button.setAttribute("role", "radio");
    button.setAttribute("aria-checked", "false");
    button.tabIndex = -1;
    button.dataset.start = slot.start;
    button.dataset.staff = slot.staff_id;
    const time = document.createElement("span");
    time.textContent = clockTime(slot.start);
    button.append(time);
    if (showStaff) {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = staffNames.get(slot.staff_id) || "";
      button.append(who);
    }
    return button;
  }

  function choose(box, button, focus) {
    for (const other of box.querySelectorAll('[role="radio"]')) {
      other.setAttribute("aria-checked", String(other === button));
      other.tabIndex = other === button ? 0 : -1;
    }
    box.dataset.start = button.dataset.start;
    box.dataset.staff = button.dataset.staff;
    showError("slots", "");
    if (focus) button.focus();
  }

  function radioKeys(box) {
    box.addEventListener("keydown", (event) => {
      const radios = [...box.querySelectorAll('[role="radio"]')];
      const at = radios.indexOf(document.activeElement);
      if (at < 0) return;
      const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -at, End: radios.length - 1 - at };
      if (event.key in moves) {
        event.preventDefault();
        choose(box, radios[(at + moves[event.key] + radios.length) % radios.length], true);
      } else if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        choose(box, radios[at], false);
      }
    });
    box.addEventListener("click", (event) => {
      const button = event.target.closest('[role="radio"]');
      if (button) choose(box, button, true);
    });
  }

  // With "anyone available" each start shows once, with the first staff member free then (by name).
  function oneSlotPerStart(slots) {
    const byStart = new Map();
    for (const slot of slots) {
      const kept = byStart.get(slot.start);
      const name = staffNames.get(slot.staff_id) || "";
      if (!kept || name.localeCompare(staffNames.get(kept.staff_id) || "") < 0) byStart.set(slot.start, slot);
    }
    return [...byStart.values()];
  }

  function drawSlots(box, slots, showStaff) {
    box.replaceChildren();
    box.removeAttribute("aria-busy");
    box.dataset.start = box.dataset.staff = "";
    const shown = oneSlotPerStart(slots);
    if (!shown.length) {
      const none = document.createElement("p");
      none.textContent = _("No free times that day; try another day.");
      box.append(none);
      return;
    }
    // Grouped by part of the day, so a phone shows a whole day in about two screens.
    const parts = [[_("Morning"), 0], [_("Afternoon"), 12], [_("Evening"), 17]];
    const hourOf = (iso) => Number(new Date(iso).toLocaleString("en-GB", { hour: "numeric", hourCycle: "h23", timeZone: zone }));
    parts.forEach(([title, from], index) => {
      const until = index + 1 < parts.length ? parts[index + 1][1] : 24;
      const inPart = shown.filter((slot) => hourOf(slot.start) >= from && hourOf(slot.start) < until);
      if (!inPart.length) return;
      const heading = document.createElement("p");
      heading.className = "slot-group";
      heading.textContent = title;
      box.append(heading, ...inPart.map((slot) => timeButton(slot, showStaff)));
    });
    box.querySelector('[role="radio"]').tabIndex = 0;
  }

  function showLoading(box) {
    box.replaceChildren();
    box.setAttribute("aria-busy", "true");
    box.dataset.start = box.dataset.staff = "";
    const loading = document.createElement("p");
    loading.className = "loading";
    loading.textContent = _("Loading free times…");
    box.append(loading);
  }

  async function fetchSlots(slug, serviceId, staffId, first, last) {
    const query = new URLSearchParams({ service_id: serviceId, from: first, to: last, tz: zone });
    if (staffId) query.set("staff_id", staffId);
    const { slots } = await api("GET", `/v1/public/orgs/${encodeURIComponent(slug)}/slots?${query}`);
    return slots;
  }

  // Shows the day's free times; with `findFirst`, first moves the day to the first one that has any.
  async function showSlots(slug, serviceId, staffId, findFirst) {
    const box = $("slots");
    const refresh = ++latestRefresh;
    showLoading(box);
    clearErrors(["slots", "day"]);
    try {
      let day = $("day").value;
      let slots = [];
      for (let week = 0; findFirst && week < 4 && !slots.length; week += 1) {
        const first = addDays(day, week * DAYS_AHEAD);
        slots = await fetchSlots(slug, serviceId, staffId, first, addDays(first, DAYS_AHEAD - 1));
      }
      if (slots.length) day = localDay(new Date(slots[0].start));
      if (refresh !== latestRefresh) return;
      $("day").value = day;
      const onDay = findFirst ? slots.filter((slot) => localDay(new Date(slot.start)) === day)
        : await fetchSlots(slug, serviceId, staffId, day, day);
      if (refresh !== latestRefresh) return;
      drawSlots(box, onDay, !staffId);
    } catch (error) {
      if (refresh !== latestRefresh) return;
      box.replaceChildren();
      box.removeAttribute("aria-busy");
      showErrorAndFocus("slots", explain(error));
    }
  }

  // --- add to calendar: the .ics comes with the manage token in a header, then downloads -----------

  async function downloadCalendar(id, manageToken) {
    showError("calendar", "");
    try {
      const ics = await api("GET", `/v1/public/bookings/${encodeURIComponent(id)}/calendar.ics`, undefined,
        { "X-Manage-Token": manageToken });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([ics], { type: "text/calendar" }));
      link.download = "appointment.ics";
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    } catch (error) {
      showErrorAndFocus("calendar", explain(error));
    }
  }

  // --- the booking page -------------------------------------------------------------------------

  const FIELDS = { "customer.name": "name", "customer.email": "email", "customer.phone": "phone", sms_opt_in: "sms", start: "slots", notes: "notes" };

  function checkDetails(profile) {
    const problems = [];
    if (!$("slots").dataset.start) problems.push(["slots", _("Please choose a time.")]);
    if (!$("name").value.trim()) problems.push(["name", _("Please enter your name.")]);
    if (!$("email").value.trim() || !$("email").checkValidity()) problems.push(["email", _("Please enter an e-mail address like name@example.com.")]);
    const phone = $("phone").value.replace(/[\s().-]/g, "");
    if (phone && !/^\+[1-9][0-9]{7,14}$/.test(phone)) problems.push(["phone", _("Please enter a mobile number with the country code, like +1 415 555 0123.")]);
    if (profile.sms_enabled && $("sms").checked && !phone) problems.push(["phone", _("Please enter a mobile number with the country code, like +1 415 555 0123.")]);
    return problems;
  }

  function showProblems(problems, nextToButton) {
    problems.forEach(([id, text]) => showError(id, text));
    const summary = problems.length === 1 ? problems[0][1]
      : _("Please check the %(count)s highlighted fields above.", { count: problems.length });
    showError(nextToButton, problems.length ? summary : "");
    if (problems.length) focusMessage($(`${nextToButton}-error`));
  }

  function bookingBody(profile) {
    const customer = { name: $("name").value.trim(), email: $("email").value.trim() };
    const phone = $("phone").value.replace(/[\s().-]/g, "");
    if (phone) customer.phone = phone;
    const body = { service_id: $("service").value, start: $("slots").dataset.start, customer, timezone: zone, locale };
    body.staff_id = $("staff").value || $("slots").dataset.staff;
    if ($("notes").value.trim()) body.notes = $("notes").value.trim();
    if (profile.sms_enabled && $("sms").checked) body.sms_opt_in = true;
    return body;
  }

  function showBooked(result, services, manageUrl) {
    const booking = result.booking;
    const service = services.find((s) => s.id === booking.service_id);
    $("booking-form").hidden = $("check-email").hidden = true;
    $("done").hidden = false;
    $("done-text").textContent = _("%(service)s with %(staff)s, %(when)s.", {
      service: service ? service.name : "", staff: staffNames.get(booking.staff_id) || "", when: longTime(booking.start) });
    const secret = new URL(manageUrl).hash;
    $("manage-link").href = `${withLanguage(`${base}/manage/${booking.id}`)}${secret}`;
    $("add-to-calendar").addEventListener("click", () => downloadCalendar(booking.id, decodeURIComponent(secret.slice(1))));
    $("done-title").focus();
  }

  // What the clinic asks patients to know before they book: its cancellation policy and notes.
  function showBeforeBooking(profile) {
    const policy = profile.cancellation_policy;
    $("booking-policy").textContent = policy ? _("Cancellation policy: %(policy)s", { policy }) : "";
    $("booking-policy").hidden = !policy;
    $("clinic-notes").textContent = profile.notes || "";
    $("clinic-notes").hidden = !profile.notes;
    $("before-booking").hidden = !policy && !profile.notes;
  }

  // The privacy policy: a prominent notice while a new version is announced, then its effective date.
  async function showPolicy(slug) {
    const longDay = (instant) => new Date(instant).toLocaleDateString(locale, { dateStyle: "long" });
    $("privacy-link").href = withLanguage(`${base}/privacy/${encodeURIComponent(slug)}`);
    const { current, upcoming } = await api("GET", `/v1/public/orgs/${encodeURIComponent(slug)}/privacy-policy`);
    if (current) $("privacy-link").textContent = _("Privacy policy (effective %(date)s)", { date: longDay(current.effective_at) });
    if (!upcoming) return;
    $("policy-notice").textContent = _("Our privacy policy changes on %(date)s: %(summary)s", {
      date: longDay(upcoming.effective_at), summary: upcoming.summary });
    $("policy-notice").hidden = false;
  }

  // The pending step: the time is held until the patient proves their mailbox with the e-mailed code.
  function showHeld(result, address) {
    $("booking-form").hidden = true;
    $("check-email").hidden = false;
    const until = new Date(result.verification.expires_at).toLocaleTimeString(locale, { timeStyle: "short", timeZone: zone });
    $("check-text").textContent = _("We sent a 6-digit code to %(address)s. Your time is held until %(time)s; enter the code (or open the link in the e-mail) to confirm the booking.", { address, time: until });
    $("check-title").focus();
  }

  function holdStep(slug, services, refresh) {
    let heldId = null;
    const confirmHold = (bookingId, proof) =>
      api("POST", `/v1/public/orgs/${encodeURIComponent(slug)}/bookings/${encodeURIComponent(bookingId)}/confirm`, proof);
    $("code-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      showError("code", "");
      if (!/^[0-9]{6}$/.test($("code").value.trim())) return showErrorAndFocus("code", _("Please enter the 6 digits from the e-mail."));
      $("confirm-code").disabled = true;
      try {
        const result = await confirmHold(heldId, { code: $("code").value.trim() });
        showBooked(result, services, result.manage_url);
      } catch (error) {
        if (["hold_expired", "too_many_attempts"].includes(error.code)) {
          $("check-email").hidden = true;
          $("booking-form").hidden = false;
          await refresh(false);
          showProblems([["slots", explain(error)]], "confirm");
        } else showErrorAndFocus("code", explain(error));
      } finally { $("confirm-code").disabled = false; }
    });
    const fromLink = /^confirm\/([^/]+)\/([^/]+)$/.exec(token);
    if (fromLink) {
      history.replaceState(null, "", location.pathname + location.search); // the token leaves the address bar at once
      confirmHold(fromLink[1], { token: fromLink[2] })
        .then((result) => showBooked(result, services, result.manage_url))
        .catch((error) => sayError(explain(error)));
    }
    return (result, address) => { heldId = result.booking.id; showHeld(result, address); };
  }

  async function bookPage() {
    const slug = lastSegment();
    const { org, profile, services, staff } = await api("GET", `/v1/public/orgs/${encodeURIComponent(slug)}`);
    document.title = _("Book with %(clinic)s", { clinic: org.name });
    $("org-name").textContent = _("Book with %(clinic)s", { clinic: org.name });
    showClinic(org, profile);
    showBeforeBooking(profile);
    showPolicy(slug).catch(() => {});  // the booking works even if the policy cannot be shown
    $("viewer-tz").textContent = zone;
    $("sms-choice").hidden = !profile.sms_enabled;
    staff.forEach((member) => staffNames.set(member.id, member.display_name));
    services.forEach((service) => addOption($("service"), service.id,
      _("%(service)s (%(minutes)s min)", { service: service.name, minutes: service.duration_minutes })));
    let idempotencyKey = newKey();
    const refresh = (findFirst) => showSlots(slug, $("service").value, $("staff").value, findFirst);
    const listStaff = () => {
      $("staff").replaceChildren();
      addOption($("staff"), "", _("Anyone available"));
      staff.filter((m) => m.service_ids.includes($("service").value)).forEach((m) => addOption($("staff"), m.id, m.display_name));
    };
    const today = localDay(new Date());
    $("day").min = $("day").value = today;
    radioKeys($("slots"));
    $("service").addEventListener("change", () => { listStaff(); $("day").value = today; refresh(true); });
    $("staff").addEventListener("change", () => { $("day").value = today; refresh(true); });
    $("day").addEventListener("change", () => refresh(false));
    listStaff();
    refresh(true);
    const held = holdStep(slug, services, refresh);

    $("booking-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(["slots", "name", "email", "phone", "sms", "notes", "confirm"]);
      const problems = checkDetails(profile);
      if (problems.length) return showProblems(problems, "confirm");
      const body = bookingBody(profile);
      $("confirm").disabled = true;
      $("confirm").textContent = _("Booking…");
      try {
        const result = await api("POST", `/v1/public/orgs/${encodeURIComponent(slug)}/bookings`, body,
          { "Idempotency-Key": idempotencyKey });
        idempotencyKey = newKey();
        if (result.verification) held(result, body.customer.email);
        else showBooked(result, services, result.manage_url);
      } catch (error) {
        const field = FIELDS[error.field];
        if (error.code === "slot_unavailable") {
          idempotencyKey = newKey();
          await refresh(false);
        }
        showProblems([[error.code === "slot_unavailable" ? "slots" : field || "confirm", explain(error)]], "confirm");
      } finally {
        $("confirm").disabled = false;
        $("confirm").textContent = _("Confirm booking");
      }
    });

    $("my-bookings-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      showError("my-email", "");
      if (!$("my-email").value.trim() || !$("my-email").checkValidity()) {
        return showErrorAndFocus("my-email", _("Please enter an e-mail address like name@example.com."));
      }
      try {
        await api("POST", `/v1/public/orgs/${encodeURIComponent(slug)}/my-bookings`, { email: $("my-email").value.trim() });
        $("my-bookings-status").textContent = _("If we know this address, a link to its bookings is on its way.");
      } catch (error) { showErrorAndFocus("my-email", explain(error)); }
    });
  }

  // --- the manage page --------------------------------------------------------------------------

  function renderBooking(data) {
    const booking = data.booking;
    $("org-name").textContent = _("Your appointment with %(clinic)s", { clinic: data.org.name });
    showClinic(data.org, data.profile || {});
    $("booking-service").textContent = booking.service.name;
    $("booking-staff").textContent = booking.staff.display_name;
    $("booking-when").textContent = longTime(booking.start);
    $("booking-status").textContent = booking.status === "confirmed" ? _("Booked") : _("Cancelled");
    $("booking").hidden = false;
    $("reschedule-form").hidden = $("cancel-form").hidden = $("add-to-calendar").hidden = booking.status !== "confirmed";
    const policy = data.profile && data.profile.cancellation_policy;
    $("policy").textContent = policy ? _("Cancellation policy: %(policy)s", { policy }) : "";
    $("policy").hidden = !policy;
  }

  async function managePage() {
    if (!token) return say(_("This link is incomplete: open it again from your e-mail."));
    const id = lastSegment();
    const headers = { "X-Manage-Token": token };
    let current;
    const render = (data) => { current = data; renderBooking(data); };
    try {
      render(await api("GET", `/v1/public/bookings/${encodeURIComponent(id)}`, undefined, headers));
    } catch (error) {
      return sayError(explain(error.code === "not_found" ? { code: "unauthenticated" } : error));
    }
    $("viewer-tz").textContent = zone;
    $("day").min = localDay(new Date());
    $("day").value = localDay(new Date(current.booking.start));
    const refresh = (findFirst) => showSlots(current.org.slug, current.booking.service.id, current.booking.staff.id, findFirst);
    radioKeys($("slots"));
    $("day").addEventListener("change", () => refresh(false));
    refresh(false);
    $("add-to-calendar").addEventListener("click", () => downloadCalendar(id, token));

    $("reschedule-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(["slots", "reschedule"]);
      const start = $("slots").dataset.start;
      if (!start) return showProblems([["slots", _("Please choose a new time.")]], "reschedule");
      $("reschedule").disabled = true;
      try {
        render(await api("POST", `/v1/public/bookings/${encodeURIComponent(id)}/reschedule`, { start }, headers));
        say(_("Moved. We e-mailed you the new time."));
        refresh(false);
      } catch (error) {
        showProblems([[error.code === "slot_unavailable" ? "slots" : "reschedule", explain(error)]], "reschedule");
      } finally { $("reschedule").disabled = false; }
    });

    $("cancel").addEventListener("click", () => {
      $("cancel-confirm").hidden = false;
      $("cancel").hidden = true;
      $("cancel-yes").focus();
    });
    $("cancel-no").addEventListener("click", () => {
      $("cancel-confirm").hidden = true;
      $("cancel").hidden = false;
      $("cancel").focus();
    });
    $("cancel-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(["reason", "cancel"]);
      const body = $("reason").value.trim() ? { reason: $("reason").value.trim() } : {};
      $("cancel-yes").disabled = true;
      try {
        render(await api("POST", `/v1/public/bookings/${encodeURIComponent(id)}/cancel`, body, headers));
        say(_("Cancelled. We e-mailed you a confirmation."));
      } catch (error) {
        showProblems([[error.field === "reason" ? "reason" : "cancel", explain(error)]], "cancel");
      } finally { $("cancel-yes").disabled = false; }
    });
  }

  // --- the list of one's bookings ---------------------------------------------------------------

  async function myBookingsPage() {
    if (!token) return say(_("This link is incomplete: open it again from your e-mail."));
    let bookings;
    try {
      ({ bookings } = await api("GET", "/v1/public/my-bookings", undefined, { "X-Manage-Token": token }));
    } catch (error) {
      return sayError(explain(error.code === "not_found" ? { code: "unauthenticated" } : error));
    }
    say(bookings.length ? "" : _("You have no appointments."));
    for (const booking of bookings) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `${withLanguage(`${base}/manage/${booking.id}`)}#${encodeURIComponent(token)}`;
      link.textContent = _("%(service)s with %(staff)s, %(when)s", {
        service: booking.service.name, staff: booking.staff.display_name, when: longTime(booking.start) });
      item.append(link, document.createTextNode(booking.status === "confirmed" ? "" : " " + _("(cancelled)")));
      $("my-bookings").append(item);
    }
  }

  // --- one's own data: the link is exchanged once for a 15-minute session ---------------------------

  async function dataPage() {
    const slug = lastSegment();
    const root = `/v1/public/orgs/${encodeURIComponent(slug)}/self-service`;
    const stored = `self-service/${slug}`;
    let session = sessionStorage.getItem(stored);
    const headers = () => ({ "X-Self-Service-Session": session });
    const askAgain = (text) => {
      sessionStorage.removeItem(stored);
      $("data").hidden = true;
      $("ask-form").hidden = false;
      say(text);
    };
    $("ask-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(["ask-email", "ask"]);
      if (!$("ask-email").value.trim() || !$("ask-email").checkValidity()) {
        return showProblems([["ask-email", _("Please enter an e-mail address like name@example.com.")]], "ask");
      }
      $("ask").disabled = true;
      try {
        await api("POST", `${root}/link`, { email: $("ask-email").value.trim() });
        say(_("If the clinic knows this address, a link is on its way to it. Open it on this device."));
      } catch (error) {
        showProblems([[error.field === "email" ? "ask-email" : "ask", explain(error)]], "ask");
      } finally { $("ask").disabled = false; }
    });
    if (token) {
      history.replaceState(null, "", location.pathname + location.search); // the token leaves the address bar and history
      try {
        ({ session: { token: session } } = await api("POST", `${root}/session`, { token }));
        sessionStorage.setItem(stored, session);
      } catch (error) {
        if (!session) return askAgain(explain(error));
      }
    }
    if (!session) return askAgain("");
    const show = (details) => {
      $("shown-name").textContent = details.name;
      $("shown-email").textContent = details.email;
      $("shown-phone").textContent = details.phone || _("none");
      $("name").value = details.name;
      $("phone").value = details.phone || "";
      $("notes-held").hidden = !details.clinical_notes_held;
    };
    const showErasure = (request) => {
      const words = { pending: _("You asked for erasure; the clinic has not decided yet."),
        refused: _("The clinic refused to erase your data: %(reason)s", { reason: (request && request.refusal_reason) || "" }),
        erased: _("Your data was erased.") };
      $("erasure-state").textContent = request ? words[request.status] : "";
      $("erasure-state").hidden = !request;
      $("erase").hidden = Boolean(request && request.status === "pending");
    };
    const failed = (error, where) => {
      if (["session_expired", "invalid_token", "unauthenticated"].includes(error.code)) {
        askAgain(explain(error));
        return focusMessage($("status"));
      }
      return showProblems([[where(error), explain(error)]], where({}));
    };
    let me;
    try {
      me = await api("GET", `${root}/me`, undefined, headers());
    } catch (error) {
      return askAgain(explain(error));
    }
    show(me.details);
    showErasure(me.erasure_request);
    $("session-ends").textContent = _("For your safety this page closes at %(time)s.", { time: clockTime(me.session.expires_at) });
    $("data").hidden = false;
    $("title").focus();

    $("correct-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(["name", "phone", "correct"]);
      const phone = $("phone").value.replace(/[\s().-]/g, "");
      const problems = [];
      if (!$("name").value.trim()) problems.push(["name", _("Please enter your name.")]);
      if (phone && !/^\+[1-9][0-9]{7,14}$/.test(phone)) problems.push(["phone", _("Please enter a phone number with the country code, like +1 415 555 0123.")]);
      if (problems.length) return showProblems(problems, "correct");
      $("correct").disabled = true;
      try {
        show((await api("PATCH", `${root}/me`, { name: $("name").value.trim(), phone: phone || null }, headers())).details);
        say(_("Saved."));
      } catch (error) {
        failed(error, (e) => (["name", "phone"].includes(e.field) ? e.field : "correct"));
      } finally { $("correct").disabled = false; }
    });

    $("email-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(["new-email", "email"]);
      if (!$("new-email").value.trim() || !$("new-email").checkValidity()) {
        return showProblems([["new-email", _("Please enter an e-mail address like name@example.com.")]], "email");
      }
      $("email").disabled = true;
      try {
        await api("POST", `${root}/email`, { email: $("new-email").value.trim() }, headers());
        $("code-form").hidden = false;
        $("code").focus();
        say(_("We sent a code to the new address. Enter it below; your address changes only then."));
      } catch (error) {
        failed(error, (e) => (e.field === "email" ? "new-email" : "email"));
      } finally { $("email").disabled = false; }
    });

    $("code-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(["code", "confirm-code"]);
      if (!/^[0-9]{6}$/.test($("code").value.trim())) {
        return showProblems([["code", _("Please enter the 6-digit code from the e-mail.")]], "confirm-code");
      }
      $("confirm-code").disabled = true;
      try {
        show((await api("POST", `${root}/email/confirm`, { code: $("code").value.trim() }, headers())).details);
        $("code-form").hidden = true;
        $("new-email").value = $("code").value = "";
        say(_("Your e-mail address is changed. We told your old address too."));
      } catch (error) {
        failed(error, (e) => (e.code === "verification_failed" || e.field === "code" ? "code" : "confirm-code"));
      } finally { $("confirm-code").disabled = false; }
    });

    $("download").addEventListener("click", async () => {
      showError("download", "");
      try {
        const data = await api("GET", `${root}/export`, undefined, headers());
        const link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
        link.download = "my-data.json";
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      } catch (error) {
        failed(error, () => "download");
      }
    });

    $("erase").addEventListener("click", () => {
      $("erase-confirm").hidden = false;
      $("erase").hidden = true;
      $("erase-yes").focus();
    });
    $("erase-no").addEventListener("click", () => {
      $("erase-confirm").hidden = true;
      $("erase").hidden = false;
      $("erase").focus();
    });
    $("erase-yes").addEventListener("click", async () => {
      showError("erase-yes", "");
      $("erase-yes").disabled = true;
      try {
        showErasure((await api("POST", `${root}/erasure-request`, undefined, headers())).erasure_request);
        $("erase-confirm").hidden = true;
        say(_("Your request is with the clinic. We e-mailed you a confirmation."));
      } catch (error) {
        failed(error, () => "erase-yes");
      } finally { $("erase-yes").disabled = false; }
    });

    $("sign-out").addEventListener("click", async () => {
      await api("DELETE", `${root}/session`, undefined, headers()).catch(() => null);
      askAgain(_("You are signed out."));
    });
  }

  languagePicker();
  const nothingToLoad = async () => {};  // "clinic not found" and "unavailable" only offer the language picker
  const pages = { book: bookPage, manage: managePage, mine: myBookingsPage, data: dataPage,
                  missing: nothingToLoad, unavailable: nothingToLoad };
  pages[page]().catch((error) => sayError(explain(error)));
})();
