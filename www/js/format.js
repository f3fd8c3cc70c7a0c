// How the page writes money, counts and times (British English).

export const pounds = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });
export const whole = new Intl.NumberFormat("en-GB");
const relative = new Intl.RelativeTimeFormat("en-GB", { numeric: "auto" });

/** A product's price as shown, or nothing when it has none. */
export const price = (product) => (product.price === undefined ? "" : pounds.format(product.price));

/** How long ago `ms` (epoch milliseconds) was: "just now", "3 minutes ago", "yesterday". */
export function ago(ms) {
  const seconds = Math.round((ms - Date.now()) / 1000);
  if (seconds > -45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes > -60) return relative.format(minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (hours > -24) return relative.format(hours, "hour");
  return relative.format(Math.round(hours / 24), "day");
}
