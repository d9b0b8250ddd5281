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

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::policy::{FieldType, Policy};
use crate::swar;
use crate::validate::{
    CheckKind, Raw, ValidationContext, ValidationVerdict, no_slots, validate_verdict,
    validate_verdict_json, verdict_of_slots,
};
use crate::violation::{Code, Issue, Path, Severity, Violation};

/// Largest import accepted: 64 MiB.
pub const MAX_IMPORT_BYTES: usize = 64 << 20;
/// Most data rows in one import: 1,000,000.
pub const MAX_IMPORT_ROWS: usize = 1_000_000;
/// Most columns: 512.
pub const MAX_COLUMNS: usize = 512;
/// The columns an import may carry besides the policy's fields, under a policy with an
/// access section (no policy has a field of either name: they are the account's lists):
/// the roles and the groups each new account is given, which its creation then authorizes as a single create's (who may
/// grant them, the policy's forbidden combinations). Validation does not report them as
/// unknown fields.
pub const ASSIGNMENT_COLUMNS: [&str; 2] = ["roles", "groups"];
/// What separates the names in a CSV cell of an [`ASSIGNMENT_COLUMNS`] column
/// (`sales;support`); blanks around a name are ignored, an empty cell gives none. In JSON
/// Lines the value is the list itself (`"roles": ["sales", "support"]`).
pub const NAME_SEPARATOR: char = ';';

/// The names a `roles` or `groups` value gives: a list of at most
/// [`limits::MAX_LIST`](crate::policy::limits::MAX_LIST) distinct strings (no policy
/// declares more roles or groups). The check of a create's lists, of an import row's and
/// of a bulk import item's; linear in the list's length. The reason, naming `key`, when
/// it is not one.
///
/// # Errors
/// A value that is not a list of strings, a longer list, or one naming a name twice.
pub fn assignment_names(key: &str, value: &Value) -> Result<Vec<String>, String> {
    let not_a_list = || format!("`{key}` must be a list of strings");
    let Value::Array(items) = value else {
        return Err(not_a_list());
    };
    let max = crate::policy::limits::MAX_LIST;
    if items.len() > max {
        return Err(format!(
            "`{key}` names {} entries: at most {max}",
            items.len()
        ));
    }
    let mut seen: std::collections::HashSet<&str> =
        std::collections::HashSet::with_capacity(items.len());
    for item in items {
        let Value::String(name) = item else {
            return Err(not_a_list());
        };
        if !seen.insert(name) {
            return Err(format!(
                "`{key}` names `{}` twice: a list names each once",
                name.chars().take(128).collect::<String>()
            ));
        }
    }
    Ok(items
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect())
}

/// `record` as a decision or a preview may show it: the policy's fields but its password
/// fields, and the account's lists ([`ASSIGNMENT_COLUMNS`]). A key the policy does not
/// declare is left out with the passwords: it is stored nowhere, and it may be a password
/// column under a misspelt name (`Passwort`), which validation reports (`unknown_field`)
/// but cannot tell from any other.
pub fn shown_record(policy: &Policy, record: &mut Map<String, Value>) {
    record.retain(|key, _| shown_key(policy, key));
}

/// Whether [`shown_record`] keeps `key`: a field of the policy's that is not a password, or
/// one of the account's lists ([`ASSIGNMENT_COLUMNS`]).
pub fn shown_key(policy: &Policy, key: &str) -> bool {
    match policy.field_position(key) {
        Some(i) => policy
            .fields()
            .get(i)
            .is_some_and(|f| f.spec.kind != crate::policy::FieldType::Password),
        None => assignment_key(policy, key) == Some(key),
    }
}

/// The assignment column `name` stands for under `policy` (see [`ASSIGNMENT_COLUMNS`]),
/// compared ignoring case and surrounding blanks.
pub(crate) fn assignment_key(policy: &Policy, name: &str) -> Option<&'static str> {
    let name = name.trim();
    policy.access()?;
    ASSIGNMENT_COLUMNS
        .into_iter()
        .find(|k| k.eq_ignore_ascii_case(name) && policy.field_position(k).is_none())
}

/// The input format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// How the header's columns map to fields, or to `roles` and `groups` (see
    /// [`ASSIGNMENT_COLUMNS`]); `null` for an unknown column.
    pub columns: Vec<Option<String>>,
    /// For each uniqueness check, the distinct keys of the valid rows, to look up in one
    /// query before committing.
    pub lookups: BTreeMap<String, Vec<String>>,
    /// With [`ImportOptions::records`]: every data row as the record it was read as (an
    /// empty object for a row that could not be read), in file order. The contract's
    /// `import` leaves the passwords out, and the keys the policy does not declare
    /// ([`shown_record`]: a decision never carries a password), as does the wasm package's
    /// `validateImport` unless asked for them (`validate_import_json` with
    /// `Passwords::Keep`: the console's local commit); [`validate_import`] keeps them,
    /// for the caller that read the file and stores the accounts (the server's commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<Map<String, Value>>>,
    /// With [`ImportOptions::records`]: the line each data row starts on in the file (from
    /// 1), in file order as `records`: where to find a row that the file's checks passed
    /// and its commit refused (a uniqueness the store answers, a plugin), which `rows` do
    /// not list. A CSV row with a line break inside a quoted cell spans several lines; blank
    /// lines are no rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<usize>>,
}

/// The kind of an [`ImportError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImportErrorKind {
    /// Larger than [`MAX_IMPORT_BYTES`] or [`MAX_IMPORT_ROWS`] or [`MAX_COLUMNS`].
    TooLarge,
    /// Not UTF-8.
    NotUtf8,
    /// A CSV file without a header row.
    NoHeader,
    /// A header naming the same field twice.
    DuplicateColumn,
    /// A CSV header row that cannot be read (an unclosed quote, text after a closing
    /// quote, a quote inside an unquoted name), or a column that is the label of two
    /// fields and the name of none.
    MalformedHeader,
}

