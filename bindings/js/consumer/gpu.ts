// `tastebud/gpu` type-checked as usage.ts is: its personalizer has `rankCatalogAsync`,
// `backend` and `setGpuTimeout`, and everything the package's JavaScript adds, with no `any`.
import { init, Personalizer, type Backend, type ErrorCode, type Ranked } from "tastebud/gpu";

type IsAny<T> = 0 extends 1 & T ? true : false;
type Method = Exclude<keyof Personalizer, "free" | typeof Symbol.dispose>;
type Signature<F> = F extends (...args: infer A) => infer R ? A[number] | R : never;
type UntypedMethods = { [M in Method]: true extends IsAny<Signature<Personalizer[M]>> ? M : never }[Method];
const noAny: [UntypedMethods] extends [never] ? true : UntypedMethods = true;

export async function gpuExample(): Promise<string> {
  await init();
  const shop = await Personalizer.create();
  const stop = shop.onChange(() => {});
  stop();
  shop.setGpuTimeout(100); // a frame or so: a slower GPU is given up for the CPU
  // @ts-expect-error: milliseconds are a number
  shop.setGpuTimeout("100");
  const grid = shop.catalog([{ id: "a", title: "RED RETROSPOT MUG" }]);
  const ranked: Ranked[] = await shop.rankCatalogAsync(grid, { k: 10, query: "mug" });
  const where: Backend = shop.backend();
  const busy: ErrorCode = "busy";
  // @ts-expect-error: the catalog is required
  await shop.rankCatalogAsync();
  grid.free();
  return where.kind === "gpu" ? where.adapter : `${where.code}: ${where.reason} (${ranked.length}, ${busy}, ${noAny})`;
}
