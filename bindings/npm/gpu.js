// `tastebud/gpu`, for browsers and bundlers: the package with `rankCatalogAsync`, which ranks a
// catalog's whole list on the GPU (WebGPU) and on the CPU when it cannot, `backend()`, which
// says where and why, and `setGpuTimeout`. Its own .wasm, `tastebud_gpu_bg.wasm` (the default
// one carries no GPU code), fetched from beside this file on the first `Personalizer.create`,
// `import` or `open`, or from what `init` is given; nothing runs at import time, as in index.js.
import initWasm, { Catalog, itemFields, Personalizer, wireLimits } from "./tastebud_gpu.js";
import { browserEntry } from "./browser.js";

export { Catalog, Personalizer } from "./tastebud_gpu.js";

/** Loads the WebAssembly code once: from `input` (its bytes, URL, `Response`, or an already
 * compiled `WebAssembly.Module`) or, by default, from `tastebud_gpu_bg.wasm` beside this file. */
export const init = browserEntry(initWasm, { Catalog, Personalizer, itemFields, wireLimits });
