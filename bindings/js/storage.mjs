// `Personalizer.open` when browser storage fails, in headless Chromium against the built pkg/:
// each fault is put in place before the page's own scripts run (`addInitScript` stubs of the
// IndexedDB and Storage APIs, or Chromium's DevTools protocol), then the test checks what a
// shopper would notice: the profile they built is still there after the fault, the page works,
// and the page is told the warning's code. No check depends on timing: each waits for the
// condition it needs. Run from the repository root after `make pkg`: `node bindings/js/storage.mjs`
// ($TASTEBUD_PKG: another build of the package).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch, serve } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const server = await serve(process.env.TASTEBUD_PKG || join(here, "../../pkg"));
const HARNESS = `${server.url}storage-test.html`;
/** Long enough for a loaded machine; a condition that holds is seen at once. */
const WAIT_MS = 60_000;

/** The page every test opens: the package and helpers, and no personalizer until `start`. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>tastebud storage test</title>
<script type="module">
import { Personalizer } from "./index.js";
const NAME = "test-shop";
const item = (id) => ({ id, title: "Glass star frosted T-light holder " + id, category: "home/candles", price: 4.25 });
/** The original IndexedDB methods, where a fault replaced them. */
const real = window.original ?? {};
const request = (r) => new Promise((done, fail) => { r.onsuccess = () => done(r.result); r.onerror = () => fail(r.error); });
const idsOf = (shop) => JSON.parse(shop.exportJson()).items.map((i) => i.item.id).sort();
Object.assign(window, {
  Personalizer,
  causes: [],
  async start(options = {}) {
    window.shop = await Personalizer.open({ name: NAME, ...options });
    shop.onChange((cause) => causes.push(cause));
  },
  did: (id) => shop.record({ type: "add_to_cart", item: item(id) }),
  ids: () => idsOf(shop),
  ranks: () => shop.rank(["a", "b", "c"].map(item), { k: 3 }).length === 3,
  /** The ids in the profile as stored where the personalizer keeps it, null if none is. */
  async storedIds() {
    let bytes;
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (shop.storage.kind === "indexeddb" && names.includes("tastebud")) {
      const db = await request((real.open ?? IDBFactory.prototype.open).call(indexedDB, "tastebud"));
      try {
        if (db.objectStoreNames.contains("profiles")) {
          const tx = db.transaction("profiles");
          const [keys, values] = await Promise.all([request(tx.objectStore("profiles").getAllKeys()), request(tx.objectStore("profiles").getAll())]);
          bytes = values[keys.indexOf(NAME)]?.bytes;
        }
      } finally {
        db.close();
      }
    }
    if (shop.storage.kind === "localstorage") {
      const text = localStorage.getItem("tastebud:" + NAME);
      if (text) bytes = Uint8Array.from(atob(JSON.parse(text).bytes), (c) => c.charCodeAt(0));
    }
    return bytes ? idsOf(await Personalizer.import(bytes)) : null;
  },
});
window.harnessReady = true;
</script>`;

// Faults, each a script run in the page before its own.

/** A full disk: every IndexedDB write throws QuotaExceededError. */
function quotaOnIndexedDbWrite() {
  IDBObjectStore.prototype.put = function () {
    throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
  };
}

/** Safari's private mode of old, or a full origin: localStorage.setItem throws. */
function quotaOnLocalStorageWrite() {
  Storage.prototype.setItem = function () {
    throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
  };
}

/** IndexedDB refuses to open the database (an error event, as Chromium gives for a storage it
 * cannot use). */
function refusedIndexedDbOpen() {
  window.original = { open: IDBFactory.prototype.open };
  IDBFactory.prototype.open = function () {
    const request = { error: new DOMException("Internal error opening backing store.", "UnknownError") };
    setTimeout(() => request.onerror?.(new Event("error")));
    return request;
  };
}

/** Cookies and site data blocked: localStorage throws on access, IndexedDB.open throws. */
function blockedSiteData() {
  const denied = () => {
    throw new DOMException("Access is denied for this document.", "SecurityError");
  };
  Object.defineProperty(window, "localStorage", { get: denied, configurable: true });
  IDBFactory.prototype.open = denied;
}

/** The same, with the `indexedDB` global itself throwing on access. */
function blockedSiteDataEverywhere() {
  const denied = () => {
    throw new DOMException("Access is denied for this document.", "SecurityError");
  };
  Object.defineProperty(window, "localStorage", { get: denied, configurable: true });
  Object.defineProperty(window, "indexedDB", { get: denied, configurable: true });
}

/** The first `n` reads of IndexedDB fail (their transaction aborts), then reads succeed. */
function failingReads(n) {
  let left = n;
  const get = IDBObjectStore.prototype.get;
  IDBObjectStore.prototype.get = function (...args) {
    const request = get.apply(this, args);
    if (left > 0) {
      left -= 1;
      this.transaction.abort();
    }
    return request;
  };
}

/** A write that never ends: the put's transaction is kept busy, so it never commits; `writing`
 * tells the test it has begun. */
function writeThatNeverEnds() {
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    const request = put.apply(this, args);
    const busy = () => {
      this.count().onsuccess = busy;
    };
    busy();
    window.writing = true;
    return request;
  };
}

// The harness.

const browser = await launch();
const problems = [];
let failed = false;

async function shopperContext() {
  const context = await browser.newContext();
  await context.route(HARNESS, (route) => route.fulfill({ contentType: "text/html", body: PAGE }));
  return context;
}

/** A tab of `context` on the test page, with `fault` (and its `arg`) in place before it loads;
 * `warnings` collects its console warnings. */
async function tab(context, fault, arg) {
  const page = await context.newPage();
  const warnings = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (message) => {
    if (message.type() === "warning") warnings.push(message.text());
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  if (fault) await page.addInitScript(fault, arg);
  await page.goto(HARNESS);
  await page.waitForFunction(() => window.harnessReady === true, null, { timeout: WAIT_MS });
  return { page, warnings };
}

/** A tab that has opened the personalizer (`options` for `open`). */
async function shop(context, { fault, arg, options } = {}) {
  const opened = await tab(context, fault, arg);
  await opened.page.evaluate((options) => window.start(options), options);
  return opened;
}

/** Waits until `predicate` (run in the page, may be async) holds; returns its value. */
async function until(page, predicate, arg, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  try {
    for (;;) {
      const value = await Promise.race([page.evaluate(predicate, arg), late]);
      if (value) return value;
      await Promise.race([new Promise((done) => setTimeout(done, 50)), late]);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** A shopper who added `ids` to their cart in a tab without faults, saved; the tab is closed. */
async function builtProfile(context, ids, options) {
  const { page } = await shop(context, { options });
  for (const id of ids) await page.evaluate((id) => window.did(id), id);
  await until(page, (ids) => window.storedIds().then((s) => JSON.stringify(s) === JSON.stringify(ids)), ids, `the profile ${ids} saved`);
  await page.close();
}

const storage = (page) => page.evaluate(() => window.shop.storage);
const ids = (page) => page.evaluate(() => window.ids());

async function test(name, body) {
  const started = Date.now();
  const context = await shopperContext();
  let timer;
  try {
    // A test that hangs (a page that never answers) fails rather than stalls the run.
    await Promise.race([
      body(context),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running after ${(2 * WAIT_MS) / 1000} s`)), 2 * WAIT_MS);
      }),
    ]);
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed = true;
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
  } finally {
    clearTimeout(timer);
    await context.close();
  }
}

