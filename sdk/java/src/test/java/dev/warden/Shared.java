package dev.warden;

/** One compiled runtime for every test class (compiling the module takes seconds). */
final class Shared {
  private Shared() {}

  private static WardenRuntime runtime;

  static synchronized WardenRuntime runtime() {
    if (runtime == null) {
      runtime = WardenRuntime.builder().build();
    }
    return runtime;
  }
}
