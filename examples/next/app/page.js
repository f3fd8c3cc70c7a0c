// The page, a React Server Component: it runs on the server only. tastebud ranks the products
// here too, with the default model and an empty profile (the server knows nothing about the
// shopper; the profile lives in their browser), for the search in the address (`?q=…`), so the
// page arrives with a ranked list; in the browser, <Shop> ranks it again for the shopper.
import { Personalizer } from "tastebud";
import { products } from "./products.js";
import Shop from "./shop.js";

// One personalizer for every request: with an empty profile, ranking only reads the model.
let server;
function personalizer() {
  server ??= Personalizer.create().catch((e) => {
    server = undefined; // the next request tries again
    throw e;
  });
  return server;
}

export default async function Page({ searchParams }) {
  const { q } = await searchParams;
  const query = typeof q === "string" && q.trim() ? q.trim() : undefined;
  const ranked = (await personalizer()).rank(products, { k: 6, diversity: 0.2, query });
  return (
    <>
      <h1>Gift shop</h1>
      <form role="search" method="get" action="/">
        <input type="search" name="q" defaultValue={query} aria-label="Search the shop" placeholder="Search" />
        <button type="submit">Search</button>
      </form>
      <Shop products={products} serverRanked={ranked} query={query} />
      <footer>
        Products and prices from Online Retail — Chen, D. (2015), UCI Machine Learning Repository,{" "}
        <a href="https://doi.org/10.24432/C5BW33">doi:10.24432/C5BW33</a>, CC BY 4.0.
      </footer>
    </>
  );
}
