// Browsers, bundlers and Deno. Nothing runs at import time: the WebAssembly code is fetched
// from beside this file on the first `Personalizer.create`, `import` or `open`, or from what
// `init` is given, so server-side rendering can import this module safely.
import initWasm, { Catalog, itemFields, Personalizer, wireLimits } from "./tastebud.js";
import { extend } from "./extend.js";
import { readFrom } from "./read.js";

export { Catalog, Personalizer } from "./tastebud.js";

let ready;

/** Loads the WebAssembly code once: from `input` (its bytes, URL, `Response`, or an already
 * compiled `WebAssembly.Module`) or, by default, from `tastebud_bg.wasm` beside this file. */
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
