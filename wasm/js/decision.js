// A validation decision built as a JS object from a compact form, instead of `JSON.parse` of
// its text: `Warden#validate` per record (measured in Node 20, `JSON.parse` of a valid
// record's 321-byte decision cost about 2.6× ajv's whole check of the record). The object is
// the one `JSON.parse` of the decision's JSON text gives, field for field and key for key,
// in the same key order (tests/node/api.test.mjs compares the two over every conformance
// vector). Nothing here decides anything: every value comes from the wasm side.
// Imported by `wasm/src/lib.rs` (`#[wasm_bindgen(module = "/js/decision.js")]`).

/**
 * A `ValidationDecisionResponse`.
 * - `names`: the policy's field names, sorted (kept by the `Warden`);
 * - `policy`: the policy's hash; `contract`: the contract version;
 * - `flags`: bit 0 `valid`, bit 1 `complete`;
 * - `values`: the text values of `normalized` not taken from `reader`, one after the other
 *   (`undefined` when there are none);
 * - `layoutAt`, `layoutLen`: where the layout is in wasm memory (read through `reader`'s
 *   view of it, no view made per call) and its length, two 32-bit numbers per entry of
 *   `normalized`, in key order: the field's index in `names`, then 0 (null), 1 (false),
 *   2 (true), 3 (the record's own value, from `reader`), or 4 + the length of its text in
 *   `values` (UTF-16 units);
 * - `rest`: `undefined` when `checks` and `violations` are empty and there is no `password`,
 *   else the JSON text of `[checks, violations, password or null]`;
 * - `reader`: the policy's `wasm/js/record.js` reader (which read the record when code 3
 *   is used).
 */
export function validationDecision(names, policy, contract, flags, values, layoutAt, layoutLen, rest, reader) {
  reader.views(reader);
  const layout = reader.u32;
  const base = layoutAt >>> 2;
  const normalized = {};
  let at = 0;
  for (let i = base; i + 1 < base + layoutLen; i += 2) {
    const code = layout[i + 1];
    let value;
    if (code >= 4) {
      const end = at + code - 4;
      value = values.substring(at, end);
      at = end;
    } else if (code === 3) {
      value = reader.values[layout[i]];
    } else {
      value = code === 0 ? null : code === 2;
    }
    normalized[names[layout[i]]] = value;
  }
  const valid = (flags & 1) !== 0;
  const complete = (flags & 2) !== 0;
  if (rest === undefined) {
    return { checks: [], complete, contract, normalized, policy, valid, violations: [] };
  }
  const [checks, violations, password] = JSON.parse(rest);
  if (password === null) {
    return { checks, complete, contract, normalized, policy, valid, violations };
  }
  return { checks, complete, contract, normalized, password, policy, valid, violations };
}
