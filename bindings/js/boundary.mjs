// The JavaScript boundary, against the packed package in Node: whatever a page hands over
// (Proxies, revoked Proxies, throwing getters, detached buffers, subclasses, over-limit sizes),
// every error is a coded `TastebudError`, nothing throws synchronously from `create` or
// `import`, a rejected call changes nothing, the instance stays usable, and any use after
// `free` is `freed`. Each test is named after what it protects. Run by `make test` after
// `make pkg`: `node bindings/js/boundary.mjs`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { installPacked } from "./packed.mjs";

const { tastebud, dir, remove } = await installPacked();
const { Personalizer } = tastebud;
const codes = errorCodes(readFileSync(join(dir, "tastebud.d.ts"), "utf8"));

/** The codes of the `ErrorCode` union that wasm-bindgen wrote from the Rust list. */
function errorCodes(dts) {
  const start = dts.indexOf("export type ErrorCode =");
  const union = dts.slice(start, dts.indexOf("\n\n", start));
  return new Set([...union.matchAll(/\| "([a-z_]+)"/g)].map((m) => m[1]));
}

const items = [
  { id: "h1", title: "WHITE HANGING HEART T-LIGHT HOLDER", category: "home/candle holders", price: 2.95 },
  { id: "b1", title: "JUMBO BAG RED RETROSPOT", category: "bags", price: 1.95 },
  { id: "m1", title: "PINK POLKADOT MUG", category: "kitchen/mugs", price: 2.55 },
];
const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
const revokedArray = () => {
  const { proxy, revoke } = Proxy.revocable([], {});
  revoke();
  return proxy;
};
const detached = () => {
  const buffer = new ArrayBuffer(16);
  structuredClone(buffer, { transfer: [buffer] });
  return buffer;
};
const throwing = (fields) =>
  Object.defineProperties(
    {},
    Object.fromEntries(fields.map((f) => [f, { enumerable: true, get: () => { throw new Error(`${f} getter`); } }])),
  );

function fail(msg) {
  throw new Error(msg);
}
/** Runs `f`, which must throw a `TastebudError` with `code`. */
function throwsCoded(f, code, what) {
  try {
    f();
  } catch (e) {
    if (e?.name !== "TastebudError" || e.code !== code) fail(`${what}: expected ${code}, got ${e?.name} ${e?.code}: ${e?.message}`);
    return;
  }
  fail(`${what}: expected ${code}, nothing was thrown`);
}
/** `promise` of `f()` must reject with a `TastebudError` with `code`, and `f` must not throw. */
async function rejectsCoded(f, code, what) {
  let promise;
  try {
    promise = f();
  } catch (e) {
    fail(`${what}: threw synchronously: ${e}`);
  }
  try {
    await promise;
  } catch (e) {
    if (e?.name !== "TastebudError" || e.code !== code) fail(`${what}: expected ${code}, got ${e?.name} ${e?.code}: ${e?.message}`);
    return;
  }
  fail(`${what}: expected a rejection with ${code}`);
}
/** After a refused call the profile is byte for byte what it was, and a plain call works. */
function unchangedAndUsable(p, before, what) {
  const after = p.export();
  if (Buffer.compare(Buffer.from(after), Buffer.from(before)) !== 0) fail(`${what}: the profile changed`);
  if (p.rank(items).length !== items.length) fail(`${what}: the instance no longer ranks`);
  if (!p.record({ type: "view", item: items[2] })) fail(`${what}: the instance no longer records`);
}
async function withShopper() {
  const p = await Personalizer.create();
  p.record({ type: "view", item: items[0] });
  return p;
}

