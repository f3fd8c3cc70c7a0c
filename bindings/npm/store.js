// `Personalizer.open(options)`: a personalizer whose profile survives reloads and stays the same
// in every tab of the origin. The profile is stored in IndexedDB (or `localStorage` where
// IndexedDB is missing or refused), as the bytes of `export()`, which carry a checksum: each
// save replaces the whole record in one transaction, so a tab killed mid-write leaves the
// previous profile, never half of one. Each save is announced on a `BroadcastChannel` and the
// other tabs take the profile: the last tab to save wins, except that forgetting and clearing
// are done in every tab, so another tab's older copy never brings back what the shopper removed.
//
// Storage never stops the page, and nothing is written over a stored profile that was not read:
// - a read that fails is tried again (four tries within half a second); if it still fails, the
//   page gets a working personalizer with a fresh profile, nothing is written, and the stored
//   profile is read again after each change, when the tab is shown again and on a timer. Once
//   it is read, it is restored and what the shopper did meanwhile (events, forgets, a clear,
//   pausing) is applied to it again, in order, then saved;
// - storage that cannot be used at all (IndexedDB and localStorage missing, refused or
//   throwing) gives a profile kept in memory for the page; a failed write (quota) leaves the
//   stored profile as it was and is tried again on the next change;
// - a `tastebud` database without its `profiles` store (made by an older version or another
//   library) is upgraded to have one, keeping what else it holds;
// - a stored value that reads but is not a profile (corrupt, foreign, from a newer version) is
//   replaced by a fresh profile.
// Each of these is a coded warning: on the console, in `personalizer.storage.warning`, and told
// to `onChange` listeners as the cause "storage". Only bad options reject.
import { changed, stateOf, tastebudError, tokenKey, whenFree } from "./shared.js";

const DAY_MS = 86_400_000;
/** A save follows the last change by this much, so a burst of events is written once. */
const SAVE_DELAY_MS = 100;
/** Waits between tries to open the database or read the profile while the page starts. */
const RETRY_MS = [20, 100, 400];
/** The stored profile, while unread, is read again on a timer backing off between these. */
const REREAD_MS = [1_000, 60_000];
/** Opening the database or reading the profile is given up after this long, and not tried
 * again at once: something that hangs (some browsers' private modes never answer; another
 * tab's write that never ends holds a read back) must not keep the page from starting. */
const GIVE_UP_MS = 5_000;
/** Upgrading the database to repair it is given up this long after it is blocked by a
 * connection that does not close (another library's, or an older version's in another tab). */
const BLOCKED_MS = 1_000;
/** At most this many events recorded while the stored profile is unread are kept to be applied
 * to it (the oldest go first; forgets and a clear are always kept). */
const MAX_HELD_EVENTS = 1_000;

/** The warning codes of `personalizer.storage.warning`. */
const UNAVAILABLE = "storage_unavailable";
const READ_FAILED = "storage_read_failed";
const WRITE_FAILED = "storage_write_failed";
const REPAIRED = "storage_repaired";
const CORRUPT = "corrupt_profile";

export async function open(Personalizer, given = {}) {
  const { name = "tastebud", expireAfterDays = 30, storage = "auto", token, ...createOptions } = given ?? {};
  if (typeof name !== "string" || !name) throw tastebudError("invalid_options", "name must be a non-empty string");
  if (typeof expireAfterDays !== "number" || !(expireAfterDays > 0)) {
    throw tastebudError("invalid_options", "expireAfterDays must be a number of days above 0");
  }
  if ("profile" in createOptions) {
    throw tastebudError("invalid_options", "open reads the stored profile; use create to start from given bytes");
  }
  if (!["auto", "indexeddb", "localstorage"].includes(storage)) {
    throw tastebudError("invalid_options", 'storage must be "auto", "indexeddb" or "localstorage"');
  }
  // Neither is even declared outside a page (Node, edge workers): not a storage fault.
  if (!("indexedDB" in globalThis) && !("localStorage" in globalThis)) {
    throw tastebudError("unsupported", "open needs IndexedDB or localStorage (a page); use create elsewhere");
  }
  const cookie = tokenCookieOf(token);
  const warnings = [];
  const store = await openStore(name, storage, warnings);
  let personalizer;
  try {
    personalizer = await restored(Personalizer, store, name, expireAfterDays, createOptions, warnings);
  } catch (e) {
    store.close(); // a bad model or config
    throw e;
  }
  keepTokenKey(personalizer, name);
  if (cookie) {
    try {
      keepTokenCookie(personalizer, cookie);
    } catch (e) {
      personalizer.free(); // a bad ε
      throw e;
    }
  }
  return personalizer;
}

