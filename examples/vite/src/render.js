// The page's markup as strings, shared by the browser (main.js) and the server (ssr.js).

const pounds = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** The catalog, one button per product. */
export function productList(products) {
  return products
    .map(
      (p) => `<li><button type="button" class="product" data-id="${escape(p.id)}">
  <span class="title">${escape(p.title)}</span>
  <span class="price">${pounds.format(p.price)}</span>
</button></li>`,
    )
    .join("\n");
}

/** The ranked products (`Personalizer.rank`'s answer), each with the reasons it was ranked there. */
export function rankedList(ranked, byId) {
  return ranked
    .map(({ id, reasons }) => {
      const p = byId.get(id);
      const why = reasons.map((r) => `<li>${escape(r.text)}</li>`).join("");
      return `<li data-id="${escape(id)}">
  <span class="title">${escape(p.title)}</span>
  <span class="price">${pounds.format(p.price)}</span>
  ${why ? `<ul class="reasons">${why}</ul>` : ""}
</li>`;
    })
    .join("\n");
}
