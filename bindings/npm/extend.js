// The part of the package that lives in JavaScript, added to the WebAssembly `Personalizer`
// class by every entry: change listeners (what a page redraws and stores on), a
// cache that lets a list ranked again unchanged skip being read again, and the page features
// (`observe`, `live`, `Personalizer.open`), which need the DOM and browser storage and so are
// only touched when called: importing the package never reads `window` or `document`.
import { live } from "./live.js";
import { observe } from "./observe.js";
import { open } from "./store.js";

/** Per-instance state of the JavaScript layer, by personalizer. */
const states = new WeakMap();

/** The JavaScript state of `personalizer`. */
export function stateOf(personalizer) {
  let state = states.get(personalizer);
  if (!state) {
    state = { listeners: new Set(), lists: [] };
    states.set(personalizer, state);
  }
  return state;
}

/** Tells the listeners of `personalizer` that its profile or its pausing changed (`itemId`:
 * the item forgotten). */
function changed(personalizer, cause, itemId) {
  for (const listener of [...stateOf(personalizer).listeners]) {
    try {
      listener(cause, itemId);
    } catch (e) {
      // One broken listener must not stop the others, nor the change itself.
      globalThis.reportError ? globalThis.reportError(e) : console.error(e);
    }
  }
}

/** A `TastebudError`, as the WebAssembly side throws them. */
export function tastebudError(code, message) {
  const error = new Error(message);
  error.name = "TastebudError";
  error.code = code;
  return error;
}

/** Lists whose catalogs are kept: a page alternates between a few (a grid, search results). */
const KEEP = 2;

/** Whether `items` is a list `rank` has kept: the same item objects, and once it has a catalog,
 * with the fields the model reads unchanged since. A list seen once keeps only its objects. */
function sameList(items, kept) {
  if (kept.snapshot) return unchanged(items, kept.snapshot);
  return items.length === kept.objects.length && items.every((item, i) => item === kept.objects[i]);
}

/** What `rank` compares a list with to know it is unchanged: the item objects and the fields
 * the model reads, as they were, in one flat array (a thousand small ones would be garbage). */
const FIELDS = 7;
function snapshot(items) {
  const kept = new Array(items.length * FIELDS);
  items.forEach((item, i) => {
    const at = i * FIELDS;
    kept[at] = item;
    kept[at + 1] = item.id;
    kept[at + 2] = item.title;
    kept[at + 3] = item.category;
    kept[at + 4] = item.brand;
    kept[at + 5] = item.price;
    kept[at + 6] = item.tags?.slice();
  });
  return kept;
}

function unchanged(items, kept) {
  if (items.length * FIELDS !== kept.length) return false;
  for (let i = 0, at = 0; i < items.length; i++, at += FIELDS) {
    const item = items[i];
    if (
      item !== kept[at] ||
      item.id !== kept[at + 1] ||
      item.title !== kept[at + 2] ||
      item.category !== kept[at + 3] ||
      item.brand !== kept[at + 4] ||
      item.price !== kept[at + 5] ||
      !sameTags(item.tags, kept[at + 6])
    ) {
      return false;
    }
  }
  return true;
}

function sameTags(tags, kept) {
  if (tags === undefined || kept === undefined) return tags === kept;
  return Array.isArray(tags) && tags.length === kept.length && tags.every((t, i) => t === kept[i]);
}

/** `items` as the WebAssembly `rankPacked` reads them fastest, sparing `JSON.stringify` and
 * parsing JSON: the ids, titles, categories, brands and tags in one string, each followed by a
 * NUL (an absent field is empty), with the prices (NaN when absent) and the number of tags of
 * each apart. `undefined` when an item is not of plain shape (text fields strings or absent,
 * never empty; the price a finite number; the tags strings), or when reading it throws:
 * `rank` then reads the list through JSON and says what is wrong. */
function pack(items) {
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

/** Adds the JavaScript layer to the class, once. */
export function extend(Personalizer) {
  const proto = Personalizer.prototype;
  if (proto.onChange) return;
  const { rank, record, forget, clear, restore, pause, resume, free } = proto;

  Object.assign(proto, {
    /** `rank`, but a list ranked again with the same item objects, unchanged, is read from the
     * catalog made the second time it was seen (JSON and hashing skipped). */
    rank(candidates, options) {
      const state = stateOf(this);
      const kept = Array.isArray(candidates) && state.lists.find((l) => sameList(candidates, l));
      if (kept) {
        if (!kept.catalog) {
          // Seen a second time: worth a catalog, made from the items as they are now.
          kept.catalog = this.catalog(candidates);
          kept.snapshot = snapshot(candidates);
        }
        return this.rankCatalog(kept.catalog, options);
      }
      const packed = Array.isArray(candidates) && pack(candidates);
      const ranked = packed
        ? this.rankPacked(candidates, packed.text, packed.prices, packed.tagCounts, options)
        : rank.call(this, candidates, options);
      if (state.lists.length === KEEP) state.lists.shift().catalog?.free();
      state.lists.push({ objects: candidates.slice(), snapshot: undefined, catalog: undefined });
      return ranked;
    },

    record(event) {
      const recorded = record.call(this, event);
      if (recorded) changed(this, "record");
      return recorded;
    },

    forget(itemId) {
      const forgot = forget.call(this, itemId);
      changed(this, "forget", itemId);
      return forgot;
    },

    clear() {
      clear.call(this);
      changed(this, "clear");
    },

    restore(bytes) {
      restore.call(this, bytes);
      changed(this, "restore");
    },

    pause() {
      if (this.paused) return;
      pause.call(this);
      changed(this, "pause");
    },

    resume() {
      if (!this.paused) return;
      resume.call(this);
      changed(this, "resume");
    },

    /** Calls `listener(cause)` after every change; returns the function that stops it. */
    onChange(listener) {
      if (typeof listener !== "function") throw tastebudError("invalid_options", "onChange takes a function");
      const { listeners } = stateOf(this);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    observe(root, options) {
      return observe(this, root, options);
    },

    live(list, options) {
      return live(this, list, options);
    },

    free() {
      const state = stateOf(this);
      state.close?.();
      for (const list of state.lists) list.catalog?.free();
      states.delete(this);
      free.call(this);
    },
  });
  // wasm-bindgen made `using` call the original `free`.
  if (Symbol.dispose) proto[Symbol.dispose] = proto.free;
  Personalizer.open = (options) => open(Personalizer, options);
}
