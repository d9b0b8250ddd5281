// A worked example: React Hook Form validating with Warden through Standard Schema.
// Bundled by examples/forms/build.mjs (esbuild) with the web build of warden-wasm.
import { useEffect, useMemo, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import { useForm } from "react-hook-form";
import { standardSchemaResolver } from "@hookform/resolvers/standard-schema";
import init, { Warden, Blocklist } from "../../wasm/pkg/web/warden_wasm.js";
import { wardenSchema } from "../../wasm/js/standard-schema.mjs";

const PRESET = "production-planner-pro";
const FIELDS = ["firstName", "lastName", "email", "phone", "password", "organization"];

/** The page's stand-in for its server: taken addresses and known organisations, after 120 ms. */
const TAKEN = ["taken@acme.example"];
const ORGS = ["acme", "globex"];
export function askServer(checks, { signal }) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      const facts = { unique: {}, exists: {} };
      for (const c of checks) {
        if (c.kind === "unique") facts.unique[c.check] = TAKEN.includes(c.key) ? { key: c.key, taken: true, existingId: "u-7", existingStatus: "active" } : { key: c.key, taken: false };
        else facts.exists[c.check] = ORGS.includes(c.key);
      }
      resolve(facts);
    }, 120);
    signal.addEventListener("abort", () => { clearTimeout(t); reject(new DOMException("superseded", "AbortError")); });
  });
}

const REACT_PROPS = { maxlength: "maxLength", minlength: "minLength", autocomplete: "autoComplete", inputmode: "inputMode" };

function App({ warden }) {
  const [lang, setLang] = useState("en");
  const langRef = useRef(lang);
  langRef.current = lang;
  const schema = useMemo(() => wardenSchema(warden, { lang: () => langRef.current, checks: askServer }), [warden]);
  const attrs = useMemo(() => warden.htmlAttributes(lang), [warden, lang]);
  const [saved, setSaved] = useState(null);
  const { register, handleSubmit, trigger, formState: { errors, isValidating } } = useForm({
    resolver: standardSchemaResolver(schema),
    mode: "onChange",
    defaultValues: Object.fromEntries(FIELDS.map((f) => [f, ""])),
  });
  // A new language: the messages shown are rendered again, in it.
  const mounted = useRef(false);
  useEffect(() => {
    if (mounted.current) trigger();
    mounted.current = true;
  }, [lang, trigger]);
  return (
    <form noValidate onSubmit={handleSubmit((value) => setSaved(value))}>
      <div className="bar">
        <label htmlFor="lang" style={{ margin: 0 }}>Language</label>
        <select id="lang" value={lang} onChange={(e) => setLang(e.target.value)}>
          {["en", "fr", "de", "es"].map((l) => <option key={l} value={l}>{l}</option>)}
        </select>
      </div>
      {FIELDS.map((name) => {
        const a = attrs[name];
        // The policy's attributes, under React's prop names.
        const html = Object.fromEntries(Object.entries(a.attributes).filter(([k]) => k !== "name").map(([k, v]) => [REACT_PROPS[k] ?? k, v]));
        return (
          <div key={name} className="field" data-field={name}>
            <label htmlFor={`f-${name}`}>{a.label ?? name}</label>
            <input id={`f-${name}`} {...html} aria-invalid={errors[name] ? "true" : "false"} {...register(name)} />
            {errors[name] && <p className="error" id={`e-${name}`}>{errors[name].message}</p>}
          </div>
        );
      })}
      {isValidating && <p className="pending">checking…</p>}
      <button type="submit" id="submit">Create</button>
      {saved && <pre id="saved">{JSON.stringify({ ...saved, password: "•••" }, null, 2)}</pre>}
    </form>
  );
}

/**
 * Time per call of `fn`, in microseconds: batches of 100 calls timed as a whole (a browser's
 * `performance.now()` is coarsened to 0.1 ms or so, too coarse for one call), after a
 * warm-up; the median and the fastest batch.
 */
function perCall(fn, n) {
  for (let i = 0; i < 100; i++) fn(i);
  const batch = 100;
  const means = [];
  for (let b = 0; b < Math.max(1, Math.floor(n / batch)); b++) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn(b * batch + i);
    means.push(((performance.now() - t) * 1000) / batch);
  }
  means.sort((a, c) => a - c);
  const round = (x) => Math.round(x * 10) / 10;
  return { medianMicros: round(means[means.length >> 1]), minMicros: round(means[0]), calls: means.length * batch };
}

async function main() {
  await init({ module_or_path: new URL("./warden_wasm_bg.wasm", import.meta.url) });
  let warden = Warden.fromPreset(PRESET);
  if (warden.needsBlocklist) warden = warden.withBlocklist(new Blocklist(await (await fetch("./common-passwords.txt")).text()));
  // The per-call cost of validation in this browser, for the report (not an assertion).
  window.wardenBench = (n = 2000) => {
    const s = wardenSchema(warden, { today: "2026-11-22" });
    const record = { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example", phone: "+33 6 12 34 56 78", password: "Violet-Kettle-42!x", organization: "acme" };
    const email = (i) => s.validateField("email", { ...record, email: `ada${i}@acme.example` });
    return {
      fieldEmail: perCall(email, n),
      fieldFirstName: perCall((i) => s.validateField("firstName", { ...record, firstName: `Ada${i}` }), n),
      fieldPassword: perCall((i) => s.validateField("password", { ...record, password: `Violet-Kettle-${i}!x` }), n),
      record: perCall((i) => s.validate({ ...record, email: `ada${i}@acme.example` }), n),
      recordWithLookupCached: perCall(() => s.validate(record), n),
    };
  };
  createRoot(document.getElementById("root")).render(<App warden={warden} />);
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  document.getElementById("root").textContent = `failed: ${e}`;
  throw e;
});
