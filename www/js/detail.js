// The product page, in a dialog: opened from a card, or by its link (`#product/<id>`). Its body
// carries `data-tastebud-detail`: tastebud records a view when it shows and the time spent on it
// (dwell) when it goes.
import { itemMarks } from "./cards.js";
import { $, h, icon } from "./dom.js";
import { price, whole } from "./format.js";
import { lookOf, tile } from "./look.js";

/** A product page's link. */
const LINK = /^#product\/(.+)$/;

/** The product dialog for `catalog`'s products. `beforeOpen` runs first (to close a popover);
 * `fallbackFocus()` takes the focus back when the element that opened the dialog is gone. */
export function createDetail(catalog, { beforeOpen, fallbackFocus }) {
  const dialog = $("detail");
  const body = $("detail-body");
  const closeButton = $("detail-close");
  /** The control that opened the dialog, which gets the focus back. */
  let opener;

  /** Shows the product `id`, opened from the control `from` (or a link). */
  function open(id, from) {
    const product = catalog.get(id);
    if (!product) return;
    const { shelf } = lookOf(product);
    beforeOpen();
    opener = from;
    body.replaceChildren(
      h(
        "article",
        { class: "detail-product", "data-tastebud-detail": true, ...itemMarks(product) },
        tile(product, "tile detail-tile"),
        h(
          "div",
          { class: "detail-info" },
          h("p", { class: "eyebrow" }, shelf),
          h("h2", { id: "detail-title" }, product.name),
          h("p", { class: "detail-price" }, price(product)),
          h(
            "p",
            { class: "detail-meta" },
            `Stock code ${product.id} · ordered ${whole.format(product.sold)} times`,
            product.rank < 100 ? ` · no. ${product.rank + 1} in the shop` : "",
          ),
          h(
            "div",
            { class: "detail-actions" },
            h(
              "button",
              { type: "button", class: "primary", dataset: { add: product.id, tastebudAction: "add_to_cart" } },
              icon("basket"),
              "Add to basket",
            ),
            h(
              "button",
              { type: "button", class: "secondary", dataset: { buy: product.id, tastebudAction: "purchase" } },
              "Buy now",
            ),
          ),
          h(
            "ul",
            { class: "detail-points" },
            h("li", {}, "Free UK delivery on orders over £50"),
            h("li", {}, "Name and price from the Online Retail data (2010–2011)"),
            h("li", {}, "Demo shop: nothing is for sale or charged"),
          ),
        ),
      ),
    );
    if (!dialog.open) dialog.showModal();
    closeButton.focus();
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  /** Opens the product the address links to, if it links to one. */
  function follow() {
    const link = LINK.exec(location.hash);
    if (!link) return;
    let id;
    try {
      id = decodeURIComponent(link[1]);
    } catch {
      return;
    }
    open(id, undefined);
  }

  closeButton.addEventListener("click", close);
  dialog.addEventListener("close", () => {
    // The product leaves the page, which ends its dwell time.
    body.replaceChildren();
    // A product's link has been followed: the address is the shop's again.
    if (LINK.test(location.hash)) history.replaceState(null, "", location.pathname + location.search);
    const back = opener?.isConnected ? opener : fallbackFocus();
    back?.focus();
    opener = undefined;
  });
  // A click on the backdrop (the dialog itself, outside its content) closes it.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) close();
  });
  addEventListener("hashchange", follow);

  return { open, close, follow };
}
