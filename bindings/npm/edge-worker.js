// `tastebud/edge` in edge workers (Cloudflare workerd, Vercel edge): the bundler imports the
// .wasm as a compiled `WebAssembly.Module` (these runtimes forbid compiling at run time), and
// only the edge's code comes with it, not the page layer (initialising twice, with the main
// entry too, does nothing).
import wasm from "./tastebud_bg.wasm";
import { initSync, itemFields, wireLimits } from "./tastebud.js";
import { readFrom } from "./read.js";

initSync({ module: wasm });
readFrom({ itemFields, wireLimits });

/** The code is loaded on import; kept so the same code runs everywhere. */
export async function init() {}

export { DEFAULT_MAX_AGE_MS, rerank } from "./edge.js";
