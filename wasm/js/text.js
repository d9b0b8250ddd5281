// JSON text into wasm memory in one step. `JSON.stringify` of the argument, then
// `TextEncoder#encodeInto` straight into a buffer of wasm memory: wasm-bindgen's own string
// passing copies an ASCII string one `charCodeAt` at a time (measured in Node 20: about 8% of
// a `Warden#validate` call on a six-field record went there).
// Imported by `wasm/src/convert.rs` (`#[wasm_bindgen(module = "/js/text.js")]`).

const encoder = new TextEncoder();

/**
 * Writes `JSON.stringify(value)` as UTF-8 into `buf` (a view of wasm memory). Returns the
 * number of bytes written; -1 when the value has no JSON text (a function, a symbol); when
 * `buf` is too small, -2 minus the text's length in UTF-16 code units (the caller retries
 * with 3 bytes per unit, enough for any text). Throws what `JSON.stringify` throws (a cycle,
 * a BigInt).
 */
export function stringifyInto(value, buf) {
  const text = JSON.stringify(value);
  if (typeof text !== "string") return -1;
  const { read, written } = encoder.encodeInto(text, buf);
  return read === text.length ? written : -2 - text.length;
}
