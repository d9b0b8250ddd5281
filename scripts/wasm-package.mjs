// Prints the package.json of the one `warden-wasm` npm package (wasm/pkg): the browser and
// Node builds behind `exports` conditions. Called by scripts/build-wasm.sh with the version.
//
//   import { Warden } from "warden-wasm";      // Node: the speed build, ready on load
//   import init, { Warden } from "warden-wasm"; // bundlers/browsers (`browser`): await init()
//   require("warden-wasm")                      // Node, CommonJS
//   "warden-wasm/web", "warden-wasm/node"       // a flavour by name
//   "warden-wasm/common-passwords.txt"          // the common-password list (an asset)
//   "warden-wasm/standard-schema"               // the Standard Schema v1 adapter (ES module)
//   import init, { installPresets, Warden } from "warden-wasm/forms"; // the forms build
//   "warden-wasm/forms/presets.json"            // the presets, an asset of the forms build
//   "warden-wasm/forms/unicode-tables.txt"      // its Unicode tables, for non-ASCII input
const version = process.argv[2];
if (!version) {
  console.error("usage: node scripts/wasm-package.mjs <version>");
  process.exit(2);
}
const web = { types: "./web/warden_wasm.d.ts", default: "./web/warden_wasm.js" };
const node = { types: "./node/warden_wasm.d.ts", default: "./node/warden_wasm.js" };
const forms = { types: "./forms/warden_wasm_forms.d.ts", default: "./forms/warden_wasm_forms.js" };
const pkg = {
  name: "warden-wasm",
  version,
  description: "Warden's policy kernel for user management, for browsers and Node (WebAssembly)",
  license: "MIT OR Apache-2.0",
  // No top-level "type": each flavour's folder declares its own module system.
  main: "./node/warden_wasm.js",
  types: "./node/warden_wasm.d.ts",
  browser: "./web/warden_wasm.js",
  exports: {
    ".": { browser: web, node, default: web },
    "./web": web,
    "./node": node,
    "./forms": forms,
    "./forms/presets.json": "./forms/presets.json",
    "./forms/unicode-tables.txt": "./forms/unicode-tables.txt",
    "./common-passwords.txt": "./node/common-passwords.txt",
    // The Standard Schema v1 adapter (an ES module over either flavour's `Warden`).
    "./standard-schema": { types: "./standard-schema.d.mts", default: "./standard-schema.mjs" },
    "./package.json": "./package.json",
  },
  files: ["web/", "node/", "forms/", "standard-schema.mjs", "standard-schema.d.mts"],
  sideEffects: false,
  engines: { node: ">=20" },
};
process.stdout.write(JSON.stringify(pkg, null, 2) + "\n");
