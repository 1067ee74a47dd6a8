// Duo's Universal Prompt, as the API runs it: POST /v1/auth/mfa/duo/start gives the prompt's address;
// Duo sends the browser back to the org's redirect address (the console, `?duo_code=&state=`). The
// prompt opens in its own window so that this page keeps the sign-in's short token in memory (it is
// never stored); the window that comes back hands Duo's answer to this page over a same-origin
// BroadcastChannel and closes. The server accepts the answer once, for this sign-in's state only.
import { _ } from "./i18n.js";
import { say } from "./screens.js";

const CHANNEL = "safeslot-duo";

// In the window Duo sent back: pass its answer on; true when this page is that window.
export function relayDuoAnswer() {
  const query = new URLSearchParams(location.search);
  const code = query.get("duo_code");
  const state = query.get("state");
  if (!code || !state) return false;
  history.replaceState(null, "", location.pathname);
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage({ code, state });
  channel.close();
  say(_("Duo confirmed it is you. You can close this window and go back to SafeSlot."));
  window.close();
  return true;
}

// In the signing-in page: open the prompt and wait for its answer (or give up after 5 minutes).
export function duoAnswer(authUrl) {
  return new Promise((resolve, reject) => {
    const channel = new BroadcastChannel(CHANNEL);
    const timer = setTimeout(() => {
      channel.close();
      reject(Object.assign(new Error("duo"), { code: "duo_timeout" }));
    }, 5 * 60 * 1000);
    channel.onmessage = (event) => {
      clearTimeout(timer);
      channel.close();
      resolve(event.data);
    };
    if (!window.open(authUrl, "_blank")) {
      clearTimeout(timer);
      channel.close();
      reject(Object.assign(new Error("duo"), { code: "popup_blocked" }));
    }
  });
}
