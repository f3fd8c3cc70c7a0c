// The part of the package that lives in JavaScript, added to the WebAssembly `Personalizer`
// class by every entry. It reads every value a page hands over (events, candidates, options,
// bytes) into plain data before calling in (read.js), so that the instance stays usable
// whatever a page's values throw. It also makes `create` and `import` (reading
// their options and fetching the model), refuses any use after `free` with `freed`, tells
// change listeners (what a page redraws and stores on), keeps the lists `rank` saw so a list
// ranked again unchanged skips being read, and adds the page features (`observe`, `live`,
// `Personalizer.open`), which need the DOM and browser storage and so are only touched when
// called: importing the package never reads `window` or `document`. The classes come from the
// entry (`extend(Personalizer, Catalog)`): the default module's, or `tastebud/gpu`'s, which adds
// `rankCatalogAsync` and `backend`; while a `rankCatalogAsync` is pending, its personalizer and
// catalog refuse every other call (but `onChange`) with `busy`.
import { live } from "./live.js";
import { observe } from "./observe.js";
import { busyUntil, changed, coded, describe, dropState, stateOf, tastebudError, tokenKey, whenFree } from "./shared.js";
import { open } from "./store.js";
import { bytesOf, idOf, itemKeys, jsonOf, listOf, optionsOf, pack, within } from "./read.js";

/** Throws `freed` unless `instance` is a live instance (wasm-bindgen zeroes the pointer of a
 * freed one). */
function alive(instance, what = "Personalizer") {
  let ptr;
  try {
    ptr = instance.__wbg_ptr;
  } catch {
    // A revoked Proxy of one, say: not usable either.
  }
  if (!(ptr > 0)) throw tastebudError("freed", `this ${what} was freed (or is not one)`);
}

/** Throws `busy` while `instance` is in a pending `rankCatalogAsync` (see shared.js's
 * `busyUntil`): WebAssembly holds it borrowed, and a call would fail with wasm-bindgen's
 * "recursive use of an object" (or, for a catalog passed to a synchronous call, leave the
 * personalizer borrowed for good). */
function notBusy(instance, what = "Personalizer") {
  if (whenFree(instance)) {
    throw tastebudError("busy", `this ${what} is in use by a pending rankCatalogAsync; call again once it settles`);
  }
}

/** The catalog `rankCatalog` was given, if it is a live one of the module of `Catalog`, not in
 * use by a pending `rankCatalogAsync`. */
function catalogOf(catalog, Catalog) {
  let ours = false;
  try {
    ours = catalog instanceof Catalog;
  } catch {
    // A revoked Proxy: not a catalog.
  }
  if (!ours) throw tastebudError("invalid_options", "rankCatalog takes a catalog made by catalog() (of the same entry: tastebud or tastebud/gpu)");
  alive(catalog, "Catalog");
  notBusy(catalog, "Catalog");
  return catalog;
}

/** The options of `create` and `import` (`profile` only for `create`), read once. */
function createOptionsOf(options, known) {
  if (options == null) return {};
  let read;
  try {
    if (typeof options === "object") {
      const unknown = Object.keys(options).filter((k) => !known.includes(k));
      read = { unknown, model: options.model, profile: options.profile, config: options.config };
    }
  } catch (e) {
    throw coded(e, "invalid_options", "options cannot be read");
  }
  if (!read) throw tastebudError("invalid_options", "options must be an object");
  if (read.unknown.length) {
    throw tastebudError("invalid_options", `unknown option ${JSON.stringify(read.unknown[0])}; expected one of ${known.join(", ")}`);
  }
  return read;
}

/** The bytes of the model `source` names: `undefined` for the embedded default, else bytes, or
 * what a URL (string or `URL`) or a `Response` carries, fetched with the platform's `fetch`. */
