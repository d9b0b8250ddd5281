package dev.warden;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A compiled policy: load once with {@link WardenRuntime#loadPreset} or {@link
 * WardenRuntime#loadPolicy}, then call from any thread.
 *
 * <p>Decisions are the contract's JSON as {@link JsonNode}s. A request that cannot be evaluated
 * throws {@link WardenException} (code, path, message, help); a call the module could not run
 * throws {@link WardenFault}. A {@code Warden} is thread-safe: each call borrows an instance from a
 * bounded pool, each instance holding the policy compiled once.
 */
public final class Warden implements AutoCloseable {
  final InstancePool pool; // package-private for tests

  Warden(WardenRuntime runtime, Object spec, int poolSize) {
    this.pool = new InstancePool(runtime, spec, poolSize, WardenRuntime.DEFAULT_POOL_WAIT);
    // Compile once now, so that a bad policy fails here and not at the first call.
    pool.borrow().close();
  }

  /**
   * Any request of the contract without {@code preset}/{@code policy}: {@code {op, lang?, input}}.
   *
   * @param request the request
   * @return the decision
   */
  public JsonNode evaluateRequest(Object request) {
    return pool.evaluate(request);
  }

  /**
   * Any operation of the contract ({@code import}, {@code bulk}, {@code delete}, ...).
   *
   * @param op the operation
   * @param input its input
   * @param lang {@code en}, {@code fr}, or {@code null} for the default
   * @return the decision
   */
  public JsonNode evaluate(String op, Object input, String lang) {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("op", op);
    if (lang != null) {
      request.put("lang", lang);
    }
    request.put("input", input);
    return evaluateRequest(request);
  }

  /**
   * Validates a user record: {@code valid}, {@code complete}, {@code violations}, {@code checks}.
   *
   * @param user the record
   * @param today today's date, {@code YYYY-MM-DD}
   * @return the decision
   */
  public JsonNode validate(Map<String, ?> user, String today) {
    return validate(user, today, null);
  }

  /**
   * Validates a user record, messages in {@code lang}.
   *
   * @param user the record
   * @param today today's date, {@code YYYY-MM-DD}
   * @param lang {@code en}, {@code fr}, or {@code null}
   * @return the decision
   */
  public JsonNode validate(Map<String, ?> user, String today, String lang) {
    return evaluate(
        "validate",
        Map.of("user", required(user, "input.user"), "today", required(today, "input.today")),
        lang);
  }

  /**
   * Checks a password on its own: {@code valid}, {@code violations}, {@code score}, {@code
   * checklist}.
   *
   * @param password the password
   * @return the decision
   */
  public JsonNode checkPassword(String password) {
    return evaluate("password", Map.of("password", required(password, "input.password")), null);
  }

  /**
   * Checks a password that must not resemble the user's own data.
   *
   * @param password the password
   * @param user the user's data ({@code firstName}, {@code email}, ...)
   * @return the decision
   */
  public JsonNode checkPassword(String password, Map<String, ?> user) {
    return evaluate(
        "password",
        Map.of(
            "password", required(password, "input.password"), "user", required(user, "input.user")),
        null);
  }

  /**
   * Decides one action: {@code decision} {@code allow} or {@code deny}.
   *
   * @param actor who acts
   * @param action the action ({@code users.read})
   * @param target the account acted on
   * @param now the time, RFC 3339
   * @return the decision
   */
  public JsonNode authorize(
      Map<String, ?> actor, String action, Map<String, ?> target, String now) {
    return evaluate(
        "authorize",
        Map.of(
            "actor", required(actor, "input.actor"),
            "action", required(action, "input.action"),
            "target", required(target, "input.target"),
            "now", required(now, "input.now")),
        null);
  }

  /**
   * The filter of targets the actor may reach, also rendered as a parameterised SQL {@code WHERE}
   * clause when {@code sql} ({@code sql.sql}, {@code sql.params}).
   *
   * @param actor who acts
   * @param action the action
   * @param now the time, RFC 3339
   * @param sql render the SQL clause (default options)
   * @return the decision
   */
  public JsonNode scope(Map<String, ?> actor, String action, String now, boolean sql) {
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("actor", actor);
    input.put("action", action);
    input.put("now", now);
    if (sql) {
      input.put("sql", Map.of());
    }
    return evaluate("scope", input, null);
  }

  /**
   * Moves an account to another status.
   *
   * @param request {@code actor}, {@code target}, {@code to}, and {@code reason}, {@code
   *     durationDays}, {@code directory}, ... as the policy needs
   * @param now the time, RFC 3339
   * @return the decision
   */
  public JsonNode transition(Map<String, ?> request, String now) {
    Map<String, Object> input = new LinkedHashMap<>(required(request, "input"));
    input.put("now", now);
    return evaluate("transition", input, null);
  }

  /**
   * The login gate: may this account log in now.
   *
   * @param account the account
   * @param organization its organization, or {@code null}
   * @param now the time, RFC 3339
   * @return the decision
   */
  public JsonNode login(Map<String, ?> account, Map<String, ?> organization, String now) {
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("account", account);
    if (organization != null) {
      input.put("organization", organization);
    }
    input.put("now", now);
    return evaluate("login", input, null);
  }

  /**
   * A required argument: {@code null} is refused as {@code invalid_input} at its path in the
   * request, as the module refuses any other value of the wrong type (never a bare {@link
   * NullPointerException}).
   */
  static <T> T required(T value, String path) {
    if (value == null) {
      throw new WardenException("invalid_input", path, "is required (null was given)", null);
    }
    return value;
  }

  /** Drops the pooled instances; later calls throw {@link WardenFault} {@code closed}. */
  @Override
  public void close() {
    pool.close();
  }
}
