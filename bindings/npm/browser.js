// What the browser entries share (index.js, and gpu.js with its own .wasm): nothing runs at
// import time, so server-side rendering can import them safely; the WebAssembly code is fetched
// on the first `Personalizer.create`, `import` or `open`, or from what `init` is given.
import { extend } from "./extend.js";
import { readFrom } from "./read.js";

/** Extends the classes of `glue` (a wasm-bindgen module: its `Personalizer`, `Catalog`,
 * `itemFields` and `wireLimits`) and returns the entry's `init`, which loads the WebAssembly
 * code once with `initWasm` (the module's default export): from `input` (its bytes, URL,
 * `Response`, or an already compiled `WebAssembly.Module`) or, by default, from the .wasm
 * beside the module. The factories wait for it. */
export function browserEntry(initWasm, { Catalog, Personalizer, itemFields, wireLimits }) {
  let ready;
  const init = (input) => {
    ready ??= initWasm(input === undefined ? undefined : { module_or_path: input }).then(
      () => readFrom({ itemFields, wireLimits }),
      (e) => {
        ready = undefined;
        throw e;
      },
    );
    return ready;
  };
  extend(Personalizer, Catalog);
  for (const name of ["create", "import"]) {
    const factory = Personalizer[name];
    Personalizer[name] = async (...args) => {
      await init();
      return factory.apply(Personalizer, args);
    };
  }
  return init;
}
