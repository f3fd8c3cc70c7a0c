// The edge worker of handler.mjs behind Node's own HTTP server, for a shop that runs Node in
// front of its search API. It also serves the demo page (index.html at `/`) and the package's
// browser files it imports (`/tastebud/…`), so the page and the worker share an origin and the
// `tb` cookie reaches the worker.
//
//   node node.mjs [--origin http://127.0.0.1:8787] [--port 8788]
//
// Port 0 takes a free port; the line `listening on http://127.0.0.1:PORT` says which.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { handle } from "./handler.mjs";

const { values: args } = parseArgs({
  options: {
    origin: { type: "string", default: "http://127.0.0.1:8787" },
    port: { type: "string", default: "8788" },
  },
});

const page = readFileSync(new URL("index.html", import.meta.url));
const tastebud = new URL(".", import.meta.resolve("tastebud/package.json"));
const types = { js: "text/javascript", wasm: "application/wasm" };

createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1"); // the Host header may be anything
  const file = /^\/tastebud\/(\w+\.(js|wasm))$/.exec(url.pathname);
  if (url.pathname === "/") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
  } else if (file) {
    const body = await readFile(new URL(file[1], tastebud)).catch(() => null);
    if (body) res.writeHead(200, { "content-type": types[file[2]] }).end(body);
    else res.writeHead(404).end();
  } else {
    const request = new Request(url, { method: req.method, headers: req.headers });
    const response = await handle(request, (path) => fetch(new URL(path, args.origin)));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  }
}).listen(Number(args.port), "127.0.0.1", function () {
  console.log(`listening on http://127.0.0.1:${this.address().port}`);
});
