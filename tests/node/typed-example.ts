// A typed use of the Node package, checked by `tsc --noEmit` (npm run typecheck).
import { readFileSync } from "node:fs";
import { Warden, Blocklist, presets, type ValidationDecisionResponse, type ImportResult, type TransitionDecisionResponse, type WardenError } from "../../wasm/pkg/node/warden_wasm.js";

const list = new Blocklist(readFileSync("wasm/pkg/node/common-passwords.txt", "utf8"));
const names: string[] = presets().map((p) => p.name);
const warden: Warden = Warden.fromPreset(names[0] ?? "000").withBlocklist(list);
const d: ValidationDecisionResponse = warden.validate({ user: { email: "ada@acme.example" }, today: "2026-11-22" }, "fr");
const errors: string[] = d.violations.filter((v) => v.severity === "error").map((v) => `${v.path.join(".")}: ${v.message}`);
const score: number | undefined = d.password?.score;
const r: ImportResult = warden.validateImport(new TextEncoder().encode("email\nx\n"), { today: "2026-11-22" });
const invalid: number = r.status.filter((s) => s === 2).length;
const t: TransitionDecisionResponse = warden.transition({ actor: { id: "a", superAdmin: true }, target: { id: "b" }, to: "inactive", now: "2026-11-22T10:00:00Z" });
const obligations: string[] = t.obligations.map((o) => o.kind);
try {
  Warden.fromPreset("nope");
} catch (e) {
  const err = e as WardenError;
  console.log(err.code, err.path, err.message, err.contract);
}
const version: 1 = d.contract;
console.log(errors, score, invalid, obligations, warden.needsBlocklist, version);

// The Standard Schema adapter, typed (its declarations are structurally @standard-schema/spec's).
import { wardenSchema, type WardenIssue, type WardenResult } from "../../wasm/pkg/standard-schema.mjs";
import type { StandardSchemaV1 } from "@standard-schema/spec";
const schema = wardenSchema(warden, { lang: "de", today: () => "2026-11-22", checks: async (checks, { signal }) => (signal.aborted ? {} : { unique: Object.fromEntries(checks.map((c) => [c.check, { key: c.key, taken: false }])) }) });
const asSpec: StandardSchemaV1<Record<string, unknown>> = schema;
const fieldSpec: StandardSchemaV1 = schema.field("email", () => ({ firstName: "Ada" }), { ask: false });
const out: WardenResult | Promise<WardenResult> = schema.validateField("email", { email: "x" });
const first: WardenIssue | undefined = schema.sync["~standard"].validate({}).issues?.[0];
console.log(asSpec["~standard"].vendor, fieldSpec["~standard"].version, out, first?.code, first?.params, warden.passwordRules);
