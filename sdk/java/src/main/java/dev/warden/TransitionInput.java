package dev.warden;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The input of {@link Warden#transition(TransitionInput)}: the request ({@code actor}, {@code
 * target}, {@code to}, and {@code reason}, {@code durationDays}, {@code directory}, ... as the
 * policy needs) and the time, and optionally the language (Python's {@code lang=}).
 *
 * <pre>{@code
 * w.transition(TransitionInput.builder(request, now).lang("fr").build());
 * }</pre>
 */
public final class TransitionInput {
  private final Map<String, ?> request;
  private final String now;
  private final String lang;

  private TransitionInput(Builder b) {
    this.request = b.request;
    this.now = b.now;
    this.lang = b.lang;
  }

  /**
   * A builder for a status change.
   *
   * @param request {@code actor}, {@code target}, {@code to}, and {@code reason}, ...
   * @param now the time, RFC 3339
   * @return the builder
   */
  public static Builder builder(Map<String, ?> request, String now) {
    return new Builder(request, now);
  }

  Map<String, Object> toInput() {
    Map<String, Object> input = new LinkedHashMap<>(Warden.required(request, "input"));
    input.put("now", now);
    return input;
  }

  String lang() {
    return lang;
  }

  /** Builds a {@link TransitionInput}. */
  public static final class Builder {
    private final Map<String, ?> request;
    private final String now;
    private String lang;

    private Builder(Map<String, ?> request, String now) {
      this.request = request;
      this.now = now;
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
    public TransitionInput build() {
      return new TransitionInput(this);
    }
  }
}
