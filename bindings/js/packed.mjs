// The packed package, installed as a user gets it: `npm pack pkg/` unpacked into a temporary
// directory. For the boundary test and the fuzzer, which import it from Node.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "../../pkg");

/** The package's Node entry and its directory; `remove()` deletes them. */
export async function installPacked() {
  const work = mkdtempSync(join(tmpdir(), "tastebud-packed-"));
  const run = (cmd, args) => String(execFileSync(cmd, args, { cwd: work, stdio: ["ignore", "pipe", "inherit"] }));
  const [packed] = JSON.parse(run("npm", ["pack", pkg, "--pack-destination", work, "--json"]));
  run("tar", ["-xzf", packed.filename]);
  const dir = join(work, "package");
  const tastebud = await import(pathToFileURL(join(dir, "node.js")).href);
  return { tastebud, dir, remove: () => rmSync(work, { recursive: true, force: true }) };
}
