// Hearth & Twine, the tastebud demo storefront: the Online Retail catalog (www/data/catalog.json,
// written by `tastebud-train catalog`) with a "recommended for you" rail, search results
// re-ranked on the device, a product detail view, and the shopper's profile with its privacy
// controls. The package records what the shopper does from the page's markup (`observe`), keeps
// the unseen part of the grid ordered for them (`live`), and stores the profile in this browser
// (`Personalizer.open`); this file draws the page and redraws the rail and the profile panel
// when the profile changes. It never calls `record` itself.
import { Personalizer } from "/pkg/index.js";

/** Bestsellers shown before a search. */
const GRID_SIZE = 120;
/** Cards revealed at a time by "Show more". */
const PAGE_SIZE = 40;
const RAIL_SIZE = 10;
/** Search results shown, best first for the shopper. */
const SEARCH_SIZE = 48;
/** How many products the profile panel lists, most recent first. */
const REMEMBERED_SHOWN = 12;
const RECENT_SHOWN = 8;
const INTERESTS_SHOWN = 8;

const pounds = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });
const whole = new Intl.NumberFormat("en-GB");
const relative = new Intl.RelativeTimeFormat("en-GB", { numeric: "auto" });

const $ = (id) => document.getElementById(id);
const ui = {
  failure: $("failure"),
  rail: document.querySelector('[data-testid="rail"]'),
  railNote: $("rail-note"),
  railStatus: $("rail-status"),
  grid: document.querySelector('[data-testid="grid"]'),
  gridTitle: $("grid-title"),
  gridNote: $("grid-note"),
  gridBack: $("grid-back"),
  gridEmpty: $("grid-empty"),
  gridMore: $("grid-more"),
  search: document.querySelector("form[data-tastebud-search]"),
  query: $("search-input"),
  shortcuts: $("shortcuts"),
  pause: $("pause"),
  trackingState: $("tracking-state"),
  trackingText: $("tracking-text"),
  stats: $("profile-stats"),
  chart: $("interests-chart"),
  priceBand: $("price-band"),
  events: $("recent-events"),
  remembered: $("remembered"),
  rememberedTitle: $("remembered-title"),
  rememberedMore: $("remembered-more"),
  exportButton: $("export"),
  clear: $("clear"),
  stored: $("stored"),
  storedJson: $("stored-json"),
  detail: $("detail"),
  detailBody: $("detail-body"),
  detailClose: $("detail-close"),
  why: $("why"),
  basket: $("basket"),
  basketItems: $("basket-items"),
  basketTotal: $("basket-total"),
  basketCount: $("basket-count"),
  basketCountText: $("basket-count-text"),
  toast: $("toast"),
};

// ---------------------------------------------------------------------------------------------
// Small DOM helpers

/** An element with attributes (`class`, `dataset`, `style`, others as attributes) and children. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "style") element.style.cssText = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return element;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element with attributes and children. */
function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** One of the page's icons (`<symbol id="i-…">`), decorative. */
function icon(name) {
  return s("svg", { "aria-hidden": "true", focusable: "false" }, s("use", { href: `#i-${name}` }));
}

let toastTimer;
/** Shows a short message at the bottom of the screen (announced politely). */
function toast(message) {
  ui.toast.textContent = message;
  ui.toast.classList.add("shown");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => ui.toast.classList.remove("shown"), 3200);
}

// ---------------------------------------------------------------------------------------------
// The catalog and how each product looks

/** Products in order of popularity; each `{ id, title, name, price, sold, rank, item, words }`,
 * where `item` is exactly what the model was trained on (`id`, `title`, `price`). */
let products = [];
const byId = new Map();

async function loadCatalog() {
  const response = await fetch("data/catalog.json");
  if (!response.ok) {
    throw new Error(`the catalog is missing (${response.status}): run "make demo" to build it`);
  }
  const { items } = await response.json();
  products = items.map(({ id, title, name, price, sold }, rank) => {
    const item = { id, title, price };
    const words = searchWords(`${name} ${id}`);
    // As shown, a name never breaks after a lone letter's hyphen ("T-|light").
    return { id, title, name: name.replace(/\b(\w)-/g, "$1\u2011"), price, sold, rank, item, words };
  });
  for (const product of products) byId.set(product.id, product);
}

