// The product grid: the bestsellers, or search results, with "Show more". Its unseen part is kept
// ordered for the shopper by the package (`live`); what has been on screen never moves.
import { card } from "./cards.js";
import { $ } from "./dom.js";
import { whole } from "./format.js";

/** Bestsellers shown before a search. */
const GRID_SIZE = 120;
/** Cards revealed at a time by "Show more". */
const PAGE_SIZE = 40;

/** The grid section, showing `catalog`'s products ordered for `shop`'s shopper. */
export function createGrid(shop, catalog) {
  const list = document.querySelector('[data-testid="grid"]');
  const title = $("grid-title");
  const note = $("grid-note");
  const back = $("grid-back");
  const empty = $("grid-empty");
  const more = $("grid-more");
  /** Grid cards, made once per product and reused (the bestsellers and results share them). */
  const cards = new Map();
  /** The live re-ordering of what the grid shows now. */
  let live;
  /** Cards shown before "Show more"; search results are all shown. */
  let limit = PAGE_SIZE;
  let searching = false;

  const gridCard = (product) => {
    let node = cards.get(product.id);
    if (!node) cards.set(product.id, (node = card(product, "li")));
    return node;
  };

  /** Puts `products` in the grid and keeps its unseen part ordered for the shopper. */
  function fill(products, rankOptions) {
    live?.disconnect();
    list.replaceChildren(...products.map(gridCard));
    list.hidden = products.length === 0;
    live = shop.live(list, rankOptions);
  }

  function applyLimit() {
    const count = list.children.length;
    const all = searching || limit >= count;
    list.dataset.limit = all ? "all" : String(limit);
    more.hidden = all;
    more.textContent = `Show more (${Math.min(PAGE_SIZE, count - limit)} of ${count - limit})`;
  }

  function showBestsellers() {
    searching = false;
    limit = PAGE_SIZE;
    title.textContent = "Bestsellers";
    note.textContent =
      "Our most ordered gifts. What you have not scrolled to yet is quietly re-ordered for you as you browse.";
    back.hidden = true;
    empty.hidden = true;
    fill(catalog.products.slice(0, GRID_SIZE), {});
    applyLimit();
  }

  /** Shows the results for `query`: `ranked`, the best of `matched` products for the shopper. */
  function showResults(query, matched, ranked) {
    searching = true;
    fill(ranked, { query });
    title.textContent = `Results for “${query}”`;
    const found = `${whole.format(matched)} ${matched === 1 ? "product matches" : "products match"}`;
    note.textContent = !matched
      ? ""
      : matched > ranked.length
        ? `${found}; here are the ${ranked.length} best for you, ranked on this device.`
        : `${found}, ranked for you on this device.`;
    empty.hidden = matched > 0;
    empty.textContent = `Nothing matches “${query}”. Try “heart”, “bag”, “candle” or “Christmas”.`;
    back.hidden = false;
    applyLimit();
    const top = title.getBoundingClientRect().top;
    if (top < 0 || top > innerHeight * 0.6) title.scrollIntoView({ block: "start" });
  }

  more.addEventListener("click", () => {
    const firstNew = list.children[limit];
    limit += PAGE_SIZE;
    applyLimit();
    firstNew?.querySelector(".card-open")?.focus();
  });

  return { showBestsellers, showResults, title, back };
}
