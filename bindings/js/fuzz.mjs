// A seeded fuzzer of the package's API, against the packed package in Node: random sequences of
// calls (record, forget, clear, restore, rank, rankCatalog, catalog, explain, profile, export,
// exportJson, token, pause, resume, free) with valid and hostile arguments (Proxies, revoked Proxies,
// throwing getters, detached buffers, NaN, Infinity, huge numbers, wrong types, over-limit
// sizes, random bytes, truncated exports). It checks the boundary's invariants:
//   - every thrown error is a `TastebudError` whose code the generated `ErrorCode` lists;
//   - after any error the instance answers a plain call (nothing is poisoned);
//   - a rejected call leaves the export byte for byte as it was;
//   - after an accepted call, the export restores to the same bytes (and, at the end of each
//     sequence, `Personalizer.import(export())` does);
//   - each token made is short base64url, and `tastebud/edge`'s `rerank` of any list with it,
//     damaged or not, never throws and returns the list or a re-ordering of its items.
// A failing sequence is printed with its seed and a shrunk reproduction.
//
//   node bindings/js/fuzz.mjs [--seed N] [--sequences N] [--steps N] [--only SEQUENCE]
//
// Run by `make test` after `make pkg` with the defaults (about half a minute).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { installPacked } from "./packed.mjs";

const { values: args } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    sequences: { type: "string", default: "3000" },
    steps: { type: "string", default: "24" },
    only: { type: "string" },
  },
});
const SEED = Number(args.seed);
const STEPS = Number(args.steps);

const { tastebud, dir, remove } = await installPacked();
const { Personalizer } = tastebud;
const edge = await import(pathToFileURL(join(dir, "edge-node.js")).href);
const CODES = (() => {
  const dts = readFileSync(join(dir, "tastebud.d.ts"), "utf8");
  const start = dts.indexOf("export type ErrorCode =");
  return new Set([...dts.slice(start, dts.indexOf("\n\n", start)).matchAll(/\| "([a-z_]+)"/g)].map((m) => m[1]));
})();

/** mulberry32: a small seeded generator, the same sequence for the same seed everywhere. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)], chance: (p) => next() < p };
}

// ---- Values ----------------------------------------------------------------------------------

const WORDS = ["heart", "holder", "bag", "mug", "red", "retrospot", "glass", "star", "lunch", "tin", "é", "🎒", "«", "\0", " "];
const CATEGORIES = ["home/candle holders", "bags", "kitchen/mugs", "kitchen/tins", "home > decor", "", "/"];

/** Values a page might pass where a number goes. */
const NUMBERS = [0, -0, 1, 2.5, -1, 3, 20, NaN, Infinity, -Infinity, 1e300, -1e300, 2 ** 53, 2 ** 32, 0.5, Number.MIN_VALUE, 1.7e12, 8.64e15 + 1];

/** A hostile value of any type: what the generator substitutes anywhere. */
function hostile(r, depth = 0) {
  switch (r.int(16)) {
    case 0: {
      const { proxy, revoke } = Proxy.revocable(r.chance(0.5) ? [] : {}, {});
      revoke();
      return proxy;
    }
    case 1:
      return new Proxy(depth < 2 ? valid(r, depth + 1) : {}, {});
    case 2:
      return new Proxy({}, { get: () => { throw new Error("get trap"); }, ownKeys: () => { throw new Error("ownKeys trap"); } });
    case 3:
      return Object.defineProperty({ id: "x" }, r.pick(["id", "title", "type", "item", "k", "price", "tags", "toJSON"]), {
        enumerable: true,
        get: () => { throw new Error("getter"); },
      });
    case 4: {
      const buffer = new ArrayBuffer(r.int(64));
      const view = new Uint8Array(buffer);
      structuredClone(buffer, { transfer: [buffer] });
      return r.chance(0.5) ? buffer : view;
    }
    case 5:
      return r.pick(NUMBERS);
    case 6:
      return r.pick([undefined, null, true, false, "", " ", "view", Symbol("s"), 10n, () => {}, [], {}]);
    case 7: {
      const cyclic = { id: "c" };
      cyclic.tags = [cyclic];
      return r.chance(0.5) ? cyclic : [cyclic];
    }
    case 8:
      return `${"x".repeat(r.chance(0.5) ? 200 : 20_000)}`;
    case 9: {
      let deep = 1;
      for (let i = 0; i < 3000; i++) deep = { a: deep };
      return deep;
    }
    case 10:
      return Uint8Array.from({ length: r.int(200) }, () => r.int(256));
    case 11:
      return new (class Bytes extends Uint8Array {})(r.int(50));
    case 12:
      return { toJSON: () => { throw new Error("toJSON"); } };
    case 13:
      return new Date(r.pick(NUMBERS));
    case 14:
      return new Map([["id", "x"]]);
    default:
      return Object.create(null);
  }
}

