//! Reading input: files and standard input with size limits, JSON and TOML with positions
//! in errors, policies, and passwords.

use std::fs::File;
use std::io::{BufRead, Read};
use std::path::Path;

use serde_json::Value;
use warden_core::Policy;
use warden_core::json::JsonError;
use warden_core::password::Password;
use warden_core::policy::limits::MAX_DOCUMENT_BYTES;

use super::args::PolicyArgs;
use super::error::{CliError, Source};
use super::{MAX_INPUT_BYTES, MAX_PASSWORD_LINE_BYTES};

/// A size for messages: `64 MiB`, `1 MiB`, `64 KiB`, or bytes.
fn human_size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads everything from `reader`, refusing more than `limit` bytes.
fn read_capped(
    reader: &mut dyn Read,
    source: &Source<'_>,
    limit: usize,
) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::io(source, &e))?;
    if buf.len() > limit {
        return Err(CliError::new(format!(
            "{source} is larger than the limit of {}",
            human_size(limit)
        )));
    }
    Ok(buf)
}

/// Reads a file, or standard input when `path` is `-`, refusing more than `limit` bytes.
pub(crate) fn read_input(
    path: &Path,
    stdin: &mut dyn BufRead,
    limit: usize,
) -> Result<Vec<u8>, CliError> {
    if path.as_os_str() == "-" {
        return read_capped(stdin, &Source::Stdin, limit);
    }
    let source = Source::File(path);
    let mut file = File::open(path).map_err(|e| CliError::io(&source, &e))?;
    read_capped(&mut file, &source, limit)
}

