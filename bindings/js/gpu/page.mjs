// The page of gpu.mjs: `tastebud/gpu` as a page uses it (pkg/gpu.js, its .wasm fetched beside
// it), with steps the test drives one at a time. Comparisons happen here; each step returns what
// it found, and its timings.
import { random } from "../random.mjs";

/** Every GPU device this page asked for, in order: WebGPU has no list of them, so
 * `requestDevice` is wrapped before the package's first ranking asks for one (a test of a lost
 * device destroys the last). Uploads (buffers made with their contents: a catalog's vectors,
 * its incoming order) are counted: a catalog's must go to the GPU once. */
const devices = [];
if (typeof GPUAdapter === "function") {
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await requestDevice.apply(this, args);
    devices.push(device);
    return device;
  };
  const createBuffer = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (descriptor, ...rest) {
    if (descriptor?.mappedAtCreation) uploads++;
    return createBuffer.call(this, descriptor, ...rest);
  };
}
let uploads = 0;


const WORDS = [
  "red", "white", "pink", "blue", "green", "vintage", "heart", "star", "glass", "zinc",
  "wicker", "jumbo", "lunch", "regency", "retrospot", "polkadot", "paisley", "london",
  "tea", "cake", "set", "small", "large", "hanging", "frosted",
];
const NOUNS = ["holder", "bag", "mug", "tin", "lantern", "candle", "frame", "box"];

/** `n` items: titles of three words and a noun from a small vocabulary, a fifth of them the
 * title of an earlier item again (exact ties in content); ids `item-<i>`, so every catalog
 * holds the items the shopper acted on. */
export function items(n) {
  const next = random(17);
  const pick = (list) => list[Math.floor(next() * list.length)];
  const all = [];
  for (let i = 0; i < n; i++) {
    const title =
      i > 10 && i % 5 === 0
        ? all[Math.floor(next() * i)].title
        : `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(NOUNS)}`;
    all.push({ id: `item-${i}`, title, price: Math.round(50 + next() * 1950) / 100 });
  }
  return all;
}

/** A shopper who viewed, clicked, carted and searched. */
function shopper(p, list) {
  let ts = Date.now() - 600_000;
  const at = () => (ts += 30_000);
  p.record({ type: "view", item: list[0], ts: at() });
  p.record({ type: "click", item: list[4], ts: at() });
  p.record({ type: "view", item: list[8], ts: at() });
  p.record({ type: "dwell", item: list[8], ms: 20_000, ts: at() });
  p.record({ type: "add_to_cart", item: list[8], ts: at() });
  p.record({ type: "search", query: "red heart holder", ts: at() });
  p.record({ type: "view", item: list[16], ts: at() });
}

/** The rankings compared: k = 100 alone, with a query, and with diversity 0.5. */
const CASES = [
  { k: 100 },
  { k: 100, query: "red heart holder" },
  { k: 100, diversity: 0.5 },
];

/** Where `gpu` and `cpu` differ: the same ids in the same order, the same reasons, scores within
 * 1e-5. */
function differences(gpu, cpu) {
  const found = [];
  if (gpu.length !== cpu.length) found.push(`${gpu.length} results on the GPU, ${cpu.length} on the CPU`);
  for (let i = 0; i < Math.min(gpu.length, cpu.length); i++) {
    const [g, c] = [gpu[i], cpu[i]];
    if (g.id !== c.id) found.push(`place ${i}: ${g.id} on the GPU, ${c.id} on the CPU`);
    else if (!(Math.abs(g.score - c.score) <= 1e-5)) found.push(`${g.id}: score ${g.score} on the GPU, ${c.score} on the CPU`);
    else if (JSON.stringify(g.reasons) !== JSON.stringify(c.reasons)) found.push(`${g.id}: other reasons`);
  }
  return found.slice(0, 5);
}

/** `promise`'s rejection code, or what it resolved to. */
async function codeOf(promise) {
  try {
    return { resolved: await promise };
  } catch (e) {
    return { code: e?.code, name: e?.name, message: e?.message };
  }
}

