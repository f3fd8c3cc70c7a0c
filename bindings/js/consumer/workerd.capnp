# workerd serving consumer/worker.mjs; the test replaces PORT with a free port.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:PORT", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "scenario.mjs", esModule = embed "scenario.mjs"),
    (name = "node_modules/tastebud/worker.js", esModule = embed "node_modules/tastebud/worker.js"),
    (name = "node_modules/tastebud/tastebud.js", esModule = embed "node_modules/tastebud/tastebud.js"),
    (name = "node_modules/tastebud/extend.js", esModule = embed "node_modules/tastebud/extend.js"),
    (name = "node_modules/tastebud/read.js", esModule = embed "node_modules/tastebud/read.js"),
    (name = "node_modules/tastebud/edge.js", esModule = embed "node_modules/tastebud/edge.js"),
    (name = "node_modules/tastebud/edge-worker.js", esModule = embed "node_modules/tastebud/edge-worker.js"),
    (name = "node_modules/tastebud/shared.js", esModule = embed "node_modules/tastebud/shared.js"),
    (name = "node_modules/tastebud/observe.js", esModule = embed "node_modules/tastebud/observe.js"),
    (name = "node_modules/tastebud/live.js", esModule = embed "node_modules/tastebud/live.js"),
    (name = "node_modules/tastebud/store.js", esModule = embed "node_modules/tastebud/store.js"),
    (name = "node_modules/tastebud/tastebud_bg.wasm", wasm = embed "node_modules/tastebud/tastebud_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
