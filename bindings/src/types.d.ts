/** A product as the page describes it. Only `id` is required; the rest lets the model place
 * items it never saw in training. Text beyond the field's bound is cut; over 16 KiB it is refused. */
export interface Item {
  /** The shop's own identifier (SKU, slug); non-empty, at most 128 bytes. */
  id: string;
  /** Product name (kept up to 256 bytes). */
  title?: string;
  /** Category path, most general first, `/` or `>` separated: `home/kitchen/candles`. */
  category?: string;
  brand?: string;
  /** Unit price, finite and not negative. */
  price?: number;
  /** Free-form labels (colour, material…); the first 8 are kept. */
  tags?: string[];
}

/** What the shopper did to an item. */
export type ItemEventType = "impression" | "view" | "click" | "add_to_cart" | "purchase" | "dwell";
/** Every event type. */
export type EventType = ItemEventType | "search";

/** An action on an item. `ts` is epoch milliseconds (default: now); `ms` is the dwell time, for `dwell` only. */
export interface ItemEvent {
  type: ItemEventType;
  item: Item;
  ts?: number;
  ms?: number;
}

/** A search the shopper made. */
export interface SearchEvent {
  type: "search";
  query: string;
  ts?: number;
}

/** Anything `record` takes. */
export type TastebudEvent = ItemEvent | SearchEvent;

/** How to rank. */
export interface RankOptions {
  /** A search query the candidates answer. */
  query?: string;
  /** Return at most this many (default: all). */
  k?: number;
  /** 0 = pure relevance … 1 = as varied as possible (default 0). */
  diversity?: number;
  /** Ids never to return. */
  exclude?: string[];
  /** Leave out items the shopper already bought (default false). */
  excludePurchased?: boolean;
  /** 0 = ignore the incoming order … 1 = keep it (default 0), for re-ranking a server's list. */
  keepOrderWeight?: number;
}

/** Why an item was ranked where it was; `text` is ready to show. */
export type Reason =
  | { kind: "similar_to"; item: string; action: EventType; text: string }
  | { kind: "often_next"; item: string; text: string }
  | { kind: "interest"; label: string; text: string }
  | { kind: "matches_query"; text: string }
  | { kind: "bought_before"; text: string };

/** One ranked candidate; scores compare within one call only. */
export interface Ranked {
  id: string;
  score: number;
  reasons: Reason[];
}

/** Events per type. */
export interface EventCounts {
  impression: number;
  view: number;
  click: number;
  add_to_cart: number;
  purchase: number;
  dwell: number;
  search: number;
}

/** An interest and its share of the listed interests. */
export interface InterestShare {
  label: string;
  kind: "category" | "brand" | "tag" | "keyword";
  share: number;
}

/** What the profile knows, in brief. */
export interface ProfileSummary {
  topInterests: InterestShare[];
  priceBand: { low: number; median: number; high: number; items: number } | null;
  activity: "new" | "casual" | "engaged" | "heavy";
  intent: "browsing" | "comparing" | "deciding" | "purchased";
  eventCounts: EventCounts;
  recentQueries: string[];
  storedEvents: number;
  rememberedItems: number;
  firstEventMs: number | null;
  lastEventMs: number | null;
}

/** Why an item stands where it does. */
export interface Explanation {
  id: string;
  /** Its place in the last `rank` result, if it was there. */
  ranked: { position: number; of: number; score: number; reasons: Reason[] } | null;
  /** What the profile holds about the item itself. */
  remembered: {
    item: Item;
    affinity: number;
    counts: EventCounts;
    firstSeenMs: number;
    lastSeenMs: number;
    /** The shopper's interests it carries, strongest first. */
    interests: string[];
  } | null;
}

/** How the profile remembers; every field optional. */
export interface ProfileConfig {
  /** Recent events kept, 1–1000 (default 100). */
  recentEvents?: number;
  /** Items remembered, recentEvents–1000 (default 200). */
  maxItems?: number;
  /** Distinct search queries kept, 0–100 (default 10). */
  recentQueries?: number;
  /** Interests computed, 1–1000 (default 64). */
  maxInterests?: number;
  /** Days after which an event counts half (default 30). */
  halfLifeDays?: number;
  /** What each event adds to its item's affinity. */
  weights?: Partial<Record<ItemEventType, number>> & { dwellCap?: number };
}

/** A model: the bytes of a `model.safetensors`, its URL, or a `Response` carrying it. */
export type ModelSource = Uint8Array | ArrayBuffer | Response | URL | string;

/** Options of `Personalizer.create`. */
export interface CreateOptions {
  /** Default: the embedded model trained on Online Retail. */
  model?: ModelSource;
  /** A saved profile, from `export()`. */
  profile?: Uint8Array | ArrayBuffer;
  config?: ProfileConfig;
}

/** Options of `Personalizer.import`. */
export interface ImportOptions {
  model?: ModelSource;
  config?: ProfileConfig;
}
