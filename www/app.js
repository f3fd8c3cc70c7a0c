// Hearth & Twine, the tastebud demo storefront: the Online Retail catalog (www/data/catalog.json,
// written by `tastebud-train catalog`) with a "recommended for you" rail, search results
// re-ranked on the device, a product page, and the shopper's profile with its privacy controls.
// The package records what the shopper does from the page's markup (`observe`), keeps the unseen
// part of the grid ordered for them (`live`), and stores the profile in this browser
// (`Personalizer.open`); the page never calls `record` itself.
//
// This file opens the shop and wires the parts, each a module in js/ that draws one part of the
// page and owns its state: the rail (rail.js), the grid (grid.js) and search (search.js), the
// product page (detail.js), "Why this?" (why.js), the basket (basket.js) and "What we know about
// you" (profile.js). After each change to the profile the rail is redrawn in the next frame and
// the profile panel when the browser is idle after it.
import { Personalizer } from "/pkg/index.js";
import { createBasket } from "./js/basket.js";
import { loadCatalog } from "./js/catalog.js";
import { createDetail } from "./js/detail.js";
import { $, toaster } from "./js/dom.js";
import { createGrid } from "./js/grid.js";
import { createProfilePanel } from "./js/profile.js";
import { createRail } from "./js/rail.js";
import { createSearch } from "./js/search.js";
import { createWhy } from "./js/why.js";

async function main() {
  if (typeof Personalizer.open !== "function") {
    throw new Error("pkg/ is older than the storefront (no Personalizer.open): run scripts/pkg.sh");
  }
  const [shop, catalog] = await Promise.all([
    Personalizer.open({ name: "hearth-and-twine", expireAfterDays: 90 }),
    loadCatalog(),
  ]);
  const toast = toaster($("toast"));

  const rail = createRail(shop, catalog);
  const why = createWhy(catalog, rail);
  const grid = createGrid(shop, catalog);
  const search = createSearch(shop, catalog, grid, { beforeSearch: why.close });
  const detail = createDetail(catalog, { beforeOpen: why.close, fallbackFocus: rail.firstCard });
  const basket = createBasket(catalog, toast);
  const panel = createProfilePanel(shop, catalog, toast);
  rail.element.addEventListener("scroll", why.close, { passive: true });

  // One listener for the controls of every card and dialog. tastebud's observer has already
  // recorded what the click means (it listens first, in the capture phase).
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const control = target?.closest("[data-open], [data-add], [data-buy], [data-why], [data-forget], [data-query]");
    if (!control) return;
    const { open, add, buy, why: whyId, forget, query } = control.dataset;
    if (open !== undefined) detail.open(open, control);
    else if (add !== undefined) basket.add(add);
    else if (buy !== undefined) {
      detail.close();
      toast(`Thank you! ${catalog.get(buy)?.name ?? "Your order"} is yours (a demo: nothing was charged).`);
    } else if (whyId !== undefined) why.toggle(whyId, control);
    else if (forget !== undefined) panel.forget(forget);
    else if (query !== undefined) search.submit(query);
  });

  grid.showBestsellers();
  shop.observe(document.body);
  shop.onChange(redrawAfterChanges(rail, panel));
  rail.draw();
  panel.draw();
  detail.follow();
  document.body.dataset.ready = "true";
}

/** `requestIdleCallback` where there is one (Safari has none). */
const whenIdle = globalThis.requestIdleCallback?.bind(globalThis) ?? ((callback) => setTimeout(callback, 50));

/** The listener for every change: the rail is redrawn in the next frame (several changes, one
 * redraw), the profile panel once the browser is idle after it, so the frame that shows the new
 * rail has little else to do. Leaves two measures in the performance timeline, for benchmarks:
 * `tastebud:rail` (from the change to the rail drawn, before that frame paints) and
 * `tastebud:profile` (drawing the profile panel). */
function redrawAfterChanges(rail, panel) {
  let frame;
  let changedAt;
  let panelPending = false;
  return (cause, itemId) => {
    panel.changed(cause, itemId);
    changedAt ??= performance.now();
    frame ??= requestAnimationFrame(() => {
      rail.draw();
      performance.measure("tastebud:rail", { start: changedAt, end: performance.now() });
      frame = undefined;
      changedAt = undefined;
    });
    if (!panelPending) {
      panelPending = true;
      whenIdle(
        () => {
          panelPending = false;
          const start = performance.now();
          panel.draw();
          performance.measure("tastebud:profile", { start, end: performance.now() });
        },
        { timeout: 300 },
      );
    }
  };
}

main().catch((error) => {
  console.error(error);
  const failure = $("failure");
  failure.hidden = false;
  failure.textContent = `The shop could not load: ${error.message}`;
  $("rail-note").textContent = "Recommendations are not available right now.";
  $("grid-note").textContent = "";
});
