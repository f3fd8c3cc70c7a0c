import type { Item, RankOptions } from "./tastebud.js";

/** Options of `rerank`: those of ranking (`keepOrderWeight` blends in the server's order;
 * `excludePurchased` has nothing to read at the edge), and how old a token may be. */
export interface RerankOptions extends Omit<RankOptions, "excludePurchased"> {
  /** Tokens older than this are not used (default a day: `DEFAULT_MAX_AGE_MS`). */
  maxAgeMs?: number;
}

/** Why the server's order was kept. */
export type RerankReason =
  /** No token came with the request. */
  | "token_missing"
  /** The token is over 256 characters. */
  | "token_oversized"
  /** Not base64url, truncated, or not as long as its header says. */
  | "token_malformed"
  /** A token layout this version does not read. */
  | "token_version"
  /** Its checksum does not match: damaged or altered. */
  | "token_checksum"
  /** Made with another model than the edge's. */
  | "token_other_model"
  /** Older than `maxAgeMs`, or dated in the future. */
  | "token_expired"
  /** The shopper has no history yet: nothing to re-rank by. */
  | "token_empty"
  /** The results are not a list of items (see `rank`), over the limits, or unreadable. */
  | "invalid_item"
  /** The options are malformed or out of range. */
  | "invalid_options"
  /** A bug in tastebud. */
  | "internal";

/** What `rerank` returns. */
export interface Reranked<T extends Item> {
  /** The results, re-ordered (each id once, its first occurrence; `k` and `exclude` apply),
   * or as they came when `personalized` is false. */
  results: T[];
  /** Whether the token was used. */
  personalized: boolean;
  /** Why not, or `null`. */
  reason: RerankReason | null;
}

/** How old a token `rerank` accepts by default, in milliseconds (a day). */
export declare const DEFAULT_MAX_AGE_MS: number;

/**
 * Re-orders a server's `results` for the shopper whose `token` (from `Personalizer.token` on
 * the device) came with the request, with the embedded model and nothing else: no state is
 * kept between calls. Never throws: a missing, damaged, foreign or stale token, or results
 * that are not items, give the results as they came and the reason.
 */
export declare function rerank<T extends Item>(
  results: readonly T[],
  token: string | null | undefined,
  options?: RerankOptions,
): Reranked<T>;

/** In browsers and bundlers, loads the WebAssembly code (see the main entry's `init`); in
 * Node and edge workers it is loaded on import. */
export declare function init(source?: unknown): Promise<void>;