const tests = {
  // A Vue reactive value is such a Proxy: its `length` getter throws when read through it.
  async a_proxy_profile_restores_and_the_instance_stays_usable() {
    const p = await withShopper();
    const saved = p.export();
    const q = await Personalizer.create();
    q.restore(new Proxy(saved, {}));
    if (Buffer.compare(Buffer.from(q.export()), Buffer.from(saved)) !== 0) fail("the proxied profile did not restore");
    const r = await Personalizer.import(new Proxy(saved, {}));
    if (Buffer.compare(Buffer.from(r.export()), Buffer.from(saved)) !== 0) fail("the proxied profile did not import");
    unchangedAndUsable(q, q.export(), "after a proxied restore");
  },

  async a_uint8array_subclass_or_arraybuffer_restores() {
    const p = await withShopper();
    const saved = p.export();
    class Bytes extends Uint8Array {}
    for (const bytes of [Bytes.from(saved), saved.buffer.slice(saved.byteOffset, saved.byteOffset + saved.length)]) {
      const q = await Personalizer.create();
      q.restore(bytes);
      if (Buffer.compare(Buffer.from(q.export()), Buffer.from(saved)) !== 0) fail("did not restore");
    }
  },

  async a_detached_buffer_is_corrupt_profile_and_the_instance_stays_usable() {
    const p = await withShopper();
    const before = p.export();
    throwsCoded(() => p.restore(detached()), "corrupt_profile", "a detached ArrayBuffer");
    const view = new Uint8Array(16);
    structuredClone(view.buffer, { transfer: [view.buffer] });
    throwsCoded(() => p.restore(view), "corrupt_profile", "a view of a detached buffer");
    throwsCoded(() => p.restore(revoked()), "corrupt_profile", "a revoked Proxy");
    unchangedAndUsable(p, before, "after detached buffers");
  },

  async a_revoked_proxy_or_throwing_item_is_invalid_item_and_the_instance_stays_usable() {
    const p = await withShopper();
    const before = p.export();
    for (const method of ["catalog", "rank"]) {
      throwsCoded(() => p[method](revokedArray()), "invalid_item", `${method} of a revoked Proxy`);
      throwsCoded(() => p[method]([throwing(["id"])]), "invalid_item", `${method} of an item whose id throws`);
      throwsCoded(() => p[method]([revoked()]), "invalid_item", `${method} of a revoked Proxy item`);
    }
    throwsCoded(() => p.record(revoked()), "invalid_event", "record of a revoked Proxy");
    throwsCoded(() => p.record(throwing(["type"])), "invalid_event", "record of an event whose type throws");
    throwsCoded(() => p.rank(items, throwing(["k"])), "invalid_options", "options whose k throws");
    throwsCoded(() => p.rank(items, revoked()), "invalid_options", "revoked options");
    throwsCoded(() => p.explain(revoked()), "invalid_item", "explain of a revoked Proxy");
    throwsCoded(() => p.forget({ toString: () => "h1" }), "invalid_item", "forget of an object");
    unchangedAndUsable(p, before, "after hostile values");
  },

  // extend.js keeps the lists rank saw and compares them field by field on the next call.
  async a_throwing_getter_on_a_cached_list_is_invalid_item() {
    const p = await withShopper();
    const list = items.map((i) => ({ ...i }));
    p.rank(list);
    p.rank(list);
    Object.defineProperty(list[1], "title", { get: () => { throw new Error("title getter"); } });
    const before = p.export();
    throwsCoded(() => p.rank(list), "invalid_item", "a cached list whose item now throws");
    unchangedAndUsable(p, before, "after a throwing cached list");
  },

  async an_edited_cached_list_is_ranked_as_edited() {
    const p = await withShopper();
    const list = items.map((i) => ({ ...i }));
    const score = () => p.rank(list).find((r) => r.id === "b1").score;
    const before = score();
    if (score() !== before) fail("the same list ranked differently");
    list[1].title = "RED HANGING HEART T-LIGHT HOLDER";
    list[1].category = "home/candle holders";
    if (!(score() > before)) fail("the edit was not seen");
  },

  // An item's fields are defined once, in Rust (`ITEM_FIELDS`); the JavaScript reads them by
  // name on three paths: packed (a fresh list of plain items), JSON (`catalog`) and the kept
  // copy of a list ranked before. Each path must read every field, in the same places.
  async every_item_field_is_read_alike_by_each_path() {
    const { itemFields } = await import(pathToFileURL(join(dir, "tastebud.js")).href);
    const full = { id: "f1", title: "RED GLASS HEART", category: "home/decorations", brand: "acme", price: 4.25, tags: ["red", "glass"] };
    const edits = { id: "f2", title: "BLUE ZINC TRAY", category: "kitchen/trays", brand: "zenith", price: 180, tags: ["blue"] };
    const names = itemFields();
    if (JSON.stringify(Object.keys(full)) !== JSON.stringify(names)) fail(`the test's item has ${Object.keys(full)}, an item has ${names}`);
    const p = await withShopper();
    const scores = (ranked) => Object.fromEntries(ranked.map((r) => [r.id, r.score]));
    const fresh = () => [...items.map((i) => ({ ...i })), { ...full }];
    const packed = scores(p.rank(fresh()));
    const catalog = p.catalog(fresh());
    const viaJson = scores(p.rankCatalog(catalog));
    catalog.free();
    if (JSON.stringify(packed) !== JSON.stringify(viaJson)) fail(`packed and JSON candidates ranked differently: ${JSON.stringify([packed, viaJson])}`);
    for (const name of names) {
      const list = fresh();
      p.rank(list);
      p.rank(list); // seen twice: kept, with a copy of its fields
      const before = p.rank(list).find((r) => r.id === list[3].id).score;
      list[3][name] = edits[name];
      const after = p.rank(list).find((r) => r.id === list[3].id).score;
      if (after === before) fail(`an edit of ${name} in a kept list was not seen`);
    }
  },

  async k_infinity_or_nan_is_invalid_options_not_all() {
    const p = await withShopper();
    for (const k of [Infinity, NaN, 0, 1.5, -1, null, "3"]) throwsCoded(() => p.rank(items, { k }), "invalid_options", `k ${k}`);
    if (p.rank(items, { k: 1 }).length !== 1) fail("k 1");
  },

  async rank_catalog_of_anything_but_a_live_catalog_is_coded() {
    const p = await withShopper();
    const before = p.export();
    throwsCoded(() => p.rankCatalog({}), "invalid_options", "rankCatalog({})");
    throwsCoded(() => p.rankCatalog(revoked()), "invalid_options", "rankCatalog(revoked)");
    const catalog = p.catalog(items);
    catalog.free();
    catalog.free(); // again: nothing
    throwsCoded(() => p.rankCatalog(catalog), "freed", "a freed catalog");
    throwsCoded(() => catalog.length, "freed", "a freed catalog's length");
    unchangedAndUsable(p, before, "after foreign catalogs");
  },

  async create_and_import_never_throw_synchronously() {
    const saved = (await withShopper()).export();
    const bad = [
      [() => Personalizer.create(revoked()), "invalid_options"],
      [() => Personalizer.create(new Proxy({}, { ownKeys: () => { throw new Error("keys"); } })), "invalid_options"],
      [() => Personalizer.create(throwing(["model"])), "invalid_options"],
      [() => Personalizer.create({ model: revoked() }), "bad_model"],
      [() => Personalizer.create({ model: detached() }), "bad_model"],
      [() => Personalizer.create({ model: 42 }), "bad_model"],
      [() => Personalizer.create({ profile: detached() }), "corrupt_profile"],
      [() => Personalizer.create({ profile: revoked() }), "corrupt_profile"],
      [() => Personalizer.create({ config: throwing(["recentEvents"]) }), "invalid_options"],
      [() => Personalizer.create({ config: revoked() }), "invalid_options"],
      [() => Personalizer.create({ config: { halfLifeDays: NaN } }), "invalid_options"],
      [() => Personalizer.create({ modle: 1 }), "invalid_options"],
      [() => Personalizer.create("options"), "invalid_options"],
      [() => Personalizer.import(revoked()), "corrupt_profile"],
      [() => Personalizer.import(detached()), "corrupt_profile"],
      [() => Personalizer.import(saved.slice(0, -1)), "corrupt_profile"],
      [() => Personalizer.import(saved, revoked()), "invalid_options"],
      [() => Personalizer.import(saved, { profile: saved }), "invalid_options"],
      [() => Personalizer.import(saved, { model: new Proxy(new Uint8Array(4), {}) }), "bad_model"],
      [() => Personalizer.open(revoked()), "invalid_options"],
      [() => Personalizer.open(throwing(["name"])), "invalid_options"],
    ];
    for (const [f, code] of bad) await rejectsCoded(f, code, String(f));
  },

  async every_method_after_free_throws_freed() {
    for (const dispose of ["free", Symbol.dispose]) {
      const p = await withShopper();
      const catalog = p.catalog(items);
      p[dispose]();
      const calls = {
        record: [{ type: "view", item: items[0] }],
        rank: [items],
        rankCatalog: [catalog],
        catalog: [items],
        explain: ["h1"],
        forget: ["h1"],
        clear: [],
        restore: [new Uint8Array(4)],
        pause: [],
        resume: [],
        profile: [],
        export: [],
        exportJson: [],
        onChange: [() => {}],
        observe: [{}],
        live: [{}],
      };
      for (const [method, args] of Object.entries(calls)) throwsCoded(() => p[method](...args), "freed", `${String(dispose)}: ${method}`);
      throwsCoded(() => p.paused, "freed", "paused");
      p.free(); // again: nothing
      p[Symbol.dispose]();
    }
  },

  // The module's memory never shrinks: a runaway page must not grow it for good.
  async over_limit_calls_are_refused_without_growing_memory() {
    const { initSync } = await import(pathToFileURL(join(dir, "tastebud.js")).href);
    const memory = initSync({ module: readFileSync(join(dir, "tastebud_bg.wasm")) }).memory;
    const p = await withShopper();
    const before = p.export();
    p.rank(items);
    const huge = "x".repeat(17 << 20);
    const many = Array.from({ length: 100_001 }, (_, i) => ({ id: `i${i}` }));
    const bytes = memory.buffer.byteLength;
    throwsCoded(() => p.rank([{ id: "a", title: huge }]), "invalid_item", "16 MiB of candidate text");
    throwsCoded(() => p.rank([{ id: "a", title: "é".repeat(9 << 20) }]), "invalid_item", "16 MiB of candidate UTF-8");
    throwsCoded(() => p.catalog([{ id: "a", title: huge }]), "invalid_item", "a 16 MiB catalog");
    throwsCoded(() => p.rank(many), "invalid_item", "100,001 candidates");
    throwsCoded(() => p.record({ type: "view", item: { id: "a", title: huge } }), "invalid_event", "a 16 MiB event");
    throwsCoded(() => p.explain(huge), "invalid_item", "a 16 MiB id");
    throwsCoded(() => p.restore(new Uint8Array(17 << 20)), "corrupt_profile", "17 MiB of profile");
    if (memory.buffer.byteLength !== bytes) fail(`memory grew from ${bytes} to ${memory.buffer.byteLength} bytes`);
    unchangedAndUsable(p, before, "after over-limit calls");
  },

  // The codes the JavaScript layer throws are those wasm-bindgen wrote from the Rust list.
  async every_error_code_is_in_the_generated_type() {
    if (!codes.has("freed") || !codes.has("invalid_item")) fail(`ErrorCode reads as ${[...codes]}`);
    let thrown = 0;
    for (const file of ["extend.js", "shared.js", "observe.js", "live.js", "store.js"]) {
      const source = readFileSync(join(dir, file), "utf8");
      for (const [, code] of source.matchAll(/\b(?:tastebudError\(|coded\([a-z]+, )"([a-z_]+)"/g)) {
        if (!codes.has(code)) fail(`${file} throws ${code}, which ErrorCode does not list`);
        thrown++;
      }
    }
    if (thrown < 20) fail(`only ${thrown} coded throws found in the JavaScript: is the pattern stale?`);
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    for (const code of codes) if (!readme.includes(`\`${code}\``)) fail(`README.md does not document ${code}`);
  },
};

let failed = 0;
try {
  for (const [name, test] of Object.entries(tests)) {
    try {
      await test();
      console.log(`ok   ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e?.stack ?? e}`);
    }
  }
} finally {
  remove();
}
if (failed) {
  console.error(`boundary test FAILED: ${failed} of ${Object.keys(tests).length}`);
  process.exit(1);
}
console.log(`boundary test passed: ${Object.keys(tests).length} tests`);