/// An import that cannot be read at all (bad rows are never errors: they are invalid rows).
///
/// Opaque, as [`PolicyError`](crate::PolicyError) is: read it through
/// [`kind`](Self::kind) and its `Display`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ImportError {
    kind: ImportErrorKind,
    message: String,
}

impl ImportError {
    fn too_large(what: &str, limit: usize) -> Self {
        ImportError {
            kind: ImportErrorKind::TooLarge,
            message: format!("the import exceeds the limit of {limit} {what}"),
        }
    }

    fn not_utf8(offset: usize) -> Self {
        ImportError {
            kind: ImportErrorKind::NotUtf8,
            message: format!("the import is not UTF-8 text (invalid byte at offset {offset})"),
        }
    }

    fn no_header() -> Self {
        ImportError {
            kind: ImportErrorKind::NoHeader,
            message: "the CSV file has no header row".into(),
        }
    }

    fn duplicate_column(field: &str) -> Self {
        ImportError {
            kind: ImportErrorKind::DuplicateColumn,
            message: format!("the header names the field `{field}` twice"),
        }
    }

    /// A header column that is the label of two fields (and the name of none).
    fn ambiguous_column(column: &str, a: &str, b: &str) -> Self {
        ImportError {
            kind: ImportErrorKind::MalformedHeader,
            message: format!(
                "the CSV header row cannot be read: the column `{}` is the label of `{a}` and of `{b}`: name the field instead",
                column
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(64)
                    .collect::<String>()
            ),
        }
    }

    /// The header row as the row reader refused it (`reason`): too wide, or malformed.
    fn header(reason: &str) -> Self {
        if reason == TOO_MANY_COLUMNS {
            return ImportError::too_large("columns", MAX_COLUMNS);
        }
        ImportError {
            kind: ImportErrorKind::MalformedHeader,
            message: format!("the CSV header row cannot be read: {reason}"),
        }
    }

    /// The kind of error.
    pub fn kind(&self) -> ImportErrorKind {
        self.kind
    }

    /// A stable code for the kind: `too_large`, `not_utf8`, `no_header`,
    /// `duplicate_column`, `malformed_header`.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ImportErrorKind::TooLarge => "too_large",
            ImportErrorKind::NotUtf8 => "not_utf8",
            ImportErrorKind::NoHeader => "no_header",
            ImportErrorKind::DuplicateColumn => "duplicate_column",
            ImportErrorKind::MalformedHeader => "malformed_header",
        }
    }
}

/// The row reader's reason for a row wider than [`MAX_COLUMNS`].
const TOO_MANY_COLUMNS: &str = "too many columns";

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
    let builder = run(policy, bytes, options, ctx, RowSink::Report(Vec::new()))?;
    Ok(builder.finish().0)
}

/// Reads and validates an import into `builder`'s counts, sending the rows with
/// violations to `rows`: the one reader of both [`validate_import`] and
/// [`validate_import_json`](crate::api::validate_import_json).
pub(crate) fn run<'a>(
    policy: &'a Policy,
    bytes: &[u8],
    options: ImportOptions,
    ctx: &'a ValidationContext<'a>,
    rows: RowSink,
) -> Result<Builder<'a>, ImportError> {
    let format = options.format;
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::too_large("bytes", MAX_IMPORT_BYTES));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::not_utf8(e.valid_up_to()))?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut builder = Builder::new(policy, ctx, rows);
    if options.records {
        builder.records = Some(Vec::new());
        builder.lines = Some(Vec::new());
    }
    match format {
        ImportFormat::Csv => {
            let mut rows = CsvRows::new(text);
            let Some((_, header)) = rows.next_row() else {
                return Err(ImportError::no_header());
            };
            let header = header.map_err(|reason| ImportError::header(&reason))?;
            if header.len() > MAX_COLUMNS {
                return Err(ImportError::too_large("columns", MAX_COLUMNS));
            }
            let columns = map_columns(policy, &header)?;
            builder.columns = columns
                .iter()
                .map(|c| c.as_ref().map(|(n, _)| n.clone()))
                .collect();
            // The row limit is checked before any row is validated: refusing a file one row
            // past the limit must not first build a report of a million rows. Every row but
            // the last ends at a line break (CR, LF or CRLF) and the header is one of the
            // rows, so a file has at most as many data rows as line-break bytes: only a file
            // with more of them than the limit needs its rows counted (the bound counts a few
            // other control bytes as breaks: a file full of tabs is counted row by row).
            let mut cells: Vec<Cow<'_, str>> = Vec::new();
            let breaks = swar::count_line_breaks_at_most(text.as_bytes());
            if breaks > MAX_IMPORT_ROWS {
                let mut count = rows.clone();
                let mut data_rows = 0usize;
                while let Some((_, row)) = count.next_row_into(&mut cells) {
                    if row.is_ok() && cells.iter().all(|c| c.is_empty()) && cells.len() <= 1 {
                        continue;
                    }
                    data_rows += 1;
                    if data_rows > MAX_IMPORT_ROWS {
                        return Err(ImportError::too_large("rows", MAX_IMPORT_ROWS));
                    }
                }
            }
            let mut record = RowRecord::new(policy, &columns, &header);
            while let Some((line, row)) = rows.next_row_into(&mut cells) {
                if builder.total >= MAX_IMPORT_ROWS {
                    return Err(ImportError::too_large("rows", MAX_IMPORT_ROWS));
                }
                match row {
                    Ok(()) if cells.iter().all(|c| c.is_empty()) && cells.len() <= 1 => continue,
                    Ok(()) => {
                        // Without `records`, a row as wide as the header goes straight into
                        // the policy's fields; else (or for an odd row) into a map.
                        let verdict = {
                            let mut slots = no_slots(policy.fields().len());
                            let mut unknown = Vec::new();
                            (builder.records.is_none()
                                && record.slots_into(&cells, &mut slots, &mut unknown))
                            .then(|| verdict_of_slots(policy, &slots, unknown, ctx))
                        };
                        match verdict {
                            Some(d) => builder.row_verdict(line, d),
                            None => {
                                let record = record.fill(&columns, &header, &cells);
                                builder.row(line, record);
                            }
                        }
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
            // As for CSV: the row limit before any row is parsed or validated. A file has at
            // most one line more than it has line feeds: only a file with more line feeds
            // than the limit needs its non-blank lines counted.
            let line_feeds = swar::count_of(text.as_bytes(), b"\n");
            if line_feeds >= MAX_IMPORT_ROWS
                && text.lines().filter(|l| !l.trim().is_empty()).count() > MAX_IMPORT_ROWS
            {
                return Err(ImportError::too_large("rows", MAX_IMPORT_ROWS));
            }
            for (i, line) in (Lines { rest: text }).enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                if builder.total >= MAX_IMPORT_ROWS {
                    return Err(ImportError::too_large("rows", MAX_IMPORT_ROWS));
                }
                // Read straight into the policy's fields, unless the caller wants the
                // records back (then the map is built anyway).
                let parsed = if builder.records.is_some() {
                    match crate::json::parse(line.as_bytes()) {
                        Ok(Value::Object(record)) => {
                            builder.row(i + 1, &record);
                            Ok(())
                        }
                        // Where serde_json places the type error, and its wording without
                        // the value (serde's type errors quote it: never repeat it).
                        Ok(_) => Err(match serde_json::from_str::<Map<String, Value>>(line) {
                            Err(e) => format!(
                                "expected a JSON object at line {} column {}",
                                e.line(),
                                e.column()
                            ),
                            Ok(_) => "expected a JSON object".to_owned(),
                        }),
                        Err(e) => Err(e.to_string()),
                    }
                } else {
                    validate_verdict_json(policy, line.as_bytes(), ctx)
                        .map(|d| builder.row_verdict(i + 1, d))
                        .map_err(|e| format!("{} at line {} column {}", e.reason, e.line, e.column))
                };
                match parsed {
                    Ok(()) => {}
                    Err(reason) => {
                        let issue = Issue::new(Code::WrongType)
                            .with("expected", "a JSON object")
                            .with("reason", reason);
                        let mut v = vec![issue.at(Path::root(), Severity::Error, ctx.lang)];
                        builder.push_invalid(i + 1, &mut v);
                    }
                }
            }
        }
    }
    Ok(builder)
}

/// Where an import's rows with violations go.
pub(crate) enum RowSink {
    /// Into the report's `rows`.
    Report(Vec<RowReport>),
    /// Written as the JSON text of the report's `rows` at once, each row then dropped: a
    /// file with many bad rows never holds their violations all at the same time.
    Json(crate::api::RowsJson),
}

pub(crate) struct Builder<'a> {
    policy: &'a Policy,
    ctx: &'a ValidationContext<'a>,
    total: usize,
    summary: ImportSummary,
    status: Vec<u8>,
    rows: RowSink,
    columns: Vec<Option<String>>,
    seen: HashMap<(Arc<str>, String), usize>,
    lookups: BTreeMap<String, Vec<String>>,
    records: Option<Vec<Map<String, Value>>>,
    lines: Option<Vec<usize>>,
}

