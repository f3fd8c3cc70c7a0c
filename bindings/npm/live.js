// `personalizer.live(list, rankOptions)`: keeps the part of a product list the shopper has not
// reached yet ordered by their profile, re-ordered right after each change, as EdgeRec re-ranks
// a feed on the phone after every tap. What has been on screen never moves: the items are the
// list's children marked `data-tastebud-item` (see `observe`), and only those after the last
// one ever shown are re-ordered. The re-ordering runs in the idle time after the frame that
// answers the tap (within 100 ms): it is off screen, and that frame's budget is the page's.
import { coded, isA, tastebudError, whenFree } from "./shared.js";
import { itemOf } from "./observe.js";

export function live(personalizer, list, rankOptions = {}) {
  if (typeof Element === "undefined") throw tastebudError("unsupported", "live needs a page's DOM");
  if (!isA(list, ["Element"])) {
    throw tastebudError("invalid_options", "live needs a DOM element");
  }
  // Every child is placed, so no `k`.
  let options;
  try {
    options = { ...rankOptions, k: undefined };
  } catch (e) {
    throw coded(e, "invalid_options", "ranking options cannot be read");
  }
  let children = []; // the marked children, in the order they are shown
  let catalog;
  let seen = new WeakSet(); // children that have been on screen
  let pending;
  let stopped = false;

  // "Seen" starts half a screen below the viewport: the observer reports a frame late, and a
  // card about to scroll in must not move while it does.
  const visible = new IntersectionObserver(
    (entries) => {
      for (const { target, isIntersecting } of entries) if (isIntersecting) seen.add(target);
    },
    { rootMargin: "0px 0px 50% 0px" },
  );

  /** Reads the list's items again (the page replaced or added some); while a ranking on the GPU
   * holds the personalizer (`tastebud/gpu`), once it is done. */
  function refresh() {
    const free = whenFree(personalizer);
    if (free) return void free.then(() => stopped || refresh());
    visible.disconnect();
    children = [...list.children].filter((child) => child.matches("[data-tastebud-item]"));
    catalog?.free();
    catalog = undefined;
    catalog = personalizer.catalog(children.map(itemOf));
    for (const child of children) visible.observe(child);
    schedule();
  }

  /** Re-orders what follows the last child ever shown. */
  function reorder() {
    pending = undefined;
    if (!catalog) return;
    const free = whenFree(personalizer);
    if (free) return void free.then(schedule);
    // Reads no layout (which would cost the frame a forced one).
    const last = children.findLastIndex((child) => seen.has(child));
    const unseen = children.slice(last + 1);
    if (unseen.length < 2) return;
    const at = new Map(children.map((child, i) => [child.dataset.tastebudItem, i]));
    const ranked = personalizer
      .rankCatalog(catalog, options)
      .map((r) => at.get(r.id))
      .filter((i) => i > last)
      .map((i) => children[i]);
    // Children the ranking left out (a repeated id, an excluded item) keep their order, last.
    const placed = new Set(ranked);
    const order = [...ranked, ...unseen.filter((child) => !placed.has(child))];
    if (order.every((child, i) => child === unseen[i])) return;
    // Only the children off the longest run already in the new order move: moving a node makes
    // the browser lay the list out again, and the fewer the cheaper that frame.
    const place = new Map(unseen.map((child, i) => [child, i]));
    const stay = longestIncreasing(order.map((child) => place.get(child)));
    let next = unseen[unseen.length - 1].nextSibling;
    for (let i = order.length - 1; i >= 0; i--) {
      if (!stay.has(i)) list.insertBefore(order[i], next);
      next = order[i];
    }
    mutations.takeRecords(); // our own moves are not the page's changes

    children = [...children.slice(0, last + 1), ...order];
  }

  function schedule() {
    pending ??= later(reorder);
  }

  // The page changing the list's children means reading it again.
  const mutations = new MutationObserver(refresh);
  mutations.observe(list, { childList: true });
  const stop = personalizer.onChange((cause) => {
    if (cause !== "pause" && cause !== "resume") schedule();
  });
  refresh();
  // Bad options throw now rather than in a frame later.
  personalizer.rankCatalog(catalog, options);

  return {
    refresh,
    /** Stops re-ordering; the list stays as it is. */
    disconnect() {
      stopped = true;
      stop();
      mutations.disconnect();
      visible.disconnect();
      if (pending !== undefined) cancel(pending);
      catalog?.free();
      catalog = undefined;
      children = [];
      seen = new WeakSet();
    },
  };
}

const later = globalThis.requestIdleCallback
  ? (task) => requestIdleCallback(task, { timeout: 100 })
  : (task) => setTimeout(task, 0);
const cancel = globalThis.cancelIdleCallback ?? clearTimeout;

/** The positions in `xs` of a longest strictly increasing subsequence (patience sorting). */
function longestIncreasing(xs) {
  const tails = []; // tails[k]: position of the smallest last value of a run of length k + 1
  const previous = new Array(xs.length);
  xs.forEach((x, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[tails[mid]] < x) lo = mid + 1;
      else hi = mid;
    }
    previous[i] = lo > 0 ? tails[lo - 1] : -1;
    tails[lo] = i;
  });
  const run = new Set();
  for (let i = tails.at(-1) ?? -1; i >= 0; i = previous[i]) run.add(i);
  return run;
}
