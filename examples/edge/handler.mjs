// The edge worker, the same in every runtime (workerd, Node, Deno: see worker.mjs, node.mjs,
// deno.mjs): it fronts the shop's search API and re-orders its results for the shopper whose
// token came with the request, keeping nothing between requests.
//
//   GET /search?q=…&n=…              the origin's results, re-ranked with the shopper's token
//   GET /passthrough/search?q=…&n=…  the same request and JSON work, the origin's order kept
//
// Both answer 200 with `{ results, personalized, reason }` and the header `x-tastebud-rerank`
// (`personalized`, `passthrough` or the reason the origin's order was kept), or 502 with
// `{ error }` when the origin fails.
import { rerank } from "tastebud/edge";

/** Answers `request` (a Fetch API `Request`); `originFetch(pathAndQuery)` asks the origin and
 * resolves to its `Response`. Never throws. */
export async function handle(request, originFetch) {
  const url = new URL(request.url);
  const passthrough = url.pathname.startsWith("/passthrough/");
  const path = passthrough ? url.pathname.slice("/passthrough".length) : url.pathname;
  if (request.method !== "GET" || path !== "/search") return json(404, { error: "not found" });

  // Only the path and query go to the origin: not the token, nor the shopper's cookies.
  let results;
  try {
    const answer = await originFetch(path + url.search);
    if (!answer.ok) return json(502, { error: `the origin answered ${answer.status}` });
    results = (await answer.json())?.results;
  } catch (e) {
    return json(502, { error: `the origin could not be read: ${e?.message ?? e}` });
  }
  if (!Array.isArray(results)) return json(502, { error: "the origin's answer has no list of results" });

  const body = passthrough
    ? { results, personalized: false, reason: "passthrough" }
    : rerank(results, tokenOf(request), { query: url.searchParams.get("q") ?? "" });
  return json(200, body, {
    "x-tastebud-rerank": body.personalized ? "personalized" : body.reason,
    // The answer depends on the shopper's token: no shared cache may keep it.
    "cache-control": "private, no-store",
    vary: "x-tastebud-token, cookie",
  });
}

/** The shopper's token: the `x-tastebud-token` header (sent by the page's `fetch`), or else the
 * `tb` cookie (written by `Personalizer.open({ token: { epsilon } })`, sent by the browser). */
function tokenOf(request) {
  const header = request.headers.get("x-tastebud-token");
  if (header !== null) return header;
  return /(?:^|;)\s*tb=([^;]*)/.exec(request.headers.get("cookie") ?? "")?.[1];
}

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
