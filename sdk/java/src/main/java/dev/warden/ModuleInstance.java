package dev.warden;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/** One instance of the module (component/ABI.md); one thread at a time (pools lend it out). */
final class ModuleInstance {
  static final int ABI_MAJOR = 1;
  private static final int STATUS_OK = 0;
  private static final int STATUS_ERROR = 1;
  private static final int PAGE = 65536;

  /**
   * Fires the deadlines of calls. Cancelled timers (every call that finishes in time) are removed
   * from its queue at once, not kept until their delay expires.
   */
  static final ScheduledThreadPoolExecutor WATCHDOG = watchdog();

  private static ScheduledThreadPoolExecutor watchdog() {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "warden-deadline");
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }

  private final ObjectMapper json;
  private final Duration timeout;
  private final Instance instance;
  private final Memory memory;
  private final ExportFunction alloc;
  private final ExportFunction free;
  private final ExportFunction load;
  private final ExportFunction unload;
  private final ExportFunction evaluate;
  private final ExportFunction output;
  private int buf;
  private int cap;

  /** The most memory (bytes) a pool keeps idle: a quarter of the cap. */
  private final long retain;

  ModuleInstance(
      WasmModule module,
      Function<Instance, Machine> machines,
      long maxMemory,
      Duration timeout,
      ObjectMapper json) {
    this.json = json;
    this.timeout = timeout;
    this.retain = maxMemory / 4;
    int initial =
        module
            .memorySection()
            .map(s -> s.memoryCount() > 0 ? s.getMemory(0).limits().initialPages() : 0)
            .orElse(0);
    int max = (int) Math.min(maxMemory / PAGE, MemoryLimits.MAX_PAGES);
    if (initial > max) {
      throw new WardenFault(
          "instantiation_failed",
          "the module needs " + initial + " pages of memory, above the cap of " + max,
          null);
    }
    try {
      Instance.Builder builder =
          Instance.builder(module).withMemoryLimits(new MemoryLimits(initial, max));
      if (machines != null) {
        builder.withMachineFactory(machines);
      }
      this.instance = builder.build();
    } catch (ChicoryException e) {
      throw new WardenFault("instantiation_failed", "the module cannot be instantiated", e);
    }
    this.memory = instance.memory();
    checkAbi();
    this.alloc = function("warden_alloc");
    this.free = function("warden_free");
    this.load = function("warden_policy_load");
    this.unload = function("warden_policy_free");
    this.evaluate = function("warden_evaluate");
    this.output = function("warden_output");
  }

  /**
   * Whether a call grew this instance's memory past what a pool keeps idle (wasm memory never
   * shrinks: one large request would hold it for the pool's life).
   */
  boolean outgrown() {
    return (long) memory.pages() * PAGE > retain;
  }

  private ExportFunction function(String name) {
    try {
      return instance.export(name);
    } catch (ChicoryException e) {
      throw new WardenFault("abi_mismatch", "the module does not export " + name, e);
    }
  }

  /** Reads the version globals first: each holds the address of a little-endian u32. */
  private void checkAbi() {
    int[] version = new int[2];
    String[] names = {"warden_abi_major", "warden_abi_minor"};
    for (int i = 0; i < 2; i++) {
      try {
        GlobalInstance g = instance.exports().global(names[i]);
        version[i] = memory.readInt((int) g.getValue());
      } catch (RuntimeException e) {
        throw new WardenFault("abi_mismatch", "the module exports no Warden ABI version", e);
      }
    }
    if (version[0] != ABI_MAJOR) {
      throw new WardenFault(
          "abi_mismatch",
          "the module speaks ABI "
              + version[0]
              + "."
              + version[1]
              + "; this SDK speaks "
              + ABI_MAJOR
              + ".x",
          null);
    }
  }

  /** Calls an export under the deadline; maps failures by exception type, never message. */
  private long call(ExportFunction f, long... args) {
    Thread self = Thread.currentThread();
    Object lock = new Object();
    boolean[] state = new boolean[2]; // [done, fired]
    ScheduledFuture<?> timer =
        WATCHDOG.schedule(
            () -> {
              synchronized (lock) {
                if (!state[0]) {
                  state[1] = true;
                  self.interrupt();
                }
              }
            },
            timeout.toNanos(),
            TimeUnit.NANOSECONDS);
    try {
      long[] result = f.apply(args);
      return result == null || result.length == 0 ? 0 : result[0];
    } catch (ChicoryInterruptedException e) {
      boolean fired;
      synchronized (lock) {
        fired = state[1];
      }
      throw fired
          ? new WardenFault("deadline_exceeded", "the call ran past " + timeout, e)
          : new WardenFault("interrupted", "the calling thread was interrupted", e);
    } catch (TrapException e) {
      // Chicory's type for an `unreachable` trap, which the module raises when an allocation
      // inside the call goes past the memory cap (component/ABI.md): "aborted", as in Python
      // and Go.
      throw new WardenFault("aborted", "the module aborted (an unreachable trap)", e);
    } catch (ChicoryException e) {
      throw new WardenFault("trap", "the module trapped", e);
    } catch (StackOverflowError e) {
      throw new WardenFault("stack_overflow", "the module exhausted the stack", e);
    } catch (RuntimeException e) {
      // Anything else the runtime throws (an out-of-bounds access in compiled code, ...).
      throw new WardenFault("trap", "the module failed", e);
    } finally {
      synchronized (lock) {
        state[0] = true;
      }
      timer.cancel(false);
      if (state[1]) {
        Thread.interrupted(); // clear our own interrupt, never the caller's
      }
    }
  }

  /**
   * Refuses a request above {@link WardenRuntime#MAX_REQUEST_BYTES} as {@link WardenException}
   * {@code limit_exceeded} at {@code ""}: a refusal of the request, not a fault, so the instance
   * that would have run it stays in its pool.
   */
  private static void checkSize(byte[] data) {
    if (data.length > WardenRuntime.MAX_REQUEST_BYTES) {
      throw new WardenException(
          "limit_exceeded",
          "",
          "a request has at most "
              + WardenRuntime.MAX_REQUEST_BYTES
              + " bytes; this one has "
              + data.length,
          null);
    }
  }

  /** Writes an encoded request into the instance's buffer; the size is checked before any call. */
  private int write(byte[] data) {
    checkSize(data); // a refusal leaves the instance as it was
    if (data.length > cap) {
      if (buf != 0) {
        call(free, buf, cap);
        buf = 0;
        cap = 0;
      }
      int size = Math.max(data.length, 4096);
      int ptr = (int) call(alloc, size);
      if (ptr == 0) { // below the module's limit: its memory could not grow
        throw new WardenFault(
            "alloc_failed", "no room for a request of " + data.length + " bytes", null);
      }
      buf = ptr;
      cap = size;
    }
    memory.write(buf, data);
    return buf;
  }

  private JsonNode result(long status) {
    long packed = call(output);
    int ptr = (int) (packed >>> 32);
    int len = (int) packed;
    JsonNode value;
    try {
      value = json.readTree(memory.readBytes(ptr, len));
    } catch (IOException | RuntimeException e) {
      throw new WardenFault("bad_output", "the module's output is not JSON", e);
    }
    if (status == STATUS_OK) {
      return value;
    }
    if (status == STATUS_ERROR) {
      WardenException error = WardenException.fromEnvelope(value);
      if (error == null) {
        throw new WardenFault(
            "bad_output",
            "not an error envelope (" + value.toString().length() + " characters)",
            null);
      }
      throw error;
    }
    throw new WardenFault("bad_output", "unknown status " + status, null);
  }

  /**
   * The request as UTF-8 JSON, written through a {@link CheckedGenerator}: what JSON cannot carry
   * as written (a NaN, an infinity, a lone surrogate) is refused as {@code invalid_input} at its
   * path, as the Python and Go SDKs refuse it.
   */
  private byte[] encode(Object request) {
    return encode(json, request);
  }

  /** {@link #encode(Object)} with the runtime's mapper, without an instance. */
  static byte[] encode(ObjectMapper json, Object request) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = new CheckedGenerator(json.createGenerator(out, JsonEncoding.UTF8))) {
      json.writeValue(g, request);
    } catch (IOException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof CheckedGenerator.Unencodable u) {
          throw new WardenException("invalid_input", u.path, u.reason, null);
        }
      }
      // The field Jackson could not write, as the other SDKs name it; the cause kept.
      String path =
          e instanceof JsonMappingException m
              ? m.getPath().stream()
                  .map(
                      r ->
                          r.getFieldName() != null
                              ? "." + r.getFieldName()
                              : "[" + r.getIndex() + "]")
                  .collect(Collectors.joining())
                  .replaceFirst("^\\.", "")
              : "";
      WardenException x =
          new WardenException("invalid_input", path, "the request cannot be encoded as JSON", null);
      x.initCause(e);
      throw x;
    }
    return out.toByteArray();
  }

  /** The module's answer to {@code warden_policy_load}: the handle and the policy's hash. */
  record Loaded(int handle, String policy) {}

  Loaded loadPolicy(Object spec) {
    byte[] data = encode(spec);
    int ptr = write(data);
    JsonNode loaded = result(call(load, ptr, data.length));
    JsonNode handle = loaded.get("handle");
    JsonNode policy = loaded.get("policy");
    if (handle == null
        || !handle.canConvertToInt()
        || handle.asInt() == 0
        || policy == null
        || !policy.isTextual()
        || policy.asText().isEmpty()) {
      throw new WardenFault("bad_output", "not a load result: " + loaded, null);
    }
    return new Loaded(handle.asInt(), policy.asText());
  }

  void unloadPolicy(int handle) {
    result(call(unload, handle));
  }

  JsonNode evaluate(int handle, Object request) {
    byte[] data = encode(request);
    int ptr = write(data);
    return result(call(evaluate, handle, ptr, data.length));
  }
}
