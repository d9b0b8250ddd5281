package dev.warden;

import java.time.Duration;

/**
 * Options of one loaded policy ({@link WardenRuntime#loadPreset(String, LoadOptions)}, {@link
 * WardenRuntime#loadPolicy(String, LoadOptions)}): its pool's bound, the deadline of each of its
 * calls, and how long a call waits for a free instance. Unset options are the runtime's. (Python:
 * {@code pool_size}, {@code pool_timeout}; Go: {@code WithPoolSize}, {@code WithTimeout}, {@code
 * WithPoolWait}.)
 *
 * <pre>{@code
 * Warden w = rt.loadPreset("crm", LoadOptions.builder().poolSize(2).timeout(Duration.ofSeconds(5)).build());
 * }</pre>
 */
public final class LoadOptions {
  /**
   * No option set: the runtime's pool size and timeout, {@link WardenRuntime#DEFAULT_POOL_WAIT}.
   */
  public static final LoadOptions DEFAULTS = builder().build();

  private final int poolSize; // 0: the runtime's
  private final Duration timeout; // null: the runtime's
  private final Duration poolWait; // null: DEFAULT_POOL_WAIT

  private LoadOptions(Builder b) {
    this.poolSize = b.poolSize;
    this.timeout = b.timeout;
    this.poolWait = b.poolWait;
  }

  /**
   * A builder with no option set.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  int poolSize(int runtimes) {
    return poolSize > 0 ? poolSize : runtimes;
  }

  Duration timeout(Duration runtimes) {
    return timeout != null ? timeout : runtimes;
  }

  Duration poolWait() {
    return poolWait != null ? poolWait : WardenRuntime.DEFAULT_POOL_WAIT;
  }

  /** Builds {@link LoadOptions}; {@link #build()} reports the first invalid option. */
  public static final class Builder {
    private int poolSize;
    private Duration timeout;
    private Duration poolWait;
    private final OptionChecks checks = new OptionChecks();

    private Builder() {}

    /**
     * Bounds the instances of this policy's pool (default: the runtime's pool size).
     *
     * @param size at least 1
     * @return this builder
     */
    public Builder poolSize(int size) {
      if (checks.poolSize(size)) {
        this.poolSize = size;
      }
      return this;
    }

    /**
     * Bounds each call of this policy (default: the runtime's timeout).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      if (checks.timeout(timeout)) {
        this.timeout = timeout;
      }
      return this;
    }

    /**
     * How long a call waits for a free instance when the pool is at its bound (default {@link
     * WardenRuntime#DEFAULT_POOL_WAIT}); past it the call throws {@link WardenFault} {@code
     * pool_timeout}.
     *
     * @param wait a positive duration
     * @return this builder
     */
    public Builder poolWait(Duration wait) {
      if (checks.poolWait(wait)) {
        this.poolWait = wait;
      }
      return this;
    }

    /**
     * The options.
     *
     * @return the options
     * @throws IllegalArgumentException for the first invalid option
     */
    public LoadOptions build() {
      checks.throwFirst();
      return new LoadOptions(this);
    }
  }
}
