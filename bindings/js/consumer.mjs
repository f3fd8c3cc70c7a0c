// The consumer test: packs pkg/ as `npm publish` would, installs the tarball into a fresh
// project and uses it as a user would: from Node (ESM), from a page in headless Chromium, and
// from TypeScript (`tsc --strict`). Run by `make test` after `make pkg`.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch, serve } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "../../pkg");
const work = mkdtempSync(join(tmpdir(), "tastebud-consumer-"));
const run = (cmd, args, opts = {}) =>
  String(execFileSync(cmd, args, { cwd: work, stdio: ["ignore", "pipe", "inherit"], ...opts }) ?? "");
const fail = (msg) => {
  console.error(`consumer test FAILED: ${msg}`);
  process.exit(1);
};

try {
  const [packed] = JSON.parse(run("npm", ["pack", pkg, "--pack-destination", work, "--json"]));
  const files = packed.files.map((f) => f.path);
  for (const f of ["package.json", "README.md", "DATA-LICENSE.md", "index.js", "node.js", "worker.js", "index.d.ts", "tastebud_bg.wasm", "gpu.js", "gpu.d.ts", "tastebud_gpu_bg.wasm"]) {
    if (!files.includes(f)) fail(`${f} is missing from the packed package (${files.join(", ")})`);
  }
  console.log(`packed ${packed.filename}: ${packed.size} bytes, ${files.length} files`);

  cpSync(join(here, "consumer"), work, { recursive: true });
  writeFileSync(join(work, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", join(work, packed.filename)]);

  process.stdout.write(run("node", ["node.mjs"]));

  run("node", [join(here, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { stdio: "inherit" });
  console.log("typescript: usage.ts and gpu.ts type-check against the installed package (strict, no any)");

  const server = await serve(work);
  const browser = await launch();
  try {
    for (const via of ["default", "module", "bytes"]) {
      const page = await browser.newPage();
      const requests = [];
      page.on("request", (r) => requests.push(r.url()));
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${server.url}?via=${via}`);
      await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
      const { ok, result, error } = await page.evaluate(() => window.result);
      if (!ok || errors.length) fail(`in Chromium, wasm loaded by ${via}: ${error ?? errors.join("\n")}`);
      const foreign = requests.filter((u) => !u.startsWith(server.url));
      if (foreign.length) fail(`the page requested other origins: ${foreign.join(", ")}`);
      const wasm = requests.filter((u) => u.endsWith(".wasm")).length;
      if (wasm !== 1) fail(`the page fetched the .wasm ${wasm} times`);
      console.log(`chromium (wasm loaded by ${via}): ${JSON.stringify(result)}; ${requests.length} requests, all to the page's origin`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  await inWorkerd();
  console.log("consumer test passed");
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Runs the scenario in workerd, the runtime of Cloudflare Workers. */
async function inWorkerd() {
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const config = join(work, "workerd.capnp");
  writeFileSync(config, readFileSync(config, "utf8").replace("127.0.0.1:PORT", `127.0.0.1:${port}`));
  const workerd = spawn(join(here, "node_modules/.bin/workerd"), ["serve", config], { cwd: work, stdio: "inherit" });
  try {
    let answer;
    for (let tries = 0; tries < 100 && !answer; tries++) {
      answer = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.json(), () => undefined);
      if (!answer) await new Promise((r) => setTimeout(r, 100));
    }
    if (!answer?.ok) fail(`in workerd: ${answer?.error ?? "workerd did not answer"}`);
    console.log(`workerd: ${JSON.stringify(answer.result)}`);
  } finally {
    workerd.kill();
  }
}
