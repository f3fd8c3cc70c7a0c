// Shared by the consumer test and the benchmark: a static server on 127.0.0.1 and Debian's
// headless Chromium driven by playwright-core (no browser download).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const TYPES = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".safetensors": "application/octet-stream",
};

/** Serves `root` on 127.0.0.1 (a free port); resolves to `{ url, close }`. */
export function serve(root) {
  const server = createServer(async (req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (path.endsWith("/")) path += "index.html";
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/`,
        close: () => new Promise((done) => server.close(done)),
      }),
    ),
  );
}

/** The flags of every run: headless, and nothing reaching out of the machine. */
export const HEADLESS = [
  "--headless",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** WebGPU on SwiftShader, the software adapter Chromium brings (there is no GPU here). */
export const WEBGPU = ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader", "--enable-unsafe-swiftshader"];

/** Debian's Chromium, headless, with no background networking (playwright gives each launch a
 * fresh, temporary profile). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [...HEADLESS, "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

/** Makes every response to `context` cross-origin isolated, which gives its pages
 * performance.now() at 5 µs rather than 100 µs (for the benchmarks). */
export function isolate(context) {
  return context.route("**/*", async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers(), "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };
    await route.fulfill({ response, headers });
  });
}
