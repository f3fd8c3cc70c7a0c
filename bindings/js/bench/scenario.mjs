// What the benchmark measures, shared by Node and the page so both run the same code. Every
// function returns plain numbers (milliseconds) for the driver to take medians of.
import { random } from "../random.mjs";

// Words of real Online Retail product names: modifiers, and the last word with its category.
const MODIFIERS = (
  "PINK VINTAGE HEART BLUE RED GLASS CHRISTMAS WHITE METAL HANGING ROSE BLACK PAPER GREEN " +
  "SMALL FLOWER SILVER RETROSPOT LARGE MINI GARDEN LOVE TEA POLKADOT IVORY WOODEN CERAMIC " +
  "EASTER CRYSTAL PARTY ZINC BIRD ANTIQUE FRENCH DIAMANTE ENAMEL FELT CREAM SWEETHEART FAIRY " +
  "PURPLE BUTTERFLY PAINTED UNION RETRO JUMBO PAISLEY GOLD BIRTHDAY SPACEBOY GINGHAM PANTRY " +
  "BAROQUE STRAWBERRY DOLLY T-LIGHT REGENCY SCANDINAVIAN"
).split(" ");
const KINDS = {
  HOLDER: "home/candle holders", CANDLE: "home/candles", LANTERN: "home/candle holders",
  CLOCK: "home/clocks", FRAME: "home/frames", MIRROR: "home/mirrors", SIGN: "home/signs",
  CUSHION: "home/cushions", GARLAND: "home/decorations", DECORATION: "christmas/decorations",
  BAG: "bags", PURSE: "accessories/purses", BOX: "storage/boxes", CABINET: "storage/cabinets",
  MUG: "kitchen/mugs", BOWL: "kitchen/bowls", PLATE: "kitchen/plates", TINS: "kitchen/tins",
  JAR: "kitchen/jars", TRAY: "kitchen/trays", CUP: "kitchen/cups", NAPKINS: "kitchen/napkins",
  NECKLACE: "jewellery/necklaces", BRACELET: "jewellery/bracelets", EARRINGS: "jewellery/earrings",
  NOTEBOOK: "stationery/notebooks", CARD: "stationery/cards", WRAP: "stationery/wrap",
  STICKERS: "stationery/stickers", DOORMAT: "garden/doormats",
};
const NOUNS = Object.keys(KINDS);

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

// Ids never repeat within a process (or page), so "never seen" candidates really are.
let serial = 0;

/** A product: 2–5 modifiers and a noun (3–6 words), its category and a price. */
function item(rand) {
  const noun = pick(rand, NOUNS);
  const words = Array.from({ length: 2 + Math.floor(rand() * 4) }, () => pick(rand, MODIFIERS));
  const price = Math.round((0.4 + rand() * rand() * 15) * 100) / 100;
  return { id: `sku-${serial++}`, title: `${words.join(" ")} ${noun}`, category: KINDS[noun], price };
}
const items = (rand, n) => Array.from({ length: n }, () => item(rand));

/** A mixed event as a shop page sends them: mostly impressions and views of a few items,
 * some clicks, dwells and searches, few carts and purchases. */
function event(rand, pool) {
  const it = pick(rand, pool);
  const r = rand();
  if (r < 0.3) return { type: "impression", item: it };
  if (r < 0.55) return { type: "view", item: it };
  if (r < 0.7) return { type: "click", item: it };
  if (r < 0.8) return { type: "dwell", item: it, ms: Math.round(2000 + rand() * 60_000) };
  if (r < 0.9) return { type: "search", query: `${pick(rand, MODIFIERS)} ${pick(rand, NOUNS)}`.toLowerCase() };
  return { type: r < 0.97 ? "add_to_cart" : "purchase", item: it };
}
const events = (rand, n) => {
  const pool = items(rand, Math.ceil(n / 4));
  return Array.from({ length: n }, () => event(rand, pool));
};

const PROFILE_EVENTS = 50;
const RECORDS = 1000; // record calls per run
const CANDIDATES = 1000;
const K = 20;
// Fresh batches per run. With one warm-up batch and the after-record ones, a run encodes
// 17,000 items: under the ranker's 20,000-vector cache, so it is never cleared mid-run.
const FRESH = 8;
const CACHED = 50; // ranks of the same 1,000 items per run
const FIRST_RANKS = 5; // ranks timed right after a cold start

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A saved profile of realistic size: the bytes of `export()` after 50 mixed events. */
export async function makeProfile(Personalizer) {
  const p = await Personalizer.create();
  for (const e of events(random(1), PROFILE_EVENTS)) p.record(e);
  const bytes = p.export();
  p.free();
  return bytes;
}

/** One cold start, in a process or page where the wasm was never instantiated: compile the
 * bytes, instantiate them the way the environment's entry of the package does (`compile` and
 * `instantiate` are given), restore `profile` with the embedded default model, and rank new
 * candidates a few times. */
