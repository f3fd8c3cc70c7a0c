// One Node cold start, in a process of its own (the glue keeps the instance in module state):
// `node coldstart-node.mjs <profile file>` prints the figures as JSON. It loads the code as the
// package's `node.js` entry does (synchronous compile, `initSync`, then the JavaScript layer
// given the module's functions and added by `extend`), but from bytes read before the clock
// starts.
import { readFileSync } from "node:fs";
import { extend } from "../../../pkg/extend.js";
import { readFrom } from "../../../pkg/read.js";
import { Catalog, initSync, itemFields, Personalizer, wireLimits } from "../../../pkg/tastebud.js";
import { coldStart } from "./scenario.mjs";

const wasmBytes = readFileSync(new URL("../../../pkg/tastebud_bg.wasm", import.meta.url));
const profile = readFileSync(process.argv[2]);
const figures = await coldStart({
  compile: (bytes) => new WebAssembly.Module(bytes),
  instantiate: (module) => {
    initSync({ module });
    readFrom({ itemFields, wireLimits });
    extend(Personalizer, Catalog);
  },
  Personalizer,
  wasmBytes,
  profile,
});
console.log(JSON.stringify(figures));
