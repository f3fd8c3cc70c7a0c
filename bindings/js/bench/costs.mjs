// What hostile or careless calls cost, through the built package in Node: ranking a whole
// catalog with diversity and no `k`, a 100k-item catalog with `k: 200, diversity: 0.5` (both
// quadratic before issue 14), and a 50 MB call that is refused — which must not grow the
// WebAssembly memory, since it never shrinks. Medians of 9 runs. A report: it exits 0. Run from
// the repository root after `make pkg catalog`: `node bindings/js/bench/costs.mjs`.
import { readFileSync } from "node:fs";
import { Personalizer } from "../../../pkg/node.js";
import { initSync } from "../../../pkg/tastebud.js";
import { makeProfile, median } from "./scenario.mjs";

const RUNS = 9;
const memory = () => initSync({ module: readFileSync(new URL("../../../pkg/tastebud_bg.wasm", import.meta.url)) }).memory;
const products = JSON.parse(readFileSync("www/data/catalog.json", "utf8")).items.map(({ id, title, price }) => ({ id, title, price }));

const shop = await Personalizer.import(await makeProfile(Personalizer));

/** Median milliseconds of `fn()` over `RUNS` runs, after one to warm up. */
function time(fn) {
  fn();
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    fn();
    runs.push(performance.now() - start);
  }
  return median(runs);
}

// The shop's whole catalog, ranked with diversity and no k: a new array each time, as a page
// that rebuilds its list would pass, so that it is read afresh.
const whole = time(() => shop.rank(products.map((p) => ({ ...p })), { diversity: 0.2 }));

// 100,000 items prepared once, ranked with a long, varied top.
const large = Array.from({ length: 100_000 }, (_, i) => {
  const p = products[i % products.length];
  return { id: `${p.id}-${i}`, title: p.title, price: p.price };
});
const catalog = shop.catalog(large);
const hundredK = time(() => shop.rankCatalog(catalog, { k: 200, diversity: 0.5 }));
const hundredKPlain = time(() => shop.rankCatalog(catalog, { k: 200 }));

// 50 MB of candidate text in one call: refused before anything is copied.
const title = "X".repeat(5_000);
const huge = Array.from({ length: 10_000 }, (_, i) => ({ id: `huge-${i}`, title }));
const before = memory().buffer.byteLength;
let refused = "accepted";
for (let i = 0; i < 2; i++) {
  try {
    shop.rank(huge, { k: 10 });
  } catch (e) {
    refused = e.code ?? String(e);
  }
}
const grown = memory().buffer.byteLength - before;

const pad = (s, n) => String(s).padEnd(n);
console.log(`\n${pad(`what careless calls cost, Node (median of ${RUNS})`, 72)}result`);
console.log(`${pad(`rank ${products.length.toLocaleString("en-US")} products, diversity 0.2, no k, ms`, 72)}${whole.toFixed(2)}`);
console.log(`${pad("rankCatalog 100,000 items, k 200, diversity 0.5, ms", 72)}${hundredK.toFixed(2)}`);
console.log(`${pad("  the same without diversity, ms", 72)}${hundredKPlain.toFixed(2)}`);
console.log(`${pad("rank of 50 MB of candidate text, twice: refused with", 72)}${refused}`);
console.log(`${pad("  WebAssembly memory grown by it, bytes (target 0)", 72)}${grown.toLocaleString("en-US")}`);
