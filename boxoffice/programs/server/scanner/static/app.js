// The gate scanner: a steward taps bands, the screen answers. See README.md in this folder.
//
// Online, each tap goes to /api/verify; if the server does not answer within VERIFY_TIMEOUT_MS
// the device decides itself (decide.js, band.js) from what it keeps in IndexedDB and queues the
// tap; queued taps go to the server's sync push (kind "checkin.record", as a desktop station's
// offline taps do) as soon as it answers again. A tap is written to IndexedDB before anything
// else is done with it, so a reload or a crash loses none.

import * as db from "./db.js";
import { bytesToBase64, base64ToBytes, payloadProblem } from "./band.js";
import { decideOffline } from "./decide.js";

export const VERIFY_TIMEOUT_MS = 1500; // the one wait for the server before deciding on the device
const PROBE_MS = 2000; // how often an offline device asks whether the server is back
const REFRESH_MS = 60_000; // scannables, keys and rules, while online
const HEARTBEAT_MS = 10_000;
const UPLOAD_BATCH = 200; // under the push's MAX_BATCH (sync/wire.py)
const LEASE_WANTED = 50; // places asked for at a time, to admit while offline
const SCANNABLES_PAGE = 5000;

const $ = (id) => document.getElementById(id);
const state = {
  token: null, deviceId: null, setup: null, config: null, keys: null, rules: null,
  online: true, offlineSince: null, lastContact: null, dataAt: null, lease: null,
  laneCount: 0, queued: 0, refused: 0, answers: 0, lastAnswer: null, timers: [],
};
window.scanner = { state, VERIFY_TIMEOUT_MS, ready: false }; // read by the tests and the benchmark

// -- the server --------------------------------------------------------------------------------

class Offline extends Error {}
class Refused extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `The server answered ${status}.`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body, timeoutMs = 8000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let answer;
  try {
    answer = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json", ...(state.token ? { Authorization: `Bearer ${state.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: "no-store",
    });
  } catch (err) {
    throw new Offline(err.name === "AbortError" ? "no answer in time" : String(err));
  } finally {
    clearTimeout(timer);
  }
  if (answer.status >= 500 && answer.status !== 500) throw new Offline(`server ${answer.status}`); // a proxy with no server behind it
  let data = null;
  try { data = await answer.json(); } catch (err) { data = null; }
  if (!answer.ok) throw new Refused(answer.status, data);
  markOnline();
  return data;
}

function markOnline() {
  state.lastContact = Date.now();
  if (!state.online) {
    state.online = true;
    state.offlineSince = null;
    render();
    comeBack();
  }
}

function markOffline() {
  if (state.online) {
    state.online = false;
    state.offlineSince = Date.now();
    render();
  }
}

// -- start-up and login ------------------------------------------------------------------------

async function start() {
  if ("serviceWorker" in navigator && !window.__scannerNoWorker) {
    navigator.serviceWorker.register("sw.js").catch(() => {});
  }
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) {
    await db.put("meta", hash.get("token"), "token");
    history.replaceState(null, "", location.pathname);
  }
  state.token = await db.get("meta", "token");
  state.deviceId = await db.get("meta", "deviceId");
  if (!state.deviceId) {
    state.deviceId = `scanner-${crypto.randomUUID().slice(0, 8)}`;
    await db.put("meta", state.deviceId, "deviceId");
  }
  for (const key of ["setup", "config", "keys", "rules", "lease", "dataAt"]) state[key] = (await db.get("meta", key)) ?? null;
  state.laneCount = (await db.get("meta", "laneCount")) || 0;
  state.queued = await countQueued();
  bindControls();
  if (!state.config) await loadConfig();
  if (!state.token) return showLogin();
  if (!state.setup) return showChoices();
  await enterLane();
}

async function loadConfig() {
  try {
    state.config = await api("GET", "../api/scanner/config");
    await db.put("meta", state.config, "config");
  } catch (err) {
    say("The server cannot be reached; this phone needs it once to start.");
  }
}

function showLogin(message) {
  show("login");
  $("login-error").textContent = message || "";
}

async function login(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  state.token = token;
  try {
    await showChoices();
    await db.put("meta", token, "token");
  } catch (err) {
    state.token = null;
    showLogin(err.message);
  }
}

