// Building the owner's screens without ever parsing HTML: elements, table rows and form values.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") node.textContent = value;
    else if (name === "on") Object.entries(value).forEach(([event, handler]) => node.addEventListener(event, handler));
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

// A row: the first cell is the row's header (screen readers name each row by it).
export function row(cells) {
  return el("tr", {}, ...cells.map((cell, index) => {
    const node = el(index === 0 ? "th" : "td", index === 0 ? { scope: "row" } : {});
    node.append(cell instanceof Node ? cell : String(cell ?? ""));
    return node;
  }));
}

export function fill(tbodyId, rows, emptyId) {
  document.getElementById(tbodyId).replaceChildren(...rows);
  document.getElementById(tbodyId).closest("table").hidden = rows.length === 0;
  if (emptyId) document.getElementById(emptyId).hidden = rows.length !== 0;
}

export function numberOf(id) {
  const value = document.getElementById(id).value.trim();
  return value === "" ? undefined : Number(value);
}

export function checked(name) {
  return [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);
}

export function linesOf(id) {
  return document.getElementById(id).value.split(/\s*\n\s*/).map((line) => line.trim()).filter(Boolean);
}

export function when(iso, language, zone) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short", timeZone: zone })
    .format(new Date(iso));
}

// The instant a day begins in an IANA zone (ISO, UTC), e.g. a staff member's time off from that day on.
export function midnightIn(day, zone) {
  const guess = Date.parse(`${day}T00:00:00Z`);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
    .formatToParts(new Date(guess)).map((p) => [p.type, p.value]));
  const shown = Date.parse(`${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}Z`);
  return new Date(guess - (shown - guess)).toISOString().replace(".000", "");
}
