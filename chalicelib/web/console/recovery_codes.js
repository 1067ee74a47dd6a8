// Recovery codes, shown once: listed on the page, downloadable as a text file (a Blob, made here: no
// server keeps them) and printable (the print stylesheet prints this screen only). Leaving the screen
// takes them out of the page.
import { _ } from "./i18n.js";
import { $, show } from "./screens.js";

let shown = [];
let onDone = () => null;

export function showCodes(codes, done) {
  shown = codes;
  onDone = done;
  $("codes-list").replaceChildren(...codes.map((code) => {
    const item = document.createElement("li");
    item.textContent = code;
    return item;
  }));
  show("codes");
}

export function startRecoveryCodes() {
  $("codes-download").addEventListener("click", () => {
    const text = [_("SafeSlot recovery codes. Each one works once."), "", ...shown, ""].join("\n");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    link.download = "safeslot-recovery-codes.txt";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60 * 1000);
  });
  $("codes-print").addEventListener("click", () => window.print());
  $("codes-done").addEventListener("click", () => {
    shown = [];
    $("codes-list").replaceChildren();
    onDone();
  });
}
