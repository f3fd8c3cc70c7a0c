// Node: the WebAssembly code is read from beside this file and compiled on import.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Catalog, initSync, itemFields, Personalizer, wireLimits } from "./tastebud.js";
import { extend } from "./extend.js";
import { readFrom } from "./read.js";

initSync({ module: readFileSync(wasmPath()) });
readFrom({ itemFields, wireLimits });
extend(Personalizer, Catalog);

export { Catalog, Personalizer } from "./tastebud.js";

/** The code is loaded on import; kept so the same code runs everywhere. */
export async function init() {}

/** Where `tastebud_bg.wasm` is, as a path, also when a bundler has put this file into a server
 * bundle.
 *
 * Not `new URL("./tastebud_bg.wasm", import.meta.url)`: bundlers take that expression for a
 * reference to an asset. Next.js bundles its App Router's server code, this file included, with
 * Turbopack or webpack; both emit the .wasm as an asset for browsers and replace the expression
 * with their "relative URL" (Turbopack's `__turbopack_relative_url__`, webpack's
 * `__webpack_require__.U` under Next's `javascript.url: "relative"`): an object with `URL`'s
 * prototype, the public path "/_next/static/media/tastebud_bg.<hash>.wasm" as its `href` and
 * an empty `protocol`, which `fs` refuses ("The "path" argument must be … Received an instance
 * of URL"). `import.meta.url` alone is left meaning this file, `node_modules/tastebud/node.js`
 * (Turbopack resolves it under the project's root at run time; webpack writes in the absolute
 * path at build time), and no bundler rewrites `path.join`, so a path built from it finds the
 * .wasm; Turbopack's file tracing then keeps it in the server's output.
 *
 * A bundler that inlines this file without such care (Vite's SSR build with `ssr.noExternal`)
 * makes `import.meta.url` the bundle's own location: the .wasm is read from beside the bundle if
 * it was copied there, or else from the installed package, where Node resolves `tastebud` from
 * the bundle (the nearest `node_modules/tastebud` above it). */
function wasmPath() {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, "tastebud_bg.wasm");
  if (existsSync(beside)) return beside;
  for (let dir = here; dirname(dir) !== dir; dir = dirname(dir)) {
    const installed = join(dir, "node_modules", "tastebud", "tastebud_bg.wasm");
    if (existsSync(installed)) return installed;
  }
  return beside; // not found: the error names the first place looked at
}
