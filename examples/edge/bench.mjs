// The edge worker's load benchmark: how many searches per second the worker of this example
// (workerd.capnp, the bundle of worker.mjs) re-ranks on one core with 100 candidates, at what
// latency, at what cost beside the same worker passing the origin's order through, and whether
// its memory stays flat over a long run.
//
// It installs the example as test.mjs does (a temporary copy of examples/edge and pkg/, `npm ci`
// from the committed lockfile, `npm run build`), then:
//   - asks origin.mjs once, on the Online Retail catalog, for `GET /search?q=…&n=100` of a few
//     queries, and serves those exact answers (100 items each) from memory with a tiny fixed
//     origin, so the origin costs next to nothing under load;
//   - makes a few shoppers' tokens in Node with the installed package (views, a cart, a purchase;
//     ε = Infinity), each checked to personalise every query;
//   - starts workerd pinned to core 0 (`taskset -c 0`); this process (the load generator,
//     autocannon's programmatic API) and the origin run on core 1, so the figures are those of
//     the worker's one core;
//   - checks every query × token through the worker: 200, `x-tastebud-rerank: personalized` and
//     the order of the package's own `rerank` in Node; on `/passthrough/search`, the origin's order;
//   - warms both routes up, then alternates rounds of `/passthrough/search` and `/search` (the
//     same requests, each with a token, cycling through the queries × tokens) so the machine's
//     noise hits both alike, and reports the median of rounds of each;
//   - sends `--requests` personalised requests more in ten equal parts, sampling workerd's
//     resident memory (VmRSS of /proc/PID/status) before and after each part;
//   - checks every query × token again, and prints the figures beside the issue's bars (reported,
//     never asserted: a missed bar does not fail the run; an error or a non-200 answer does).
//
// Run from the repository's root after `make pkg` and `make catalog`:
//   node examples/edge/bench.mjs [--requests 1000000] [--round-seconds 10] [--rounds 5]
//     [--warmup-seconds 5] [--connections 10] [--out figures.json] [--catalog www/data/catalog.json]
// A quick check: --requests 50000 --round-seconds 3 --rounds 2.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, constants } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isDeepStrictEqual, parseArgs } from "node:util";
import { Failure, fail, install, root } from "../harness.mjs";
import { get } from "./requests.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const START_MS = 120_000; // for a server to start, on a loaded machine
const MIB = 1024;

// The issue's bars.
const BAR_RPS = 2000; // re-rank requests per second on one core, 100 candidates
const BAR_P99_MS = 10;
const BAR_RATIO = 0.5; // personalised rps / pass-through rps
const BAR_REQUESTS = 1_000_000; // memory flat over this many requests
const FLAT_GROWTH = 0.05; // "flat": RSS at 100% at most 5% above RSS at 20%

const N = 100; // candidates per search
const QUERIES = ["holder", "bag", "christmas", "heart"]; // each matches over 100 catalog titles
// The shoppers: what each did, as title fragments of catalog items (the best sellers matching).
const SHOPPERS = [
  { views: ["T-LIGHT HOLDER"], carts: [] },
  { views: ["LUNCH BAG"], carts: ["JUMBO BAG"] },
  { views: ["CHRISTMAS"], carts: ["CHRISTMAS"], purchases: ["PAPER CHAIN KIT"] },
  { views: ["VINTAGE", "RETROSPOT"], carts: ["CAKE"] },
];

const { values: opts } = parseArgs({
  options: {
    requests: { type: "string", default: String(BAR_REQUESTS) },
    "round-seconds": { type: "string", default: "10" },
    rounds: { type: "string", default: "5" },
    "warmup-seconds": { type: "string", default: "5" },
    connections: { type: "string", default: "10" }, // autocannon's own default
    out: { type: "string" },
    catalog: { type: "string", default: join(root, "www/data/catalog.json") },
  },
});
const positive = (name, integer = true) => {
  const v = Number(opts[name]);
  if (!(v > 0) || (integer && !Number.isInteger(v))) abort(`--${name} must be a positive ${integer ? "integer" : "number"}, not ${opts[name]}`);
  return v;
};
const REQUESTS = positive("requests");
const ROUND_S = positive("round-seconds", false);
const ROUNDS = positive("rounds");
const WARMUP_S = positive("warmup-seconds", false);
const CONNECTIONS = positive("connections");
const OUT = opts.out && resolve(opts.out);
const CATALOG = resolve(opts.catalog);
if (REQUESTS < 10 * CONNECTIONS) abort(`--requests must be at least 10 × --connections (${10 * CONNECTIONS})`);

