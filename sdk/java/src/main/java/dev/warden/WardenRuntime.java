package dev.warden;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Function;

/**
 * The parsed module and the limits of its instances. Parse once per process and share it: it is
 * thread-safe. {@link #close()} drops the instances of the runtime and of every {@link Warden}
 * loaded on it; later calls of either throw {@link WardenFault} {@link WardenFault#CLOSED}.
 *
 * <pre>{@code
 * WardenRuntime rt = WardenRuntime.builder().build();   // the packaged module
 * try (Warden w = rt.loadPreset("production-planner-pro")) {
 *   JsonNode d = w.validate(user, "2026-11-22");
 * }
 * }</pre>
 */
public final class WardenRuntime implements AutoCloseable {
  /** Default cap of each instance's memory: 256 MiB. */
  public static final long DEFAULT_MAX_MEMORY = 256L << 20;

  /** Default deadline of each call (Chicory has no fuel: a deadline is the finite budget). */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** Default time to wait for a free instance of a pool. */
  public static final Duration DEFAULT_POOL_WAIT = Duration.ofSeconds(30);

  /**
   * The largest request the module takes, in bytes of its JSON encoding: 64 MiB, the module's
   * {@code MAX_INPUT_BYTES} (the largest buffer {@code warden_alloc} hands out). A larger request
   * is refused before it is written into an instance, as {@link WardenException} {@code
   * limit_exceeded} at path {@code ""}; the instance stays in its pool.
   */
  public static final int MAX_REQUEST_BYTES = 64 << 20;

  private final WasmModule module;
  private final Function<Instance, Machine> machines;
  private final long maxMemory;
  private final Duration timeout;
  private final int poolSize;

  /**
   * The largest string the module's output may hold: its input bound (64 MiB per buffer, {@code
   * component/ABI.md}), since a decision may echo an input value. Jackson's default (20 million
   * characters) is below it.
   */
  static final int MAX_OUTPUT_STRING = 64 << 20;

  private final ObjectMapper json = mapper();

  /**
   * The mapper of requests and decisions: decisions may hold strings up to {@link
   * #MAX_OUTPUT_STRING}; a request's {@code char[]} and null map keys are refused at their path
   * ({@link CheckedGenerator}), not written as a string and as the key {@code "null"}.
   */
  private static ObjectMapper mapper() {
    ObjectMapper mapper =
        new ObjectMapper(
            JsonFactory.builder()
                .streamReadConstraints(
                    StreamReadConstraints.builder().maxStringLength(MAX_OUTPUT_STRING).build())
                .build());
    SimpleModule refusals = new SimpleModule("warden-refusals");
    refusals.addSerializer(
        char[].class,
        new StdSerializer<char[]>(char[].class) {
          private static final long serialVersionUID = 1L;

          @Override
          public void serialize(char[] value, JsonGenerator g, SerializerProvider p)
              throws IOException {
            throw CheckedGenerator.refusal(g, CheckedGenerator.CHARS);
          }
        });
    mapper.registerModule(refusals);
    mapper
        .getSerializerProvider()
        .setNullKeySerializer(
            new StdSerializer<Object>(Object.class) {
              private static final long serialVersionUID = 1L;

              @Override
              public void serialize(Object value, JsonGenerator g, SerializerProvider p)
                  throws IOException {
                throw CheckedGenerator.nullKey(g);
              }
            });
    return mapper;
  }

  /** The pools of this runtime (its Wardens' and the one-shot one), closed with it. */
  private final Set<InstancePool> pools =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  private volatile boolean closed;
  private final InstancePool raw;

  private WardenRuntime(Builder b) {
    this(b.module, b.machines, b.maxMemory, b.timeout, b.poolSize);
  }

  private WardenRuntime(
      WasmModule module,
      Function<Instance, Machine> machines,
      long maxMemory,
      Duration timeout,
      int poolSize) {
    this.module = module;
    this.machines = machines;
    this.maxMemory = maxMemory;
    this.timeout = timeout;
    this.poolSize = poolSize;
    this.raw = new InstancePool(this, null, poolSize, DEFAULT_POOL_WAIT, timeout);
  }