function check(ok, what) {
  if (!ok) throw new Error(what);
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const warned = (warnings, code) => warnings.some((w) => w.startsWith(`tastebud (${code})`));

for (const [where, fault, options] of [
  ["IndexedDB", quotaOnIndexedDbWrite, {}],
  ["localStorage", quotaOnLocalStorageWrite, { storage: "localstorage" }],
]) {
  await test(`quota exceeded on saving to ${where} keeps the stored profile, and the page works (storage_write_failed)`, async (context) => {
    await builtProfile(context, ["kept"], options);
    const { page, warnings } = await shop(context, { fault, options });
    check(same(await ids(page), ["kept"]), "the stored profile is restored");
    await page.evaluate(() => window.did("unsaved"));
    await page.waitForFunction(() => window.shop.storage.warning?.code === "storage_write_failed", null, { timeout: WAIT_MS });
    check(warned(warnings, "storage_write_failed"), "a console warning with the code");
    check(await page.evaluate(() => window.causes.includes("storage")), 'onChange told "storage"');
    check(same(await ids(page), ["kept", "unsaved"]) && (await page.evaluate(() => window.ranks())), "the page goes on recording and ranking");
    await page.close();
    const { page: later } = await shop(context, { options });
    check(same(await ids(later), ["kept"]), `the profile before the failed save is there after a reload, got ${await ids(later)}`);
  });
}

await test("a refused IndexedDB: the profile is kept in localStorage and survives a reload (storage_unavailable)", async (context) => {
  const { page, warnings } = await shop(context, { fault: refusedIndexedDbOpen });
  const { kind, warning } = await storage(page);
  check(kind === "localstorage" && warning?.code === "storage_unavailable", `localStorage with a warning, got ${kind}, ${warning?.code}`);
  check(warned(warnings, "storage_unavailable"), "a console warning with the code");
  await page.evaluate(() => window.did("kept"));
  await until(page, () => window.storedIds().then((s) => s?.includes("kept")), null, "the profile saved in localStorage");
  await page.close();
  const { page: later } = await shop(context, { fault: refusedIndexedDbOpen });
  check(same(await ids(later), ["kept"]), "the profile is there after a reload");
  // Asked for IndexedDB only, the page keeps the profile in memory.
  const { page: only } = await shop(context, { fault: refusedIndexedDbOpen, options: { storage: "indexeddb" } });
  const asked = await storage(only);
  check(asked.kind === "memory" && asked.warning?.code === "storage_unavailable", `memory with a warning, got ${asked.kind}, ${asked.warning?.code}`);
});

for (const [how, fault] of [
  ["localStorage throws, IndexedDB.open throws", blockedSiteData],
  ["localStorage and indexedDB throw on access", blockedSiteDataEverywhere],
]) {
  await test(`site data blocked (${how}): open resolves with an in-memory profile, a warning, a working page (storage_unavailable)`, async (context) => {
    const { page, warnings } = await shop(context, { fault });
    const { kind, warning } = await storage(page);
    check(kind === "memory" && warning?.code === "storage_unavailable", `memory with a warning, got ${kind}, ${warning?.code}`);
    check(warned(warnings, "storage_unavailable"), "a console warning with the code");
    check(await page.evaluate(() => window.did("a") && window.did("b")), "events are recorded");
    check(same(await ids(page), ["a", "b"]) && (await page.evaluate(() => window.ranks())), "the page records and ranks");
    const rejected = await page.evaluate(() => Personalizer.open({ expireAfterDays: -1 }).then(() => "resolved", (e) => e.code));
    check(rejected === "invalid_options", `bad options still reject, got ${rejected}`);
  });
}

await test("a tastebud database without its profiles store is repaired, keeping what else it holds (storage_repaired)", async (context) => {
  const { page, warnings } = await tab(context);
  // Another library's (or an older version's) database of the same name, at version 1.
  await page.evaluate(
    () =>
      new Promise((done, fail) => {
        const request = indexedDB.open("tastebud", 1);
        request.onupgradeneeded = () => request.result.createObjectStore("theirs").put("their data", "key");
        request.onsuccess = () => {
          request.result.close();
          done();
        };
        request.onerror = () => fail(request.error);
      }),
  );
  await page.evaluate(() => window.start());
  check((await storage(page)).warning?.code === "storage_repaired", "the repair is reported");
  check(warned(warnings, "storage_repaired"), "a console warning with the code");
  await page.evaluate(() => window.did("kept"));
  await until(page, () => window.storedIds().then((s) => s?.includes("kept")), null, "the profile saved in the repaired database");
  const theirs = await page.evaluate(
    () =>
      new Promise((done, fail) => {
        const request = indexedDB.open("tastebud");
        request.onsuccess = () => {
          const db = request.result;
          const get = db.transaction("theirs").objectStore("theirs").get("key");
          get.onsuccess = () => {
            db.close();
            done(get.result);
          };
          get.onerror = () => fail(get.error);
        };
        request.onerror = () => fail(request.error);
      }),
  );
  check(theirs === "their data", "the other store's data is kept");
  await page.close();
  const { page: later, warnings: laterWarnings } = await shop(context);
  check(same(await ids(later), ["kept"]), "the profile is there after a reload");
  check(!(await storage(later)).warning && !laterWarnings.length, "no warning once repaired");
});

await test("a tastebud database held open by another library, which blocks the repair, does not stop the page (storage_unavailable)", async (context) => {
  const { page, warnings } = await tab(context);
  // Their connection stays open and ignores the request to close for an upgrade.
  await page.evaluate(
    () =>
      new Promise((done, fail) => {
        const request = indexedDB.open("tastebud", 1);
        request.onupgradeneeded = () => request.result.createObjectStore("theirs");
        request.onsuccess = () => {
          window.theirs = request.result;
          done();
        };
        request.onerror = () => fail(request.error);
      }),
  );
  await page.evaluate(() => window.start());
  const { kind, warning } = await storage(page);
  check(kind === "localstorage" && warning?.code === "storage_unavailable", `localStorage with a warning, got ${kind}, ${warning?.code}`);
  check(warned(warnings, "storage_unavailable"), "a console warning with the code");
  await page.evaluate(() => window.did("kept"));
  await until(page, () => window.storedIds().then((s) => s?.includes("kept")), null, "the profile saved in localStorage");
});

await test("a read error at start-up is tried again, and the stored profile is restored", async (context) => {
  await builtProfile(context, ["kept"]);
  const { page, warnings } = await shop(context, { fault: failingReads, arg: 2 });
  check(same(await ids(page), ["kept"]), `the stored profile, got ${await ids(page)}`);
  check(!(await storage(page)).warning && !warnings.length, "nothing to warn about");
});

await test("a read error that outlasts the retries writes nothing over the stored profile, which is restored with what the shopper did meanwhile (storage_read_failed)", async (context) => {
  await builtProfile(context, ["kept"]);
  // Four tries at start-up, then one more: the read after the first change also fails.
  const { page, warnings } = await tab(context, failingReads, 5);
  const atStart = await page.evaluate(async () => {
    await window.start();
    const { warning } = window.shop.storage;
    const ids = window.ids();
    window.did("meanwhile"); // before any later read could have run
    return { code: warning?.code, ids };
  });
  check(atStart.code === "storage_read_failed", `the failed read is reported, got ${atStart.code}`);
  check(warned(warnings, "storage_read_failed"), "a console warning with the code");
  check(same(atStart.ids, []), "a working, fresh profile meanwhile");
  // Whether or not it has been read by now, the stored profile was never saved over.
  check((await page.evaluate(() => window.storedIds())).includes("kept"), "the stored profile kept");
  await page.waitForFunction(() => !window.shop.storage.warning && window.ids().includes("kept"), null, { timeout: WAIT_MS });
  check(same(await ids(page), ["kept", "meanwhile"]), `the stored profile and what was done meanwhile, got ${await ids(page)}`);
  check(await page.evaluate(() => window.causes.includes("restore") && window.causes.includes("storage")), 'onChange told "restore" and "storage"');
  await until(page, () => window.storedIds().then((s) => s?.includes("meanwhile")), null, "both saved");
  await page.close();
  const { page: later } = await shop(context);
  check(same(await ids(later), ["kept", "meanwhile"]), "both are there after a reload");
});

await test("a clear while the stored profile is unread clears the stored one too, once read", async (context) => {
  await builtProfile(context, ["private"]);
  const { page } = await tab(context, failingReads, 5);
  await page.evaluate(async () => {
    await window.start();
    window.shop.clear();
    window.did("after");
  });
  await page.waitForFunction(() => !window.shop.storage.warning && window.causes.includes("restore"), null, { timeout: WAIT_MS });
  check(same(await ids(page), ["after"]), `only what followed the clear, got ${await ids(page)}`);
  await until(page, () => window.storedIds().then((s) => JSON.stringify(s) === '["after"]'), null, "the cleared profile saved");
});

await test("a read held up by another tab's write that never ends does not stop the page, and the stored profile comes back once that tab is gone (storage_read_failed)", async (context) => {
  await builtProfile(context, ["kept"]);
  const { page: stuck } = await shop(context, { fault: writeThatNeverEnds });
  await stuck.evaluate(() => window.did("never saved"));
  await stuck.waitForFunction(() => window.writing === true, null, { timeout: WAIT_MS });
  const { page } = await tab(context);
  const atStart = await page.evaluate(async () => {
    await window.start();
    const { warning } = window.shop.storage;
    const ids = window.ids();
    window.did("meanwhile");
    return { code: warning?.code, ids };
  });
  check(atStart.code === "storage_read_failed" && same(atStart.ids, []), `a fresh profile and a warning, got ${atStart.code}, ${atStart.ids}`);
  check(await page.evaluate(() => window.ranks()), "the page ranks");
  const crashed = stuck.waitForEvent("crash", { timeout: WAIT_MS });
  (await context.newCDPSession(stuck)).send("Page.crash").catch(() => {});
  await crashed;
  await page.waitForFunction(() => !window.shop.storage.warning && window.ids().includes("kept"), null, { timeout: WAIT_MS });
  check(same(await ids(page), ["kept", "meanwhile"]), `the stored profile and what was done meanwhile, got ${await ids(page)}`);
});

await test("a profile not saved for expireAfterDays is dropped, without a warning", async (context) => {
  await builtProfile(context, ["old"]);
  const later = (days) => {
    const now = Date.now;
    Date.now = () => now() + days * 86_400_000;
  };
  const { page, warnings } = await shop(context, { fault: later, arg: 31, options: { expireAfterDays: 30 } });
  check(same(await ids(page), []), `a fresh profile, got ${await ids(page)}`);
  check(!(await storage(page)).warning && !warnings.length, "nothing to warn about");
  await page.close();
  const { page: sooner } = await shop(context, { fault: later, arg: 29, options: { expireAfterDays: 30 } });
  check(same(await ids(sooner), []), "the expired profile was removed");
});

await test("a tab killed in the middle of a save leaves the previous profile, never a broken one", async (context) => {
  await builtProfile(context, ["first"]);
  const { page } = await shop(context, { fault: writeThatNeverEnds });
  await page.evaluate(() => window.did("second"));
  await page.waitForFunction(() => window.writing === true, null, { timeout: WAIT_MS });
  const cdp = await context.newCDPSession(page);
  const crashed = page.waitForEvent("crash", { timeout: WAIT_MS });
  cdp.send("Page.crash").catch(() => {}); // answered by the crash, if at all
  await crashed;
  const { page: later, warnings } = await shop(context);
  check(same(await ids(later), ["first"]), `the profile before the save, got ${await ids(later)}`);
  check(!warnings.length, `no warning (nothing corrupt), got ${warnings}`);
});

await test("a tab closed while its last change is being saved leaves the previous profile or the new one", async (context) => {
  await builtProfile(context, ["first"]);
  const { page } = await shop(context);
  await page.evaluate(() => window.did("second"));
  await page.close(); // the save, due in 100 ms, is started by pagehide and cut short
  const { page: later, warnings } = await shop(context);
  const after = await ids(later);
  check(same(after, ["first"]) || same(after, ["first", "second"]), `the previous or the new profile, got ${after}`);
  check(!warnings.length, `no warning (nothing corrupt), got ${warnings}`);
});

await test("tabs stay in step: an event in one shows in the other, a clear in one clears both", async (context) => {
  const { page: one } = await shop(context);
  const { page: two } = await shop(context);
  await one.evaluate(() => window.did("shared"));
  await two.waitForFunction(() => window.ids().includes("shared"), null, { timeout: WAIT_MS });
  await two.evaluate(() => window.shop.clear());
  await one.waitForFunction(() => window.ids().length === 0, null, { timeout: WAIT_MS });
  await until(one, () => window.storedIds().then((s) => JSON.stringify(s) === "[]"), null, "the cleared profile saved");
});

await test("open({ token }) keeps the shopper's token in a same-site cookie, written again after each change", async (context) => {
  const { page } = await shop(context, { options: { token: { cookie: "tb", epsilon: Infinity } } });
  const cookie = () => page.evaluate(() => document.cookie.match(/(?:^|; )tb=([^;]*)/)?.[1] ?? null);
  const first = await cookie();
  check(typeof first === "string" && first === (await page.evaluate(() => window.shop.token({ epsilon: Infinity }))), `the token in the cookie, got ${first}`);
  await page.evaluate(() => window.did("a"));
  const second = await cookie();
  check(second && second !== first && second.length <= 256, `a new token after a change, got ${second}`);
  // A reload of the unchanged profile sends the same noise (only the minute and checksum may
  // differ): asking again spends no more of ε.
  const { page: reloaded } = await shop(context, { options: { token: { cookie: "tb", epsilon: 4 } } });
  const noised = () => reloaded.evaluate(() => window.shop.token({ epsilon: 4 }));
  const vectors = (token) => Buffer.from(token, "base64url").subarray(9, -4).toString("hex");
  const before = await noised();
  await reloaded.close();
  const { page: again } = await shop(context, { options: { token: { cookie: "tb", epsilon: 4 } } });
  const after = await again.evaluate(() => window.shop.token({ epsilon: 4 }));
  check(vectors(after) === vectors(before), "the same noise after a reload");
  const rejected = await page.evaluate(() => Personalizer.open({ name: "other", token: { epsilon: 0 } }).then(() => "resolved", (e) => e.code));
  check(rejected === "invalid_options", `a bad ε rejects open, got ${rejected}`);
});

await test("no page errors and no console errors", async () => {
  check(problems.length === 0, problems.join("\n"));
});

await browser.close();
await server.close();
if (failed) {
  console.log("storage tests FAILED");
  process.exit(1);
}
console.log("storage tests passed");
