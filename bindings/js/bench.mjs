// The npm package's benchmark, in Node and in headless Chromium: sizes, cold start, record and
// rank, each the median of 9 runs next to its bar. A report, not a test: it exits 0 and marks
// a missed bar MISSED. Run from the repo root after `scripts/pkg.sh` and
// `npm ci` in bindings/js: `node bindings/js/bench.mjs`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Personalizer } from "../../pkg/node.js";
import { isolate, launch, serve } from "./browser.mjs";
import { makeProfile, median, steady } from "./bench/scenario.mjs";

const RUNS = 9;
const root = fileURLToPath(new URL("../../", import.meta.url));
const coldstartScript = fileURLToPath(new URL("./bench/coldstart-node.mjs", import.meta.url));
const progress = (text) => process.stderr.write(`${text}\n`);
const medians = (runs) => Object.fromEntries(Object.entries(runs).map(([k, xs]) => [k, median(xs)]));

/** `RUNS` cold starts by `once()`, each in a fresh process or page; the median of each part. */
async function coldStarts(once) {
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    progress(`  cold start ${run + 1}/${RUNS}`);
    runs.push(await once());
  }
  return medians(Object.fromEntries(Object.keys(runs[0]).map((k) => [k, runs.map((r) => r[k])])));
}

// Sizes; the bars are decimal: 1 MB = 1,000,000 bytes.
const gzipped = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const wasmPath = join(root, "pkg/tastebud_bg.wasm");
const nomodel = "target/pkg/tastebud_nomodel.wasm";
const sizes = [
  [".wasm (pkg/tastebud_bg.wasm), bytes", readFileSync(wasmPath).length],
  [".wasm, gzip -9 bytes", gzipped(wasmPath)],
  ["default model (model/model.safetensors), bytes", readFileSync(join(root, "model/model.safetensors")).length, 1_000_000, "1 MB"],
  [".wasm code without model weights, gzip -9 bytes", existsSync(join(root, nomodel)) ? gzipped(join(root, nomodel)) : null, 250_000, "250 KB"],
];

// The saved profile every cold start restores and every rank starts from.
const profile = await makeProfile(Personalizer);
const results = {};

// Node: each cold start in a fresh process, as the glue instantiates once per process.
progress("node");
const tmp = mkdtempSync(join(tmpdir(), "tastebud-bench-"));
try {
  const profilePath = join(tmp, "profile.bin");
  writeFileSync(profilePath, profile);
  results.node = await coldStarts(async () =>
    JSON.parse(execFileSync(process.execPath, [coldstartScript, profilePath], { encoding: "utf8" })),
  );
} finally {
  rmSync(tmp, { recursive: true });
}
Object.assign(results.node, medians(await steady({ Personalizer, profile, runs: RUNS })));

// Chromium: each cold start in a fresh context, hence a fresh renderer process, so nothing
// compiled is shared between runs. The fresh renderer goes on starting up for a while after
// the page has loaded, and on two cores that work lands in whatever runs then: the package's
// figure is taken once the page has settled (SETTLE_MS), and the figure right after load is
// shown beside it.
const SETTLE_MS = 500;
const chromiumColdStart = (settleMs) =>
  inPage(
    async ([profile, settleMs]) => {
      const { init, Personalizer, scenario } = window.bench;
      const wasmBytes = new Uint8Array(await (await fetch("/pkg/tastebud_bg.wasm")).arrayBuffer());
      await new Promise((settled) => setTimeout(settled, settleMs));
      return scenario.coldStart({
        compile: (bytes) => WebAssembly.compile(bytes),
        instantiate: init,
        Personalizer,
        wasmBytes,
        profile: new Uint8Array(profile),
      });
    },
    [Array.from(profile), settleMs],
  );
progress("chromium");
const server = await serve(root);
const browser = await launch();
try {
  results.chromium = await coldStarts(() => chromiumColdStart(SETTLE_MS));
  results.chromium.totalAtLoad = (await coldStarts(() => chromiumColdStart(0))).total;
  const runs = await inPage(
    ([profile, runs]) => window.bench.scenario.steady({ Personalizer: window.bench.Personalizer, profile: new Uint8Array(profile), runs }),
    [Array.from(profile), RUNS],
  );
  Object.assign(results.chromium, medians(runs));
} finally {
  await browser.close();
  await server.close();
}
report();

/** Runs `fn(arg)` in page.html in a fresh, cross-origin isolated browser context. */
async function inPage(fn, arg) {
  const context = await browser.newContext();
  await isolate(context);
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}bindings/js/bench/page.html`);
    await page.waitForFunction(() => window.bench && crossOriginIsolated);
    return await page.evaluate(fn, arg);
  } finally {
    await context.close();
  }
}

function report() {
  const pad = (s, n) => String(s).padEnd(n);
  const ms = (x) => (x === undefined ? "–" : x.toFixed(x < 1 ? 3 : 2));
  const width = 64;

  console.log(`\n${pad("tastebud package sizes", width)}${pad("bytes", 20)}bar`);
  for (const [label, value, bar, barText] of sizes) {
    const shown = value === null ? "not built" : value.toLocaleString("en-US");
    const verdict =
      bar === undefined ? "" : `≤ ${pad(barText, 8)}${value === null ? `(${nomodel} not built)` : value <= bar ? "ok" : "MISSED"}`;
    console.log(`${pad(label, width)}${pad(shown, 20)}${verdict}`);
  }

  const rows = [
    ["cold start (instantiate + model + profile), ms", "total", 20],
    ["  the same, started as soon as the page has loaded, ms", "totalAtLoad"],
    ["  compile the .wasm from bytes in memory, ms", "compile"],
    ["  instantiate, ms", "instantiate"],
    ["  load the model + restore the profile, ms", "restore"],
    ["    the same restore once warm (not part of cold start), ms", "warmRestore"],
    ["first rank after the cold start, 1,000 new candidates, ms", "firstRank", 5],
    ["  the next four ranks of new candidates (median), ms", "nextRanks"],
    ["record, ms per call (mixed events)", "record", 0.1],
    ["rank 1,000 new candidates, k 20, ms", "rankFresh", 1],
    ["  the same, first rank after a record, ms", "rankAfterRecord", 1.2],
    ["rank 1,000 cached candidates, same array, ms", "rankSame", 0.5],
    ["rank 1,000 cached candidates, rankCatalog, ms", "rankCatalog", 0.5],
  ];
  console.log(`\n${pad(`tastebud package benchmark (median of ${RUNS} runs)`, width)}${pad("node", 10)}${pad("chromium", 10)}bar`);
  for (const [label, key, bar] of rows) {
    const missed = ["node", "chromium"].filter((env) => bar !== undefined && results[env][key] > bar);
    const verdict = bar === undefined ? "" : `≤ ${pad(bar, 6)}${missed.length ? `MISSED (${missed.join(", ")})` : "ok"}`;
    console.log(`${pad(label, width)}${pad(ms(results.node[key]), 10)}${pad(ms(results.chromium[key]), 10)}${verdict}`);
  }
}
