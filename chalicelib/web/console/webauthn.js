// Security keys through the browser's own WebAuthn API: the server's JSON options (base64url) to
// navigator.credentials, and the key's answer back to the JSON the server checks (py_webauthn's shape).
const fromB64 = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const toB64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function keyFailed() {
  return Object.assign(new Error("webauthn"), { code: "webauthn" });
}

// Sign in (or step up) with a key: navigator.credentials.get.
export async function keyAssertion(options) {
  const publicKey = { ...options, challenge: fromB64(options.challenge),
                      allowCredentials: (options.allowCredentials || []).map((c) => ({ ...c, id: fromB64(c.id) })) };
  let credential;
  try {
    credential = await navigator.credentials.get({ publicKey });
  } catch {
    throw keyFailed();
  }
  const r = credential.response;
  return { id: credential.id, rawId: toB64(credential.rawId), type: credential.type,
           response: { clientDataJSON: toB64(r.clientDataJSON), authenticatorData: toB64(r.authenticatorData),
                       signature: toB64(r.signature), userHandle: r.userHandle ? toB64(r.userHandle) : null },
           clientExtensionResults: credential.getClientExtensionResults() };
}

// Register a new key: navigator.credentials.create.
export async function newKeyCredential(options) {
  const publicKey = { ...options, challenge: fromB64(options.challenge),
                      user: { ...options.user, id: fromB64(options.user.id) },
                      excludeCredentials: (options.excludeCredentials || []).map((c) => ({ ...c, id: fromB64(c.id) })) };
  let credential;
  try {
    credential = await navigator.credentials.create({ publicKey });
  } catch {
    throw keyFailed();
  }
  const r = credential.response;
  return { id: credential.id, rawId: toB64(credential.rawId), type: credential.type,
           response: { clientDataJSON: toB64(r.clientDataJSON), attestationObject: toB64(r.attestationObject),
                       transports: r.getTransports ? r.getTransports() : [] },
           clientExtensionResults: credential.getClientExtensionResults() };
}