/** A valid-looking item, sometimes with one hostile field. */
function item(r, depth = 0) {
  const it = { id: `i${r.int(40)}` };
  if (r.chance(0.7)) it.title = Array.from({ length: 1 + r.int(4) }, () => r.pick(WORDS)).join(" ");
  if (r.chance(0.5)) it.category = r.pick(CATEGORIES);
  if (r.chance(0.3)) it.brand = r.pick(["Acme", "Hearth", "", "é"]);
  if (r.chance(0.5)) it.price = r.chance(0.8) ? Math.round(r.next() * 5000) / 100 : r.pick(NUMBERS);
  if (r.chance(0.3)) it.tags = Array.from({ length: r.int(5) }, () => r.pick(WORDS));
  if (r.chance(0.2)) it.url = `/p/${it.id}`;
  if (depth < 2 && r.chance(0.08)) it[r.pick(["id", "title", "price", "tags", "category"])] = hostile(r, depth + 1);
  return it;
}

const TYPES = ["impression", "view", "click", "add_to_cart", "purchase", "dwell"];
function event(r, depth = 0) {
  if (r.chance(0.15)) return { type: "search", query: r.pick(WORDS), ...(r.chance(0.2) ? { ts: r.pick(NUMBERS) } : {}) };
  const type = r.chance(0.95) ? r.pick(TYPES) : r.pick(["teleport", "search", "", "VIEW"]);
  const e = { type, item: item(r, depth) };
  if (type === "dwell" || r.chance(0.05)) e.ms = r.chance(0.8) ? 1 + r.int(60_000) : r.pick(NUMBERS);
  if (r.chance(0.2)) e.ts = r.chance(0.7) ? 1.7e12 + r.int(1e9) : r.pick(NUMBERS);
  if (depth < 2 && r.chance(0.05)) e[r.pick(["type", "item", "ts", "ms", "when"])] = hostile(r, depth + 1);
  return e;
}

function rankOptions(r, depth = 0) {
  if (r.chance(0.4)) return undefined;
  const o = {};
  if (r.chance(0.5)) o.k = r.chance(0.8) ? 1 + r.int(10) : r.pick(NUMBERS);
  if (r.chance(0.3)) o.diversity = r.chance(0.8) ? r.next() : r.pick(NUMBERS);
  if (r.chance(0.2)) o.keepOrderWeight = r.chance(0.8) ? r.next() : r.pick(NUMBERS);
  if (r.chance(0.2)) o.query = r.pick(WORDS);
  if (r.chance(0.2)) o.exclude = [`i${r.int(40)}`];
  if (r.chance(0.1)) o.excludePurchased = r.chance(0.5);
  if (depth < 2 && r.chance(0.08)) o[r.pick(["k", "diversity", "query", "exclude", "limit"])] = hostile(r, depth + 1);
  return o;
}

/** One more candidate than a call may take (made once: it takes a while). */
let tooMany;
function candidates(r, depth = 0) {
  if (r.chance(0.01)) return (tooMany ??= Array.from({ length: 100_001 }, (_, i) => ({ id: `i${i}` })));
  if (r.chance(0.005)) return [{ id: "big", title: "x".repeat(17 << 20) }];
  return Array.from({ length: r.int(30) }, () => item(r, depth));
}

/** Something valid for any argument position, for Proxies to wrap. */
function valid(r, depth) {
  return r.pick([() => item(r, depth), () => event(r, depth), () => candidates(r, depth), () => rankOptions(r, depth) ?? {}])();
}

