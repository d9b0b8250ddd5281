package dev.warden;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The input of {@link Warden#login(LoginInput)}: the account and the time, and optionally its
 * organization's state and the facts (failed attempts, password age, verification) (Python's {@code
 * organization=}, {@code facts=}; Go's {@code LoginInput}).
 *
 * <pre>{@code
 * w.login(LoginInput.builder(account, now).facts(Map.of("failedAttempts", attempts)).build());
 * }</pre>
 */
public final class LoginInput {
  private final Map<String, ?> account;
  private final String now;
  private final Map<String, ?> organization;
  private final Map<String, ?> facts;

  private LoginInput(Builder b) {
    this.account = b.account;
    this.now = b.now;
    this.organization = b.organization;
    this.facts = b.facts;
  }

  /**
   * A builder for an account logging in.
   *
   * @param account the account
   * @param now the time, RFC 3339
   * @return the builder
   */
  public static Builder builder(Map<String, ?> account, String now) {
    return new Builder(account, now);
  }

  Map<String, Object> toInput() {
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("account", Warden.required(account, "input.account"));
    if (organization != null) {
      input.put("organization", organization);
    }
    if (facts != null) {
      input.put("facts", facts);
    }
    input.put("now", Warden.required(now, "input.now"));
    return input;
  }

  /** Builds a {@link LoginInput}. */
  public static final class Builder {
    private final Map<String, ?> account;
    private final String now;
    private Map<String, ?> organization;
    private Map<String, ?> facts;

    private Builder(Map<String, ?> account, String now) {
      this.account = account;
      this.now = now;
    }

    /**
     * The organization's state ({@code id}, {@code active}).
     *
     * @param organization the state, or {@code null}
     * @return this builder
     */
    public Builder organization(Map<String, ?> organization) {
      this.organization = organization;
      return this;
    }

    /**
     * Failed attempts, password age, verification.
     *
     * @param facts the facts, or {@code null}
     * @return this builder
     */
    public Builder facts(Map<String, ?> facts) {
      this.facts = facts;
      return this;
    }

    /**
     * The input.
     *
     * @return the input
     */
    public LoginInput build() {
      return new LoginInput(this);
    }
  }
}
