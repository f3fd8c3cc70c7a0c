// The consumer scenario in Node, through the package's "node" export.
import * as tastebud from "tastebud";
import { scenario } from "./scenario.mjs";
console.log("node:", JSON.stringify(await scenario(tastebud)));
