// A `validate` input read field by field into wasm memory, instead of `JSON.stringify` of the
// whole input and a JSON reader on the wasm side (measured in Node 20 on a six-field record:
// `JSON.stringify` alone cost about 1.9× ajv's whole check; a call went from 4.0 to 2.1 µs).
// Nothing here decides anything: it copies values, and declines whatever is not the common
// shape (the JSON path then answers, with its own errors). Imported by `wasm/src/lib.rs`
// (`#[wasm_bindgen(module = "/js/record.js")]`).

const encoder = new TextEncoder();

/**
 * The reader of one policy's records: `names`, the schema's field names sorted, by name,
 * and `values`, the record being decided, by the same index (`validationDecision` takes a
 * stored value that is the record's own from there; `forgetRecord` drops them after).
 */
export function recordReader(names) {
  const index = new Map();
  names.forEach((name, i) => index.set(name, i));
  return { index, values: new Array(names.length) };
}

/**
 * A plain object, as `JSON.stringify` writes an object of its own keys: made by a literal,
 * `JSON.parse` or `Object.create(null)`. Not an array, a boxed primitive or any other
 * object with an internal kind of its own (the tag of `Object.prototype.toString`), and
 * without a `toJSON` method, own or inherited, enumerable or not (`JSON.stringify` would
 * write what it returns).
 */
function plain(o) {
  if (o === null || typeof o !== "object") return false;
  const proto = Object.getPrototypeOf(o);
  return (
    (proto === Object.prototype || proto === null) &&
    typeof o.toJSON !== "function" &&
    objectTag.call(o) === "[object Object]"
  );
}

const objectTag = Object.prototype.toString;

/**
 * Reads `input`, a `ValidateInput` of exactly `user` and `today`, into `buf` and `codes`
 * (views of wasm memory). `codes[i]`, for the field of sorted index `i`: 0 absent, 1 null,
 * 2 false, 3 true, 4 + n a string of n UTF-8 bytes; the strings are in `buf` one after the
 * other by index, then `today`, whose length is `codes[names.length]`.
 *
 * Returns 0 when read; -1 when declined: an input of another shape (`mode`, `facts`, `mfa`,
 * `field`, a key the schema does not have, a value that is not null, a boolean or a string,
 * an object that is not plain, an inherited enumerable key), a string that is not well
 * formed (a lone surrogate, which `JSON.stringify` escapes and the JSON reader refuses), a
 * getter that throws, wasm memory grown meanwhile (a getter's own `validate`: the views are
 * then detached), anything thrown; or the number of bytes `buf` needs when it is too small.
 * The keys read are those `JSON.stringify` reads (own, enumerable, strings), `undefined`
 * left out as it leaves it out; a getter runs once, or again on the JSON path when declined
 * after it. A declined record leaves nothing behind: the bytes written are zeroed and the
 * values read dropped.
 */
export function readRecord(reader, input, buf, codes) {
  let status;
  try {
    status = read(reader, input, buf, codes);
  } catch {
    status = -1;
  }
  if (status !== 0) {
    forgetRecord(reader);
    // (A detached view, after memory grew, has no bytes to zero, and `fill` would throw.)
    if (buf.length !== 0) buf.fill(0, 0, Math.min(writtenAt, buf.length));
  }
  return status;
}

/** Drops the values of the record `reader` last read: on a declined read here, after its
 * decision from `wasm/src/lib.rs` (a password is among them). */
export function forgetRecord(reader) {
  reader.values.fill(undefined);
}

// How many bytes of `buf` the read in progress wrote. A getter's own `validate` (the only
// call that can come in between) runs and ends before the outer read writes anything.
let writtenAt = 0;

function read(reader, input, buf, codes) {
  const { index, values } = reader;
  values.fill(undefined);
  writtenAt = 0;
  if (!plain(input)) return -1;
  let user;
  let today;
  for (const key in input) {
    if (!Object.hasOwn(input, key)) return -1;
    if (key === "user") user = input.user;
    else if (key === "today") today = input.today;
    else return -1;
  }
  if (typeof today !== "string" || !plain(user)) return -1;
  for (const key in user) {
    const i = index.get(key);
    if (i === undefined || !Object.hasOwn(user, key)) return -1;
    const v = user[key];
    if (typeof v === "string" || typeof v === "boolean" || v === null) values[i] = v;
    else if (v !== undefined) return -1;
  }
  // A getter above may have grown wasm memory (a `validate` of its own): then the views
  // are detached, and nothing is written.
  if (buf.length === 0 || codes.length === 0) return -1;
  const n = values.length;
  let at = 0;
  for (let i = 0; i <= n; i++) {
    const v = i < n ? values[i] : today;
    if (typeof v !== "string") {
      codes[i] = v === undefined ? 0 : v === null ? 1 : v ? 3 : 2;
      continue;
    }
    // ASCII a code unit at a time (cheaper than `encodeInto` for short strings), the rest
    // of a string that is not through `encodeInto`.
    const start = at;
    const units = v.length;
    let j = 0;
    if (at + units > buf.length) return 3 * (at + units);
    for (; j < units; j++) {
      const c = v.charCodeAt(j);
      if (c > 0x7f) break;
      buf[at++] = c;
    }
    writtenAt = at;
    if (j < units) {
      if (typeof v.isWellFormed !== "function" || !v.isWellFormed()) return -1;
      const { read, written: w } = encoder.encodeInto(v.slice(j), buf.subarray(at));
      at += w;
      writtenAt = at;
      if (read !== units - j) return 3 * at + 3 * units;
    }
    codes[i] = i < n ? 4 + at - start : at - start;
  }
  return buf.length === 0 || codes.length === 0 ? -1 : 0;
}
