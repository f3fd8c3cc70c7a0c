// The Next.js example as a user builds it, with no configuration for tastebud: copies
// examples/next and the built package (pkg/) into a temporary directory, installs from the
// committed lockfile (`npm ci`; tastebud is `file:../../pkg`, installed as a packed copy), then,
// for each of Next's bundlers — Turbopack (`next build`, the default) and webpack
// (`next build --webpack`) — and for the dev server (`next dev`, Turbopack; no build):
//   - builds the app: the .wasm is emitted for the browser;
//   - starts it (`next start` or `next dev` on 127.0.0.1) and reads the HTML as sent: the server
//     component ranked the products with tastebud (for a search in the address too);
//   - opens it in headless Chromium: the client component opens the shopper's profile, ranks the
//     list in the browser as the server did for a new shopper, re-ranks it with reasons after
//     clicks and goes back to the first list after "Forget"; no console error, no uncaught
//     error, no request leaving 127.0.0.1, the .wasm fetched once.
// Run from the repository root after `make pkg`: `node examples/next/test.mjs`.
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { begin, fail, openPage, root } from "../harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const env = { NEXT_TELEMETRY_DISABLED: "1" };
const t = await begin("next");
try {
  const installing = Date.now();
  const { app, run, version } = t.install(here, [".next"], { env });
  t.step(
    `npm ci in ${((Date.now() - installing) / 1000).toFixed(0)} s: next ${version("next")}, react ${version("react")}, ` +
      `tastebud ${version("tastebud")} installed as a packed copy of pkg/`,
  );
  const browser = await t.browser();
  const next = "node_modules/next/dist/bin/next";
  for (const [mode, build, serve] of [
    ["turbopack", ["build"], ["start"]],
    ["webpack", ["build", "--webpack"], ["start"]],
    ["dev", undefined, ["dev"]],
  ]) {
    let began = Date.now();
    const took = () => `${((Date.now() - began) / 1000).toFixed(0)} s`;
    if (build) {
      run(process.execPath, [next, ...build], `next ${build.join(" ")}`);
      const media = join(app, ".next/static/media");
      const wasm = readdirSync(media).filter((f) => f.endsWith(".wasm"));
      if (wasm.length !== 1) fail(`${mode}: expected one .wasm in .next/static/media, found: ${readdirSync(media).join(", ")}`);
      if (statSync(join(media, wasm[0])).size !== statSync(join(root, "pkg/tastebud_bg.wasm")).size) {
        fail(`${mode}: .next/static/media/${wasm[0]} differs from pkg/tastebud_bg.wasm`);
      }
      t.step(`${mode}: next ${build.join(" ")} in ${took()} (.wasm emitted as .next/static/media/${wasm[0]})`);
      began = Date.now();
    }
    const server = await t.startServer(app, (port) => [next, ...serve, "-H", "127.0.0.1", "-p", String(port)], {
      env,
      wait: 180_000, // `next dev` compiles the page for the first request
      what: `next ${serve[0]}`,
    });
    const { cold, summary } = await checkServer(server.url);
    t.step(`${mode}: next ${serve[0]}, server-rendered ${summary}`);
    t.step(`${mode}: in Chromium ${await checkPage(browser, server.url, cold)} (${took()})`);
    await server.stop();
    const log = server.output();
    if (/error/i.test(log)) fail(`${mode}: next ${serve[0]} logged an error:\n${log}`);
  }
  await t.finish();
} catch (e) {
  await t.finish(e);
}

/** The ranked list in server-rendered HTML: the ids of `#ranked`'s items, in order. */
function rankedIn(html) {
  const list = html.match(/<ol id="ranked"[^>]*>([\s\S]*?)<\/ol>/);
  if (!list) fail(`no #ranked list in the HTML:\n${html.slice(0, 2000)}`);
  if (!list[0].includes('data-ranked-by="server"')) fail(`the HTML's list is not marked as ranked on the server: ${list[0].slice(0, 200)}`);
  return [...list[1].matchAll(/<li data-id="([^"]+)"/g)].map((m) => m[1]);
}

