package dev.warden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The behaviours the three SDKs share: what a per-call budget covers, what JSON cannot carry as
 * written, how a policy text and whole floats reach the module.
 */
class ConsistencyTest {
  private static final String TODAY = "2026-11-22";
  private static final String NOW = "2026-11-22T10:00:00Z";
  private static final Map<String, Object> ADA =
      Map.of(
          "firstName", "Ada",
          "lastName", "Lovelace",
          "email", "ada@acme.example",
          "password", "Tr0ub4dor&3x!",
          "organization", "acme");
  private static WardenRuntime runtime;

  @BeforeAll
  static void start() {
    runtime = Shared.runtime();
  }

  /** A map in insertion order, values may be null. */
  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static void assertInvalidAt(String path, Runnable call) {
    WardenException e = assertThrows(WardenException.class, call::run, path);
    assertEquals("invalid_input", e.code(), e.getMessage());
    assertEquals(path, e.path(), e.getMessage());
  }

  @Test
  void aTimeoutSizedFromNormalCallsIsEnoughFromTheFirstCall() {
    // The module's common-password list is static data (laid out at compile time), so a new
    // instance's first password check costs what any later one does: a timeout sized from normal
    // calls works from the first call of each instance on, its policy load included. The JVM
    // first compiles the paths of a load and of these calls (as in a service that has run a
    // while), so that the timeout measures the module's work, not the JIT's.
    try (Warden jit = runtime.loadPreset("production-planner-pro")) {
      for (int i = 0; i < 20; i++) {
        jit.validate(ADA, TODAY);
        jit.checkPassword("password");
      }
    }
    LoadOptions tight = LoadOptions.builder().poolSize(1).timeout(Duration.ofMillis(60)).build();
    try (Warden w = runtime.loadPreset("production-planner-pro", tight)) {
      for (int i = 0; i < 3; i++) {
        assertFalse(w.checkPassword("password").get("valid").asBoolean());
        assertTrue(w.validate(ADA, TODAY).get("valid").asBoolean());
      }
    }
  }

  @Test
  void byteAndCharArraysAreInvalidInputAtTheirPath() {
    // Jackson would send a byte[] as its base64 text (a password judged on that) and a char[] as
    // a string: both are refused at their path, as Python refuses bytes and Go []byte.
    byte[] secret = "hunter2-Secret".getBytes(StandardCharsets.UTF_8);
    Map<String, Object> user = new HashMap<>(ADA);
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      user.put("password", secret);
      assertInvalidAt("input.user.password", () -> w.validate(user, TODAY));
      user.put("password", "hunter2-Secret".toCharArray());
      assertInvalidAt("input.user.password", () -> w.validate(user, TODAY));
      user.put("password", ADA.get("password"));
      user.put("tags", List.of("a", ByteBuffer.wrap(secret)));
      assertInvalidAt("input.user.tags[1]", () -> w.validate(user, TODAY));
      user.put("tags", JsonNodeFactory.instance.objectNode().put("b", secret));
      assertInvalidAt("input.user.tags.b", () -> w.validate(user, TODAY));
      user.remove("tags");
      assertInvalidAt(
          "input.password", () -> w.evaluate("password", map("password", secret), null));
      WardenException e =
          assertThrows(
              WardenException.class, () -> w.evaluate("password", map("password", secret), null));
      assertFalse(e.getMessage().contains("aHVudGVy") || e.getMessage().contains("hunter2"));
      assertTrue(w.validate(user, TODAY).get("valid").asBoolean());
    }
  }

  @Test
  void aNullMapKeyIsInvalidInputAtItsMapsPath() {
    // Jackson would write it as the key "null", indistinguishable from a key of that name.
    Map<String, Object> user = new HashMap<>(ADA);
    user.put(null, "x");
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      assertInvalidAt("input.user", () -> w.validate(user, TODAY));
      Map<String, Object> nested = new HashMap<>(ADA);
      Map<String, Object> inner = new HashMap<>();
      inner.put(null, 1);
      nested.put("x", List.of(inner));
      assertInvalidAt("input.user.x[0]", () -> w.validate(nested, TODAY));
    }
  }

  @Test
  void duplicateKeysInAPolicyTextAreRefusedAsTheModuleRefusesThem() {
    // The text reaches the module as written (Jackson would keep the last value).
    WardenException e =
        assertThrows(
            WardenException.class,
            () ->
                runtime.loadPolicy(
                    "{\"warden\": 1, \"name\": \"x\", \"fields\": {\"firstName\":"
                        + " {\"maxLength\": 3, \"maxLength\": 4}}}"));
    assertEquals("invalid_input", e.code());
    assertEquals("policy.fields.firstName", e.path());
    assertTrue(e.detail().contains("duplicate key `maxLength`"), e.detail());
    assertInvalidAt("policy", () -> runtime.loadPolicy("{\"warden\": 1, \"name\": NaN}"));
    assertInvalidAt(
        "policy.name", () -> runtime.loadPolicy("{\"warden\": 1, \"name\": \"\\ud800\"}"));
    try (Warden text = runtime.loadPolicy(" {\"warden\": 1, \"name\": \"x\"} ");
        Warden node =
            runtime.loadPolicy(
                JsonNodeFactory.instance.objectNode().put("warden", 1).put("name", "x"))) {
      assertEquals(node.policyHash(), text.policyHash());
    }
  }

  @Test
  void wholeDoublesAreSentAsIntegersAsInGo() {
    // 7.0 is sent as 7 (Go's encoding/json writes it so, and the vectors' rule says 1 matches
    // 1.0); 7.5, -0.0 and 1e21 stay floats, refused where the module expects a count.
    Map<String, Object> request =
        map(
            "actor", map("id", "adm", "organization", "rent", "roles", List.of("administrator")),
            "target", map("id", "c1", "organization", "rent", "roles", List.of("customer")),
            "to", "suspended");
    try (Warden rent = runtime.loadPreset("rental-platform")) {
      for (Object days : new Object[] {7, 7.0, 7.0f, JsonNodeFactory.instance.numberNode(7.0)}) {
        Map<String, Object> r = new HashMap<>(request);
        r.put("durationDays", days);
        assertEquals(
            "reason_required", rent.transition(r, NOW).at("/deny/code").asText(), "" + days);
      }
      for (Object days : new Object[] {7.5, -0.0, 1e21}) {
        Map<String, Object> r = new HashMap<>(request);
        r.put("durationDays", days);
        assertInvalidAt("input.durationDays", () -> rent.transition(r, NOW));
      }
    }
    List<Object> big = new ArrayList<>(List.of(1e20, 2.0, -4.0, 1.5));
    assertEquals(
        "[100000000000000000000,2,-4,1.5]",
        new String(ModuleInstance.encode(runtime.json(), big), StandardCharsets.UTF_8));
  }

  @Test
  void aTransitionRequestThatIsNullIsInvalidInputAtInput() {
    try (Warden rent = runtime.loadPreset("rental-platform")) {
      assertInvalidAt("input", () -> rent.transition(null, NOW));
      assertInvalidAt(
          "input", () -> rent.transition(TransitionInput.builder(null, NOW).lang("fr").build()));
    }
  }
}
