// The Vite example as a user builds it: copies examples/vite and the built package (pkg/) into a
// temporary directory, installs from the committed lockfile (`npm ci`; tastebud is
// `file:../../pkg`, installed as a packed copy), then
//   - `npm run build`: the .wasm is emitted as an asset; the built page, served by
//     `vite preview` on 127.0.0.1 and opened in headless Chromium, re-ranks the list with
//     reasons after clicks, with no console error and no request leaving 127.0.0.1;
//   - `npm run dev`: the same page from the dev server (tastebud pre-bundled by Vite);
//   - `npm run build:ssr`: the server entry, which imports tastebud, renders in plain Node;
//   - `npm run build:ssr-bundled`: the same with tastebud bundled into it (`ssr.noExternal`);
//   - the browser entry (`tastebud/index.js`) imported in Node: no exception, and neither
//     `window`, `document` nor `fetch` is touched.
// Run from the repository root after `make pkg`: `node examples/vite/test.mjs`.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { begin, fail, openPage } from "../harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const t = await begin("vite");
try {
  const { work, app, run, installed, version } = t.install(here, ["dist", "dist-ssr", "dist-ssr-bundled"]);
  t.step(`npm ci: vite ${version("vite")}, tastebud ${version("tastebud")} installed as a packed copy of pkg/`);

  // The client build.
  run("npm", ["run", "build"], "vite build");
  const assets = join(app, "dist/assets");
  const wasm = readdirSync(assets).filter((f) => f.endsWith(".wasm"));
  if (wasm.length !== 1) fail(`expected one .wasm in dist/assets, found: ${readdirSync(assets).join(", ")}`);
  const size = statSync(join(assets, wasm[0])).size;
  if (size !== statSync(join(work, "pkg/tastebud_bg.wasm")).size) fail(`dist/assets/${wasm[0]} differs from pkg/tastebud_bg.wasm`);
  const js = readdirSync(assets).filter((f) => f.endsWith(".js"));
  if (!js.some((f) => readFileSync(join(assets, f), "utf8").includes(wasm[0]))) fail(`no built script refers to ${wasm[0]}`);
  t.step(`vite build: dist/assets/${wasm[0]} (${size} bytes), referenced by ${js.join(", ")}`);

  const browser = await t.browser();
  const preview = await startVite(app, ["preview"]);
  t.step(`built page in Chromium (vite preview): ${await checkPage(browser, preview.url)}`);
  const dev = await startVite(app, []);
  t.step(`dev server in Chromium (vite): ${await checkPage(browser, dev.url)}`);

  // Server-side rendering: the SSR bundle imports tastebud and renders in plain Node; then the
  // same with tastebud bundled into the server's code (`ssr.noExternal`), which reads the .wasm
  // from the installed package at run time.
  for (const [script, out, bundled] of [
    ["build:ssr", "dist-ssr", false],
    ["build:ssr-bundled", "dist-ssr-bundled", true],
  ]) {
    run("npm", ["run", script], `npm run ${script}`);
    const ssr = join(app, out, "ssr.js");
    const code = readFileSync(ssr, "utf8");
    const imports = /from\s*"tastebud"/.test(code);
    if (imports === bundled) fail(`${out}/ssr.js ${bundled ? "still imports" : "does not import"} tastebud`);
    if (bundled && !code.includes("initSync")) fail(`${out}/ssr.js does not carry tastebud's Node entry`);
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
      `rendering ${out}/ssr.js in Node`,
    );
    t.step(`SSR build${bundled ? " with tastebud bundled (ssr.noExternal)" : ""} in Node: rendered ${rendered.trim()}, no window or document`);
  }

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
  t.step(`browser entry (index.js) imported in Node: exports ${plain.trim()}; window, document and fetch untouched`);
  await t.finish();
} catch (e) {
  await t.finish(e);
}

/** Starts `vite <args>` in the example at `app` on a free port of 127.0.0.1; resolves to `{ url }`
 * once it answers. The process is stopped at the end of the test. */
function startVite(app, args) {
  const bin = join(app, "node_modules/vite/bin/vite.js");
  return t.startServer(app, (port) => [bin, ...args, "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
    wait: 20_000,
    what: `vite ${args.join(" ")}`,
  });
}

/** Opens the page, clicks two products, then "Forget", checking the ranked list after each;
 * returns a summary. */
async function checkPage(browser, url) {
  const { page, requests, errors, ready, check } = await openPage(browser, url);
  const ranked = () =>
    page.$$eval("#ranked > li", (lis) =>
      lis.map((li) => ({ id: li.dataset.id, reasons: [...li.querySelectorAll(".reasons li")].map((r) => r.textContent) })),
    );
  try {
    await ready("body[data-ready]");
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

    check();
    const wasm = requests.filter((u) => /\.wasm(\?|$)/.test(u));
    if (wasm.length !== 1) fail(`the page fetched the .wasm ${wasm.length} times: ${wasm.join(", ")}`);
    return `cold ${cold.map((r) => r.id).join(" ")}; ${summary.join("; ")}; cleared; ${requests.length} requests, all to ${url}`;
  } finally {
    await page.close();
  }
}
