package dev.warden;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The input of {@link Warden#validate(ValidateInput)}: the record and today's date, and the
 * optional mode, facts, MFA flag and language (Python's keyword arguments, Go's {@code
 * ValidateInput}).
 *
 * <pre>{@code
 * w.validate(ValidateInput.builder(user, "2026-11-22").mode("update").lang("fr").build());
 * }</pre>
 */
public final class ValidateInput {
  private final Map<String, ?> user;
  private final String today;
  private final String mode;
  private final Map<String, ?> facts;
  private final boolean mfa;
  private final String lang;

  private ValidateInput(Builder b) {
    this.user = b.user;
    this.today = b.today;
    this.mode = b.mode;
    this.facts = b.facts;
    this.mfa = b.mfa;
    this.lang = b.lang;
  }

  /**
   * A builder for a record and today's date.
   *
   * @param user the record
   * @param today today's date, {@code YYYY-MM-DD}
   * @return the builder
   */
  public static Builder builder(Map<String, ?> user, String today) {
    return new Builder(user, today);
  }

  Map<String, Object> toInput() {
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("user", Warden.required(user, "input.user"));
    input.put("today", Warden.required(today, "input.today"));
    if (mode != null) {
      input.put("mode", mode);
    }
    if (facts != null) {
      input.put("facts", facts);
    }
    if (mfa) {
      input.put("mfa", true);
    }
    return input;
  }

  String lang() {
    return lang;
  }

  /** Builds a {@link ValidateInput}. */
  public static final class Builder {
    private final Map<String, ?> user;
    private final String today;
    private String mode;
    private Map<String, ?> facts;
    private boolean mfa;
    private String lang;

    private Builder(Map<String, ?> user, String today) {
      this.user = user;
      this.today = today;
    }

    /**
     * What the record is validated for: {@code create} (the default), {@code update}, {@code
     * reactivate}, {@code import}.
     *
     * @param mode the mode, or {@code null} for the default
     * @return this builder
     */
    public Builder mode(String mode) {
      this.mode = mode;
      return this;
    }

    /**
     * Answers to the policy's checks ({@code unique}, {@code exists}).
     *
     * @param facts the facts, or {@code null}
     * @return this builder
     */
    public Builder facts(Map<String, ?> facts) {
      this.facts = facts;
      return this;
    }

    /**
     * The account uses multi-factor authentication.
     *
     * @param mfa whether it does
     * @return this builder
     */
    public Builder mfa(boolean mfa) {
      this.mfa = mfa;
      return this;
    }

    /**
     * The language of the messages.
     *
     * @param lang {@code en}, {@code fr}, a tag the policy adds, or {@code null} for the default
     * @return this builder
     */
    public Builder lang(String lang) {
      this.lang = lang;
      return this;
    }

    /**
     * The input.
     *
     * @return the input
     */
    public ValidateInput build() {
      return new ValidateInput(this);
    }
  }
}
