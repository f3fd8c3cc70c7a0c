// `tastebud/edge`: re-orders a server's results for the shopper whose token came with the
// request, in an edge worker or a server, from the token and the embedded model alone: nothing
// of any shopper is kept between requests. It never throws: whatever goes wrong (no token, a
// damaged, foreign or stale one, results that are not items) leaves the server's order, with
// the reason. The runtime's entry (edge-worker.js, edge-node.js, edge-web.js) loads the
// WebAssembly code first.
import { Edge } from "./tastebud.js";
import { itemKeys, jsonOf, listOf, optionsOf, pack, within } from "./read.js";
import { coded, tastebudError } from "./shared.js";

/** How old a token is accepted by default: a day (pages make a new one on every change of the
 * profile, and at least every 6 hours). */
export const DEFAULT_MAX_AGE_MS = 86_400_000;

let edge;

/** `results` re-ordered for the shopper of `token`: `{ results, personalized, reason }`. */
export function rerank(results, token, options) {
  // Until the list is read, what came (a list over the limits stays as it came).
  let list = isArray(results) ? results : [];
  try {
    list = listOf(results);
    const { maxAgeMs, json } = edgeOptions(options);
    const text = token == null ? "" : token;
    if (typeof text !== "string") return kept(list, "token_malformed");
    edge ??= Edge.start(undefined);
    const packed = pack(list);
    const order = packed
      ? edge.rerank(within(packed.text, "invalid_item", "results"), packed.prices, packed.tagCounts, text, maxAgeMs, json)
      : edge.rerank(jsonOf(list, "invalid_item", "results", itemKeys()), undefined, undefined, text, maxAgeMs, json);
    if (typeof order === "string") return kept(list, order);
    // Each id once, at its first place in the results, as `rank` reads them.
    return { results: Array.from(order, (at) => list[at]), personalized: true, reason: null };
  } catch (e) {
    return kept(list, typeof e?.code === "string" ? e.code : "internal");
  }
}

/** `Array.isArray`, false where asking throws (a revoked Proxy). */
function isArray(value) {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/** The server's order, with why it stands. */
const kept = (results, reason) => ({ results, personalized: false, reason });

/** `maxAgeMs` and the ranking options (as JSON) of `rerank`'s options. */
function edgeOptions(options) {
  let read;
  try {
    const { maxAgeMs = DEFAULT_MAX_AGE_MS, ...rank } = options ?? {};
    read = { maxAgeMs, rank };
  } catch (e) {
    throw coded(e, "invalid_options", "options cannot be read");
  }
  if (typeof read.maxAgeMs !== "number" || !(read.maxAgeMs >= 0)) {
    throw tastebudError("invalid_options", "maxAgeMs must be a number of milliseconds");
  }
  return { maxAgeMs: read.maxAgeMs, json: optionsOf(read.rank, "ranking options") };
}
