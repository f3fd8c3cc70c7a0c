import type { CreateOptions, ImportOptions, Personalizer as WasmPersonalizer, RankOptions } from "./tastebud.js";

export { Catalog } from "./tastebud.js";

/** A shopper's profile with the model that ranks for them, all on the device. */
export type Personalizer = WasmPersonalizer;
/** The class, with the factories the package's JavaScript adds to it. */
export declare const Personalizer: typeof WasmPersonalizer & {
  /** A personalizer with the embedded default model, or the model in `options.model` (bytes, a
   * URL, or a `Response`), starting from the saved profile `options.profile` (bytes from
   * `export()`) or an empty one configured by `options.config`. Bad options reject with a
   * coded `TastebudError`; nothing throws synchronously. */
  create(options?: CreateOptions): Promise<Personalizer>;
  /** A personalizer restored from bytes written by `export()`, with the default model or the
   * one in `options.model`. */
  import(bytes: Uint8Array | ArrayBuffer, options?: ImportOptions): Promise<Personalizer>;
  /** A personalizer whose profile is stored in the browser (IndexedDB, else localStorage),
   * saved after each change and kept the same in every tab of the origin. Storage problems
   * never reject it: they are coded warnings in `storage.warning` (and on the console), with
   * the profile kept in memory when nothing can be stored, and nothing ever saved over a
   * stored profile that could not be read. Bad options reject (`invalid_options`), and so
   * does a runtime with no browser storage at all (`unsupported`). */
  open(options?: OpenOptions): Promise<Personalizer>;
};
export type {
  CreateOptions,
  ErrorCode,
  EventCounts,
  EventType,
  Explanation,
  ImportOptions,
  InterestShare,
  Item,
  ItemEvent,
  ItemEventType,
  ModelSource,
  ProfileConfig,
  ProfileSummary,
  RankOptions,
  Ranked,
  Reason,
  SearchEvent,
  TastebudError,
  TastebudEvent,
} from "./tastebud.js";

/** Where the WebAssembly code can come from. */
export type WasmSource = URL | string | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the WebAssembly code once. In browsers it defaults to `tastebud_bg.wasm` beside the
 * package's JavaScript and runs on the first `Personalizer.create` or `import`, so calling it
 * is only needed to load the code from elsewhere: its URL, bytes, a `Response`, or an already
 * compiled `WebAssembly.Module`. In Node and edge workers the code is loaded on import and
 * this does nothing.
 */
export function init(source?: WasmSource | Promise<WasmSource>): Promise<void>;

/** What changed, as `onChange` listeners are told ("storage": `storage` of a personalizer
 * made by `open` changed, a warning given or over). */
export type ChangeCause = "record" | "forget" | "clear" | "restore" | "pause" | "resume" | "storage";

/** Where `open` keeps the profile: IndexedDB, localStorage, or only the page's memory (no
 * browser storage could be used; nothing survives the page). */
export type StorageKind = "indexeddb" | "localstorage" | "memory";

/**
 * A storage problem `open` worked around (the page goes on working):
 * - `storage_unavailable`: IndexedDB (and localStorage) missing, refused or throwing; `kind`
 *   says where the profile is kept instead. Lasts for the page.
 * - `storage_read_failed`: the stored profile could not be read, even tried again; nothing is
 *   saved over it, and it is read again later, then restored with what the shopper did since.
 * - `storage_write_failed`: a save failed (quota exceeded, say); the stored profile is the one
 *   before, and saving is tried again after the next change.
 * - `storage_repaired`: the database lacked its object store and was given one.
 * - `corrupt_profile`: what was stored is not a profile; it is replaced by a fresh one.
 */
export type StorageWarningCode =
  | "storage_unavailable"
  | "storage_read_failed"
  | "storage_write_failed"
  | "storage_repaired"
  | "corrupt_profile";

export interface StorageWarning {
  readonly code: StorageWarningCode;
  readonly message: string;
}

