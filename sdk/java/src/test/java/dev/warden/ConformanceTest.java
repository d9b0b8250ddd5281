package dev.warden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every conformance vector of tests/vectors through the module: one-shot (the request as written)
 * and, when it names exactly one of preset/policy, against a policy loaded once (a load error is
 * then the outcome). Outcomes are matched with {@link Matcher}.
 */
class ConformanceTest {
  private static final int MIN_CASES = 140;
  private static final Pattern RULE_ID = Pattern.compile("^R\\d{3}-\\d{2}$");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static WardenRuntime runtime;

  @BeforeAll
  static void start() {
    runtime = Shared.runtime();
  }

  record Case(String file, JsonNode body) {}

  static Path vectorDir() {
    String env = System.getenv("WARDEN_VECTORS");
    return env != null ? Path.of(env) : Path.of("..", "..", "tests", "vectors");
  }

  /** The number of cases each vector file declares, read independently of {@link #cases()}. */
  static Map<String, Integer> declaredCases() throws IOException {
    Map<String, Integer> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(vectorDir())) {
      for (Path f : s.filter(p -> p.toString().endsWith(".json")).toList()) {
        out.put(f.getFileName().toString(), JSON.readTree(f.toFile()).path("cases").size());
      }
    }
    return out;
  }

  /**
   * A vector file listed in sdk/vector-files.txt (shared by the three SDKs) but missing, one not
   * listed, one without cases, and a rule of tests/rules.txt no case proves any more: so that
   * vectors cannot disappear silently.
   */
  static List<String> vectorFileProblems(Map<String, Integer> declared, List<Case> cases)
      throws IOException {
    List<String> out = new ArrayList<>();
    Set<String> listed = new HashSet<>();
    for (String line : Files.readAllLines(Path.of("..", "vector-files.txt"))) {
      String f = line.strip();
      if (!f.isEmpty() && !f.startsWith("#")) {
        listed.add(f);
        if (!declared.containsKey(f)) {
          out.add(f + ": listed in sdk/vector-files.txt but missing");
        }
      }
    }
    for (Map.Entry<String, Integer> e : new TreeMap<>(declared).entrySet()) {
      if (!listed.contains(e.getKey())) {
        out.add(e.getKey() + ": not listed in sdk/vector-files.txt");
      }
      if (e.getValue() == 0) {
        out.add(e.getKey() + ": holds no case");
      }
    }
    Set<String> proved = new HashSet<>();
    for (Case c : cases) {
      c.body().path("rules").forEach(r -> proved.add(r.asText()));
    }
    for (String r :
        Files.readString(vectorDir().resolve("..").resolve("rules.txt")).split("\\s+")) {
      if (!r.isEmpty() && !proved.contains(r)) {
        out.add("rule " + r + " of tests/rules.txt is proved by no case");
      }
    }
    return out;
  }

  @Test
  void noVectorFileOrRuleIsLost() throws IOException {
    assertEquals(List.of(), vectorFileProblems(declaredCases(), cases()));
  }

  @Test
  void aLostVectorFileOrRuleIsReported() throws IOException {
    Map<String, Integer> declared = declaredCases();
    List<Case> cases = cases();
    assertTrue(declared.containsKey("errors.json"));
    Map<String, Integer> lost = new TreeMap<>(declared);
    lost.remove("errors.json");
    assertEquals(
        List.of("errors.json: listed in sdk/vector-files.txt but missing"),
        vectorFileProblems(lost, cases));
    Map<String, Integer> added = new TreeMap<>(declared);
    added.put("zz-new.json", 0);
    assertEquals(
        List.of("zz-new.json: not listed in sdk/vector-files.txt", "zz-new.json: holds no case"),
        vectorFileProblems(added, cases));
    List<Case> some =
        cases.stream().filter(c -> !c.body().path("rules").toString().contains("R000-01")).toList();
    assertEquals(
        List.of("rule R000-01 of tests/rules.txt is proved by no case"),
        vectorFileProblems(declared, some));
  }

  static List<Case> cases() throws IOException {
    Path dir = vectorDir();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no vector file in " + dir);
    List<Case> out = new ArrayList<>();
    for (Path f : files) {
      JsonNode doc = JSON.readTree(f.toFile());
      assertTrue(doc.path("description").isTextual(), f + ": no description");
      for (JsonNode c : doc.path("cases")) {
        out.add(new Case(f.getFileName().toString(), c));
      }
    }
    return out;
  }

  static List<String> shapeProblems(JsonNode c) {
    List<String> out = new ArrayList<>();
    if (!c.isObject()) {
      return List.of("a case must be an object");
    }
    Iterator<String> keys = c.fieldNames();
    while (keys.hasNext()) {
      String k = keys.next();
      if (!Set.of("name", "rules", "reason", "request", "expect").contains(k)) {
        out.add("unknown key `" + k + "`");
      }
    }
    if (!c.path("name").isTextual() || c.path("name").asText().isBlank()) {
      out.add("`name` must be a non-empty string");
    }
    for (String k : List.of("request", "expect")) {
      if (!c.has(k)) {
        out.add("`" + k + "` is missing");
      }
    }
    JsonNode rules = c.get("rules");
    if (rules == null || !rules.isArray()) {
      out.add("`rules` must be an array of rule ids");
    } else if (rules.isEmpty()
        && (!c.path("reason").isTextual() || c.path("reason").asText().isBlank())) {
      out.add("`rules: []` needs a non-empty `reason`");
    } else {
      for (JsonNode r : rules) {
        if (!r.isTextual() || !RULE_ID.matcher(r.asText()).matches()) {
          out.add("`" + r + "` is not a rule id");
        }
      }
    }
    return out;
  }

  interface Call {
    JsonNode run();
  }

  static JsonNode outcome(Call call) {
    try {
      return call.run();
    } catch (WardenException e) {
      return e.toEnvelope();
    }
  }

  @Test
  void everyVector() throws IOException {
    List<Case> cases = cases();
    assertTrue(cases.size() >= MIN_CASES, "only " + cases.size() + " cases");
    Map<String, Object> loaded = new HashMap<>();
    Set<String> names = new HashSet<>();
    StringBuilder report = new StringBuilder();
    int failures = 0;
    int viaHandle = 0;
    int ran = 0;
    int hashes = 0;
    for (Case c : cases) {
      String name = c.body().path("name").asText("(unnamed)");
      List<String> problems = shapeProblems(c.body());
      if (!names.add(name)) {
        problems.add("the case name is not unique across the vectors");
      }
      List<String> found = new ArrayList<>();
      JsonNode request = c.body().get("request");
      JsonNode expect = c.body().get("expect");
      if (request != null && expect != null) {
        JsonNode oneShot = outcome(() -> runtime.evaluate(request));
        ran++;
        for (Matcher.Mismatch m : Matcher.mismatches(expect, oneShot)) {
          found.add("one-shot " + m);
        }
        boolean preset = request.has("preset");
        boolean policy = request.has("policy");
        if (preset != policy) {
          String key = preset ? "preset" : "policy";
          String spec = key + ":" + request.get(key);
          Object w =
              loaded.computeIfAbsent(
                  spec,
                  k -> {
                    try {
                      return preset
                          ? runtime.loadPreset(request.get(key).asText())
                          : runtime.loadPolicy(request.get(key));
                    } catch (WardenException e) {
                      return e;
                    }
                  });
          JsonNode actual;
          if (w instanceof Warden warden) {
            ObjectNode rest = request.deepCopy();
            rest.remove(key);
            actual = outcome(() -> warden.evaluateRequest(rest));
            // The loaded policy's hash is the one its decisions carry.
            JsonNode hash = oneShot.get("policy");
            if (hash != null && hash.isTextual()) {
              hashes++;
              if (!hash.asText().equals(warden.policyHash())) {
                found.add("policy hash " + hash.asText() + " != " + warden.policyHash());
              }
            }
          } else {
            actual = ((WardenException) w).toEnvelope();
          }
          viaHandle++;
          for (Matcher.Mismatch m : Matcher.mismatches(expect, actual)) {
            found.add("loaded " + m);
          }
        }
      }
      if (!problems.isEmpty() || !found.isEmpty()) {
        failures++;
        report.append("\n[").append(c.file()).append("] ").append(name);
        problems.forEach(p -> report.append("\n  case: ").append(p));
        found.forEach(f -> report.append("\n  ").append(f));
      }
    }
    for (Object w : loaded.values()) {
      if (w instanceof Warden warden) {
        warden.close();
      }
    }
    System.out.println(
        ran
            + " cases one-shot, "
            + viaHandle
            + " also through a loaded policy ("
            + hashes
            + " policy hashes compared)");
    assertTrue(hashes > 0, "no decision of a loaded policy carried its policy hash");
    if (failures > 0) {
      fail(failures + " of " + cases.size() + " conformance cases failed:" + report);
    }
    // Every case the files declare ran: none was skipped.
    int declared = declaredCases().values().stream().mapToInt(Integer::intValue).sum();
    assertEquals(declared, ran, "cases of the vector files that ran");
  }

  @Test
  void theMatcherFollowsTheRule() throws IOException {
    String[][] rows = {
      {"{\"valid\":true,\"violations\":[]}", "{\"valid\":true,\"x\":1,\"violations\":[]}", ""},
      {"{\"v\":[{\"c\":\"r\"}]}", "{\"v\":[{\"c\":\"r\"},{\"c\":\"t\"}]}", "$.v"},
      {"[1,2]", "[1]", "$"},
      {"{\"v\":[{\"p\":[\"email\"]}]}", "{\"v\":[{\"p\":[\"phone\"]}]}", "$.v[0].p[0]"},
      {"{\"e\":{\"c\":\"i\",\"p\":\"in\"}}", "{\"e\":{\"c\":\"i\"}}", "$.e.p"},
      {"{\"max\":64}", "{\"max\":\"64\"}", "$.max"},
      {"{\"m\":null}", "{}", "$.m"},
      {"{\"m\":null}", "{\"m\":\"u\"}", "$.m"},
      {"[]", "{}", "$"},
      {"{}", "[]", "$"},
      {"{}", "{\"a\":1}", ""},
      {"[]", "[0]", "$"},
      {"true", "1", "$"},
      {"1", "1.0", ""},
      {"1", "2", "$"},
      {"{\"a\":1,\"b\":[true],\"c\":\"x\"}", "{\"a\":2,\"b\":[false]}", "$.a $.b[0] $.c"},
    };
    for (String[] row : rows) {
      List<String> paths = new ArrayList<>();
      for (Matcher.Mismatch m : Matcher.mismatches(JSON.readTree(row[0]), JSON.readTree(row[1]))) {
        paths.add(m.path());
      }
      assertEquals(row[2], String.join(" ", paths), row[0] + " vs " + row[1]);
    }
  }
}
