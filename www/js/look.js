// How each product looks: its drawn picture (an icon on a coloured tile, perhaps patterned) and
// the shelf it sits on, worked out from its title alone.
import { h, icon } from "./dom.js";

/** What kind of thing a product is: its picture and the shelf it sits on. First match wins. */
const KINDS = [
  [/T-LIGHT|CANDLE|LANTERN|TEALIGHT|NIGHT LIGHT|LIGHTS\b/, "candle", "Candles & lights"],
  [/CAKE ?STAND|CAKE CASES|CAKE TIN|BAKING|CUTTERS?\b|\bCAKES?\b/, "cake", "Baking & parties"],
  [/\bBAGS?\b|SHOPPER|TOTE|CHARLOTTE|PURSE|BACKPACK/, "bag", "Bags"],
  [/\bMUGS?\b|\bCUPS?\b|TEACUP|BEAKER|TEAPOT|TEA ?SET|COFFEE/, "cup", "Tea & coffee"],
  [/\bSIGN\b|PLAQUE|DOORMAT/, "sign", "Signs & doormats"],
  [/BUNTING|GARLAND|PAPER CHAIN|BALLOON/, "bunting", "Party"],
  [/CLOCK/, "clock", "Clocks"],
  [/BOTTLE/, "bottle", "Hot water bottles"],
  [/NECKLACE|EARRINGS|BRACELET|BROOCH|DIAMANTE|\bRING\b|HAIR ?(CLIP|SLIDE|BAND)/, "jewel", "Jewellery"],
  [
    /\bCARDS?\b|WRAP|\bTAGS?\b|NOTEBOOK|NAPKINS|PAPER|STICKER|NOTELETS|JOURNAL|PENCIL|\bPEN\b|STATIONERY/,
    "card",
    "Cards & stationery",
  ],
  [/PLATE|BOWL|\bDISH|SAUCER|CUTLERY|TRAY|JUG|COASTER|PLACEMAT|TEA TOWEL/, "plate", "Kitchen & table"],
  [/CUSHION|THROW|BLANKET|QUILT/, "cushion", "Cushions & throws"],
  [/FRAME|MIRROR|PHOTO/, "frame", "Frames"],
  [/\bBIRDS?\b|DOVE|ROBIN|BIRDHOUSE|GARDEN/, "bird", "Garden & birds"],
  [/\bBOX\b|BOXES|\bTINS?\b|CRATE|STORAGE|\bJARS?\b|CASE\b|BASKET|HAMPER/, "box", "Storage"],
  [/CHRISTMAS|\bSTARS?\b|BAUBLE|ORNAMENT|DECORATION|SNOWFLAKE|ANGEL|TREE/, "star", "Decorations"],
  [/HEART/, "heart", "Hearts & home"],
];
const GIFT = ["gift", "Gifts"];

/** Colour words of the titles, as a hue and saturation for the product's picture. */
const COLOURS = {
  red: [4, 62], pink: [340, 58], rose: [350, 45], blue: [212, 52], navy: [222, 45],
  green: [140, 36], mint: [160, 40], turquoise: [178, 48], teal: [182, 42], purple: [275, 36],
  lilac: [280, 34], lavender: [265, 34], yellow: [48, 72], gold: [42, 58], orange: [24, 70],
  brown: [26, 34], black: [20, 6], white: [36, 18], ivory: [42, 28], cream: [38, 32],
  silver: [210, 10], zinc: [205, 12], grey: [210, 8], natural: [32, 28], copper: [20, 50],
};

/** FNV-1a, 32 bits: a stable number for a word. */
function hash(text) {
  let x = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 0x01000193);
  return x >>> 0;
}

/** Looks worked out so far, by product id. */
const looks = new Map();

/** How a product is drawn: `{ icon, shelf, hue, saturation, pattern }`. */
export function lookOf(product) {
  let look = looks.get(product.id);
  if (look) return look;
  const title = product.title ?? product.name.toUpperCase();
  const [, iconName, shelf] = KINDS.find(([pattern]) => pattern.test(title)) ?? [null, ...GIFT];
  const words = title.toLowerCase().split(/[^a-z]+/).filter(Boolean);
  const colour = words.map((w) => COLOURS[w]).find(Boolean);
  const kind = words.at(-1) ?? product.id;
  const [hue, saturation] = colour ?? [hash(kind) % 360, 38 + (hash(kind) >>> 9) % 20];
  const pattern = /RETROSPOT|POLKADOT|SPOTTY|\bSPOTS?\b|\bDOTS?\b/.test(title)
    ? "dots"
    : /STRIPE/.test(title)
      ? "stripes"
      : /GINGHAM|CHECK\b/.test(title)
        ? "check"
        : undefined;
  look = { icon: iconName, shelf, hue, saturation, pattern };
  looks.set(product.id, look);
  return look;
}

/** The drawn picture of a product. */
export function tile(product, className = "tile") {
  const { icon: name, hue, saturation, pattern } = lookOf(product);
  return h(
    "span",
    { class: className, style: `--h:${hue};--s:${saturation}%`, dataset: pattern ? { pattern } : {} },
    icon(name),
  );
}
