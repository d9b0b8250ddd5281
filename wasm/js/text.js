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
 * text, not a second `JSON.stringify`). Throws what `JSON.stringify` throws (a cycle, a
 * BigInt).
 */
export function stringifyInto(value, buf, retry) {
  const text = retry && pending !== null ? pending : JSON.stringify(value);
  pending = null;
  if (typeof text !== "string") return -1;
  const { read, written } = encoder.encodeInto(text, buf);
  if (read === text.length) return written;
  pending = text;
  return -2 - text.length;
}
