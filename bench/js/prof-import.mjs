// §3's import (BENCHMARKS.md), 25 times over, for a profile of one build of the Node
// package: `node --cpu-prof bench/js/prof-import.mjs <pkg/warden_wasm.js>` (a package built
// without `--remove-name-section` names its wasm functions in the profile).
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { comparePolicy, records, toCsv, today } from "./common.mjs";

const require = createRequire(import.meta.url);
const w = require(resolve(process.argv[2] ?? "wasm/pkg/node/warden_wasm.js"));
const bytes = new TextEncoder().encode(toCsv(records(100_000, 5)));
const warden = new w.Warden(comparePolicy);
for (let i = 0; i < 25; i++) warden.validateImport(bytes, { format: "csv", today });
