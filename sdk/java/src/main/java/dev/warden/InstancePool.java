package dev.warden;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A bounded, lazily filled pool of instances that all hold the same policy (or none). An instance
 * that saw a fault or an {@code Error} is discarded, and so is one whose memory a large request
 * grew past a quarter of the runtime's cap ({@link ModuleInstance#outgrown}). Once the pool or its
 * runtime is closed, borrowing throws {@link WardenFault} {@link WardenFault#CLOSED}; a loan out
 * completes and its instance is dropped when returned.
 */
final class InstancePool implements AutoCloseable {
  private final WardenRuntime runtime;
  private final Object spec;
  private final Semaphore slots;
  private final Duration waitTimeout;
  private final Duration callTimeout;
  private final ConcurrentLinkedDeque<Loan> idle = new ConcurrentLinkedDeque<>();
  private volatile boolean closed;

  InstancePool(
      WardenRuntime runtime, Object spec, int size, Duration waitTimeout, Duration callTimeout) {
    this.runtime = runtime;
    this.spec = spec;
    this.slots = new Semaphore(size, true);
    this.waitTimeout = waitTimeout;
    this.callTimeout = callTimeout;
    runtime.register(this);
  }

  /** An instance lent for one or more calls: close it to give it back, or discard it. */
  final class Loan implements AutoCloseable {
    final ModuleInstance instance;
    final int handle;
    final String policy; // the policy's hash as the module reported it; null without a policy
    private boolean discarded;
    private boolean returned;

    Loan(ModuleInstance instance, int handle, String policy) {
      this.instance = instance;
      this.handle = handle;
      this.policy = policy;
    }

    /** Drops the instance instead of returning it (after a fault). */
    void discard() {
      discarded = true;
    }

    @Override
    public void close() {
      if (returned) {
        return;
      }
      returned = true;
      if (!discarded && !instance.outgrown()) {
        synchronized (InstancePool.this) { // ordered against close's drain
          if (!closed && !runtime.isClosed()) {
            idle.push(new Loan(instance, handle, policy));
          }
        }
      }
      slots.release();
    }
  }

  private void checkOpen() {
    if (runtime.isClosed()) {
      throw new WardenFault(WardenFault.CLOSED, "the runtime was closed", null);
    }
    if (closed) {
      throw new WardenFault(WardenFault.CLOSED, "this Warden was closed", null);
    }
  }

  Loan borrow() {
    checkOpen();
    try {
      if (!slots.tryAcquire(waitTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new WardenFault("pool_timeout", "no free instance within " + waitTimeout, null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WardenFault("interrupted", "interrupted while waiting for an instance", e);
    }
    try {
      checkOpen(); // closed while this borrower waited for a slot
      Loan item = idle.poll();
      if (item != null) {
        return item;
      }
      ModuleInstance instance = runtime.newInstance(callTimeout);
      if (spec == null) {
        return new Loan(instance, 0, null);
      }
      ModuleInstance.Loaded loaded = instance.loadPolicy(spec);
      return new Loan(instance, loaded.handle(), loaded.policy());
    } catch (Throwable e) { // an Error too: the slot must not leak
      slots.release();
      throw e;
    }
  }

  /**
   * Evaluates a request on a lent instance. Only a refusal ({@link WardenException}) leaves the
   * instance in the pool: after anything else (a fault, an {@link Error} such as {@link
   * OutOfMemoryError} half-way through a call) its state may be inconsistent and it is discarded. A
   * {@link RuntimeException} of the runtime becomes a {@link WardenFault}; an {@link Error} is
   * rethrown as is.
   */
  com.fasterxml.jackson.databind.JsonNode evaluate(Object request) {
    try (Loan loan = borrow()) {
      try {
        return loan.instance.evaluate(loan.handle, request);
      } catch (WardenException e) {
        throw e;
      } catch (WardenFault | Error e) {
        loan.discard();
        throw e;
      } catch (RuntimeException e) {
        loan.discard();
        throw new WardenFault("trap", "the call failed", e);
      }
    }
  }

  /** The number of idle instances (for tests). */
  int idleCount() {
    return idle.size();
  }

  /** Drops the idle instances; idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    idle.clear();
  }
}
