// `personalizer.observe(root, options)`: records what the shopper does to the products a page
// marks up, and nothing else. It reads only `data-tastebud-*` attributes and the value of the
// one field marked `data-tastebud-query` in a marked search form.
//
//   <article data-tastebud-item="85123A" data-tastebud-title="White hanging heart T-light holder"
//            data-tastebud-price="2.55">            impression (half visible for a second);
//     <a href="…">…</a>                              a click on a link or button inside: click;
//     <button data-tastebud-action="add_to_cart">    or the type the control names.
//   <section data-tastebud-detail data-tastebud-item="…">   the product's own page or dialog:
//                                                   view when shown, dwell (ms) when it goes.
//   <form data-tastebud-search><input data-tastebud-query></form>   search, on submit.
import { coded, isA, tastebudError, whenFree } from "./shared.js";

const ITEM = "[data-tastebud-item]";
const DETAIL = "[data-tastebud-detail]";
const ACTIONS = new Set(["view", "click", "add_to_cart", "purchase"]);

/** The item an element's attributes describe, or `undefined` if it is not marked. */
export function itemOf(element) {
  const data = element.dataset;
  if (!data.tastebudItem) return undefined;
  const item = { id: data.tastebudItem };
  if (data.tastebudTitle) item.title = data.tastebudTitle;
  if (data.tastebudCategory) item.category = data.tastebudCategory;
  if (data.tastebudBrand) item.brand = data.tastebudBrand;
  if (data.tastebudPrice) item.price = Number(data.tastebudPrice);
  if (data.tastebudTags) item.tags = data.tastebudTags.split(",").map((t) => t.trim()).filter(Boolean);
  return item;
}

function options(given) {
  let read;
  try {
    const { impressionMs = 1000, impressionRatio = 0.5, debounceMs = 1000, ...rest } = given ?? {};
    read = { impressionMs, impressionRatio, debounceMs, unknown: Object.keys(rest) };
  } catch (e) {
    throw coded(e, "invalid_options", "observe options cannot be read");
  }
  const { impressionMs, impressionRatio, debounceMs, unknown } = read;
  if (unknown.length) throw tastebudError("invalid_options", `unknown observe option ${unknown[0]}`);
  for (const [name, value, max] of [
    ["impressionMs", impressionMs, 600_000],
    ["impressionRatio", impressionRatio, 1],
    ["debounceMs", debounceMs, 600_000],
  ]) {
    if (typeof value !== "number" || !(value >= 0 && value <= max)) {
      throw tastebudError("invalid_options", `${name} must be a number from 0 to ${max}`);
    }
  }
  return { impressionMs, impressionRatio: Math.max(impressionRatio, 0.01), debounceMs };
}