  /**
   * The same parsed and compiled module with other limits (no recompilation).
   *
   * @param maxMemory the memory cap of each instance, 64 KiB to 4 GiB
   * @param timeout the deadline of each call, positive
   * @return a runtime sharing this one's module
   * @throws IllegalArgumentException for an invalid limit
   */
  public WardenRuntime withLimits(long maxMemory, Duration timeout) {
    OptionChecks checks = new OptionChecks();
    checks.maxMemory(maxMemory);
    checks.timeout(timeout);
    checks.throwFirst();
    return new WardenRuntime(module, machines, maxMemory, timeout, poolSize);
  }

  /**
   * A builder with the defaults: the packaged module, {@link #DEFAULT_MAX_MEMORY}, {@link
   * #DEFAULT_TIMEOUT}, a pool of the number of processors.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of a {@link WardenRuntime}; {@link #build()} reports the first invalid one. */
  public static final class Builder {
    private WasmModule module;
    private Function<Instance, Machine> machines;
    private boolean compile = true;
    private byte[] wasm;
    private long maxMemory = DEFAULT_MAX_MEMORY;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int poolSize = Runtime.getRuntime().availableProcessors();
    private final OptionChecks checks = new OptionChecks();

    private Builder() {}

    /**
     * Runs another build of the module instead of the packaged one.
     *
     * @param wasm the module's bytes
     * @return this builder
     */
    public Builder module(byte[] wasm) {
      if (checks.module(wasm)) {
        this.wasm = wasm.clone();
      }
      return this;
    }

    /**
     * Translates the module to JVM bytecode once, at {@link #build()} (the default; seconds at
     * start, then fast calls), or runs it in Chicory's interpreter ({@code false}: instant start,
     * calls about 10 times slower).
     *
     * @param compile whether to compile
     * @return this builder
     */
    public Builder compile(boolean compile) {
      this.compile = compile;
      return this;
    }

    /**
     * Caps each instance's memory (rounded down to 64 KiB pages).
     *
     * @param bytes the cap, 64 KiB to 4 GiB
     * @return this builder
     */
    public Builder maxMemory(long bytes) {
      if (checks.maxMemory(bytes)) {
        this.maxMemory = bytes;
      }
      return this;
    }

    /**
     * Bounds each call; past it the call is interrupted.
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
     * Bounds the instances of each pool (each {@link Warden}, and the one-shot pool).
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
     * Parses the module.
     *
     * @return the runtime
     * @throws IllegalArgumentException for the first invalid option
     * @throws WardenFault when the module cannot be read or parsed
     */
    public WardenRuntime build() {
      checks.throwFirst();
      byte[] bytes = wasm != null ? wasm : packagedModule();
      try {
        module = Parser.parse(bytes);
        machines = compile ? MachineFactoryCompiler.compile(module) : null;
      } catch (ChicoryException e) {
        throw new WardenFault("instantiation_failed", "the module cannot be parsed", e);
      }
      return new WardenRuntime(this);
    }

    private static byte[] packagedModule() {
      try (InputStream in = WardenRuntime.class.getResourceAsStream("/warden/warden.wasm")) {
        if (in == null) {
          throw new WardenFault(
              "instantiation_failed",
              "warden/warden.wasm is not on the classpath (run scripts/build-module.sh)",
              null);
        }
        return in.readAllBytes();
      } catch (IOException e) {
        throw new WardenFault("instantiation_failed", "cannot read warden/warden.wasm", e);
      }
    }
  }

  ModuleInstance newInstance(Duration callTimeout) {
    return new ModuleInstance(module, machines, maxMemory, callTimeout, json);
  }

  Duration timeout() {
    return timeout;
  }

  void register(InstancePool pool) {
    pools.add(pool);
  }

  ObjectMapper json() {
    return json;
  }

  /**
   * Compiles a preset by name ({@code "crm"}) or seed number ({@code "003"}).
   *
   * @param name the preset
   * @return the compiled policy
   * @throws WardenException {@code policy_error} for an unknown preset
   */
  public Warden loadPreset(String name) {
    return loadPreset(name, LoadOptions.DEFAULTS);
  }

