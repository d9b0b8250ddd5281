// Import reports decoded on first read. The wasm side validates the whole file and writes the
// report as JSON text (the bytes `JSON.parse` would read); `status` (a byte per row, what a
// caller reads at once) is a plain data property, and the rest (the bad rows with their
// violations and messages, the columns, the lookups) is decoded from that text the first time
// any of it is read, then left as plain data properties. The object has the keys, the key
// order and, once read, the property values of the eagerly decoded report: `JSON.stringify`,
// `Object.keys`, spreading and `assert.deepStrictEqual` see the same object. Before the first
// read the lazy keys are accessor properties (a getter and a setter each).
//
// Not used for one `validate` per record: measured in Node 20, an object literal with
// accessors (closures, a copy of the text) costs about 3× a `JSON.parse` of a 321-byte decision.
// Imported by `wasm/src/lib.rs` (`#[wasm_bindgen(module = "/js/lazy.js")]`).

const decoder = new TextDecoder();

/** Replaces every accessor of `obj` by the data property of the decoded `text`. */
function settle(obj, text) {
  const whole = JSON.parse(decoder.decode(text));
  for (const key of Object.keys(obj)) {
    // Every accessor becomes data (a key the text lacks, which the wasm side never writes,
    // would read as undefined rather than recurse).
    if (Object.getOwnPropertyDescriptor(obj, key).get !== undefined) {
      Object.defineProperty(obj, key, { value: whole[key], writable: true, enumerable: true, configurable: true });
    }
  }
}

/**
 * A `validateImport` result: `status` (a copy of the status bytes, one per row) now, the rest
 * from `text` (the report's JSON text without `status`) on first read. Keys in the order of
 * the text (sorted): `columns`, `lines` (when `records`), `lookups`, `policy`, `records`
 * (when `records`), `rows`, `status`, `summary`.
 */
export function lazyImport(status, records, text) {
  const keys = [
    "columns", ...(records ? ["lines"] : []), "lookups", "policy", ...(records ? ["records"] : []),
    "rows", "status", "summary",
  ];
  let bytes = text.slice();
  const obj = {};
  const read = () => {
    if (bytes !== null) {
      const b = bytes;
      bytes = null;
      settle(obj, b);
    }
  };
  for (const key of keys) {
    if (key === "status") {
      obj.status = status.slice();
      continue;
    }
    Object.defineProperty(obj, key, {
      get() { read(); return obj[key]; },
      set(v) { read(); obj[key] = v; },
      enumerable: true,
      configurable: true,
    });
  }
  return obj;
}
