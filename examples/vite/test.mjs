// The Vite example as a user builds it: copies examples/vite and the built package (pkg/) into a
// temporary directory, installs from the committed lockfile (`npm ci`; tastebud is
// `file:../../pkg`, installed as a packed copy), then
//   - `npm run build`: the .wasm is emitted as an asset; the built page, served by
//     `vite preview` on 127.0.0.1 and opened in headless Chromium, re-ranks the list with
//     reasons after clicks, with no console error and no request leaving 127.0.0.1;
//   - `npm run dev`: the same page from the dev server (tastebud pre-bundled by Vite);
//   - `npm run build:ssr`: the server entry, which imports tastebud, renders in plain Node;
//   - the browser entry (`tastebud/index.js`) imported in Node: no exception, and neither
//     `window`, `document` nor `fetch` is touched.
// Run from the repository root after `make pkg`: `node examples/vite/test.mjs`.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const started = Date.now();

class Failure extends Error {}
const fail = (msg) => {
  throw new Failure(msg);
};
const step = (msg) => console.log(`vite example: ${msg}`);

if (!existsSync(join(root, "pkg/tastebud_bg.wasm"))) {
  console.error("vite example test FAILED: pkg/ is not built; run `make pkg` (or scripts/pkg.sh) first");
  process.exit(1);
}
// playwright-core comes with the JavaScript tests' packages (bindings/js, `make setup`).
let launch;
try {
  ({ launch } = await import("../../bindings/js/browser.mjs"));
} catch (e) {
  console.error(`vite example test FAILED: cannot load bindings/js/browser.mjs (run \`make setup\`): ${e.message}`);
  process.exit(1);
}

// The same layout as the repository, so `file:../../pkg` in the committed package.json and
// lockfile resolves.
const work = mkdtempSync(join(tmpdir(), "tastebud-vite-"));
const app = join(work, "examples/vite");
const skip = new Set(["node_modules", "dist", "dist-ssr"]);
cpSync(here, app, { recursive: true, filter: (src) => !skip.has(basename(src)) });
cpSync(join(root, "pkg"), join(work, "pkg"), { recursive: true });

