package dev.warden;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** The subset-pattern rule of tests/README.md, as the native runner implements it. */
final class Matcher {
  private Matcher() {}

  /** One place where the actual value does not match the pattern. */
  record Mismatch(String path, String expected, String actual) {}

  static String compact(JsonNode v) {
    String s = v.toString();
    return s.codePointCount(0, s.length()) > 400
        ? s.substring(0, s.offsetByCodePoints(0, 400)) + "..."
        : s;
  }

  static List<Mismatch> mismatches(JsonNode expected, JsonNode actual) {
    List<Mismatch> out = new ArrayList<>();
    match(expected, actual, "$", out);
    return out;
  }

  /**
   * Objects: every pattern key present and matching, extra keys allowed. Arrays: same length,
   * element-wise. Scalars: the same JSON type and value; numbers by value (1 matches 1.0).
   */
  static void match(JsonNode expected, JsonNode actual, String path, List<Mismatch> out) {
    if (expected.isObject() && actual.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = expected.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        String here = path + "." + e.getKey();
        JsonNode value = actual.get(e.getKey());
        if (value == null) {
          out.add(new Mismatch(here, compact(e.getValue()), "(missing key)"));
        } else {
          match(e.getValue(), value, here, out);
        }
      }
    } else if (expected.isArray() && actual.isArray()) {
      if (expected.size() != actual.size()) {
        out.add(
            new Mismatch(
                path,
                "an array of " + expected.size() + " elements: " + compact(expected),
                "an array of " + actual.size() + " elements: " + compact(actual)));
        return;
      }
      for (int i = 0; i < expected.size(); i++) {
        match(expected.get(i), actual.get(i), path + "[" + i + "]", out);
      }
    } else if (expected.isNumber() && actual.isNumber()) {
      if (expected.decimalValue().compareTo(actual.decimalValue()) != 0) {
        out.add(new Mismatch(path, compact(expected), compact(actual)));
      }
    } else if (expected.getNodeType() != actual.getNodeType() || !expected.equals(actual)) {
      out.add(new Mismatch(path, compact(expected), compact(actual)));
    }
  }
}
