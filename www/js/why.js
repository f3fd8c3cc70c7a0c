// "Why this?": the popover that says why a product is in the rail, anchored to its button.
import { $, h } from "./dom.js";
import { rememberedCounts } from "./profile.js";
import { reasonText } from "./reasons.js";

/** A click on the button whose explanation was closed this recently (by that very click, outside
 * the popover) closes it rather than opening it again. */
const REOPEN_MS = 500;

/** The popover explaining `rail`'s products (`catalog` names them). */
export function createWhy(catalog, rail) {
  const popover = $("why");
  /** The "Why this?" button the popover is open for. */
  let anchor;
  /** The button whose explanation was last closed, and when. */
  let closed = { for: undefined, at: 0 };

  const isOpen = () => popover.matches(":popover-open");

  function show(id, button) {
    const product = catalog.get(id);
    if (!product) return;
    const { ranked, remembered, reasons } = rail.explain(id);
    const lines = reasons.map((r) => h("li", {}, reasonText(r, catalog)));
    if (!lines.length) lines.push(h("li", {}, "It is one of our bestsellers, and we do not know much about you yet."));
    const known = remembered ? rememberedCounts(remembered.counts) : "";
    popover.replaceChildren(
      ...[
        h("h2", { id: "why-title" }, `Why ${product.name}?`),
        ranked ? h("p", { class: "why-position" }, `No. ${ranked.position} of your ${ranked.of} recommendations`) : null,
        h("ul", { class: "why-reasons" }, lines),
        known ? h("p", { class: "why-known" }, `About this product itself, we remember: ${known}.`) : null,
        h("p", { class: "why-note" }, "Worked out on this device from your activity here."),
      ].filter(Boolean),
    );
    anchor = button;
    popover.showPopover();
    place();
    popover.focus();
  }

  function place() {
    if (!anchor?.isConnected || !isOpen()) return;
    const box = anchor.getBoundingClientRect();
    const { width, height } = popover.getBoundingClientRect();
    const left = Math.max(8, Math.min(box.left, innerWidth - width - 8));
    const below = box.bottom + 6;
    const top = below + height > innerHeight - 8 ? Math.max(8, box.top - height - 6) : below;
    popover.style.left = `${left}px`;
    popover.style.top = `${top}px`;
  }

  function close() {
    if (isOpen()) popover.hidePopover();
  }

  /** The shopper pressed the "Why this?" button of product `id`. */
  function toggle(id, button) {
    const justClosed = closed.for === button && performance.now() - closed.at < REOPEN_MS;
    if (anchor === button && isOpen()) close();
    else if (!justClosed) show(id, button);
  }

  popover.addEventListener("toggle", (event) => {
    if (event.newState !== "closed") return;
    // Back to the button, unless the shopper has moved on to something else.
    const active = document.activeElement;
    if (!active || active === document.body || popover.contains(active)) anchor?.focus({ preventScroll: true });
    closed = { for: anchor, at: performance.now() };
    anchor = undefined;
  });
  addEventListener("scroll", place, { passive: true });
  addEventListener("resize", place);

  return { toggle, close };
}