// Every child process and the temporary copy go at exit, whatever the way out.
const children = new Set();
const removals = []; // the temporary copy's removal, registered by `install`
const tidySync = () => {
  for (const child of children) signal(child, "SIGKILL");
  for (const remove of removals.splice(0)) remove();
};
process.on("exit", tidySync);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(sig, () => {
    console.error(`\nedge bench: interrupted by ${sig}; stopping`);
    stopAll().finally(() => process.exit(128 + constants.signals[sig]));
  });
}

const began = Date.now();
const log = (msg) => console.log(`edge bench: ${msg}`);

async function main() {
  if (!existsSync(join(root, "pkg/tastebud_bg.wasm"))) fail("pkg/ is not built; run `make pkg` first");
  if (!existsSync(CATALOG)) fail(`no catalog at ${CATALOG}: run \`make catalog\` first, or give --catalog`);

  // Cores: workerd on 0, the rest (this process, the origin) on 1.
  const pinned = canPin();
  if (pinned) {
    log(`pinning: workerd on core 0 (taskset -c 0); this process (autocannon) and the origin on core 1`);
  } else {
    log(`WARNING: cannot pin (needs taskset and 2 cores; ${availableParallelism()} here): nothing pinned, the figures are not one core's`);
  }

  const installed = install(here, ["dist"], { atExit: (remove) => removals.push(remove) });
  const { work, app, run, version } = installed;
  run("npm", ["run", "build"], "npm run build (esbuild)");
  const versions = { workerd: version("workerd"), autocannon: version("autocannon"), tastebud: version("tastebud"), node: process.versions.node };
  log(`installed and bundled in ${seconds(Date.now() - began)}: workerd ${versions.workerd}, autocannon ${versions.autocannon}, tastebud ${versions.tastebud}`);
  if (pinned) execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
  const autocannon = createRequire(join(app, "package.json"))("autocannon");

  // The origin's answers, from origin.mjs once, then served as they are by a fixed origin.
  const searchOf = (q) => `/search?q=${encodeURIComponent(q)}&n=${N}`;
  const answers = {};
  {
    const origin = await start("origin.mjs", app, process.execPath, ["origin.mjs", "--port", "0", "--catalog", CATALOG], pinned && 1);
    for (const q of QUERIES) {
      const { status, body } = await get(origin.url, searchOf(q));
      if (status !== 200 || body.results?.length !== N) fail(`origin.mjs: ${searchOf(q)} gave ${status} with ${body.results?.length} results, not ${N}`);
      answers[searchOf(q)] = body;
    }
    await origin.stop();
  }
  writeFileSync(join(work, "answers.json"), JSON.stringify(answers));
  writeFileSync(join(work, "fixed-origin.mjs"), FIXED_ORIGIN);
  const origin = await start("fixed origin", work, process.execPath, ["fixed-origin.mjs", "answers.json"], pinned && 1);
  const answerBytes = Object.values(answers).map((a) => JSON.stringify(a).length);
  const originNote =
    `a fixed origin (this benchmark's, on core ${pinned ? 1 : "any"}) answering from memory the JSON origin.mjs gave for ` +
    `${QUERIES.length} queries (${QUERIES.join(", ")}), ${N} Online Retail items each (${kb(Math.min(...answerBytes))}–${kb(Math.max(...answerBytes))})`;
  log(`origin: ${originNote}`);

  // The shoppers' tokens, each checked in Node to personalise every query.
  const { Personalizer } = await import(pathToFileURL(join(installed.installed, "node.js")).href);
  const { rerank } = await import(pathToFileURL(join(installed.installed, "edge-node.js")).href);
  const items = JSON.parse(readFileSync(CATALOG, "utf8")).items.sort((a, b) => b.sold - a.sold);
  const pick = (fragment, count) => items.filter((i) => i.title.includes(fragment)).slice(0, count);
  const tokens = [];
  for (const [s, shopper] of SHOPPERS.entries()) {
    const shop = await Personalizer.create();
    const record = (type, fragments, count) => {
      for (const f of fragments ?? []) {
        const found = pick(f, count);
        if (found.length === 0) fail(`no catalog item has "${f}" in its title`);
        for (const { id, title, price } of found) shop.record({ type, item: { id, title, price } });
      }
    };
    record("view", shopper.views, 4);
    record("add_to_cart", shopper.carts, 1);
    record("purchase", shopper.purchases, 1);
    const token = shop.token({ epsilon: Infinity });
    for (const q of QUERIES) {
      const r = rerank(answers[searchOf(q)].results, token, { query: q });
      if (!r.personalized) fail(`shopper ${s + 1}'s token does not personalise q=${q} in Node: ${r.reason}`);
    }
    tokens.push(token);
  }
  // The requests, every query with every token; both routes send the same ones.
  const combos = tokens.flatMap((token) => QUERIES.map((q) => ({ q, token, search: searchOf(q) })));
  const expected = combos.map(({ q, token, search }) => rerank(answers[search].results, token, { query: q }).results);
  const reordered = combos.filter((c, i) => !isDeepStrictEqual(expected[i], answers[c.search].results)).length;
  log(
    `${tokens.length} shoppers' tokens (${tokens.map((t) => t.length).join(", ")} characters, ε = Infinity) × ${QUERIES.length} queries: ` +
      `${combos.length} requests, ${reordered} of them re-ordered by the token`,
  );

  // workerd with the example's own configuration, on core 0.
  const workerd = await start(
    "workerd",
    app,
    join(app, "node_modules/.bin/workerd"),
    ["serve", "workerd.capnp", "--socket-addr", "http=127.0.0.1:0", "--external-addr", `origin=${new URL(origin.url).host}`, "--control-fd", "3"],
    pinned && 0,
  );
  const comm = readFileSync(`/proc/${workerd.pid}/comm`, "utf8").trim();
  if (comm !== "workerd") fail(`the process started as workerd is ${comm}, not workerd: its memory would not be the worker's`);
  const rssAtStart = memory(workerd.pid);
  log(`workerd listening on ${workerd.url} (pid ${workerd.pid}, VmRSS ${mib(rssAtStart.rss)} before any request)`);

  const check = async (when) => {
    for (const [i, { search, token }] of combos.entries()) {
      for (const [route, results, rerankHeader] of [
        [search, expected[i], "personalized"],
        [`/passthrough${search}`, answers[search].results, "passthrough"],
      ]) {
        const answer = await get(workerd.url, route, { "x-tastebud-token": token });
        if (answer.status !== 200 || answer.rerank !== rerankHeader || !isDeepStrictEqual(answer.body.results, results)) {
          fail(`${when}: ${route} with shopper ${Math.floor(i / QUERIES.length) + 1}'s token gave ${answer.status}, x-tastebud-rerank ${answer.rerank}, not the expected order`);
        }
      }
    }
    log(`${when}: the ${combos.length} requests answered right on both routes (the order of the package's rerank in Node; the origin's)`);
  };
  await check("before the load");

  /** Load on `route` ("personalised" or "pass-through") for `duration` seconds, or for `amount`
   * requests within `limit` seconds: rps (autocannon's mean of 1 s samples), latencies (ms,
   * measured on each response), failures, CPU times. */
  const load = async (route, { duration, amount, limit, latencies = true }) => {
    const prefix = route === "pass-through" ? "/passthrough" : "";
    const requests = combos.map(({ search, token }) => ({ method: "GET", path: prefix + search, headers: { "x-tastebud-token": token } }));
    const times = [];
    const cpu0 = cpuSeconds(workerd.pid);
    const other0 = cpuSeconds(origin.pid) + cpuOfThis();
    const t0 = process.hrtime.bigint();
    let guard;
    let guarded = false;
    let answered = 0;
    let lastAnswer = 0;
    const result = await new Promise((resolve, reject) => {
      const tracker = autocannon(
        { url: workerd.url, connections: CONNECTIONS, pipelining: 1, timeout: 10, ...(amount ? { amount } : { duration }), requests },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
      tracker.on("response", (client, status, bytes, ms) => {
        if (latencies) times.push(ms);
        answered++;
        lastAnswer = Number(process.hrtime.bigint() - t0) / 1e9;
      });
      if (amount) guard = setTimeout(() => ((guarded = true), tracker.stop()), limit * 1000);
    });
    clearTimeout(guard);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds(workerd.pid) - cpu0;
    const other = cpuSeconds(origin.pid) + cpuOfThis() - other0;
    times.sort((a, b) => a - b);
    // autocannon counts a timeout among the errors too.
    const failures = result.errors + result.non2xx + result.mismatches + (guarded ? 1 : 0);
    return {
      // For a fixed amount, autocannon's run ends at its next 1 s tick: the rate is over the
      // time to the last answer then, not its 1 s samples.
      rps: amount ? answered / lastAnswer : result.requests.average,
      requests: result.requests.total,
      seconds: result.duration,
      p50: percentile(times, 0.5),
      p99: percentile(times, 0.99),
      failures,
      detail: { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, mismatches: result.mismatches, statusCodes: result.statusCodeStats, stoppedByTimeGuard: guarded },
      workerdCpu: cpu / wall, // the share of a core workerd used
      otherCpu: other / wall, // the load generator's and the origin's (core 1)
    };
  };
  const failures = [];
  const tally = (what, r) => {
    if (r.failures > 0) failures.push(`${what}: ${JSON.stringify(r.detail)}`);
    return r;
  };

  // Warm-up, then alternating rounds.
  const roundsTime = 2 * (WARMUP_S + ROUNDS * ROUND_S);
  log(`warm-up (${WARMUP_S} s per route) and ${ROUNDS} round${ROUNDS > 1 ? "s" : ""} of ${ROUND_S} s per route, ${CONNECTIONS} connections: about ${seconds(roundsTime * 1000 * 1.1)}`);
  tally("warm-up pass-through", await load("pass-through", { duration: WARMUP_S }));
  tally("warm-up personalised", await load("personalised", { duration: WARMUP_S }));
  const rounds = { "pass-through": [], personalised: [] };
  for (let r = 1; r <= ROUNDS; r++) {
    for (const route of ["pass-through", "personalised"]) {
      const x = tally(`round ${r} ${route}`, await load(route, { duration: ROUND_S }));
      rounds[route].push(x);
      log(
        `round ${r}/${ROUNDS} ${route.padEnd(12)} ${fmtInt(x.rps).padStart(6)} rps, p50 ${fmtMs(x.p50)} ms, p99 ${fmtMs(x.p99)} ms, ` +
          `CPU: workerd ${pct(x.workerdCpu)} of a core, load generator + origin ${pct(x.otherCpu)}; ${x.failures} failed`,
      );
    }
  }
  const summary = (list) => ({
    rps: median(list.map((x) => x.rps)),
    p50: median(list.map((x) => x.p50)),
    p99: median(list.map((x) => x.p99)),
    workerdCpu: median(list.map((x) => x.workerdCpu)),
    otherCpu: median(list.map((x) => x.otherCpu)),
    rpsPerCore: median(list.map((x) => x.rps / x.workerdCpu)),
    requests: list.reduce((s, x) => s + x.requests, 0),
    failures: list.reduce((s, x) => s + x.failures, 0),
    rounds: list.map(({ rps, p50, p99, requests, seconds, workerdCpu, otherCpu, failures }) => ({
      rps,
      p50_ms: p50,
      p99_ms: p99,
      requests,
      seconds,
      workerd_cpu: workerdCpu,
      load_generator_and_origin_cpu: otherCpu,
      failures,
    })),
  });
  const personalised = summary(rounds.personalised);
  const passthrough = summary(rounds["pass-through"]);
  const ratio = personalised.rps / passthrough.rps;

  // Memory over `REQUESTS` personalised requests, in ten parts.
  const part = Math.floor(REQUESTS / 10);
  const partsTotal = part * 10;
  log(`memory: ${fmtInt(partsTotal)} personalised requests in 10 parts, about ${seconds((partsTotal / personalised.rps) * 1000)} at the rounds' rate`);
  const rss = [memory(workerd.pid)];
  const memRuns = [];
  const memBegan = Date.now();
  for (let i = 1; i <= 10; i++) {
    // Bounded in time all the same: a part may take 10 times as long as at the rounds' rate.
    const limit = Math.max(60, (10 * part) / personalised.rps);
    const x = tally(`memory part ${i}`, await load("personalised", { amount: part, limit, latencies: false }));
    memRuns.push(x);
    rss.push(memory(workerd.pid));
    log(`memory: ${String(i * 10).padStart(3)}% (${fmtInt(i * part)} requests): VmRSS ${mib(rss[i].rss)}, ${fmtInt(x.rps)} rps, ${x.failures} failed`);
  }
  const memSeconds = (Date.now() - memBegan) / 1000;
  const growth = rss[10].rss - rss[2].rss;
  const growthRel = growth / rss[2].rss;

  await check("after the load");
  const totalFailures = failures.length;

  // The figures.
  const bars = [
    {
      bar: `≥ ${fmtInt(BAR_RPS)} re-rank requests per second on one core, ${N} candidates`,
      value: `${fmtInt(personalised.rps)} rps`,
      met: personalised.rps >= BAR_RPS,
      note: pinned ? null : "not pinned: not one core's figure",
    },
    { bar: `p99 ≤ ${BAR_P99_MS} ms (personalised, ${CONNECTIONS} connections)`, value: `${fmtMs(personalised.p99)} ms`, met: personalised.p99 <= BAR_P99_MS },
    {
      bar: `memory flat over ${fmtInt(BAR_REQUESTS)} requests (VmRSS at 100% ≤ ${FLAT_GROWTH * 100}% above 20%)`,
      value: `${growth >= 0 ? "+" : ""}${mibUp(growth)} (${growthRel >= 0 ? "+" : ""}${pctUp(growthRel)}) over ${fmtInt(partsTotal)} requests`,
      met: partsTotal >= BAR_REQUESTS ? growthRel <= FLAT_GROWTH : null,
      note: partsTotal >= BAR_REQUESTS ? null : `only ${fmtInt(partsTotal)} requests (--requests ${REQUESTS}): the bar is not measured`,
    },
    { bar: `personalised ≥ ${BAR_RATIO}× the pass-through throughput`, value: `${floorTo(ratio, 3)}×`, met: ratio >= BAR_RATIO },
  ];

  const line = (cells, widths) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  const w = [14, 12, 30, 8, 8, 12, 12, 12, 6];
  console.log("");
  console.log(
    `edge worker in workerd ${versions.workerd} (tastebud ${versions.tastebud}), ${pinned ? "pinned to core 0" : "NOT pinned"}; ` +
      `autocannon ${versions.autocannon} and the origin on ${pinned ? "core 1" : "any core"}; Node ${versions.node}`,
  );
  console.log(`origin: ${originNote}`);
  console.log(
    `load: GET …/search?q=…&n=${N} with x-tastebud-token, ${combos.length} requests cycled (${QUERIES.length} queries × ${tokens.length} tokens), ` +
      `${CONNECTIONS} connections; ${ROUNDS} alternating round${ROUNDS > 1 ? "s" : ""} of ${ROUND_S} s per route after ${WARMUP_S} s of warm-up each`,
  );
  console.log("");
  console.log(line(["route", "rps (median)", "rps of each round", "p50 ms", "p99 ms", "CPU workerd", "CPU gen+orig", "rps/workerd", "failed"], w));
  for (const [name, s] of [
    ["personalised", personalised],
    ["pass-through", passthrough],
  ]) {
    console.log(
      line(
        [name, fmtInt(s.rps), s.rounds.map((r) => fmtInt(r.rps)).join(" "), fmtMs(s.p50), fmtMs(s.p99), pct(s.workerdCpu), pct(s.otherCpu), fmtInt(s.rpsPerCore), s.failures],
        w,
      ),
    );
  }
  console.log(line(["ratio", `${floorTo(ratio, 3)}×`, "personalised / pass-through", "", "", "", "", `${floorTo(personalised.rpsPerCore / passthrough.rpsPerCore, 3)}×`, ""], w));
  console.log("rps: autocannon's mean of 1 s samples; p50/p99: of each round's responses (measured to the µs), median of rounds;");
  console.log("CPU: CPU time over wall time, in cores, median of rounds (workerd on core 0; the load generator and the origin on core 1:");
  console.log("near 100% there would mean they, not the worker, limit the rate); rps/workerd: rps per second of workerd's CPU time,");
  console.log("the figure least sensitive to other load on the machine");
  console.log("");
  console.log(
    `memory: workerd VmRSS over ${fmtInt(partsTotal)} personalised requests after the rounds (${seconds(memSeconds * 1000)}; ` +
      `the parts at a median ${fmtInt(median(memRuns.map((x) => x.rps)))} rps)`,
  );
  console.log(`  at start, before any request: ${mib(rssAtStart.rss)}`);
  console.log(`  ${rss.map((_, i) => `${i * 10}%`.padStart(6)).join("")}  %`);
  console.log(`  ${rss.map((m) => (m.rss / MIB).toFixed(1).padStart(6)).join("")}  MiB`);
  console.log(`  growth 20% → 100%: ${bars[2].value}; peak (VmHWM) ${mib(rss[10].hwm)}`);
  console.log("");
  console.log(`failed requests (errors, timeouts, non-200): ${totalFailures === 0 ? "0" : failures.join("; ")}`);
  console.log("");
  console.log("bars (reported, not asserted; figures rounded against the bar):");
  for (const b of bars) {
    const status = b.met === null ? "NOT MEASURED" : b.met ? "met" : "MISSED";
    console.log(`  ${b.bar}: ${b.value}  ${status}${b.note ? ` (${b.note})` : ""}`);
  }
  console.log("");
  log(`done in ${seconds(Date.now() - began)}`);

  if (OUT) {
    const figures = {
      date: new Date().toISOString(),
      versions,
      setup: {
        pinned,
        workerd_core: pinned ? 0 : null,
        load_generator_and_origin_core: pinned ? 1 : null,
        origin: originNote,
        candidates: N,
        queries: QUERIES,
        tokens: tokens.length,
        connections: CONNECTIONS,
        rounds: ROUNDS,
        round_seconds: ROUND_S,
        warmup_seconds: WARMUP_S,
        requests: partsTotal,
      },
      personalised: routeFigures(personalised),
      passthrough: routeFigures(passthrough),
      ratio,
      memory: {
        requests: partsTotal,
        seconds: memSeconds,
        rss_kib_at_start: rssAtStart.rss,
        at_percent: rss.map((_, i) => i * 10),
        rss_kib: rss.map((m) => m.rss),
        hwm_kib: rss[10].hwm,
        growth_20_100_kib: growth,
        growth_20_100_relative: growthRel,
        failures: memRuns.reduce((s, x) => s + x.failures, 0),
      },
      failures,
      bars: bars.map(({ bar, value, met, note }) => ({ bar, value, met, note: note ?? null })),
    };
    writeFileSync(OUT, `${JSON.stringify(figures, null, 2)}\n`);
    log(`figures written to ${OUT}`);
  }
  if (totalFailures > 0) {
    console.error(`edge bench FAILED: ${totalFailures} load runs had failed requests`);
    return 1;
  }
  return 0;
}

// The fixed origin: `GET <path and query>` answers the prepared JSON for it, from memory, or 404.
const FIXED_ORIGIN = `import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const answers = new Map(
  Object.entries(JSON.parse(readFileSync(process.argv[2], "utf8"))).map(([url, body]) => [url, Buffer.from(JSON.stringify(body))]),
);
const server = createServer((req, res) => {
  const body = answers.get(req.url);
  if (body === undefined || req.method !== "GET") {
    res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not a prepared search"}');
    return;
  }
  res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log("listening on http://127.0.0.1:" + server.address().port));
`;

/** A route's figures for the JSON file. */
function routeFigures(s) {
  return {
    rps_median: s.rps,
    p50_ms: s.p50,
    p99_ms: s.p99,
    workerd_cpu: s.workerdCpu,
    load_generator_and_origin_cpu: s.otherCpu,
    rps_per_workerd_core: s.rpsPerCore,
    failures: s.failures,
    rounds: s.rounds,
  };
}

/** Whether workerd can have core 0 and the rest core 1. */
function canPin() {
  if (process.platform !== "linux" || availableParallelism() < 2) return false;
  try {
    const mask = execFileSync("taskset", ["-p", String(process.pid)], { encoding: "utf8" });
    const bits = Number.parseInt(/:\s*([0-9a-f]+)\s*$/i.exec(mask)?.[1] ?? "0", 16);
    return (bits & 3) === 3;
  } catch {
    return false;
  }
}

/** Starts `cmd args` in `cwd` (on core `cpu` if it is a number) in its own process group;
 * resolves once it says where it listens (a `listening on URL` line, or workerd's control
 * message on fd 3) to `{ url, pid, stop }`. */
async function start(name, cwd, cmd, args, cpu) {
  const [file, argv] = typeof cpu === "number" ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd, stdio: ["ignore", "pipe", "pipe", "pipe"], detached: true });
  children.add(child);
  let output = "";
  const keep = (d) => (output = (output + d).slice(-20_000));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  exited.then(() => children.delete(child));
  const stop = async () => {
    if (!alive(child)) return;
    signal(child, "SIGTERM");
    const timer = setTimeout(() => signal(child, "SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  child.stopNow = stop;
  const url = new Promise((resolve) => {
    child.stdout.on("data", (d) => {
      keep(d);
      const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (listening) resolve(listening[1]);
    });
    child.stdio[3].on("data", (d) => {
      const port = /"port":(\d+)/.exec(String(d));
      if (port) resolve(`http://127.0.0.1:${port[1]}`);
    });
  });
  child.stderr.on("data", keep);
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, START_MS, "timed out")));
  const started = await Promise.race([url, exited.then(() => "exited"), timeout]);
  clearTimeout(timer);
  if (!started.startsWith("http")) {
    await stop();
    fail(`${name} did not start (${started}):\n${output}`);
  }
  // Its output is still read (a full pipe would stall it), and shown if it dies.
  exited.then((code) => code !== 0 && code !== null && console.error(`edge bench: ${name} exited with ${code}:\n${output}`));
  return { url: started, pid: child.pid, stop };
}

