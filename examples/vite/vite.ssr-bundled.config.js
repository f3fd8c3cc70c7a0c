// `npm run build:ssr-bundled`: the SSR build with tastebud bundled into the server's code rather
// than imported from node_modules when the server starts. Nothing here is about tastebud itself:
// its Node entry, inlined, reads the .wasm from beside the bundle if it was copied there, or else
// from the installed package.
export default {
  ssr: { noExternal: ["tastebud"] },
};
