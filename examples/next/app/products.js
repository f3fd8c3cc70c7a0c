// A few best sellers of the Online Retail data set (Chen, D. (2015), UCI Machine Learning
// Repository, https://doi.org/10.24432/C5BW33, CC BY 4.0): stock code, description and the
// most common unit price in pounds. A real shop would render its own catalog here.
export const products = [
  { id: "85123A", title: "WHITE HANGING HEART T-LIGHT HOLDER", category: "home/candles", price: 2.55 },
  { id: "22178", title: "VICTORIAN GLASS HANGING T-LIGHT", category: "home/candles", price: 1.25 },
  { id: "71053", title: "WHITE METAL LANTERN", category: "home/candles", price: 3.39 },
  { id: "22423", title: "REGENCY CAKESTAND 3 TIER", category: "kitchen/baking", price: 12.75 },
  { id: "22699", title: "ROSES REGENCY TEACUP AND SAUCER", category: "kitchen/tableware", price: 2.95 },
  { id: "22697", title: "GREEN REGENCY TEACUP AND SAUCER", category: "kitchen/tableware", price: 2.95 },
  { id: "85099B", title: "JUMBO BAG RED RETROSPOT", category: "bags", price: 2.08 },
  { id: "22386", title: "JUMBO BAG PINK POLKADOT", category: "bags", price: 2.08 },
  { id: "20725", title: "LUNCH BAG RED RETROSPOT", category: "bags", price: 1.65 },
  { id: "47566", title: "PARTY BUNTING", category: "party", price: 4.95 },
  { id: "23298", title: "SPOTTY BUNTING", category: "party", price: 4.95 },
  { id: "84879", title: "ASSORTED COLOUR BIRD ORNAMENT", category: "home/decorations", price: 1.69 },
  { id: "22469", title: "HEART OF WICKER SMALL", category: "home/decorations", price: 1.65 },
  { id: "22727", title: "ALARM CLOCK BAKELIKE RED", category: "home/clocks", price: 3.75 },
];
