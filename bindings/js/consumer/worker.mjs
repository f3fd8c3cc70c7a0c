// The consumer scenario in Cloudflare's workerd, through the package's worker entry, which
// imports the .wasm as a compiled module (workerd forbids compiling WebAssembly at run time).
import * as tastebud from "./node_modules/tastebud/worker.js";
import * as edge from "./node_modules/tastebud/edge-worker.js";
import { scenario } from "./scenario.mjs";

export default {
  async fetch() {
    try {
      return Response.json({ ok: true, result: await scenario(tastebud, edge) });
    } catch (e) {
      return Response.json({ ok: false, error: String((e && e.stack) || e) });
    }
  },
};
