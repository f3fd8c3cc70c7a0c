// `tastebud/gpu`, for browsers and bundlers: the package with `rankCatalogAsync`, which ranks a
// catalog's whole list on the GPU (WebGPU) and on the CPU when it cannot, and `backend()`,
// which says where and why. Its own .wasm, `tastebud_gpu_bg.wasm` (the default one carries no
// GPU code), fetched from beside this file on the first `Personalizer.create`, `import` or
// `open`, or from what `init` is given; nothing runs at import time, as in index.js.
import initWasm, { Catalog, itemFields, Personalizer, wireLimits } from "./tastebud_gpu.js";
import { extend } from "./extend.js";
import { readFrom } from "./read.js";

export { Catalog, Personalizer } from "./tastebud_gpu.js";

let ready;

/** Loads the WebAssembly code once: from `input` (its bytes, URL, `Response`, or an already
 * compiled `WebAssembly.Module`) or, by default, from `tastebud_gpu_bg.wasm` beside this file. */
export function init(input) {
  ready ??= initWasm(input === undefined ? undefined : { module_or_path: input }).then(
    () => readFrom({ itemFields, wireLimits }),
    (e) => {
      ready = undefined;
      throw e;
    },
  );
  return ready;
}

extend(Personalizer, Catalog);
for (const name of ["create", "import"]) {
  const factory = Personalizer[name];
  Personalizer[name] = async (...args) => {
    await init();
    return factory.apply(Personalizer, args);
  };
}
