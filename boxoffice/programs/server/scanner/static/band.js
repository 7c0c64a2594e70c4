// The signed band record, as boxoffice/domain/payload.py writes it, and its check on the device.
//
//   version (1) | band id (16) | event id (16) | category id (16) | key id (4) | signature (64)
//
// The Ed25519 signature covers the 53 bytes before it, then one byte with the UID's length, then
// the UID: a payload copied onto another tag does not verify. Chrome's WebCrypto verifies Ed25519
// where it has it; elsewhere the vendored @noble/ed25519 does (vendor/README.md).

import * as noble from "./vendor/noble-ed25519.js";

export const BODY_SIZE = 1 + 16 * 3 + 4;
export const PAYLOAD_SIZE = BODY_SIZE + 64;
export const VERSION = 1;

export function hexToBytes(hex) {
  const clean = hex.replace(/[^0-9a-fA-F]/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function uuidOf(bytes) {
  const h = bytesToHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function base64ToBytes(text) {
  const raw = atob(text);
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

export function bytesToBase64(bytes) {
  let raw = "";
  for (const b of bytes) raw += String.fromCharCode(b);
  return btoa(raw);
}

// The fields of a payload, or {problem} when it is not of our shape (payload.parse_payload).
export function parse(data) {
  if (!data || data.length === 0) return { problem: "The band holds no data." };
  if (data[0] !== VERSION) return { problem: `The band's data is of version ${data[0]}, which this program cannot read.` };
  if (data.length !== PAYLOAD_SIZE) return { problem: `The band's data is ${data.length} of ${PAYLOAD_SIZE} bytes.` };
  return {
    band_id: uuidOf(data.slice(1, 17)),
    event_id: uuidOf(data.slice(17, 33)),
    category_id: uuidOf(data.slice(33, 49)),
    key_id: bytesToHex(data.slice(49, 53)),
    body: data.slice(0, BODY_SIZE),
    signature: data.slice(BODY_SIZE),
  };
}

let webCrypto = null; // null: not tried yet; false: this browser has no Ed25519 in WebCrypto

async function verifyEd25519(publicKey, signature, message) {
  if (webCrypto !== false && !globalThis.__scannerForceNoble) {
    try {
      const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
      webCrypto = true;
      return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    } catch (err) {
      if (webCrypto === true) return false; // it works here: this key or signature is bad
      webCrypto = false;
    }
  }
  try {
    return await noble.verifyAsync(signature, message, publicKey);
  } catch (err) {
    return false;
  }
}

export function verifier() {
  return webCrypto === true && !globalThis.__scannerForceNoble ? "webcrypto" : "noble";
}

// Why ``data`` read off tag ``uidHex`` is not the genuine payload of ``band`` (a scannable:
// wristband_id, category_id), or null if it is: access.payload_problem, on the device.
// ``band`` null: a band this gate's list does not hold; only the signature can be checked.
export async function payloadProblem(data, uidHex, band, keys) {
  const fields = parse(data);
  if (fields.problem) return { problem: fields.problem };
  if (fields.event_id !== keys.event_id) return { problem: "The band's data is for another event.", fields };
  if (band && fields.band_id !== band.wristband_id) {
    return { problem: "The band's data belongs to another band: it was copied from another wristband.", fields };
  }
  if (band && fields.category_id !== band.category_id) {
    return { problem: "The band's data names another category than the database's.", fields };
  }
  const publicHex = keys.keys[fields.key_id];
  if (!publicHex) return { problem: `The band was signed with key ${fields.key_id}, which this event does not know.`, fields };
  const uid = hexToBytes(uidHex);
  const message = new Uint8Array(BODY_SIZE + 1 + uid.length);
  message.set(fields.body, 0);
  message[BODY_SIZE] = uid.length;
  message.set(uid, BODY_SIZE + 1);
  const ok = await verifyEd25519(hexToBytes(publicHex), fields.signature, message);
  return ok ? { problem: null, fields } : { problem: "The band's signature does not match its data and UID.", fields };
}
