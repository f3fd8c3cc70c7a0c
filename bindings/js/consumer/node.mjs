// The consumer scenario in Node, through the package's "node" exports (the edge's too).
import * as tastebud from "tastebud";
import * as edge from "tastebud/edge";
import { scenario } from "./scenario.mjs";
console.log("node:", JSON.stringify(await scenario(tastebud, edge)));
