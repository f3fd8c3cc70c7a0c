// The edge worker of handler.mjs behind Deno's HTTP server (`Deno.serve`), for a shop that runs
// Deno (or Deno Deploy) in front of its search API. tastebud comes from node_modules
// (`npm install`); reading its .wasm needs --allow-read.
//
//   npx deno run --allow-net=127.0.0.1 --allow-read=node_modules/tastebud deno.mjs [--origin http://127.0.0.1:8787] [--port 8788]
//
// Port 0 takes a free port; the line `listening on http://127.0.0.1:PORT` says which.
import { parseArgs } from "node:util";
import { handle } from "./handler.mjs";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    origin: { type: "string", default: "http://127.0.0.1:8787" },
    port: { type: "string", default: "8788" },
  },
});

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: Number(args.port),
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  },
  (request) => handle(request, (path) => fetch(new URL(path, args.origin))),
);