/// Text from bytes, or an error naming the source.
fn utf8<'b>(bytes: &'b [u8], source: &Source<'_>) -> Result<&'b str, CliError> {
    std::str::from_utf8(bytes).map_err(|e| {
        CliError::new(format!(
            "{source} is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Parses JSON as the kernel reads it (`warden_core::json`: no object naming a key twice),
/// reporting the position of a syntax error or of the repeated key.
pub(crate) fn parse_json(bytes: &[u8], source: &Source<'_>) -> Result<Value, CliError> {
    warden_core::json::parse(bytes).map_err(|e| match e {
        JsonError::Syntax(e) => {
            let full = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let reason = full.strip_suffix(&suffix).unwrap_or(&full);
            CliError::new(format!(
                "invalid JSON in {source} at line {} column {}: {reason}",
                e.line(),
                e.column()
            ))
        }
        JsonError::Duplicate(d) => {
            let within = if d.path.is_empty() {
                String::new()
            } else {
                format!(" (in `{}`)", d.path)
            };
            CliError::new(format!(
                "invalid JSON in {source} at line {} column {}: duplicate key `{}`{within}",
                d.line, d.column, d.key
            ))
        }
    })
}

/// Reads and parses a JSON file (or standard input for `-`) of at most
/// [`MAX_INPUT_BYTES`].
pub(crate) fn read_json(path: &Path, stdin: &mut dyn BufRead) -> Result<Value, CliError> {
    let bytes = read_input(path, stdin, MAX_INPUT_BYTES)?;
    parse_json(&bytes, &source_of(path))
}

/// How `path` is named in messages.
pub(crate) fn source_of(path: &Path) -> Source<'_> {
    if path.as_os_str() == "-" {
        Source::Stdin
    } else {
        Source::File(path)
    }
}

/// The 1-based line and column (in characters) of byte offset `at` in `text`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses a TOML policy into the JSON data model. A float that JSON cannot hold (`inf`,
/// `-inf`, `nan`) is refused naming its key path, never read as `null` (which would leave
/// the setting out, silently).
fn parse_toml(text: &str, source: &Source<'_>) -> Result<Value, CliError> {
    fn non_finite(v: &toml::Value, path: &mut Vec<String>) -> Option<String> {
        match v {
            toml::Value::Float(f) if !f.is_finite() => Some(path.join(".")),
            toml::Value::Table(t) => t.iter().find_map(|(k, v)| {
                path.push(k.clone());
                let found = non_finite(v, path);
                path.pop();
                found
            }),
            toml::Value::Array(a) => a.iter().enumerate().find_map(|(i, v)| {
                path.push(i.to_string());
                let found = non_finite(v, path);
                path.pop();
                found
            }),
            _ => None,
        }
    }
    let value = toml::from_str::<Value>(text).map_err(|e| {
        let reason = e.message().trim();
        match e.span() {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                CliError::new(format!(
                    "invalid TOML in {source} at line {line} column {column}: {reason}"
                ))
            }
            None => CliError::new(format!("invalid TOML in {source}: {reason}")),
        }
    })?;
    if let Ok(table) = toml::from_str::<toml::Value>(text)
        && let Some(path) = non_finite(&table, &mut Vec::new())
    {
        return Err(CliError::new(format!(
            "invalid TOML in {source}: `{path}` is not a finite number (inf and nan have no JSON value)"
        )));
    }
    Ok(value)
}

/// Loads the policy the arguments name: a preset, or a JSON or TOML file.
pub(crate) fn load_policy(args: &PolicyArgs, stdin: &mut dyn BufRead) -> Result<Policy, CliError> {
    match (&args.preset, &args.policy) {
        (Some(name), None) => Policy::preset(name).map_err(|e| CliError::preset(&e)),
        (None, Some(path)) => {
            let source = source_of(path);
            let bytes = read_input(path, stdin, MAX_DOCUMENT_BYTES)?;
            let text = utf8(&bytes, &source)?;
            let is_toml = path
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("toml"));
            let policy = if is_toml {
                Policy::from_value(parse_toml(text, &source)?)
            } else {
                Policy::from_json(text)
            };
            policy.map_err(|e| CliError::policy(&source, &e))
        }
        _ => Err(CliError::new(
            "give exactly one of `--preset` and `--policy`",
        )),
    }
}

/// Reads a password: the first line of `stdin`, without its line ending (`\n` or `\r\n`).
pub(crate) fn read_password(stdin: &mut dyn BufRead) -> Result<Password, CliError> {
    let mut line = Vec::new();
    let cap = u64::try_from(MAX_PASSWORD_LINE_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    stdin
        .take(cap)
        .read_until(b'\n', &mut line)
        .map_err(|e| CliError::io(&Source::Stdin, &e))?;
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    } else if line.len() > MAX_PASSWORD_LINE_BYTES {
        return Err(CliError::new(format!(
            "the password on standard input is longer than the limit of {}",
            human_size(MAX_PASSWORD_LINE_BYTES)
        )));
    }
    match String::from_utf8(line) {
        Ok(s) => Ok(Password::new(s)),
        Err(_) => Err(CliError::new(
            "the password on standard input is not UTF-8 text",
        )),
    }
}

/// Refuses command lines that would read standard input twice (`--policy -` with records
/// or a password on standard input, ...): the second reader would find it empty.
pub(crate) fn stdin_once(
    paths: &[Option<&std::path::Path>],
    password: bool,
) -> Result<(), CliError> {
    let readers = paths
        .iter()
        .flatten()
        .filter(|p| p.as_os_str() == "-")
        .count()
        + usize::from(password);
    if readers > 1 {
        return Err(CliError::new("standard input can be read only once")
            .with_help("give the policy and the other inputs as files"));
    }
    Ok(())
}

/// The JSON type of a value, for messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(64 << 20), "64 MiB");
        assert_eq!(human_size(64 << 10), "64 KiB");
        assert_eq!(human_size(100), "100 bytes");
    }

    #[test]
    fn positions_count_characters() {
        assert_eq!(line_column("a = 1\nbé = x", 11), (2, 5));
        assert_eq!(line_column("x", 0), (1, 1));
    }

    #[test]
    fn passwords_lose_their_line_ending_only() {
        let mut input: &[u8] = b" pass word \r\nsecond line\n";
        assert_eq!(read_password(&mut input).unwrap().expose(), " pass word ");
        let mut input: &[u8] = b"no newline";
        assert_eq!(read_password(&mut input).unwrap().expose(), "no newline");
    }

    #[test]
    fn long_password_lines_are_refused() {
        let long = vec![b'a'; MAX_PASSWORD_LINE_BYTES + 1];
        let err = read_password(&mut long.as_slice()).unwrap_err();
        assert_eq!(
            err.line(),
            "the password on standard input is longer than the limit of 64 KiB"
        );
    }

    #[test]
    fn json_errors_have_a_position() {
        let err = parse_json(b"{\n \"a\": }", &Source::File(Path::new("u.json"))).unwrap_err();
        assert_eq!(
            err.line(),
            "invalid JSON in `u.json` at line 2 column 7: expected value"
        );
        // A key named twice: neither value is read.
        let err = parse_json(
            b"{\"user\": {\"email\": \"a@x.example\",\n \"email\": \"b@x.example\"}}",
            &Source::File(Path::new("u.json")),
        )
        .unwrap_err();
        assert_eq!(
            err.line(),
            "invalid JSON in `u.json` at line 2 column 8: duplicate key `email` (in `user`)"
        );
    }

    #[test]
    fn toml_non_finite_numbers_are_refused_by_path() {
        for (text, path) in [
            (
                "[fields.a]\ntype = \"text\"\nmaxLength = inf\n",
                "fields.a.maxLength",
            ),
            ("x = [1.0, -inf]\n", "x.1"),
            ("y = nan\n", "y"),
        ] {
            let err = parse_toml(text, &Source::File(Path::new("p.toml"))).unwrap_err();
            assert_eq!(
                err.line(),
                format!(
                    "invalid TOML in `p.toml`: `{path}` is not a finite number (inf and nan have no JSON value)"
                )
            );
        }
        assert!(parse_toml("z = 1.5\n", &Source::File(Path::new("p.toml"))).is_ok());
    }

    #[test]
    fn toml_errors_are_one_line() {
        let err =
            parse_toml("warden = 1\nname = \n", &Source::File(Path::new("p.toml"))).unwrap_err();
        let line = err.line();
        assert!(
            line.starts_with("invalid TOML in `p.toml` at line 2 column "),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}
