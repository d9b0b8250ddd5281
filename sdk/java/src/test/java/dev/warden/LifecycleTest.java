package dev.warden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The policy's hash, use after close, and calls racing a close. */
class LifecycleTest {
  private static final String TODAY = "2026-11-22";
  private static final String NOW = "2026-11-22T10:00:00Z";

  /** A small policy document of the vectors (regex-dialect.json). */
  private static final String DIALECT =
      "{\"warden\": 1, \"name\": \"dialect\", \"fields\": {\"code\": {\"type\": \"identifier\","
          + " \"required\": true, \"pattern\": \"[0-9]{4}\"}}}";

  private static final Map<String, Object> ACTOR =
      Map.of("id", "a", "organization", "acme", "roles", List.of("administrator"));

  @Test
  void thePolicyHashIsTheModules() throws Exception {
    WardenRuntime rt = Shared.runtime();
    Set<String> hashes = new HashSet<>();
    for (String preset : new String[] {"crm", "production-planner-pro"}) {
      try (Warden w = rt.loadPreset(preset)) {
        String h = w.policyHash();
        assertTrue(h.startsWith("sha256:") && h.length() == "sha256:".length() + 64, h);
        assertEquals(
            h, w.checkPassword("correct horse battery staple").get("policy").asText(), preset);
        hashes.add(h);
      }
    }
    assertEquals(2, hashes.size());
    try (Warden w = rt.loadPolicy(DIALECT)) {
      JsonNode oneShot =
          rt.evaluate(
              Map.of(
                  "policy",
                  new ObjectMapper().readTree(DIALECT),
                  "op",
                  "validate",
                  "input",
                  Map.of("user", Map.of("code", "1234"), "today", TODAY)));
      assertEquals(oneShot.get("policy").asText(), w.policyHash());
      // The module hashes the canonical document: white space does not change it.
      try (Warden spaced = rt.loadPolicy(DIALECT.replace(", ", ",\n  "))) {
        assertEquals(w.policyHash(), spaced.policyHash());
      }
    }
  }

  /** One call of each method of a Warden, and of its runtime. */
  private static Map<String, Supplier<Object>> calls(WardenRuntime rt, Warden w) {
    Map<String, Supplier<Object>> calls = new LinkedHashMap<>();
    calls.put("validate", () -> w.validate(Map.of("firstName", "Ada"), TODAY));
    calls.put(
        "validate(input)",
        () -> w.validate(ValidateInput.builder(Map.of("firstName", "Ada"), TODAY).build()));
    calls.put("checkPassword", () -> w.checkPassword("correct horse battery staple"));
    calls.put("authorize", () -> w.authorize(ACTOR, "users.read", ACTOR, NOW));
    calls.put("scope", () -> w.scope(ACTOR, "users.read", NOW, false));
    calls.put(
        "transition", () -> w.transition(Map.of("actor", ACTOR, "target", ACTOR, "to", "x"), NOW));
    calls.put("login", () -> w.login(ACTOR, null, NOW));
    calls.put("evaluate", () -> w.evaluate("password", Map.of("password", "x"), null));
    calls.put(
        "evaluateRequest",
        () -> w.evaluateRequest(Map.of("op", "password", "input", Map.of("password", "x"))));
    calls.put(
        "runtime.evaluate",
        () ->
            rt.evaluate(
                Map.of("preset", "crm", "op", "password", "input", Map.of("password", "x"))));
    calls.put(
        "runtime.loadPreset",
        () -> {
          rt.loadPreset("crm", LoadOptions.builder().poolSize(1).build()).close();
          return null;
        });
    return calls;
  }

  private static void assertClosed(Supplier<Object> call, String name) {
    WardenFault f = assertThrows(WardenFault.class, call::get, name);
    assertEquals(WardenFault.CLOSED, f.code(), name);
  }

  @Test
  void aClosedWardenThrowsClosed() {
    WardenRuntime rt = Shared.runtime();
    Warden w = rt.loadPreset("crm");
    String hash = w.policyHash();
    w.close();
    w.close(); // harmless
    for (Map.Entry<String, Supplier<Object>> call : calls(rt, w).entrySet()) {
      if (call.getKey().startsWith("runtime.")) {
        call.getValue().get(); // the runtime is still open
      } else {
        assertClosed(call.getValue(), call.getKey());
      }
    }
    assertEquals(hash, w.policyHash());
    assertEquals(0, w.pool.idleCount());
  }