/** The arguments of one call of `method`, on the instance `p` (its current export and catalogs). */
function argsOf(method, r, world) {
  const bad = r.chance(0.25);
  switch (method) {
    case "record":
      return [bad ? hostile(r) : event(r)];
    case "forget":
    case "explain":
      return [bad ? hostile(r) : `i${r.int(45)}`];
    case "restore": {
      if (bad) return [hostile(r)];
      const saved = world.saved[r.int(world.saved.length)];
      switch (r.int(6)) {
        case 0:
          return [saved.slice(0, r.int(saved.length))];
        case 1: {
          const flipped = saved.slice();
          if (flipped.length) flipped[r.int(flipped.length)] ^= 1 << r.int(8);
          return [flipped];
        }
        case 2:
          return [new Proxy(saved.slice(), {})];
        case 3:
          return [saved.buffer.slice(saved.byteOffset, saved.byteOffset + saved.length)];
        default:
          return [saved.slice()];
      }
    }
    case "rank":
      return [bad ? hostile(r) : r.chance(0.3) && world.lists.length ? r.pick(world.lists) : candidates(r), rankOptions(r)];
    case "catalog":
      return [bad ? hostile(r) : candidates(r)];
    case "rankCatalog":
      return [bad || !world.catalogs.length ? hostile(r) : r.pick(world.catalogs), rankOptions(r)];
    case "token":
      return [bad ? hostile(r) : { epsilon: r.pick([Infinity, 8, 1, 0.25, 63.75, 0, -1, NaN, 64, "8"]) }];
    default:
      return bad ? [hostile(r)] : [];
  }
}

const METHODS = [
  ["record", 20], ["rank", 14], ["catalog", 4], ["rankCatalog", 6], ["restore", 6], ["forget", 4], ["explain", 4],
  ["clear", 1], ["profile", 3], ["export", 2], ["exportJson", 2], ["token", 3], ["pause", 2], ["resume", 2], ["free", 0.4],
];
const TOTAL = METHODS.reduce((s, [, w]) => s + w, 0);
function method(r) {
  let x = r.next() * TOTAL;
  for (const [m, w] of METHODS) if ((x -= w) < 0) return m;
  return "record";
}

// ---- Running a sequence ---------------------------------------------------------------------

const same = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
const isCoded = (e) => {
  try {
    return e instanceof Error && e.name === "TastebudError" && CODES.has(e.code);
  } catch {
    return false;
  }
};
const describe = (e) => {
  try {
    return `${e?.name}: ${e?.code ?? "(no code)"}: ${String(e?.message).slice(0, 160)}`;
  } catch {
    return "an unreadable exception";
  }
};

/** What is wrong with `token` or with `rerank` of a list by it (or by a damaged copy), if anything. */
function reranked(token, r) {
  if (typeof token !== "string" || !/^[A-Za-z0-9_-]{1,256}$/.test(token)) return `a token that is not short base64url: ${token}`;
  const chars = [...token];
  if (r.chance(0.5)) chars[r.int(chars.length)] = r.pick(["A", "_", "-", "=", "é", ""]);
  const text = r.chance(0.1) ? hostile(r) : chars.join("");
  const plain = r.chance(0.8);
  const list = plain ? candidates(r) : hostile(r);
  let answer;
  try {
    answer = edge.rerank(list, text, r.chance(0.2) ? hostile(r) : rankOptions(r));
  } catch (e) {
    return `rerank threw ${describe(e)}`;
  }
  const { results, personalized, reason } = answer;
  if (!Array.isArray(results) || typeof personalized !== "boolean") return "rerank answered no results";
  const kept = !plain || (results.length === list.length && results.every((item, i) => item === list[i]));
  if (!personalized && (typeof reason !== "string" || !kept)) return `rerank did not keep the order: ${reason}`;
  if (personalized && plain && results.some((item) => !list.includes(item))) return "rerank returned items it was not given";
  return undefined;
}

/** The steps of sequence `n`: each a method and the seed of its arguments. */
function stepsOf(n) {
  const r = rng(SEED * 1_000_003 + n);
  return Array.from({ length: STEPS }, () => ({ method: method(r), seed: r.int(2 ** 31) }));
}

const empty = (await Personalizer.create()).export();
/** Where exports are restored, to check that they read back. */
const shadow = await Personalizer.import(empty);
/** Every how many sequences the end state also goes through `Personalizer.import`. */
const IMPORT_EVERY = 8;

/** Runs `steps` on a fresh personalizer; the first broken invariant, or undefined. Counts into
 * `stats` when given. */