/** Reads `/` and `/?q=bunting` as sent by the server; returns the list ranked for `/` and a
 * summary. */
async function checkServer(url) {
  const get = async (path) => {
    const response = await fetch(new URL(path, url));
    const html = await response.text();
    if (!response.ok) fail(`GET ${path}: ${response.status}\n${html.slice(0, 2000)}`);
    return html;
  };
  const cold = rankedIn(await get("/"));
  if (cold.length !== 6) fail(`expected 6 products ranked on the server, got ${JSON.stringify(cold)}`);
  const searched = rankedIn(await get("/?q=bunting"));
  if (!["47566", "23298"].includes(searched[0])) fail(`for "bunting", the server ranked ${JSON.stringify(searched)} (no bunting first)`);
  return { cold, summary: `/: ${cold.join(" ")}; /?q=bunting: ${searched.join(" ")}` };
}

/** Opens the page, checks the list the browser ranks for a new shopper against the server's
 * (`server`, ids), clicks two products, then "Forget", checking the ranked list after each;
 * returns a summary. */
async function checkPage(browser, url, server) {
  const { page, requests, ready, check } = await openPage(browser, url);
  const ranked = () =>
    page.$$eval("#ranked > li", (lis) =>
      lis.map((li) => ({ id: li.dataset.id, reasons: [...li.querySelectorAll(".reasons li")].map((r) => r.textContent) })),
    );
  try {
    await ready('main[data-ready] #ranked[data-ranked-by="browser"]');
    const cold = await ranked();
    if (cold.length !== 6) fail(`expected 6 ranked products before any click, got ${JSON.stringify(cold)}`);
    if (JSON.stringify(cold.map((r) => r.id)) !== JSON.stringify(server)) {
      fail(`the browser ranked ${JSON.stringify(cold)} for a new shopper, the server ${JSON.stringify(server)}`);
    }

    let before = cold;
    const summary = [];
    for (const [id, title] of [
      ["85123A", "WHITE HANGING HEART T-LIGHT HOLDER"],
      ["22423", "REGENCY CAKESTAND 3 TIER"],
    ]) {
      await page.click(`button.product[data-id="${id}"]`);
      // The list is drawn from `onChange`, after the status: wait for a reason that names the product.
      await page
        .waitForFunction(
          (t) => [...document.querySelectorAll("#ranked .reasons li")].some((r) => r.textContent.includes(t)),
          title,
          { timeout: 10_000 },
        )
        .catch(() => fail(`clicking ${title} did not re-rank the list with a reason naming it`));
      const after = await ranked();
      if (JSON.stringify(after) === JSON.stringify(before)) fail(`the ranked list did not change after clicking ${title}`);
      const reason = after.flatMap((r) => r.reasons).find((r) => r.includes(title));
      summary.push(`after ${id}: ${after.map((r) => r.id).join(" ")} ("${reason}")`);
      before = after;
    }

    await page.click("#clear");
    await page
      .waitForFunction((cold) => [...document.querySelectorAll("#ranked > li")].map((li) => li.dataset.id).join(" ") === cold, cold.map((r) => r.id).join(" "), {
        timeout: 10_000,
      })
      .catch(() => fail(`after "Forget", the list did not go back to the cold-start list ${cold.map((r) => r.id).join(" ")}`));

    check();
    const wasm = requests.filter((u) => /\.wasm(\?|$)/.test(u));
    if (wasm.length !== 1) fail(`the page fetched the .wasm ${wasm.length} times: ${wasm.join(", ")}`);
    return `cold ${cold.map((r) => r.id).join(" ")} (as on the server); ${summary.join("; ")}; cleared; ${requests.length} requests, all to ${url}`;
  } finally {
    await page.close();
  }
}
