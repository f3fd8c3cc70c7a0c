// `tastebud/edge` in Node and Deno: the WebAssembly code is loaded on import by the Node entry.
export { init } from "./node.js";
export { DEFAULT_MAX_AGE_MS, rerank } from "./edge.js";
