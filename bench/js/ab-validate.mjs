// A/B of two builds of the Node package on §2's one call per record (BENCHMARKS.md): the
// same records through both `Warden#validate`s, interleaved in one process, so that a change
// shows against the other build on the same machine state rather than against a figure from
// another day. The decisions are asserted equal record by record first.
//
//   node bench/js/ab-validate.mjs <pkgA/warden_wasm.js> <pkgB/warden_wasm.js> [rounds]
//
// ROWS (default 10,000) and BAD (invalid records per hundred, default 0) change the records.
// A package of another commit: see bench/js/ab-import.mjs.
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { comparePolicy, fmtNs, interleaved, records, today } from "./common.mjs";

const require = createRequire(import.meta.url);
const paths = process.argv.slice(2, 4);
if (paths.length !== 2) {
  console.error("usage: node bench/js/ab-validate.mjs <pkgA/warden_wasm.js> <pkgB/warden_wasm.js> [rounds]");
  process.exit(2);
}
const [wa, wb] = paths.map((p) => new (require(resolve(p)).Warden)(comparePolicy));
const rounds = Number(process.argv[4] ?? 11);
const recs = records(Number(process.env.ROWS ?? 10_000), Number(process.env.BAD ?? 0));
for (const user of recs) {
  const [a, b] = [wa, wb].map((w) => JSON.stringify(w.validate({ user, today })));
  if (a !== b) throw new Error(`the two builds decide differently: ${a} against ${b}`);
}
const run = (w) => () => {
  let invalid = 0;
  for (const user of recs) if (!w.validate({ user, today }).valid) invalid++;
  return invalid;
};
const [ta, tb] = interleaved([run(wa), run(wb)], { rounds, warmup: 2 });
const per = (t) => fmtNs(t / recs.length);
console.log(`A ${per(ta)}  B ${per(tb)} a call  B/A ${(tb / ta).toFixed(3)}`);
