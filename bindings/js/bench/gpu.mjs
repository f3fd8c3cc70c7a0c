// `make bench`'s whole-catalog ranking: `rankCatalog` over 10k, 100k and 1M items, k = 100, on
// every backend this machine has, side by side in one run: natively on the CPU and on the GPU
// wgpu finds (lavapipe here; gpu/benches/rank.rs, read as JSON), and in headless Chromium through
// the packed `tastebud/gpu` on the CPU (`rankCatalog`, WebAssembly) and on SwiftShader's WebGPU
// (`rankCatalogAsync`). Times are medians (and ranges) over rounds that alternate the two
// backends of an environment; memory is what the catalog adds to the resident set of the process
// holding it (natively the one process; in Chromium the renderer, and the GPU process for the
// GPU's copy). A report, not a test: it exits 0. Run from the repo root after `scripts/pkg.sh`:
// `node bindings/js/bench/gpu.mjs [sizes…]`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { HEADLESS, isolate, serve, WEBGPU } from "../browser.mjs";
import { makeProfile, median } from "./scenario.mjs";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
if (!sizes.length) sizes.push(10_000, 100_000, 1_000_000);
const rounds = (n) => (n >= 1_000_000 ? 5 : 15);
const progress = (text) => process.stderr.write(`${text}\n`);

// Natively: the Rust benchmark, CPU and the GPU wgpu finds alternating.
progress("native (cargo bench -p tastebud-gpu --bench rank)");
const native = new Map();
let nativeAdapter;
try {
  const out = execFileSync(process.env.CARGO ?? "cargo", ["bench", "-q", "-p", "tastebud-gpu", "--bench", "rank", "--", "--json", ...sizes.map(String)], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  for (const row of out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))) {
    native.set(row.n, row);
    nativeAdapter = row.adapter;
  }
} catch (e) {
  progress(`  not run: ${e.message}`);
}

// In Chromium: the packed package, as a shop installs it, served beside the scenario.
const work = mkdtempSync(join(tmpdir(), "tastebud-gpu-bench-"));
const chromiumRows = new Map();
const refusals = [];
let swiftshader;
try {
  const [packed] = JSON.parse(execFileSync("npm", ["pack", join(root, "pkg"), "--pack-destination", work, "--json"], { encoding: "utf8" }));
  execFileSync("tar", ["-xzf", join(work, packed.filename), "-C", work]);
  symlinkSync(join(work, "package"), join(work, "pkg"));
  symlinkSync(join(root, "bindings"), join(work, "bindings"));
  // A saved profile of 50 mixed events, made in Node by the same package.
  const { Personalizer } = await import(join(work, "package/node.js"));
  const profile = Array.from(await makeProfile(Personalizer));
  const server = await serve(work);
  try {
    for (const n of sizes) {
      progress(`chromium, ${n.toLocaleString("en-US")} items`);
      const row = await inChromium(server.url, profile, n);
      if (row.refused) refusals.push(`${n.toLocaleString("en-US")} items: catalog() refused them (${row.refused})`);
      else chromiumRows.set(n, row);
      swiftshader ??= row.adapter;
    }
  } finally {
    await server.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
report();

/** One size in a fresh Chromium (a fresh renderer and GPU process, so that what they hold is
 * this catalog's alone): the times of each step, and what the renderer and the GPU process grew
 * by. */
async function inChromium(url, profile, n) {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-gpu-bench-profile-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [...HEADLESS, ...WEBGPU],
  });
  await isolate(context);
  try {
    const page = await context.newPage();
    await page.goto(`${url}bindings/js/bench/gpu.html`);
    await page.waitForFunction(() => window.bench && crossOriginIsolated);
    await page.evaluate((profile) => {
      window.run = window.bench.scenario.catalogRanking(window.bench.Personalizer, new Uint8Array(profile));
    }, profile);
    await page.evaluate((n) => window.run.items(n), n);
    const before = resident(dir);
    const { ms: prepareMs, refused } = await page.evaluate(() => window.run.prepare());
    if (refused) return { refused };
    const prepared = resident(dir);
    const first = await page.evaluate(() => window.run.firstGpu());
    const onGpu = resident(dir);
    const { cpu, gpu, differ, backend } = await page.evaluate((r) => window.run.rounds(r), rounds(n));
    return {
      cpuMs: cpu,
      gpuMs: backend.kind === "gpu" ? gpu : null,
      adapter: backend.kind === "gpu" ? backend.adapter : `none: ${backend.code}`,
      differ,
      firstGpuMs: first.ms,
      prepareMs,
      catalogMiB: prepared.renderer - before.renderer,
      gpuCopyMiB: onGpu.gpu - prepared.gpu,
    };
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The resident sets, in MiB, of the renderers and of the GPU process of the Chromium whose
 * profile is `dir` (Linux: its processes are found in /proc by their command lines). */
function resident(dir) {
  const processes = readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .map((pid) => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        return {
          pid: Number(pid),
          ppid: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]),
          rss: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024,
          // Chromium rewrites its children's command lines: arguments joined by spaces.
          cmdline: readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "),
        };
      } catch {
        return undefined; // gone meanwhile
      }
    })
    .filter(Boolean);
  const browser = processes.find((p) => p.cmdline.includes(`--user-data-dir=${dir} `) && !p.cmdline.includes("--type="));
  const ours = new Set(browser ? [browser.pid] : []);
  // Its descendants (renderers are the zygote's children), until no more are found.
  for (let found = -1; found !== ours.size; ) {
    found = ours.size;
    for (const p of processes) if (ours.has(p.ppid)) ours.add(p.pid);
  }
  const sum = (type) => processes.filter((p) => ours.has(p.pid) && p.cmdline.includes(`--type=${type} `)).reduce((s, p) => s + p.rss, 0);
  return { renderer: sum("renderer"), gpu: sum("gpu-process") };
}

