// What the package's JavaScript modules share: the coded errors they throw and each
// personalizer's JavaScript state. A module of its own, so that extend.js and the page
// features (observe.js, live.js, store.js) import it rather than each other.

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

/** Tells the `onChange` listeners of `personalizer` that its profile, its pausing or its
 * storage changed (`itemId`: the item forgotten). */
export function changed(personalizer, cause, itemId) {
  for (const listener of [...stateOf(personalizer).listeners]) {
    try {
      listener(cause, itemId);
    } catch (e) {
      // One broken listener must not stop the others, nor the change itself.
      globalThis.reportError ? globalThis.reportError(e) : console.error(e);
    }
  }
}

/** Forgets the JavaScript state of `personalizer` (on `free`). */
export function dropState(personalizer) {
  states.delete(personalizer);
}

/** Personalizers, and the catalogs they rank, while a `rankCatalogAsync` of theirs is pending
 * (`tastebud/gpu`), each with a promise that resolves once it settled: WebAssembly holds them
 * borrowed until then, so every other call on them is refused with `busy` (extend.js), and
 * what the page features do meanwhile (observe's events, live's re-ordering, open's saves and
 * other tabs' changes) waits for that promise. */
const busy = new WeakMap();

/** Marks `instances` busy until `ranking` settles; returns `ranking`, settled only once they are
 * free again, so that whoever awaits it may call them at once. */
export function busyUntil(instances, ranking) {
  const done = ranking.finally(() => {
    for (const instance of instances) busy.delete(instance);
  });
  const free = done.then(
    () => undefined,
    () => undefined,
  );
  for (const instance of instances) busy.set(instance, free);
  return done;
}

/** A promise that resolves once `instance` is free, or `undefined` if it is not busy. */
export const whenFree = (instance) => busy.get(instance);

/** The errors this JavaScript made, told apart from whatever a page's values throw. */
const ours = new WeakSet();

/** A `TastebudError`, as the WebAssembly side throws them; `code` is one of `ErrorCode`. */
export function tastebudError(code, message) {
  const error = new Error(message);
  error.name = "TastebudError";
  error.code = code;
  ours.add(error);
  return error;
}

/** `e` if this JavaScript threw it, else a `TastebudError` of `code` saying `what` failed. */
export function coded(e, code, what) {
  return ours.has(e) ? e : tastebudError(code, `${what}: ${describe(e)}`);
}

/** What a thrown value says, whatever it is (reading it may throw too). */
export function describe(e) {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch {
    return "an exception that cannot be read";
  }
}

/** Whether `value` is an instance of one of the global classes `names` (false where they do not
 * exist, outside a page, or where asking throws, as it does of a revoked Proxy). */
export function isA(value, names) {
  try {
    return names.some((name) => typeof globalThis[name] === "function" && value instanceof globalThis[name]);
  } catch {
    return false;
  }
}

/** A new secret key for the noise of a personalizer's tokens: the same profile gets the same
 * noise under one key (`open` keeps it with the stored profile, so across page loads too). */
export function tokenKey() {
  if (typeof globalThis.crypto?.getRandomValues !== "function") {
    throw tastebudError("unsupported", "token needs crypto.getRandomValues for its noise");
  }
  return globalThis.crypto.getRandomValues(new Uint8Array(32));
}
