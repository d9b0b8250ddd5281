// Builds the worked example into a folder: the page, its bundle (esbuild: React, React Hook
// Form, @hookform/resolvers, the adapter and the web build's glue) and the web build's
// .wasm and password list. `node examples/forms/build.mjs [outdir]` (default
// examples/forms/dist), then serve the folder (`python3 -m http.server -d examples/forms/dist`).
// Run scripts/build-wasm.sh first.
import { build as esbuild } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

export async function build(outdir = join(here, "dist")) {
  mkdirSync(outdir, { recursive: true });
  await esbuild({
    entryPoints: [join(here, "app.jsx")],
    bundle: true,
    format: "esm",
    jsx: "automatic",
    minify: true,
    define: { "process.env.NODE_ENV": '"production"' },
    outfile: join(outdir, "app.js"),
    logLevel: "warning",
  });
  copyFileSync(join(here, "index.html"), join(outdir, "index.html"));
  const web = join(root, "wasm", "pkg", "web");
  copyFileSync(join(web, "warden_wasm_bg.wasm"), join(outdir, "warden_wasm_bg.wasm"));
  copyFileSync(join(web, "common-passwords.txt"), join(outdir, "common-passwords.txt"));
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`built ${await build(process.argv[2])}`);
}
