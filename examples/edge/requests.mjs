// What the edge example's test and benchmark ask the worker, as they read its answers.
import { fail } from "../harness.mjs";

/** How long one answer may take outside the load, on a loaded machine. */
export const REQUEST_MS = 60_000;

/** GET `base + path`: `{ status, rerank, body }` (the body as JSON). */
export async function get(base, path, headers = {}) {
  const response = await fetch(base + path, { headers, signal: AbortSignal.timeout(REQUEST_MS) });
  const text = await response.text();
  try {
    return { status: response.status, rerank: response.headers.get("x-tastebud-rerank"), body: JSON.parse(text) };
  } catch {
    fail(`GET ${base}${path}: ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
}
