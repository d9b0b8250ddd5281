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
 * `memory`, the module's `WebAssembly.Memory`, is seen through `u8` and `u32`, two views
 * of all of it made once and again only after it grew (see `views`): a view made per call
 * (what wasm-bindgen passes for a slice) cost about 170 ns of a 2.3 µs `validate` in Node 20.
 */
export function recordReader(names, memory) {
  const index = new Map();
  names.forEach((name, i) => index.set(name, i));
  const values = [];
  for (let i = 0; i < names.length; i++) values.push(undefined);
  const u8 = new Uint8Array(memory.buffer);
  const u32 = new Uint32Array(memory.buffer);
  // `views` travels with the reader for `wasm/js/decision.js`, which reads its layout there.
  return { index, values, memory, u8, u32, views };
}

/**
 * Makes `reader`'s views current: a memory that grew since they were made left them
 * detached (their length is then 0). Returns whether they were current already.
 */
export function views(reader) {
  if (reader.u8.length !== 0 && reader.u32.length !== 0) return true;
  reader.u8 = new Uint8Array(reader.memory.buffer);
  reader.u32 = new Uint32Array(reader.memory.buffer);
  return false;
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
 * Reads `input`, a `ValidateInput` of exactly `user` and `today`, into wasm memory: `bufLen`
 * bytes at `bufAt` (`buf` below) and `codesLen` 32-bit codes at `codesAt` (`codes`).
 * `codes[i]`, for the field of sorted index `i`: 0 absent, 1 null, 2 false, 3 true, 4 + n a
 * string of n UTF-8 bytes; the strings are in `buf` one after the other by index, then
 * `today`, whose length is `codes[names.length]`.
 *
 * Returns 0 when read; -1 when declined: an input of another shape (`mode`, `facts`, `mfa`,
 * `field`, a key the schema does not have, a value that is not null, a boolean or a string,
 * an object that is not plain, an inherited enumerable key of the input), a string that is
 * not well formed (a lone surrogate, which `JSON.stringify` escapes and the JSON reader
 * refuses), a getter that throws, wasm memory grown meanwhile (a getter's own `validate`),
 * anything thrown; or the number of bytes `buf` needs when it is too small. The keys read
 * are those `JSON.stringify` reads (own, enumerable, strings), `undefined` left out as it
 * leaves it out; a getter runs once, or again on the JSON path when declined after it. A
 * declined record leaves nothing behind: the bytes written are zeroed and the values read
 * dropped.
 */
export function readRecord(reader, input, bufAt, bufLen, codesAt, codesLen) {
  let status;
  try {
    status = read(reader, input, bufAt, bufLen, codesAt, codesLen);
  } catch {
    status = -1;
  }
  if (status !== 0) {
    forgetRecord(reader);
    views(reader);
    reader.u8.fill(0, bufAt, bufAt + Math.min(writtenAt, bufLen));
  }
  return status;
}

/** Drops the values of the record `reader` last read: on a declined read here, after its
 * decision from `wasm/src/lib.rs` (a password is among them). */
export function forgetRecord(reader) {
  // (A loop: `fill` cost about 25 ns more on these short arrays.)
  const values = reader.values;
  for (let i = 0; i < values.length; i++) values[i] = undefined;
}

// How many bytes of `buf` the read in progress wrote. A getter's own `validate` (the only
// call that can come in between) runs and ends before the outer read writes anything.
let writtenAt = 0;

function read(reader, input, bufAt, bufLen, codesAt, codesLen) {
  const { index, values } = reader;
  forgetRecord(reader);
  writtenAt = 0;
  views(reader);
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
  // Own enumerable string keys, as `JSON.stringify` reads them (`Object.keys` rather than
  // `for in`: about 20 ns less on an object of fast properties, 90 ns less on one whose
  // properties went to a dictionary, after a `delete`).
  const keys = Object.keys(user);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    const i = index.get(key);
    if (i === undefined) return -1;
    const v = user[key];
    if (typeof v === "string" || typeof v === "boolean" || v === null) values[i] = v;
    else if (v !== undefined) return -1;
  }
  // A getter above may have grown wasm memory (a `validate` of its own): then nothing is
  // written (the views made current here, no getter runs from now on).
  if (!views(reader) || codesLen !== values.length + 1) return -1;
  const u8 = reader.u8;
  const codes = reader.u32;
  const codesBase = codesAt >>> 2;
  const n = values.length;
  let at = 0;
  for (let i = 0; i <= n; i++) {
    const v = i < n ? values[i] : today;
    if (typeof v !== "string") {
      codes[codesBase + i] = v === undefined ? 0 : v === null ? 1 : v ? 3 : 2;
      continue;
    }
    // ASCII a code unit at a time (cheaper than `encodeInto` for short strings), the rest
    // of a string that is not through `encodeInto`.
    const start = at;
    const units = v.length;
    if (at + units > bufLen) return 3 * (at + units);
    let j = 0;
    for (; j < units; j++) {
      const c = v.charCodeAt(j);
      if (c > 0x7f) break;
      u8[bufAt + start + j] = c;
    }
    at = start + j;
    writtenAt = at;
    if (j < units) {
      if (typeof v.isWellFormed !== "function" || !v.isWellFormed()) return -1;
      const into = u8.subarray(bufAt + at, bufAt + bufLen);
      const { read, written: w } = encoder.encodeInto(v.slice(j), into);
      at += w;
      writtenAt = at;
      if (read !== units - j) return 3 * at + 3 * units;
    }
    codes[codesBase + i] = i < n ? 4 + at - start : at - start;
  }
  // (Nothing here calls back into wasm, unless a built-in was replaced by one that does:
  // then the writes went to a detached view, and the record is declined.)
  return views(reader) ? 0 : -1;
}
