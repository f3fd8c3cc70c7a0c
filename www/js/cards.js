// A product card, as the grid and the rail show it; the card is the element tastebud's observer
// watches, by its `data-tastebud-*` marks.
import { h } from "./dom.js";
import { price } from "./format.js";
import { tile } from "./look.js";

/** The attributes that tell tastebud's observer which product an element shows. */
export function itemMarks(product) {
  return {
    "data-tastebud-item": product.id,
    "data-tastebud-title": product.title,
    "data-tastebud-price": product.price === undefined ? undefined : String(product.price),
  };
}

/** A product card in a `tag` element; `extra` goes under the price (the rail's reason). Opening
 * it records a click, "Add" an add-to-cart. */
export function card(product, tag, extra) {
  return h(
    tag,
    { class: "card", ...itemMarks(product) },
    h(
      "button",
      { type: "button", class: "card-open", dataset: { open: product.id }, "aria-haspopup": "dialog" },
      tile(product),
      h("span", { class: "card-name" }, product.name),
      product.rank < 12 ? h("span", { class: "badge" }, "Bestseller") : null,
    ),
    h(
      "div",
      { class: "card-foot" },
      h("span", { class: "price" }, price(product)),
      h(
        "button",
        {
          type: "button",
          class: "add",
          dataset: { add: product.id, tastebudAction: "add_to_cart" },
          "aria-label": `Add ${product.name} to basket`,
        },
        "Add",
      ),
    ),
    extra,
  );
}
