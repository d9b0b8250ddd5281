package dev.warden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request Warden refused: the contract's error envelope {@code {code, path, message, help}}.
 *
 * <p>{@link #code()} is stable ({@code invalid_input}, {@code policy_error}, {@code unsupported},
 * {@code invalid_handle}, {@code limit_exceeded}, or a rejection code such as {@code
 * unknown_action}); {@link #path()} is the key path in the request ({@code ""} for the whole
 * request). A request whose JSON encoding is above {@link WardenRuntime#MAX_REQUEST_BYTES} (64 MiB,
 * the module's {@code MAX_INPUT_BYTES}) is refused before the call as {@code limit_exceeded} at
 * {@code ""}. Domain outcomes (invalid records, denials) are decisions, not exceptions.
 */
public class WardenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String code;
  private final String path;
  private final String detail;
  private final String help;
  private transient JsonNode raw;

  /**
   * An error of the contract.
   *
   * @param code the stable code
   * @param path the key path in the request, {@code ""} for the whole request
   * @param message the message for people
   * @param help an optional hint, or {@code null}
   */
  public WardenException(String code, String path, String message, String help) {
    super(path.isEmpty() ? code + ": " + message : code + " at `" + path + "`: " + message);
    this.code = code;
    this.path = path;
    this.detail = message;
    this.help = help;
  }

  /**
   * Builds the error from the module's {@code {"error": {...}}}.
   *
   * @param envelope the envelope
   * @return the error, or {@code null} when the value is not an envelope
   */
  static WardenException fromEnvelope(JsonNode envelope) {
    JsonNode body = envelope.get("error");
    if (body == null || !body.isObject() || !body.path("code").isTextual()) {
      return null;
    }
    JsonNode help = body.get("help");
    WardenException error =
        new WardenException(
            body.path("code").asText(),
            body.path("path").asText(""),
            body.path("message").asText(""),
            help != null && help.isTextual() ? help.asText() : null);
    error.raw = envelope;
    return error;
  }

  /**
   * The stable code.
   *
   * @return the code
   */
  public String code() {
    return code;
  }

  /**
   * The key path in the request.
   *
   * @return the path, {@code ""} for the whole request
   */
  public String path() {
    return path;
  }

  /**
   * The message for people (without code and path).
   *
   * @return the message
   */
  public String detail() {
    return detail;
  }

  /**
   * An optional hint ({@code did you mean `maxLength`?}).
   *
   * @return the hint, or {@code null}
   */
  public String help() {
    return help;
  }

  /**
   * The error as the contract renders it: {@code {"error": {code, message, path, help?}}}, exactly
   * as the module returned it (with any other key the contract adds).
   *
   * @return the envelope (a copy)
   */
  public ObjectNode toEnvelope() {
    if (raw instanceof ObjectNode object) {
      return object.deepCopy();
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    ObjectNode body = out.putObject("error");
    body.put("code", code).put("message", detail).put("path", path);
    if (help != null) {
      body.put("help", help);
    }
    return out;
  }
}
