import { Personalizer } from "tastebud";
import { products } from "./products.js";
import { productList, rankedList } from "./render.js";
import "./style.css";

const byId = new Map(products.map((p) => [p.id, p]));
const shelf = document.querySelector("#products");
const ranked = document.querySelector("#ranked");
const status = document.querySelector("#status");

shelf.innerHTML = productList(products);

// The embedded default model and an empty profile; the first call fetches the .wasm, which
// Vite emits beside the page's JavaScript.
let shop;
try {
  shop = await Personalizer.create();
} catch (e) {
  status.textContent = "Recommendations are not available right now.";
  throw e;
}
const grid = shop.catalog(products); // checked and encoded once, ranked after every click

function show() {
  ranked.innerHTML = rankedList(shop.rankCatalog(grid, { k: 6, diversity: 0.2 }), byId);
}

shelf.addEventListener("click", (e) => {
  const button = e.target.closest("button.product");
  if (!button) return;
  const item = byId.get(button.dataset.id);
  shop.record({ type: "click", item });
  shop.record({ type: "view", item });
  status.textContent = `You looked at ${item.title}.`;
  show();
});

document.querySelector("#clear").addEventListener("click", () => {
  shop.clear();
  status.textContent = "Your profile is empty again.";
  show();
});

show();
document.body.dataset.ready = "true"; // for test.mjs: tastebud is loaded and the list ranked
