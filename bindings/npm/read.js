// Reading what a page or a server hands over (candidates, options, bytes, ids) into plain data
// before it crosses into the WebAssembly: a value may throw when read (a getter, a revoked Proxy,
// a detached buffer), and an exception raised inside a WebAssembly call would leave the instance
// borrowed. Here any such exception is a coded `TastebudError`. Shared by the personalizer's
// methods (extend.js) and the edge's `rerank` (edge.js).
import { coded, tastebudError } from "./shared.js";

let wasm;
/** Where the limits and an item's fields below are read from: the `wireLimits` and `itemFields`
 * of a loaded WebAssembly module, given by each entry once its module is loaded (the default
 * .wasm's or `tastebud/gpu`'s: both hold the same values). Not imported here, so that the GPU
 * entry does not bring the default module's glue, and its .wasm, into a bundle. */
export function readFrom(module) {
  wasm = module;
}

let limits;
/** What one call may hand over, as the Rust that enforces it says (`tastebud::wire`): read on
 * first use, once the WebAssembly is loaded. */
export const limit = () => {
  const [candidates, callBytes, idBytes] = (limits ??= wasm.wireLimits());
  return { candidates, callBytes, idBytes };
};

/** Refuses text over the per-call limit before it is copied into the module's memory, which
 * never shrinks. UTF-8 takes 1 to 3 bytes per UTF-16 unit, so only long text is measured. */
export function within(text, code, what) {
  const max = limit().callBytes;
  if (text.length * 3 > max && (text.length > max || new TextEncoder().encode(text).length > max)) {
    throw tastebudError(code, `${what}: over ${max} bytes of text in one call`);
  }
  return text;
}

/** `value` as JSON text (`keys`: only those fields, at every depth). */
export function jsonOf(value, code, what, keys) {
  let text;
  try {
    text = JSON.stringify(value, keys);
  } catch (e) {
    throw coded(e, code, `${what} cannot be read`);
  }
  // `undefined`, functions and symbols have no JSON.
  if (typeof text !== "string") throw tastebudError(code, `${what} is not a JSON value`);
  return within(text, code, what);
}

/** Options as JSON, or `undefined` (and `null`) for the defaults. */
export const optionsOf = (options, what) => (options == null ? undefined : jsonOf(options, "invalid_options", what));

/** A fresh copy of the bytes in a `Uint8Array` (a subclass, a Proxy of one) or an
 * `ArrayBuffer`, at most `max` long. */
export function bytesOf(value, code, what, max = limit().callBytes) {
  let bytes;
  try {
    if (value instanceof ArrayBuffer) bytes = new Uint8Array(value.slice(0));
    else if (ArrayBuffer.isView(value) && value instanceof Uint8Array) bytes = new Uint8Array(value);
    else if (value instanceof Uint8Array) bytes = proxiedBytes(value, max, code);
  } catch (e) {
    throw coded(e, code, `${what} cannot be read`);
  }
  if (!bytes) throw tastebudError(code, `${what} must be a Uint8Array or an ArrayBuffer`);
  if (bytes.length > max) throw tastebudError(code, `${what} is over ${max} bytes`);
  return bytes;
}

/** The bytes of a Proxy of a `Uint8Array` (a Vue reactive value): its indices read through
 * the Proxy, its `length` getter does not, so the length is found by searching the indices. */
function proxiedBytes(view, max, code) {
  if (!(0 in view)) return new Uint8Array(0);
  let [present, absent] = [0, 1];
  while (absent in view) {
    if (absent > max) throw tastebudError(code, `over ${max} bytes`);
    [present, absent] = [absent, absent * 2];
  }
  while (absent - present > 1) {
    const mid = (present + absent) >>> 1;
    if (mid in view) present = mid;
    else absent = mid;
  }
  const bytes = new Uint8Array(absent);
  for (let i = 0; i < absent; i++) bytes[i] = view[i];
  return bytes;
}

/** An item id as `explain` and `forget` take it: a string, short enough to copy. */
export function idOf(itemId) {
  if (typeof itemId !== "string" || itemId.length > limit().idBytes) {
    throw tastebudError("invalid_item", `an item id must be a non-empty string of at most ${limit().idBytes} bytes`);
  }
  return itemId;
}

let fields;
/** The fields of an item, as the Rust that reads them says (`tastebud::item::ITEM_FIELDS`): all
 * `JSON.stringify` keeps of candidates, so what else a page's product objects carry (images,
 * links to parents, cycles) is left unread. `pack` below and extend.js's `snapshot` read the
 * same fields in the same order by name, for speed; the boundary test checks each path reads
 * every one. */
export const itemKeys = () => (fields ??= wasm.itemFields());

/** `candidates` checked to be an array of at most the per-call limit, and a copy of it (the
 * objects `rank` keeps). */
export function listOf(candidates) {
  let objects;
  try {
    if (Array.isArray(candidates)) objects = Array.prototype.slice.call(candidates);
  } catch (e) {
    throw coded(e, "invalid_item", "candidates cannot be read");
  }
  if (!objects) throw tastebudError("invalid_item", "candidates must be an array of items");
  if (objects.length > limit().candidates) {
    throw tastebudError("invalid_item", `${objects.length} candidates in one call; the limit is ${limit().candidates}`);
  }
  return objects;
}

/** `items` as the WebAssembly `rankPacked` reads them fastest, sparing `JSON.stringify` and
 * parsing JSON: the ids, titles, categories, brands and tags in one string, each followed by a
 * NUL (an absent field is empty), with the prices (NaN when absent) and the number of tags of
 * each apart. `undefined` when an item is not of plain shape (text fields strings or absent,
 * never empty; the price a finite number; the tags strings), or when reading it throws:
 * `rank` then reads the list through JSON and says what is wrong. */
export function pack(items) {
  try {
    const prices = new Float64Array(items.length);
    const tagCounts = new Uint32Array(items.length);
    let text = "";
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item !== "object" || item === null) return undefined;
      const { id, title, category, brand, price, tags } = item;
      if (typeof id !== "string" || !isText(title) || !isText(category) || !isText(brand)) return undefined;
      if (price === undefined) prices[i] = NaN;
      else if (Number.isFinite(price)) prices[i] = price;
      else return undefined;
      text += `${id}\0${title ?? ""}\0${category ?? ""}\0${brand ?? ""}\0`;
      if (tags !== undefined) {
        if (!Array.isArray(tags)) return undefined;
        for (const tag of tags) {
          if (typeof tag !== "string") return undefined;
          text += `${tag}\0`;
        }
        tagCounts[i] = tags.length;
      }
    }
    return { text, prices, tagCounts };
  } catch {
    return undefined;
  }
}

/** An optional text field of plain shape: absent (`undefined` or `null`, as JSON reads it) or
 * a non-empty string. */
const isText = (value) => value == null || (typeof value === "string" && value !== "");