impl<'a> Builder<'a> {
    fn new(policy: &'a Policy, ctx: &'a ValidationContext<'a>, rows: RowSink) -> Self {
        Builder {
            policy,
            ctx,
            total: 0,
            summary: ImportSummary::default(),
            status: Vec::new(),
            rows,
            columns: Vec::new(),
            seen: HashMap::new(),
            lookups: BTreeMap::new(),
            records: None,
            lines: None,
        }
    }

    fn push_invalid(&mut self, line: usize, violations: &mut Vec<Violation>) {
        if let Some(r) = &mut self.records {
            r.push(Map::new());
        }
        if let Some(l) = &mut self.lines {
            l.push(line);
        }
        self.push_row(RowReport {
            index: self.total,
            line,
            violations: std::mem::take(violations),
        });
        self.status.push(RowStatus::Invalid as u8);
        self.summary.invalid += 1;
        self.total += 1;
    }

    fn row(&mut self, line: usize, record: &Map<String, Value>) {
        // The verdict is all an import needs: no stored record is built per row.
        let d = validate_verdict(self.policy, record, self.ctx);
        if let Some(r) = &mut self.records {
            r.push(record.clone());
        }
        self.row_verdict(line, d);
    }

    /// Counts a row by its verdict: duplicates within the file, lookups, status, report.
    fn row_verdict(&mut self, line: usize, mut d: ValidationVerdict) {
        let index = self.total;
        // Duplicates within the file.
        let mut dup = false;
        for c in d.checks.iter().filter(|c| c.kind == CheckKind::Unique) {
            let scoped = match &c.within {
                Some(w) => format!("{}\u{0}{}", w.value.to_lowercase(), c.key),
                None => c.key.clone(),
            };
            match self.seen.entry((Arc::clone(&c.check), scoped)) {
                Entry::Occupied(first) => {
                    dup = true;
                    let issue = Issue::new(Code::Duplicate)
                        .with("check", &*c.check)
                        .with("row", *first.get())
                        .with("inFile", true);
                    d.violations.push(issue.at(
                        Path::key(&*c.field),
                        Severity::Error,
                        self.ctx.lang,
                    ));
                }
                Entry::Vacant(slot) => {
                    slot.insert(index);
                }
            }
        }
        let errors = d.violations.iter().any(|v| v.severity == Severity::Error);
        if !errors {
            for c in d.checks.into_iter().filter(|c| !c.answered) {
                match self.lookups.get_mut(&*c.check) {
                    Some(keys) => keys.push(c.key),
                    None => {
                        self.lookups.insert(c.check.to_string(), vec![c.key]);
                    }
                }
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
        if let Some(l) = &mut self.lines {
            l.push(line);
        }
        if !d.violations.is_empty() {
            self.push_row(RowReport {
                index,
                line,
                violations: d.violations,
            });
        }
        self.status.push(status as u8);
        self.total += 1;
    }

    fn push_row(&mut self, row: RowReport) {
        match &mut self.rows {
            RowSink::Report(rows) => rows.push(row),
            RowSink::Json(text) => text.push(&row),
        }
    }

    /// The report, and the rows' text when they went to [`RowSink::Json`] (the report's
    /// `rows` are then empty).
    pub(crate) fn finish(mut self) -> (ImportReport, Option<crate::api::RowsJson>) {
        self.summary.total = self.total;
        for keys in self.lookups.values_mut() {
            keys.sort_unstable();
            keys.dedup();
        }
        let (rows, text) = match self.rows {
            RowSink::Report(rows) => (rows, None),
            RowSink::Json(text) => (Vec::new(), Some(text)),
        };
        let report = ImportReport {
            policy: self.policy.hash_arc(),
            summary: self.summary,
            status: self.status,
            rows,
            columns: self.columns,
            lookups: self.lookups,
            records: self.records,
            lines: self.lines,
        };
        (report, text)
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
        // A field's name first, whatever the fields' order; else the one field with this
        // label in some language. A label two fields share names neither: the header is
        // refused rather than read as the first of them.
        let by_name = policy
            .fields()
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(h));
        let found = match by_name {
            Some(f) => Some(f),
            None => {
                let mut labelled = policy
                    .fields()
                    .iter()
                    .filter(|f| f.spec.label.values().any(|l| l.eq_ignore_ascii_case(h)));
                match (labelled.next(), labelled.next()) {
                    (Some(a), Some(b)) => {
                        return Err(ImportError::ambiguous_column(h, &a.name, &b.name));
                    }
                    (found, _) => found,
                }
            }
        };
        // A roles or groups column is read as text; its record value is then the list of
        // names ([`RowRecord`]).
        let mapped = found
            .map(|f| (f.name.clone(), f.spec.kind))
            .or_else(|| assignment_key(policy, h).map(|k| (k.to_owned(), FieldType::Text)));
        if let Some((name, _)) = &mapped
            && out.iter().flatten().any(|(n, _)| n == name)
        {
            return Err(ImportError::duplicate_column(name));
        }
        out.push(mapped);
    }
    Ok(out)
}

/// The record a CSV row is read as: empty cells are absent, booleans parsed, a roles or
/// groups cell read as its list of names ([`NAME_SEPARATOR`]), unknown columns kept under
/// their header (so validation reports them), cells beyond the header under `column<n>`.
/// When two columns give the same key, the last non-empty one wins.
///
/// Rows as wide as the header (all of them in a well-formed file) are written into one map
/// kept across rows, overwriting its strings in place: a clean row allocates nothing.
struct RowRecord {
    /// For each distinct key of the header: the key, whether it is a boolean field, and the
    /// columns that give it.
    keys: Vec<(String, bool, Vec<usize>)>,
    /// For each key of `keys`, its field's position in the policy's schema (`None`: not a
    /// field), looked up once for the whole file.
    positions: Vec<Option<usize>>,
    /// The header's width.
    width: usize,
    /// True when every key has one column (a header naming no field twice), so that a row's
    /// key `k` is its cell `keys[k].2[0]`.
    single: bool,
    map: Map<String, Value>,
    /// A row of another width, read the plain way.
    odd: Map<String, Value>,
    /// The header's assignment columns' keys ([`ASSIGNMENT_COLUMNS`]): their cells are
    /// lists of names.
    lists: Vec<&'static str>,
}

impl RowRecord {
    fn new(policy: &Policy, columns: &[Option<(String, FieldType)>], header: &[String]) -> Self {
        let mut keys: Vec<(String, bool, Vec<usize>)> = Vec::new();
        for i in 0..header.len() {
            let (key, boolean) = column_key(columns, header, i);
            match keys.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, _, cols)) => cols.push(i),
                None => keys.push((key, boolean, vec![i])),
            }
        }
        let positions = keys
            .iter()
            .map(|(key, _, _)| policy.field_position(key))
            .collect();
        let lists = keys
            .iter()
            .filter_map(|(key, _, _)| assignment_key(policy, key))
            .collect();
        RowRecord {
            lists,
            single: keys.iter().all(|(_, _, cols)| cols.len() == 1),
            keys,
            positions,
            width: header.len(),
            map: Map::new(),
            odd: Map::new(),
        }
    }

    /// Fills `slots` (one per field of the schema, all `None`) with the row's values by
    /// schema position and `unknown` with its keys that are not fields (the same record
    /// [`fill`](Self::fill) builds as a map); `false` for a row of another width than the
    /// header, which is then read the plain way.
    fn slots_into<'a>(
        &'a self,
        cells: &'a [Cow<'_, str>],
        slots: &mut [Option<Raw<'a>>],
        unknown: &mut Vec<&'a str>,
    ) -> bool {
        if cells.len() != self.width {
            return false;
        }
        // A non-empty cell goes to its field's slot, or its key to the unknown ones.
        let mut put = |(key, boolean, _): &'a (String, bool, Vec<usize>),
                       position: &Option<usize>,
                       cell: &'a Cow<'_, str>| {
            match position.and_then(|i| slots.get_mut(i)) {
                Some(slot) => *slot = Some(cell_raw(cell, *boolean)),
                None => unknown.push(key.as_str()),
            }
        };
        if self.single {
            // One column a key (the common header): key `k` is cell `k`, no search for the
            // last non-empty cell of several.
            for ((key, position), cell) in self.keys.iter().zip(&self.positions).zip(cells) {
                if !cell.is_empty() {
                    put(key, position, cell);
                }
            }
            return true;
        }
        for (key, position) in self.keys.iter().zip(&self.positions) {
            if let Some(cell) = last_filled(&key.2, cells) {
                put(key, position, cell);
            }
        }
        true
    }

    fn fill(
        &mut self,
        columns: &[Option<(String, FieldType)>],
        header: &[String],
        cells: &[Cow<'_, str>],
    ) -> &Map<String, Value> {
        if cells.len() != header.len() {
            self.odd = Map::new();
            for (i, cell) in cells.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                let (key, boolean) = column_key(columns, header, i);
                let value = if self.lists.contains(&key.as_str()) {
                    names(cell)
                } else {
                    cell_value(cell, boolean)
                };
                self.odd.insert(key, value);
            }
            return &self.odd;
        }
        for (key, boolean, cols) in &self.keys {
            let Some(cell) = last_filled(cols, cells) else {
                self.map.remove(key);
                continue;
            };
            if self.lists.contains(&key.as_str()) {
                self.map.insert(key.clone(), names(cell));
                continue;
            }
            match (self.map.get_mut(key), *boolean) {
                (Some(Value::String(s)), false) => {
                    s.clear();
                    s.push_str(cell);
                }
                (Some(v), _) => *v = cell_value(cell, *boolean),
                (None, _) => {
                    self.map.insert(key.clone(), cell_value(cell, *boolean));
                }
            }
        }
        &self.map
    }
}

