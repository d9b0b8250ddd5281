package dev.warden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's example, statement for statement (keep the two in step). */
class ReadmeExampleTest {
  @Test
  void theReadmeExampleRunsAsWritten() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    assertTrue(readme.contains("WardenRuntime rt = WardenRuntime.builder().build();"));
    assertTrue(readme.contains("rt.loadPreset(\"acme-corp\");"));
    for (String line :
        new String[] {
          "Warden crm = rt.loadPreset(\"crm\", LoadOptions.builder().poolSize(2).timeout(Duration.ofSeconds(5)).build());",
          "JsonNode v = crm.validate(ValidateInput.builder(user, \"2026-11-22\").mode(\"update\").lang(\"fr\").build());",
          "System.out.println(crm.policyHash().equals(v.get(\"policy\").asText()));",
          "crm.close();",
          "crm.checkPassword(\"correct horse battery staple\");",
          "} catch (WardenFault e) {",
          "System.out.println(e.code());",
        }) {
      assertTrue(readme.contains(line), line);
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);

    WardenRuntime rt = Shared.runtime(); // the README: WardenRuntime.builder().build()
    try (Warden w = rt.loadPreset("production-planner-pro")) {
      JsonNode d =
          w.validate(
              Map.of(
                  "firstName",
                  "Ada",
                  "lastName",
                  "Lovelace",
                  "email",
                  "not-an-email",
                  "password",
                  "Tr0ub4dor&3x!",
                  "organization",
                  "acme"),
              "2026-11-22");
      out.println(d.get("valid") + " " + d.at("/violations/0/code").asText());
    }
    try {
      rt.loadPreset("acme-corp");
    } catch (WardenException e) {
      out.println(e.code() + " '" + e.path() + "' " + e.help());
    }

    // The second block.
    Map<String, Object> user =
        Map.of("firstName", "Ada", "lastName", "Lovelace", "email", "ada@example.com");
    Warden crm =
        rt.loadPreset(
            "crm", LoadOptions.builder().poolSize(2).timeout(Duration.ofSeconds(5)).build());
    JsonNode v =
        crm.validate(ValidateInput.builder(user, "2026-11-22").mode("update").lang("fr").build());
    out.println(crm.policyHash().equals(v.get("policy").asText()));
    crm.close();
    try {
      crm.checkPassword("correct horse battery staple");
    } catch (WardenFault e) {
      out.println(e.code());
    }

    String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals("false invalid_email", lines[0]);
    assertTrue(lines[1].startsWith("policy_error '' presets are"), lines[1]);
    assertEquals("true", lines[2]);
    assertEquals("closed", lines[3]);
  }
}
