export { Catalog, Personalizer } from "./tastebud.js";
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
