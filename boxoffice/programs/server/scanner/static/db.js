// IndexedDB in a few promises: everything the scanner must keep across a reload or a restart.
// Stores: "meta" (key -> value: token, setup, config, keys, rules, lease, counters),
// "bands" (the gate's scannables, by UID) and "taps" (every tap from the moment it is read,
// until the server has it).

const NAME = "boxoffice-scanner";
const VERSION = 1;
let opened = null;

export function open() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("meta");
        db.createObjectStore("bands", { keyPath: "uid" });
        const taps = db.createObjectStore("taps", { keyPath: "scan_id" });
        taps.createIndex("seq", "seq");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function get(store, key) {
  const db = await open();
  return result(db.transaction(store).objectStore(store).get(key));
}

export async function all(store) {
  const db = await open();
  return result(db.transaction(store).objectStore(store).getAll());
}

export async function count(store) {
  const db = await open();
  return result(db.transaction(store).objectStore(store).count());
}

// put(store, value) for stores with a key path, put(store, value, key) for "meta". Resolves when
// the write is committed: a tap is on disk before the page does anything else with it.
export async function put(store, value, key) {
  const db = await open();
  const tx = db.transaction(store, "readwrite");
  tx.objectStore(store).put(value, key);
  return done(tx);
}

export async function remove(store, key) {
  const db = await open();
  const tx = db.transaction(store, "readwrite");
  tx.objectStore(store).delete(key);
  return done(tx);
}

// Replace the whole band list in one transaction: a reader never sees half of it.
export async function replaceBands(bands) {
  const db = await open();
  const tx = db.transaction("bands", "readwrite");
  const store = tx.objectStore("bands");
  store.clear();
  for (const band of bands) store.put(band);
  return done(tx);
}

export async function clearAll() {
  const db = await open();
  const tx = db.transaction(["meta", "bands", "taps"], "readwrite");
  for (const name of ["meta", "bands", "taps"]) tx.objectStore(name).clear();
  return done(tx);
}
