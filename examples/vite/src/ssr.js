// Server-side rendering: the product list as HTML, rendered in Node before the page reaches a
// browser. A real app's server entry imports the same modules as its page, tastebud among them,
// and that must be harmless: the package touches no `window` or `document` when imported. The
// profile lives on the shopper's device, so the server never calls `Personalizer.create`; it
// sends the shop's own order, and the page ranks for the shopper once tastebud has loaded.
import { Personalizer } from "tastebud";
import { products } from "./products.js";
import { productList } from "./render.js";

/** The markup for `#products`, in the shop's own order. */
export function render() {
  return productList(products);
}

/** Checked by test.mjs: the package's API loaded on the server, though nothing here calls it. */
export const personalizable = typeof Personalizer.create === "function";