function report() {
  const ms = (xs) => {
    if (!xs) return "–";
    const sorted = [...xs].sort((a, b) => a - b);
    const f = (x) => x.toFixed(x < 10 ? 2 : 1);
    return `${f(median(sorted))} (${f(sorted[0])}–${f(sorted.at(-1))})`;
  };
  const ratio = (cpu, gpu) => (cpu && gpu ? `${(median(cpu) / median(gpu)).toPrecision(2)}×` : "–");
  const one = (x, digits = 1) => (x === undefined || x === null ? "–" : x.toFixed(digits));
  console.log(`\nWhole-catalog ranking, k = 100; times in ms: median (range) over alternating rounds (${sizes.map((n) => `${rounds(n)} at ${n.toLocaleString("en-US")}`).join(", ")})`);
  console.log(`native GPU: ${nativeAdapter ?? "none"}; Chromium's WebGPU: ${swiftshader ?? "none"}\n`);
  console.log("| items | CPU, native | lavapipe | CPU / lavapipe | CPU, Chromium (wasm) | SwiftShader | CPU / SwiftShader | ids differ |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const n of sizes) {
    const [a, b] = [native.get(n), chromiumRows.get(n)];
    console.log(
      `| ${n.toLocaleString("en-US")} | ${ms(a?.cpuMs)} | ${ms(a?.gpuMs)} | ${ratio(a?.cpuMs, a?.gpuMs)} | ${ms(b?.cpuMs)} | ${ms(b?.gpuMs)} | ${ratio(b?.cpuMs, b?.gpuMs)} | ${b ? b.differ : "–"} |`,
    );
  }
  console.log("\nOnce per catalog: catalog() (ms), its first GPU ranking (ms: vectors uploaded, moments worked out), memory (MiB)\n");
  console.log("| items | catalog(), native | catalog(), Chromium | first ranking, lavapipe | first ranking, SwiftShader | catalog, native process | catalog, renderer | GPU copy, lavapipe (the process) | GPU copy, SwiftShader (GPU process) |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const n of sizes) {
    const [a, b] = [native.get(n), chromiumRows.get(n)];
    console.log(
      `| ${n.toLocaleString("en-US")} | ${one(a?.prepareMs, 0)} | ${one(b?.prepareMs, 0)} | ${one(a?.firstGpuMs)} | ${one(b?.firstGpuMs)} | ${one(a?.catalogMiB, 0)} | ${one(b?.catalogMiB, 0)} | ${one(a?.gpuCopyMiB, 0)} | ${one(b?.gpuCopyMiB, 0)} |`,
    );
  }
  for (const refusal of refusals) console.log(`\nNot in Chromium: ${refusal}.`);
}