/// A key's value in a row: the last non-empty of its columns' cells.
fn last_filled<'c, 't>(cols: &[usize], cells: &'c [Cow<'t, str>]) -> Option<&'c Cow<'t, str>> {
    cols.iter()
        .rev()
        .filter_map(|&i| cells.get(i))
        .find(|c| !c.is_empty())
}

/// The record key of column `i`, and whether it is a boolean field.
fn column_key(
    columns: &[Option<(String, FieldType)>],
    header: &[String],
    i: usize,
) -> (String, bool) {
    match columns.get(i) {
        Some(Some((name, kind))) => (name.clone(), *kind == FieldType::Boolean),
        _ => (
            header
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("column{}", i + 1)),
            false,
        ),
    }
}

/// An assignment cell as its list of names: split at [`NAME_SEPARATOR`], each trimmed,
/// empty names dropped.
fn names(cell: &str) -> Value {
    Value::Array(
        cell.split(NAME_SEPARATOR)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| Value::String(n.to_owned()))
            .collect(),
    )
}

/// A non-empty cell as a value: booleans of boolean fields parsed, anything else a string.
fn cell_value(cell: &str, boolean: bool) -> Value {
    match cell_raw(cell, boolean) {
        Raw::Bool(b) => Value::Bool(b),
        _ => Value::String(cell.to_owned()),
    }
}