async function modelOf(source) {
  if (source == null) return undefined;
  try {
    let response = source;
    if (typeof source === "string" || source instanceof URL) {
      const url = String(source);
      if (typeof fetch !== "function") throw tastebudError("bad_model", "this runtime has no fetch; pass the model's bytes");
      try {
        response = await fetch(url);
      } catch (e) {
        throw tastebudError("bad_model", `could not fetch the model at ${url}: ${describe(e)}`);
      }
    }
    if (typeof Response === "function" && response instanceof Response) {
      if (!response.ok) {
        throw tastebudError("bad_model", `fetching the model at ${response.url} answered ${response.status} ${response.statusText}`);
      }
      return new Uint8Array(await response.arrayBuffer());
    }
    return bytesOf(source, "bad_model", "the model (bytes, a URL or a Response)", Infinity);
  } catch (e) {
    throw coded(e, "bad_model", "the model cannot be read");
  }
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

/** Adds the JavaScript layer to the classes of one WebAssembly module, once. */
export function extend(Personalizer, Catalog) {
  const proto = Personalizer.prototype;
  if (proto.onChange) return;
  // The WebAssembly methods, which take plain data (reading `proto.paused` would call the
  // getter on the prototype itself).
  const wasm = Object.fromEntries(
    Object.entries(Object.getOwnPropertyDescriptors(proto)).flatMap(([k, d]) => (typeof d.value === "function" ? [[k, d.value]] : [])),
  );
  const paused = Object.getOwnPropertyDescriptor(proto, "paused").get;
  const { start } = Personalizer;
  // Only the wrappers below call these two, which take what the wrappers prepare.
  delete proto.rankPacked;
  delete proto.tokenAt;
  delete Personalizer.start;

  /** Each method checks that its instance is alive first. */
  const methods = {
    /** `rank`, but a list ranked again with the same item objects, unchanged, is read from the
     * catalog made the second time it was seen (JSON and hashing skipped), and a list of plain
     * items crosses packed. */
    rank(candidates, options) {
      const objects = listOf(candidates);
      const json = optionsOf(options, "ranking options");
      const state = stateOf(this);
      let kept;
      try {
        kept = state.lists.find((l) => sameList(objects, l));
      } catch {
        // An item's field threw when compared: read the list afresh, which says what is wrong.
      }
      if (kept) {
        if (!kept.catalog) {
          // Seen a second time: worth a catalog, made from the items as they are now.
          let now;
          try {
            now = snapshot(objects);
          } catch (e) {
            throw coded(e, "invalid_item", "candidates cannot be read");
          }
          kept.catalog = this.catalog(objects);
          kept.snapshot = now;
        }
        return wasm.rankCatalog.call(this, kept.catalog, json);
      }
      const packed = pack(objects);
      const ranked =
        (packed &&
          wasm.rankPacked.call(this, within(packed.text, "invalid_item", "candidates"), packed.prices, packed.tagCounts, json)) ??
        wasm.rank.call(this, jsonOf(objects, "invalid_item", "candidates", itemKeys()), json);
      if (state.lists.length === KEEP) state.lists.shift().catalog?.free();
      state.lists.push({ objects, snapshot: undefined, catalog: undefined });
      return ranked;
    },

    catalog(items) {
      return wasm.catalog.call(this, jsonOf(listOf(items), "invalid_item", "candidates", itemKeys()));
    },

    rankCatalog(catalog, options) {
      return wasm.rankCatalog.call(this, catalogOf(catalog, Catalog), optionsOf(options, "ranking options"));
    },

    record(event) {
      if (paused.call(this)) return false;
      const recorded = wasm.record.call(this, jsonOf(event, "invalid_event", "an event"));
      if (recorded) changed(this, "record");
      return recorded;
    },

    forget(itemId) {
      const forgot = wasm.forget.call(this, idOf(itemId));
      changed(this, "forget", itemId);
      return forgot;
    },

    explain(itemId) {
      return wasm.explain.call(this, idOf(itemId));
    },

    clear() {
      wasm.clear.call(this);
      // A fresh start: later tokens cannot be linked to earlier ones by their noise.
      stateOf(this).tokenKey = undefined;
      changed(this, "clear");
    },

    restore(bytes) {
      wasm.restore.call(this, bytesOf(bytes, "corrupt_profile", "profile"));
      changed(this, "restore");
    },

    pause() {
      if (paused.call(this)) return;
      wasm.pause.call(this);
      changed(this, "pause");
    },

    resume() {
      if (!paused.call(this)) return;
      wasm.resume.call(this);
      changed(this, "resume");
    },

    profile() {
      return wasm.profile.call(this);
    },

    token(options) {
      const epsilon = epsilonOf(options);
      const state = stateOf(this);
      state.tokenKey ??= tokenKey();
      return wasm.tokenAt.call(this, epsilon, state.tokenKey);
    },

    export() {
      return wasm.export.call(this);
    },

    exportJson() {
      return wasm.exportJson.call(this);
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
  };
  for (const [name, method] of Object.entries(methods)) {
    proto[name] = function (...args) {
      alive(this);
      // A listener is JavaScript's alone: it may be added while the instance is busy.
      if (name !== "onChange") notBusy(this);
      return method.apply(this, args);
    };
  }
  Object.defineProperty(proto, "paused", {
    get() {
      alive(this);
      notBusy(this);
      return paused.call(this);
    },
    configurable: true,
  });
  guardCatalog(Catalog);

  if (wasm.rankCatalogAsync) {
    /** `rankCatalog` on the GPU (`tastebud/gpu`): every refusal rejects, and the personalizer
     * and the catalog are busy until it settles. */
    proto.rankCatalogAsync = function (catalog, options) {
      let ours, ranking;
      try {
        alive(this);
        notBusy(this);
        ours = catalogOf(catalog, Catalog);
        ranking = wasm.rankCatalogAsync.call(this, ours, optionsOf(options, "ranking options"));
      } catch (e) {
        return Promise.reject(e);
      }
      return busyUntil([this, ours], ranking);
    };
    proto.backend = function () {
      alive(this);
      notBusy(this);
      return wasm.backend.call(this);
    };
    proto.setGpuTimeout = function (ms) {
      alive(this);
      notBusy(this);
      if (typeof ms !== "number") {
        throw tastebudError("invalid_options", `a GPU timeout is a number of milliseconds, not ${typeof ms}`);
      }
      wasm.setGpuTimeout.call(this, ms);
    };
  }

  /** Frees the instance and what the JavaScript layer kept for it; again, it does nothing.
   * While a `rankCatalogAsync` is pending it throws `busy`. */
  proto.free = function () {
    if (!isAlive(this)) return;
    notBusy(this);
    const state = stateOf(this);
    state.close?.();
    for (const list of state.lists) list.catalog?.free();
    dropState(this);
    wasm.free.call(this);
  };
  // wasm-bindgen made `using` call the original `free`.
  if (Symbol.dispose) proto[Symbol.dispose] = proto.free;

  /** `create` and `import` read their arguments, and fetch the model, before calling in; any
   * bad argument rejects with a coded error. */
  const made = async (options, known, given) => {
    const read = createOptionsOf(options, known);
    const profile = given ?? (read.profile === undefined ? undefined : [read.profile]);
    const bytes = profile && bytesOf(profile[0], "corrupt_profile", "profile");
    const config = optionsOf(read.config, "config");
    return start(await modelOf(read.model), bytes, config);
  };
  Personalizer.create = async (options) => made(options, ["model", "profile", "config"]);
  Personalizer.import = async (bytes, options) => {
    if (options != null && typeof options === "object" && safeHas(options, "profile")) {
      throw tastebudError("invalid_options", "import takes the profile as its first argument, not as options.profile");
    }
    return made(options, ["model", "config"], [bytes]);
  };
  /** `open`, given a plain copy of its options: reading them (a getter, a revoked Proxy) may
   * throw, which rejects with a coded error. */
  Personalizer.open = async (options) => {
    let given;
    try {
      given = options == null ? options : { ...options };
    } catch (e) {
      throw coded(e, "invalid_options", "options cannot be read");
    }
    return open(Personalizer, given);
  };
}

/** The `epsilon` of `token`'s options: required, a number (`Infinity` for no noise). */
export function epsilonOf(options) {
  let epsilon;
  try {
    epsilon = options?.epsilon;
  } catch (e) {
    throw coded(e, "invalid_options", "token options cannot be read");
  }
  if (typeof epsilon !== "number") {
    throw tastebudError("invalid_options", "token takes { epsilon }: a number, or Infinity for no noise");
  }
  return epsilon;
}

/** Whether `instance` is a live instance of the package. */
function isAlive(instance) {
  try {
    alive(instance);
    return true;
  } catch {
    return false;
  }
}

/** `key in object`, false where asking throws. */
function safeHas(object, key) {
  try {
    return key in object;
  } catch {
    return false;
  }
}

/** A freed `Catalog` refuses use with `freed`, and frees once; one in a pending
 * `rankCatalogAsync` refuses it with `busy`. */
function guardCatalog(Catalog) {
  const proto = Catalog.prototype;
  const { free } = proto;
  const length = Object.getOwnPropertyDescriptor(proto, "length").get;
  Object.defineProperty(proto, "length", {
    get() {
      alive(this, "Catalog");
      notBusy(this, "Catalog");
      return length.call(this);
    },
    configurable: true,
  });
  proto.free = function () {
    if (!isAlive(this)) return;
    notBusy(this, "Catalog");
    free.call(this);
  };
  if (Symbol.dispose) proto[Symbol.dispose] = proto.free;
}
