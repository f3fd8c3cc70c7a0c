// The edge example as a user runs it: copies examples/edge and the built package (pkg/) into a
// temporary directory, installs from the committed lockfile (`npm ci`), bundles the worker
// (`npm run build`), starts the origin (origin.mjs) on the Online Retail catalog, then the same
// worker in workerd (workerd.capnp), in Node (node.mjs) and in Deno (deno.mjs), one at a time, and
// asks each, on loopback:
//   - with no token, and with each kind of bad token (truncated, wrong version byte, flipped
//     bits, over 256 characters, not base64url, a profile with no history): 200, exactly the
//     origin's order, and the matching reason in the body and the `x-tastebud-rerank` header;
//   - with a good token (made here in Node after views of T-light holders, ε = Infinity), as a
//     header and as the `tb` cookie: the order tastebud's own `rerank` gives in Node for the same
//     origin answer, and not the origin's;
//   - on `/passthrough/search` with the good token: the origin's order;
//   - with the origin failing (`fail=1`): 502 with a JSON error;
// and checks through the origin's request log that each request reached the origin once, as
// sent, and nothing else did. In workerd, a probe route added for the test only tries the global
// `fetch` to a trap server and to the origin directly: both must be refused (the configuration's
// `globalOutbound` is a network that allows no address). In Node, the demo page is opened in
// headless Chromium: views make it personalised through the `tb` cookie, "Forget me" undoes it.
//
// Run from the repository root after `make pkg` and `make catalog`:
//   node examples/edge/test.mjs [catalog.json]    (default www/data/catalog.json)
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { begin, fail, Failure, openPage, root } from "../harness.mjs";
import { get, REQUEST_MS } from "./requests.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const catalog = resolve(process.argv[2] ?? join(root, "www/data/catalog.json"));
const START_MS = 120_000; // for a server to start, on a loaded machine

// The test's main module for workerd: the example's worker, plus `/__probe?url=…`, which tries
// the worker's global `fetch`.
const PROBE = `import worker from "./worker.js";

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== "/__probe") return worker.fetch(request, env, ctx);
    try {
      const answer = await fetch(url.searchParams.get("url"));
      return Response.json({ reached: answer.status });
    } catch (e) {
      return Response.json({ blocked: String(e?.message ?? e) });
    }
  },
};
`;

