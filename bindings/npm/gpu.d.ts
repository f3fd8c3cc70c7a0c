import type { CreateOptions, ImportOptions, Personalizer as WasmPersonalizer } from "./tastebud_gpu.js";
import type { OpenOptions, PersonalizerFeatures, WasmSource } from "./index.js";

export { Catalog } from "./tastebud_gpu.js";

/** A shopper's profile with the model that ranks for them, all on the device; with
 * `rankCatalogAsync`, which ranks a catalog on the GPU (WebGPU) when there is one,
 * `backend()`, which says where it ranks and why, and `setGpuTimeout`. While a `rankCatalogAsync` is pending, every
 * other call on the personalizer or on its catalog (but `onChange`) throws `busy`. */
export type Personalizer = WasmPersonalizer;
/** The class, with the factories the package's JavaScript adds to it (as in `tastebud`). */
export declare const Personalizer: typeof WasmPersonalizer & {
  create(options?: CreateOptions): Promise<Personalizer>;
  import(bytes: Uint8Array | ArrayBuffer, options?: ImportOptions): Promise<Personalizer>;
  open(options?: OpenOptions): Promise<Personalizer>;
};
export type { Backend } from "./tastebud_gpu.js";
/** The rest of the types are `tastebud`'s: the same ranking, options and errors. */
export type * from "./index.js";

/** Loads the WebAssembly code once, as `tastebud`'s `init` does, but `tastebud_gpu_bg.wasm`
 * (by default from beside the package's JavaScript). */
export function init(source?: WasmSource | Promise<WasmSource>): Promise<void>;

declare module "./tastebud_gpu.js" {
  interface Personalizer extends PersonalizerFeatures {}
}
