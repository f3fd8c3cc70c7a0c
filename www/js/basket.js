// The basket: what the shopper added this visit (not stored), in its popover.
import { $, h } from "./dom.js";
import { pounds, price } from "./format.js";
import { tile } from "./look.js";

/** The basket of `catalog`'s products; `toast` says what was added. */
export function createBasket(catalog, toast) {
  const popover = $("basket");
  const items = $("basket-items");
  const total = $("basket-total");
  const count = $("basket-count");
  const countText = $("basket-count-text");
  /** Product ids, in the order added (repeats for more than one). */
  const added = [];

  function draw() {
    const n = added.length;
    count.textContent = String(n);
    count.classList.toggle("zero", n === 0);
    countText.textContent = n ? `, ${n} ${n === 1 ? "item" : "items"}` : ", empty";
    const lines = new Map();
    for (const id of added) lines.set(id, (lines.get(id) ?? 0) + 1);
    items.replaceChildren(
      ...(lines.size
        ? [...lines].map(([id, times]) => {
            const product = catalog.get(id);
            const line = h("span", {}, product.name, h("small", {}, `${times} × ${price(product)}`));
            return h("li", {}, tile(product, "tile mini"), line);
          })
        : [h("li", { class: "none" }, "Your basket is empty.")]),
    );
    const sum = added.reduce((s, id) => s + (catalog.get(id).price ?? 0), 0);
    total.textContent = n ? `Total ${pounds.format(sum)}` : "";
  }

  function add(id) {
    const product = catalog.get(id);
    if (!product) return;
    added.push(id);
    draw();
    toast(`Added to your basket: ${product.name}`);
  }

  popover.addEventListener("toggle", (event) => {
    if (event.newState === "open") draw();
  });
  draw();

  return { add };
}
