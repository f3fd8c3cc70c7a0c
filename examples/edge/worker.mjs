// The edge worker in Cloudflare's workerd (and Cloudflare Workers): the handler of handler.mjs,
// with the shop's search API reached through the `ORIGIN` service binding (see workerd.capnp).
// `npm run build` bundles this file into dist/ for workerd.capnp; wrangler can deploy it as is.
import { handle } from "./handler.mjs";

export default {
  fetch(request, env) {
    return handle(request, (path) => env.ORIGIN.fetch(new URL(path, request.url)));
  },
};
