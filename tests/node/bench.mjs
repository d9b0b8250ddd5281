// npm run bench: bulk import throughput (100,000-row CSV) against papaparse + Zod 4, the
// per-keystroke validate time, and the two ways decisions cross the wasm boundary.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import Papa from "papaparse";
import { z } from "zod";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "wasm", "pkg", "node");
const w = createRequire(import.meta.url)(join(pkgDir, "warden_wasm.js"));
const list = new w.Blocklist(readFileSync(join(pkgDir, "common-passwords.txt"), "utf8"));
const warden = w.Warden.fromPreset("production-planner-pro").withBlocklist(list);
const today = "2026-11-22";
const ROWS = 100_000;

// A CSV with about 1 row in 10 invalid (bad email, weak password, missing name).
let csv = "firstName,lastName,email,phone,password,organization\n";
for (let i = 0; i < ROWS; i++) {
  const bad = i % 10;
  const email = bad === 3 ? `user${i}.example.com` : `user${i}@acme.example`;
  const password = bad === 6 ? "short" : `Str0ng&Pass${i}`;
  const first = bad === 8 ? "" : "Ada";
  csv += `${first},Lovelace${i},${email},+33612345678,${password},org${i % 50}\n`;
}
const bytes = new TextEncoder().encode(csv);

function time(fn, runs = 5) {
  const t = [];
  let out;
  for (let i = 0; i < runs; i++) { const s = performance.now(); out = fn(); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  return { ms: t[Math.floor(t.length / 2)], out };
}

const wasmRun = time(() => warden.validateImport(bytes, { today }));
const wasmInvalid = wasmRun.out.summary.invalid;

// papaparse + Zod 4 with the same rules (approximately R000-01/03/04: no blocklist).
const User = z.object({
  firstName: z.string().min(1).max(100),
  lastName: z.string().min(1).max(100),
  email: z.email(),
  phone: z.string().regex(/^\+[1-9]\d{6,14}$/).optional(),
  password: z.string().min(8).max(128).regex(/[A-Z]/).regex(/[a-z]/).regex(/\d/).regex(/[^A-Za-z0-9]/),
  organization: z.string().min(1),
});
const zodRun = time(() => {
  const parsed = Papa.parse(csv, { header: true, skipEmptyLines: true });
  let invalid = 0;
  for (const row of parsed.data) if (!User.safeParse(row).success) invalid++;
  return invalid;
});

const rate = (ms) => Math.round(ROWS / (ms / 1000)).toLocaleString("en");
console.log(`bulk import, ${ROWS.toLocaleString("en")} rows (${(bytes.length / 1e6).toFixed(1)} MB):`);
console.log(`  warden wasm validateImport: ${wasmRun.ms.toFixed(0)} ms, ${rate(wasmRun.ms)} rows/s, invalid ${wasmInvalid}`);
console.log(`  papaparse + zod 4:          ${zodRun.ms.toFixed(0)} ms, ${rate(zodRun.ms)} rows/s, invalid ${zodRun.out}`);
console.log(`  speed-up: ${(zodRun.ms / wasmRun.ms).toFixed(1)}x`);
if (wasmInvalid !== zodRun.out) {
  console.error(`verdict counts differ: warden ${wasmInvalid}, zod ${zodRun.out}`);
  process.exitCode = 1;
}

// Per keystroke: one validate call on a realistic record.
const user = { firstName: "Ada", lastName: "Lovelace", email: "ada.lovelace@acme.example", phone: "+33612345678", password: "Tr0ub4dor&3x!", organization: "acme" };
const facts = { unique: { email_unique: { key: "ada.lovelace@acme.example", taken: false } }, exists: { organization_exists: true } };
function median(fn, n = 2000) {
  for (let i = 0; i < 200; i++) fn(i);
  const t = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); fn(i); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  return t[n >> 1] * 1000;
}
const json = median((i) => warden.validate({ user: { ...user, lastName: `Lovelace${i}` }, today, facts }));
const pw = median((i) => warden.checkPassword({ password: `Tr0ub4dor&3x${i}` }));
console.log("per keystroke (median of 2,000):");
console.log(`  validate (JSON text across the boundary, the default): ${json.toFixed(1)} µs`);
console.log(`  checkPassword:                                          ${pw.toFixed(1)} µs`);
