// Search: the products whose names have every word of the query, ranked for the shopper on the
// device and shown in the grid; the popular searches above it; back to the bestsellers.
import { searchWords } from "./catalog.js";
import { $, h } from "./dom.js";

/** Search results shown, best first for the shopper. */
const SEARCH_SIZE = 48;

/** Popular searches: label, query. */
const SHORTCUTS = [
  ["T-light holders", "t-light holder"],
  ["Lunch bags", "lunch bag"],
  ["Cake stands", "cake stand"],
  ["Bunting", "bunting"],
  ["Metal signs", "metal sign"],
  ["Hot water bottles", "hot water bottle"],
  ["Retrospot", "retrospot"],
  ["Christmas", "christmas"],
  ["Clocks", "clock"],
];

/** The search form of the page, showing its results in `grid`; `beforeSearch` runs first (to
 * close what a search leaves stale). The form is marked for tastebud, which records the query. */
export function createSearch(shop, catalog, grid, { beforeSearch }) {
  const form = document.querySelector("form[data-tastebud-search]");
  const input = $("search-input");

  /** Products whose name has every word of the query (as a word's beginning). */
  function matching(query) {
    const wanted = searchWords(query);
    if (!wanted.length) return [];
    return catalog.products.filter((p) => wanted.every((w) => p.words.some((word) => word.startsWith(w))));
  }

  function search(raw) {
    const query = raw.trim();
    if (!query) {
      grid.showBestsellers();
      return;
    }
    const matches = matching(query);
    const ranked = matches.length ? shop.rank(matches.map((p) => p.item), { query, k: SEARCH_SIZE }) : [];
    grid.showResults(
      query,
      matches.length,
      ranked.map((r) => catalog.get(r.id)),
    );
  }

  $("shortcuts").replaceChildren(
    ...SHORTCUTS.map(([label, query]) =>
      h("li", {}, h("button", { type: "button", class: "chip", dataset: { query } }, label)),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    beforeSearch();
    search(input.value);
  });
  grid.back.addEventListener("click", () => {
    input.value = "";
    grid.showBestsellers();
    grid.title.focus();
  });

  return {
    /** Searches for `query` as if the shopper had typed it (a popular search's chip). */
    submit(query) {
      input.value = query;
      form.requestSubmit();
    },
  };
}
