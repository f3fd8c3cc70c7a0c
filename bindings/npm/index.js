// Browsers, bundlers and Deno. Nothing runs at import time: the WebAssembly code is fetched
// from beside this file on the first `Personalizer.create`, `import` or `open`, or from what
// `init` is given, so server-side rendering can import this module safely.
import initWasm, { Catalog, itemFields, Personalizer, wireLimits } from "./tastebud.js";
import { browserEntry } from "./browser.js";

export { Catalog, Personalizer } from "./tastebud.js";

/** Loads the WebAssembly code once: from `input` (its bytes, URL, `Response`, or an already
 * compiled `WebAssembly.Module`) or, by default, from `tastebud_bg.wasm` beside this file. */
export const init = browserEntry(initWasm, { Catalog, Personalizer, itemFields, wireLimits });
