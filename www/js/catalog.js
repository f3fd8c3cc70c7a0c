// The shop's catalog: the Online Retail products (www/data/catalog.json, written by
// `tastebud-train catalog`), most ordered first, and the words search matches them by.

/**
 * The products, loaded once. Each is `{ id, title, name, price, sold, rank, item, words }`:
 * `title` is the data set's (upper case), `name` the one shown, `item` exactly what the model was
 * trained on (`id`, `title`, `price`), `rank` its place by orders, `words` what search matches.
 */
export async function loadCatalog(url = "data/catalog.json") {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`the catalog is missing (${response.status}): run "make demo" to build it`);
  }
  const { items } = await response.json();
  const products = items.map(({ id, title, name, price, sold }, rank) => {
    const item = { id, title, price };
    const words = searchWords(`${name} ${id}`);
    // As shown, a name never breaks after a lone letter's hyphen ("T-|light").
    return { id, title, name: name.replace(/\b(\w)-/g, "$1\u2011"), price, sold, rank, item, words };
  });
  const byId = new Map(products.map((product) => [product.id, product]));
  return {
    /** Every product, most ordered first. */
    products,
    /** The product with this id, or `undefined`. */
    get: (id) => byId.get(id),
  };
}

/** Lower-case words of a text, without a plural "s", for matching. */
export function searchWords(text) {
  return text
    .toLowerCase()
    .split(/[^a-z0-9'-]+/)
    .filter(Boolean)
    .map((w) => (w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w));
}
