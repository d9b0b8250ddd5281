package dev.warden;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import java.io.IOException;
import java.io.Reader;

/**
 * Writes a request as its generator would, refusing what JSON cannot carry as written: a number
 * that is NaN or infinite (Jackson would write the string {@code "NaN"}, and the verdict would be
 * about another value) and a string or key holding a lone surrogate (it has no UTF-8 form; Jackson
 * would write an escape the module refuses as a whole). The refusal, {@link Unencodable}, names the
 * value's path in the request ({@code input.user.firstName}, {@code input.user.tags[1]}), read from
 * the generator's own context, so that it holds for maps, lists, arrays, beans and {@code
 * JsonNode}s alike; it never holds the value.
 */
final class CheckedGenerator extends JsonGeneratorDelegate {
  static final String NON_FINITE =
      "the number is not finite (NaN and infinities have no JSON form)";
  static final String LONE_SURROGATE =
      "the string is not valid Unicode (it holds a lone surrogate)";
  static final String LONE_SURROGATE_KEY = "the key is not valid Unicode (a lone surrogate)";

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

  // Numbers.

  @Override
  public void writeNumber(double v) throws IOException {
    if (!Double.isFinite(v)) {
      throw new Unencodable(valuePath(), NON_FINITE);
    }
    super.writeNumber(v);
  }

  @Override
  public void writeNumber(float v) throws IOException {
    if (!Float.isFinite(v)) {
      throw new Unencodable(valuePath(), NON_FINITE);
    }
    super.writeNumber(v);
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