/** The `token` option of `open`: `{ cookie, epsilon }`, or `undefined`. */
function tokenCookieOf(token) {
  if (token === undefined) return undefined;
  const { cookie = "tb", epsilon } = token ?? {};
  if (typeof cookie !== "string" || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(cookie)) {
    throw tastebudError("invalid_options", "token.cookie must be a cookie name");
  }
  if (typeof epsilon !== "number") {
    throw tastebudError("invalid_options", "token.epsilon must be a number (Infinity for no noise)");
  }
  return { cookie, epsilon };
}

/** Keeps the secret key of `personalizer`'s token noise in localStorage beside the profile, so
 * that an unchanged profile sends the same noise after a reload too (a new draw on every page
 * load would spend ε again each time); a new one after `clear`. Where localStorage cannot be
 * used, the key lasts as long as the page. */
function keepTokenKey(personalizer, name) {
  const slot = `tastebud:${name}:token-key`;
  const state = stateOf(personalizer);
  try {
    const saved = localStorage.getItem(slot);
    const bytes = saved && Uint8Array.from(atob(saved), (c) => c.charCodeAt(0));
    if (bytes?.length === 32) state.tokenKey = bytes;
  } catch {
    // No localStorage: a key for this page only.
  }
  const save = () => {
    state.tokenKey ??= tokenKey();
    try {
      localStorage.setItem(slot, btoa(String.fromCharCode(...state.tokenKey)));
    } catch {
      // As above.
    }
  };
  save();
  personalizer.onChange((cause) => cause === "clear" && save());
}

/** Keeps the shopper's token in a same-site cookie, written again after every change of the
 * profile, for an edge worker in front of the site's own requests (`tastebud/edge`). */
function keepTokenCookie(personalizer, { cookie, epsilon }) {
  const secure = globalThis.location?.protocol === "https:" ? "; Secure" : "";
  const write = () => {
    const token = personalizer.token({ epsilon });
    document.cookie = `${cookie}=${token}; Path=/; Max-Age=86400; SameSite=Lax${secure}`;
  };
  write();
  personalizer.onChange((cause) => {
    if (cause !== "pause" && cause !== "resume" && cause !== "storage") write();
  });
}

/** The personalizer of the profile in `store` (a fresh one when it cannot be read), kept. */
async function restored(Personalizer, store, name, expireAfterDays, createOptions, warnings) {
  const expired = (record) => Date.now() - record.savedAt > expireAfterDays * DAY_MS;
  let read = true;
  let stored;
  try {
    stored = await retried(() => within(store.read(), GIVE_UP_MS, "reading the profile"), RETRY_MS);
  } catch (e) {
    read = false;
    const why = `could not read the stored profile (${describe(e)}); nothing is saved until it is read`;
    warnings.push([READ_FAILED, why]);
  }
  let personalizer;
  if (stored && expired(stored)) {
    await store.remove().catch(() => {}); // if it stays, the next save replaces it
  } else if (stored) {
    try {
      personalizer = await Personalizer.import(stored.bytes, createOptions);
      if (stored.paused) personalizer.pause();
    } catch (e) {
      if (e?.code !== "corrupt_profile") throw e;
      warnings.push([CORRUPT, `the stored profile does not read back (${e.message}); starting afresh`]);
      await store.remove().catch(() => {});
    }
  }
  personalizer ??= await Personalizer.create(createOptions);
  const keeper = new Keeper(personalizer, store, name, { read, expired });
  for (const [code, message] of warnings) keeper.warn(code, message);
  return personalizer;
}

