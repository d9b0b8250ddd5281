package dev.warden;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;

/**
 * Writes a request as its generator would, refusing what JSON cannot carry as written: a number
 * that is NaN or infinite (Jackson would write the string {@code "NaN"}, and the verdict would be
 * about another value) and a string or key holding a lone surrogate (it has no UTF-8 form; Jackson
 * would write an escape the module refuses as a whole). The refusal, {@link Unencodable}, names the
 * value's path in the request ({@code input.user.firstName}, {@code input.user.tags[1]}), read from
 * the generator's own context, so that it holds for maps, lists, arrays, beans and {@code
 * JsonNode}s alike; it never holds the value. A {@code byte[]} (Jackson's base64 text) is refused
 * the same way, and so are a {@code char[]} and a null map key through the serializers {@link
 * WardenRuntime} registers. A {@code double} or {@code float} holding a whole number ({@code 7.0})
 * is written as that integer ({@code 7}), as the Go SDK's encoding/json writes it.
 */
final class CheckedGenerator extends JsonGeneratorDelegate {
  static final String NON_FINITE =
      "the number is not finite (NaN and infinities have no JSON form)";
  static final String LONE_SURROGATE =
      "the string is not valid Unicode (it holds a lone surrogate)";
  static final String LONE_SURROGATE_KEY = "the key is not valid Unicode (a lone surrogate)";
  static final String BYTES =
      "a byte array is not JSON (Jackson would send it as base64 text): pass a String";
  static final String CHARS = "a char array is not JSON: pass a String";
  static final String NULL_KEY =
      "a null key cannot be a JSON key (it would be sent as the key \"null\")";

  /**
   * A double holding a whole number below this magnitude is written as that integer ({@code 7.0} as
   * {@code 7}), as Go's encoding/json writes it: the module reads {@code 7.0} as a float and
   * refuses it where it expects a count.
   */
  static final double WHOLE_LIMIT = 1e21;

  /** What JSON cannot carry, at its path; its message is the reason only, never the value. */
  static final class Unencodable extends IOException {
    private static final long serialVersionUID = 1L;

    final String path;
    final String reason;

    Unencodable(String path, String reason) {
      super(reason);
      this.path = path;
      this.reason = reason;
    }
  }

  CheckedGenerator(JsonGenerator delegate) {
    // false: writeObject and writeTree serialise through this generator, not the delegate.
    super(delegate, false);
  }

  // Strings.

  @Override
  public void writeString(String text) throws IOException {
    if (text != null && hasLoneSurrogate(text, 0, text.length())) {
      throw new Unencodable(valuePath(), LONE_SURROGATE);
    }
    super.writeString(text);
  }

  @Override
  public void writeString(char[] text, int offset, int len) throws IOException {
    if (text != null && hasLoneSurrogate(new String(text, offset, len), 0, len)) {
      throw new Unencodable(valuePath(), LONE_SURROGATE);
    }
    super.writeString(text, offset, len);
  }

  @Override
  public void writeString(SerializableString text) throws IOException {
    if (text != null) {
      String value = text.getValue();
      if (hasLoneSurrogate(value, 0, value.length())) {
        throw new Unencodable(valuePath(), LONE_SURROGATE);
      }
    }
    super.writeString(text);
  }

  @Override
  public void writeString(Reader reader, int len) throws IOException {
    StringBuilder text = new StringBuilder();
    char[] chunk = new char[8192];
    int left = len < 0 ? Integer.MAX_VALUE : len;
    while (left > 0) {
      int n = reader.read(chunk, 0, Math.min(chunk.length, left));
      if (n < 0) {
        break;
      }
      text.append(chunk, 0, n);
      left -= n;
    }
    writeString(text.toString());
  }

  @Override
  public void writeArray(String[] array, int offset, int length) throws IOException {
    writeStartArray(array, length);
    for (int i = offset; i < offset + length; i++) {
      writeString(array[i]);
    }
    writeEndArray();
  }

  // Keys.

  @Override
  public void writeFieldName(String name) throws IOException {
    if (name != null && hasLoneSurrogate(name, 0, name.length())) {
      throw new Unencodable(child(containerPath(getOutputContext()), name), LONE_SURROGATE_KEY);
    }
    super.writeFieldName(name);
  }

  @Override
  public void writeFieldName(SerializableString name) throws IOException {
    String value = name.getValue();
    if (hasLoneSurrogate(value, 0, value.length())) {
      throw new Unencodable(child(containerPath(getOutputContext()), value), LONE_SURROGATE_KEY);
    }
    super.writeFieldName(name);
  }

