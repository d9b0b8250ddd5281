package dev.warden;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The input of {@link Warden#authorize(AuthorizeInput)}: actor, action, target and time, and the
 * optional role change and directory (Python's {@code change=}, {@code directory=}; Go's {@code
 * AuthorizeInput}).
 *
 * <pre>{@code
 * w.authorize(AuthorizeInput.builder(actor, "roles.assign", target, now)
 *     .change(Map.of("add", List.of("hrAdmin"))).build());
 * }</pre>
 */
public final class AuthorizeInput {
  private final Map<String, ?> actor;
  private final String action;
  private final Map<String, ?> target;
  private final String now;
  private final Map<String, ?> change;
  private final List<? extends Map<String, ?>> directory;

  private AuthorizeInput(Builder b) {
    this.actor = b.actor;
    this.action = b.action;
    this.target = b.target;
    this.now = b.now;
    this.change = b.change;
    this.directory = b.directory;
  }

  /**
   * A builder for one action.
   *
   * @param actor who acts
   * @param action the action ({@code users.read})
   * @param target the account acted on
   * @param now the time, RFC 3339
   * @return the builder
   */
  public static Builder builder(
      Map<String, ?> actor, String action, Map<String, ?> target, String now) {
    return new Builder(actor, action, target, now);
  }

  Map<String, Object> toInput() {
    Map<String, Object> input = new LinkedHashMap<>();
    input.put("actor", Warden.required(actor, "input.actor"));
    input.put("action", Warden.required(action, "input.action"));
    input.put("target", Warden.required(target, "input.target"));
    if (change != null) {
      input.put("change", change);
    }
    if (directory != null) {
      input.put("directory", directory);
    }
    input.put("now", Warden.required(now, "input.now"));
    return input;
  }

  /** Builds an {@link AuthorizeInput}. */
  public static final class Builder {
    private final Map<String, ?> actor;
    private final String action;
    private final Map<String, ?> target;
    private final String now;
    private Map<String, ?> change;
    private List<? extends Map<String, ?>> directory;

    private Builder(Map<String, ?> actor, String action, Map<String, ?> target, String now) {
      this.actor = actor;
      this.action = action;
      this.target = target;
      this.now = now;
    }

    /**
     * The roles the action grants or withdraws ({@code {"add": [...], "remove": [...]}}).
     *
     * @param change the change, or {@code null}
     * @return this builder
     */
    public Builder change(Map<String, ?> change) {
      this.change = change;
      return this;
    }

    /**
     * The directory rows ({@code id}, {@code manager}, ...) for {@code team} scopes.
     *
     * @param directory the rows, or {@code null}
     * @return this builder
     */
    public Builder directory(List<? extends Map<String, ?>> directory) {
      this.directory = directory;
      return this;
    }

    /**
     * The input.
     *
     * @return the input
     */
    public AuthorizeInput build() {
      return new AuthorizeInput(this);
    }
  }
}