/** What kind of thing a product is: its picture and the shelf it sits on. First match wins. */
const KINDS = [
  [/T-LIGHT|CANDLE|LANTERN|TEALIGHT|NIGHT LIGHT|LIGHTS\b/, "candle", "Candles & lights"],
  [/CAKE ?STAND|CAKE CASES|CAKE TIN|BAKING|CUTTERS?\b|\bCAKES?\b/, "cake", "Baking & parties"],
  [/\bBAGS?\b|SHOPPER|TOTE|CHARLOTTE|PURSE|BACKPACK/, "bag", "Bags"],
  [/\bMUGS?\b|\bCUPS?\b|TEACUP|BEAKER|TEAPOT|TEA ?SET|COFFEE/, "cup", "Tea & coffee"],
  [/\bSIGN\b|PLAQUE|DOORMAT/, "sign", "Signs & doormats"],
  [/BUNTING|GARLAND|PAPER CHAIN|BALLOON/, "bunting", "Party"],
  [/CLOCK/, "clock", "Clocks"],
  [/BOTTLE/, "bottle", "Hot water bottles"],
  [/NECKLACE|EARRINGS|BRACELET|BROOCH|DIAMANTE|\bRING\b|HAIR ?(CLIP|SLIDE|BAND)/, "jewel", "Jewellery"],
  [
    /\bCARDS?\b|WRAP|\bTAGS?\b|NOTEBOOK|NAPKINS|PAPER|STICKER|NOTELETS|JOURNAL|PENCIL|\bPEN\b|STATIONERY/,
    "card",
    "Cards & stationery",
  ],
  [/PLATE|BOWL|\bDISH|SAUCER|CUTLERY|TRAY|JUG|COASTER|PLACEMAT|TEA TOWEL/, "plate", "Kitchen & table"],
  [/CUSHION|THROW|BLANKET|QUILT/, "cushion", "Cushions & throws"],
  [/FRAME|MIRROR|PHOTO/, "frame", "Frames"],
  [/\bBIRDS?\b|DOVE|ROBIN|BIRDHOUSE|GARDEN/, "bird", "Garden & birds"],
  [/\bBOX\b|BOXES|\bTINS?\b|CRATE|STORAGE|\bJARS?\b|CASE\b|BASKET|HAMPER/, "box", "Storage"],
  [/CHRISTMAS|\bSTARS?\b|BAUBLE|ORNAMENT|DECORATION|SNOWFLAKE|ANGEL|TREE/, "star", "Decorations"],
  [/HEART/, "heart", "Hearts & home"],
];
const GIFT = ["gift", "Gifts"];

/** Colour words of the titles, as a hue and saturation for the product's picture. */
const COLOURS = {
  red: [4, 62], pink: [340, 58], rose: [350, 45], blue: [212, 52], navy: [222, 45],
  green: [140, 36], mint: [160, 40], turquoise: [178, 48], teal: [182, 42], purple: [275, 36],
  lilac: [280, 34], lavender: [265, 34], yellow: [48, 72], gold: [42, 58], orange: [24, 70],
  brown: [26, 34], black: [20, 6], white: [36, 18], ivory: [42, 28], cream: [38, 32],
  silver: [210, 10], zinc: [205, 12], grey: [210, 8], natural: [32, 28], copper: [20, 50],
};

/** FNV-1a, 32 bits: a stable number for a word. */
function hash(text) {
  let x = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 0x01000193);
  return x >>> 0;
}

const looks = new Map();
/** How a product is drawn: its icon, shelf label, hue and pattern, from its title alone. */
function lookOf(product) {
  let look = looks.get(product.id);
  if (look) return look;
  const title = product.title ?? product.name.toUpperCase();
  const [, iconName, shelf] = KINDS.find(([pattern]) => pattern.test(title)) ?? [null, ...GIFT];
  const words = title.toLowerCase().split(/[^a-z]+/).filter(Boolean);
  const colour = words.map((w) => COLOURS[w]).find(Boolean);
  const kind = words.at(-1) ?? product.id;
  const [hue, saturation] = colour ?? [hash(kind) % 360, 38 + (hash(kind) >>> 9) % 20];
  const pattern = /RETROSPOT|POLKADOT|SPOTTY|\bSPOTS?\b|\bDOTS?\b/.test(title)
    ? "dots"
    : /STRIPE/.test(title)
      ? "stripes"
      : /GINGHAM|CHECK\b/.test(title)
        ? "check"
        : undefined;
  look = { icon: iconName, shelf, hue, saturation, pattern };
  looks.set(product.id, look);
  return look;
}