async function showChoices() {
  let series;
  try {
    series = await api("GET", "../api/scanner/series");
  } catch (err) {
    if (err instanceof Refused && err.status === 401) {
      state.token = null;
      await db.remove("meta", "token");
      return showLogin(err.message);
    }
    if (err instanceof Refused) throw err;
    return showLogin("The server cannot be reached; try again when the phone is on the network.");
  }
  if (!state.config) await loadConfig();
  state.choices = series;
  const pick = $("series");
  pick.replaceChildren(...series.map((s) => new Option(`${s.name} (${s.event_name}, ${s.status})`, s.id)));
  fillGates();
  $("lane-name").value = state.setup ? state.setup.lane : "";
  show("choose");
  $("choose-error").textContent = series.length ? "" : "No series is scheduled or active: nothing to scan for yet.";
}

function fillGates() {
  const chosen = (state.choices || []).find((s) => s.id === $("series").value);
  const gates = chosen ? chosen.gates : [];
  $("gate").replaceChildren(...gates.map((g) => new Option(`${g.name} (${g.kind})`, g.id)));
}

async function choose(event) {
  event.preventDefault();
  const series = state.choices.find((s) => s.id === $("series").value);
  const gate = series && series.gates.find((g) => g.id === $("gate").value);
  if (!gate) return;
  const changed = !state.setup || state.setup.series_id !== series.id || state.setup.gate_id !== gate.id;
  state.setup = {
    series_id: series.id, series_name: series.name, gate_id: gate.id, gate_name: gate.name,
    gate_kind: gate.kind, direction: gate.kind === "exit" ? "out" : "in",
    lane: $("lane-name").value.trim() || `${gate.name} ${state.deviceId.slice(-4)}`,
  };
  await db.put("meta", state.setup, "setup");
  if (changed) {
    state.laneCount = 0;
    await db.put("meta", 0, "laneCount");
    await db.replaceBands([]);
    state.rules = state.keys = state.dataAt = null;
  }
  await enterLane();
}

async function enterLane() {
  show("scan");
  render();
  idle();
  await refresh();
  await resumeUnanswered();
  if (state.online) await comeBack();
  schedule();
  render();
  window.scanner.ready = true;
}

function schedule() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [
    setInterval(() => { if (state.online) refresh(); }, REFRESH_MS),
    setInterval(() => { if (!state.online) probe(); }, PROBE_MS),
    setInterval(heartbeat, HEARTBEAT_MS),
    setInterval(render, 5000),
  ];
}

// -- what the device keeps to decide alone ------------------------------------------------------

async function refresh() {
  const { series_id, gate_id } = state.setup;
  try {
    const keys = await api("GET", `../api/scanner/series/${series_id}/keys`);
    let after = null;
    const bands = [];
    let page;
    do {
      const query = new URLSearchParams({ series_id, limit: String(SCANNABLES_PAGE) });
      if (after) query.set("after", after);
      page = await api("GET", `../api/gates/${gate_id}/scannables?${query}`);
      bands.push(...page.items);
      after = page.next_after;
    } while (after);
    // A tap of this device that the server has not seen yet still moves its band here.
    const pending = (await db.all("taps")).filter((t) => t.state === "queued");
    const byUid = new Map(bands.map((b) => [b.uid, b]));
    for (const tap of pending.sort((a, b) => a.seq - b.seq)) {
      if (tap.checkin.result === "allowed" && byUid.has(tap.uid)) moveBand(byUid.get(tap.uid), tap.direction);
    }
    const { items, next_after, ...rules } = page;
    await db.replaceBands(bands);
    state.keys = keys;
    state.rules = rules;
    state.dataAt = Date.now();
    await db.put("meta", keys, "keys");
    await db.put("meta", rules, "rules");
    await db.put("meta", state.dataAt, "dataAt");
    await renewLease();
  } catch (err) {
    if (err instanceof Offline) markOffline();
    else if (err instanceof Refused && err.status === 401) showLogin(err.message);
    else say(err.message);
  }
  render();
}

function moveBand(band, direction) {
  band.inside = direction === "in";
  if (direction === "in") band.has_entered = true;
}

// -- a tap -------------------------------------------------------------------------------------

let seq = 0;