/** `personalizer.storage`: where the profile is kept and the last storage problem, if any. */
function status(kind, warning) {
  return Object.freeze(warning ? { kind, warning: Object.freeze(warning) } : { kind });
}

/** Keeps `personalizer`'s profile stored and in step with other tabs: saves it after each
 * change, takes what other tabs save, and while the stored profile is unread, holds this tab's
 * changes back to apply them to it once read. */
class Keeper {
  constructor(personalizer, store, name, { read, expired }) {
    this.personalizer = personalizer;
    this.store = store;
    this.expired = expired;
    this.status = status(store.kind);
    Object.defineProperty(personalizer, "storage", { get: () => this.status, configurable: true });
    /** Pending save. */
    this.timer = undefined;
    /** A change not saved yet (pending, or its write failed). */
    this.dirty = false;
    /** Applying what another tab sent. */
    this.taking = false;
    /** While the stored profile is unread: this tab's changes since, in order (`{ event }`,
     * `{ forget }`, `{ clear }`, `{ restore }`), and whether it paused or resumed. */
    this.held = undefined;
    this.pausedHere = false;
    this.rereadTimer = undefined;
    this.rereadDelay = REREAD_MS[0];
    this.rereading = undefined;

    this.channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(`tastebud:${name}`) : undefined;
    if (this.channel) this.channel.onmessage = ({ data }) => this.take(data);
    this.stop = personalizer.onChange((cause, itemId) => this.changed(cause, itemId));
    this.flush = () => {
      if (this.timer !== undefined || this.dirty) {
        clearTimeout(this.timer);
        this.save();
      }
    };
    this.shown = () => {
      if (document.visibilityState === "visible" && this.held) this.reread();
    };
    addEventListener("pagehide", this.flush);
    if (!read) this.holdBack();
    stateOf(personalizer).close = () => this.close();
  }

  close() {
    this.flush();
    this.stop();
    this.channel?.close();
    removeEventListener("pagehide", this.flush);
    this.stopHolding();
    this.store.close();
  }

  /** Reports a storage problem: on the console, in `storage.warning`, to `onChange`. */
  warn(code, message) {
    console.warn(`tastebud (${code}): ${message}`);
    this.setStatus(status(this.store.kind, { code, message }));
  }

  setStatus(next) {
    if (next.kind === this.status.kind && next.warning === this.status.warning) return;
    this.status = next;
    changed(this.personalizer, "storage");
  }

  /** After a change of the profile or of pausing. */
  changed(cause, itemId) {
    if (cause === "storage") return;
    if (this.taking) {
      // What another tab sent is saved there already; only a forget or clear is saved here too,
      // so that a save of this tab's older copy, under way, is overwritten.
      if (cause === "forget" || cause === "clear") this.schedule();
      return;
    }
    if (cause === "forget") this.channel?.postMessage({ forget: itemId });
    if (cause === "clear") this.channel?.postMessage({ clear: true });
    if (this.held) {
      if (cause === "forget") this.held.push({ forget: itemId });
      else if (cause === "clear") this.held = [{ clear: true }];
      else if (cause === "restore") this.held = [{ restore: this.personalizer.export() }];
      else if (cause === "pause" || cause === "resume") this.pausedHere = true;
    }
    this.schedule();
  }