export function observe(personalizer, root, given) {
  if (typeof Element === "undefined") throw tastebudError("unsupported", "observe needs a page's DOM");
  if (!isA(root, ["Element", "Document"])) {
    throw tastebudError("invalid_options", "observe needs a DOM element");
  }
  const { impressionMs, impressionRatio, debounceMs } = options(given);
  let paused = false;
  const last = new Map(); // "type id" → when it was last recorded, for debouncing

  /** Records an event, unless paused or a repeat within `debounceMs`; bad markup is reported
   * on the console once per element, never thrown into the page's event handling. */
  const warned = new WeakSet();
  function record(event, element) {
    if (paused) return;
    const key = `${event.type} ${event.item?.id ?? event.query}`;
    const now = Date.now();
    if (event.type !== "dwell" && now - (last.get(key) ?? -Infinity) < debounceMs) return;
    // A ranking on the GPU holds the personalizer (`tastebud/gpu`): recorded once it is done,
    // in order, at the time it happened.
    const free = whenFree(personalizer);
    if (free) return void free.then(() => record({ ts: now, ...event }, element));
    try {
      // Dropped while the shopper has paused tracking: not a repeat to debounce later.
      if (personalizer.record(event)) last.set(key, now);
    } catch (e) {
      if (!warned.has(element)) console.warn("tastebud: ignored an event from", element, e);
      warned.add(element);
    }
  }

  // Impressions: at least `impressionRatio` visible for `impressionMs`, once per showing.
  const timers = new Map();
  const impressions = new IntersectionObserver(
    (entries) => {
      for (const { target, isIntersecting, intersectionRatio } of entries) {
        const shown = isIntersecting && intersectionRatio >= impressionRatio;
        if (shown && !timers.has(target)) {
          timers.set(
            target,
            setTimeout(() => {
              const item = itemOf(target);
              if (item) record({ type: "impression", item }, target);
            }, impressionMs),
          );
        } else if (!shown && timers.has(target)) {
          clearTimeout(timers.get(target));
          timers.delete(target);
        }
      }
    },
    { threshold: [impressionRatio] },
  );

  // Product detail views: view when shown, dwell when gone. Time on screen counts only while
  // the page is visible.
  const details = new Map(); // element → { item, visibleMs, since }
  const dwell = new IntersectionObserver((entries) => {
    for (const { target, isIntersecting } of entries) {
      if (isIntersecting) showDetail(target);
      else hideDetail(target);
    }
  });
  function showDetail(element) {
    const item = itemOf(element);
    if (!item || details.has(element)) return;
    details.set(element, { item, visibleMs: 0, since: performance.now() });
    record({ type: "view", item }, element);
  }
  function hideDetail(element) {
    const shown = details.get(element);
    if (!shown) return;
    details.delete(element);
    const ms = Math.round(shown.visibleMs + (shown.since === undefined ? 0 : performance.now() - shown.since));
    if (ms > 0) record({ type: "dwell", item: shown.item, ms }, element);
  }
  function onVisibility() {
    const hidden = document.visibilityState === "hidden";
    for (const shown of details.values()) {
      if (hidden && shown.since !== undefined) {
        shown.visibleMs += performance.now() - shown.since;
        shown.since = undefined;
      } else if (!hidden && shown.since === undefined) {
        shown.since = performance.now();
      }
    }
  }

  // A page being left ends its detail view's dwell.
  function onPageHide() {
    for (const element of [...details.keys()]) hideDetail(element);
  }

  // Which elements to watch: those marked now, and those the page adds, changes or removes.
  function watch(element) {
    if (element.matches(DETAIL)) dwell.observe(element);
    else if (element.matches(ITEM)) impressions.observe(element);
  }
  function unwatch(element) {
    impressions.unobserve(element);
    clearTimeout(timers.get(element));
    timers.delete(element);
    dwell.unobserve(element);
    hideDetail(element);
  }
  const within = (node, selector) => [
    ...(node.matches?.(selector) ? [node] : []),
    ...(node.querySelectorAll?.(selector) ?? []),
  ];
  const mutations = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") {
        // A detail view showing another product: the old one's dwell ends, the new one's starts.
        unwatch(r.target);
        if (r.target.matches(`${ITEM}, ${DETAIL}`)) watch(r.target);
        continue;
      }
      for (const node of r.removedNodes) for (const el of within(node, `${ITEM}, ${DETAIL}`)) if (!el.isConnected) unwatch(el);
      for (const node of r.addedNodes) for (const el of within(node, `${ITEM}, ${DETAIL}`)) watch(el);
    }
  });

  // Clicks, carts and purchases, by delegation from the root.
  function onClick(event) {
    const control = event.target instanceof Element && event.target.closest("a, button, [data-tastebud-action]");
    if (!control || !root.contains(control)) return;
    const marked = control.closest("[data-tastebud-action]");
    const action = marked && root.contains(marked) ? marked.dataset.tastebudAction : "click";
    const product = control.closest(ITEM);
    const item = product && itemOf(product);
    if (!item || !ACTIONS.has(action)) return;
    record({ type: action, item }, product);
  }
  function onSubmit(event) {
    const form = event.target;
    if (!(form instanceof Element) || !form.matches("[data-tastebud-search]")) return;
    const query = form.querySelector("[data-tastebud-query]")?.value?.trim();
    if (query) record({ type: "search", query }, form);
  }

  function start() {
    for (const el of within(root, `${ITEM}, ${DETAIL}`)) watch(el);
    mutations.observe(root, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["data-tastebud-item", "data-tastebud-detail"],
    });
    root.addEventListener("click", onClick, true);
    root.addEventListener("submit", onSubmit, true);
    document.addEventListener("visibilitychange", onVisibility);
    addEventListener("pagehide", onPageHide);
  }
  function stop() {
    mutations.disconnect();
    for (const element of [...details.keys(), ...timers.keys()]) unwatch(element);
    impressions.disconnect();
    dwell.disconnect();
    root.removeEventListener("click", onClick, true);
    root.removeEventListener("submit", onSubmit, true);
    document.removeEventListener("visibilitychange", onVisibility);
    removeEventListener("pagehide", onPageHide);
  }
  start();
  let connected = true;

  return {
    /** Stops recording until `resume` (the elements stay watched). */
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    get paused() {
      return paused;
    },
    /** Stops watching for good, ending an open detail view's dwell. */
    disconnect() {
      if (connected) stop();
      connected = false;
    },
  };
}
