package dev.warden;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The input of {@link Warden#scope(ScopeInput)}: actor, action and time, and optionally the SQL
 * rendering of the filter with its options (Python's {@code sql=}, Go's {@code ScopeInput.SQL}).
 *
 * <pre>{@code
 * w.scope(ScopeInput.builder(actor, "users.read", now).sql(Map.of("placeholder", "question")).build());
 * }</pre>
 */
public final class ScopeInput {
  private final Map<String, ?> actor;
  private final String action;
  private final String now;
  private final Map<String, ?> sql;

  private ScopeInput(Builder b) {
    this.actor = b.actor;
    this.action = b.action;
    this.now = b.now;
    this.sql = b.sql;
  }

  /**
   * A builder for an actor's scope of an action.
   *
   * @param actor who looks
   * @param action the action ({@code users.read})
   * @param now the time, RFC 3339
   * @return the builder
   */
  public static Builder builder(Map<String, ?> actor, String action, String now) {
    return new Builder(actor, action, now);
  }

  Map<String, Object> toInput() {
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("actor", Warden.required(actor, "input.actor"));
    input.put("action", Warden.required(action, "input.action"));
    input.put("now", Warden.required(now, "input.now"));
    if (sql != null) {
      input.put("sql", sql);
    }
    return input;
  }

  /** Builds a {@link ScopeInput}. */
  public static final class Builder {
    private final Map<String, ?> actor;
    private final String action;
    private final String now;
    private Map<String, ?> sql;

    private Builder(Map<String, ?> actor, String action, String now) {
      this.actor = actor;
      this.action = action;
      this.now = now;
    }

    /**
     * Also renders the filter as a parameterised SQL {@code WHERE} clause ({@code sql.sql}, {@code
     * sql.params}) with the default options.
     *
     * @return this builder
     */
    public Builder sql() {
      return sql(Map.of());
    }

    /**
     * Also renders the filter as SQL with these options ({@code idColumn}, {@code
     * organizationColumn}, {@code placeholder}, {@code subtree}, ...).
     *
     * @param options the options, or {@code null} for no SQL
     * @return this builder
     */
    public Builder sql(Map<String, ?> options) {
      this.sql = options;
      return this;
    }

    /**
     * The input.
     *
     * @return the input
     */
    public ScopeInput build() {
      return new ScopeInput(this);
    }
  }
}
