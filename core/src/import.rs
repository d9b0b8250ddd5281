//! Bulk import: raw CSV (or JSON Lines) bytes in, one verdict per row out.
//!
//! The whole file is parsed and validated in one call, so that a browser or a server
//! handles a 100,000-row file without building an object per row: the report carries a
//! compact status per row and details only for rows with violations. Nothing is dropped:
//! every data row has a status, and a row that cannot be parsed is an invalid row with
//! its own violation, not a skipped one.
//!
//! Within the file, values of unique fields are compared too: the second row with the same
//! email is a `duplicate` of the first (`params.row`), before any database is asked.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::policy::{FieldType, Policy};
use crate::validate::{CheckKind, ValidationContext, validate_user};
use crate::violation::{Code, Issue, Path, Severity, Violation};

/// Largest import accepted: 64 MiB.
pub const MAX_IMPORT_BYTES: usize = 64 << 20;
/// Most data rows in one import: 1,000,000.
pub const MAX_IMPORT_ROWS: usize = 1_000_000;
/// Most columns: 512.
pub const MAX_COLUMNS: usize = 512;

/// The input format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ImportFormat {
    /// RFC 4180 CSV with a header row naming the fields (by name or by label).
    #[default]
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// How to read and report an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportOptions {
    /// CSV (default) or JSON Lines.
    #[serde(default)]
    pub format: ImportFormat,
    /// Also return every data row as the record it was read as (`records`), for a preview
    /// or to commit the valid rows without parsing the file again. Off by default: a
    /// 100,000-row file then costs no object per row.
    #[serde(default)]
    pub records: bool,
}

/// The verdict on one row, in [`ImportReport::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum RowStatus {
    /// Valid, no warnings.
    Valid = 0,
    /// Valid, with warnings.
    Warning = 1,
    /// Invalid.
    Invalid = 2,
}

/// One row with violations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowReport {
    /// The data row's index, from 0 (the header is not counted).
    pub index: usize,
    /// The line the row starts on in the file, from 1.
    pub line: usize,
    /// Its violations.
    pub violations: Vec<Violation>,
}

/// Counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// Data rows.
    pub total: usize,
    /// Valid rows (with or without warnings).
    pub valid: usize,
    /// Invalid rows.
    pub invalid: usize,
    /// Valid rows with warnings.
    pub warnings: usize,
    /// Rows that are duplicates of an earlier row of the file.
    pub duplicates_in_file: usize,
}

/// The result of validating an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// The policy's hash.
    pub policy: Arc<str>,
    /// Counts.
    pub summary: ImportSummary,
    /// One [`RowStatus`] per data row, as its `u8` value.
    pub status: Vec<u8>,
    /// Rows with violations (invalid rows and rows with warnings), in file order.
    pub rows: Vec<RowReport>,
    /// How the header's columns map to fields (`null` for an unknown column).
    pub columns: Vec<Option<String>>,
    /// For each uniqueness check, the distinct keys of the valid rows, to look up in one
    /// query before committing.
    pub lookups: BTreeMap<String, Vec<String>>,
    /// With [`ImportOptions::records`]: every data row as the record it was read as (an
    /// empty object for a row that could not be read), in file order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<Map<String, Value>>>,
}

/// An import that cannot be read at all (as opposed to rows that are invalid).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Larger than [`MAX_IMPORT_BYTES`] or [`MAX_IMPORT_ROWS`] or [`MAX_COLUMNS`].
    #[error("the import exceeds the limit of {limit} {what}")]
    TooLarge {
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// Not UTF-8.
    #[error("the import is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The offset of the first invalid byte.
        offset: usize,
    },
    /// A CSV file without a header row.
    #[error("the CSV file has no header row")]
    NoHeader,
    /// A header naming the same field twice.
    #[error("the header names the field `{field}` twice")]
    DuplicateColumn {
        /// The field.
        field: String,
    },
}

