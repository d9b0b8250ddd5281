package dev.warden;

/**
 * The module could not run the call; the instance that ran it is discarded.
 *
 * <p>Codes, mapped from the exception type, never its message (the same event has the same code in
 * the Python and Go SDKs): {@code deadline_exceeded} (the call ran past its timeout and was
 * interrupted), {@code aborted} (the module stopped itself with an {@code unreachable} trap: an
 * allocation inside the call went past the memory cap, or another of its panics), {@code trap} (any
 * other Chicory trap or runtime failure), {@code stack_overflow}, {@code alloc_failed} (no room for
 * a request within {@link WardenRuntime#MAX_REQUEST_BYTES}: the memory could not grow), {@code
 * abi_mismatch}, {@code bad_output}, {@code instantiation_failed} (the module cannot be read,
 * parsed or instantiated), {@code pool_timeout} (no free instance within the pool wait), {@code
 * interrupted} (the calling thread was interrupted), {@code closed} ({@link #CLOSED}).
 */
public class WardenFault extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * The code of a call on a closed {@link Warden} or {@link WardenRuntime} (or on a Warden of a
   * closed runtime).
   */
  public static final String CLOSED = "closed";

  private final String code;

  /**
   * A fault.
   *
   * @param code the code
   * @param message what happened
   * @param cause the runtime's exception, or {@code null}
   */
  public WardenFault(String code, String message, Throwable cause) {
    super(code + ": " + message, cause);
    this.code = code;
  }

  /**
   * The code.
   *
   * @return the code
   */
  public String code() {
    return code;
  }
}
