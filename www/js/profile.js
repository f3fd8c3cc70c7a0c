// "What we know about you": the shopper's profile as the package keeps it in this browser — what
// they did, their interests as a chart, the products remembered — and its privacy controls:
// pause, forget a product, clear everything, export. It shows what is stored; it stores nothing.
import { $, h, icon, s } from "./dom.js";
import { ago, pounds, whole } from "./format.js";

/** How many products the panel lists, most recent first. */
const REMEMBERED_SHOWN = 12;
const RECENT_SHOWN = 8;
const INTERESTS_SHOWN = 8;

const COUNT_WORDS = [
  ["purchase", "bought"],
  ["add_to_cart", "put in basket"],
  ["view", "viewed"],
  ["click", "opened"],
  ["dwell", "looked at closely"],
  ["impression", "seen in lists"],
];

/** What the profile counts for one product, in words ("viewed 2×, opened 1×"). */
export function rememberedCounts(counts) {
  return COUNT_WORDS.filter(([key]) => counts[key] > 0)
    .map(([key, words]) => `${words} ${counts[key]}×`)
    .join(", ");
}

const INTENT = {
  browsing: "you seem to be browsing",
  comparing: "you seem to be comparing",
  deciding: "you seem close to deciding",
  purchased: "you have just bought something",
};

const EVENT_ICONS = { search: "search", add_to_cart: "basket", purchase: "gift", dwell: "clock" };

/** The panel for `shop`'s profile (`catalog` names its products; `toast` confirms the controls).
 * `draw()` redraws it; `changed(cause, id)` is told of every change as it happens. */
