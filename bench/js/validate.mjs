// Record validation in Node: Warden's wasm package (one call per record, and the batch API
// validateImport on JSON Lines and on CSV) against Zod 4 and ajv, on one rule set
// (benches/compare/compare-policy.json; Zod and JSON Schema versions in common.mjs).
// Verdicts are asserted equal record by record before any timing.
import Ajv from "ajv";
import Papa from "papaparse";
import { z } from "zod";
import {
  assertEqual, comparePolicy, fmtNs, interleaved, jsonSchema, ratio, records, smoke,
  toCsv, toJsonLines, today, wardenWasm, writeFragment, zodSchema,
} from "./common.mjs";

const w = wardenWasm();
const warden = new w.Warden(comparePolicy);
const User = zodSchema(z);
const ajvValidate = new Ajv({ allErrors: true }).compile(jsonSchema);

const N = smoke ? 1_000 : 10_000;
const rounds = smoke ? 3 : 9;
const rows = [];

for (const [mix, bad] of [["all valid", 0], ["5% invalid", 5], ["50% invalid", 50]]) {
  const recs = records(N, bad);
  const jsonl = toJsonLines(recs);
  const jsonlBytes = new TextEncoder().encode(jsonl);
  const csv = toCsv(recs);
  const csvBytes = new TextEncoder().encode(csv);

  // Same verdicts, record by record.
  let invalid = 0;
  recs.forEach((r, i) => {
    const wv = warden.validate({ user: r, today }).valid;
    const zv = User.safeParse(r).success;
    const av = ajvValidate(r);
    if (wv !== zv || zv !== av) {
      console.error(`record ${i} ${JSON.stringify(r)}: warden ${wv}, zod ${zv}, ajv ${av}`);
      process.exit(1);
    }
    if (!wv) invalid++;
  });
  assertEqual(`${mix}: invalid count`, invalid, (N * bad) / 100);
  const jl = warden.validateImport(jsonlBytes, { format: "jsonLines", today });
  const cv = warden.validateImport(csvBytes, { format: "csv", today });
  const parsed = Papa.parse(csv, { header: true, skipEmptyLines: true }).data;
  assertEqual(`${mix}: JSON Lines import`, jl.summary.invalid, invalid);
  assertEqual(`${mix}: CSV import`, cv.summary.invalid, invalid);
  recs.forEach((_, i) => {
    const ws = cv.status[i] === 2;
    if (ws !== !User.safeParse(parsed[i]).success || ws !== !ajvValidate(parsed[i])) {
      console.error(`CSV row ${i}: warden invalid ${ws}, zod/ajv disagree`);
      process.exit(1);
    }
  });

  // One call per record (objects already in memory).
  const perRecord = interleaved([
    () => { let k = 0; for (const r of recs) if (!warden.validate({ user: r, today }).valid) k++; return k; },
    () => { let k = 0; for (const r of recs) if (!User.safeParse(r).success) k++; return k; },
    () => { let k = 0; for (const r of recs) if (!ajvValidate(r)) k++; return k; },
  ], { rounds });
  // Batch, JSON Lines bytes in, one verdict per row out.
  const jsonLines = interleaved([
    () => warden.validateImport(jsonlBytes, { format: "jsonLines", today }).status,
    () => {
      const text = new TextDecoder().decode(jsonlBytes);
      const out = new Uint8Array(N);
      let i = 0;
      for (const line of text.split("\n")) if (line) out[i++] = User.safeParse(JSON.parse(line)).success ? 0 : 2;
      return out;
    },
    () => {
      const text = new TextDecoder().decode(jsonlBytes);
      const out = new Uint8Array(N);
      let i = 0;
      for (const line of text.split("\n")) if (line) out[i++] = ajvValidate(JSON.parse(line)) ? 0 : 2;
      return out;
    },
  ], { rounds });
  // Batch, CSV bytes in (papaparse for the anchors).
  const csvRun = interleaved([
    () => warden.validateImport(csvBytes, { format: "csv", today }).status,
    () => {
      const data = Papa.parse(new TextDecoder().decode(csvBytes), { header: true, skipEmptyLines: true }).data;
      const out = new Uint8Array(data.length);
      data.forEach((r, i) => { out[i] = User.safeParse(r).success ? 0 : 2; });
      return out;
    },
    () => {
      const data = Papa.parse(new TextDecoder().decode(csvBytes), { header: true, skipEmptyLines: true }).data;
      const out = new Uint8Array(data.length);
      data.forEach((r, i) => { out[i] = ajvValidate(r) ? 0 : 2; });
      return out;
    },
  ], { rounds });
  const per = (xs) => xs.map((x) => x / N);
  rows.push([`${mix}: one call per record`, ...per(perRecord)]);
  rows.push([`${mix}: batch, JSON Lines bytes`, ...per(jsonLines)]);
  rows.push([`${mix}: batch, CSV bytes (anchors: + papaparse)`, ...per(csvRun)]);
}

let md = `Per record, median of ${rounds} interleaved rounds over ${N.toLocaleString("en")} records (Node ${process.version}); verdicts asserted equal record by record first. Warden per record: \`Warden#validate\` (an object in, a full decision with messages and the normalised record out); batch: \`Warden#validateImport\` (bytes in, a status byte per row plus details of bad rows out). The anchors' batch rows include \`TextDecoder\` and \`JSON.parse\` / papaparse. Ratio = anchor / Warden (above 1: Warden is faster).\n\n`;
md += "| work | Warden (wasm) | Zod 4 | ajv | Zod / Warden | ajv / Warden |\n|---|---:|---:|---:|---:|---:|\n";
for (const [label, wd, zd, ad] of rows) {
  md += `| ${label} | ${fmtNs(wd)} | ${fmtNs(zd)} | ${fmtNs(ad)} | ${ratio(zd, wd)} | ${ratio(ad, wd)} |\n`;
}
writeFragment("validate-node", md);
