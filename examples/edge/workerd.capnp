# workerd serving the edge worker: `npm run build` first (it bundles worker.mjs, tastebud and
# handler.mjs into dist/worker.js and copies tastebud's .wasm beside it), then
#
#   npx workerd serve workerd.capnp
#
# The worker listens on 127.0.0.1:8788 and reaches the shop's search API (origin.mjs) on
# 127.0.0.1:8787 through its ORIGIN binding, and nothing else: its global `fetch` goes to a
# network that allows no address. Other addresses: --socket-addr http=HOST:PORT and
# --external-addr origin=HOST:PORT.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "edge", worker = .edge),
    (name = "origin", external = (address = "127.0.0.1:8787", http = ())),
    (name = "nowhere", network = (allow = [])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8788", http = (), service = "edge")],
);

const edge :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    # workerd compiles no WebAssembly at run time: the .wasm comes as a compiled module, which
    # the bundle imports as "./tastebud_bg.wasm".
    (name = "tastebud_bg.wasm", wasm = embed "dist/tastebud_bg.wasm"),
  ],
  compatibilityDate = "2026-11-17",
  bindings = [(name = "ORIGIN", service = "origin")],
  globalOutbound = "nowhere",
);
