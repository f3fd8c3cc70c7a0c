// `tastebud/edge` in edge workers (Cloudflare workerd, Vercel edge): the WebAssembly code is
// loaded on import by the workers' entry.
export { init } from "./worker.js";
export { DEFAULT_MAX_AGE_MS, rerank } from "./edge.js";
