// A/B of two builds of the Node package on §3's import (BENCHMARKS.md): the same CSV bytes
// through both `Warden#validateImport`s, interleaved in one process, so that a regression
// shows against the other build on the same machine state rather than against a figure
// from another day. The reports are asserted equal first.
//
//   node bench/js/ab-import.mjs <pkgA/warden_wasm.js> <pkgB/warden_wasm.js> [rounds]
//
// ROWS (default 100,000) and BAD (invalid rows per hundred, default 5) change the file. A
// package of another commit: build `warden-wasm` with `--profile wasm-node --features perf`
// in a worktree, then wasm-bindgen and `wasm-opt -O3 -ocimfs 0` as scripts/build-wasm.sh.
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { comparePolicy, fmtNs, interleaved, records, toCsv, today } from "./common.mjs";

const require = createRequire(import.meta.url);
const paths = process.argv.slice(2, 4);
if (paths.length !== 2) {
  console.error("usage: node bench/js/ab-import.mjs <pkgA/warden_wasm.js> <pkgB/warden_wasm.js> [rounds]");
  process.exit(2);
}
const [a, b] = paths.map((p) => require(resolve(p)));
const rounds = Number(process.argv[4] ?? 9);
const rows = Number(process.env.ROWS ?? 100_000);
const bytes = new TextEncoder().encode(toCsv(records(rows, Number(process.env.BAD ?? 5))));
const wa = new a.Warden(comparePolicy);
const wb = new b.Warden(comparePolicy);
const run = (w) => () => w.validateImport(bytes, { format: "csv", today });
const ra = run(wa)();
const rb = run(wb)();
if (JSON.stringify(ra.summary) !== JSON.stringify(rb.summary) || ra.status.join() !== rb.status.join()) {
  throw new Error("the two builds report differently");
}
const [ta, tb] = interleaved([run(wa), run(wb)], { rounds, warmup: 2 });
console.log(`A ${fmtNs(ta)}  B ${fmtNs(tb)}  B/A ${(tb / ta).toFixed(3)}`);
