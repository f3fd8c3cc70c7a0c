// The ranked products (`Personalizer.rank`'s answer), each with the reasons it is there. Neither
// a server nor a client module: the page renders it on the server, the client component in the
// browser.
const pounds = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });

export function RankedList({ ranked, byId, by }) {
  return (
    <ol id="ranked" aria-live="polite" data-ranked-by={by}>
      {ranked.map(({ id, reasons }) => {
        const p = byId.get(id);
        return (
          <li key={id} data-id={id}>
            <span className="title">{p.title}</span>
            <span className="price">{pounds.format(p.price)}</span>
            {reasons.length > 0 && (
              <ul className="reasons">
                {reasons.map((r, i) => (
                  <li key={i}>{r.text}</li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ol>
  );
}

export function price(p) {
  return pounds.format(p.price);
}
