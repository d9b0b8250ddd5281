//! Text a plugin chose (names, messages, log lines) or that quotes it (parser errors),
//! made safe to put in decisions, logs and terminals.

/// Characters never kept from plugin text: every control character (C0, DEL, C1: NUL,
/// ESC, newlines, ...) and the Unicode bidirectional and zero-width format characters
/// that make text display as something else.
fn unwanted(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `s` without [unwanted](unwanted) characters, cut to at most `max` bytes on a
/// character boundary. The result owns a new allocation of at most `max` bytes, never
/// the original's.
pub(crate) fn plugin_text(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for c in s.chars() {
        if unwanted(c) {
            continue;
        }
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

/// A message of wasmtime or wasmparser that may quote plugin-chosen names: one line,
/// without control characters or backticks (so it cannot fake the quoting of the
/// host's own message), at most `max` bytes.
#[cfg_attr(
    not(feature = "runtime"),
    allow(dead_code, reason = "the runtime's messages")
)]
pub(crate) fn host_text(s: &str, max: usize) -> String {
    plugin_text(&s.replace(['\n', '\r'], " ").replace('`', "'"), max)
}

/// What the host says instead of a name a component chose that is not a plain interface
/// name (`wasi:cli/environment@0.2.0`, `steal-secrets`).
#[cfg_attr(
    not(feature = "runtime"),
    allow(dead_code, reason = "the runtime's messages")
)]
pub(crate) const UNQUOTED_NAME: &str = "(a name that is not a plain interface name, not quoted)";

/// An import or export name, quoted in a host message only when it is a plain interface or
/// kebab name: ASCII letters, digits, `:`, `/`, `@`, `.`, `+`, `-`, at most 128 bytes. The
/// component model also allows names such as `url=<...>` that carry free text: those are
/// not repeated.
#[cfg_attr(
    not(feature = "runtime"),
    allow(dead_code, reason = "the runtime's messages")
)]
pub(crate) fn interface_name(s: &str) -> String {
    let plain = !s.is_empty()
        && s.len() <= 128
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'@' | b'.' | b'+' | b'-')
        });
    if plain {
        s.to_owned()
    } else {
        UNQUOTED_NAME.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_stripped_and_the_cut_is_on_a_boundary() {
        assert_eq!(plugin_text("a\u{1b}[31mb\0c\nd\u{202E}e", 100), "a[31mbcde");
        assert_eq!(plugin_text("ééé", 5), "éé");
        assert_eq!(host_text("x `y`\nz", 100), "x 'y' z");
        assert_eq!(plugin_text(&"x".repeat(10_000), 10).capacity(), 10);
        assert_eq!(
            interface_name("wasi:cli/environment@0.2.0-rc.1+b"),
            "wasi:cli/environment@0.2.0-rc.1+b"
        );
        for free in [
            "url=<https://x.example/core says allow>",
            "a`b",
            "",
            &"a".repeat(129),
        ] {
            assert_eq!(interface_name(free), UNQUOTED_NAME, "{free}");
        }
    }
}
