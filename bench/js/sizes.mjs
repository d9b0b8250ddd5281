// Browser download sizes: Warden's browser bundle (.wasm + glue JS, as scripts/build-wasm.sh
// ships it in wasm/pkg/web) and its forms build (wasm/pkg/forms) against @cedar-policy/cedar-wasm's browser build (web/) and
// against Zod 4 and ajv + ajv-formats, bundled and minified with esbuild as an application
// would ship them. Every file is gzipped at level 9, as a server would send it.
import { readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { fmtBytes, root, writeFragment } from "./common.mjs";

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
function files(label, paths, note) {
  let raw = 0, zipped = 0;
  for (const p of paths) {
    const buf = readFileSync(p);
    raw += buf.length;
    zipped += gz(buf);
  }
  return { label, raw, zipped, note };
}
function bundle(label, source, note) {
  const out = buildSync({
    stdin: { contents: source, resolveDir: root, loader: "js" },
    bundle: true, minify: true, format: "esm", platform: "browser", write: false, logLevel: "silent",
  }).outputFiles[0].contents;
  return { label, raw: out.length, zipped: gz(out), note };
}

const web = join(root, "wasm", "pkg", "web");
const cedar = join(root, "node_modules", "@cedar-policy", "cedar-wasm", "web");
statSync(join(web, "warden_wasm_bg.wasm")); // fails loudly when the package is not built
const warden = files("Warden (wasm + glue)", [join(web, "warden_wasm_bg.wasm"), join(web, "warden_wasm.js")],
  "validation, authorization, lifecycle; the common-password list is a separate optional asset");
const formsDir = join(root, "wasm", "pkg", "forms");
statSync(join(formsDir, "warden_wasm_forms_bg.wasm"));
const forms = files("Warden forms build (wasm + glue)", [join(formsDir, "warden_wasm_forms_bg.wasm"), join(formsDir, "warden_wasm_forms.js")],
  "`warden-wasm/forms`: validation, passwords (checklist, score), messages, uniqueness checks; presets, the password list and the Unicode tables are assets");
const presetsRow = files("Warden forms presets (asset)", [join(formsDir, "presets.json")], "only to load a preset by name");
const tablesRow = files("Warden forms Unicode tables (asset)", [join(formsDir, "unicode-tables.txt")],
  "only for non-ASCII input and the common-password list (NFKC, IDN)");
const list = files("Warden common-password list (optional asset)", [join(web, "common-passwords.txt")],
  "only for policies with a password field");
const cedarRow = files("@cedar-policy/cedar-wasm (wasm + glue)", [join(cedar, "cedar_wasm_bg.wasm"), join(cedar, "cedar_wasm.js")],
  "authorization only");
const zod = bundle("Zod 4 (esbuild bundle, minified)", 'import { z } from "zod"; globalThis.z = z;',
  "validation only; the whole `z` namespace (what `import { z }` ships)");
const ajv = bundle("ajv + ajv-formats (esbuild bundle, minified)",
  'import Ajv from "ajv"; import addFormats from "ajv-formats"; globalThis.A = [Ajv, addFormats];',
  "validation only; compiles schemas with `new Function` at run time");

const rows = [warden, forms, list, presetsRow, tablesRow, cedarRow, zod, ajv];
let md = "Bytes a browser downloads, gzipped at level 9 (raw in parentheses). Ratio = other / Warden's wasm + glue (above 1: Warden is smaller).\n\n";
md += "| bundle | gzipped | raw | other / Warden | notes |\n|---|---:|---:|---:|---|\n";
for (const r of rows) {
  const rel = r === warden ? "1×" : r === list || r === presetsRow || r === tablesRow ? "—" : `${(r.zipped / warden.zipped).toFixed(2)}×`;
  md += `| ${r.label} | ${fmtBytes(r.zipped)} | ${fmtBytes(r.raw)} | ${rel} | ${r.note} |\n`;
}
md += `\nTarget: Warden at most a tenth of cedar-wasm, i.e. ≤ ${fmtBytes(cedarRow.zipped / 10)} gzipped; measured ${(warden.zipped / cedarRow.zipped * 100).toFixed(1)}% of cedar-wasm.\n`;
const FORMS_TARGET = 150 * 1024;
const over = forms.zipped - FORMS_TARGET;
md += `Forms build: target ≤ ${fmtBytes(FORMS_TARGET)} gzipped (wasm + glue); measured ${fmtBytes(forms.zipped)}, ${over > 0 ? `over by ${fmtBytes(over)}` : "within"}; `
  + `Zod 4 is ${(zod.zipped / forms.zipped).toFixed(2)}× and ajv + ajv-formats ${(ajv.zipped / forms.zipped).toFixed(2)}× its size.\n`;
writeFragment("sizes", md);