  @Test
  void aClosedRuntimeClosesItsWardens() {
    // The same compiled module, other limits: closing it leaves the shared runtime open.
    WardenRuntime rt =
        Shared.runtime()
            .withLimits(WardenRuntime.DEFAULT_MAX_MEMORY, WardenRuntime.DEFAULT_TIMEOUT);
    Warden w = rt.loadPreset("crm");
    assertTrue(w.checkPassword("correct horse battery staple").has("valid"));
    assertEquals(1, w.pool.idleCount());
    rt.close();
    rt.close(); // harmless
    assertTrue(rt.isClosed());
    assertEquals(0, w.pool.idleCount(), "the runtime's close dropped its Wardens' instances");
    for (Map.Entry<String, Supplier<Object>> call : calls(rt, w).entrySet()) {
      assertClosed(call.getValue(), call.getKey());
    }
    assertClosed(() -> rt.loadPolicy(DIALECT), "loadPolicy");
    w.close();
    w.close();
    assertFalse(Shared.runtime().isClosed());
    assertTrue(
        Shared.runtime()
            .evaluate(Map.of("preset", "crm", "op", "password", "input", Map.of("password", "x")))
            .has("valid"));
  }

  /**
   * Calls of every method from several threads while two threads close: every call completes (a
   * decision or a refusal) or throws the closed fault; nothing else.
   */
  private static List<String> race(WardenRuntime rt, Warden w, Runnable close)
      throws InterruptedException {
    Map<String, Supplier<Object>> calls = calls(rt, w);
    CountDownLatch start = new CountDownLatch(1);
    ConcurrentLinkedQueue<String> outcomes = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (Map.Entry<String, Supplier<Object>> call : calls.entrySet()) {
      threads.add(
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < 3; i++) {
                  try {
                    call.getValue().get();
                    outcomes.add("done");
                  } catch (WardenException e) {
                    outcomes.add("done"); // a refusal is a completed call
                  } catch (WardenFault e) {
                    if (WardenFault.CLOSED.equals(e.code())) {
                      outcomes.add("closed");
                    } else {
                      unexpected.add(call.getKey() + ": " + e);
                    }
                  } catch (Throwable e) {
                    unexpected.add(call.getKey() + ": " + e);
                  }
                }
              }));
    }
    for (int i = 0; i < 2; i++) {
      threads.add(
          new Thread(
              () -> {
                try {
                  start.await();
                  Thread.sleep(2);
                } catch (InterruptedException e) {
                  return;
                }
                close.run();
              }));
    }
    threads.forEach(Thread::start);
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(List.of(), new ArrayList<>(unexpected));
    assertTrue(outcomes.contains("closed"), outcomes.toString());
    return new ArrayList<>(outcomes);
  }

  @Test
  void callsRacingAWardenCloseCompleteOrAreClosed() throws InterruptedException {
    WardenRuntime rt = Shared.runtime();
    for (int round = 0; round < 3; round++) {
      Warden w = rt.loadPreset("crm", LoadOptions.builder().poolSize(2).build());
      race(rt, w, w::close);
      assertClosed(() -> w.login(ACTOR, null, NOW), "after the race");
      assertEquals(0, w.pool.idleCount());
    }
  }

  @Test
  void callsRacingARuntimeCloseCompleteOrAreClosed() throws InterruptedException {
    for (int round = 0; round < 3; round++) {
      WardenRuntime rt =
          Shared.runtime()
              .withLimits(WardenRuntime.DEFAULT_MAX_MEMORY, WardenRuntime.DEFAULT_TIMEOUT);
      Warden w = rt.loadPreset("crm", LoadOptions.builder().poolSize(2).build());
      race(rt, w, rt::close);
      assertClosed(() -> w.login(ACTOR, null, NOW), "after the race");
      assertEquals(0, w.pool.idleCount());
    }
  }
}