/** Where the profile is kept, and the storage problem of the moment, if any (all but
 * `storage_unavailable` are over, and gone from here, once a save succeeds). */
export interface StorageStatus {
  readonly kind: StorageKind;
  readonly warning?: StorageWarning;
}

/** Options of `observe`. */
export interface ObserveOptions {
  /** How long a product must stay visible to count as an impression (default 1000 ms). */
  impressionMs?: number;
  /** How much of it must be visible (default 0.5). */
  impressionRatio?: number;
  /** The same event on the same item again within this time is dropped (default 1000 ms). */
  debounceMs?: number;
}

/** What `observe` returns. */
export interface Observer {
  /** Stops recording until `resume`. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Stops watching for good, ending an open detail view's dwell. */
  disconnect(): void;
}

/** What `live` returns. */
export interface LiveList {
  /** Reads the list's items again (done by itself when its children change). */
  refresh(): void;
  /** Stops re-ordering; the list stays as it is. */
  disconnect(): void;
}

/** Options of `Personalizer.open`: those of `create` (but the profile is the stored one). */
export interface OpenOptions extends Omit<CreateOptions, "profile"> {
  /** The stored profile's name, for a site with several (default "tastebud"). */
  name?: string;
  /** A stored profile not saved for this many days is dropped (default 30). */
  expireAfterDays?: number;
  /** Where to store it (default "auto": IndexedDB, else localStorage). */
  storage?: "auto" | "indexeddb" | "localstorage";
  /** Keep the shopper's token (`token()`) in a same-site cookie, written again after every
   * change, for an edge worker in front of the site (`tastebud/edge`). */
  token?: TokenCookieOptions;
}

/** The `token` option of `open`. */
export interface TokenCookieOptions extends TokenOptions {
  /** The cookie's name (default "tb"). */
  cookie?: string;
}

declare module "./tastebud.js" {
  interface Personalizer extends PersonalizerFeatures {}
}

/** What the package's JavaScript adds to a personalizer, of this entry or of `tastebud/gpu`. */
export interface PersonalizerFeatures {
  /** Where a personalizer made by `open` keeps its profile and any storage warning
   * (`undefined` for one made by `create` or `import`). */
  readonly storage?: StorageStatus;
  /** Calls `listener` after every change of the profile or of pausing (with the item's id
   * for `forget`); returns the function that stops it. */
  onChange(listener: (cause: ChangeCause, itemId?: string) => void): () => void;
  /** Records what the shopper does to the products marked up inside `root`: impressions,
   * clicks, add-to-cart and purchase buttons, searches and time on a product's detail view.
   * It reads only `data-tastebud-*` attributes and the marked search field. */
  observe(root: Element | Document, options?: ObserveOptions): Observer;
  /** Keeps the part of `list` the shopper has not yet seen ordered by their profile,
   * re-ordered right after each change (in the idle time after the next frame, within
   * 100 ms); what has been on screen never moves. */
  live(list: Element, options?: RankOptions): LiveList;
  /** The shopper's token for an edge worker (`tastebud/edge`'s `rerank`): up to 256
   * characters of base64url carrying the current intent (and long-term taste, if the model
   * weighs it) as quantized directions, noised to be `epsilon`-locally differentially
   * private (PrivUnit₂; `Infinity`: no noise, for first-party use), with no item or event
   * named. The noise comes from a secret key the personalizer keeps (`open` stores it beside
   * the profile; `clear()` makes a new one): an unchanged profile gets the same noise, on
   * every call and after a reload, so asking again spends no more of ε; each change of the
   * profile spends ε once more. Throws
   * `invalid_options` for an ε that is not `Infinity` or between 0.25 and 63.75. */
  token(options: TokenOptions): string;
}

/** Options of `token`. */
export interface TokenOptions {
  /** The privacy budget of this token: smaller is more private and less useful (see the
   * README's table). `Infinity` sends the profile's directions exactly. */
  epsilon: number;
}