function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

function signal(child, sig) {
  if (!alive(child)) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // already gone
  }
}

async function stopAll() {
  await Promise.all([...children].map((c) => c.stopNow?.()));
  tidySync();
}

/** VmRSS and VmHWM of `pid`, in KiB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(new RegExp(`^${name}:\\s*(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;
  } catch {
    return 100;
  }
})();

/** The CPU time of `pid` (all its threads, user and system), in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // from the 3rd field on
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (14th, 15th)
}

/** This process's CPU time (all its threads), in seconds. */
function cpuOfThis() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** The `q` quantile of sorted `xs` (nearest rank). */
function percentile(xs, q) {
  if (xs.length === 0) return Number.NaN;
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Rounded against the bars: throughputs and ratios down, latencies and growth up.
function fmtInt(x) {
  return Math.floor(x).toLocaleString("en-US");
}
function fmtMs(x) {
  return (Math.ceil(x * 100) / 100).toFixed(2);
}
function floorTo(x, digits) {
  const f = 10 ** digits;
  return (Math.floor(x * f) / f).toFixed(digits);
}
function pct(x) {
  return `${Math.round(x * 100)}%`;
}
function pctUp(x) {
  return `${(Math.ceil(x * 1000) / 10).toFixed(1)}%`;
}
function mib(kib) {
  return `${(kib / MIB).toFixed(1)} MiB`;
}
function mibUp(kib) {
  return `${(Math.ceil((kib / MIB) * 10) / 10).toFixed(1)} MiB`;
}
function kb(bytes) {
  return `${(bytes / 1000).toFixed(1)} kB`;
}
function seconds(ms) {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function abort(msg) {
  console.error(`edge bench: ${msg}`);
  process.exit(2);
}

// Run, once every declaration above is in place.
let exitCode = 0;
try {
  exitCode = await main();
} catch (e) {
  console.error(`edge bench FAILED: ${e instanceof Failure ? e.message : (e?.stack ?? e)}`);
  exitCode = 1;
}
await stopAll();
process.exit(exitCode);