  /**
   * Compiles a preset with the options of its pool.
   *
   * @param name the preset
   * @param options pool size, call timeout, pool wait ({@code null}: the defaults)
   * @return the compiled policy
   * @throws WardenException {@code policy_error} for an unknown preset
   */
  public Warden loadPreset(String name, LoadOptions options) {
    return new Warden(
        this, Map.of("preset", Warden.required(name, "preset")), poolSize, orDefaults(options));
  }

  private static LoadOptions orDefaults(LoadOptions options) {
    return options == null ? LoadOptions.DEFAULTS : options;
  }

  /**
   * Compiles a policy document ({@code "warden": 1}).
   *
   * @param document the document as JSON text
   * @return the compiled policy
   * @throws WardenException {@code policy_error} with the key path for an invalid document
   */
  public Warden loadPolicy(String document) {
    return loadPolicy(document, LoadOptions.DEFAULTS);
  }

  /**
   * Compiles a policy document ({@code "warden": 1}) with the options of its pool. The text is
   * checked to be one JSON value, then passed to the module as written: a duplicate key is refused
   * ({@code invalid_input} at its object's path, {@code policy.fields.firstName}), as the other
   * SDKs send it, not resolved to its last value as Jackson would read it.
   *
   * @param document the document as JSON text
   * @param options pool size, call timeout, pool wait ({@code null}: the defaults)
   * @return the compiled policy
   * @throws WardenException {@code policy_error} with the key path for an invalid document, {@code
   *     invalid_input} at {@code policy} for text that is not JSON
   */
  public Warden loadPolicy(String document, LoadOptions options) {
    JsonNode doc;
    try {
      // One JSON value and nothing after it, as the other SDKs read a document.
      doc =
          json.reader()
              .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
              .readTree(Warden.required(document, "policy"));
    } catch (IOException e) {
      JsonLocation at = e instanceof JsonProcessingException p ? p.getLocation() : null;
      String where =
          at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
      WardenException x =
          new WardenException("invalid_input", "policy", "the policy is not JSON" + where, null);
      x.initCause(e);
      throw x;
    }
    if (doc == null || doc.isMissingNode()) {
      throw new WardenException("invalid_input", "policy", "the policy is empty", null);
    }
    // What the text cannot carry as written (a lone surrogate) is refused at its path, as for a
    // JsonNode; then the text itself is sent, so that the module judges it as the other SDKs send
    // it: a duplicate key is refused, not resolved to its last value as Jackson reads it.
    ModuleInstance.encode(json, Map.of("policy", doc));
    return new Warden(
        this, Map.of("policy", new RawValue(document)), poolSize, orDefaults(options));
  }

  /**
   * Compiles a policy document ({@code "warden": 1}).
   *
   * @param document the document
   * @return the compiled policy
   */
  public Warden loadPolicy(JsonNode document) {
    return loadPolicy(document, LoadOptions.DEFAULTS);
  }

  /**
   * Compiles a policy document ({@code "warden": 1}) with the options of its pool.
   *
   * @param document the document
   * @param options pool size, call timeout, pool wait ({@code null}: the defaults)
   * @return the compiled policy
   */
  public Warden loadPolicy(JsonNode document, LoadOptions options) {
    return new Warden(
        this, Map.of("policy", Warden.required(document, "policy")), poolSize, orDefaults(options));
  }

  /**
   * Evaluates a full contract request that names its policy ({@code preset} or {@code policy}),
   * compiled for this call only. Prefer a {@link Warden} for repeated calls.
   *
   * @param request the request (a {@link JsonNode}, a {@code Map}, or any Jackson-serialisable
   *     value)
   * @return the decision
   * @throws WardenException when the request cannot be evaluated
   * @throws WardenFault when the module could not run it
   */
  public JsonNode evaluate(Object request) {
    return raw.evaluate(request);
  }

  /**
   * Whether {@link #close()} was called.
   *
   * @return whether the runtime is closed
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Drops the idle instances of this runtime and of every {@link Warden} loaded on it; later calls
   * of either throw {@link WardenFault} {@link WardenFault#CLOSED}, calls in flight complete.
   * Closing again does nothing; runtimes made by {@link #withLimits} are not closed with this one.
   */
  @Override
  public void close() {
    closed = true;
    List<InstancePool> all;
    synchronized (pools) {
      all = new ArrayList<>(pools);
    }
    for (InstancePool pool : all) {
      pool.close();
    }
  }
}
