// Finding a patient as a person types them (a name in any case or accents, a phone with or without the
// country code, a date of birth or an e-mail: POST /v1/customers/search, one audited search) and adding
// one, who may have only a phone or no contact at all (POST /v1/customers). Results open the card.
import { api } from "./api.js";
import { _ } from "./i18n.js";
import { $, explain, say, warn } from "./screens.js";
import { openCard, plainPhone } from "./card.js";

const ADDERS = ["owner", "admin", "frontdesk"];

export function startPatients(session) {
  $("patients-add").hidden = !ADDERS.includes(session.user.role);
  $("patients-search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  $("patients-add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    add();
  });
}

export function describe(customer) {
  return [customer.name, customer.phone, customer.email, customer.date_of_birth].filter(Boolean).join(" · ");
}

async function search() {
  warn("");
  const query = $("patients-query").value.trim();
  if (!query) return;
  let found;
  try {
    found = (await api("POST", "/v1/customers/search", { query })).customers;
  } catch (error) {
    warn(explain(error));
    return;
  }
  $("patients-results").replaceChildren(...found.map((customer) => {
    const item = document.createElement("li");
    const open = Object.assign(document.createElement("button"), { type: "button", className: "link",
                                                                   textContent: describe(customer) });
    open.addEventListener("click", () => openCard(customer.id));
    item.append(open);
    return item;
  }));
  $("patients-found").hidden = found.length === 0;
  say(found.length ? _("%(count)s patient(s) found.", { count: found.length }) : _("No patient matches. Check the spelling, or add them."));
}

async function add() {
  warn("");
  const body = { name: $("patients-name").value.trim() };
  const phone = plainPhone($("patients-phone").value);
  const email = $("patients-email").value.trim();
  if (phone) body.phone = phone;
  if (email) body.email = email;
  if ($("patients-dob").value) body.date_of_birth = $("patients-dob").value;
  let created;
  try {
    created = (await api("POST", "/v1/customers", body)).customer;
  } catch (error) {
    warn(explain(error));
    return;
  }
  for (const id of ["patients-name", "patients-phone", "patients-email", "patients-dob"]) $(id).value = "";
  await openCard(created.id);
  say(_("Patient added."));
}
