// Edge workers (Cloudflare workerd, Vercel edge), which forbid compiling WebAssembly from bytes
// at run time: the bundler imports the .wasm as a compiled `WebAssembly.Module`.
import wasm from "./tastebud_bg.wasm";
import { initSync, Personalizer } from "./tastebud.js";
import { extend } from "./extend.js";

initSync({ module: wasm });
extend(Personalizer);

export { Catalog, Personalizer } from "./tastebud.js";

/** The code is loaded on import; kept so the same code runs everywhere. */
export async function init() {}
