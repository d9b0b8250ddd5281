// Generates the TypeScript declarations of the contract (wasm/src/contract.d.ts) from its
// JSON Schema (contract/schema.json, itself generated from the Rust types). `--check` fails
// when the committed file differs (CI's drift check).
import { readFileSync, writeFileSync } from "node:fs";
import { compile } from "json-schema-to-typescript";

// json-schema-to-typescript reads draft-07 `definitions`: the same schema, renamed.
const text = readFileSync("contract/schema.json", "utf8").replaceAll("#/$defs/", "#/definitions/");
const schema = JSON.parse(text);
// Every type under `definitions` becomes an exported declaration.
const root = {
  title: "WardenContract",
  description: schema.description,
  type: "object",
  properties: { request: { $ref: "#/definitions/Request" } },
  additionalProperties: false,
  definitions: schema.$defs,
};
const ts = await compile(root, "WardenContract", {
  bannerComment:
    "/* Generated from contract/schema.json by scripts/gen-types.mjs: do not edit. */",
  unreachableDefinitions: true,
  additionalProperties: false,
  strictIndexSignatures: false,
  format: true,
});
const out = "wasm/src/contract.d.ts";
if (process.argv.includes("--check")) {
  const committed = readFileSync(out, "utf8");
  if (committed !== ts) {
    console.error(`${out} is out of date with contract/schema.json: run \`npm run types\` and commit it`);
    process.exit(1);
  }
  console.log(`${out} matches contract/schema.json`);
} else {
  writeFileSync(out, ts);
  console.log(`wrote ${out}`);
}