/// Parses and validates an import.
///
/// # Errors
/// [`ImportError`] when the file as a whole is unreadable: too large, not UTF-8, no
/// header, a duplicated column. Bad rows are never errors: they are invalid rows.
pub fn validate_import(
    policy: &Policy,
    bytes: &[u8],
    options: ImportOptions,
    ctx: &ValidationContext<'_>,
) -> Result<ImportReport, ImportError> {
    let format = options.format;
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge {
            what: "bytes",
            limit: MAX_IMPORT_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut builder = Builder::new(policy, ctx);
    if options.records {
        builder.records = Some(Vec::new());
    }
    match format {
        ImportFormat::Csv => {
            let mut rows = CsvRows::new(text);
            let Some((_, header)) = rows.next_row() else {
                return Err(ImportError::NoHeader);
            };
            let header = header.map_err(|_| ImportError::NoHeader)?;
            if header.len() > MAX_COLUMNS {
                return Err(ImportError::TooLarge {
                    what: "columns",
                    limit: MAX_COLUMNS,
                });
            }
            let columns = map_columns(policy, &header)?;
            builder.columns = columns
                .iter()
                .map(|c| c.as_ref().map(|(n, _)| n.clone()))
                .collect();
            while let Some((line, row)) = rows.next_row() {
                if builder.total >= MAX_IMPORT_ROWS {
                    return Err(ImportError::TooLarge {
                        what: "rows",
                        limit: MAX_IMPORT_ROWS,
                    });
                }
                match row {
                    Ok(cells) if cells.iter().all(|c| c.is_empty()) && cells.len() <= 1 => continue,
                    Ok(cells) => {
                        let (record, mut extra) = csv_record(&columns, &header, cells);
                        builder.row(line, &record, &mut extra);
                    }
                    Err(reason) => {
                        let issue = Issue::new(Code::WrongType)
                            .with("expected", "a CSV row")
                            .with("reason", reason);
                        let mut v = vec![issue.at(Path::root(), Severity::Error, ctx.lang)];
                        builder.push_invalid(line, &mut v);
                    }
                }
            }
        }
        ImportFormat::JsonLines => {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                if builder.total >= MAX_IMPORT_ROWS {
                    return Err(ImportError::TooLarge {
                        what: "rows",
                        limit: MAX_IMPORT_ROWS,
                    });
                }
                match serde_json::from_str::<Map<String, Value>>(line) {
                    Ok(record) => builder.row(i + 1, &record, &mut Vec::new()),
                    Err(e) => {
                        let issue = Issue::new(Code::WrongType)
                            .with("expected", "a JSON object")
                            .with("reason", e.to_string());
                        let mut v = vec![issue.at(Path::root(), Severity::Error, ctx.lang)];
                        builder.push_invalid(i + 1, &mut v);
                    }
                }
            }
        }
    }
    Ok(builder.finish())
}

struct Builder<'a> {
    policy: &'a Policy,
    ctx: &'a ValidationContext<'a>,
    total: usize,
    summary: ImportSummary,
    status: Vec<u8>,
    rows: Vec<RowReport>,
    columns: Vec<Option<String>>,
    seen: HashMap<(Arc<str>, String), usize>,
    lookups: BTreeMap<String, Vec<String>>,
    records: Option<Vec<Map<String, Value>>>,
}

impl<'a> Builder<'a> {
    fn new(policy: &'a Policy, ctx: &'a ValidationContext<'a>) -> Self {
        Builder {
            policy,
            ctx,
            total: 0,
            summary: ImportSummary::default(),
            status: Vec::new(),
            rows: Vec::new(),
            columns: Vec::new(),
            seen: HashMap::new(),
            lookups: BTreeMap::new(),
            records: None,
        }
    }

    fn push_invalid(&mut self, line: usize, violations: &mut Vec<Violation>) {
        if let Some(r) = &mut self.records {
            r.push(Map::new());
        }
        self.rows.push(RowReport {
            index: self.total,
            line,
            violations: std::mem::take(violations),
        });
        self.status.push(RowStatus::Invalid as u8);
        self.summary.invalid += 1;
        self.total += 1;
    }

    fn row(&mut self, line: usize, record: &Map<String, Value>, extra: &mut Vec<Violation>) {
        let mut d = validate_user(self.policy, record, self.ctx);
        if let Some(r) = &mut self.records {
            r.push(record.clone());
        }
        d.violations.append(extra);
        let index = self.total;
        // Duplicates within the file.
        let mut dup = false;
        for c in d.checks.iter().filter(|c| c.kind == CheckKind::Unique) {
            let scoped = match &c.within {
                Some(w) => format!("{}\u{0}{}", w.value.to_lowercase(), c.key),
                None => c.key.clone(),
            };
            match self.seen.get(&(c.check.clone(), scoped.clone())) {
                Some(&first) => {
                    dup = true;
                    let issue = Issue::new(Code::Duplicate)
                        .with("check", &*c.check)
                        .with("row", first)
                        .with("inFile", true);
                    d.violations.push(issue.at(
                        Path::key(&*c.field),
                        Severity::Error,
                        self.ctx.lang,
                    ));
                }
                None => {
                    self.seen.insert((c.check.clone(), scoped), index);
                }
            }
        }
        let errors = d.violations.iter().any(|v| v.severity == Severity::Error);
        if !errors {
            for c in d.checks.iter().filter(|c| !c.answered) {
                self.lookups
                    .entry(c.check.to_string())
                    .or_default()
                    .push(c.key.clone());
            }
        }
        let status = if errors {
            self.summary.invalid += 1;
            RowStatus::Invalid
        } else if d.violations.is_empty() {
            self.summary.valid += 1;
            RowStatus::Valid
        } else {
            self.summary.valid += 1;
            self.summary.warnings += 1;
            RowStatus::Warning
        };
        if dup {
            self.summary.duplicates_in_file += 1;
        }
        if !d.violations.is_empty() {
            self.rows.push(RowReport {
                index,
                line,
                violations: d.violations,
            });
        }
        self.status.push(status as u8);
        self.total += 1;
    }

