// The "recommended for you" rail: the whole catalog ranked for the shopper, the best ten shown
// with their first reason and a "Why this?" button each.
import { card } from "./cards.js";
import { $, h } from "./dom.js";
import { whole } from "./format.js";
import { reasonText } from "./reasons.js";

/** Products in the rail. */
const RAIL_SIZE = 10;

/** The rail of `shop`'s recommendations among `catalog`'s products. `draw()` ranks and redraws it
 * (in the frame after a change: only what changed is touched); `explain(id)` says why a product
 * is in it; `firstCard()` is where the focus goes when its own element is gone. Each redraw
 * bumps `data-rail-version` on the body, which the tests and the benchmark wait for. */
export function createRail(shop, catalog) {
  const list = document.querySelector('[data-testid="rail"]');
  const note = $("rail-note");
  const status = $("rail-status");
  /** The whole catalog, prepared once for ranking. */
  const prepared = shop.catalog(catalog.products.map((p) => p.item));
  /** Rail cards, made once per product. */
  const cards = new Map();
  /** The rail as last drawn: its ids, and the ranked result by id. */
  let shownIds = [];
  let rankedById = new Map();
  let version = 0;
  /** Whether the shopper has scrolled the rail sideways. */
  let scrolled = false;
  list.addEventListener("scroll", () => (scrolled = list.scrollLeft > 0), { passive: true });

  /** The card, its first reason and a "Why this?" button. The button sits outside the product
   * element, so asking why is not recorded as interest in the product. */
  function railCard(product) {
    let node = cards.get(product.id);
    if (!node) {
      const reason = h("p", { class: "card-reason" });
      node = h(
        "li",
        { class: "rail-item" },
        card(product, "article", reason),
        h(
          "button",
          {
            type: "button",
            class: "why-button",
            dataset: { why: product.id },
            "aria-haspopup": "dialog",
            "aria-controls": "why",
            "aria-label": `Why this? ${product.name}`,
          },
          "Why this?",
        ),
      );
      cards.set(product.id, node);
    }
    return node;
  }

  function draw() {
    const ranked = shop.rankCatalog(prepared, { k: RAIL_SIZE });
    const ids = ranked.map((r) => r.id);
    rankedById = new Map(ranked.map((r) => [r.id, r]));
    const summary = shop.profile();
    const cold = summary.storedEvents === 0 && summary.rememberedItems === 0;

    for (const { id, reasons } of ranked) {
      const product = catalog.get(id);
      const text = reasons.length ? reasonText(reasons[0], catalog) : `Ordered ${whole.format(product.sold)} times`;
      const caption = railCard(product).querySelector(".card-reason");
      if (caption.textContent !== text) caption.textContent = text;
    }
    const changed = ids.length !== shownIds.length || ids.some((id, i) => id !== shownIds[i]);
    if (changed) {
      const hadFocus = list.contains(document.activeElement);
      // Only the cards that changed place are moved: the rest keep their layout.
      ids.forEach((id, i) => {
        const node = railCard(catalog.get(id));
        if (list.children[i] !== node) list.insertBefore(node, list.children[i] ?? null);
      });
      while (list.children.length > ids.length) list.lastElementChild.remove();
      // Back to the start, without reading the layout (which would force it mid-frame).
      if (scrolled) list.scrollLeft = 0;
      if (version > 0) status.textContent = `Recommendations updated. First: ${catalog.get(ids[0])?.name ?? ""}.`;
      // A card that left the rail took the focus with it: give it to the first card.
      if (hadFocus && !list.contains(document.activeElement)) firstCard()?.focus();
      shownIds = ids;
    }
    note.textContent = shop.paused
      ? "Tracking is paused: these are based on what you did before."
      : cold
        ? "Our bestsellers, until we learn what you like. Browse a little and this row changes — " +
          "worked out on your device."
        : "Picked on this device from what you have looked at. Nothing leaves your browser.";
    document.body.dataset.railVersion = String(++version);
  }

  /** Why `id` is in the rail: `explain`'s `{ ranked, remembered }` (which describes the last
   * ranking, so the rail is ranked again first) and the reasons to show. */
  function explain(id) {
    shop.rankCatalog(prepared, { k: RAIL_SIZE });
    const { ranked, remembered } = shop.explain(id);
    const reasons = (ranked ?? rankedById.get(id))?.reasons ?? [];
    return { ranked, remembered, reasons };
  }

  function firstCard() {
    return list.querySelector(".card-open");
  }

  return { element: list, draw, explain, firstCard };
}
