// What a user does with the installed package, run in Node and in a page: returns what they
// would check, and throws if something is wrong.
export async function scenario({ Personalizer }, edge) {
  const check = (ok, what) => {
    if (!ok) throw new Error(`consumer check failed: ${what}`);
  };
  const holder = (id, title) => ({ id, title, category: "home/candle holders", price: 2.95 });
  const catalog = [
    holder("h1", "WHITE HANGING HEART T-LIGHT HOLDER"),
    { id: "b1", title: "JUMBO BAG RED RETROSPOT", category: "bags", price: 1.95 },
    holder("h2", "GLASS STAR FROSTED T-LIGHT HOLDER"),
    { id: "m1", title: "PINK POLKADOT MUG", category: "kitchen/mugs", price: 2.55 },
    holder("h3", "ZINC HEART LATTICE T-LIGHT HOLDER"),
    { id: "t1", title: "SET OF 3 CAKE TINS PANTRY DESIGN", category: "kitchen/tins", price: 4.95 },
  ];

  const p = await Personalizer.create();
  check(p.rank(catalog).map((r) => r.id).join() === catalog.map((i) => i.id).join(), "a new shopper sees the page's order");
  p.record({ type: "view", item: catalog[0] });
  p.record({ type: "dwell", item: catalog[0], ms: 40_000 });
  p.record({ type: "click", item: catalog[2] });
  const top = p.rank(catalog, { k: 3 });
  check(top.length === 3 && top.every((r) => r.id.startsWith("h")), `holders first: ${top.map((r) => r.id)}`);
  check(top.some((r) => r.reasons.length > 0 && typeof r.reasons[0].text === "string"), "reasons to show");
  const summary = p.profile();
  check(summary.rememberedItems === 2 && summary.topInterests.length > 0, "a readable profile");
  check(p.explain("h3").ranked?.position >= 1, "an explanation");
  check(p.rankCatalog(p.catalog(catalog), { k: 3 }).map((r) => r.id).join() === top.map((r) => r.id).join(), "a prepared catalog ranks the same");

  // Product objects as a shop has them rank alike on every path: packed (plain fields), read
  // through JSON (an empty title, a NUL in a title), and as a prepared catalog.
  const shop = () => {
    const products = [
      { id: "s1", title: "Sac « cabas » rouge 🎒", brand: "Hearth", tags: ["red", "bags"], url: "/p/s1" },
      { id: "s2", title: "GLASS STAR FROSTED T-LIGHT HOLDER", category: "home/candle holders", price: 0, brand: null },
      { id: "s3", title: "PINK POLKADOT MUG", category: "kitchen/mugs", price: 2.55, tags: [] },
    ];
    products[0].related = products; // a cycle, in a field the model does not read
    return products;
  };
  const scores = (ranked) => ranked.map((r) => `${r.id} ${r.score}`).join();
  const prepared = scores(p.rankCatalog(p.catalog(shop())));
  check(scores(p.rank(shop())) === prepared, "plain product objects rank as a catalog does");
  for (const odd of [{ id: "s4", title: "" }, { id: "s4", title: "NUL\0INSIDE" }]) {
    const ranked = scores(p.rank([...shop(), odd]));
    check(ranked === scores(p.rankCatalog(p.catalog([...shop(), odd]))), `odd items rank as a catalog does: ${odd.title}`);
  }

  let thrown;
  try {
    p.rank([{ id: "g1", get title() { throw new Error("no title yet"); } }]);
  } catch (e) {
    thrown = e;
  }
  check(thrown?.code === "invalid_item", `a product whose fields cannot be read is a coded error: ${thrown}`);

  // The same list again is served from a catalog, but an edit in place is seen.
  const again = p.rank(catalog, { k: 3 }).map((r) => r.id).join();
  check(p.rank(catalog, { k: 3 }).map((r) => r.id).join() === again, "the same list ranks the same");
  const bag = { ...catalog[1] };
  const scoreOf = (list) => p.rank(list).find((r) => r.id === "b1").score;
  const before = scoreOf(catalog);
  Object.assign(catalog[1], { title: "WHITE HANGING HEART T-LIGHT HOLDER", category: "home/candle holders" });
  const edited = scoreOf(catalog);
  check(edited !== before && edited === scoreOf(catalog.map((i) => ({ ...i }))), "an item edited in place is ranked as edited");
  Object.assign(catalog[1], bag);

  // Privacy controls and change listeners.
  const causes = [];
  const stop = p.onChange((cause) => causes.push(cause));
  p.pause();
  check(p.paused && p.record({ type: "view", item: catalog[1] }) === false, "paused tracking records nothing");
  p.resume();
  check(p.record({ type: "view", item: catalog[1] }) === true, "resumed tracking records");
  stop();
  p.forget("b1");
  check(causes.join() === "pause,resume,record", `change listeners: ${causes}`);

  let error;
  try {
    p.record({ type: "view", item: { id: "x", price: -1 } });
  } catch (e) {
    error = e;
  }
  check(error instanceof Error && error.code === "invalid_item" && error.name === "TastebudError", "coded errors");

  if (edge) edgeScenario(p, catalog, edge, check);

  const saved = p.export();
  const back = await Personalizer.import(saved);
  check(back.export().join() === saved.join(), "export/import round trip");
  check(JSON.parse(back.exportJson()).items.length === 2, "readable JSON export");
  back.forget("h1");
  check(back.profile().rememberedItems === 1, "forget");
  back.clear();
  check(back.profile().storedEvents === 0, "clear");
  return { top: top.map((r) => r.id), bytes: saved.length };
}

/** The token a page sends and an edge's `rerank` of a server's results by it (`tastebud/edge`,
 * where the runtime has it). */
function edgeScenario(p, catalog, { rerank }, check) {
  const token = p.token({ epsilon: Infinity });
  check(/^[A-Za-z0-9_-]{1,256}$/.test(token), `a short base64url token: ${token}`);
  check(p.token({ epsilon: Infinity }) === token, "the same token while the profile is unchanged");
  const ids = (list) => list.map((i) => i.id).join();
  const served = [...catalog].reverse();
  const mine = rerank(served, token);
  check(mine.personalized && mine.reason === null, `the token is used: ${mine.reason}`);
  check(mine.results.slice(0, 3).every((i) => i.id.startsWith("h")), `holders first at the edge: ${ids(mine.results)}`);
  check(mine.results.every((item) => served.includes(item)), "the server's own objects come back");
  check(ids(rerank(served, p.token({ epsilon: 8 })).results).length === ids(served).length, "a noised token re-ranks");
  const bad = {
    token_missing: undefined,
    token_malformed: token.slice(0, -5),
    token_oversized: token.repeat(3),
    token_checksum: token.slice(0, 20) + (token[20] === "A" ? "B" : "A") + token.slice(21),
  };
  for (const [reason, text] of Object.entries(bad)) {
    const kept = rerank(served, text);
    check(!kept.personalized && kept.reason === reason && ids(kept.results) === ids(served), `${reason}: ${kept.reason}`);
  }
  check(rerank("not a list", token).reason === "invalid_item", "results that are not items keep their order");
  let thrown;
  try {
    p.token({ epsilon: 0 });
  } catch (e) {
    thrown = e;
  }
  check(thrown?.code === "invalid_options", `an ε of 0 is refused: ${thrown}`);
}
