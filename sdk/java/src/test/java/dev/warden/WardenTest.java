package dev.warden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WardenTest {
  private static final String TODAY = "2026-11-22";
  private static final String NOW = "2026-11-22T10:00:00Z";
  private static final Map<String, Object> ADA =
      Map.of(
          "firstName", "Ada",
          "lastName", "Lovelace",
          "email", "not-an-email",
          "password", "Tr0ub4dor&3x!",
          "organization", "acme");
  private static WardenRuntime runtime;

  @BeforeAll
  static void start() {
    runtime = Shared.runtime();
  }

  @Test
  void validateAndCheckPassword() {
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      JsonNode d = w.validate(ADA, TODAY);
      assertFalse(d.get("valid").asBoolean());
      assertEquals(1, d.get("violations").size());
      assertEquals("invalid_email", d.at("/violations/0/code").asText());
      assertTrue(d.get("policy").asText().startsWith("sha256:"));
      JsonNode fr = w.validate(ADA, TODAY, "fr");
      assertNotEquals(d.at("/violations/0/message"), fr.at("/violations/0/message"));
      assertFalse(w.checkPassword("password").get("valid").asBoolean());
      assertTrue(w.checkPassword("Tr0ub4dor&3x!").get("valid").asBoolean());
    }
  }

  @Test
  void authorizeScopeTransitionLogin() {
    Map<String, Object> actor =
        Map.of("id", "m1", "organization", "hr", "manager", "d1", "roles", List.of("manager"));
    try (Warden hr = runtime.loadPreset("hr-platform")) {
      JsonNode d =
          hr.authorize(
              actor, "users.read", Map.of("id", "e1", "organization", "hr", "manager", "m1"), NOW);
      assertEquals("allow", d.get("decision").asText());
      assertEquals("team", d.get("scope").asText());
      JsonNode s = hr.scope(actor, "users.read", NOW, true);
      assertFalse(s.at("/sql/sql").asText().isEmpty());
      assertTrue(s.at("/sql/params").isArray());
    }
    try (Warden rent = runtime.loadPreset("rental-platform")) {
      JsonNode d =
          rent.transition(
              Map.of(
                  "actor",
                  Map.of("id", "adm", "organization", "rent", "roles", List.of("administrator")),
                  "target",
                  Map.of("id", "c1", "organization", "rent", "roles", List.of("customer")),
                  "to",
                  "suspended",
                  "durationDays",
                  7),
              NOW);
      assertEquals("reason_required", d.at("/deny/code").asText());
    }
    try (Warden ppp = runtime.loadPreset("000")) {
      JsonNode d =
          ppp.login(
              Map.of("id", "u1", "organization", "acme", "status", "inactive"),
              Map.of("id", "acme", "active", true),
              NOW);
      assertEquals("deny", d.get("decision").asText());
      assertEquals("status_inactive", d.at("/deny/code").asText());
    }
  }

  @Test
  void typedErrorsCarryTheEnvelope() {
    WardenException e = assertThrows(WardenException.class, () -> runtime.loadPreset("acme-corp"));
    assertEquals("policy_error", e.code());
    assertEquals("", e.path());
    assertTrue(e.help().contains("crm"));
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      e = assertThrows(WardenException.class, () -> w.validate(ADA, "yesterday"));
      assertEquals("invalid_input", e.code());
      assertEquals("input.today", e.path());
      e =
          assertThrows(
              WardenException.class,
              () ->
                  w.evaluateRequest(
                      Map.of("preset", "crm", "op", "password", "input", Map.of("password", "x"))));
      assertEquals("preset", e.path());
    }
    try (Warden hr = runtime.loadPreset("hr-platform")) {
      assertEquals(
          "unsupported", assertThrows(WardenException.class, () -> hr.checkPassword("x")).code());
    }
    assertEquals(
        "policy_error",
        assertThrows(WardenException.class, () -> runtime.loadPolicy("{\"warden\": 99}")).code());
    // One JSON value, nothing after it, and not nothing: as the other SDKs read a document.
    for (String doc : new String[] {"{\"warden\": 1} junk", "", "   "}) {
      WardenException refused = assertThrows(WardenException.class, () -> runtime.loadPolicy(doc));
      assertEquals("invalid_input", refused.code(), doc);
      assertEquals("policy", refused.path(), doc);
    }
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class,
            () -> WardenRuntime.builder().poolSize(0).timeout(Duration.ZERO).build());
    assertTrue(bad.getMessage().contains("pool size"), bad.getMessage());
  }

  @Test
  void aDeadlineInterruptsTheCallAndTheInstanceIsReplaced() {
    WardenRuntime quick =
        runtime.withLimits(WardenRuntime.DEFAULT_MAX_MEMORY, Duration.ofMillis(1));
    WardenFault f = assertThrows(WardenFault.class, () -> quick.loadPreset("crm"));
    assertEquals("deadline_exceeded", f.code());
    assertFalse(Thread.currentThread().isInterrupted(), "the caller's thread stays clean");
    // The pool is not poisoned: the next one-shot call gets a fresh instance (and times out
    // again, as the deadline is still 1 ms).
    assertEquals(
        "deadline_exceeded",
        assertThrows(
                WardenFault.class,
                () -> quick.evaluate(Map.of("preset", "crm", "op", "password", "input", "x")))
            .code());
  }

  @Test
  void memoryIsCapped() {
    WardenRuntime small = runtime.withLimits(64L << 20, WardenRuntime.DEFAULT_TIMEOUT);
    try (Warden w = small.loadPreset("crm")) {
      // The 40 MiB request fits in the buffer; the module's copy of it inside the call does not,
      // and it aborts (an unreachable trap): "aborted", as in Python and Go.
      WardenFault f = assertThrows(WardenFault.class, () -> w.checkPassword("x".repeat(40 << 20)));
      assertEquals("aborted", f.code());
      assertTrue(w.checkPassword("correct horse battery staple").has("policy"));
    }
  }

  @Test
  void anInstanceALargeRequestGrewIsNotKept() {
    WardenRuntime small = runtime.withLimits(32L << 20, WardenRuntime.DEFAULT_TIMEOUT);
    try (Warden w = small.loadPreset("crm")) {
      assertTrue(w.checkPassword("correct horse battery staple").has("valid"));
      assertEquals(1, w.pool.idleCount());
      // A request of 10 MiB grows the instance's memory past a quarter of 32 MiB.
      assertTrue(w.checkPassword("x".repeat(10 << 20)).has("valid"));
      assertEquals(0, w.pool.idleCount(), "the grown instance was dropped");
      assertTrue(w.checkPassword("correct horse battery staple").has("valid"));
      assertEquals(1, w.pool.idleCount());
    }
  }

  @Test
  void aRequestAboveTheModulesLimitIsARefusalAndTheInstanceIsKept() {
    try (Warden w = runtime.loadPreset("crm", LoadOptions.builder().poolSize(1).build())) {
      assertTrue(w.checkPassword("correct horse battery staple").has("valid"));
      assertEquals(1, w.pool.idleCount());
      ModuleInstance warm;
      try (InstancePool.Loan loan = w.pool.borrow()) {
        warm = loan.instance;
      }
      // One string field of 64 MiB: with the rest of the request, just above the limit.
      Map<String, Object> user =
          Map.of("firstName", "x".repeat(WardenRuntime.MAX_REQUEST_BYTES), "lastName", "Lovelace");
      WardenException e = assertThrows(WardenException.class, () -> w.validate(user, TODAY));
      assertEquals("limit_exceeded", e.code());
      assertEquals("", e.path());
      assertTrue(
          e.detail().startsWith("a request has at most " + (64 << 20) + " bytes; this one has "),
          e.detail());
      assertEquals("limit_exceeded", e.toEnvelope().at("/error/code").asText());
      // The warm instance was neither discarded nor replaced, and serves the next call.
      assertEquals(1, w.pool.idleCount(), "the instance was not discarded");
      assertEquals(
          w.policyHash(), w.checkPassword("correct horse battery staple").get("policy").asText());
      assertEquals(1, w.pool.idleCount());
      try (InstancePool.Loan loan = w.pool.borrow()) {
        assertSame(warm, loan.instance, "the warm instance was kept");
      }
    }
  }

  private static byte[] abiModule(int major) {
    ByteArrayOutputStream exports = new ByteArrayOutputStream();
    exports.write(3);
    for (Object[] e :
        new Object[][] {{"memory", 2, 0}, {"warden_abi_major", 3, 0}, {"warden_abi_minor", 3, 1}}) {
      byte[] name = ((String) e[0]).getBytes(StandardCharsets.UTF_8);
      exports.write(name.length);
      exports.writeBytes(name);
      exports.write((Integer) e[1]);
      exports.write((Integer) e[2]);
    }
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    m.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    m.writeBytes(new byte[] {5, 3, 1, 0, 1});
    m.writeBytes(new byte[] {6, 11, 2, 0x7f, 0, 0x41, 16, 0x0b, 0x7f, 0, 0x41, 20, 0x0b});
    m.write(7);
    m.write(exports.size());
    m.writeBytes(exports.toByteArray());
    m.writeBytes(new byte[] {11, 14, 1, 0, 0x41, 16, 0x0b, 8, (byte) major, 0, 0, 0, 3, 0, 0, 0});
    return m.toByteArray();
  }

  @Test
  void theAbiVersionIsCheckedFirst() {
    WardenRuntime two = WardenRuntime.builder().module(abiModule(2)).compile(false).build();
    WardenFault f = assertThrows(WardenFault.class, () -> two.loadPreset("crm"));
    assertEquals("abi_mismatch", f.code());
    assertTrue(f.getMessage().contains("ABI 2.3"), f.getMessage());
  }

  @Test
  void thePoolIsBoundedAndThreadSafe() throws Exception {
    Warden w = runtime.loadPreset("crm");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        results.add(
            pool.submit(
                () -> w.checkPassword("correct horse battery staple").get("valid").asBoolean()));
      }
      boolean first = results.get(0).get();
      for (Future<Boolean> r : results) {
        assertEquals(first, r.get());
      }
    } finally {
      pool.shutdown();
    }
    w.close();
    assertEquals("closed", assertThrows(WardenFault.class, () -> w.checkPassword("x")).code());
  }

  /** An {@link Error} thrown half-way through a call (as an OutOfMemoryError would be). */
  static final class Boom extends Error {
    private static final long serialVersionUID = 1L;

    Boom() {
      super("simulated");
    }
  }

  @Test
  void anErrorDuringACallNeverPutsTheInstanceBack() {
    try (Warden w = runtime.loadPreset("crm")) {
      assertTrue(w.checkPassword("correct horse battery staple").has("valid"));
      assertEquals(1, w.pool.idleCount());
      JsonSerializable explodes =
          new JsonSerializable.Base() {
            @Override
            public void serialize(JsonGenerator g, SerializerProvider p) {
              throw new Boom();
            }

            @Override
            public void serializeWithType(JsonGenerator g, SerializerProvider p, TypeSerializer t) {
              throw new Boom();
            }
          };
      assertThrows(Boom.class, () -> w.evaluate("password", Map.of("password", explodes), null));
      assertEquals(0, w.pool.idleCount(), "the instance that saw the Error was discarded");
      // A refusal keeps its instance; the pool still serves calls.
      assertThrows(WardenException.class, () -> w.validate(ADA, "yesterday"));
      assertEquals(1, w.pool.idleCount());
      assertTrue(w.checkPassword("correct horse battery staple").has("valid"));
    }
  }

  @Test
  void aDecisionEchoingAValueOfMoreThan20MillionCharactersIsRead() {
    // Jackson's default maxStringLength (20,000,000) is below the module's 64 MiB input bound.
    String big = "o".repeat(21_000_000);
    Map<String, Object> user = new java.util.HashMap<>(ADA);
    user.put("email", "ada@example.com");
    user.put("employeeId", "E1");
    user.put("organization", big); // echoed by the decision (too_long with the value)
    // A cap large enough that the memory the call grows stays under the quarter a pool keeps:
    // the instance is then kept, which shows the call did not fault.
    WardenRuntime large = runtime.withLimits(1L << 30, WardenRuntime.DEFAULT_TIMEOUT);
    try (Warden w = large.loadPreset("crm")) {
      JsonNode d = w.validate(user, TODAY);
      assertTrue(d.toString().contains(big), "the decision echoes the value");
      assertEquals(1, w.pool.idleCount(), "the instance was not discarded");
    }
  }

  @Test
  void cancelledDeadlineTimersAreNotKept() {
    try (Warden w = runtime.loadPreset("crm")) {
      for (int i = 0; i < 300; i++) {
        w.checkPassword("correct horse battery staple");
      }
    }
    // Each call schedules a 30 s deadline and cancels it when the call returns in time.
    int queued = ModuleInstance.WATCHDOG.getQueue().size();
    assertTrue(queued < 10, queued + " deadline timers still queued");
  }

  @Test
  void aNullArgumentIsInvalidInputAtItsPath() {
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      Object[][] calls = {
        {"input.password", (Call) () -> w.checkPassword(null)},
        {"input.password", (Call) () -> w.checkPassword(null, ADA)},
        {"input.password", (Call) () -> w.checkPassword(null, null)},
        {"input.user", (Call) () -> w.checkPassword("x", null)},
        {"input.user", (Call) () -> w.validate(null, TODAY)},
        {"input.today", (Call) () -> w.validate(ADA, null, "fr")},
        {"input.actor", (Call) () -> w.authorize(null, "users.read", ADA, NOW)},
        {"input.action", (Call) () -> w.authorize(ADA, null, ADA, NOW)},
        {"input.target", (Call) () -> w.authorize(ADA, "users.read", null, NOW)},
        {"input.now", (Call) () -> w.authorize(ADA, "users.read", ADA, null)},
        {"input.actor", (Call) () -> w.scope(null, "users.read", NOW, false)},
        {"input.now", (Call) () -> w.scope(ADA, "users.read", null, true)},
        {"input", (Call) () -> w.transition(null, NOW)},
        {"input.account", (Call) () -> w.login(null, null, NOW)},
        {"preset", (Call) () -> runtime.loadPreset(null)},
        {"policy", (Call) () -> runtime.loadPolicy((String) null)},
        {"policy", (Call) () -> runtime.loadPolicy((JsonNode) null)},
      };
      for (Object[] c : calls) {
        WardenException e = assertThrows(WardenException.class, ((Call) c[1])::run);
        assertEquals("invalid_input", e.code());
        assertEquals(c[0], e.path());
      }
      assertTrue(w.checkPassword("Tr0ub4dor&3x!").get("valid").asBoolean());
    }
  }

  /** A bean the request may hold: Jackson writes its properties. */
  public record Score(double score) {}

  @Test
  void aNonFiniteNumberIsInvalidInputAtItsPath() {
    // NaN and infinities have no JSON form (Jackson would write the string "NaN"): each is
    // refused at its own path, wherever it is, as the Python and Go SDKs refuse them.
    Map<String, Object> ada = new HashMap<>(ADA);
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      assertRefused(
          "finite",
          new Object[][] {
            {
              "input.user.firstName",
              (Call) () -> w.validate(with(ada, "firstName", Double.NaN), TODAY)
            },
            {
              "input.facts.lockouts",
              (Call)
                  () ->
                      w.validate(
                          ValidateInput.builder(ada, TODAY)
                              .facts(Map.of("lockouts", Double.POSITIVE_INFINITY))
                              .build())
            },
            {
              "input.user.x[1]",
              (Call) () -> w.validate(with(ada, "x", List.of(1.5f, Float.NEGATIVE_INFINITY)), TODAY)
            },
            {
              "input.user.x[1]",
              (Call) () -> w.validate(with(ada, "x", new double[] {1, Double.NaN}), TODAY)
            },
            {
              "input.user.x.score",
              (Call) () -> w.validate(with(ada, "x", new Score(Double.NaN)), TODAY)
            },
            {
              "input.user.age",
              (Call)
                  () ->
                      w.checkPasswordWith(
                          PasswordInput.builder("Tr0ub4dor&3x!")
                              .user(Map.of("age", Double.NaN))
                              .build())
            },
            {
              "input.n",
              (Call)
                  () -> {
                    ObjectNode input = JsonNodeFactory.instance.objectNode();
                    input.put("password", "x").put("n", Double.NaN);
                    return w.evaluate("password", input, null);
                  }
            },
            {
              "input.n",
              (Call)
                  () ->
                      runtime.evaluate(
                          Map.of(
                              "preset",
                              "crm",
                              "op",
                              "password",
                              "input",
                              Map.of("password", "x", "n", Double.NaN)))
            },
          });
      // Finite numbers, the largest included, go through; the instance is still usable.
      assertTrue(
          w.checkPasswordWith(
                  PasswordInput.builder("Tr0ub4dor&3x!")
                      .user(Map.of("age", Double.MAX_VALUE))
                      .build())
              .get("valid")
              .asBoolean());
    }
  }

  @Test
  void aLoneSurrogateIsInvalidInputAtItsPath() {
    // A lone surrogate has no UTF-8 form (Jackson would write an escape the module refuses at
    // ""): refused at its path, as the Python and Go SDKs refuse it, the password never shown.
    Map<String, Object> ada = new HashMap<>(ADA);
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      assertRefused(
          "surrogate",
          new Object[][] {
            {"input.password", (Call) () -> w.checkPassword("Tr0ub4dor\ud800&3x!")},
            {"input.password", (Call) () -> w.checkPassword("Tr0ub4dor&3x!\udc00", ada)},
            {
              "input.user.firstName",
              (Call) () -> w.validate(with(ada, "firstName", "A\udc00"), TODAY)
            },
            {"input.user.x\\ud800", (Call) () -> w.validate(with(ada, "x\ud800", 1), TODAY)},
            {
              "input.user.x[1]",
              (Call) () -> w.validate(with(ada, "x", new String[] {"ok", "\ud800"}), TODAY)
            },
            {"input.user.x", (Call) () -> w.validate(with(ada, "x", '\ud800'), TODAY)},
            {
              "input.user.password",
              (Call)
                  () ->
                      runtime.evaluate(
                          Map.of(
                              "preset",
                              "crm",
                              "op",
                              "validate",
                              "input",
                              Map.of(
                                  "today", TODAY, "user", Map.of("password", "Tr0ub4dor\udfff"))))
            },
          });
      // Surrogate pairs go through; the instance is still usable.
      assertTrue(w.checkPassword("Tr0ub4dor&3x!\ud834\udd1e").get("valid").asBoolean());
    }
  }

  /** A bean Jackson cannot write: its getter throws. */
  public static final class Broken {
    /**
     * Never answers.
     *
     * @return nothing
     */
    public String getBad() {
      throw new IllegalStateException("no value");
    }
  }

  @Test
  void aValueJacksonCannotWriteIsInvalidInputAtItsPathWithIndexesInBrackets() {
    // The path is written as the Python and Go SDKs write it: input.user.x[1].bad.
    Map<String, Object> ada = new HashMap<>(ADA);
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      WardenException e =
          assertThrows(
              WardenException.class,
              () -> w.validate(with(ada, "x", List.of("ok", new Broken())), TODAY));
      assertEquals("invalid_input", e.code());
      assertEquals("input.user.x[1].bad", e.path());
    }
  }

  @Test
  void noInputPrintsAUserRecordOrAPassword() {
    // A guard (the inputs keep Object's toString, PasswordInput redacts its own): no input that
    // can hold a user record or a password shows it, nor does any of their builders.
    String secret = "Violet-Kettle-42!x";
    Map<String, Object> user = Map.of("firstName", "Ada", "password", secret);
    Object[] inputs = {
      ValidateInput.builder(user, TODAY).facts(user),
      ValidateInput.builder(user, TODAY).facts(user).build(),
      PasswordInput.builder(secret).user(user),
      PasswordInput.builder(secret).user(user).build(),
      AuthorizeInput.builder(user, "users.read", user, NOW),
      AuthorizeInput.builder(user, "users.read", user, NOW).build(),
      ScopeInput.builder(user, "users.read", NOW),
      ScopeInput.builder(user, "users.read", NOW).build(),
      TransitionInput.builder(user, NOW),
      TransitionInput.builder(user, NOW).build(),
      LoginInput.builder(user, NOW).facts(user),
      LoginInput.builder(user, NOW).facts(user).build(),
    };
    for (Object in : inputs) {
      String text = in.toString() + " " + String.valueOf(in) + " " + String.format("%s", in);
      assertFalse(text.contains(secret) || text.contains("Ada"), text);
    }
  }

  /** Each call is refused as invalid_input at its path, its reason naming why, no password. */
  private static void assertRefused(String why, Object[][] calls) {
    for (Object[] c : calls) {
      WardenException e = assertThrows(WardenException.class, ((Call) c[1])::run, (String) c[0]);
      assertEquals("invalid_input", e.code(), e.getMessage());
      assertEquals(c[0], e.path(), e.getMessage());
      assertTrue(e.detail().contains(why), e.getMessage());
      assertFalse(e.getMessage().contains("Tr0ub4dor"), e.getMessage());
      for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
        assertFalse(String.valueOf(t.getMessage()).contains("Tr0ub4dor"), t.getMessage());
      }
    }
  }

  private static Map<String, Object> with(Map<String, Object> user, String key, Object value) {
    Map<String, Object> out = new HashMap<>(user);
    out.put(key, value);
    return out;
  }

  interface Call {
    Object run();
  }
}
