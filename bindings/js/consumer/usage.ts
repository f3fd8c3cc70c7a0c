// Type-checked (tsc --strict --noEmit) against the installed package: what a TypeScript user
// writes compiles, what they must not write does not, and nothing public is `any`.
import {
  init,
  Personalizer,
  type Catalog,
  type ChangeCause,
  type ErrorCode,
  type Explanation,
  type Item,
  type ProfileSummary,
  type Ranked,
  type TastebudError,
  type TastebudEvent,
} from "tastebud";
import { rerank, type Reranked, type RerankReason } from "tastebud/edge";

type IsAny<T> = 0 extends 1 & T ? true : false;
type Method = Exclude<keyof Personalizer, "free" | typeof Symbol.dispose>;
type Signature<F> = F extends (...args: infer A) => infer R ? A[number] | R : never;
type Untyped<F> = true extends IsAny<Signature<F>> ? true : false;
// The names of the methods with an `any` parameter or result; none may compile as `true`.
type UntypedMethods = { [M in Method]: Untyped<Personalizer[M]> extends true ? M : never }[Method];
const noAny: [UntypedMethods] extends [never] ? true : UntypedMethods = true;
const createIsTyped: Untyped<typeof Personalizer.create> extends true ? never : true = true;
const openIsTyped: Untyped<typeof Personalizer.open> extends true ? never : true = true;

const mug: Item = { id: "22633", title: "HAND WARMER UNION JACK", category: "home/gifts", price: 2.1 };

export async function example(): Promise<string[]> {
  await init();
  const p = await Personalizer.create({ config: { recentEvents: 50, halfLifeDays: 14 } });
  const events: TastebudEvent[] = [
    { type: "view", item: mug },
    { type: "dwell", item: mug, ms: 12_000 },
    { type: "search", query: "hand warmer", ts: Date.now() },
  ];
  events.forEach((e) => p.record(e));
  // @ts-expect-error a search carries a query, not an item
  p.record({ type: "search", item: mug });
  // @ts-expect-error there is no such event type
  p.record({ type: "teleport", item: mug });
  // @ts-expect-error an item needs an id
  p.rank([{ title: "no id" }]);

  const ranked: Ranked[] = p.rank([mug], { k: 10, diversity: 0.2, exclude: ["x"] });
  const why: string[] = ranked.flatMap((r) =>
    r.reasons.map((reason) => (reason.kind === "similar_to" ? `${reason.item}: ${reason.text}` : reason.text)),
  );
  const catalog: Catalog = p.catalog([mug]);
  p.rankCatalog(catalog, { query: "warmer" });
  const summary: ProfileSummary = p.profile();
  const explanation: Explanation = p.explain(mug.id);
  const saved: Uint8Array = p.export();
  const restored = await Personalizer.import(saved, { config: { maxItems: 300 } });
  try {
    restored.record({ type: "view", item: { id: "" } });
  } catch (e) {
    const code: ErrorCode = (e as TastebudError).code;
    why.push(code);
  }
  why.push(summary.intent, String(explanation.ranked?.position ?? "-"), String(noAny), String(createIsTyped));

  // The edge: a server's own result type comes back, re-ordered.
  const token: string = p.token({ epsilon: 8 });
  // @ts-expect-error ε is required
  p.token({});
  const served = [{ ...mug, url: "/p/22633" }];
  const reranked: Reranked<(typeof served)[number]> = rerank(served, token, { query: "warmer", maxAgeMs: 3_600_000 });
  const urls: string[] = reranked.results.map((r) => r.url);
  const reason: RerankReason | null = reranked.reason;
  // @ts-expect-error excludePurchased has nothing to read at the edge
  rerank(served, token, { excludePurchased: true });
  why.push(...urls, reason ?? "personalized");
  return why;
}

/** The page features: a stored profile, capture from marked-up elements, a live grid. */
export async function page(root: HTMLElement, grid: HTMLElement): Promise<() => void> {
  const shop = await Personalizer.open({ name: "shop", expireAfterDays: 60, config: { recentEvents: 80 } });
  // @ts-expect-error open reads the stored profile, it is not given one
  await Personalizer.open({ profile: new Uint8Array() });
  const observer = shop.observe(root, { impressionMs: 800 });
  const list = shop.live(grid, { diversity: 0.1 });
  const causes: ChangeCause[] = [];
  const stop: () => void = shop.onChange((cause) => causes.push(cause));
  shop.pause();
  const paused: boolean = shop.paused && observer.paused;
  const recorded: boolean = shop.record({ type: "view", item: mug });
  shop.resume();
  return () => {
    stop();
    list.disconnect();
    observer.disconnect();
    shop.free();
    causes.push(paused && recorded ? "pause" : "resume", String(openIsTyped) as ChangeCause);
  };
}
