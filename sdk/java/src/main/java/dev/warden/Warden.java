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
 * bounded pool, each instance holding the policy compiled once. Once it (or its runtime) is closed,
 * every call throws {@link WardenFault} with code {@link WardenFault#CLOSED}.
 *
 * <p>Each operation has a short form with the required arguments and a form that takes an input
 * object with every option ({@link ValidateInput}, {@link PasswordInput} through {@link
 * #checkPasswordWith}, {@link AuthorizeInput}, {@link ScopeInput}, {@link TransitionInput}, {@link
 * LoginInput}).
 */
public final class Warden implements AutoCloseable {
  final InstancePool pool; // package-private for tests
  private final String policyHash;

  Warden(WardenRuntime runtime, Object spec, int poolSize, LoadOptions options) {
    this.pool =
        new InstancePool(
            runtime,
            spec,
            options.poolSize(poolSize),
            options.poolWait(),
            options.timeout(runtime.timeout()));
    // Compile once now, so that a bad policy fails here and not at the first call.
    try (InstancePool.Loan loan = pool.borrow()) {
      this.policyHash = loan.policy;
    }
  }

  /**
   * The policy's hash ({@code sha256:} and 64 hex digits) as the module reported it on loading: the
   * hash every decision carries in {@code policy}. (The module exposes no name or version of the
   * policy.)
   *
   * @return the hash
   */
  public String policyHash() {
    return policyHash;
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
    return validate(ValidateInput.builder(user, today).build());
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
    return validate(ValidateInput.builder(user, today).lang(lang).build());
  }

  /**
   * Validates a user record with the options of {@link ValidateInput} (mode, facts, MFA, language).
   *
   * @param input the record, today's date and the options
   * @return the decision
   */
  public JsonNode validate(ValidateInput input) {
    ValidateInput in = required(input, "input");
    return evaluate("validate", in.toInput(), in.lang());
  }

  /**
   * Checks a password on its own: {@code valid}, {@code violations}, {@code score}, {@code
   * checklist}.
   *
   * @param password the password
   * @return the decision
   */
  public JsonNode checkPassword(String password) {
    return checkPasswordWith(PasswordInput.builder(password).build());
  }

  /**
   * Checks a password that must not resemble the user's own data.
   *
   * @param password the password
   * @param user the user's data ({@code firstName}, {@code email}, ...)
   * @return the decision
   */
  public JsonNode checkPassword(String password, Map<String, ?> user) {
    return checkPasswordWith(PasswordInput.builder(password).user(user).userRequired().build());
  }

  /**
   * Checks a password with the options of {@link PasswordInput} (user data, MFA, language). Not an
   * overload of {@code checkPassword}: one would make {@code checkPassword(null)} ambiguous and so
   * break the source of existing callers.
   *
   * @param input the password and the options
   * @return the decision
   */
  public JsonNode checkPasswordWith(PasswordInput input) {
    PasswordInput in = required(input, "input");
    return evaluate("password", in.toInput(), in.lang());
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
    return authorize(AuthorizeInput.builder(actor, action, target, now).build());
  }

  /**
   * Decides one action with the options of {@link AuthorizeInput} (role change, directory).
   *
   * @param input the action and the options
   * @return the decision
   */
  public JsonNode authorize(AuthorizeInput input) {
    return evaluate("authorize", required(input, "input").toInput(), null);
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
    ScopeInput.Builder b = ScopeInput.builder(actor, action, now);
    return scope((sql ? b.sql() : b).build());
  }

  /**
   * The filter of targets the actor may reach, with the SQL options of {@link ScopeInput}.
   *
   * @param input the actor, action, time and SQL options
   * @return the decision
   */
  public JsonNode scope(ScopeInput input) {
    return evaluate("scope", required(input, "input").toInput(), null);
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
    return transition(TransitionInput.builder(request, now).build());
  }

  /**
   * Moves an account to another status, messages in the language of {@link TransitionInput}.
   *
   * @param input the request, the time and the language
   * @return the decision
   */
  public JsonNode transition(TransitionInput input) {
    TransitionInput in = required(input, "input");
    return evaluate("transition", in.toInput(), in.lang());
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
    return login(LoginInput.builder(account, now).organization(organization).build());
  }

  /**
   * The login gate with the options of {@link LoginInput} (organization, facts).
   *
   * @param input the account, the time and the options
   * @return the decision
   */
  public JsonNode login(LoginInput input) {
    return evaluate("login", required(input, "input").toInput(), null);
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

  /**
   * Drops the pooled instances; later calls throw {@link WardenFault} {@link WardenFault#CLOSED},
   * calls in flight complete. Closing again does nothing.
   */
  @Override
  public void close() {
    pool.close();
  }
}