async function onReading(event) {
  const uid = String(event.serialNumber || "").replace(/[^0-9a-fA-F]/g, "").toUpperCase();
  if (!uid) return say("The band's UID could not be read; type it in below.");
  const type = state.config ? state.config.record_type : "bxo.app:b";
  const record = (event.message && event.message.records || []).find((r) => r.recordType === type);
  let payload = null;
  if (record && record.data) {
    const view = record.data;
    payload = bytesToBase64(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  }
  await tap(uid, payload);
}

export async function tap(uid, payload, { silent = false } = {}) {
  const started = performance.now();
  const record = {
    scan_id: crypto.randomUUID(), seq: Date.now() * 1000 + (seq++ % 1000), uid, payload,
    direction: state.setup.direction, at: new Date().toISOString(), state: "new",
    series_id: state.setup.series_id, gate_id: state.setup.gate_id,
  };
  await db.put("taps", record); // before anything else: nothing tapped is ever lost
  const answer = await decide(record);
  answer.ms = performance.now() - started;
  if (!silent) showAnswer(answer);
  return answer;
}

async function decide(record) {
  if (state.online) {
    try {
      const body = {
        series_id: record.series_id, gate_id: record.gate_id, uid: record.uid, direction: record.direction,
        scan_id: record.scan_id, device_id: state.deviceId,
      };
      if (record.payload) body.payload = record.payload;
      if (Date.now() - Date.parse(record.at) > 5000) body.occurred_at = record.at; // resumed after a reload
      const view = await api("POST", "../api/verify", body, VERIFY_TIMEOUT_MS);
      await db.remove("taps", record.scan_id);
      const band = await db.get("bands", record.uid);
      if (view.result === "allowed") {
        if (band) { moveBand(band, record.direction); await db.put("bands", band); }
        await countThrough();
      }
      return { ...words(view.reason), allowed: view.result === "allowed", reason: view.reason,
               category: band ? band.category : null, online: true };
    } catch (err) {
      if (err instanceof Refused) {
        await db.remove("taps", record.scan_id);
        if (err.status === 401) showLogin(err.message);
        return { allowed: false, reason: null, headline: "Not checked", why: err.message, online: true };
      }
      markOffline();
    }
  }
  return decideHere(record);
}

async function decideHere(record) {
  const band = (await db.get("bands", record.uid)) || null;
  let signatureValid = null;
  let genuineElsewhere = null;
  let detail = null;
  if (record.payload && state.keys) {
    const check = await payloadProblem(base64ToBytes(record.payload), record.uid, band, state.keys);
    detail = check.problem;
    signatureValid = check.problem === null;
    if (!band && signatureValid) genuineElsewhere = check.fields.category_id;
  }
  const lease = liveLease();
  const decision = decideOffline({
    direction: record.direction, now: Date.parse(record.at), band, signatureValid, genuineElsewhere,
    rules: state.rules || { series_status: "active", checkin_opens_at: "1970-01-01T00:00:00Z",
                            checkin_closes_at: "9999-01-01T00:00:00Z", reentry_policy: "reentry",
                            gate_kind: state.setup.gate_kind, gate_categories: [] },
    placesLeft: lease ? lease.size - lease.used : 0,
  });
  const checkin = {
    id: crypto.randomUUID(), client_scan_id: record.scan_id, series_id: record.series_id, gate_id: record.gate_id,
    wristband_id: band ? band.wristband_id : null, uid: record.uid, direction: record.direction,
    result: decision.allowed ? "allowed" : "denied", reason: decision.reason,
    message: sentence(decision.reason), device_id: state.deviceId, occurred_at: record.at, replayed: false,
  };
  if (decision.allowed && band) {
    moveBand(band, record.direction);
    await db.put("bands", band);
  }
  if (decision.allowed && decision.takesPlace && state.lease) {
    state.lease.used += 1;
    await db.put("meta", state.lease, "lease");
  }
  await db.put("taps", { ...record, state: "queued", entry_id: crypto.randomUUID(), checkin });
  state.queued += 1; // counted, not recounted: a recount reads the whole queue, each tap
  if (decision.allowed) await countThrough();
  let why = words(decision.reason).why;
  if (decision.leaseUsedUp) why = "This phone's share of places is used up while offline; wait for the network.";
  if (decision.reason === "bad_signature" && detail) why = `${why} ${detail}`;
  render();
  return { ...words(decision.reason), why, allowed: decision.allowed, reason: decision.reason,
           category: band ? band.category : null, online: false };
}

function liveLease() {
  const lease = state.lease;
  if (!lease || lease.returned || Date.parse(lease.expires_at) <= Date.now()) return null;
  return lease;
}

async function countThrough() {
  state.laneCount += 1;
  await db.put("meta", state.laneCount, "laneCount");
}

// Taps written but never answered (the page was closed mid-tap): decided now, without a screen.
async function resumeUnanswered() {
  const taps = (await db.all("taps")).filter((t) => t.state === "new").sort((a, b) => a.seq - b.seq);
  for (const record of taps) await decide(record);
}

async function countQueued() {
  return (await db.all("taps")).filter((t) => t.state === "queued").length;
}

// -- back online: upload, give back the lease, lease afresh ---------------------------------------

let uploading = null;

function comeBack() {
  if (!uploading) {
    uploading = (async () => {
      try {
        await upload();
        await renewLease({ settle: true });
        await heartbeat();
      } finally {
        uploading = null;
        render();
      }
    })();
  }
  return uploading;
}

async function probe() {
  try {
    await api("GET", "../api/health", undefined, VERIFY_TIMEOUT_MS);
  } catch (err) { /* still offline */ }
}

export async function upload() {
  for (;;) {
    const queued = (await db.all("taps")).filter((t) => t.state === "queued").sort((a, b) => a.seq - b.seq);
    if (!queued.length) break;
    const batch = queued.slice(0, UPLOAD_BATCH);
    let answer;
    try {
      answer = await api("POST", "../api/sync/push", {
        station: state.deviceId,
        entries: batch.map((t, i) => ({ id: t.entry_id, seq: i + 1, kind: "checkin.record", entity_id: t.checkin.id,
                                        payload: t.checkin, created_at: t.at })),
      }, 30_000);
    } catch (err) {
      if (err instanceof Offline) markOffline();
      else say(err.message);
      break;
    }
    let kept = 0;
    for (const result of answer.results) {
      if (result.status === "retry") break;
      const tapDone = batch.find((t) => t.entry_id === result.id);
      if (result.status === "rejected") state.refused += 1;
      await db.remove("taps", tapDone.scan_id);
      kept += 1;
    }
    state.queued = await countQueued();
    render();
    if (kept < batch.length) break;
  }
}

// Back online (``settle``), a lease used offline is given back once the queue is up and a fresh
// one taken; otherwise a lease half used or half way to its expiry is renewed.
async function renewLease({ settle = false } = {}) {
  if (!state.setup || !state.online) return;
  const lease = state.lease;
  const halfLife = lease ? (Date.parse(lease.expires_at) - Date.parse(lease.granted_at)) / 2 : 0;
  const fresh = lease && !lease.returned && lease.used < lease.size / 2 && !(settle && lease.used > 0)
    && Date.parse(lease.expires_at) - Date.now() > halfLife;
  if (fresh) return;
  try {
    if (lease && !lease.returned && state.queued === 0) {
      await api("POST", `../api/scanner/leases/${lease.id}/return`, { used: lease.used });
      lease.returned = true;
      await db.put("meta", lease, "lease");
    }
    if (!lease || lease.returned) {
      state.lease = await api("POST", "../api/scanner/leases", {
        series_id: state.setup.series_id, gate_id: state.setup.gate_id, device_id: state.deviceId, wanted: LEASE_WANTED,
      });
      await db.put("meta", state.lease, "lease");
    }
  } catch (err) {
    if (err instanceof Offline) markOffline();
    else if (err instanceof Refused && err.status === 404 && lease) {
      lease.returned = true; // the server no longer holds it
      await db.put("meta", lease, "lease");
    }
  }
}

async function heartbeat() {
  if (!state.setup || !state.token) return;
  const queued = (await db.all("taps")).filter((t) => t.state === "queued");
  const oldest = queued.reduce((m, t) => (m && m < t.at ? m : t.at), null);
  try {
    await api("POST", "../api/scanner/heartbeat", {
      device_id: state.deviceId, lane: state.setup.lane, series_id: state.setup.series_id,
      gate_id: state.setup.gate_id, direction: state.setup.direction, queued: queued.length,
      oldest_queued_at: oldest, data_at: state.dataAt ? new Date(state.dataAt).toISOString() : null,
      offline_since: null, lane_count: state.laneCount,
    }, VERIFY_TIMEOUT_MS);
  } catch (err) {
    if (err instanceof Offline) markOffline();
  }
}

// -- the screen --------------------------------------------------------------------------------

function words(reason) {
  const known = state.config && state.config.reasons[reason];
  return known ? { headline: known.headline, why: known.why } : { headline: reason || "", why: "" };
}

function sentence(reason) {
  const w = words(reason);
  return w.why ? `${w.headline}: ${w.why}` : w.headline;
}

function show(section) {
  for (const id of ["login", "choose", "scan"]) $(id).hidden = id !== section;
}

function idle() {
  const answer = $("answer");
  answer.className = "idle";
  $("verdict").textContent = "Ready";
  $("headline").textContent = "Hold a wristband to the back of the phone";
  $("why").textContent = "";
  $("category").textContent = "";
}

let idleTimer = null;

function showAnswer(answer) {
  state.lastAnswer = answer;
  state.answers += 1;
  const panel = $("answer");
  panel.className = answer.allowed ? "allowed" : "denied";
  $("verdict").textContent = answer.allowed ? "ALLOWED" : "DENIED";
  $("headline").textContent = answer.headline;
  $("why").textContent = answer.why;
  $("category").textContent = answer.category || "";
  render();
  signal(answer.allowed);
  clearTimeout(idleTimer);
  idleTimer = setTimeout(idle, 6000);
}

let audio = null;

function signal(allowed) {
  if (navigator.vibrate) navigator.vibrate(allowed ? [120] : [300, 120, 300, 120, 300]);
  try {
    audio = audio || new AudioContext();
    const notes = allowed ? [[880, 0, 0.12], [1320, 0.13, 0.18]] : [[200, 0, 0.6]];
    for (const [freq, at, length] of notes) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = allowed ? "sine" : "square";
      osc.frequency.value = freq;
      gain.gain.value = 0.25;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + at + length);
    }
  } catch (err) { /* no sound on this device */ }
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

