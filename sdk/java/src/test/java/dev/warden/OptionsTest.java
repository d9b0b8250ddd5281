package dev.warden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The options of the named methods and of a loaded policy, as Python's keyword arguments and Go's
 * input structs: each one reaches the module (the decision is the one of the same request written
 * by hand) and changes the decision (it is not dropped).
 */
class OptionsTest {
  private static final String TODAY = "2026-11-22";
  private static final String NOW = "2026-11-22T10:00:00Z";
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

  /** The option's decision is the hand-written request's, and not the one without it. */
  private static void honoured(JsonNode without, JsonNode with, JsonNode byHand, String option) {
    assertEquals(byHand, with, option + ": the decision of the same request written by hand");
    assertNotEquals(without, with, option + ": the option changed nothing");
  }

  @Test
  void validateOptions() {
    Map<String, Object> ada =
        map(
            "firstName",
            "Ada",
            "lastName",
            "Lovelace",
            "email",
            "ada.lovelace@acme.example",
            "password",
            "",
            "organization",
            "acme");
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      JsonNode plain = w.validate(ada, TODAY);
      // mode: a blank password keeps the current one on update.
      JsonNode update = w.validate(ValidateInput.builder(ada, TODAY).mode("update").build());
      honoured(
          plain,
          update,
          w.evaluate("validate", map("user", ada, "today", TODAY, "mode", "update"), null),
          "mode");
      assertTrue(update.get("valid").asBoolean());
      // facts: the email is taken.
      Map<String, Object> withPassword = new LinkedHashMap<>(ada);
      withPassword.put("password", "Tr0ub4dor&3x!");
      Map<String, Object> facts =
          map("unique", map("email_unique", map("taken", true, "existingStatus", "active")));
      JsonNode taken = w.validate(ValidateInput.builder(withPassword, TODAY).facts(facts).build());
      honoured(
          w.validate(withPassword, TODAY),
          taken,
          w.evaluate("validate", map("user", withPassword, "today", TODAY, "facts", facts), null),
          "facts");
      assertEquals("duplicate", taken.at("/violations/0/code").asText());
      // lang, with the other options.
      JsonNode fr =
          w.validate(ValidateInput.builder(withPassword, TODAY).facts(facts).lang("fr").build());
      honoured(
          taken,
          fr,
          w.evaluate("validate", map("user", withPassword, "today", TODAY, "facts", facts), "fr"),
          "lang");
    }
    // mfa: NIST accepts 13 characters with MFA.
    Map<String, Object> lina =
        map(
            "firstName",
            "Lina",
            "lastName",
            "Haddad",
            "email",
            "lina.haddad@example.com",
            "password",
            "Tr0ub4dor&3x!");
    try (Warden rent = runtime.loadPreset("rental-platform")) {
      honoured(
          rent.validate(lina, TODAY),
          rent.validate(ValidateInput.builder(lina, TODAY).mfa(true).build()),
          rent.evaluate("validate", map("user", lina, "today", TODAY, "mfa", true), null),
          "mfa");
    }
  }

  @Test
  void passwordOptions() {
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      Map<String, Object> sophie = map("firstName", "Sophie");
      honoured(
          w.checkPassword("Sophie#1990x"),
          w.checkPasswordWith(PasswordInput.builder("Sophie#1990x").user(sophie).build()),
          w.evaluate("password", map("password", "Sophie#1990x", "user", sophie), null),
          "user");
      honoured(
          w.checkPassword("Ab1!x"),
          w.checkPasswordWith(PasswordInput.builder("Ab1!x").lang("fr").build()),
          w.evaluate("password", map("password", "Ab1!x"), "fr"),
          "lang");
    }
    try (Warden rent = runtime.loadPreset("rental-platform")) {
      JsonNode mfa =
          rent.checkPasswordWith(PasswordInput.builder("Tr0ub4dor&3x!").mfa(true).build());
      honoured(
          rent.checkPassword("Tr0ub4dor&3x!"),
          mfa,
          rent.evaluate("password", map("password", "Tr0ub4dor&3x!", "mfa", true), null),
          "mfa");
      assertTrue(mfa.get("valid").asBoolean());
    }
    String shown = PasswordInput.builder("Violet-Kettle-42!x").mfa(true).build().toString();
    assertFalse(shown.contains("Violet"), shown);
    assertFalse(PasswordInput.builder("Violet-Kettle-42!x").toString().contains("Violet"));
  }

  @Test
  void authorizeAndScopeOptions() {
    try (Warden hr = runtime.loadPreset("hr-platform")) {
      Map<String, Object> admin =
          map("id", "hra", "organization", "hr", "roles", List.of("hrAdmin"));
      Map<String, Object> viewer =
          map("id", "x", "organization", "hr", "roles", List.of("hrViewer"));
      Map<String, Object> change = map("add", List.of("hrAdmin"));
      JsonNode combination =
          hr.authorize(
              AuthorizeInput.builder(admin, "roles.assign", viewer, NOW).change(change).build());
      honoured(
          hr.authorize(admin, "roles.assign", viewer, NOW),
          combination,
          hr.evaluate(
              "authorize",
              map(
                  "actor",
                  admin,
                  "action",
                  "roles.assign",
                  "target",
                  viewer,
                  "change",
                  change,
                  "now",
                  NOW),
              null),
          "change");
      assertEquals("forbidden_combination", combination.at("/deny/code").asText());
      Map<String, Object> director =
          map("id", "d1", "organization", "hr", "roles", List.of("director"));
      Map<String, Object> employee = map("id", "e1", "organization", "hr", "manager", "m1");
      List<Map<String, Object>> directory =
          List.of(
              map("id", "d1", "organization", "hr"),
              map("id", "m1", "organization", "hr", "manager", "d1"),
              employee);
      JsonNode team =
          hr.authorize(
              AuthorizeInput.builder(director, "users.read", employee, NOW)
                  .directory(directory)
                  .build());
      honoured(
          hr.authorize(director, "users.read", employee, NOW),
          team,
          hr.evaluate(
              "authorize",
              map(
                  "actor",
                  director,
                  "action",
                  "users.read",
                  "target",
                  employee,
                  "directory",
                  directory,
                  "now",
                  NOW),
              null),
          "directory");
      assertEquals("allow", team.get("decision").asText());
    }
    try (Warden crm = runtime.loadPreset("crm")) {
      Map<String, Object> mgr =
          map("id", "mgr", "organization", "co", "roles", List.of("salesManager"));
      Map<String, Object> sql = map("placeholder", "question");
      JsonNode question =
          crm.scope(ScopeInput.builder(mgr, "opportunities.read", NOW).sql(sql).build());
      honoured(
          crm.scope(mgr, "opportunities.read", NOW, true),
          question,
          crm.evaluate(
              "scope",
              map("actor", mgr, "action", "opportunities.read", "now", NOW, "sql", sql),
              null),
          "sql");
      assertTrue(question.at("/sql/sql").asText().contains("?"));
      assertEquals(
          crm.scope(mgr, "opportunities.read", NOW, true),
          crm.scope(ScopeInput.builder(mgr, "opportunities.read", NOW).sql().build()));
      assertFalse(crm.scope(ScopeInput.builder(mgr, "opportunities.read", NOW).build()).has("sql"));
    }
  }

  @Test
  void transitionAndLoginOptions() {
    try (Warden rent = runtime.loadPreset("rental-platform")) {
      Map<String, Object> request =
          map(
              "actor",
              map("id", "adm", "organization", "rent", "roles", List.of("administrator")),
              "target",
              map("id", "c1", "organization", "rent", "roles", List.of("customer")),
              "to",
              "suspended",
              "durationDays",
              7);
      Map<String, Object> withNow = new LinkedHashMap<>(request);
      withNow.put("now", NOW);
      honoured(
          rent.transition(request, NOW),
          rent.transition(TransitionInput.builder(request, NOW).lang("fr").build()),
          rent.evaluate("transition", withNow, "fr"),
          "lang");
      Map<String, Object> customer =
          map("id", "c1", "organization", "rent", "roles", List.of("customer"));
      Map<String, Object> facts =
          map(
              "failedAttempts",
              List.of(
                  "2026-11-22T09:55:00Z",
                  "2026-11-22T09:56:00Z",
                  "2026-11-22T09:57:00Z",
                  "2026-11-22T09:58:00Z",
                  "2026-11-22T09:59:00Z"));
      JsonNode locked = rent.login(LoginInput.builder(customer, NOW).facts(facts).build());
      honoured(
          rent.login(customer, null, NOW),
          locked,
          rent.evaluate("login", map("account", customer, "facts", facts, "now", NOW), null),
          "facts");
      assertEquals("locked", locked.at("/deny/code").asText());
    }
    try (Warden ppp = runtime.loadPreset("production-planner-pro")) {
      Map<String, Object> account = map("id", "u1", "organization", "acme", "status", "active");
      Map<String, Object> inactive = map("id", "acme", "active", false);
      honoured(
          ppp.login(LoginInput.builder(account, NOW).build()),
          ppp.login(LoginInput.builder(account, NOW).organization(inactive).build()),
          ppp.login(account, inactive, NOW),
          "organization");
    }
  }

  @Test
  void nullInputsAreInvalidInputAtTheirPath() {
    try (Warden w = runtime.loadPreset("production-planner-pro")) {
      Object[][] calls = {
        {"input", (WardenTest.Call) () -> w.validate((ValidateInput) null)},
        {
          "input.user",
          (WardenTest.Call) () -> w.validate(ValidateInput.builder(null, TODAY).build())
        },
        {
          "input.today",
          (WardenTest.Call) () -> w.validate(ValidateInput.builder(Map.of(), null).build())
        },
        {"input", (WardenTest.Call) () -> w.checkPasswordWith(null)},
        {
          "input.password",
          (WardenTest.Call) () -> w.checkPasswordWith(PasswordInput.builder(null).build())
        },
        {"input", (WardenTest.Call) () -> w.authorize((AuthorizeInput) null)},
        {
          "input.now",
          (WardenTest.Call)
              () -> w.authorize(AuthorizeInput.builder(Map.of(), "a", Map.of(), null).build())
        },
        {"input", (WardenTest.Call) () -> w.scope((ScopeInput) null)},
        {
          "input.actor", (WardenTest.Call) () -> w.scope(ScopeInput.builder(null, "a", NOW).build())
        },
        {"input", (WardenTest.Call) () -> w.transition(TransitionInput.builder(null, NOW).build())},
        {"input", (WardenTest.Call) () -> w.login((LoginInput) null)},
        {"input.account", (WardenTest.Call) () -> w.login(LoginInput.builder(null, NOW).build())},
      };
      for (Object[] c : calls) {
        WardenException e = assertThrows(WardenException.class, ((WardenTest.Call) c[1])::run);
        assertEquals("invalid_input", e.code());
        assertEquals(c[0], e.path());
      }
    }
  }

  @Test
  void loadOptionsAreHonoured() throws Exception {
    // poolSize: at most that many instances, whatever the runtime's pool size.
    try (Warden one = runtime.loadPreset("crm", LoadOptions.builder().poolSize(1).build())) {
      ExecutorService threads = Executors.newFixedThreadPool(4);
      try {
        List<Future<JsonNode>> results = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          results.add(threads.submit(() -> one.checkPassword("correct horse battery staple")));
        }
        for (Future<JsonNode> r : results) {
          assertTrue(r.get().has("valid"));
        }
      } finally {
        threads.shutdown();
      }
      assertEquals(1, one.pool.idleCount());
      // poolWait: with the one instance lent out, a call waits that long, then pool_timeout.
      try (Warden waits =
          runtime.loadPreset(
              "crm", LoadOptions.builder().poolSize(1).poolWait(Duration.ofMillis(50)).build())) {
        InstancePool.Loan held = waits.pool.borrow();
        try {
          long t0 = System.nanoTime();
          WardenFault f = assertThrows(WardenFault.class, () -> waits.checkPassword("x"));
          assertEquals("pool_timeout", f.code());
          assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
        } finally {
          held.close();
        }
      }
    }
    // timeout: the deadline of this policy's calls, not the runtime's (30 s).
    WardenFault f =
        assertThrows(
            WardenFault.class,
            () ->
                runtime.loadPreset(
                    "crm", LoadOptions.builder().timeout(Duration.ofMillis(1)).build()));
    assertEquals("deadline_exceeded", f.code());
    // null options are the defaults; invalid ones are refused, the first reported.
    try (Warden w = runtime.loadPreset("crm", null)) {
      assertTrue(w.checkPassword("correct horse battery staple").has("valid"));
    }
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class,
            () -> LoadOptions.builder().poolSize(0).timeout(Duration.ZERO).build());
    assertTrue(bad.getMessage().contains("pool size"), bad.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> LoadOptions.builder().poolWait(null).build());
    // The same check, the same message, for a policy and for the runtime.
    assertEquals(
        bad.getMessage(),
        assertThrows(
                IllegalArgumentException.class,
                () -> WardenRuntime.builder().poolSize(0).timeout(Duration.ZERO).build())
            .getMessage());
    assertEquals(
        "invalid Warden configuration: timeout PT-1S is not positive",
        assertThrows(
                IllegalArgumentException.class,
                () -> LoadOptions.builder().timeout(Duration.ofSeconds(-1)).build())
            .getMessage());
    assertEquals(
        "invalid Warden configuration: timeout PT-1S is not positive",
        assertThrows(
                IllegalArgumentException.class,
                () -> runtime.withLimits(WardenRuntime.DEFAULT_MAX_MEMORY, Duration.ofSeconds(-1)))
            .getMessage());
  }
}
