"use strict";
// The hosted booking pages: book (/book/{slug}), manage one booking (/manage/{id}#token) and list
// one's bookings (/my/bookings#token). The token stays in the fragment and goes only in a header.
(() => {
  const page = document.body.dataset.page;
  const base = location.pathname.replace(/\/(book|manage|my)\/.*$/, "");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const token = decodeURIComponent(location.hash.slice(1));
  const $ = (id) => document.getElementById(id);
  const say = (text) => { $("status").textContent = text; };
  const lastSegment = () => decodeURIComponent(location.pathname.split("/").pop());

  async function api(method, path, body, headers = {}) {
    const init = { method, headers: { ...headers }, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(base + path, init);
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error((data && data.error && data.error.message) || "Something went wrong; try again.");
      error.code = data && data.error && data.error.code;
      throw error;
    }
    return data;
  }

  const clockTime = (iso) => iso.slice(11, 16); // slots arrive already in the visitor's zone
  const longTime = (iso) => new Date(iso).toLocaleString([], { dateStyle: "full", timeStyle: "short", timeZone: zone });
  const localDay = (date) => date.toLocaleDateString("en-CA", { timeZone: zone }); // YYYY-MM-DD
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));

  function addOption(select, value, text) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = text;
    select.append(option);
  }

  // Fills #slots with one radio button per free start; the chosen one is in #slots' data-start.
  // Only the latest of overlapping refreshes draws (quick changes of day or service race).
  let latestRefresh = 0;
  async function showSlots(slug, serviceId, staffId, day) {
    const box = $("slots");
    const refresh = ++latestRefresh;
    box.dataset.start = "";
    const query = new URLSearchParams({ service_id: serviceId, from: day, to: day, tz: zone });
    if (staffId) query.set("staff_id", staffId);
    const { slots } = await api("GET", `/v1/public/orgs/${encodeURIComponent(slug)}/slots?${query}`);
    if (refresh !== latestRefresh) return;
    box.replaceChildren();
    const starts = [...new Set(slots.map((slot) => slot.start))];
    if (!starts.length) {
      const none = document.createElement("p");
      none.textContent = "No free times that day; try another day.";
      box.append(none);
    }
    for (const start of starts) {
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("role", "radio");
      button.setAttribute("aria-checked", "false");
      button.textContent = clockTime(start);
      button.addEventListener("click", () => {
        for (const other of box.children) other.setAttribute("aria-checked", "false");
        button.setAttribute("aria-checked", "true");
        box.dataset.start = start;
      });
      box.append(button);
    }
  }

  function requireFilled(ids) {
    const empty = ids.find((id) => !$(id).checkValidity());
    if (empty) {
      $(empty).focus();
      say(`Please check "${document.querySelector(`label[for="${empty}"]`).textContent}".`);
    }
    return !empty;
  }

  // The privacy policy: a prominent notice while a new version is announced, then its effective date.
  async function showPolicy(slug) {
    const longDay = (instant) => new Date(instant).toLocaleDateString(undefined, { dateStyle: "long" });
    $("privacy-link").href = `${base}/privacy/${encodeURIComponent(slug)}`;
    const { current, upcoming } = await api("GET", `/v1/public/orgs/${encodeURIComponent(slug)}/privacy-policy`);
    if (current) $("privacy-link").textContent = `Privacy policy (effective ${longDay(current.effective_at)})`;
    if (!upcoming) return;
    $("policy-notice").textContent = `Our privacy policy changes on ${longDay(upcoming.effective_at)}: ${upcoming.summary}`;
    $("policy-notice").hidden = false;
  }

  async function bookPage() {
    const slug = lastSegment();
    const { org, services, staff } = await api("GET", `/v1/public/orgs/${encodeURIComponent(slug)}`);
    document.title = `Book with ${org.name}`;
    $("org-name").textContent = `Book with ${org.name}`;
    showPolicy(slug).catch(() => {});  // the booking works even if the policy cannot be shown
    $("viewer-tz").textContent = zone;
    services.forEach((service) => addOption($("service"), service.id, `${service.name} (${service.duration_minutes} min)`));
    let idempotencyKey = newKey();
    const refresh = () => showSlots(slug, $("service").value, $("staff").value, $("day").value).catch((e) => say(e.message));
    const listStaff = () => {
      $("staff").replaceChildren();
      addOption($("staff"), "", "Anyone available");
      staff.filter((m) => m.service_ids.includes($("service").value)).forEach((m) => addOption($("staff"), m.id, m.display_name));
    };
    $("day").min = $("day").value = localDay(new Date());
    $("service").addEventListener("change", () => { listStaff(); refresh(); });
    $("staff").addEventListener("change", refresh);
    $("day").addEventListener("change", refresh);
    listStaff();
    refresh();

    const serviceName = (id) => (services.find((s) => s.id === id) || { name: "Your appointment" }).name;
    const showBooked = (result) => {
      $("booking-form").hidden = $("check-email").hidden = true;
      $("done").hidden = false;
      $("done-text").textContent = `${serviceName(result.booking.service_id)}, ${longTime(result.booking.start)}.`;
      $("manage-link").href = `${base}/manage/${result.booking.id}${new URL(result.manage_url).hash}`;
      say("");
    };
    const confirmHold = (bookingId, proof) =>
      api("POST", `/v1/public/orgs/${encodeURIComponent(slug)}/bookings/${encodeURIComponent(bookingId)}/confirm`, proof);
    let heldId = null;
    const showHeld = (result, address) => {
      heldId = result.booking.id;
      $("booking-form").hidden = true;
      $("check-email").hidden = false;
      $("check-address").textContent = address;
      $("hold-until").textContent = new Date(result.verification.expires_at)
        .toLocaleTimeString([], { timeStyle: "short", timeZone: zone });
      $("code").focus();
      say("");
    };
    $("code-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!requireFilled(["code"])) return;
      $("confirm-code").disabled = true;
      try {
        showBooked(await confirmHold(heldId, { code: $("code").value.trim() }));
      } catch (error) {
        say(error.message);
        if (["hold_expired", "too_many_attempts"].includes(error.code)) {
          $("check-email").hidden = true;
          $("booking-form").hidden = false;
          refresh();
        }
      } finally {
        $("confirm-code").disabled = false;
      }
    });
    const fromLink = /^confirm\/([^/]+)\/([^/]+)$/.exec(token);
    if (fromLink) {
      history.replaceState(null, "", location.pathname); // the token leaves the address bar at once
      try {
        showBooked(await confirmHold(fromLink[1], { token: fromLink[2] }));
      } catch (error) { say(error.message); }
    }

    $("booking-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const start = $("slots").dataset.start;
      if (!start) return say("Choose a time.");
      if (!requireFilled(["name", "email", "phone"])) return;
      const customer = { name: $("name").value.trim(), email: $("email").value.trim() };
      if ($("phone").value.trim()) customer.phone = $("phone").value.trim();
      const body = { service_id: $("service").value, start, customer };
      if ($("staff").value) body.staff_id = $("staff").value;
      if ($("notes").value.trim()) body.notes = $("notes").value.trim();
      $("confirm").disabled = true;
      try {
        const result = await api("POST", `/v1/public/orgs/${encodeURIComponent(slug)}/bookings`, body,
          { "Idempotency-Key": idempotencyKey });
        idempotencyKey = newKey();
        if (result.verification) showHeld(result, customer.email);
        else showBooked(result);
      } catch (error) {
        say(error.message);
        if (error.code === "slot_unavailable") { idempotencyKey = newKey(); refresh(); }
      } finally {
        $("confirm").disabled = false;
      }
    });

    $("my-bookings-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!requireFilled(["my-email"])) return;
      try {
        const answer = await api("POST", `/v1/public/orgs/${encodeURIComponent(slug)}/my-bookings`, { email: $("my-email").value.trim() });
        say(answer.message);
      } catch (error) { say(error.message); }
    });
  }

  async function managePage() {
    if (!token) return say("This link is incomplete: open it again from your e-mail.");
    const id = lastSegment();
    const headers = { "X-Manage-Token": token };
    let current;
    const render = (data) => {
      current = data;
      const booking = data.booking;
      $("org-name").textContent = `Your appointment with ${data.org.name}`;
      $("booking-service").textContent = booking.service.name;
      $("booking-staff").textContent = booking.staff.display_name;
      $("booking-when").textContent = longTime(booking.start);
      $("booking-status").textContent = booking.status === "confirmed" ? "Booked" : "Cancelled";
      $("booking").hidden = false;
      $("reschedule-form").hidden = $("cancel-form").hidden = booking.status !== "confirmed";
    };
    render(await api("GET", `/v1/public/bookings/${encodeURIComponent(id)}`, undefined, headers));
    $("viewer-tz").textContent = zone;
    $("day").min = localDay(new Date());
    $("day").value = localDay(new Date(current.booking.start));
    const refresh = () => showSlots(current.org.slug, current.booking.service.id, current.booking.staff.id, $("day").value)
      .catch((e) => say(e.message));
    $("day").addEventListener("change", refresh);
    refresh();

    $("reschedule-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const start = $("slots").dataset.start;
      if (!start) return say("Choose a new time.");
      try {
        render(await api("POST", `/v1/public/bookings/${encodeURIComponent(id)}/reschedule`, { start }, headers));
        say("Moved. We e-mailed you the new time.");
        refresh();
      } catch (error) { say(error.message); }
    });
    $("cancel-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = $("reason").value.trim() ? { reason: $("reason").value.trim() } : {};
      try {
        render(await api("POST", `/v1/public/bookings/${encodeURIComponent(id)}/cancel`, body, headers));
        say("Cancelled. We e-mailed you a confirmation.");
      } catch (error) { say(error.message); }
    });
  }

  async function myBookingsPage() {
    if (!token) return say("This link is incomplete: open it again from your e-mail.");
    const { bookings } = await api("GET", "/v1/public/my-bookings", undefined, { "X-Manage-Token": token });
    say(bookings.length ? "" : "You have no appointments.");
    for (const booking of bookings) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `${base}/manage/${booking.id}#${encodeURIComponent(token)}`;
      link.textContent = `${booking.service.name} with ${booking.staff.display_name}, ${longTime(booking.start)}`;
      item.append(link, document.createTextNode(booking.status === "confirmed" ? "" : " (cancelled)"));
      $("my-bookings").append(item);
    }
  }

  const pages = { book: bookPage, manage: managePage, mine: myBookingsPage };
  pages[page]().catch((error) => say(error.message));
})();