const t = await begin("edge");
// Interrupted: stop the servers and remove the copy all the same.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => t.finish(new Failure(`interrupted by ${signal}`)).finally(() => process.exit(1)));
}
try {
  if (!existsSync(catalog)) fail(`no catalog at ${catalog}: run \`make catalog\` first, or give a catalog's path`);
  const { work, app, run, installed, version } = t.install(here, ["dist"]);
  t.step(
    `npm ci: workerd ${version("workerd")}, deno ${version("deno")}, esbuild ${version("esbuild")}, ` +
      `tastebud ${version("tastebud")} installed as a packed copy of pkg/`,
  );
  run("npm", ["run", "build"], "npm run build (esbuild)");
  t.step("npm run build: dist/worker.js and dist/tastebud_bg.wasm");

  const origin = await start("origin.mjs", app, process.execPath, ["origin.mjs", "--port", "0", "--catalog", catalog, "--log"]);
  const cases = await makeCases(origin, installed);

  // workerd, with the example's configuration and, for the test only, a probe module in front of
  // the bundled worker (the first module is the main one).
  const config = readFileSync(join(app, "workerd.capnp"), "utf8");
  const workerModule = '    (name = "worker.js", esModule = embed "dist/worker.js"),\n';
  if (!config.includes(workerModule)) fail(`workerd.capnp does not list the module ${workerModule.trim()}`);
  writeFileSync(join(app, "probe.mjs"), PROBE);
  const probeModule = '    (name = "probe.js", esModule = embed "probe.mjs"),\n';
  writeFileSync(join(app, "workerd-test.capnp"), config.replace(workerModule, probeModule + workerModule));
  const trap = await trapServer();
  const workerd = await start("workerd", app, join(app, "node_modules/.bin/workerd"), [
    "serve",
    "workerd-test.capnp",
    "--socket-addr",
    "http=127.0.0.1:0",
    "--external-addr",
    `origin=${new URL(origin.url).host}`,
    "--control-fd",
    "3",
  ]);
  // Inside checkWorker's watch of the origin's log, which would show the probe's request.
  const probe = async () => {
    for (const target of [trap.url, `${origin.url}/search?q=probe`]) {
      const answer = await get(workerd.url, `/__probe?url=${encodeURIComponent(target)}`);
      if (answer.body.blocked === undefined) fail(`workerd: the worker's fetch(${target}) was not refused: ${JSON.stringify(answer.body)}`);
    }
    if (trap.hits() > 0) fail("workerd: the worker reached the trap server through its global fetch");
  };
  const summary = await checkWorker("workerd", workerd, origin, cases, probe);
  t.step(`workerd: ${summary}; its global fetch refused (to a trap server and to the origin directly)`);
  await workerd.stop();

  const node = await start("node.mjs", app, process.execPath, ["node.mjs", "--port", "0", "--origin", origin.url]);
  t.step(`node: ${await checkWorker("node", node, origin, cases)}`);
  t.step(`node: demo page in Chromium: ${await checkPage(node.url)}`);
  await node.stop();

  // Deno's cache inside the copy; the permissions of the README's command.
  const denoEnv = { DENO_DIR: join(work, "deno-cache"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  const deno = await start(
    "deno.mjs",
    app,
    join(app, "node_modules/.bin/deno"),
    ["run", "--allow-net=127.0.0.1", "--allow-read=node_modules/tastebud", "deno.mjs", "--port", "0", "--origin", origin.url],
    denoEnv,
  );
  t.step(`deno: ${await checkWorker("deno", deno, origin, cases)}`);
  await deno.stop();
  await t.finish();
} catch (e) {
  await t.finish(e);
}

/** The requests every runtime answers, with what each must answer, from the origin's own
 * answers and tastebud's `rerank` in Node (the installed package's Node entries). */
async function makeCases(origin, installed) {
  const { Personalizer } = await import(pathToFileURL(join(installed, "node.js")).href);
  const { rerank } = await import(pathToFileURL(join(installed, "edge-node.js")).href);
  const shop = await Personalizer.create();
  for (const [id, title] of [
    ["85123A", "WHITE HANGING HEART T-LIGHT HOLDER"],
    ["21733", "RED HANGING HEART T-LIGHT HOLDER"],
    ["84978", "HANGING HEART JAR T-LIGHT HOLDER"],
  ]) {
    shop.record({ type: "view", item: { id, title, price: 2.95 } });
  }
  const good = shop.token({ epsilon: Infinity });
  const empty = (await Personalizer.create()).token({ epsilon: Infinity });
  const bytes = Buffer.from(good, "base64url");
  const altered = (i, f) => {
    const copy = Buffer.from(bytes);
    copy[i] = f(copy[i]);
    return copy.toString("base64url");
  };
  const bad = {
    truncated: [good.slice(0, 40), "token_malformed"],
    "wrong version": [altered(0, (b) => b + 1), "token_version"],
    "flipped bits": [altered(Math.floor(bytes.length / 2), (b) => b ^ 0x24), "token_checksum"],
    oversized: [good.repeat(3), "token_oversized"],
    "not base64url": [`${good.slice(0, 50)}*+/=${good.slice(54)}`, "token_malformed"],
    "no history": [empty, "token_empty"],
  };

  const cases = [];
  for (const q of ["", "bag"]) {
    const search = `/search?${new URLSearchParams({ q, n: "100" })}`;
    const served = (await get(origin.url, search)).body.results;
    const ranked = rerank(served, good, { query: q }).results;
    if (isDeepStrictEqual(ranked, served)) fail(`the good token leaves the origin's order for q="${q}": the test would prove nothing`);
    const expect = (results, rerankHeader, reason = rerankHeader) => ({ status: 200, rerank: rerankHeader, reason, results });
    cases.push(
      { what: `q="${q}" no token`, path: search, expect: expect(served, "token_missing") },
      { what: `q="${q}" good token (header)`, path: search, headers: { "x-tastebud-token": good }, expect: expect(ranked, "personalized", null) },
      { what: `q="${q}" good token (cookie)`, path: search, headers: { cookie: `other=1; tb=${good}` }, expect: expect(ranked, "personalized", null) },
      { what: `q="${q}" passthrough`, path: `/passthrough${search}`, headers: { "x-tastebud-token": good }, expect: expect(served, "passthrough") },
    );
    if (q === "") {
      for (const [name, [token, reason]] of Object.entries(bad)) {
        cases.push({ what: `${name} token`, path: search, headers: { "x-tastebud-token": token }, expect: expect(served, reason) });
      }
    }
  }
  cases.push({ what: "origin error", path: "/search?fail=1", expect: { status: 502 } });
  return cases;
}

/** Runs `probe` (if any), asks the worker at `server` every case, then checks the origin's log:
 * each request forwarded once, in order, and no other. Returns a summary. */
async function checkWorker(name, server, origin, cases, probe) {
  const began = Date.now();
  const logged = origin.lines().length;
  await probe?.();
  for (const { what, path, headers, expect } of cases) {
    const { status, rerank, body } = await get(server.url, path, headers);
    const wrong = (msg) => fail(`${name}, ${what}: ${msg}`);
    if (status !== expect.status) wrong(`status ${status}, expected ${expect.status}: ${JSON.stringify(body).slice(0, 300)}`);
    if (status === 502) {
      if (typeof body.error !== "string") wrong(`a 502 without a JSON error: ${JSON.stringify(body)}`);
      continue;
    }
    if (rerank !== expect.rerank) wrong(`x-tastebud-rerank: ${rerank}, expected ${expect.rerank}`);
    if (body.reason !== expect.reason || body.personalized !== (expect.reason === null)) {
      wrong(`personalized ${body.personalized}, reason ${body.reason}; expected reason ${expect.reason}`);
    }
    if (!isDeepStrictEqual(body.results, expect.results)) {
      const ids = (list) => list.slice(0, 8).map((item) => item.id).join(" ");
      wrong(`results ${ids(body.results)} …, expected ${ids(expect.results)} …`);
    }
  }
  // The origin logs a request as it answers: wait for the lines to come through its pipe.
  const forwarded = cases.map(({ path }) => path.replace(/^\/passthrough/, ""));
  const deadline = Date.now() + REQUEST_MS;
  while (origin.lines().length < logged + forwarded.length && Date.now() < deadline) await sleep(50);
  await sleep(200); // and for any line that should not be there
  const seen = origin.lines().slice(logged).map((line) => line.split(" ")[1]);
  if (!isDeepStrictEqual(seen, forwarded)) {
    fail(`${name}: the origin saw\n  ${seen.join("\n  ")}\nexpected\n  ${forwarded.join("\n  ")}`);
  }
  const count = (rerank) => cases.filter((c) => c.expect.rerank?.startsWith(rerank)).length;
  return (
    `${cases.length} requests in ${((Date.now() - began) / 1000).toFixed(1)} s: ${count("token_")} with no or a bad token kept the ` +
    `origin's order with the right reason, ${count("personalized")} with the good token (header or cookie) gave Node's rerank order, ` +
    `${count("passthrough")} passthrough kept the origin's order, origin error 502; the origin got exactly these ${seen.length} requests`
  );
}

/** Opens node.mjs's demo page: a new shopper gets the shop's order (token_empty), two views make
 * it personalised through the `tb` cookie, "Forget me" brings token_empty back. */
async function checkPage(url) {
  const browser = await t.browser();
  const { page, requests, ready, check } = await openPage(browser, url);
  const rerankIs = (want, after) =>
    page
      .waitForFunction((w) => document.body.dataset.rerank === w, want, { timeout: REQUEST_MS })
      .catch(async () => fail(`the page: after ${after}, data-rerank is not ${want} (status: ${await page.textContent("#status")})`));
  try {
    await ready('body[data-rerank="token_empty"]', REQUEST_MS);
    await page.click('button[data-id="85123A"]');
    await page.click('button[data-id="21733"]');
    await rerankIs("personalized", "two views");
    const cookie = (await page.context().cookies()).find((c) => c.name === "tb");
    if (!cookie) fail("the page: no tb cookie after two views");
    const shown = await page.$$eval("#ranked li", (lis) => lis.length);
    await page.click("#forget");
    await rerankIs("token_empty", '"Forget me"');
    check();
    return `token_empty, personalised after two views (tb cookie of ${cookie.value.length} characters, ${shown} results), token_empty after "Forget me"; ${requests.length} requests, all to the page's origin`;
  } finally {
    await page.close();
  }
}

/** Starts `cmd args` in `cwd` in its own process group; resolves once it says where it listens
 * (a `listening on URL` line, or workerd's control message on fd 3) to `{ url, lines, stop }`:
 * `lines()` is its output so far, `stop()` ends the whole group (done at the end anyway). */
async function start(name, cwd, cmd, args, env = {}) {
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    detached: true, // a group of its own, so wrappers (npm's bin shims) go with it
  });
  let output = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const signal = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    if (!alive()) return;
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  // Even if this process ends without `finish` (an uncaught error in a callback).
  process.once("exit", () => alive() && signal("SIGKILL"));
  t.atExit(stop);
  const url = new Promise((resolve) => {
    child.stdout.on("data", (d) => {
      output += d;
      const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (listening) resolve(listening[1]);
    });
    child.stdio[3].on("data", (d) => {
      const port = /"port":(\d+)/.exec(String(d));
      if (port) resolve(`http://127.0.0.1:${port[1]}`);
    });
  });
  child.stderr.on("data", (d) => (output += d));
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, START_MS, "timed out")));
  const started = await Promise.race([url, exited.then(() => "exited"), timeout]);
  clearTimeout(timer); // or it would keep this process alive
  if (!started.startsWith("http")) {
    await stop();
    fail(`${name} did not start (${started}):\n${output}`);
  }
  return { url: started, stop, lines: () => output.split("\n").filter((line) => /^[A-Z]+ \//.test(line)) };
}

/** A server that only counts the requests reaching it: the worker must never get there. */
async function trapServer() {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.end("trapped");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.atExit(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${server.address().port}/`, hits: () => hits };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
