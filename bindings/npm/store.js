// `Personalizer.open(options)`: a personalizer whose profile survives reloads and stays the same
// in every tab of the origin. The profile is stored in IndexedDB (or `localStorage` where
// IndexedDB is missing or refused), as the bytes of `export()`, which carry a checksum: each
// save replaces the whole record in one transaction, so a tab killed mid-write leaves the
// previous profile, never half of one. A stored value that does not read back (corrupt,
// foreign, from a newer version) is replaced by a fresh profile with a warning on the
// console. Each save is announced on a `BroadcastChannel` and the other tabs take the profile:
// the last tab to save wins, except that forgetting and clearing are done in every tab, so
// another tab's older copy never brings back what the shopper removed.
import { stateOf, tastebudError } from "./shared.js";

const DAY_MS = 86_400_000;
/** A save follows the last change by this much, so a burst of events is written once. */
const SAVE_DELAY_MS = 100;

export async function open(Personalizer, given = {}) {
  const { name = "tastebud", expireAfterDays = 30, storage = "auto", ...createOptions } = given ?? {};
  if (typeof name !== "string" || !name) throw tastebudError("invalid_options", "name must be a non-empty string");
  if (typeof expireAfterDays !== "number" || !(expireAfterDays > 0)) {
    throw tastebudError("invalid_options", "expireAfterDays must be a number of days above 0");
  }
  if ("profile" in createOptions) {
    throw tastebudError("invalid_options", "open reads the stored profile; use create to start from given bytes");
  }
  const store = await openStore(name, storage);
  const stored = await store.read().catch((e) => warn(`could not read the stored profile (${e}); starting afresh`));
  let personalizer;
  if (stored && Date.now() - stored.savedAt > expireAfterDays * DAY_MS) {
    await store.remove();
  } else if (stored) {
    try {
      personalizer = await Personalizer.import(stored.bytes, createOptions);
      if (stored.paused) personalizer.pause();
    } catch (e) {
      if (e?.code !== "corrupt_profile") throw e;
      warn(`the stored profile does not read back (${e.message}); starting afresh`);
      await store.remove();
    }
  }
  personalizer ??= await Personalizer.create(createOptions);
  sync(personalizer, store, name);
  return personalizer;
}

function warn(message) {
  console.warn(`tastebud: ${message}`);
}

/** Saves `personalizer` after each change and takes the profile other tabs save. */
function sync(personalizer, store, name) {
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(`tastebud:${name}`) : undefined;
  let timer;
  let taking = false; // applying what another tab sent
  const save = async () => {
    timer = undefined;
    try {
      const record = { bytes: personalizer.export(), paused: personalizer.paused, savedAt: Date.now() };
      await store.write(record);
      channel?.postMessage(record);
    } catch (e) {
      warn(`could not save the profile (${e})`);
    }
  };
  const stop = personalizer.onChange((cause, itemId) => {
    // What another tab sent is saved there already; only a forget or clear is saved here too,
    // so that a save of this tab's older copy, under way, is overwritten.
    if (taking && cause !== "forget" && cause !== "clear") return;
    if (!taking && cause === "forget") channel?.postMessage({ forget: itemId });
    if (!taking && cause === "clear") channel?.postMessage({ clear: true });
    timer ??= setTimeout(save, SAVE_DELAY_MS);
  });
  // What is pending when the tab goes away is written then.
  const flush = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      save();
    }
  };
  addEventListener("pagehide", flush);
  if (channel) {
    channel.onmessage = ({ data }) => {
      taking = true;
      try {
        if (data.forget !== undefined) personalizer.forget(data.forget);
        else if (data.clear) personalizer.clear();
        else {
          // A save of this tab's own that was pending is overtaken by the other tab's.
          clearTimeout(timer);
          timer = undefined;
          personalizer.restore(data.bytes);
          if (data.paused !== personalizer.paused) data.paused ? personalizer.pause() : personalizer.resume();
        }
      } catch (e) {
        warn(`ignored a profile from another tab (${e.message})`);
      } finally {
        taking = false;
      }
    };
  }
  stateOf(personalizer).close = () => {
    flush();
    stop();
    channel?.close();
    removeEventListener("pagehide", flush);
  };
}

/** Where the profile named `name` is kept (one record per name): `read`, `write`, `remove`. */
async function openStore(name, storage) {
  if (!["auto", "indexeddb", "localstorage"].includes(storage)) {
    throw tastebudError("invalid_options", 'storage must be "auto", "indexeddb" or "localstorage"');
  }
  if (storage !== "localstorage" && typeof indexedDB === "object" && indexedDB) {
    try {
      return new IndexedDbStore(await openDatabase(), name);
    } catch (e) {
      if (storage === "indexeddb") throw tastebudError("unsupported", `IndexedDB refused: ${e}`);
    }
  }
  if (storage !== "indexeddb" && typeof localStorage === "object" && localStorage) {
    return new LocalStorageStore(`tastebud:${name}`);
  }
  throw tastebudError("unsupported", "open needs IndexedDB or localStorage (a page); use create elsewhere");
}

const DATABASE = "tastebud";
const PROFILES = "profiles";

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(PROFILES);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("the database is blocked by another tab"));
  });
}

/** A record as stored, or `undefined`: anything else in its place is corrupt. */
function checked(value) {
  if (value === undefined || value === null) return undefined;
  const { bytes, savedAt, paused } = value;
  if (!(bytes instanceof Uint8Array) || typeof savedAt !== "number" || typeof paused !== "boolean") {
    return { bytes: new Uint8Array(0), savedAt: Date.now(), paused: false }; // reads back as corrupt
  }
  return value;
}

class IndexedDbStore {
  constructor(db, key) {
    this.db = db;
    this.key = key;
  }

  request(mode, act) {
    return new Promise((resolve, reject) => {
      const transaction = this.db.transaction(PROFILES, mode);
      const request = act(transaction.objectStore(PROFILES));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = transaction.onabort = () => reject(transaction.error);
    });
  }

  async read() {
    return checked(await this.request("readonly", (s) => s.get(this.key)));
  }

  write(record) {
    return this.request("readwrite", (s) => s.put(record, this.key));
  }

  remove() {
    return this.request("readwrite", (s) => s.delete(this.key));
  }
}

/** `localStorage` holds text: the bytes go as base64 in a JSON record. */
class LocalStorageStore {
  constructor(key) {
    this.key = key;
  }

  async read() {
    const text = localStorage.getItem(this.key);
    if (text === null) return undefined;
    try {
      const { bytes, ...rest } = JSON.parse(text);
      return checked({ bytes: Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0)), ...rest });
    } catch {
      return checked({});
    }
  }

  async write({ bytes, ...rest }) {
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    localStorage.setItem(this.key, JSON.stringify({ bytes: btoa(binary), ...rest }));
  }

  async remove() {
    localStorage.removeItem(this.key);
  }
}
