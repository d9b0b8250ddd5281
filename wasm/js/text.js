// JSON text into wasm memory in one step. `JSON.stringify` of the argument, then
// `TextEncoder#encodeInto` straight into a buffer of wasm memory: wasm-bindgen's own string
// passing copies an ASCII string one `charCodeAt` at a time (measured in Node 20: about 8% of
// a `Warden#validate` call on a six-field record went there).
// Imported by `wasm/src/convert.rs` (`#[wasm_bindgen(module = "/js/text.js")]`).

const encoder = new TextEncoder();

// The text of a first call whose buffer was too small, for its retry: the value is
// stringified once (its `toJSON` methods and getters run once), and a retry writes exactly
// the text whose length it was sized for. Cleared by every first call.
let pending = null;

/**
 * Writes `JSON.stringify(value)` as UTF-8 into `buf` (a view of wasm memory). Returns the
 * number of bytes written; -1 when the value has no JSON text (a function, a symbol); when
 * `buf` is too small, -2 minus the text's length in UTF-16 code units (the caller retries,
 * with `retry` true and 3 bytes per unit, enough for any text; the retry writes the same
 * text, not a second `JSON.stringify`). Throws what `finiteStringify` throws (a cycle, a
 * BigInt, a number that is not finite).
 */
export function stringifyInto(value, buf, retry) {
  const text = retry && pending !== null ? pending : finiteStringify(value);
  pending = null;
  if (typeof text !== "string") return -1;
  const { read, written } = encoder.encodeInto(text, buf);
  if (read === text.length) return written;
  pending = text;
  return -2 - text.length;
}

/**
 * `JSON.stringify(value)`, except that a number JSON has no text for (NaN, Infinity,
 * -Infinity, boxed or not), which `JSON.stringify` writes as `null` (a setting or a field
 * then silently absent), throws an `Error` named `NonFinite` whose `path` says where
 * (`fields.a.maxLength`, `items[2].n`; empty for the value itself).
 */
export function finiteStringify(value) {
  const text = JSON.stringify(value);
  // `JSON.stringify` writes such a number as `null`: a text without one has none, and is
  // the answer (a replacer makes a call about twice as slow). Else the value is written
  // again, by a replacer that finds it (getters and `toJSON` methods then run twice, as
  // they do when the field-by-field reader declines a record).
  if (typeof text !== "string" || !text.includes("null")) return text;
  checked(value);
  return text;
}

/** Throws `NonFinite` at the first number of `value` that is not finite. */
function checked(value) {
  const paths = new WeakMap();
  JSON.stringify(value, function (key, v) {
    const n = typeof v === "number" ? v : v instanceof Number ? Number(v) : undefined;
    if (n !== undefined) {
      if (!Number.isFinite(n)) {
        const e = new Error("not a finite number");
        e.name = "NonFinite";
        e.path = pathOf(paths.get(this), key, Array.isArray(this));
        throw e;
      }
    } else if (v !== null && typeof v === "object") {
      paths.set(v, pathOf(paths.get(this), key, Array.isArray(this)));
    }
    return v;
  });
}

/** The path of `key` in an object (or array, `index`) at `parent`. */
function pathOf(parent, key, index) {
  if (index) return `${parent ?? ""}[${key}]`;
  if (parent === undefined || parent === "") return key;
  return `${parent}.${key}`;
}
