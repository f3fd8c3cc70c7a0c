// Node: the WebAssembly code is read from beside this file and compiled on import.
import { readFileSync } from "node:fs";
import { initSync } from "./tastebud.js";

initSync({ module: readFileSync(new URL("./tastebud_bg.wasm", import.meta.url)) });

export { Catalog, Personalizer } from "./tastebud.js";

/** The code is loaded on import; kept so the same code runs everywhere. */
export async function init() {}