  // Bytes: Jackson writes a byte[] (or a ByteBuffer, a BinaryNode) as base64 text, which the
  // module would take for the value (a password given as bytes judged on its base64 form).

  @Override
  public void writeBinary(Base64Variant variant, byte[] data, int offset, int len)
      throws IOException {
    throw new Unencodable(valuePath(), BYTES);
  }

  @Override
  public int writeBinary(Base64Variant variant, InputStream data, int dataLength)
      throws IOException {
    throw new Unencodable(valuePath(), BYTES);
  }

  /**
   * Refuses the value about to be written through {@code g} (a serializer's refusal: a {@code
   * char[]}, a null key), at its path.
   */
  static Unencodable refusal(JsonGenerator g, String reason) {
    return g instanceof CheckedGenerator c
        ? new Unencodable(c.valuePath(), reason)
        : new Unencodable("", reason);
  }

  /** Refuses a null map key at the path of its map (the key has no path of its own). */
  static Unencodable nullKey(JsonGenerator g) {
    return new Unencodable(containerPath(g.getOutputContext()), NULL_KEY);
  }

  // Numbers. A whole double or float is written as an integer (WHOLE_LIMIT); -0.0 stays a float.

  @Override
  public void writeNumber(double v) throws IOException {
    if (!Double.isFinite(v)) {
      throw new Unencodable(valuePath(), NON_FINITE);
    }
    if (isWhole(v)) {
      writeWhole(v, Double.toString(v));
      return;
    }
    super.writeNumber(v);
  }

  @Override
  public void writeNumber(float v) throws IOException {
    if (!Float.isFinite(v)) {
      throw new Unencodable(valuePath(), NON_FINITE);
    }
    if (isWhole(v)) {
      writeWhole(v, Float.toString(v));
      return;
    }
    super.writeNumber(v);
  }

  private static boolean isWhole(double v) {
    return v == Math.rint(v)
        && Math.abs(v) < WHOLE_LIMIT
        && !(v == 0 && Double.doubleToRawLongBits(v) != 0);
  }

  /** A whole number as the integer of its shortest decimal form, as Go writes it. */
  private void writeWhole(double v, String shortest) throws IOException {
    if (Math.abs(v) < 0x1p53) {
      super.writeNumber((long) v);
    } else {
      super.writeNumber(new BigDecimal(shortest).toBigInteger());
    }
  }

  @Override
  public void writeNumber(String encodedValue) throws IOException {
    // The words Double.toString gives a non-finite number: not JSON numbers.
    if (encodedValue != null && encodedValue.matches("[+-]?(NaN|Infinity)")) {
      throw new Unencodable(valuePath(), NON_FINITE);
    }
    super.writeNumber(encodedValue);
  }

  @Override
  public void writeArray(double[] array, int offset, int length) throws IOException {
    writeStartArray(array, length);
    for (int i = offset; i < offset + length; i++) {
      writeNumber(array[i]);
    }
    writeEndArray();
  }

  // Paths, as the other SDKs write them: keys joined by ".", indexes in brackets.

  /** The path of the value about to be written in the current context. */
  private String valuePath() {
    JsonStreamContext ctx = getOutputContext();
    if (ctx.inObject()) {
      return child(containerPath(ctx), ctx.getCurrentName());
    }
    if (ctx.inArray()) {
      return containerPath(ctx) + "[" + ctx.getEntryCount() + "]";
    }
    return "";
  }

  /** The path of the object or array {@code ctx} writes. */
  private static String containerPath(JsonStreamContext ctx) {
    JsonStreamContext parent = ctx.getParent();
    if (parent == null || parent.inRoot()) {
      return "";
    }
    String above = containerPath(parent);
    if (parent.inObject()) {
      return child(above, parent.getCurrentName());
    }
    return above + "[" + parent.getCurrentIndex() + "]";
  }

  private static String child(String path, String key) {
    String text = escapeLoneSurrogates(key == null ? "" : key);
    return path.isEmpty() ? text : path + "." + text;
  }

  /** A key for a path: its lone surrogates written {@code \ud800}, as Python's SDK writes them. */
  private static String escapeLoneSurrogates(String key) {
    if (!hasLoneSurrogate(key, 0, key.length())) {
      return key;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < key.length()
          && Character.isLowSurrogate(key.charAt(i + 1))) {
        out.append(c).append(key.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  static boolean hasLoneSurrogate(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
