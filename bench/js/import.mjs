// Bulk import: a CSV of users with about 5% bad rows, Warden's wasm bulk import (bytes in,
// a verdict per row out: Warden#validateImport) against papaparse + Zod 4 (bytes decoded,
// parsed, each row validated, a verdict per row out). The same rule set on both sides
// (benches/compare/compare-policy.json: no password column, imported users get generated
// passwords). Verdict counts and per-row verdicts are asserted equal before timing.
// 100,000 rows with WARDEN_BENCH_FULL=1; 20,000 by default; 2,000 in smoke mode.
import Papa from "papaparse";
import { z } from "zod";
import {
  assertEqual, comparePolicy, fmtNs, full, interleaved, ratio, records, smoke, toCsv,
  today, wardenWasm, writeFragment, zodSchema,
} from "./common.mjs";

const ROWS = full ? 100_000 : smoke ? 2_000 : 20_000;
const rounds = smoke ? 3 : 7;
const w = wardenWasm();
const warden = new w.Warden(comparePolicy);
const User = zodSchema(z);
const bytes = new TextEncoder().encode(toCsv(records(ROWS, 5)));

const wardenRun = () => warden.validateImport(bytes, { format: "csv", today });
const zodRun = () => {
  const rows = Papa.parse(new TextDecoder().decode(bytes), { header: true, skipEmptyLines: true }).data;
  const status = new Uint8Array(rows.length);
  let invalid = 0;
  rows.forEach((r, i) => { if (!User.safeParse(r).success) { status[i] = 2; invalid++; } });
  return { summary: { total: rows.length, invalid }, status };
};

const a = wardenRun(), b = zodRun();
assertEqual("rows", a.summary.total, ROWS);
assertEqual("rows (papaparse)", b.summary.total, ROWS);
assertEqual("invalid rows", a.summary.invalid, b.summary.invalid);
assertEqual("invalid rows = 5%", a.summary.invalid, ROWS * 5 / 100);
for (let i = 0; i < ROWS; i++) if ((a.status[i] === 2) !== (b.status[i] === 2)) assertEqual(`row ${i}`, a.status[i], b.status[i]);

const [wd, zd] = interleaved([wardenRun, zodRun], { rounds, warmup: 1 });
const rate = (ns) => Math.round(ROWS / (ns / 1e9)).toLocaleString("en");
let md = `${ROWS.toLocaleString("en")} rows, ${(bytes.length / 1e6).toFixed(1)} MB of CSV, ${a.summary.invalid.toLocaleString("en")} invalid (5%); median of ${rounds} interleaved rounds (Node ${process.version}); per-row verdicts asserted equal first. Ratio = papaparse + Zod / Warden (above 1: Warden is faster).\n\n`;
md += "| tool | whole file | per row | rows/s | papaparse + Zod / Warden |\n|---|---:|---:|---:|---:|\n";
md += `| Warden wasm \`validateImport\` | ${fmtNs(wd)} | ${fmtNs(wd / ROWS)} | ${rate(wd)} | ${ratio(zd, wd)} |\n`;
md += `| papaparse + Zod 4 | ${fmtNs(zd)} | ${fmtNs(zd / ROWS)} | ${rate(zd)} | 1× |\n`;
md += `\nTarget: Warden at least 5× faster; measured ${ratio(zd, wd)}.\n`;
writeFragment(full ? "import-node" : "import-node", md);