/** Runs a command in the example; its output is shown only if it fails. */
function run(cmd, args, what) {
  try {
    return String(execFileSync(cmd, args, { cwd: app, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 }));
  } catch (e) {
    fail(`${what} failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
}

const children = [];
let browser;
try {
  run("npm", ["ci", "--no-audit", "--no-fund"], "installing from the committed lockfile");
  const installed = join(app, "node_modules/tastebud");
  if (lstatSync(installed).isSymbolicLink()) fail("node_modules/tastebud is a symlink; .npmrc should set install-links=true");
  const version = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).version;
  const vite = JSON.parse(readFileSync(join(app, "node_modules/vite/package.json"), "utf8")).version;
  step(`npm ci: vite ${vite}, tastebud ${version} installed as a packed copy of pkg/`);

  // The client build.
  run("npm", ["run", "build"], "vite build");
  const assets = join(app, "dist/assets");
  const wasm = readdirSync(assets).filter((f) => f.endsWith(".wasm"));
  if (wasm.length !== 1) fail(`expected one .wasm in dist/assets, found: ${readdirSync(assets).join(", ")}`);
  const size = statSync(join(assets, wasm[0])).size;
  if (size !== statSync(join(work, "pkg/tastebud_bg.wasm")).size) fail(`dist/assets/${wasm[0]} differs from pkg/tastebud_bg.wasm`);
  const js = readdirSync(assets).filter((f) => f.endsWith(".js"));
  if (!js.some((f) => readFileSync(join(assets, f), "utf8").includes(wasm[0]))) fail(`no built script refers to ${wasm[0]}`);
  step(`vite build: dist/assets/${wasm[0]} (${size} bytes), referenced by ${js.join(", ")}`);

  browser = await launch();
  const preview = await startVite(["preview"]);
  step(`built page in Chromium (vite preview): ${await checkPage(preview.url)}`);
  const dev = await startVite([]);
  step(`dev server in Chromium (vite): ${await checkPage(dev.url)}`);

  // Server-side rendering: the SSR bundle imports tastebud and renders in plain Node.
  run("npm", ["run", "build:ssr"], "vite build --ssr");
  const ssr = join(app, "dist-ssr/ssr.js");
  if (!/from\s*"tastebud"/.test(readFileSync(ssr, "utf8"))) fail("dist-ssr/ssr.js does not import tastebud");
  const rendered = run(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const { render, personalizable } = await import(${JSON.stringify(pathToFileURL(ssr).href)});
       if (typeof window !== "undefined" || typeof document !== "undefined") throw new Error("window or document exists");
       if (!personalizable) throw new Error("the SSR module did not see Personalizer.create");
       const html = render();
       if (!html.includes("REGENCY CAKESTAND 3 TIER")) throw new Error("unexpected markup: " + html.slice(0, 200));
       console.log((html.match(/<li>/g) ?? []).length + " products, " + html.length + " characters");`,
    ],
    "rendering the SSR build in Node",
  );
  step(`SSR build in Node: rendered ${rendered.trim()}, no window or document`);

  // The browser entry itself, imported in Node as a server that resolves it explicitly would:
  // first plainly, then with traps that record any read of window, document or fetch.
  const entry = pathToFileURL(join(installed, "index.js")).href;
  const plain = run(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const m = await import(${JSON.stringify(entry)});
       if (typeof m.Personalizer?.create !== "function" || typeof m.init !== "function") throw new Error("exports missing: " + Object.keys(m));
       if (globalThis.window !== undefined || globalThis.document !== undefined) throw new Error("importing defined window or document");
       console.log(Object.keys(m).sort().join(", "));`,
    ],
    "importing the browser entry in Node",
  );
  run(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const touched = new Set();
       for (const name of ["window", "document", "fetch"]) {
         const real = globalThis[name];
         Object.defineProperty(globalThis, name, { configurable: true, get() { touched.add(name); return real; } });
       }
       await import(${JSON.stringify(entry)});
       await new Promise((r) => setTimeout(r, 50));
       if (touched.size) throw new Error("importing the browser entry read " + [...touched].join(", "));`,
    ],
    "importing the browser entry with window/document/fetch trapped",
  );
  step(`browser entry (index.js) imported in Node: exports ${plain.trim()}; window, document and fetch untouched`);

  step(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  console.error(`vite example test FAILED: ${e instanceof Failure ? e.message : (e?.stack ?? e)}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  for (const child of children) child.kill();
  rmSync(work, { recursive: true, force: true });
}

/** Starts `vite <args>` in the example on a free port of 127.0.0.1; resolves to `{ url }` once it
 * answers. The process is stopped at the end of the test. */
async function startVite(args) {
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const bin = join(app, "node_modules/vite/bin/vite.js");
  const child = spawn(process.execPath, [bin, ...args, "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
    cwd: app,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;
  for (let tries = 0; tries < 200; tries++) {
    if (child.exitCode !== null) break;
    if (await fetch(url).then((r) => r.ok, () => false)) return { url };
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`vite ${args.join(" ")} did not answer on ${url}:\n${output}`);
}

/** Opens the page, clicks two products, then "Forget", checking the ranked list after each;
 * returns a summary. */
async function checkPage(url) {
  const page = await browser.newPage();
  const requests = [];
  const errors = [];
  let erred;
  const failed = new Promise((resolve) => (erred = resolve));
  const error = (msg) => {
    errors.push(msg);
    erred();
  };
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => m.type() === "error" && error(`console: ${m.text()}`));
  page.on("pageerror", (e) => error(`uncaught: ${e.stack ?? e}`));
  const ranked = () =>
    page.$$eval("#ranked > li", (lis) =>
      lis.map((li) => ({ id: li.dataset.id, reasons: [...li.querySelectorAll(".reasons li")].map((r) => r.textContent) })),
    );
  try {
    await page.goto(url);
    const ready = await Promise.race([
      page.waitForSelector("body[data-ready]", { state: "attached", timeout: 30_000 }).then(() => true, () => false),
      failed.then(() => false),
    ]);
    if (!ready) fail(`the page at ${url} did not get ready: ${errors.join("\n") || "no error within 30 s"}`);
    const cold = await ranked();
    if (cold.length !== 6) fail(`expected 6 ranked products before any click, got ${JSON.stringify(cold)}`);

    let before = cold;
    const summary = [];
    for (const [id, title] of [
      ["85123A", "WHITE HANGING HEART T-LIGHT HOLDER"],
      ["22423", "REGENCY CAKESTAND 3 TIER"],
    ]) {
      await page.click(`button.product[data-id="${id}"]`);
      await page
        .waitForFunction((t) => document.querySelector("#status").textContent.includes(t), title, { timeout: 5_000 })
        .catch(() => fail(`clicking ${title} did not update the page: ${errors.join("\n")}`));
      const after = await ranked();
      if (JSON.stringify(after) === JSON.stringify(before)) fail(`the ranked list did not change after clicking ${title}`);
      const reasons = after.flatMap((r) => r.reasons);
      if (!reasons.some((r) => r.includes(title))) {
        fail(`after clicking ${title}, no reason names it: ${JSON.stringify(after)}`);
      }
      summary.push(`after ${id}: ${after.map((r) => r.id).join(" ")} ("${reasons.find((r) => r.includes(title))}")`);
      before = after;
    }

    await page.click("#clear");
    await page.waitForFunction(() => document.querySelector("#status").textContent.includes("empty"), null, { timeout: 5_000 });
    const cleared = await ranked();
    if (JSON.stringify(cleared) !== JSON.stringify(cold)) fail(`after "Forget", expected the cold-start list, got ${JSON.stringify(cleared)}`);

    if (errors.length) fail(`errors on the page at ${url}:\n${errors.join("\n")}`);
    const foreign = requests.filter((u) => !u.startsWith(url));
    if (foreign.length) fail(`the page requested other origins: ${foreign.join(", ")}`);
    const wasm = requests.filter((u) => /\.wasm(\?|$)/.test(u));
    if (wasm.length !== 1) fail(`the page fetched the .wasm ${wasm.length} times: ${wasm.join(", ")}`);
    return `cold ${cold.map((r) => r.id).join(" ")}; ${summary.join("; ")}; cleared; ${requests.length} requests, all to ${url}`;
  } finally {
    await page.close();
  }
}
