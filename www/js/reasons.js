// Why a product is recommended, in the shop's words, from the structured reasons `rank` returns
// (`{ kind, item?, action?, label?, text }`): the product a reason names is looked up in the
// catalog by its id, so it is shown by its shop name rather than the upper-case training title
// the core's `text` carries; a reason with nothing to look up is the core's `text` as a sentence.

/** What the shopper did to a product, as a reason says it. */
const DID = {
  impression: "saw",
  view: "viewed",
  click: "opened",
  add_to_cart: "put in your basket",
  purchase: "bought",
  dwell: "took a good look at",
};

/** One reason as a sentence; `catalog.get(id)` finds the products reasons name. */
export function reasonText(reason, catalog) {
  const other = reason.item === undefined ? undefined : catalog.get(reason.item)?.name;
  switch (reason.kind) {
    case "similar_to":
      if (other) return `Because you ${DID[reason.action] ?? "looked at"} ${other}`;
      break;
    case "often_next":
      if (other) return `Often chosen after ${other}`;
      break;
    case "interest":
      if (reason.label) return `Matches your interest in “${reason.label}”`;
      break;
    case "bought_before":
      return "You bought this before";
  }
  // `matches_query`, and a product the catalog does not have: the core's words.
  return reason.text.charAt(0).toUpperCase() + reason.text.slice(1);
}