  schedule() {
    this.dirty = true;
    this.timer ??= setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  /** Writes the profile, unless the stored one is still unread: then it is read first. */
  async save() {
    this.timer = undefined;
    // A ranking on the GPU holds the personalizer (`tastebud/gpu`): saved once it is done.
    const free = whenFree(this.personalizer);
    if (free) return void free.then(() => this.schedule());
    if (this.store.kind === "memory") {
      this.dirty = false;
      return;
    }
    if (this.held) {
      // Once read, the stored profile and what was held back are saved by a save of their own.
      this.reread();
      return;
    }
    const { personalizer } = this;
    const record = { bytes: personalizer.export(), paused: personalizer.paused, savedAt: Date.now() };
    this.dirty = false;
    try {
      await this.store.write(record);
    } catch (e) {
      this.dirty = true;
      if (this.status.warning?.code !== WRITE_FAILED) {
        const why = `could not save the profile (${describe(e)}); the stored one is kept, tried again after the next change`;
        this.warn(WRITE_FAILED, why);
      }
      return;
    }
    if (this.status.warning && this.status.warning.code !== UNAVAILABLE) this.setStatus(status(this.store.kind));
    this.channel?.postMessage({ ...record, kind: this.store.kind });
  }

  /** What another tab sent: an item it forgot, a clear, or the profile it saved. */
  take(data) {
    const free = whenFree(this.personalizer);
    if (free) return void free.then(() => this.take(data));
    if (data.forget !== undefined || data.clear) {
      // This tab's held changes before it are dropped as the other tab's forget or clear
      // dropped them from its profile, so that they are not brought back once the stored
      // profile is read.
      if (this.held && data.clear) this.held = [];
      if (this.held && data.forget !== undefined) {
        this.held = this.held.filter(({ event }) => event?.item?.id !== data.forget);
      }
      this.taking = true;
      try {
        if (data.clear) this.personalizer.clear();
        else this.personalizer.forget(data.forget);
      } catch (e) {
        console.warn(`tastebud: ignored a change from another tab (${e.message})`);
      } finally {
        this.taking = false;
      }
      return;
    }
    // A tab keeping its profile elsewhere (another storage) is not this one's to follow.
    if (data.kind !== this.store.kind || !(data.bytes instanceof Uint8Array)) return;
    if (this.held) {
      // The other tab read the stored profile and saved it: as good as reading it here.
      this.merge(data);
      return;
    }
    // A save of this tab's own that was pending is overtaken by the other tab's.
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = false;
    this.taking = true;
    try {
      this.personalizer.restore(data.bytes);
      setPaused(this.personalizer, data.paused);
    } catch (e) {
      console.warn(`tastebud: ignored a profile from another tab (${e.message})`);
    } finally {
      this.taking = false;
    }
  }

  /** The stored profile could not be read: hold this tab's changes back, write nothing, and
   * read it again after each change, when the tab is shown and on a timer. */
  holdBack() {
    this.held = [];
    const { personalizer } = this;
    const record = Object.getPrototypeOf(personalizer).record;
    // Events as recorded, to record again on the stored profile (the other changes are known
    // from `onChange`). Only the fields the model reads are kept.
    personalizer.record = (event) => {
      const recorded = record.call(personalizer, event);
      if (recorded && this.held && !this.taking) {
        this.held.push({ event: heldEvent(event) });
        const events = this.held.filter((change) => change.event);
        if (events.length > MAX_HELD_EVENTS) this.held.splice(this.held.indexOf(events[0]), 1);
      }
      return recorded;
    };
    addEventListener("visibilitychange", this.shown);
    this.rereadLater();
  }

  stopHolding() {
    this.held = undefined;
    delete this.personalizer.record;
    clearTimeout(this.rereadTimer);
    this.rereadTimer = undefined;
    removeEventListener("visibilitychange", this.shown);
  }

  rereadLater() {
    clearTimeout(this.rereadTimer);
    this.rereadTimer = setTimeout(() => this.reread(), this.rereadDelay);
    this.rereadDelay = Math.min(this.rereadDelay * 2, REREAD_MS[1]);
  }

  /** Tries to read the stored profile again (one try at a time); once read, merges. */
  reread() {
    this.rereading ??= within(this.store.read(), GIVE_UP_MS, "reading the profile")
      .then(
        (record) => this.held && this.merge(record),
        () => this.held && this.rereadLater(),
      )
      .finally(() => {
        this.rereading = undefined;
      });
    return this.rereading;
  }

  /** The stored profile, read at last: it is restored and this tab's held changes are applied
   * to it again, in order (a clear here clears it; a restore here replaces it), then saved. */
  merge(record) {
    const free = whenFree(this.personalizer);
    if (free) return void free.then(() => this.merge(record));
    const { personalizer } = this;
    const held = this.held;
    const pausedHere = this.pausedHere;
    const paused = personalizer.paused;
    this.stopHolding();
    this.setStatus(status(this.store.kind));
    if (record && !this.expired(record)) {
      let corrupt;
      quietly(personalizer, () => {
        try {
          personalizer.restore(record.bytes);
        } catch (e) {
          // Nothing usable was stored: the profile as it is already holds every change since.
          corrupt = e;
          return;
        }
        setPaused(personalizer, false); // to record the held events again
        for (const change of held) {
          try {
            if (change.event) personalizer.record(change.event);
            else if (change.forget !== undefined) personalizer.forget(change.forget);
            else if (change.clear) personalizer.clear();
            else if (change.restore) personalizer.restore(change.restore);
          } catch {
            // It was valid when first recorded; nothing better to do than to skip it.
          }
        }
        setPaused(personalizer, pausedHere ? paused : record.paused);
      });
      if (corrupt) this.warn(CORRUPT, `the stored profile does not read back (${corrupt.message}); this page's profile is kept`);
      else changed(personalizer, "restore");
    }
    this.schedule();
  }
}

/** Runs `act` on `personalizer` without telling its `onChange` listeners of each step. */
function quietly(personalizer, act) {
  const state = stateOf(personalizer);
  const { listeners } = state;
  state.listeners = new Set();
  try {
    act();
  } finally {
    state.listeners = listeners;
  }
}

function setPaused(personalizer, paused) {
  if (paused === personalizer.paused) return;
  if (paused) personalizer.pause();
  else personalizer.resume();
}

/** An event as `record` reads it, with its time fixed, to record again later. */
function heldEvent({ type, item, query, ms, ts }) {
  const event = defined({ type, query, ms, ts: ts ?? Date.now() });
  if (item) {
    const { id, title, category, brand, price, tags } = item;
    event.item = defined({ id, title, category, brand, price, tags: Array.isArray(tags) ? [...tags] : tags });
  }
  return event;
}

const defined = (object) => Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));

