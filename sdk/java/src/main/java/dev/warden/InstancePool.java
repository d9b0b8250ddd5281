package dev.warden;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A bounded, lazily filled pool of instances that all hold the same policy (or none). An instance
 * that saw a fault or an {@code Error} is discarded, and so is one whose memory a large request
 * grew past a quarter of the runtime's cap ({@link ModuleInstance#outgrown}).
 */
final class InstancePool implements AutoCloseable {
  private final WardenRuntime runtime;
  private final Object spec;
  private final Semaphore slots;
  private final Duration waitTimeout;
  private final ConcurrentLinkedDeque<Loan> idle = new ConcurrentLinkedDeque<>();
  private volatile boolean closed;

  InstancePool(WardenRuntime runtime, Object spec, int size, Duration waitTimeout) {
    this.runtime = runtime;
    this.spec = spec;
    this.slots = new Semaphore(size, true);
    this.waitTimeout = waitTimeout;
  }

  /** An instance lent for one or more calls: close it to give it back, or discard it. */
  final class Loan implements AutoCloseable {
    final ModuleInstance instance;
    final int handle;
    private boolean discarded;
    private boolean returned;

    Loan(ModuleInstance instance, int handle) {
      this.instance = instance;
      this.handle = handle;
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
      if (!discarded && !closed && !instance.outgrown()) {
        idle.push(new Loan(instance, handle));
      }
      slots.release();
    }
  }

  Loan borrow() {
    if (closed) {
      throw new WardenFault("closed", "this Warden was closed", null);
    }
    try {
      if (!slots.tryAcquire(waitTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new WardenFault("pool_timeout", "no free instance within " + waitTimeout, null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WardenFault("interrupted", "interrupted while waiting for an instance", e);
    }
    try {
      Loan item = idle.poll();
      if (item != null) {
        return item;
      }
      ModuleInstance instance = runtime.newInstance();
      int handle = spec == null ? 0 : instance.loadPolicy(spec);
      return new Loan(instance, handle);
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

  @Override
  public void close() {
    closed = true;
    idle.clear();
  }
}