/// [`cell_value`] borrowed from the cell.
fn cell_raw(cell: &str, boolean: bool) -> Raw<'_> {
    if boolean {
        let t = cell.trim();
        let is = |words: &[&str]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
        if is(&["true", "yes", "1", "y", "oui"]) {
            return Raw::Bool(true);
        }
        if is(&["false", "no", "0", "n", "non"]) {
            return Raw::Bool(false);
        }
    }
    Raw::Str(cell)
}

/// The number of bytes of `bytes` before its first `,`, `"`, CR or LF (its length when it
/// has none): what ends or breaks an unquoted CSV cell, looked for eight bytes at a time.
fn special_byte(bytes: &[u8]) -> usize {
    let mask = |v| {
        swar::equal(v, b',') | swar::equal(v, b'"') | swar::equal(v, b'\n') | swar::equal(v, b'\r')
    };
    swar::position(bytes, mask, |b| matches!(b, b',' | b'"' | b'\n' | b'\r')).unwrap_or(bytes.len())
}

/// The lines of a text as [`str::lines`] gives them (split at each LF, a CR just before it
/// dropped, no empty line after a final LF), each LF found eight bytes at a time.
struct Lines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let at = swar::position(
            self.rest.as_bytes(),
            |v| swar::equal(v, b'\n'),
            |b| b == b'\n',
        );
        // An LF is ASCII: the text splits on character boundaries around it.
        let (line, rest) = match at.map(|a| (self.rest.get(..a), self.rest.get(a + 1..))) {
            Some((Some(line), Some(rest))) => (line.strip_suffix('\r').unwrap_or(line), rest),
            _ => (self.rest, ""),
        };
        self.rest = rest;
        Some(line)
    }
}

