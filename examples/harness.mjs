// Shared by the examples' tests (examples/vite/test.mjs, examples/next/test.mjs): the example
// installed as a user installs it, in a temporary directory; its servers on free ports of
// 127.0.0.1; pages in Debian's headless Chromium (bindings/js/browser.mjs), with their errors and
// requests collected.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

/** A failed check: its message alone is reported (other errors with their stack). */
export class Failure extends Error {}
export const fail = (msg) => {
  throw new Failure(msg);
};

/** The test of the example `name`: `step` logs, `finish` tidies up and reports. Exits at once if
 * pkg/ is not built or the browser helper cannot load. */
export async function begin(name) {
  const started = Date.now();
  const step = (msg) => console.log(`${name} example: ${msg}`);
  const abort = (msg) => {
    console.error(`${name} example test FAILED: ${msg}`);
    process.exit(1);
  };
  if (!existsSync(join(root, "pkg/tastebud_bg.wasm"))) abort("pkg/ is not built; run `make pkg` (or scripts/pkg.sh) first");
  // playwright-core comes with the JavaScript tests' packages (bindings/js, `make setup`).
  let launch;
  try {
    ({ launch } = await import("../bindings/js/browser.mjs"));
  } catch (e) {
    abort(`cannot load bindings/js/browser.mjs (run \`make setup\`): ${e.message}`);
  }
  const cleanups = [];
  const atExit = (f) => cleanups.unshift(f);
  let browser;
  return {
    step,
    /** Runs `f` in `finish` (the last registered first). */
    atExit,
    /** `install` (below), its copy removed in `finish`. */
    install: (dir, skip, options) => install(dir, skip, { ...options, atExit }),
    /** `startServer` (below), stopped in `finish` if not before. */
    async startServer(cwd, args, options) {
      const server = await startServer(cwd, args, options);
      atExit(server.stop);
      return server;
    },
    /** Headless Chromium, launched once, closed in `finish`. */
    async browser() {
      if (!browser) {
        browser = await launch();
        atExit(() => browser.close());
      }
      return browser;
    },
    async finish(error) {
      for (const f of cleanups) {
        try {
          await f();
        } catch (e) {
          error ??= e;
        }
      }
      if (error) {
        console.error(`${name} example test FAILED: ${error instanceof Failure ? error.message : (error?.stack ?? error)}`);
        process.exitCode = 1;
      } else {
        step(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    },
  };
}

/** Copies the example at `dir` (leaving out `skip`: node_modules, build output) and the built
 * package (pkg/) into a temporary directory with the repository's layout, so `file:../../pkg` in
 * the committed package.json and lockfile resolves, and installs it from the committed lockfile
 * (`npm ci`; the example's .npmrc installs tastebud as a packed copy). Returns `{ work, app,
 * run }`: `run(cmd, args, what, options)` runs a command in the copy, its output shown only if it
 * fails. Without `atExit`, the caller removes `work`. */
export function install(dir, skip, { env, timeout = 300_000, atExit } = {}) {
  const work = mkdtempSync(join(tmpdir(), `tastebud-${basename(dir)}-`));
  atExit?.(() => rmSync(work, { recursive: true, force: true }));
  const app = join(work, "examples", basename(dir));
  const leave = new Set(["node_modules", ...skip]);
  cpSync(dir, app, { recursive: true, filter: (src) => !leave.has(basename(src)) });
  cpSync(join(root, "pkg"), join(work, "pkg"), { recursive: true });
  const run = (cmd, args, what, options = {}) => {
    try {
      return String(
        execFileSync(cmd, args, {
          cwd: app,
          stdio: ["ignore", "pipe", "pipe"],
          timeout,
          env: { ...process.env, ...env },
          ...options,
        }),
      );
    } catch (e) {
      fail(`${what} failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
    }
  };
  run("npm", ["ci", "--no-audit", "--no-fund"], "installing from the committed lockfile");
  const installed = join(app, "node_modules/tastebud");
  if (lstatSync(installed).isSymbolicLink()) fail("node_modules/tastebud is a symlink; .npmrc should set install-links=true");
  const version = (name) => JSON.parse(readFileSync(join(app, "node_modules", name, "package.json"), "utf8")).version;
  return { work, app, run, installed, version };
}

/** A free port of 127.0.0.1. */
export function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `node <args(port)>` in `cwd` on a free port; resolves to `{ url, stop }` once `url`
 * answers (at most `wait` ms, while the process lives). */
export async function startServer(cwd, args, { env, wait = 60_000, what = args.join(" ") } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, args(port), {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill();
      await exited;
    }
  };
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + wait;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await fetch(url).then((r) => r.ok, () => false)) return { url, stop, output: () => output };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  fail(`${what} did not answer on ${url}:\n${output}`);
}

/** Opens `url` in a new page of `browser`, collecting console errors, uncaught errors and every
 * request. `ready(selector)` waits for the selector, or fails at the first error; `check()` fails
 * if there were errors or requests outside the page's origin. */
export async function openPage(browser, url) {
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
  await page.goto(url);
  const origin = new URL(url).origin + "/";
  return {
    page,
    requests,
    errors,
    async ready(selector, timeout = 30_000) {
      const ok = await Promise.race([
        page.waitForSelector(selector, { state: "attached", timeout }).then(() => true, () => false),
        failed.then(() => false),
      ]);
      if (!ok) fail(`the page at ${url} did not get ready (${selector}): ${errors.join("\n") || `no error within ${timeout / 1000} s`}`);
    },
    check() {
      if (errors.length) fail(`errors on the page at ${url}:\n${errors.join("\n")}`);
      const foreign = requests.filter((u) => !u.startsWith(origin));
      if (foreign.length) fail(`the page requested other origins: ${foreign.join(", ")}`);
    },
  };
}
