// What each role finds in the console (issue 26, item 5). The server decides every call on its own
// permission table; tests/functional/console/test_hidden_actions_are_refused.py calls each hidden action
// with each role and sees it refused. Auditors read evidence and change nothing; admins run the clinic
// but not the owner's own settings (the export, the org's deletion, making or unmaking owners).
const ADMINS = ["owner", "admin"];
export const SCREEN_ROLES = {
  clinic: ADMINS,
  people: ADMINS,
  policy: ADMINS,
  evidence: [...ADMINS, "auditor"],
  audit: [...ADMINS, "auditor"],
  privacy: ADMINS,
};

export function mayOpen(role, screen) {
  return (SCREEN_ROLES[screen] || []).includes(role);
}

export const isOwner = (role) => role === "owner";

// The roles `role` may hand out (only owners make owners; admins manage every other role).
export function assignable(role) {
  const all = ["owner", "admin", "staff", "frontdesk", "auditor"];
  return isOwner(role) ? all : all.filter((r) => r !== "owner");
}
