// The GPU entry's test: `tastebud/gpu` from pkg/ in a page of headless Chromium. On
// SwiftShader's WebGPU adapter, `rankCatalogAsync` ranks catalogs of 1,000, 10,000 and 100,000
// items as `rankCatalog` does (the same ids and reasons, scores within 1e-5; k = 100, alone, with
// a query and with diversity 0.5) and `backend()` says "gpu"; a device destroyed while a ranking
// is pending gives that ranking, and the later ones, to the CPU, and `backend()` says why, as
// does a GPU that never answers, after `setGpuTimeout`'s time; calls on the personalizer or its
// catalog meanwhile are refused with `busy`. Without a WebGPU adapter,
// and without WebGPU at all (no `navigator.gpu`: other browsers, pages not served securely), the
// CPU ranks and `backend()` says `gpu_no_adapter`. Run after `scripts/pkg.sh`:
// `node bindings/js/gpu.mjs`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { HEADLESS, serve, WEBGPU } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = [1_000, 10_000, 100_000];
let failures = 0;
/** Checks `ok`, printing `what` either way. */
function check(ok, what, detail) {
  if (!ok) failures++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
}

// The repository, served: the page, and pkg/ at /pkg/.
const server = await serve(join(here, "../.."));
const pageUrl = `${server.url}bindings/js/gpu/`;

