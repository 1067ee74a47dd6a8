// The idle timeout, as the server keeps it: a warning two minutes before, then sign-out when it passes.
// The server counts idleness from the last call it saw (it notes it at most once a minute), so the
// console ends a minute early rather than late.
import { api, lastCallAt, onCall } from "./api.js";
import { _ } from "./i18n.js";
import { $ } from "./screens.js";

const WARN_BEFORE = 2 * 60 * 1000;
const MARGIN = 60 * 1000;
let idleMs = null;
let timer = null;
let onTimeout = null;

export function watchIdle(idleMinutes, signOutForIdle) {
  idleMs = idleMinutes * 60 * 1000;
  onTimeout = signOutForIdle;
  onCall((status) => status < 400 && schedule());
  $("idle-stay").addEventListener("click", async () => {
    $("idle").hidden = true;
    await api("GET", "/v1/console/session").catch(() => null);
  });
  schedule();
}

export function stopIdle() {
  clearTimeout(timer);
  idleMs = null;
  $("idle").hidden = true;
}

function schedule() {
  if (idleMs === null) return;
  clearTimeout(timer);
  $("idle").hidden = true;
  const ends = lastCallAt() + idleMs - MARGIN;
  timer = setTimeout(warnOrEnd, Math.max(0, ends - WARN_BEFORE - Date.now()));
}

function warnOrEnd() {
  const ends = lastCallAt() + idleMs - MARGIN;
  const left = ends - Date.now();
  if (left <= 0) {
    stopIdle();
    onTimeout();
    return;
  }
  $("idle-text").textContent = _("For your patients' safety you will be signed out in %(minutes)s minute(s) without activity.",
                                 { minutes: Math.ceil(left / 60000) });
  $("idle").hidden = false;
  $("idle-stay").focus();
  timer = setTimeout(warnOrEnd, left);
}