/** `f()`'s thrown code (`undefined` if it did not throw). */
function thrown(f) {
  try {
    f();
  } catch (e) {
    return e?.code ?? `uncoded: ${e}`;
  }
}

export async function steps() {
  const tastebud = await import("/pkg/gpu.js");
  const { Personalizer } = tastebud;
  const ms = (t0) => Math.round(performance.now() - t0);

  return {
    webgpu: () => typeof navigator.gpu === "object",

    /** For each size: `rankCatalogAsync` against `rankCatalog`, every case, with timings. */
    async compare(sizes) {
      const p = await Personalizer.create();
      const before = p.backend();
      shopper(p, items(20));
      const report = { before, sizes: [] };
      for (const n of sizes) {
        const list = items(n);
        let t0 = performance.now();
        const catalog = p.catalog(list);
        const size = { n, catalogMs: ms(t0), cases: [] };
        for (const options of CASES) {
          t0 = performance.now();
          const cpu = p.rankCatalog(catalog, options);
          const cpuMs = ms(t0);
          const timings = [];
          const made = [];
          let gpu;
          for (let run = 0; run < 3; run++) {
            const before = uploads;
            t0 = performance.now();
            gpu = await p.rankCatalogAsync(catalog, options);
            timings.push(ms(t0));
            made.push(uploads - before);
            const again = differences(gpu, cpu);
            if (again.length) break;
          }
          size.cases.push({ options, cpuMs, gpuMs: timings, uploads: made, differences: differences(gpu, cpu), backend: p.backend() });
        }
        catalog.free();
        report.sizes.push(size);
      }
      p.free();
      return report;
    },

    /** A device destroyed right after a ranking starts: that ranking and the later ones are
     * the CPU's, and `backend()` says why. Calls while it is pending are refused with `busy`. */
    async lost() {
      const p = await Personalizer.create();
      const list = items(5_000);
      shopper(p, list);
      const catalog = p.catalog(list);
      const other = p.catalog(items(100));
      const options = { k: 100, query: "red heart holder" };
      const first = await p.rankCatalogAsync(catalog, options);
      const afterFirst = p.backend();
      const device = devices.at(-1);
      const cpu = p.rankCatalog(catalog, options);

      const pending = p.rankCatalogAsync(catalog, options);
      device.destroy();
      // Every other use of the personalizer and of its catalog, while the ranking is pending.
      const busy = {
        rankCatalog: thrown(() => p.rankCatalog(other, { k: 3 })),
        rank: thrown(() => p.rank([{ id: "a" }])),
        record: thrown(() => p.record({ type: "view", item: { id: "a" } })),
        backend: thrown(() => p.backend()),
        paused: thrown(() => p.paused),
        export: thrown(() => p.export()),
        free: thrown(() => p.free()),
        catalogLength: thrown(() => catalog.length),
        catalogFree: thrown(() => catalog.free()),
        otherCatalogLength: thrown(() => other.length),
        setGpuTimeout: thrown(() => p.setGpuTimeout(1000)),
        onChange: thrown(() => p.onChange(() => {})()),
      };
      const asyncBusy = await codeOf(p.rankCatalogAsync(other, { k: 3 }));
      const second = await pending;
      const lostInfo = (await device.lost).reason;
      const afterLoss = p.backend();
      const third = await p.rankCatalogAsync(catalog, options);
      const afterThird = p.backend();
      // Usable again once it settled, and the other catalog ranks on the CPU too.
      const usable = p.rankCatalog(other, { k: 3 }).length === 3 && catalog.length === list.length;
      const otherAsync = differences(await p.rankCatalogAsync(other, { k: 50 }), p.rankCatalog(other, { k: 50 }));
      catalog.free();
      other.free();
      p.free();
      return {
        afterFirst,
        firstDifferences: differences(first, cpu),
        busy,
        asyncBusy: asyncBusy.code ?? asyncBusy,
        secondDifferences: differences(second, cpu),
        thirdDifferences: differences(third, cpu),
        lostInfo,
        afterLoss,
        afterThird,
        usable,
        otherAsync,
      };
    },

    /** A GPU that never answers (every read-back left pending) is given up after
     * `setGpuTimeout`'s time: that ranking and the later ones are the CPU's, and `backend()`
     * says `gpu_timeout`. Timeouts that are not a positive number of milliseconds are refused. */
    async timeout() {
      const p = await Personalizer.create();
      const list = items(5_000);
      shopper(p, list);
      const catalog = p.catalog(list);
      const options = { k: 100, query: "red heart holder" };
      const cpu = p.rankCatalog(catalog, options);
      const refused = Object.fromEntries(
        [0, -1, NaN, Infinity, 2 ** 31, "100", null].map((ms) => [typeof ms === "string" ? `"${ms}"` : String(ms), thrown(() => p.setGpuTimeout(ms))]),
      );
      const limit = 500;
      p.setGpuTimeout(limit);
      const first = differences(await p.rankCatalogAsync(catalog, options), cpu);
      const afterFirst = p.backend();
      const mapAsync = GPUBuffer.prototype.mapAsync;
      GPUBuffer.prototype.mapAsync = () => new Promise(() => {});
      let t0 = performance.now();
      const hung = differences(await p.rankCatalogAsync(catalog, options), cpu);
      const hungMs = performance.now() - t0;
      GPUBuffer.prototype.mapAsync = mapAsync;
      const afterHung = p.backend();
      t0 = performance.now();
      const next = differences(await p.rankCatalogAsync(catalog, options), cpu);
      const nextMs = performance.now() - t0;
      catalog.free();
      p.free();
      return { refused, limit, first, afterFirst, hung, hungMs, afterHung, next, nextMs };
    },

    /** The page features while a ranking is pending, on a personalizer made by `open`: a click
     * `observe` sees is recorded once the ranking is done (not dropped as `busy`), and `live`
     * reads its list again then, with no error on the page. */
    async pageFeatures() {
      const p = await Personalizer.open({ name: "gpu-test" });
      const list = items(2_000);
      const grid = document.createElement("ul");
      for (const item of list.slice(0, 30)) {
        const li = document.createElement("li");
        li.dataset.tastebudItem = item.id;
        li.dataset.tastebudTitle = item.title;
        li.append(Object.assign(document.createElement("button"), { textContent: item.title }));
        grid.append(li);
      }
      document.body.append(grid);
      const observer = p.observe(document.body);
      const live = p.live(grid);
      const catalog = p.catalog(list);
      await p.rankCatalogAsync(catalog, { k: 100 });
      const clicks = () => p.profile().eventCounts.click;
      const before = clicks();

      const pending = p.rankCatalogAsync(catalog, { k: 100 });
      grid.children[3].querySelector("button").click();
      grid.append(grid.children[0].cloneNode(true)); // live reads its list again
      const during = thrown(() => p.profile());
      await pending;
      // Recorded once the ranking is done: waited for, a task at a time.
      for (let tries = 0; clicks() === before && tries < 1000; tries++) await new Promise((r) => setTimeout(r));
      const after = clicks();
      observer.disconnect();
      live.disconnect();
      catalog.free();
      const warning = p.storage?.warning;
      p.free();
      grid.remove();
      return { before, after, during, warning };
    },

    /** Without a GPU: `backend()` before and after, and the rankings the CPU's. */
    async noGpu() {
      const p = await Personalizer.create();
      const list = items(10_000);
      shopper(p, list);
      const catalog = p.catalog(list);
      const before = p.backend();
      const found = [];
      for (const options of CASES) {
        found.push(...differences(await p.rankCatalogAsync(catalog, options), p.rankCatalog(catalog, options)));
      }
      const after = p.backend();
      const webgpu = typeof navigator.gpu;
      const pending = p.rankCatalogAsync(catalog, { k: 10 });
      const busy = thrown(() => p.rankCatalog(catalog, { k: 10 }));
      await pending;
      catalog.free();
      p.free();
      return { before, after, differences: found, busy, webgpu };
    },
  };
}
