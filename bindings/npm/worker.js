// Edge workers (Cloudflare workerd, Vercel edge), which forbid compiling WebAssembly from bytes
// at run time: the bundler imports the .wasm as a compiled `WebAssembly.Module`.
import wasm from "./tastebud_bg.wasm";
import { Catalog, initSync, itemFields, Personalizer, wireLimits } from "./tastebud.js";
import { extend } from "./extend.js";
import { readFrom } from "./read.js";

initSync({ module: wasm });
readFrom({ itemFields, wireLimits });
extend(Personalizer, Catalog);

export { Catalog, Personalizer } from "./tastebud.js";

/** The code is loaded on import; kept so the same code runs everywhere. */
export async function init() {}
