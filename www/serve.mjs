// The demo storefront's static server (Node 20, no dependencies): `www/` at `/` and the built
// package, `pkg/`, at `/pkg/`, on 127.0.0.1 only.
//
//   node www/serve.mjs [PORT]     PORT from the argument or $PORT, default 8080; 0 = any free port
//
// Tests start it in-process: `const { url, close } = await serve({ port: 0 })`. `pkg` (or
// $TASTEBUD_PKG) serves another build of the package at /pkg/, e.g. one installed from its tarball.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".safetensors": "application/octet-stream",
};

/** The file `pathname` names under `roots` (URL prefix → directory, first match wins), or null
 * when it names none or would leave its root. */
function fileFor(roots, pathname) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path.includes("\0")) return null;
  const [prefix, root] = roots.find(([p]) => path.startsWith(p)) ?? [];
  if (!root) return null;
  let rest = path.slice(prefix.length);
  if (rest === "" || rest.endsWith("/")) rest += "index.html";
  const file = resolve(root, rest);
  return file.startsWith(root + sep) ? file : null;
}

/** Starts the server; resolves to `{ url, close }` once it listens. */
export function serve({ port = 8080, pkg = process.env.TASTEBUD_PKG || resolve(here, "../pkg") } = {}) {
  const roots = [
    ["/pkg/", resolve(pkg)],
    ["/", resolve(here)],
  ];
  const server = createServer(async (req, res) => {
    const file =
      req.method === "GET" || req.method === "HEAD"
        ? fileFor(roots, new URL(req.url, "http://127.0.0.1").pathname)
        : null;
    let body;
    try {
      if (file) body = await readFile(file);
    } catch {
      // A directory, or a missing or unreadable file: not found.
    }
    if (!body) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "content-length": body.length,
      "x-content-type-options": "nosniff",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolvePromise({
        url: `http://127.0.0.1:${server.address().port}/`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const raw = process.argv[2] ?? process.env.PORT ?? "8080";
  const port = Number(raw);
  if (raw === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.mjs: not a port: ${raw}`);
    process.exit(2);
  }
  const { url } = await serve({ port });
  console.log(`tastebud demo: ${url}`);
}