export function render() {
  if (!state.setup) return;
  const dir = state.setup.direction === "in" ? "entry" : "exit";
  $("lane").textContent = `${state.setup.lane} · ${state.setup.gate_name} · ${dir}`;
  $("series-name").textContent = state.setup.series_name;
  const net = $("net");
  net.className = state.online ? "online" : "offline";
  net.textContent = state.online ? "Online" : `OFFLINE for ${ago(state.offlineSince)}: deciding on this phone`;
  $("queue").textContent = state.queued ? `${state.queued} scan${state.queued === 1 ? "" : "s"} waiting to upload` : "nothing waiting";
  $("age").textContent = state.dataAt ? `band list ${ago(state.dataAt)} old` : "no band list yet";
  const lease = liveLease();
  $("places").textContent = lease ? `${lease.size - lease.used} offline places` : "no offline places";
  $("count").textContent = `${state.laneCount} through this lane`;
  $("refused").textContent = state.refused ? `${state.refused} uploaded scans refused (see the conflicts report)` : "";
  $("direction").hidden = state.setup.gate_kind !== "both";
  $("direction").textContent = state.setup.direction === "in" ? "Switch to exit" : "Switch to entry";
}

function say(text) {
  const line = $("notice");
  if (line) line.textContent = text;
}

// -- controls ----------------------------------------------------------------------------------