/// A streaming RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF line ends,
/// newlines inside quotes.
#[derive(Clone)]
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
        let mut cells = Vec::new();
        let (line, row) = self.next_row_into(&mut cells)?;
        Some((
            line,
            row.map(|()| cells.into_iter().map(Cow::into_owned).collect()),
        ))
    }

    /// [`CsvRows::next_row`] into `cells`: after `Ok`, `cells` holds exactly the row's cells,
    /// each borrowed from the text unless it is quoted with a doubled quote inside (the one
    /// case whose value is not a slice of the text).
    fn next_row_into(
        &mut self,
        cells: &mut Vec<Cow<'a, str>>,
    ) -> Option<(usize, Result<(), String>)> {
        let text: &'a str = self.text;
        let bytes = text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let start_line = self.line;
        let mut count = 0usize;
        let mut error: Option<String> = None;
        loop {
            let cell: Cow<'a, str> = if bytes.get(self.pos) == Some(&b'"') {
                // Start of a quoted cell.
                self.pos += 1;
                let mut unescaped: Option<String> = None;
                let cell = loop {
                    let rest = text.get(self.pos..).unwrap_or_default();
                    match rest.find('"') {
                        Some(q) => {
                            let chunk = rest.get(..q).unwrap_or_default();
                            self.line += chunk.matches('\n').count();
                            self.pos += q + 1;
                            if bytes.get(self.pos) == Some(&b'"') {
                                let s = unescaped.get_or_insert_with(String::new);
                                s.push_str(chunk);
                                s.push('"');
                                self.pos += 1;
                            } else {
                                break match unescaped.take() {
                                    Some(mut s) => {
                                        s.push_str(chunk);
                                        Cow::Owned(s)
                                    }
                                    None => Cow::Borrowed(chunk),
                                };
                            }
                        }
                        None => {
                            self.line += rest.matches('\n').count();
                            self.pos = bytes.len();
                            return Some((start_line, Err("unclosed quote".into())));
                        }
                    }
                };
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
                cell
            } else {
                // One pass over the bytes: the separators and the quote are ASCII, so the
                // cell ends on a character boundary.
                let rest = bytes.get(self.pos..).unwrap_or_default();
                let mut end = 0;
                loop {
                    end += special_byte(rest.get(end..).unwrap_or_default());
                    match rest.get(end) {
                        Some(b'"') => {
                            error.get_or_insert_with(|| "a quote inside an unquoted field".into());
                            end += 1;
                        }
                        _ => break,
                    }
                }
                let cell = text.get(self.pos..self.pos + end).unwrap_or_default();
                self.pos += end;
                Cow::Borrowed(cell)
            };
            match cells.get_mut(count) {
                Some(slot) => *slot = cell,
                None => cells.push(cell),
            }
            count += 1;
            match bytes.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    if count > MAX_COLUMNS {
                        error.get_or_insert_with(|| TOO_MANY_COLUMNS.into());
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
        cells.truncate(count);
        Some((
            start_line,
            match error {
                Some(e) => Err(e),
                None => Ok(()),
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
        run_with(preset, text, format, true)
    }

    fn run_with(preset: &str, text: &str, format: ImportFormat, records: bool) -> ImportReport {
        run_policy(&Policy::preset(preset).unwrap(), text, format, records)
    }

    fn run_policy(p: &Policy, text: &str, format: ImportFormat, records: bool) -> ImportReport {
        try_policy(p, text, format, records).unwrap()
    }

    fn try_policy(
        p: &Policy,
        text: &str,
        format: ImportFormat,
        records: bool,
    ) -> Result<ImportReport, ImportError> {
        let facts = ValidationFacts::default();
        let ctx = ValidationContext {
            mode: crate::policy::Mode::Import,
            today: Date::parse("2026-11-22").unwrap(),
            lang: Lang::En,
            facts: &facts,
            mfa: false,
        };
        validate_import(p, text.as_bytes(), ImportOptions { format, records }, &ctx)
    }

    /// Rows read straight into the policy's fields (no records asked for) are judged as the
    /// same rows read into maps: one column a key, a key of two columns (the last non-empty
    /// wins), a field by its label, empty cells, short and long rows.
    #[test]
    fn rows_into_fields_and_into_maps_get_the_same_report() {
        for csv in [
            "username,First name,lastName,userType,department,supervisor,note,note\n\
             jdoe,John,Doe,requester,Finance,msmith,a,\n\
             mlee,,Lee,approver,Ops,jdoe,,b\n\
             abc,Ann,Lee,viewer,F,s\n\
             xyz,Bob,Ray,viewer,F,s,c,d,e\n",
            "username,First name,lastName,userType,department,supervisor,note\n\
             jdoe,John,Doe,requester,Finance,msmith,a\n\
             mlee,,Lee,approver,Ops,jdoe,\n\
             okay,Ann,Lee,viewer,F,s,\n\
             ,Ann,Lee,nobody,F,s,x\n\
             abc,Ann,Lee,viewer,F\n\
             jdoe,Bob,Ray,viewer,F,s,c\n",
        ] {
            let plain = run_with("004", csv, ImportFormat::Csv, true);
            let fast = run_with("004", csv, ImportFormat::Csv, false);
            assert_eq!(fast.status, plain.status, "{csv}");
            assert_eq!(fast.summary, plain.summary, "{csv}");
            assert_eq!(fast.rows, plain.rows, "{csv}");
            assert_eq!(fast.lookups, plain.lookups, "{csv}");
            assert!(fast.records.is_none() && plain.records.is_some());
            assert!(
                plain.status.contains(&0) && plain.status.contains(&2),
                "{csv}"
            );
        }
    }

    /// The eight-bytes-at-a-time scans agree with a byte-by-byte one: every byte value at
    /// every position of a chunk and of the tail, and two specials in one chunk.
    #[test]
    fn byte_scans_agree_with_a_plain_loop() {
        let special = |b: &u8| matches!(b, b',' | b'"' | b'\n' | b'\r');
        for len in 0..=19usize {
            for at in 0..len.max(1) {
                for b in 0u8..=255 {
                    let mut bytes = vec![b'a'; len];
                    if let Some(x) = bytes.get_mut(at) {
                        *x = b;
                    }
                    if let Some(x) = bytes.get_mut(at + 3) {
                        *x = b'\n';
                    }
                    let first = bytes.iter().position(special).unwrap_or(len);
                    assert_eq!(special_byte(&bytes), first, "{bytes:?}");
                    let breaks = bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
                    assert_eq!(swar::count_of(&bytes, b"\n\r"), breaks, "{bytes:?}");
                    let feeds = bytes.iter().filter(|&&b| b == b'\n').count();
                    assert_eq!(swar::count_of(&bytes, b"\n"), feeds, "{bytes:?}");
                }
            }
        }
    }

    /// [`Lines`] gives the lines [`str::lines`] gives: CRLF and LF, a CR alone, blank
    /// lines, no final line break, lines longer and shorter than a chunk.
    #[test]
    fn lines_are_those_of_str_lines() {
        for text in [
            "",
            "\n",
            "\r",
            "\r\n",
            "a",
            "a\r",
            "a\n\nb",
            "a\r\nb\r\n",
            "a\rb\n",
            "{\"firstName\":\"Ada\"}\r\n{}\n\n  \n0123456789abcdef\n\u{e9}\u{2028}\n",
            "0123456\n01234567\n012345678\r\n",
        ] {
            let ours: Vec<&str> = (Lines { rest: text }).collect();
            assert_eq!(ours, text.lines().collect::<Vec<_>>(), "{text:?}");
        }
    }

    /// One vector of cells reused across rows of different widths holds exactly each row's
    /// cells, borrowed from the text but for a quoted cell with a doubled quote.
    #[test]
    fn csv_cells_are_borrowed_and_reused_across_rows() {
        let mut r = CsvRows::new("\"a\"\"b\",x,\"y\"\nc,\"\"\n");
        let mut cells = Vec::new();
        assert_eq!(r.next_row_into(&mut cells), Some((1, Ok(()))));
        assert_eq!(cells, ["a\"b", "x", "y"]);
        assert!(matches!(cells[0], Cow::Owned(_)));
        assert!(matches!(cells[1], Cow::Borrowed(_)) && matches!(cells[2], Cow::Borrowed(_)));
        assert_eq!(r.next_row_into(&mut cells), Some((2, Ok(()))));
        assert_eq!(cells, ["c", ""]);
        assert!(cells.iter().all(|c| matches!(c, Cow::Borrowed(_))));
        assert_eq!(r.next_row_into(&mut cells), None);
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

    /// What a decision or a preview shows of a record: its fields but the password, the
    /// account's lists; never a key the policy does not declare (a misspelt password).
    #[test]
    fn a_shown_record_keeps_the_fields_and_lists_and_nothing_else() {
        let p = Policy::preset("002").unwrap();
        assert!(p.access().is_some() && p.password_fields().next().is_some());
        let mut r = serde_json::json!({
            "firstName": "Lina", "password": "Kx8-Pelican-Ruby!", "Passwort": "Kx8-Pelican-Ruby!",
            "roles": ["customer"], "column9": "x",
        })
        .as_object()
        .cloned()
        .unwrap();
        shown_record(&p, &mut r);
        let keys: Vec<&str> = r.keys().map(String::as_str).collect();
        assert_eq!(keys, ["firstName", "roles"]);
    }

    #[test]
    fn rows_read_into_one_record_keep_the_plain_semantics() {
        // Same key twice (last non-empty wins), a cell emptied in the next row (absent, not
        // the previous row's value), short and long rows.
        let csv = "username,First name,lastName,userType,department,supervisor,note,note\n\
                   jdoe,John,Doe,requester,Finance,msmith,a,\n\
                   mlee,,Lee,approver,Ops,jdoe,,b\n\
                   abc,Ann,Lee,viewer,F,s\n\
                   xyz,Bob,Ray,viewer,F,s,c,d,e\n";
        let r = run("004", csv, ImportFormat::Csv);
        let records = r.records.unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[0]["firstName"], "John");
        assert_eq!(records[0]["note"], "a");
        assert!(records[1].get("firstName").is_none());
        assert_eq!(records[1]["note"], "b");
        assert_eq!(records[1]["username"], "mlee");
        assert!(records[2].get("note").is_none());
        assert_eq!(records[2]["firstName"], "Ann");
        assert_eq!(records[3]["note"], "d");
        assert_eq!(records[3]["column9"], "e");
        // The row without a first name is invalid, the others are judged on their own.
        assert_eq!(r.status[1], RowStatus::Invalid as u8);
        let row1 = r.rows.iter().find(|x| x.index == 1).unwrap();
        assert!(row1.violations.iter().any(|v| v.code == Code::Required));
    }

    /// A roles (or groups) column gives each account its roles: the cell's names, split at
    /// `;`, as the record's list; it is not an unknown field, in either reading of a row,
    /// nor in JSON Lines. Under a policy without an access section it is one.
    #[test]
    fn a_roles_column_gives_each_account_its_roles() {
        let csv = "username,First name,lastName,userType,department,supervisor, Roles \n\
                   jdoe,John,Doe,requester,Finance,msmith, requester ; approver \n\
                   mlee,Mia,Lee,approver,Ops,jdoe,\n\
                   abc,Ann,Lee,viewer,F,s,x,extra\n";
        let plain = run_with("004", csv, ImportFormat::Csv, true);
        let fast = run_with("004", csv, ImportFormat::Csv, false);
        assert_eq!(plain.status, vec![0, 0, 2], "{:?}", plain.rows);
        assert_eq!(
            (fast.status, fast.rows),
            (plain.status.clone(), plain.rows.clone())
        );
        assert_eq!(plain.columns.last(), Some(&Some("roles".to_owned())));
        let records = plain.records.unwrap();
        assert_eq!(
            records[0].get("roles"),
            Some(&serde_json::json!(["requester", "approver"]))
        );
        assert!(
            records[1].get("roles").is_none(),
            "an empty cell gives none"
        );
        assert_eq!(records[2].get("roles"), Some(&serde_json::json!(["x"])));
        // The odd row's extra cell is still an unknown field; its roles are not.
        let codes: Vec<&str> = plain.rows[0]
            .violations
            .iter()
            .map(|v| v.code.as_str())
            .collect();
        assert!(codes.contains(&"unknown_field"), "{codes:?}");
        assert!(
            plain.rows[0]
                .violations
                .iter()
                .all(|v| v.path.to_string() != "roles"),
            "{:?}",
            plain.rows[0].violations
        );
        let jsonl = "{\"username\":\"jdoe\",\"firstName\":\"J\",\"lastName\":\"D\",\"userType\":\"viewer\",\"department\":\"F\",\"supervisor\":\"s\",\"roles\":[\"viewer\"],\"groups\":[]}\n";
        for records in [true, false] {
            let r = run_with("004", jsonl, ImportFormat::JsonLines, records);
            assert_eq!(r.status, vec![0], "{:?}", r.rows);
        }
        // Not a column of a policy without access rules (000 has one; a bare policy does not).
        let bare = Policy::from_value(serde_json::json!({
            "warden": 1, "name": "bare",
            "fields": {"username": {"type": "text", "required": true}}
        }))
        .unwrap();
        let r = run_policy(
            &bare,
            "username,roles\nann,admin\n",
            ImportFormat::Csv,
            false,
        );
        assert_eq!(r.status, vec![2]);
        assert_eq!(r.columns, vec![Some("username".to_owned()), None]);
    }

    /// A roles or groups list: distinct strings, at most `MAX_LIST` of them, checked in
    /// linear time (a list as long as the limit, then one longer, then a repeat at its end).
    #[test]
    fn assignment_lists_are_distinct_names_within_the_limit() {
        let max = crate::policy::limits::MAX_LIST;
        let names =
            |n: usize| serde_json::Value::Array((0..n).map(|i| format!("r{i}").into()).collect());
        assert_eq!(assignment_names("roles", &names(max)).unwrap().len(), max);
        let long = assignment_names("roles", &names(max + 1)).unwrap_err();
        assert!(long.contains("at most 10000"), "{long}");
        let mut repeated = names(max - 1);
        if let serde_json::Value::Array(a) = &mut repeated {
            a.push("r0".into());
        }
        let twice = assignment_names("roles", &repeated).unwrap_err();
        assert!(twice.contains("`r0` twice"), "{twice}");
        for bad in [
            serde_json::json!("r0"),
            serde_json::json!(["r0", 1]),
            serde_json::json!(null),
        ] {
            let e = assignment_names("groups", &bad).unwrap_err();
            assert!(e.contains("`groups` must be a list of strings"), "{e}");
        }
    }

    /// With `records`, every data row's line, valid or not: a quoted cell's line break and
    /// blank lines move rows off `index + 2` (CSV) and `index + 1` (JSON Lines); the rows
    /// with violations say the same lines.
    #[test]
    fn records_come_with_the_line_each_row_starts_on() {
        let csv = "username,First name,lastName,userType,department,supervisor\n\
                   jdoe,John,Doe,requester,\"Finance\nNorth\",msmith\n\
                   \n\
                   x,Ann,Lee,requester,Finance,msmith\n\
                   mlee,Mary,Lee,approver,Ops,jdoe\n";
        let r = run("004", csv, ImportFormat::Csv);
        // (A line break is no department: the first row is invalid too.)
        assert_eq!(r.status, vec![2, 2, 0]);
        assert_eq!(r.lines.as_deref(), Some(&[2, 5, 6][..]));
        assert_eq!((r.rows[0].line, r.rows[1].line), (2, 5));
        let good = "{\"username\":\"jdoe\",\"firstName\":\"J\",\"lastName\":\"D\",\"userType\":\"viewer\",\"department\":\"F\",\"supervisor\":\"s\"}";
        let text = format!("\n{good}\nnot json\n\n{}\n", good.replace("jdoe", "mlee"));
        let r = run("004", &text, ImportFormat::JsonLines);
        assert_eq!(r.status, vec![0, 2, 0]);
        assert_eq!(r.lines.as_deref(), Some(&[2, 3, 5][..]));
        assert_eq!(r.rows[0].line, 3);
        // Without records, no lines either (a 100,000-row file keeps no vector per row).
        assert_eq!(run_with("004", csv, ImportFormat::Csv, false).lines, None);
    }

    /// A header column is a field's name before it is another field's label, whatever the
    /// fields' order (`alias`, labelled Name, comes before `name`: fields are kept in key
    /// order); a label two fields share (and no field's name) is refused, naming both,
    /// rather than read as the first.
    #[test]
    fn a_column_is_a_name_before_a_label_and_never_an_ambiguous_label() {
        let policy = Policy::from_value(serde_json::json!({
            "warden": 1, "name": "labels",
            "fields": {
                "alias": {"type": "text", "label": {"en": "Name", "fr": "Intitulé"}},
                "name": {"type": "text", "required": true, "label": {"en": "Full name"}},
                "nickname": {"type": "text", "label": {"en": "Nickname", "fr": "Nom"}},
                "surname": {"type": "text", "label": {"en": "Last name", "fr": "Nom"}}
            }
        }))
        .unwrap();
        let r = run_policy(
            &policy,
            "NAME,Intitulé,Nickname\nAda,Countess,A\n",
            ImportFormat::Csv,
            true,
        );
        assert_eq!(
            r.columns,
            vec![
                Some("name".into()),
                Some("alias".into()),
                Some("nickname".into())
            ]
        );
        assert_eq!(r.status, vec![0]);
        let e = try_policy(&policy, "name,Nom\nAda,L\n", ImportFormat::Csv, false).unwrap_err();
        assert_eq!(e.kind(), ImportErrorKind::MalformedHeader);
        assert!(
            e.to_string()
                .contains("`Nom` is the label of `nickname` and of `surname`"),
            "{e}"
        );
    }

    #[test]
    fn json_lines_import() {
        let text = "{\"username\":\"jdoe\",\"firstName\":\"J\",\"lastName\":\"D\",\"userType\":\"viewer\",\"department\":\"F\",\"supervisor\":\"s\"}\nnot json\n\n";
        let r = run("004", text, ImportFormat::JsonLines);
        assert_eq!(r.summary.total, 2);
        assert_eq!(r.status, vec![0, 2]);
    }

    /// A line naming a key twice is an invalid row naming the key, whether the rows are
    /// read into maps or straight into the fields: neither value is read.
    #[test]
    fn a_json_line_naming_a_key_twice_is_an_invalid_row() {
        let good = "{\"username\":\"jdoe\",\"firstName\":\"J\",\"lastName\":\"D\",\"userType\":\"viewer\",\"department\":\"F\",\"supervisor\":\"s\"}";
        let twice = good.replace("\"department\"", "\"supervisor\":\"t\",\"department\"");
        for records in [true, false] {
            let r = run_with(
                "004",
                &format!("{good}\n{twice}\n"),
                ImportFormat::JsonLines,
                records,
            );
            assert_eq!(r.status, vec![0, 2], "records: {records}");
            let row = &r.rows[0];
            assert_eq!(row.line, 2);
            let reason = row.violations[0].params["reason"].as_str().unwrap();
            assert!(
                reason.starts_with("duplicate key `supervisor` at line 1 column "),
                "{reason}"
            );
        }
    }
}