export function createProfilePanel(shop, catalog, toast) {
  const el = {
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
    forgotten: $("forgotten"),
    exportButton: $("export"),
    clear: $("clear"),
    stored: $("stored"),
    storedJson: $("stored-json"),
  };
  /** Products forgotten while this page is open (here or in another tab), oldest first: id →
   * name, to name them on the panel; the profile keeps no name of them. */
  const forgotten = new Map();

  const nameOf = (id, stored) =>
    catalog.get(id)?.name ?? stored?.items.find((i) => i.item.id === id)?.item.title ?? id;

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

  function draw() {
    const summary = shop.profile();
    const json = shop.exportJson();
    const stored = JSON.parse(json);
    const paused = shop.paused;

    el.pause.textContent = paused ? "Resume tracking" : "Pause tracking";
    el.pause.setAttribute("aria-pressed", String(paused));
    el.trackingState.classList.toggle("paused", paused);
    el.trackingText.textContent = paused ? "Paused: nothing is being recorded" : "Learning as you browse";

    const counts = summary.eventCounts;
    const actions = counts.view + counts.click + counts.add_to_cart + counts.purchase + counts.search;
    el.stats.textContent =
      summary.storedEvents === 0 && summary.rememberedItems === 0
        ? "Nothing yet. As you browse, what you look at is noted here — and only here."
        : `${whole.format(summary.storedEvents)} recent actions and ` +
          `${whole.format(summary.rememberedItems)} products stored · ` +
          `${whole.format(actions)} views, searches and basket adds, ` +
          `${whole.format(counts.impression)} products scrolled past · ` +
          INTENT[summary.intent];

    drawChart(summary.topInterests.slice(0, INTERESTS_SHOWN));
    const band = summary.priceBand;
    el.priceBand.hidden = !band;
    if (band) {
      el.priceBand.textContent =
        band.low === band.high
          ? `Prices you look at: around ${pounds.format(band.median)}`
          : `Prices you look at: ${pounds.format(band.low)} to ${pounds.format(band.high)}, ` +
            `typically ${pounds.format(band.median)}`;
    }

    const recent = stored.recentEvents.slice(-RECENT_SHOWN).reverse();
    el.events.replaceChildren(
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

    drawRemembered(stored);
    drawForgotten(stored);
    if (el.stored.open) el.storedJson.textContent = json;
  }

  /** Products the shopper did something with; those only scrolled past are counted. */
  function drawRemembered(stored) {
    const acted = stored.items
      .filter(({ counts: c }) => c.view + c.click + c.add_to_cart + c.purchase + c.dwell > 0)
      .sort((a, b) => b.lastSeenMs - a.lastSeenMs);
    const focusedForget = document.activeElement?.dataset?.forget;
    el.remembered.replaceChildren(
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
    if (focusedForget !== undefined && !el.remembered.contains(document.activeElement)) {
      (el.remembered.querySelector("[data-forget]") ?? el.rememberedTitle).focus();
    }
    const passed = stored.items.length - acted.length;
    const hiddenActed = Math.max(0, acted.length - REMEMBERED_SHOWN);
    el.rememberedMore.hidden = passed + hiddenActed === 0;
    el.rememberedMore.textContent = [
      hiddenActed ? `${hiddenActed} more you looked at` : "",
      passed ? `${passed} ${passed === 1 ? "product" : "products"} you scrolled past (so they are shown less)` : "",
    ]
      .filter(Boolean)
      .join(" · ")
      .concat(". Clear everything to forget them too.");
  }

  /** What forgetting does: a forgotten product stays out of the profile when it is shown or
   * looked at again, until the shopper opens it from a list, adds it or buys it. The profile
   * counts the products forgotten (`forgottenItems`, kept as codes of their ids, never names);
   * those forgotten while this page is open are named. */
  function drawForgotten(stored) {
    const back = new Set(stored.items.map((i) => i.item.id));
    for (const id of forgotten.keys()) if (back.has(id)) forgotten.delete(id);
    const count = Math.max(stored.forgottenItems ?? 0, forgotten.size);
    const names = [...forgotten.values()];
    el.forgotten.hidden = count === 0;
    if (count === 0) return;
    const one = count === 1;
    const earlier = count - names.length;
    const listed = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
    const what = !names.length
      ? `${whole.format(count)} ${one ? "product" : "products"} forgotten.`
      : `Forgotten: ${listed}${earlier ? ` (and ${whole.format(earlier)} before)` : ""}.`;
    el.forgotten.textContent = one
      ? `${what} Seeing it again won’t bring it back; opening it from a list, adding it to your basket ` +
        "or buying it will. For this we keep only a code of its stock number; Clear everything removes it."
      : `${what} Seeing them again won’t bring them back; opening one from a list, adding it to your ` +
        "basket or buying it will. For this we keep only codes of their stock numbers; Clear everything " +
        "removes them.";
  }

  /** The shopper's top interests as a horizontal bar chart (inline SVG). */
  function drawChart(interests) {
    if (!interests.length) {
      el.chart.replaceChildren(h("p", { class: "none" }, "Your interests will appear here as you browse."));
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
    el.chart.replaceChildren(
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
    el.stored.open = true;
    el.storedJson.textContent = shop.exportJson();
    toast("Your profile was downloaded as JSON, and is shown below.");
  }

  /** Forgets product `id` (a "Forget" button). */
  function forget(id) {
    shop.forget(id);
    toast(`Forgotten: ${nameOf(id)}. Seeing it again won’t bring it back.`);
  }

  /** Told of each change as it happens (the panel itself is redrawn later, when idle). */
  function changed(cause, id) {
    if (cause === "forget" && id !== undefined) {
      forgotten.delete(id);
      forgotten.set(id, nameOf(id));
    } else if (cause === "clear") {
      forgotten.clear();
    }
  }

  el.pause.addEventListener("click", () => {
    if (shop.paused) {
      shop.resume();
      toast("Tracking resumed.");
    } else {
      shop.pause();
      toast("Tracking paused: nothing you do is recorded until you resume.");
    }
  });
  el.clear.addEventListener("click", () => {
    shop.clear();
    toast("Everything we knew about you is gone.");
  });
  el.exportButton.addEventListener("click", exportProfile);
  el.stored.addEventListener("toggle", () => {
    if (el.stored.open) el.storedJson.textContent = shop.exportJson();
  });

  return { draw, forget, changed };
}
