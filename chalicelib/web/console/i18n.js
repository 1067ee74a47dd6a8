// Texts come translated with the page (#messages); `_("...")` marks them for the catalogues.
const messages = JSON.parse(document.getElementById("messages").textContent || "{}");

export function _(text, values = {}) {
  const translated = messages[text] || text;
  return translated.replace(/%\((\w+)\)s/g, (_match, name) => String(values[name] ?? ""));
}

export const language = document.documentElement.lang || "en";
