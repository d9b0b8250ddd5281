package dev.warden;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The input of {@link Warden#checkPasswordWith(PasswordInput)}: the password, and the optional user
 * data it must not resemble, MFA flag and language (Python's keyword arguments, Go's {@code
 * PasswordInput}). {@link #toString()} never shows the password.
 *
 * <pre>{@code
 * w.checkPasswordWith(PasswordInput.builder(password).user(user).mfa(true).build());
 * }</pre>
 */
public final class PasswordInput {
  private final String password;
  private final Map<String, ?> user;
  private final boolean mfa;
  private final String lang;
  private final boolean userRequired;

  private PasswordInput(Builder b) {
    this.password = b.password;
    this.user = b.user;
    this.mfa = b.mfa;
    this.lang = b.lang;
    this.userRequired = b.userRequired;
  }

  /**
   * A builder for a password.
   *
   * @param password the password
   * @return the builder
   */
  public static Builder builder(String password) {
    return new Builder(password);
  }

  Map<String, Object> toInput() {
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("password", Warden.required(password, "input.password"));
    if (user != null || userRequired) {
      input.put("user", Warden.required(user, "input.user"));
    }
    if (mfa) {
      input.put("mfa", true);
    }
    return input;
  }

  String lang() {
    return lang;
  }

  /** The input without its password. */
  @Override
  public String toString() {
    return "PasswordInput{password=<redacted>, user="
        + (user == null ? 0 : user.size())
        + " fields, mfa="
        + mfa
        + ", lang="
        + lang
        + "}";
  }

  /** Builds a {@link PasswordInput}. */
  public static final class Builder {
    private final String password;
    private Map<String, ?> user;
    private boolean mfa;
    private String lang;
    private boolean userRequired;

    private Builder(String password) {
      this.password = password;
    }

    /**
     * The user's data is required ({@link Warden#checkPassword(String, Map)}): {@code null} is
     * refused at {@code input.user}, after the password.
     */
    Builder userRequired() {
      this.userRequired = true;
      return this;
    }

    /**
     * The user's own data the password must not resemble ({@code firstName}, {@code email}, ...).
     *
     * @param user the data, or {@code null}
     * @return this builder
     */
    public Builder user(Map<String, ?> user) {
      this.user = user;
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
    public PasswordInput build() {
      return new PasswordInput(this);
    }

    /** The builder without its password. */
    @Override
    public String toString() {
      return "PasswordInput.Builder{password=<redacted>}";
    }
  }
}