export async function coldStart({ compile, instantiate, Personalizer, wasmBytes, profile }) {
  const t0 = performance.now();
  const module = await compile(wasmBytes);
  const t1 = performance.now();
  await instantiate(module);
  const t2 = performance.now();
  const restored = await Personalizer.import(profile);
  const t3 = performance.now();
  // The first ranks a page asks for, each of 1,000 items it never saw: the first also pays for
  // compiling the ranking code and growing memory.
  const rand = random(3);
  const ranks = [];
  for (let i = 0; i < FIRST_RANKS; i++) {
    const batch = items(rand, CANDIDATES);
    const t = performance.now();
    restored.rank(batch, { k: K });
    ranks.push(performance.now() - t);
  }
  restored.free();
  // The same restore once warm, for comparison: the first one also pays one-time costs (V8
  // compiles wasm functions on their first call; fresh memory is grown). Median of 7, after 2 untimed.
  const warm = [];
  for (let i = -2; i < 7; i++) {
    const t = performance.now();
    (await Personalizer.import(profile)).free();
    if (i >= 0) warm.push(performance.now() - t);
  }
  return {
    compile: t1 - t0,
    instantiate: t2 - t1,
    restore: t3 - t2,
    total: t3 - t0,
    warmRestore: median(warm),
    firstRank: ranks[0],
    nextRanks: median(ranks.slice(1)),
  };
}

/** Mean milliseconds of one call of `f(x)` over `xs`. */
function mean(xs, f) {
  const t0 = performance.now();
  for (const x of xs) f(x);
  return (performance.now() - t0) / xs.length;
}

/** `runs` measured runs (after one untimed warm-up run) of record and rank; per figure, the
 * mean milliseconds per call of each run. */
export async function steady({ Personalizer, profile, runs }) {
  const rand = random(2);
  const out = { record: [], rankFresh: [], rankAfterRecord: [], rankSame: [], rankCatalog: [] };
  const recorder = await Personalizer.create();
  for (let run = -1; run < runs; run++) {
    const evs = events(rand, RECORDS);
    const record = mean(evs, (e) => recorder.record(e));

    // A profile of 50 events, restored afresh each run so the after-record ranks below don't
    // make it grow from run to run.
    const p = await Personalizer.import(profile);
    const batches = Array.from({ length: 1 + 2 * FRESH }, () => items(rand, CANDIDATES));
    const [warm, fresh, afterRecord] = [batches[0], batches.slice(1, 1 + FRESH), batches.slice(1 + FRESH)];
    p.rank(warm, { k: K }); // runs the user encoder, so the timed ranks find the profile unchanged
    const rankFresh = mean(fresh, (b) => p.rank(b, { k: K }));

    const same = fresh[FRESH - 1]; // ranked just above: every vector cached
    const rankSame = mean(Array(CACHED).fill(same), (b) => p.rank(b, { k: K }));
    const catalog = p.catalog(same);
    const rankCatalog = mean(Array(CACHED).fill(catalog), (c) => p.rankCatalog(c, { k: K }));

    // Each rank right after a record: timed one by one, as the record must stay out.
    let sum = 0;
    for (const b of afterRecord) {
      p.record({ type: "view", item: pick(rand, same) });
      const t0 = performance.now();
      p.rank(b, { k: K });
      sum += performance.now() - t0;
    }
    catalog.free();
    p.free();

    if (run < 0) continue; // warm-up
    out.record.push(record);
    out.rankFresh.push(rankFresh);
    out.rankAfterRecord.push(sum / afterRecord.length);
    out.rankSame.push(rankSame);
    out.rankCatalog.push(rankCatalog);
  }
  recorder.free();
  return out;
}

/** Whole-catalog ranking of `tastebud/gpu`, k = 100, for the 50-event shopper of `profile`:
 * on the CPU (`rankCatalog`) and on the GPU (`rankCatalogAsync`), in steps, so that the driver
 * can read the processes' memory between them. */
export function catalogRanking(Personalizer, profile) {
  const options = { k: 100 };
  let p, list, catalog;
  const since = (t0) => performance.now() - t0;
  return {
    /** `n` new products, and the shopper. */
    async items(n) {
      p = await Personalizer.import(profile);
      list = items(random(4), n);
    },
    /** Milliseconds of `catalog()` over them, or why it refused them (more than one call
     * takes). */
    prepare() {
      const t0 = performance.now();
      try {
        catalog = p.catalog(list);
      } catch (e) {
        return { refused: `${e.code}: ${e.message}` };
      }
      return { ms: since(t0) };
    },
    /** The catalog's first ranking on the GPU (its vectors uploaded, its moments worked out),
     * and where it ran. */
    async firstGpu() {
      const t0 = performance.now();
      await p.rankCatalogAsync(catalog, options);
      return { ms: since(t0), backend: p.backend() };
    },
    /** `rounds` of one ranking on the CPU then one on the GPU, their times; `differ` counts the
     * rounds whose ids differ (there should be none). Frees the catalog and the shopper. */
    async rounds(rounds) {
      const out = { cpu: [], gpu: [], differ: 0, backend: undefined };
      for (let round = 0; round < rounds; round++) {
        let t0 = performance.now();
        const cpu = p.rankCatalog(catalog, options);
        out.cpu.push(since(t0));
        t0 = performance.now();
        const gpu = await p.rankCatalogAsync(catalog, options);
        out.gpu.push(since(t0));
        if (cpu.map((r) => r.id).join() !== gpu.map((r) => r.id).join()) out.differ++;
      }
      out.backend = p.backend();
      catalog.free();
      p.free();
      return out;
    },
  };
}
