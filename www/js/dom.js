// Small DOM helpers shared by every part of the page: elements and SVG built from attributes
// and children, the page's icons, and the toast.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** An element with attributes (`class`, `dataset`, `style`, others as attributes) and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "style") element.style.cssText = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return element;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element with attributes and children. */
export function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** One of the page's icons (`<symbol id="i-…">`), decorative. */
export function icon(name) {
  return s("svg", { "aria-hidden": "true", focusable: "false" }, s("use", { href: `#i-${name}` }));
}

/** How long a toast stays. */
const TOAST_MS = 3200;

/** A function that shows a short message in `element` at the bottom of the screen (announced
 * politely), each message replacing the last. */
export function toaster(element) {
  let timer;
  return (message) => {
    element.textContent = message;
    element.classList.add("shown");
    clearTimeout(timer);
    timer = setTimeout(() => element.classList.remove("shown"), TOAST_MS);
  };
}