    fn finish(mut self) -> ImportReport {
        self.summary.total = self.total;
        for keys in self.lookups.values_mut() {
            keys.sort_unstable();
            keys.dedup();
        }
        ImportReport {
            policy: self.policy.hash_arc(),
            summary: self.summary,
            status: self.status,
            rows: self.rows,
            columns: self.columns,
            lookups: self.lookups,
            records: self.records,
        }
    }
}

/// Maps header cells to schema fields, by name or by label (case-insensitively).
fn map_columns(
    policy: &Policy,
    header: &[String],
) -> Result<Vec<Option<(String, FieldType)>>, ImportError> {
    let mut out: Vec<Option<(String, FieldType)>> = Vec::with_capacity(header.len());
    for h in header {
        let h = h.trim();
        let found = policy.fields().iter().find(|f| {
            f.name.eq_ignore_ascii_case(h)
                || f.spec.label.values().any(|l| l.eq_ignore_ascii_case(h))
        });
        let mapped = found.map(|f| (f.name.clone(), f.spec.kind));
        if let Some((name, _)) = &mapped
            && out.iter().flatten().any(|(n, _)| n == name)
        {
            return Err(ImportError::DuplicateColumn {
                field: name.clone(),
            });
        }
        out.push(mapped);
    }
    Ok(out)
}

/// A CSV row as a record: empty cells are absent, booleans parsed, unknown columns kept
/// (so validation reports them) unless blank.
fn csv_record(
    columns: &[Option<(String, FieldType)>],
    header: &[String],
    cells: Vec<String>,
) -> (Map<String, Value>, Vec<Violation>) {
    let mut record = Map::new();
    for (i, cell) in cells.into_iter().enumerate() {
        if cell.is_empty() {
            continue;
        }
        let value = match columns.get(i) {
            Some(Some((name, FieldType::Boolean))) => {
                let v = match cell.trim().to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" | "y" | "oui" => Value::Bool(true),
                    "false" | "no" | "0" | "n" | "non" => Value::Bool(false),
                    _ => Value::String(cell),
                };
                (name.clone(), v)
            }
            Some(Some((name, _))) => (name.clone(), Value::String(cell)),
            _ => (
                header
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("column{}", i + 1)),
                Value::String(cell),
            ),
        };
        record.insert(value.0, value.1);
    }
    (record, Vec::new())
}

