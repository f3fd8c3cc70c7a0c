// Node: the WebAssembly code is read from beside this file and compiled on import.
import { readFileSync } from "node:fs";
import { initSync, Personalizer } from "./tastebud.js";
import { extend } from "./extend.js";

initSync({ module: readFileSync(new URL("./tastebud_bg.wasm", import.meta.url)) });
extend(Personalizer);

export { Catalog, Personalizer } from "./tastebud.js";

/** The code is loaded on import; kept so the same code runs everywhere. */
export async function init() {}
