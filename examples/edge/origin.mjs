// A stand-in for a shop's search API, the origin the edge worker fronts. It knows nothing of the
// shopper: `GET /search?q=…&n=100` answers `{ "results": [{ id, title, price }, …] }`, the `n`
// (default 100, at most 1000) catalog items whose titles contain most of the query's words, the
// best sellers first among equals; an empty query gives the best sellers. `GET /search?fail=1`
// answers 500, to see how the worker takes an origin failure.
//
//   node origin.mjs [--port 8787] [--catalog ../../www/data/catalog.json] [--log]
//
// The catalog is the Online Retail one that `make catalog` writes at the repository's root
// (Chen, D. (2015), UCI Machine Learning Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0).
// Port 0 takes a free port; the line `listening on http://127.0.0.1:PORT` says which. `--log`
// prints each request (`GET /search?q=mug 200`), which the example's test reads.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    catalog: { type: "string", default: fileURLToPath(new URL("../../www/data/catalog.json", import.meta.url)) },
    log: { type: "boolean", default: false },
  },
});

// Best sellers first, once: a search keeps this order among items matching as many words.
const items = JSON.parse(readFileSync(args.catalog, "utf8")).items.sort((a, b) => b.sold - a.sold);

createServer((req, res) => {
  const url = new URL(req.url, "http://origin");
  const answer = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
    if (args.log) console.log(`${req.method} ${req.url} ${status}`);
  };
  if (req.method !== "GET" || url.pathname !== "/search") return answer(404, { error: "not found" });
  if (url.searchParams.has("fail")) return answer(500, { error: "failure asked for (fail=1)" });
  const n = Math.min(Math.max(Number.parseInt(url.searchParams.get("n") ?? "100", 10) || 100, 1), 1000);
  answer(200, { results: search(url.searchParams.get("q") ?? "", n) });
}).listen(Number(args.port), "127.0.0.1", function () {
  console.log(`listening on http://127.0.0.1:${this.address().port}`);
});

/** The `n` best items for `query`: most of its words in the title, then best sellers. */
function search(query, n) {
  const words = wordsOf(query);
  const found = words.length === 0 ? items : matching(words);
  return found.slice(0, n).map(({ id, title, price }) => ({ id, title, price }));
}

/** The items whose title contains at least one of `words` ("MUG" in "MUGS" too), the most words
 * first (a stable sort keeps the best sellers first among equals). */
function matching(words) {
  const hits = (item) => words.filter((w) => item.title.includes(w)).length;
  return items
    .map((item) => ({ item, hits: hits(item) }))
    .filter(({ hits }) => hits > 0)
    .sort((a, b) => b.hits - a.hits)
    .map(({ item }) => item);
}

/** The words of a query, as the catalog's titles spell them (upper case, letters and digits). */
function wordsOf(text) {
  return text.toUpperCase().match(/[A-Z0-9]+/g) ?? [];
}
