"use client";
// The shopper's side. Next renders this component on the server too (its HTML is in the page as
// sent), where it shows the list the server ranked; in the browser it opens the shopper's
// profile (kept in IndexedDB, so it survives reloads), records the products clicked and ranks
// the list again after each change.
import { useEffect, useState } from "react";
import { Personalizer } from "tastebud";
import { price, RankedList } from "./ranked-list.js";

const OPTIONS = { k: 6, diversity: 0.2 };

export default function Shop({ products, serverRanked, query }) {
  const byId = new Map(products.map((p) => [p.id, p]));
  const [shop, setShop] = useState();
  const [ranked, setRanked] = useState(serverRanked);
  const [status, setStatus] = useState("Click a product: the list is ranked for you, on this device only.");

  useEffect(() => {
    let closed = false;
    let opened;
    let stop;
    Personalizer.open({ name: "tastebud-next-example" }).then(
      (s) => {
        if (closed) return s.free();
        opened = s;
        const rank = () => setRanked(s.rank(products, { ...OPTIONS, query }));
        stop = s.onChange(rank); // this tab's clicks, and other tabs' (profiles stay in step)
        rank();
        setShop(s);
      },
      (e) => {
        setStatus("Recommendations are not available right now.");
        throw e;
      },
    );
    return () => {
      closed = true;
      stop?.();
      opened?.free();
    };
  }, [products, query]);

  function look(item) {
    shop?.record({ type: "click", item });
    shop?.record({ type: "view", item });
    setStatus(`You looked at ${item.title}.`);
  }

  function forget() {
    shop?.clear();
    setStatus("Your profile is empty again.");
  }

  return (
    <main data-ready={shop ? "true" : undefined}>
      <section aria-labelledby="products-heading">
        <h2 id="products-heading">Products</h2>
        <ul id="products">
          {products.map((p) => (
            <li key={p.id}>
              <button type="button" className="product" data-id={p.id} disabled={!shop} onClick={() => look(p)}>
                <span className="title">{p.title}</span>
                <span className="price">{price(p)}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="ranked-heading">
        <h2 id="ranked-heading">Recommended for you</h2>
        <p id="status" role="status">
          {status}
        </p>
        <RankedList ranked={ranked} byId={byId} by={shop ? "browser" : "server"} />
        <button type="button" id="clear" disabled={!shop} onClick={forget}>
          Forget what I looked at
        </button>
      </section>
    </main>
  );
}