function bindControls() {
  $("login-form").addEventListener("submit", login);
  $("choose-form").addEventListener("submit", choose);
  $("series").addEventListener("change", fillGates);
  $("manual-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const uid = $("manual-uid").value.replace(/[^0-9a-fA-F]/g, "").toUpperCase();
    if (!uid) return;
    $("manual-uid").value = "";
    await tap(uid, null);
  });
  $("nfc").addEventListener("click", startNfc);
  $("direction").addEventListener("click", async () => {
    state.setup.direction = state.setup.direction === "in" ? "out" : "in";
    await db.put("meta", state.setup, "setup");
    render();
  });
  $("change-lane").addEventListener("click", () => showChoices().catch((err) => say(err.message)));
  $("logout").addEventListener("click", async () => {
    if (state.queued && !confirm(`${state.queued} scans still wait to upload; they are kept. Log out?`)) return;
    state.token = null;
    await db.remove("meta", "token");
    showLogin();
  });
}

async function startNfc() {
  if (!("NDEFReader" in window)) {
    say("This browser cannot read NFC (Chrome on Android can). Type UIDs below.");
    return;
  }
  try {
    const reader = new NDEFReader();
    await reader.scan();
    reader.onreading = (event) => onReading(event).catch((err) => say(err.message));
    reader.onreadingerror = () => say("The band could not be read: hold it still, or type its UID.");
    $("nfc").hidden = true;
    say("Reading bands: hold one to the back of the phone.");
  } catch (err) {
    say(`NFC could not start: ${err.message}`);
  }
}

window.scanner.read = onReading; // a reading as Web NFC delivers it, awaitable: the benchmark's way in
start().catch((err) => say(String(err)));
