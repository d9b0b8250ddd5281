package dev.warden.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.warden.Warden;
import dev.warden.WardenRuntime;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Decision latency through the portable core module from Java (Chicory) against Hibernate
 * Validator, on the record rule set of BENCHMARKS.md; verdicts asserted equal first. Prints
 * Markdown rows.
 */
public final class Bench {
  private static final String TODAY = "2026-11-22";
  private static final String NOW = "2026-11-22T10:00:00Z";
  private static final int ROUNDS = 7;
  private static final String CLEAN =
      "^[^\\p{Cc}\\x{00AD}\\x{200B}-\\x{200F}\\x{202A}-\\x{202E}\\x{2060}-\\x{2064}"
          + "\\x{2066}-\\x{2069}\\x{FEFF}]*$";
  private static final String HTML_EMAIL =
      "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
          + "(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$";

  private Bench() {}

  /** The equal rule set for Hibernate Validator. */
  public static final class Rec {
    @NotNull @Size(min = 1, max = 100) @Pattern(regexp = CLEAN) String firstName;
    @NotNull @Size(min = 1, max = 100) @Pattern(regexp = CLEAN) String lastName;
    @NotNull @Pattern(regexp = HTML_EMAIL) String email;
    @Pattern(regexp = "^\\+[1-9][0-9]{7,14}$") String phone;
    @NotNull @Pattern(regexp = "^EMP-[0-9]{5}$") String employeeId;
    @NotNull @Size(min = 1, max = 64) @Pattern(regexp = CLEAN) String organization;

    Rec(Map<String, String> r) {
      firstName = r.get("firstName");
      lastName = r.get("lastName");
      email = r.get("email");
      phone = r.get("phone");
      employeeId = r.get("employeeId");
      organization = r.get("organization");
    }
  }

  static List<Map<String, String>> records(int n, int badPer100) {
    List<Map<String, String>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, String> r = new LinkedHashMap<>();
      r.put("firstName", "Ada" + (i % 97));
      r.put("lastName", "Lovelace-" + i);
      r.put("email", "ada.lovelace" + i + "@acme" + (i % 13) + ".example");
      r.put("phone", String.format("+3361234%04d", i % 10000));
      r.put("employeeId", String.format("EMP-%05d", i % 100000));
      r.put("organization", "org-" + (i % 50));
      if (i % 3 == 0) {
        r.remove("phone");
      }
      if (i % 100 < badPer100) {
        switch ((i / 100 + i) % 8) {
          case 0 -> r.put("email", "user" + i + ".example.com");
          case 1 -> r.put("email", "user" + i + "@@acme.example");
          case 2 -> r.put("phone", "+33612");
          case 3 -> r.put("phone", String.format("0612%06d", i));
          case 4 -> r.put("employeeId", "E-" + i);
          case 5 -> r.remove("lastName");
          case 6 -> r.put("firstName", "A".repeat(101));
          default -> r.put("lastName", "Love\u0007lace" + i);
        }
      }
      out.add(r);
    }
    return out;
  }

  /** Median over the rounds of the mean nanoseconds per item. */
  static double perCall(int n, IntConsumer f) {
    double[] t = new double[ROUNDS];
    for (int k = 0; k < ROUNDS; k++) {
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        f.accept(i);
      }
      t[k] = (System.nanoTime() - start) / (double) n;
    }
    Arrays.sort(t);
    return t[ROUNDS / 2];
  }

  static String us(double ns) {
    return ns < 1_000_000 ? String.format("%.1f µs", ns / 1000) : String.format("%.2f ms", ns / 1e6);
  }

  /**
   * Runs the benchmark.
   *
   * @param args the number of records (default 2000)
   * @throws Exception when the policy file is missing
   */
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    long t = System.nanoTime();
    WardenRuntime rt = WardenRuntime.builder().poolSize(1).build();
    double compiled = (System.nanoTime() - t) / 1e9;
    String doc = Files.readString(Path.of("..", "..", "..", "benches", "compare", "compare-policy.json"));
    t = System.nanoTime();
    Warden w = rt.loadPolicy(doc);
    double loaded = (System.nanoTime() - t) / 1e6;
    System.out.printf(
        "| Java (Chicory 1.6.1, runtime compiler) | cold | compile module %.2f s, load policy %.0f ms | | |%n",
        compiled, loaded);
    try (ValidatorFactory factory = Validation.buildDefaultValidatorFactory()) {
      Validator v = factory.getValidator();
      for (int bad : new int[] {0, 50}) {
        List<Map<String, String>> recs = records(n, bad);
        List<Rec> beans = new ArrayList<>();
        for (Map<String, String> r : recs) {
          Rec bean = new Rec(r);
          beans.add(bean);
          boolean mine = w.validate(r, TODAY).get("valid").asBoolean();
          if (mine != v.validate(bean).isEmpty()) {
            throw new IllegalStateException("verdicts differ on " + r + ": Warden " + mine);
          }
        }
        double a = perCall(n, i -> w.validate(recs.get(i), TODAY));
        double b = perCall(n, i -> v.validate(beans.get(i)));
        System.out.printf(
            "| Java | validate, %d%% invalid | %s | Hibernate Validator %s | %.2f× |%n",
            bad, us(a), us(b), b / a);
      }
    }
    try (Warden hr = rt.loadPreset("hr-platform")) {
      Map<String, Object> actor =
          Map.of("id", "m1", "organization", "hr", "manager", "d1", "roles", List.of("manager"));
      Map<String, Object> target = Map.of("id", "e1", "organization", "hr", "manager", "m1");
      JsonNode d = hr.authorize(actor, "users.read", target, NOW);
      if (!"allow".equals(d.get("decision").asText())) {
        throw new IllegalStateException("authorize: " + d);
      }
      double a = perCall(n, i -> hr.authorize(actor, "users.read", target, NOW));
      System.out.printf("| Java | authorize (allow, team scope) | %s | | |%n", us(a));
    }
    w.close();
  }
}