/// A streaming RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF line ends,
/// newlines inside quotes.
struct CsvRows<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> CsvRows<'a> {
    fn new(text: &'a str) -> Self {
        CsvRows {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The next row with the line it starts on; `Err` for a malformed row (an unclosed
    /// quote, text after a closing quote), which still consumes its line.
    fn next_row(&mut self) -> Option<(usize, Result<Vec<String>, String>)> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let start_line = self.line;
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut error: Option<String> = None;
        loop {
            // Start of a cell.
            if bytes.get(self.pos) == Some(&b'"') {
                self.pos += 1;
                loop {
                    let rest = self.text.get(self.pos..).unwrap_or_default();
                    match rest.find('"') {
                        Some(q) => {
                            let chunk = rest.get(..q).unwrap_or_default();
                            self.line += chunk.matches('\n').count();
                            cell.push_str(chunk);
                            self.pos += q + 1;
                            if bytes.get(self.pos) == Some(&b'"') {
                                cell.push('"');
                                self.pos += 1;
                            } else {
                                break;
                            }
                        }
                        None => {
                            self.line += rest.matches('\n').count();
                            self.pos = bytes.len();
                            return Some((start_line, Err("unclosed quote".into())));
                        }
                    }
                }
                // After a closing quote: separator, end of line or end of text.
                match bytes.get(self.pos) {
                    Some(b',') | Some(b'\n') | Some(b'\r') | None => {}
                    Some(_) => {
                        error.get_or_insert_with(|| "text after a closing quote".into());
                        while let Some(&b) = bytes.get(self.pos) {
                            if b == b',' || b == b'\n' || b == b'\r' {
                                break;
                            }
                            self.pos += 1;
                        }
                    }
                }
            } else {
                let rest = self.text.get(self.pos..).unwrap_or_default();
                let end = rest.find([',', '\n', '\r']).unwrap_or(rest.len());
                let raw = rest.get(..end).unwrap_or_default();
                if raw.contains('"') {
                    error.get_or_insert_with(|| "a quote inside an unquoted field".into());
                }
                cell.push_str(raw);
                self.pos += end;
            }
            cells.push(std::mem::take(&mut cell));
            match bytes.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    if cells.len() > MAX_COLUMNS {
                        error.get_or_insert_with(|| "too many columns".into());
                    }
                }
                Some(b'\r') => {
                    self.pos += 1;
                    if bytes.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                    break;
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    break;
                }
                _ => break,
            }
        }
        Some((
            start_line,
            match error {
                Some(e) => Err(e),
                None => Ok(cells),
            },
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::validate::ValidationFacts;
    use crate::{Date, Lang};

    fn run(preset: &str, text: &str, format: ImportFormat) -> ImportReport {
        let p = Policy::preset(preset).unwrap();
        let facts = ValidationFacts::default();
        let ctx = ValidationContext {
            mode: crate::policy::Mode::Import,
            today: Date::parse("2026-11-22").unwrap(),
            lang: Lang::En,
            facts: &facts,
            mfa: false,
        };
        validate_import(
            &p,
            text.as_bytes(),
            ImportOptions {
                format,
                records: true,
            },
            &ctx,
        )
        .unwrap()
    }

    #[test]
    fn csv_reader_handles_quotes_crlf_and_embedded_newlines() {
        let mut r = CsvRows::new("a,\"b,\"\"c\"\"\",d\r\n\"x\ny\",,z\nq");
        assert_eq!(
            r.next_row().unwrap(),
            (1, Ok(vec!["a".into(), "b,\"c\"".into(), "d".into()]))
        );
        assert_eq!(
            r.next_row().unwrap(),
            (2, Ok(vec!["x\ny".into(), "".into(), "z".into()]))
        );
        assert_eq!(r.next_row().unwrap(), (4, Ok(vec!["q".into()])));
        assert!(r.next_row().is_none());
        let mut bad = CsvRows::new("\"open,x\n");
        assert!(bad.next_row().unwrap().1.is_err());
    }

    #[test]
    fn r002_09_bulk_import_reports_every_row_and_a_summary() {
        let csv = "username,First name,lastName,userType,department,supervisor\n\
                   jdoe,John,Doe,requester,Finance,msmith\n\
                   x,Ann,Lee,requester,Finance,msmith\n\
                   \"mlee\",\"Mary\",\"Lee\",approver,\"Ops, North\",jdoe\n\
                   JDOE,Jim,Doe,viewer,Finance,msmith\n\
                   \"broken,row\n";
        let r = run("004", csv, ImportFormat::Csv);
        assert_eq!(r.summary.total, 5);
        assert_eq!(r.status, vec![0, 2, 0, 2, 2]);
        assert_eq!(r.summary.valid, 2);
        assert_eq!(r.summary.invalid, 3);
        assert_eq!(r.summary.duplicates_in_file, 1);
        assert_eq!(r.columns[1].as_deref(), Some("firstName"));
        let dup = r.rows.iter().find(|x| x.index == 3).unwrap();
        assert_eq!(dup.violations[0].code, Code::Duplicate);
        assert_eq!(dup.violations[0].params["row"], 0);
        assert_eq!(
            r.rows.iter().find(|x| x.index == 1).unwrap().violations[0].code,
            Code::InvalidFormat
        );
        assert_eq!(r.rows.last().unwrap().line, 6);
        assert_eq!(
            r.lookups["username_unique"],
            vec!["jdoe".to_string(), "mlee".to_string()]
        );
    }

    #[test]
    fn json_lines_import() {
        let text = "{\"username\":\"jdoe\",\"firstName\":\"J\",\"lastName\":\"D\",\"userType\":\"viewer\",\"department\":\"F\",\"supervisor\":\"s\"}\nnot json\n\n";
        let r = run("004", text, ImportFormat::JsonLines);
        assert_eq!(r.summary.total, 2);
        assert_eq!(r.status, vec![0, 2]);
    }
}