try {
  await inChromium("SwiftShader's WebGPU", WEBGPU, async (page) => {
    check(await page.evaluate(() => window.steps.webgpu()), "navigator.gpu is there");
    const t0 = performance.now();
    const report = await page.evaluate((sizes) => window.steps.compare(sizes), SIZES);
    check(report.before.kind === "cpu" && report.before.code === "not_started", "backend() before the first rankCatalogAsync", report.before);
    for (const { n, catalogMs, cases } of report.sizes) {
      console.log(`     ${n} items: catalog() ${catalogMs} ms`);
      cases.forEach(({ options, cpuMs, gpuMs, uploads, differences, backend }, i) => {
        const what = `${n} items, ${JSON.stringify(options)}`;
        check(differences.length === 0, `${what}: rankCatalogAsync is rankCatalog`, differences.length ? differences : undefined);
        check(backend.kind === "gpu", `${what}: backend() is the GPU`, backend);
        // The catalog's vectors go to the GPU on its first ranking there, and only then.
        const [first, ...later] = i === 0 ? uploads : [undefined, ...uploads];
        check(first !== 0 && later.every((u) => u === 0), `${what}: uploads only on the catalog's first GPU ranking`, uploads);
        console.log(`     rankCatalog ${cpuMs} ms; rankCatalogAsync ${gpuMs.join(", ")} ms`);
      });
    }
    console.log(`     adapter: ${report.sizes[0]?.cases[0]?.backend.adapter}; compared in ${Math.round(performance.now() - t0)} ms`);

    const lost = await page.evaluate(() => window.steps.lost());
    check(lost.afterFirst.kind === "gpu" && lost.firstDifferences.length === 0, "5,000 items: the first ranking on the GPU", lost.afterFirst);
    const { onChange, otherCatalogLength, ...refused } = lost.busy;
    for (const [name, code] of Object.entries(refused)) check(code === "busy", `while pending: ${name} throws busy`, code);
    check(onChange === undefined, "while pending: onChange still works", onChange);
    check(otherCatalogLength === undefined, "while pending: a catalog not being ranked still works", otherCatalogLength);
    check(lost.asyncBusy === "busy", "while pending: rankCatalogAsync rejects with busy", lost.asyncBusy);
    check(lost.secondDifferences.length === 0, "a device destroyed mid-call: that ranking is the CPU's", lost.secondDifferences);
    const lostCode = (b) => b.kind === "cpu" && (b.code === "gpu_lost" || b.code === "gpu_failed");
    check(lostCode(lost.afterLoss), "then backend() is the CPU, and why", lost.afterLoss);
    check(lost.lostInfo === "destroyed", "the device was lost, destroyed", lost.lostInfo);
    check(lost.thirdDifferences.length === 0 && lostCode(lost.afterThird), "the next ranking is the CPU's too", lost.afterThird);
    check(lost.usable, "the personalizer and its catalog are usable once it settled");
    check(lost.otherAsync.length === 0, "a catalog first ranked after the loss: the CPU's ranking", lost.otherAsync);

    const timeout = await page.evaluate(() => window.steps.timeout());
    for (const [ms, code] of Object.entries(timeout.refused)) check(code === "invalid_options", `setGpuTimeout(${ms}) throws invalid_options`, code);
    check(timeout.first.length === 0 && timeout.afterFirst.kind === "gpu", "setGpuTimeout(500), then a ranking on the GPU", timeout.afterFirst);
    // Given up after the limit, not the default minute (the bound leaves room for a loaded machine).
    check(timeout.hung.length === 0, "a GPU that never answers: that ranking is the CPU's", timeout.hung);
    check(timeout.hungMs >= timeout.limit && timeout.hungMs < 20_000, "given up after setGpuTimeout's time", Math.round(timeout.hungMs));
    check(timeout.afterHung.kind === "cpu" && timeout.afterHung.code === "gpu_timeout", "then backend() says gpu_timeout", timeout.afterHung);
    check(timeout.next.length === 0 && timeout.nextMs < timeout.limit, "the next ranking is the CPU's, at once", Math.round(timeout.nextMs));

    const features = await page.evaluate(() => window.steps.pageFeatures());
    check(features.during === "busy", "open + observe + live, while pending: profile() throws busy", features.during);
    check(features.after === features.before + 1, "a click observe saw while pending is recorded once it is done", features);
    check(features.warning === undefined, "and open's storage has no warning", features.warning);
  });

  for (const api of [true, false]) {
    // No `navigator.gpu` at all: hidden before the page's scripts run.
    const hide = api ? undefined : () => Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined });
    const what = api ? "no WebGPU adapter (--disable-gpu)" : "no WebGPU at all (navigator.gpu undefined)";
    await inChromium(what, ["--disable-gpu"], async (page) => {
      const t0 = performance.now();
      const result = await page.evaluate(() => window.steps.noGpu());
      console.log(`     typeof navigator.gpu: ${result.webgpu}`);
      if (!api) check(result.webgpu === "undefined", "navigator.gpu is hidden");
      check(result.before.kind === "cpu" && result.before.code === "not_started", "backend() before a ranking", result.before);
      check(result.differences.length === 0, "10,000 items: rankCatalogAsync is rankCatalog, every case", result.differences);
      check(result.after.kind === "cpu" && result.after.code === "gpu_no_adapter", "backend() after a ranking: gpu_no_adapter", result.after);
      check(result.busy === "busy", "while pending: rankCatalog throws busy", result.busy);
      console.log(`     in ${Math.round(performance.now() - t0)} ms`);
    }, hide);
  }
} finally {
  await server.close();
}

if (failures) {
  console.error(`gpu test FAILED: ${failures} checks`);
  process.exit(1);
}
console.log("gpu test passed");

/** Runs `test(page)` on the test page in a fresh Chromium with `flags` and a fresh profile
 * directory, after `initScript` if given; the page's errors fail the run. */
async function inChromium(what, flags, test, initScript) {
  console.log(`chromium, ${what}:`);
  const profile = mkdtempSync(join(tmpdir(), "tastebud-gpu-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [...HEADLESS, ...flags],
  });
  try {
    const page = await context.newPage();
    if (initScript) await page.addInitScript(initScript);
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(pageUrl);
    await page.waitForFunction(() => window.steps !== undefined || window.loadError !== undefined, null, { timeout: 60_000 });
    const loadError = await page.evaluate(() => window.loadError);
    if (loadError) throw new Error(`the page did not load: ${loadError}`);
    await test(page);
    check(errors.length === 0, `no errors on the page`, errors.length ? errors.slice(0, 5) : undefined);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