async function run(steps, stats, n = 0) {
  const p = await Personalizer.import(empty);
  const world = { saved: [empty], lists: [], catalogs: [] };
  let freed = false;
  try {
    for (let i = 0; i < steps.length; i++) {
      const { method, seed } = steps[i];
      const args = argsOf(method, rng(seed), world);
      const before = freed ? undefined : p.export();
      let result;
      let error;
      try {
        result = p[method](...args);
      } catch (e) {
        error = e;
      }
      if (stats) {
        stats.calls++;
        if (error === undefined) stats.accepted++;
        else stats.errors[isCoded(error) ? error.code : "UNCODED"] = (stats.errors[isCoded(error) ? error.code : "UNCODED"] ?? 0) + 1;
      }
      if (error !== undefined) {
        if (!isCoded(error)) return { at: i, what: `uncoded error: ${describe(error)}` };
        if (freed) {
          if (error.code !== "freed") return { at: i, what: `after free, ${describe(error)}` };
          continue;
        }
        if (error.code === "freed") return { at: i, what: "freed before free" };
        let after;
        try {
          after = p.export();
          p.profile();
        } catch (e) {
          return { at: i, what: `poisoned: a plain call after the error throws ${describe(e)}` };
        }
        if (!same(after, before)) return { at: i, what: `a rejected call changed the profile (${describe(error)})` };
        continue;
      }
      // `free` again does nothing; everything else throws `freed`.
      if (freed && method !== "free") return { at: i, what: `${method} after free did not throw` };
      if (method === "free") {
        freed = true;
        continue;
      }
      if (method === "token") {
        const broken = reranked(result, rng(seed + 1));
        if (broken) return { at: i, what: broken };
      }
      if (method === "catalog") world.catalogs.push(result);
      if (method === "rank" && Array.isArray(args[0]) && !world.lists.includes(args[0])) world.lists.push(args[0]);
      if (["record", "forget", "clear", "restore"].includes(method)) {
        const bytes = p.export();
        shadow.restore(bytes);
        if (!same(shadow.export(), bytes)) return { at: i, what: `the export after ${method} does not restore to the same bytes` };
        world.saved.push(bytes);
      }
    }
    if (!freed && n % IMPORT_EVERY === 0) {
      const bytes = p.export();
      const back = await Personalizer.import(bytes);
      const ok = same(back.export(), bytes);
      back.free();
      if (!ok) return { at: steps.length, what: "import(export()) is not the same bytes" };
    }
    return undefined;
  } finally {
    p.free();
    for (const c of world.catalogs) c.free();
  }
}

/** `steps` with every step the failure does not need removed (greedy, from the first). */
async function shrink(steps, failure) {
  let kept = steps.slice(0, failure.at + 1);
  for (let i = 0; i < kept.length; ) {
    const without = kept.filter((_, j) => j !== i);
    const f = await run(without);
    if (f) {
      kept = without.slice(0, f.at + 1);
      failure = f;
    } else i++;
  }
  return { kept, failure };
}

const stats = { calls: 0, accepted: 0, errors: {}, failures: 0 };
const started = performance.now();
const sequences = args.only === undefined ? [...Array(Number(args.sequences)).keys()] : [Number(args.only)];
try {
  for (const n of sequences) {
    const steps = stepsOf(n);
    const failure = await run(steps, stats, n);
    if ((n + 1) % 5000 === 0) process.stderr.write(`  ${n + 1} sequences: ${summary()}\n`);
    if (!failure) continue;
    stats.failures++;
    const { kept, failure: shrunk } = await shrink(steps, failure);
    console.log(`FAIL seed ${SEED} sequence ${n}: step ${failure.at} (${steps[failure.at].method}): ${failure.what}`);
    console.log(`  reproduce: node bindings/js/fuzz.mjs --seed ${SEED} --steps ${STEPS} --only ${n}`);
    console.log(`  shrunk to ${kept.length} steps, failing with: ${shrunk.what}`);
    for (const { method, seed } of kept) {
      const shown = argsOf(method, rng(seed), { saved: [new Uint8Array(0)], lists: [], catalogs: [] }).map(show);
      console.log(`    p.${method}(${shown.join(", ")})  // argument seed ${seed}`);
    }
    if (stats.failures >= 5) break;
  }
} finally {
  shadow.free();
  remove();
}

/** An argument, briefly, for a reproduction. */
function show(value) {
  try {
    if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…(${value.length})` : value);
    if (typeof value === "bigint" || typeof value === "symbol" || typeof value === "function") return String(value);
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength ?? "?"})`;
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 120)}…` : text;
  } catch {
    return "<a value that throws when read>";
  }
}

/** The figures so far. */
function summary() {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const errors = Object.entries(stats.errors).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(", ");
  return `${stats.calls} calls in ${seconds} s: ${stats.accepted} accepted; errors: ${errors || "none"}; ${stats.failures} failing sequences`;
}

console.log(`fuzz: seed ${SEED}, ${sequences.length} sequences of ${STEPS} steps, ${summary()}`);
if (stats.failures || stats.errors.UNCODED) process.exit(1);