/** The drawn picture of a product. */
function tile(product, className = "tile") {
  const { icon: name, hue, saturation, pattern } = lookOf(product);
  return h(
    "span",
    { class: className, style: `--h:${hue};--s:${saturation}%`, dataset: pattern ? { pattern } : {} },
    icon(name),
  );
}

/** The attributes that tell tastebud's observer which product an element shows. */
function itemMarks(product) {
  return {
    "data-tastebud-item": product.id,
    "data-tastebud-title": product.title,
    "data-tastebud-price": product.price === undefined ? undefined : String(product.price),
  };
}

const price = (product) => (product.price === undefined ? "" : pounds.format(product.price));

// ---------------------------------------------------------------------------------------------
// Product cards

/** A product card; `extra` goes under the price (the rail's reason). The card is the product
 * element tastebud observes: opening it records a click, "Add" an add-to-cart. */
function card(product, tag, extra) {
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

/** Grid cards, made once per product and reused (the bestsellers and search results share
 * them). */
const gridCards = new Map();
function gridCard(product) {
  let node = gridCards.get(product.id);
  if (!node) gridCards.set(product.id, (node = card(product, "li")));
  return node;
}

/** Rail cards: the card, its first reason and a "Why this?" button. The button sits outside the
 * product element, so asking why is not recorded as interest in the product. */
const railCards = new Map();
function railCard(product) {
  let node = railCards.get(product.id);
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
    railCards.set(product.id, node);
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Reasons in the shop's words (the package's own text names products by their training titles,
// which are upper case)

const DID = {
  impression: "saw",
  view: "viewed",
  click: "opened",
  add_to_cart: "put in your basket",
  purchase: "bought",
  dwell: "took a good look at",
  search: "searched for",
};

function reasonText(reason) {
  const other = reason.item === undefined ? undefined : byId.get(reason.item)?.name;
  switch (reason.kind) {
    case "similar_to":
      if (other) return `Because you ${DID[reason.action] ?? "looked at"} ${other}`;
      break;
    case "often_next":
      if (other) return `Often chosen after ${other}`;
      break;
    case "interest":
      return `Matches your interest in “${reason.label}”`;
    case "bought_before":
      return "You bought this before";
  }
  return reason.text.charAt(0).toUpperCase() + reason.text.slice(1);
}

// ---------------------------------------------------------------------------------------------
// The page

let shop;
/** The whole catalog, prepared once for the rail. */
let railCatalog;
/** The grid's live re-ordering. */
let liveGrid;
/** The rail as last drawn: ids, and the ranked result by id. */
let railIds = [];
let railRanked = new Map();
let railVersion = 0;
/** Whether the shopper has scrolled the rail sideways (kept by a scroll listener). */
let railScrolled = false;
let basket = [];

async function main() {
  if (typeof Personalizer.open !== "function") {
    throw new Error("pkg/ is older than the storefront (no Personalizer.open): run scripts/pkg.sh");
  }
  const [opened] = await Promise.all([
    Personalizer.open({ name: "hearth-and-twine", expireAfterDays: 90 }),
    loadCatalog(),
  ]);
  shop = opened;
  railCatalog = shop.catalog(products.map((p) => p.item));

  drawShortcuts();
  showBestsellers();
  wireEvents();
  shop.observe(document.body);
  shop.onChange(scheduleRedraw);

  drawRail();
  drawProfile();
  document.body.dataset.ready = "true";
}

let frame;
let changedAt;
let profilePending = false;
/** `requestIdleCallback` where there is one (Safari has none). */
const whenIdle = globalThis.requestIdleCallback?.bind(globalThis) ?? ((callback) => setTimeout(callback, 50));
/** After a change: the rail is redrawn in the next frame (several changes, one redraw), the
 * profile panel once the browser is idle after it, so the frame that shows the new rail has
 * little else to do. Leaves two measures in the performance timeline, for benchmarks:
 * `tastebud:rail` (from the change to the rail drawn, before that frame paints) and
 * `tastebud:profile` (drawing the profile panel). */
function scheduleRedraw() {
  changedAt ??= performance.now();
  frame ??= requestAnimationFrame(() => {
    drawRail();
    performance.measure("tastebud:rail", { start: changedAt, end: performance.now() });
    frame = undefined;
    changedAt = undefined;
  });
  if (!profilePending) {
    profilePending = true;
    whenIdle(
      () => {
        profilePending = false;
        const start = performance.now();
        drawProfile();
        performance.measure("tastebud:profile", { start, end: performance.now() });
      },
      { timeout: 300 },
    );
  }
}

// The rail ----------------------------------------------------------------------------------

function drawRail() {
  const ranked = shop.rankCatalog(railCatalog, { k: RAIL_SIZE });
  const ids = ranked.map((r) => r.id);
  railRanked = new Map(ranked.map((r) => [r.id, r]));
  const summary = shop.profile();
  const cold = summary.storedEvents === 0 && summary.rememberedItems === 0;

  for (const { id, reasons } of ranked) {
    const product = byId.get(id);
    const text = reasons.length ? reasonText(reasons[0]) : `Ordered ${whole.format(product.sold)} times`;
    const caption = railCard(product).querySelector(".card-reason");
    if (caption.textContent !== text) caption.textContent = text;
  }
  const changed = ids.length !== railIds.length || ids.some((id, i) => id !== railIds[i]);
  if (changed) {
    const hadFocus = ui.rail.contains(document.activeElement);
    // Only the cards that changed place are moved: the rest keep their layout.
    ids.forEach((id, i) => {
      const node = railCard(byId.get(id));
      if (ui.rail.children[i] !== node) ui.rail.insertBefore(node, ui.rail.children[i] ?? null);
    });
    while (ui.rail.children.length > ids.length) ui.rail.lastElementChild.remove();
    // Back to the start, without reading the layout (which would force it mid-frame).
    if (railScrolled) ui.rail.scrollLeft = 0;
    if (railVersion > 0) {
      const first = byId.get(ids[0]);
      ui.railStatus.textContent = `Recommendations updated. First: ${first?.name ?? ""}.`;
    }
    // A card that left the rail took the focus with it: give it to the first card.
    if (hadFocus && !ui.rail.contains(document.activeElement)) ui.rail.querySelector(".card-open")?.focus();
    railIds = ids;
  }
  ui.railNote.textContent = shop.paused
    ? "Tracking is paused: these are based on what you did before."
    : cold
      ? "Our bestsellers, until we learn what you like. Browse a little and this row changes — " +
        "worked out on your device."
      : "Picked on this device from what you have looked at. Nothing leaves your browser.";
  document.body.dataset.railVersion = String(++railVersion);
}

// The grid ----------------------------------------------------------------------------------

let gridLimit = PAGE_SIZE;
let searching = false;

/** Puts `list` in the grid and keeps its unseen part ordered for the shopper. */
function fillGrid(list, rankOptions) {
  liveGrid?.disconnect();
  ui.grid.replaceChildren(...list.map(gridCard));
  ui.grid.hidden = list.length === 0;
  liveGrid = shop.live(ui.grid, rankOptions);
}

function showBestsellers() {
  searching = false;
  gridLimit = PAGE_SIZE;
  ui.gridTitle.textContent = "Bestsellers";
  ui.gridNote.textContent =
    "Our most ordered gifts. What you have not scrolled to yet is quietly re-ordered for you as you browse.";
  ui.gridBack.hidden = true;
  ui.gridEmpty.hidden = true;
  fillGrid(products.slice(0, GRID_SIZE), {});
  applyLimit();
}

function applyLimit() {
  const count = ui.grid.children.length;
  const all = searching || gridLimit >= count;
  ui.grid.dataset.limit = all ? "all" : String(gridLimit);
  ui.gridMore.hidden = all;
  ui.gridMore.textContent = `Show more (${Math.min(PAGE_SIZE, count - gridLimit)} of ${count - gridLimit})`;
}

function showMore() {
  const firstNew = ui.grid.children[gridLimit];
  gridLimit += PAGE_SIZE;
  applyLimit();
  firstNew?.querySelector(".card-open")?.focus();
}

/** Lower-case words of a text, without a plural "s", for matching. */
function searchWords(text) {
  return text
    .toLowerCase()
    .split(/[^a-z0-9'-]+/)
    .filter(Boolean)
    .map((w) => (w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w));
}

/** Products whose name has every word of the query (as a word's beginning). */
function matching(query) {
  const wanted = searchWords(query);
  if (!wanted.length) return [];
  return products.filter((p) => wanted.every((w) => p.words.some((word) => word.startsWith(w))));
}

function search(raw) {
  const query = raw.trim();
  if (!query) {
    showBestsellers();
    return;
  }
  searching = true;
  const matches = matching(query);
  const ranked = matches.length ? shop.rank(matches.map((p) => p.item), { query, k: SEARCH_SIZE }) : [];
  fillGrid(
    ranked.map((r) => byId.get(r.id)),
    { query },
  );
  ui.gridTitle.textContent = `Results for “${query}”`;
  const found = `${whole.format(matches.length)} ${matches.length === 1 ? "product matches" : "products match"}`;
  ui.gridNote.textContent = !matches.length
    ? ""
    : matches.length > ranked.length
      ? `${found}; here are the ${ranked.length} best for you, ranked on this device.`
      : `${found}, ranked for you on this device.`;
  ui.gridEmpty.hidden = matches.length > 0;
  ui.gridEmpty.textContent = `Nothing matches “${query}”. Try “heart”, “bag”, “candle” or “Christmas”.`;
  ui.gridBack.hidden = false;
  applyLimit();
  const top = ui.gridTitle.getBoundingClientRect().top;
  if (top < 0 || top > innerHeight * 0.6) ui.gridTitle.scrollIntoView({ block: "start" });
}

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

function drawShortcuts() {
  ui.shortcuts.replaceChildren(
    ...SHORTCUTS.map(([label, query]) =>
      h("li", {}, h("button", { type: "button", class: "chip", dataset: { query } }, label)),
    ),
  );
}

// The detail view ---------------------------------------------------------------------------

let opener;

/** Shows one product in the dialog. Its body carries `data-tastebud-detail`: tastebud records a
 * view when it shows and the dwell time when it goes. */
function openDetail(id, from) {
  const product = byId.get(id);
  if (!product) return;
  const { shelf } = lookOf(product);
  closeWhy();
  opener = from;
  ui.detailBody.replaceChildren(
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
  if (!ui.detail.open) ui.detail.showModal();
  ui.detailClose.focus();
}

function closeDetail() {
  if (ui.detail.open) ui.detail.close();
}

function onDetailClosed() {
  // The product leaves the page, which ends its dwell time.
  ui.detailBody.replaceChildren();
  const back = opener?.isConnected ? opener : ui.rail.querySelector(".card-open");
  back?.focus();
  opener = undefined;
}

// "Why this?" ---------------------------------------------------------------------------------

let whyFor;
/** The button whose explanation the last outside click closed, and when: a click on that same
 * button closes the explanation rather than opening it again. */
let whyClosed = { for: undefined, at: 0 };

function showWhy(id, button) {
  const product = byId.get(id);
  if (!product) return;
  // explain() describes the last ranking: rank the rail again so it is the rail's.
  shop.rankCatalog(railCatalog, { k: RAIL_SIZE });
  const { ranked, remembered } = shop.explain(id);
  const reasons = (ranked ?? railRanked.get(id))?.reasons ?? [];
  const lines = reasons.map((r) => h("li", {}, reasonText(r)));
  if (!lines.length) lines.push(h("li", {}, "It is one of our bestsellers, and we do not know much about you yet."));
  const known = remembered ? rememberedCounts(remembered.counts) : "";
  ui.why.replaceChildren(
    ...[
      h("h2", { id: "why-title" }, `Why ${product.name}?`),
      ranked ? h("p", { class: "why-position" }, `No. ${ranked.position} of your ${ranked.of} recommendations`) : null,
      h("ul", { class: "why-reasons" }, lines),
      known ? h("p", { class: "why-known" }, `About this product itself, we remember: ${known}.`) : null,
      h("p", { class: "why-note" }, "Worked out on this device from your activity here."),
    ].filter(Boolean),
  );
  whyFor = button;
  ui.why.showPopover();
  placeWhy();
  ui.why.focus();
}

function placeWhy() {
  if (!whyFor?.isConnected || !ui.why.matches(":popover-open")) return;
  const anchor = whyFor.getBoundingClientRect();
  const { width, height } = ui.why.getBoundingClientRect();
  const left = Math.max(8, Math.min(anchor.left, innerWidth - width - 8));
  const below = anchor.bottom + 6;
  const top = below + height > innerHeight - 8 ? Math.max(8, anchor.top - height - 6) : below;
  ui.why.style.left = `${left}px`;
  ui.why.style.top = `${top}px`;
}

function closeWhy() {
  if (ui.why.matches(":popover-open")) ui.why.hidePopover();
}

// The profile panel -------------------------------------------------------------------------

const COUNT_WORDS = [
  ["purchase", "bought"],
  ["add_to_cart", "put in basket"],
  ["view", "viewed"],
  ["click", "opened"],
  ["dwell", "looked at closely"],
  ["impression", "seen in lists"],
];

function rememberedCounts(counts) {
  return COUNT_WORDS.filter(([key]) => counts[key] > 0)
    .map(([key, words]) => `${words} ${counts[key]}×`)
    .join(", ");
}

function ago(ms) {
  const seconds = Math.round((ms - Date.now()) / 1000);
  if (seconds > -45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes > -60) return relative.format(minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (hours > -24) return relative.format(hours, "hour");
  return relative.format(Math.round(hours / 24), "day");
}

function nameOf(id, stored) {
  return byId.get(id)?.name ?? stored.items.find((i) => i.item.id === id)?.item.title ?? id;
}

function eventText(event, stored) {
  const name = event.itemId === undefined ? "" : nameOf(event.itemId, stored);
  switch (event.kind) {
    case "search":
      return `Searched for “${event.query}”`;
    case "dwell":
      return `Spent ${Math.max(1, Math.round(event.dwellMs / 1000))} s on ${name}`;
    case "view":
      return `Viewed ${name}`;
    case "click":
      return `Opened ${name}`;
    case "add_to_cart":
      return `Added ${name} to the basket`;
    case "purchase":
      return `Bought ${name}`;
    default:
      return `${event.kind} ${name}`;
  }
}

const INTENT = {
  browsing: "you seem to be browsing",
  comparing: "you seem to be comparing",
  deciding: "you seem close to deciding",
  purchased: "you have just bought something",
};

const EVENT_ICONS = { search: "search", add_to_cart: "basket", purchase: "gift", dwell: "clock" };

function drawProfile() {
  const summary = shop.profile();
  const json = shop.exportJson();
  const stored = JSON.parse(json);
  const paused = shop.paused;

  ui.pause.textContent = paused ? "Resume tracking" : "Pause tracking";
  ui.pause.setAttribute("aria-pressed", String(paused));
  ui.trackingState.classList.toggle("paused", paused);
  ui.trackingText.textContent = paused ? "Paused: nothing is being recorded" : "Learning as you browse";

  const counts = summary.eventCounts;
  const actions = counts.view + counts.click + counts.add_to_cart + counts.purchase + counts.search;
  ui.stats.textContent =
    summary.storedEvents === 0 && summary.rememberedItems === 0
      ? "Nothing yet. As you browse, what you look at is noted here — and only here."
      : `${whole.format(summary.storedEvents)} recent actions and ` +
        `${whole.format(summary.rememberedItems)} products stored · ` +
        `${whole.format(actions)} views, searches and basket adds, ` +
        `${whole.format(counts.impression)} products scrolled past · ` +
        INTENT[summary.intent];

  drawChart(summary.topInterests.slice(0, INTERESTS_SHOWN));
  const band = summary.priceBand;
  ui.priceBand.hidden = !band;
  if (band) {
    ui.priceBand.textContent =
      band.low === band.high
        ? `Prices you look at: around ${pounds.format(band.median)}`
        : `Prices you look at: ${pounds.format(band.low)} to ${pounds.format(band.high)}, ` +
          `typically ${pounds.format(band.median)}`;
  }

  const recent = stored.recentEvents.slice(-RECENT_SHOWN).reverse();
  ui.events.replaceChildren(
    ...(recent.length
      ? recent.map((event) =>
          h(
            "li",
            { class: `event event-${event.kind}` },
            icon(EVENT_ICONS[event.kind] ?? "heart"),
            h("span", { class: "event-text" }, eventText(event, stored)),
            h("time", { datetime: new Date(event.tsMs).toISOString() }, ago(event.tsMs)),
          ),
        )
      : [h("li", { class: "none" }, "No activity yet.")]),
  );

  // Products the shopper did something with; those only scrolled past are counted.
  const acted = stored.items
    .filter(({ counts: c }) => c.view + c.click + c.add_to_cart + c.purchase + c.dwell > 0)
    .sort((a, b) => b.lastSeenMs - a.lastSeenMs);
  const focusedForget = document.activeElement?.dataset?.forget;
  ui.remembered.replaceChildren(
    ...(acted.length
      ? acted.slice(0, REMEMBERED_SHOWN).map(({ item, counts: c }) => {
          const name = nameOf(item.id, stored);
          return h(
            "li",
            {},
            h("span", { class: "remembered-name" }, name, h("small", {}, rememberedCounts(c))),
            h(
              "button",
              {
                type: "button",
                class: "link-button forget",
                dataset: { forget: item.id },
                "aria-label": `Forget ${name}`,
              },
              "Forget",
            ),
          );
        })
      : [h("li", { class: "none" }, "No products yet.")]),
  );
  if (focusedForget !== undefined && !ui.remembered.contains(document.activeElement)) {
    (ui.remembered.querySelector("[data-forget]") ?? ui.rememberedTitle).focus();
  }
  const passed = stored.items.length - acted.length;
  const hiddenActed = Math.max(0, acted.length - REMEMBERED_SHOWN);
  ui.rememberedMore.hidden = passed + hiddenActed === 0;
  ui.rememberedMore.textContent = [
    hiddenActed ? `${hiddenActed} more you looked at` : "",
    passed ? `${passed} ${passed === 1 ? "product" : "products"} you scrolled past (so they are shown less)` : "",
  ]
    .filter(Boolean)
    .join(" · ")
    .concat(". Clear everything to forget them too.");

  if (ui.stored.open) ui.storedJson.textContent = json;
}

/** The shopper's top interests as a horizontal bar chart (inline SVG). */
function drawChart(interests) {
  if (!interests.length) {
    ui.chart.replaceChildren(h("p", { class: "none" }, "Your interests will appear here as you browse."));
    return;
  }
  const row = 26;
  const labelWidth = 104;
  const barWidth = 150;
  const top = Math.max(...interests.map((i) => i.share));
  const height = interests.length * row;
  const shares = interests.map((i) => `${i.label} ${Math.round(i.share * 100)}%`);
  const description = `Your interests: ${shares.join(", ")}`;
  const bars = interests.map((interest, i) => {
    const y = i * row;
    const width = Math.max(2, (interest.share / top) * barWidth);
    return s(
      "g",
      { class: `bar bar-${interest.kind}` },
      s("text", { x: labelWidth - 8, y: y + row / 2, class: "bar-label", "text-anchor": "end" }, interest.label),
      s("rect", { x: labelWidth, y: y + 5, width: barWidth, height: row - 10, rx: 4, class: "bar-track" }),
      s("rect", { x: labelWidth, y: y + 5, width: width.toFixed(1), height: row - 10, rx: 4, class: "bar-fill" }),
      s(
        "text",
        { x: labelWidth + barWidth + 8, y: y + row / 2, class: "bar-value" },
        `${Math.round(interest.share * 100)}%`,
      ),
    );
  });
  ui.chart.replaceChildren(
    s(
      "svg",
      { viewBox: `0 0 ${labelWidth + barWidth + 44} ${height}`, role: "img", "aria-label": description },
      s("title", {}, description),
      ...bars,
    ),
  );
}

function exportProfile() {
  const blob = new Blob([shop.exportJson()], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: "hearth-and-twine-profile.json" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  ui.stored.open = true;
  ui.storedJson.textContent = shop.exportJson();
  toast("Your profile was downloaded as JSON, and is shown below.");
}

// The basket --------------------------------------------------------------------------------

function addToBasket(id) {
  const product = byId.get(id);
  if (!product) return;
  basket.push(id);
  drawBasket();
  toast(`Added to your basket: ${product.name}`);
}

function drawBasket() {
  ui.basketCount.textContent = String(basket.length);
  ui.basketCount.classList.toggle("zero", basket.length === 0);
  const count = basket.length;
  ui.basketCountText.textContent = count ? `, ${count} ${count === 1 ? "item" : "items"}` : ", empty";
  const lines = new Map();
  for (const id of basket) lines.set(id, (lines.get(id) ?? 0) + 1);
  ui.basketItems.replaceChildren(
    ...(lines.size
      ? [...lines].map(([id, n]) => {
          const product = byId.get(id);
          const line = h("span", {}, product.name, h("small", {}, `${n} × ${price(product)}`));
          return h("li", {}, tile(product, "tile mini"), line);
        })
      : [h("li", { class: "none" }, "Your basket is empty.")]),
  );
  const total = basket.reduce((sum, id) => sum + (byId.get(id).price ?? 0), 0);
  ui.basketTotal.textContent = basket.length ? `Total ${pounds.format(total)}` : "";
}

// Wiring ------------------------------------------------------------------------------------

function wireEvents() {
  // One listener for the controls of every card and dialog. tastebud's observer has already
  // recorded what the click means (it listens first, in the capture phase).
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const control = target?.closest("[data-open], [data-add], [data-buy], [data-why], [data-forget], [data-query]");
    if (!control) return;
    const { open, add, buy, why, forget, query } = control.dataset;
    if (open !== undefined) openDetail(open, control);
    else if (add !== undefined) addToBasket(add);
    else if (buy !== undefined) {
      closeDetail();
      toast(`Thank you! ${byId.get(buy)?.name ?? "Your order"} is yours (a demo: nothing was charged).`);
    } else if (why !== undefined) {
      const justClosed = whyClosed.for === control && performance.now() - whyClosed.at < 500;
      if (whyFor === control && ui.why.matches(":popover-open")) closeWhy();
      else if (!justClosed) showWhy(why, control);
    } else if (forget !== undefined) {
      shop.forget(forget);
      toast(`Forgotten: ${nameOf(forget, { items: [] })}`);
    } else if (query !== undefined) {
      ui.query.value = query;
      ui.search.requestSubmit();
    }
  });

  ui.search.addEventListener("submit", (event) => {
    event.preventDefault();
    closeWhy();
    search(ui.query.value);
  });
  ui.gridBack.addEventListener("click", () => {
    ui.query.value = "";
    showBestsellers();
    ui.gridTitle.focus();
  });
  ui.gridMore.addEventListener("click", showMore);

  ui.detailClose.addEventListener("click", closeDetail);
  ui.detail.addEventListener("close", onDetailClosed);
  // A click on the backdrop (the dialog itself, outside its content) closes it.
  ui.detail.addEventListener("click", (event) => {
    if (event.target === ui.detail) closeDetail();
  });

  ui.why.addEventListener("toggle", (event) => {
    if (event.newState !== "closed") return;
    // Back to the button, unless the shopper has moved on to something else.
    const active = document.activeElement;
    if (!active || active === document.body || ui.why.contains(active)) whyFor?.focus({ preventScroll: true });
    whyClosed = { for: whyFor, at: performance.now() };
    whyFor = undefined;
  });
  ui.rail.addEventListener(
    "scroll",
    () => {
      railScrolled = ui.rail.scrollLeft > 0;
      closeWhy();
    },
    { passive: true },
  );
  addEventListener("scroll", () => placeWhy(), { passive: true });
  addEventListener("resize", () => placeWhy());

  ui.pause.addEventListener("click", () => {
    if (shop.paused) {
      shop.resume();
      toast("Tracking resumed.");
    } else {
      shop.pause();
      toast("Tracking paused: nothing you do is recorded until you resume.");
    }
  });
  ui.clear.addEventListener("click", () => {
    shop.clear();
    toast("Everything we knew about you is gone.");
  });
  ui.exportButton.addEventListener("click", exportProfile);
  ui.stored.addEventListener("toggle", () => {
    if (ui.stored.open) ui.storedJson.textContent = shop.exportJson();
  });
  ui.basket.addEventListener("toggle", (event) => {
    if (event.newState === "open") drawBasket();
  });
  drawBasket();
}

main().catch((error) => {
  console.error(error);
  ui.failure.hidden = false;
  ui.failure.textContent = `The shop could not load: ${error.message}`;
  ui.railNote.textContent = "Recommendations are not available right now.";
  ui.gridNote.textContent = "";
});
