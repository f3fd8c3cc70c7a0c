// `tastebud/edge` in browsers and bundlers: `await init()` loads the WebAssembly code first.
export { init } from "./index.js";
export { DEFAULT_MAX_AGE_MS, rerank } from "./edge.js";