/** `act()`, tried again after each of `delays` (ms) while it rejects, unless it gave up. */
async function retried(act, delays) {
  for (let i = 0; ; i++) {
    try {
      return await act();
    } catch (e) {
      if (i === delays.length || e instanceof GaveUp) throw e;
      await new Promise((done) => setTimeout(done, delays[i]));
    }
  }
}

/** Waiting for something that did not come, not worth trying again at once. */
class GaveUp extends Error {
  name = "GaveUp";
}

/** `promise`, or a `GaveUp` rejection after `ms`. */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new GaveUp(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const describe = (e) => (e instanceof Error || e instanceof DOMException ? `${e.name}: ${e.message}` : String(e));

/** Where the profile named `name` is kept (one record per name): IndexedDB, else localStorage,
 * else memory, as `storage` allows; `warnings` receives why a preferred one was not used. */
async function openStore(name, storage, warnings) {
  const refused = [];
  if (storage !== "localstorage") {
    let idb;
    try {
      idb = globalThis.indexedDB;
    } catch (e) {
      refused.push(`IndexedDB refused (${describe(e)})`);
    }
    if (idb) {
      try {
        const { db, repaired } = await retried(() => openDatabase(idb), RETRY_MS.slice(0, 2));
        if (repaired) warnings.push([REPAIRED, `the "${DATABASE}" database had no "${PROFILES}" store; it was added`]);
        return new IndexedDbStore(idb, db, name);
      } catch (e) {
        refused.push(`IndexedDB refused (${describe(e)})`);
      }
    } else if (!refused.length) {
      refused.push("no IndexedDB");
    }
  }
  if (storage !== "indexeddb") {
    try {
      const local = globalThis.localStorage;
      if (local) {
        local.getItem(`tastebud:${name}`); // throws where access is denied
        if (refused.length && storage === "auto" && refused[0] !== "no IndexedDB") {
          warnings.push([UNAVAILABLE, `${refused.join("; ")}; the profile is kept in localStorage`]);
        }
        return new LocalStorageStore(`tastebud:${name}`);
      }
      refused.push("no localStorage");
    } catch (e) {
      refused.push(`localStorage refused (${describe(e)})`);
    }
  }
  warnings.push([UNAVAILABLE, `${refused.join("; ")}; the profile is kept in this page only`]);
  return MEMORY;
}

/** No storage: nothing to read, nothing written. */
const MEMORY = {
  kind: "memory",
  read: async () => undefined,
  write: async () => {},
  remove: async () => {},
  close() {},
};

const DATABASE = "tastebud";
const PROFILES = "profiles";

/** The `tastebud` database, with its `profiles` store: made if missing, and added (by opening
 * the next version) to a database that lacks it, keeping its other stores. */
async function openDatabase(idb) {
  const db = await opened(idb.open(DATABASE));
  if (db.objectStoreNames.contains(PROFILES)) return { db, repaired: false };
  const version = db.version + 1;
  db.close();
  return { db: await opened(idb.open(DATABASE, version)), repaired: true };
}

function opened(request) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (act, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      act(value);
    };
    const giveUp = (why) => settle(reject, new GaveUp(why));
    const timer = setTimeout(() => giveUp(`opening the database took more than ${GIVE_UP_MS} ms`), GIVE_UP_MS);
    request.onblocked = () => setTimeout(() => giveUp("another connection to the database does not close"), BLOCKED_MS);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(PROFILES)) db.createObjectStore(PROFILES);
    };
    request.onsuccess = () => {
      if (settled) request.result.close(); // given up on already
      settle(resolve, request.result);
    };
    request.onerror = () => settle(reject, request.error);
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
  constructor(idb, db, key) {
    this.kind = "indexeddb";
    this.idb = idb;
    this.key = key;
    this.attach(db);
  }

  /** Uses `db` until it is closed by the browser or asked to close for an upgrade elsewhere
   * (another tab repairing the database); the next request opens it again. */
  attach(db) {
    this.db = db;
    db.onversionchange = db.onclose = () => {
      db.close();
      if (this.db === db) this.db = undefined;
    };
  }

  async request(mode, act) {
    if (!this.db) this.attach((await openDatabase(this.idb)).db);
    const { db } = this;
    return new Promise((resolve, reject) => {
      let transaction;
      try {
        transaction = db.transaction(PROFILES, mode);
      } catch (e) {
        // A connection being closed, or a store gone: the next request opens the database again.
        if (this.db === db) this.close();
        throw e;
      }
      const request = act(transaction.objectStore(PROFILES));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = transaction.onabort = () =>
        reject(transaction.error ?? new Error("the transaction was aborted"));
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

  close() {
    this.db?.close();
    this.db = undefined;
  }
}

/** `localStorage` holds text: the bytes go as base64 in a JSON record. */
class LocalStorageStore {
  constructor(key) {
    this.kind = "localstorage";
    this.key = key;
  }

  async read() {
    const text = globalThis.localStorage.getItem(this.key);
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
    globalThis.localStorage.setItem(this.key, JSON.stringify({ bytes: btoa(binary), ...rest }));
  }

  async remove() {
    globalThis.localStorage.removeItem(this.key);
  }

  close() {}
}
