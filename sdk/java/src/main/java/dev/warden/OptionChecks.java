package dev.warden;

import java.time.Duration;

/**
 * The checks of the configuration options, each with its message, shared by {@link
 * WardenRuntime.Builder}, {@link WardenRuntime#withLimits} and {@link LoadOptions.Builder}. It
 * keeps the first failure; {@link #throwFirst()} reports it as an {@link IllegalArgumentException}.
 */
final class OptionChecks {
  private String first;

  /** Records a failure (the first one is kept); returns {@code false}. */
  boolean fail(String message) {
    if (first == null) {
      first = message;
    }
    return false;
  }

  /** A module's bytes: not empty. */
  boolean module(byte[] wasm) {
    return (wasm != null && wasm.length > 0) || fail("empty module");
  }

  /** An instance's memory cap: 64 KiB to 4 GiB. */
  boolean maxMemory(long bytes) {
    return (bytes >= 65536 && bytes <= (4L << 30))
        || fail("max memory " + bytes + " is outside 64 KiB..4 GiB");
  }

  /** A pool's bound: at least 1. */
  boolean poolSize(int size) {
    return size >= 1 || fail("pool size " + size + " is below 1");
  }

  /** The deadline of each call: positive. */
  boolean timeout(Duration timeout) {
    return positive(timeout) || fail("timeout " + timeout + " is not positive");
  }

  /** The wait for a free instance: positive. */
  boolean poolWait(Duration wait) {
    return positive(wait) || fail("pool wait " + wait + " is not positive");
  }

  private static boolean positive(Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }

  /**
   * Throws the first failure, if any.
   *
   * @throws IllegalArgumentException {@code invalid Warden configuration: } and the failure
   */
  void throwFirst() {
    if (first != null) {
      throw new IllegalArgumentException("invalid Warden configuration: " + first);
    }
  }
}
