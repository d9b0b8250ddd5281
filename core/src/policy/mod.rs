//! Policy documents: parsing, checking, compiling and hashing a tenant's policy.
//!
//! A [`PolicyDocument`] is plain data; [`Policy`] is its checked and compiled form (regexes
//! compiled once, password profile resolved, content hash computed). Every decision Warden
//! returns is stamped with [`Policy::hash`], so a server can refuse data that was checked
//! against another policy.
//!
//! # Untrusted input
//! Policy documents come from tenants. Everything they control is bounded by the constants
//! in [`limits`]; exceeding one is a [`PolicyError`] of kind [`PolicyErrorKind::Limit`] that
//! names the key and the limit.

mod dialect;
mod document;
mod field_index;
mod ordered;
mod pattern;
pub mod presets;
mod value_route;

use field_index::FieldIndex;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use regex::{Regex, RegexBuilder};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use document::*;
pub use ordered::OrderedMap;

use crate::password::{PasswordPolicy, ResolvedPasswordPolicy};

/// Limits on what a tenant's policy may contain. Each is enforced at load time.
pub mod limits {
    /// Largest policy document, in bytes of JSON: 1 MiB.
    pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;
    /// Most fields in a user schema: 256.
    pub const MAX_FIELDS: usize = 256;
    /// Longest name (field names, rule ids, role ids): 128 bytes.
    pub const MAX_NAME_BYTES: usize = 128;
    /// Longest regex pattern: 1,024 bytes.
    pub const MAX_PATTERN_BYTES: usize = 1024;
    /// Largest compiled regex program (`regex::RegexBuilder::size_limit`): 256 KiB.
    pub const REGEX_SIZE_LIMIT: usize = 256 << 10;
    /// Largest lazy-DFA cache per regex (`regex::RegexBuilder::dfa_size_limit`): 1 MiB.
    pub const REGEX_DFA_SIZE_LIMIT: usize = 1 << 20;
    /// Most regex patterns in one document (rules, field patterns and generic e-mail
    /// local parts together): 256. With [`REGEX_SIZE_LIMIT`] each, a policy's compiled
    /// patterns stay under 64 MiB, and its compilation under a second.
    pub const MAX_PATTERNS: usize = 256;
    /// Most work one pattern may ask of a value: the size of its automaton (estimated from
    /// the pattern: each literal byte one state, each class range four, a class reaching
    /// past ASCII 24 more, a counted repetition's body once per repeat it allows) times the
    /// longest value it is matched against, in bytes, four a code point (a field's
    /// pattern: the longest value the field reads before refusing it unread, twice its
    /// `maxLength`; a rule: its field's `maxLength`; an e-mail local part: the `email`
    /// field's `maxLength`): 16,777,216. The `regex` crate
    /// matches in time linear in the value, but a pattern whose lazy DFA gives up is
    /// matched by simulating the automaton, at a cost per byte that grows with its size:
    /// unbounded, `^[a-z]*a[a-z]{2000}$` took a third of a second over one value of 65,536
    /// characters, and a document may hold 256 patterns. Lower the field's `maxLength` or
    /// simplify the pattern.
    pub const MAX_PATTERN_WORK: u64 = 1 << 24;
    /// Most work of all of a document's patterns together, counted as for
    /// [`MAX_PATTERN_WORK`]: 67,108,864 (a record's matching within about a second at the
    /// worst, measured: twelve patterns of `.*a.{100}b` over values of 10,000 emoji,
    /// allowed when the work was counted in code points, took 12.8 s).
    pub const MAX_POLICY_PATTERN_WORK: u64 = 1 << 26;
    /// Most entries in any list or map of the document (enum values, mappings, rules): 10,000.
    pub const MAX_LIST: usize = 10_000;
    /// Largest `maxLength` a field may declare, in code points: 65,536.
    pub const MAX_FIELD_LENGTH: u32 = 65_536;
    /// Longest free-text string anywhere in the document (descriptions, messages): 16 KiB.
    pub const MAX_TEXT_BYTES: usize = 16 << 10;
}

/// The kind of a [`PolicyError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// Not JSON (or TOML) at all.
    Syntax,
    /// Well-formed, but not the document's shape: unknown key, wrong type, missing key.
    Shape,
    /// A `warden` format version this build does not read.
    Version,
    /// Settings that contradict each other or refer to things that do not exist.
    Invalid,
    /// Something larger than a documented [limit](limits).
    Limit,
    /// A regex pattern that does not compile, or that is outside the pattern dialect (no
    /// construct that needs a Unicode table: the same patterns load in every build).
    Regex,
}

/// A policy document that cannot be used.
///
/// The message names the key path (`fields.email.pattern`) and the reason; [`help`]
/// carries a suggestion when there is one.
///
/// [`help`]: PolicyError::help
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    kind: PolicyErrorKind,
    path: String,
    reason: String,
    help: Option<String>,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "invalid policy: {}", self.reason)
        } else {
            write!(f, "invalid policy at `{}`: {}", self.path, self.reason)
        }
    }
}

/// The longest path and reason a [`PolicyError`] echoes, in characters: a key or a value of
/// the document quoted in them (an unknown key, an unknown variant) is cut there, with `…`,
/// so that a refused document of 1 MB does not come back as an error of 1 MB.
const MAX_ERROR_ECHO_CHARS: usize = 512;

/// `text`, cut to [`MAX_ERROR_ECHO_CHARS`] characters with `…` when longer.
fn echo_bounded(text: String) -> String {
    match text.char_indices().nth(MAX_ERROR_ECHO_CHARS) {
        Some((cut, _)) => {
            let mut short = text;
            short.truncate(cut);
            short.push('…');
            short
        }
        None => text,
    }
}

impl PolicyError {
    pub(crate) fn new(
        kind: PolicyErrorKind,
        path: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        PolicyError {
            kind,
            path: echo_bounded(path.into()),
            reason: echo_bounded(reason.into()),
            help: None,
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(PolicyErrorKind::Invalid, path, reason)
    }

    pub(crate) fn limit(path: impl Into<String>, what: &str, limit: usize) -> Self {
        Self::new(
            PolicyErrorKind::Limit,
            path,
            format!("{what} exceeds the limit of {limit}"),
        )
    }

    #[must_use]
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(echo_bounded(help.into()));
        self
    }

    /// What went wrong, broadly.
    pub fn kind(&self) -> PolicyErrorKind {
        self.kind
    }

    /// The key path of the offending setting (`fields.email.pattern`), empty for the whole
    /// document.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The reason, without the path.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// A suggestion (`did you mean `maxLength`?`), if there is one.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

/// A compiled field of the schema.
#[derive(Debug, Clone)]
pub(crate) struct CompiledField {
    pub(crate) name: String,
    pub(crate) spec: FieldSpec,
    pub(crate) trim: bool,
    pub(crate) max_len: usize,
    pub(crate) pattern: Option<pattern::FieldPattern>,
    /// (check id, within field)
    pub(crate) unique: Option<(Arc<str>, Option<String>)>,
    /// For a reference field, the id of its existence check (`organization_exists`).
    pub(crate) exists_check: Option<Arc<str>>,
    /// The name, shared by every decision's checks.
    pub(crate) name_arc: Arc<str>,
    /// Lower-cased derivation map.
    pub(crate) derivation: Option<HashMap<String, String>>,
}

/// A compiled tenant pattern rule.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub(crate) spec: PatternRule,
    pub(crate) regex: Regex,
}

/// A checked, compiled policy: the form every decision function takes.
///
/// Cheap to clone (shared internally); build it once per policy and reuse it.
#[derive(Debug, Clone)]
pub struct Policy {
    inner: Arc<Inner>,
    blocklist: Option<Arc<crate::password::Blocklist>>,
}

#[derive(Debug)]
struct Inner {
    doc: PolicyDocument,
    hash: Arc<str>,
    fields: Vec<CompiledField>,
    field_index: FieldIndex,
    rules: Vec<CompiledRule>,
    generic_locals: Vec<Regex>,
    password: Option<ResolvedPasswordPolicy>,
    access: Option<crate::access::CompiledAccess>,
    lifecycle: Option<crate::lifecycle::CompiledLifecycle>,
    /// The tenant's message templates, by language and code.
    messages: HashMap<crate::messages::Lang, HashMap<crate::violation::Code, String>>,
}

/// The format version this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// The one status that logs in under a policy without a lifecycle.
pub const ACTIVE_STATUS: &str = "active";

impl Policy {
    /// Parses, checks and compiles a JSON policy document.
    ///
    /// # Errors
    /// A [`PolicyError`] naming the key path when the text is not JSON, is too large, has an
    /// unknown key or a wrong type, or has contradictory or out-of-limit settings.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        if text.len() > limits::MAX_DOCUMENT_BYTES {
            return Err(PolicyError::limit(
                "",
                "the document's size in bytes",
                limits::MAX_DOCUMENT_BYTES,
            ));
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let doc: PolicyDocument = serde_path_to_error::deserialize(&mut de).map_err(shape_error)?;
        de.end()
            .map_err(|e| PolicyError::new(PolicyErrorKind::Syntax, "", e.to_string()))?;
        // A key named twice where serde keeps the last (a label's language, a `map` entry,
        // a message): refused as every JSON text the kernel reads (`crate::json`).
        if let Some(d) = crate::json::duplicate_key(text.as_bytes()) {
            return Err(PolicyError::new(
                PolicyErrorKind::Shape,
                d.path,
                format!("duplicate key `{}`", d.key),
            ));
        }
        Policy::from_document(doc)
    }

    /// Checks and compiles a policy given as a JSON value (the CLI's TOML path uses this).
    ///
    /// The errors are those of deserialising the value itself (no line and column), though
    /// the value is read by the text deserialiser (see `value_route.rs`).
    ///
    /// # Errors
    /// As [`Policy::from_json`].
    pub fn from_value(value: Value) -> Result<Policy, PolicyError> {
        let doc =
            value_route::parse(&value).map_err(|(path, inner)| shape_error_at(path, &inner))?;
        Policy::from_document(doc)
    }

    /// Checks and compiles a policy document.
    ///
    /// # Errors
    /// A [`PolicyError`] for contradictory or out-of-limit settings.
    pub fn from_document(doc: PolicyDocument) -> Result<Policy, PolicyError> {
        if doc.warden != FORMAT_VERSION {
            return Err(PolicyError::new(
                PolicyErrorKind::Version,
                "warden",
                format!("format version `{}` is not supported", doc.warden),
            )
            .with_help(format!(
                "this build reads format version `{FORMAT_VERSION}`"
            )));
        }
        check_name("name", &doc.name)?;
        if let Some(d) = &doc.description {
            check_text("description", d)?;
        }
        if doc.fields.len() > limits::MAX_FIELDS {
            return Err(PolicyError::limit(
                "fields",
                "the number of fields",
                limits::MAX_FIELDS,
            ));
        }
        // Every regex the document asks for, counted before any is compiled: each may take
        // up to `REGEX_SIZE_LIMIT` and its share of time, so their number is bounded too
        // (10,000 rules of large patterns took 23 s and 1.7 GB to compile).
        let patterns = doc.rules.len()
            + doc
                .generic_data
                .as_ref()
                .map_or(0, |g| g.email_local_parts.len())
            + doc
                .fields
                .iter()
                .filter(|(_, f)| f.pattern.is_some())
                .count();
        if patterns > limits::MAX_PATTERNS {
            return Err(PolicyError::limit(
                "rules",
                "the number of regex patterns (rules, field patterns and generic e-mail local parts)",
                limits::MAX_PATTERNS,
            ));
        }
        let mut work = PatternWork::default();
        let mut fields = Vec::with_capacity(doc.fields.len());
        let mut field_index = HashMap::with_hasher(crate::util::FnvBuild);
        for (name, spec) in doc.fields.iter() {
            let path = format!("fields.{name}");
            check_name(&path, name)?;
            // An account's roles and groups are its lists, given beside the record (a
            // create's body, an import's columns): a field of the same name would be
            // shadowed by them, or shadow them.
            if crate::import::ASSIGNMENT_COLUMNS.contains(&name) {
                return Err(PolicyError::invalid(
                    &path,
                    format!(
                        "`{name}` is the account's list of {name}, not a record field: give the field another name"
                    ),
                ));
            }
            let f = compile_field(&doc, name, spec, &path, &mut work)?;
            field_index.insert(name.to_owned(), fields.len());
            fields.push(f);
        }
        let has_password_field = doc
            .fields
            .iter()
            .any(|(_, f)| f.kind == FieldType::Password);
        let password = match &doc.password {
            Some(p) => Some(resolve_password(p)?),
            None if has_password_field => {
                return Err(PolicyError::invalid(
                    "password",
                    "the schema has a password field but the policy has no password policy",
                )
                .with_help(
                    "add a `password` section, for example `{\"profile\": \"nist-800-63b-4\"}`",
                ));
            }
            None => None,
        };
        if doc.rules.len() > limits::MAX_LIST {
            return Err(PolicyError::limit(
                "rules",
                "the number of rules",
                limits::MAX_LIST,
            ));
        }
        let mut rules = Vec::with_capacity(doc.rules.len());
        for (i, r) in doc.rules.iter().enumerate() {
            let path = format!("rules[{i}]");
            check_name(&format!("{path}.id"), &r.id)?;
            let Some(field) = field_index.get(&r.field).and_then(|&i| fields.get(i)) else {
                return Err(unknown_field_ref(&format!("{path}.field"), &r.field, &doc));
            };
            // A rule reads its field's stored value, within the field's `maxLength`.
            let subject = field.max_len;
            for (lang, m) in &r.message {
                check_lang(&format!("{path}.message.{lang}"), lang)?;
                check_text(&format!("{path}.message.{lang}"), m)?;
            }
            let regex = compile_regex(
                &format!("{path}.pattern"),
                &r.pattern,
                false,
                (&mut work, subject),
            )?;
            rules.push(CompiledRule {
                spec: r.clone(),
                regex,
            });
        }
        if let Some(c) = &doc.email_convention {
            if !doc
                .fields
                .iter()
                .any(|(n, f)| n == "email" && f.kind == FieldType::Email)
            {
                return Err(PolicyError::invalid(
                    "emailConvention",
                    "a naming convention needs an `email` field of type `email`",
                ));
            }
            if !doc.fields.contains_key("firstName") || !doc.fields.contains_key("lastName") {
                return Err(PolicyError::invalid(
                    "emailConvention",
                    "the `firstname.lastname` convention needs `firstName` and `lastName` fields",
                ));
            }
            check_list("emailConvention.domains", c.domains.len())?;
        }
        let mut generic_locals = Vec::new();
        if let Some(g) = &doc.generic_data {
            check_list("genericData.emailLocalParts", g.email_local_parts.len())?;
            // A local part is read from the stored `email`, within its `maxLength`.
            let subject = field_index
                .get("email")
                .and_then(|&i| fields.get(i))
                .map_or(0, |f: &CompiledField| f.max_len);
            for (i, p) in g.email_local_parts.iter().enumerate() {
                generic_locals.push(compile_regex(
                    &format!("genericData.emailLocalParts[{i}]"),
                    p,
                    true,
                    (&mut work, subject),
                )?);
            }
            for (field, values) in &g.values {
                if !field_index.contains_key(field) {
                    return Err(unknown_field_ref(
                        &format!("genericData.values.{field}"),
                        field,
                        &doc,
                    ));
                }
                check_list(&format!("genericData.values.{field}"), values.len())?;
            }
            for (i, field) in g.recommended.iter().enumerate() {
                if !field_index.contains_key(field) {
                    return Err(unknown_field_ref(
                        &format!("genericData.recommended[{i}]"),
                        field,
                        &doc,
                    ));
                }
            }
        }
        let access = match &doc.access {
            Some(a) => Some(crate::access::compile(a, &doc)?),
            None => None,
        };
        let lifecycle = match &doc.lifecycle {
            Some(l) => Some(crate::lifecycle::compile(l, &doc)?),
            None => None,
        };
        let messages = compile_messages(&doc)?;
        let hash = content_hash(&doc)?;
        Ok(Policy {
            blocklist: None,
            inner: Arc::new(Inner {
                doc,
                hash: hash.into(),
                fields,
                field_index: FieldIndex::new(field_index),
                rules,
                generic_locals,
                password,
                access,
                lifecycle,
                messages,
            }),
        })
    }

    /// A preset policy by name (`production-planner-pro`) or seed number (`000`).
    ///
    /// # Errors
    /// When no preset has that name; the error lists the names.
    pub fn preset(name: &str) -> Result<Policy, PolicyError> {
        presets::load(name)
    }

    /// The policy's content hash, `sha256:` and 64 hex digits, over the canonical JSON of
    /// the document (key order and white space do not change it: a JSON object's keys
    /// have no order, and a derivation's `contains` does not depend on it).
    pub fn hash(&self) -> &str {
        &self.inner.hash
    }

    pub(crate) fn hash_arc(&self) -> Arc<str> {
        Arc::clone(&self.inner.hash)
    }

    /// The document the policy was compiled from.
    pub fn document(&self) -> &PolicyDocument {
        &self.inner.doc
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.inner.doc.name
    }

    /// The names of the schema's password fields (type `password`), in schema order: the
    /// fields of a record that hold a secret, which nothing outside the kernel (plugins,
    /// logs, reports) is given.
    pub fn password_fields(&self) -> impl Iterator<Item = &str> {
        self.inner
            .doc
            .fields
            .iter()
            .filter(|(_, f)| f.kind == FieldType::Password)
            .map(|(n, _)| n)
    }

    /// This policy with `list` as its common-password list instead of the built-in one
    /// (the browser build ships the list as a separate asset). The content hash is
    /// unchanged: the list is data of the build, not of the tenant.
    #[must_use]
    pub fn with_blocklist(&self, list: Arc<crate::password::Blocklist>) -> Policy {
        Policy {
            inner: Arc::clone(&self.inner),
            blocklist: Some(list),
        }
    }

    /// The common-password list password checks use: the one given to
    /// [`with_blocklist`](Policy::with_blocklist), else the built-in one (when the crate
    /// feature `builtin-blocklist` is on), else none.
    pub fn blocklist(&self) -> Option<&crate::password::Blocklist> {
        match &self.blocklist {
            Some(b) => Some(b),
            #[cfg(feature = "builtin-blocklist")]
            None => Some(crate::password::Blocklist::builtin()),
            #[cfg(not(feature = "builtin-blocklist"))]
            None => None,
        }
    }

    /// Whether the policy's password rules need a common-password list that this build
    /// does not have yet (see [`with_blocklist`](Policy::with_blocklist)).
    pub fn needs_blocklist(&self) -> bool {
        self.password_policy().is_some_and(|p| p.blocklist()) && self.blocklist().is_none()
    }

    /// The resolved password policy, if the policy has one.
    pub fn password_policy(&self) -> Option<&ResolvedPasswordPolicy> {
        self.inner.password.as_ref()
    }

    /// The compiled access model (roles, groups, permissions), if the policy has one.
    pub fn access(&self) -> Option<&crate::access::CompiledAccess> {
        self.inner.access.as_ref()
    }

    /// The action roles are granted and withdrawn with (`access.assignAction`), if the
    /// policy names one: what a bulk role item, and a role change made by an edit, are
    /// authorized as.
    pub fn assign_action(&self) -> Option<&str> {
        self.access()?.spec.assign_action.as_deref()
    }

    /// The action a new account is authorized as (`access.createAction`), if the policy
    /// names one: what a bulk import item is authorized as.
    pub fn create_action(&self) -> Option<&str> {
        self.access()?.spec.create_action.as_deref()
    }

    /// The statuses whose accounts may log in and hold their permissions: under a
    /// lifecycle, those whose `login` is true; without one, [`ACTIVE_STATUS`] alone (the
    /// rule every access decision applies to an account's status). A store counts the
    /// active super administrators of the `lastSuperAdmin` guard over these.
    pub fn login_statuses(&self) -> Vec<&str> {
        match self.lifecycle() {
            Some(lc) => lc
                .spec()
                .statuses
                .iter()
                .filter(|(_, s)| s.login)
                .map(|(name, _)| name)
                .collect(),
            None => vec![ACTIVE_STATUS],
        }
    }

    /// Whether an account of an inactive organisation is refused sign-in
    /// (`lifecycle.login.organizationMustBeActive`): a store then counts no super
    /// administrator there as active, and ends the sessions of a user moved there.
    pub fn login_needs_active_organization(&self) -> bool {
        self.lifecycle()
            .is_some_and(|l| l.spec().login.organization_must_be_active)
    }

    /// The compiled lifecycle (statuses, transitions, lockout, deletion), if the policy has
    /// one.
    pub fn lifecycle(&self) -> Option<&crate::lifecycle::CompiledLifecycle> {
        self.inner.lifecycle.as_ref()
    }

    /// The tenant's message template for `code` in `lang`, if its policy has one.
    pub fn message_template(
        &self,
        lang: crate::messages::Lang,
        code: crate::violation::Code,
    ) -> Option<&str> {
        self.inner
            .messages
            .get(&lang)
            .and_then(|m| m.get(&code))
            .map(String::as_str)
    }

    /// Whether messages can be rendered in `lang` under this policy: a built-in language,
    /// or one the policy's `messages` section adds.
    pub fn speaks(&self, lang: crate::messages::Lang) -> bool {
        !lang.is_tenant() || self.inner.messages.contains_key(&lang)
    }

    /// The languages the policy's `messages` section adds (beyond the built-in ones).
    pub fn added_languages(&self) -> Vec<crate::messages::Lang> {
        let mut v: Vec<_> = self
            .inner
            .messages
            .keys()
            .filter(|l| l.is_tenant())
            .copied()
            .collect();
        v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        v
    }

    /// Renders `code` with `params` in `lang`: the tenant's template if the policy has one,
    /// else the built-in catalogue's.
    pub fn render(
        &self,
        code: crate::violation::Code,
        params: &crate::violation::Params,
        lang: crate::messages::Lang,
    ) -> String {
        crate::messages::render_with(code, params, lang, self.message_template(lang, code))
    }

    pub(crate) fn fields(&self) -> &[CompiledField] {
        &self.inner.fields
    }

    /// The schema position of a field, its index in [`Policy::fields`].
    pub(crate) fn field_position(&self, name: &str) -> Option<usize> {
        self.inner.field_index.get(&self.inner.fields, name)
    }

    pub(crate) fn rules(&self) -> &[CompiledRule] {
        &self.inner.rules
    }

    pub(crate) fn generic_locals(&self) -> &[Regex] {
        &self.inner.generic_locals
    }
}

fn shape_error<E: fmt::Display>(e: serde_path_to_error::Error<E>) -> PolicyError {
    shape_error_at(e.path().to_string(), &e.inner().to_string())
}

/// A deserialisation error at `path` (as `serde_path_to_error::Path` displays it).
fn shape_error_at(path: String, inner: &str) -> PolicyError {
    let path = if path == "." { String::new() } else { path };
    let kind = if inner.contains("expected value")
        || inner.contains("EOF while parsing")
        || inner.contains("trailing")
    {
        PolicyErrorKind::Syntax
    } else {
        PolicyErrorKind::Shape
    };
    let mut err = PolicyError::new(kind, path, strip_position(inner));
    if let Some(help) = did_you_mean(inner) {
        err = err.with_help(help);
    }
    err
}

/// serde_json appends ` at line L column C`; keep it (it helps) but nothing else.
fn strip_position(s: &str) -> String {
    s.trim_end_matches('.').to_owned()
}

/// For serde's "unknown field `x`, expected one of `a`, `b`", suggests the closest name.
fn did_you_mean(msg: &str) -> Option<String> {
    let rest = msg
        .strip_prefix("unknown field `")
        .or_else(|| msg.strip_prefix("unknown variant `"))?;
    let (got, rest) = rest.split_once('`')?;
    let candidates: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let best = candidates
        .iter()
        .map(|c| {
            (
                crate::util::levenshtein(&got.to_lowercase(), &c.to_lowercase()),
                *c,
            )
        })
        .min()?;
    (best.0 <= 3.max(got.len() / 3)).then(|| format!("did you mean `{}`?", best.1))
}

/// A name the tenant chose (a field, a rule, a role, a status): 1 to 128 bytes, no control
/// characters, none of the invisible ones that hide or reorder text (two names that look
/// the same must be the same name), no line or paragraph separator.
pub(crate) fn check_name(path: &str, name: &str) -> Result<(), PolicyError> {
    if name.is_empty() {
        return Err(PolicyError::invalid(path, "a name must not be empty"));
    }
    if name.len() > limits::MAX_NAME_BYTES {
        return Err(PolicyError::limit(
            path,
            "the name's length in bytes",
            limits::MAX_NAME_BYTES,
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(PolicyError::invalid(
            path,
            "a name must not contain control characters",
        ));
    }
    if name.chars().any(|c| {
        crate::checks::text::is_invisible_format(c) || matches!(c, '\u{2028}' | '\u{2029}')
    }) {
        return Err(PolicyError::invalid(
            path,
            "a name must not contain invisible characters (zero-width, direction marks, line separators)",
        ));
    }
    Ok(())
}

fn check_text(path: &str, text: &str) -> Result<(), PolicyError> {
    if text.len() > limits::MAX_TEXT_BYTES {
        return Err(PolicyError::limit(
            path,
            "the text's length in bytes",
            limits::MAX_TEXT_BYTES,
        ));
    }
    // Shown to people (in messages, forms, the console): no control character but a line
    // break or a tab, which would rewrite how a terminal or a log line reads (an escape
    // sequence clearing the screen).
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(PolicyError::invalid(
            path,
            "a text must not contain control characters (but line breaks and tabs)",
        ));
    }
    Ok(())
}

/// A list or map of the document: at most [`limits::MAX_LIST`] entries.
pub(crate) fn check_list(path: &str, len: usize) -> Result<(), PolicyError> {
    if len > limits::MAX_LIST {
        return Err(PolicyError::limit(
            path,
            "the number of entries",
            limits::MAX_LIST,
        ));
    }
    Ok(())
}

/// The `messages` section: each key a language tag (a built-in one exactly, or one that
/// adds a language), each code a violation code, each template a non-empty text whose
/// placeholders are the code's params.
type CompiledMessages = HashMap<crate::messages::Lang, HashMap<crate::violation::Code, String>>;

fn compile_messages(doc: &PolicyDocument) -> Result<CompiledMessages, PolicyError> {
    use crate::messages::Lang;
    use crate::violation::Code;
    check_list("messages", doc.messages.len())?;
    let mut out: CompiledMessages = HashMap::new();
    for (tag, templates) in &doc.messages {
        let path = format!("messages.{tag}");
        let lang: Lang = tag.parse().map_err(|_| {
            PolicyError::invalid(
                &path,
                format!(
                    "`{}` is not a language tag (BCP 47: `it`, `pt-BR`)",
                    tag.chars().take(32).collect::<String>()
                ),
            )
        })?;
        if !lang.is_tenant() && !tag.eq_ignore_ascii_case(lang.as_str()) {
            return Err(PolicyError::invalid(
                &path,
                format!(
                    "`{tag}` is a variant of the built-in language `{}`, which has one catalogue",
                    lang.as_str()
                ),
            )
            .with_help(format!("override `{}` instead", lang.as_str())));
        }
        if out.contains_key(&lang) {
            return Err(PolicyError::invalid(
                &path,
                format!("language `{}` is given twice", lang.as_str()),
            ));
        }
        check_list(&path, templates.len())?;
        let mut compiled = HashMap::with_capacity(templates.len());
        for (name, template) in templates {
            let tpath = format!("{path}.{name}");
            let Some(code) = Code::from_name(name) else {
                let err = if crate::decision::DenyCode::from_name(name).is_some() {
                    PolicyError::invalid(
                        &tpath,
                        format!(
                            "`{name}` is a denial code: only violation messages can be overridden"
                        ),
                    )
                } else {
                    PolicyError::invalid(&tpath, format!("`{name}` is not a violation code"))
                };
                return Err(
                    match crate::util::closest(name, Code::ALL.iter().map(|c| c.as_str()), 3) {
                        Some(c) => err.with_help(format!("did you mean `{c}`?")),
                        None => err,
                    },
                );
            };
            check_text(&tpath, template)?;
            if template.trim().is_empty() {
                return Err(PolicyError::invalid(&tpath, "a message must not be empty"));
            }
            check_placeholders(&tpath, code, template)?;
            compiled.insert(code, template.clone());
        }
        out.insert(lang, compiled);
    }
    Ok(out)
}

/// Every `{placeholder}` of a tenant's template names one of `code`'s params, and every
/// `{` is closed.
fn check_placeholders(
    path: &str,
    code: crate::violation::Code,
    template: &str,
) -> Result<(), PolicyError> {
    let params = code.params();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = rest.get(start + 1..).unwrap_or_default();
        let Some(end) = after.find('}') else {
            return Err(PolicyError::invalid(path, "a `{` is not closed by `}`"));
        };
        let name = after.get(..end).unwrap_or_default();
        if !params.contains(&name) {
            let listed = if params.is_empty() {
                "it has none".to_owned()
            } else {
                format!(
                    "its params are {}",
                    params
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let err = PolicyError::invalid(
                path,
                format!("`{{{name}}}` is not a param of `{code}` ({listed})"),
            );
            return Err(
                match crate::util::closest(name, params.iter().copied(), 3) {
                    Some(c) => err.with_help(format!("did you mean `{{{c}}}`?")),
                    None => err,
                },
            );
        }
        rest = after.get(end + 1..).unwrap_or_default();
    }
    Ok(())
}

fn check_lang(path: &str, lang: &str) -> Result<(), PolicyError> {
    lang.parse::<crate::messages::Lang>()
        .map(|_| ())
        .map_err(|e| PolicyError::invalid(path, e.to_string()))
}

fn unknown_field_ref(path: &str, name: &str, doc: &PolicyDocument) -> PolicyError {
    let err = PolicyError::invalid(path, format!("`{name}` is not a field of the schema"));
    match crate::util::closest(name, doc.fields.keys(), 3) {
        Some(k) => err.with_help(format!("did you mean `{k}`?")),
        None => err,
    }
}

/// The work a document's patterns ask of a record, charged as each is compiled
/// ([`limits::MAX_PATTERN_WORK`], [`limits::MAX_POLICY_PATTERN_WORK`]).
#[derive(Debug, Default)]
pub(crate) struct PatternWork {
    total: u64,
}

impl PatternWork {
    /// Charges `pattern`, matched against values of at most `subject` code points.
    fn charge(&mut self, path: &str, pattern: &str, subject: usize) -> Result<(), PolicyError> {
        // A pattern that does not parse is the compiler's to report.
        let Some(work) = pattern::work(pattern, subject) else {
            return Ok(());
        };
        let refuse = |what: &str, limit: u64| {
            PolicyError::new(
                PolicyErrorKind::Limit,
                path,
                format!(
                    "{what} exceeds the limit of {limit}: the size of the pattern's automaton times the longest value it is matched against ({subject} characters, four bytes each at most) is {work}"
                ),
            )
            .with_help("lower the field's `maxLength`, or simplify the pattern (fewer counted repeats)")
        };
        if work > limits::MAX_PATTERN_WORK {
            return Err(refuse("the pattern's work", limits::MAX_PATTERN_WORK));
        }
        self.total = self.total.saturating_add(work);
        if self.total > limits::MAX_POLICY_PATTERN_WORK {
            return Err(refuse(
                "the work of the document's patterns together",
                limits::MAX_POLICY_PATTERN_WORK,
            ));
        }
        Ok(())
    }
}

/// `pattern` compiled (anchored to the whole value when `anchored`), its work charged to
/// `work` for values of at most `subject` code points.
pub(crate) fn compile_regex(
    path: &str,
    pattern: &str,
    anchored: bool,
    (work, subject): (&mut PatternWork, usize),
) -> Result<Regex, PolicyError> {
    if pattern.len() > limits::MAX_PATTERN_BYTES {
        return Err(PolicyError::limit(
            path,
            "the pattern's length in bytes",
            limits::MAX_PATTERN_BYTES,
        ));
    }
    if let Some(reason) = dialect::syntax_error(pattern) {
        return Err(PolicyError::new(
            PolicyErrorKind::Regex,
            path,
            format!("the pattern does not compile: {reason}"),
        ));
    }
    if let Err(refusal) = dialect::check(pattern) {
        return Err(PolicyError::new(
            PolicyErrorKind::Regex,
            path,
            format!(
                "the pattern uses `{}`, which is outside the pattern dialect (the same in \
                 every build: no Unicode tables)",
                refusal.construct
            ),
        )
        .with_help(refusal.help));
    }
    work.charge(path, pattern, subject)?;
    let full = if anchored {
        format!("^(?:{pattern})$")
    } else {
        pattern.to_owned()
    };
    RegexBuilder::new(&full)
        .size_limit(limits::REGEX_SIZE_LIMIT)
        .dfa_size_limit(limits::REGEX_DFA_SIZE_LIMIT)
        .nest_limit(64)
        .build()
        .map_err(|e| {
            let reason = match e {
                regex::Error::CompiledTooBig(n) => {
                    format!("the compiled pattern exceeds the limit of {n} bytes")
                }
                other => format!(
                    "the pattern does not compile: {}",
                    other
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("syntax error")
                        .trim()
                ),
            };
            let kind = if reason.contains("exceeds") {
                PolicyErrorKind::Limit
            } else {
                PolicyErrorKind::Regex
            };
            PolicyError::new(kind, path, reason)
        })
}

fn resolve_password(p: &PasswordPolicy) -> Result<ResolvedPasswordPolicy, PolicyError> {
    p.resolve().map_err(|e| {
        let key = e.key().to_owned();
        PolicyError::invalid(format!("password.{key}"), e.to_string())
    })
}

/// The longest text value, in code points, a field of `max_len` reads: a longer one is
/// refused `too_long` unread (its length in bytes alone can show it).
pub(crate) fn unread_bound(max_len: usize) -> usize {
    max_len.saturating_mul(2).max(max_len + 64)
}

/// The default maximum length of each field type, in code points.
fn default_max_len(kind: FieldType) -> u32 {
    match kind {
        FieldType::Text => 255,
        FieldType::Name => 100,
        FieldType::Email => 254,
        FieldType::Phone => 32,
        FieldType::Date => 10,
        FieldType::Enum => 255,
        FieldType::Identifier => 64,
        FieldType::Reference => 128,
        FieldType::Boolean => 5,
        FieldType::Url => 2048,
        FieldType::Password => 4096,
    }
}

fn compile_field(
    doc: &PolicyDocument,
    name: &str,
    spec: &FieldSpec,
    path: &str,
    work: &mut PatternWork,
) -> Result<CompiledField, PolicyError> {
    let kind = spec.kind;
    check_values(spec, path)?;
    check_idn(spec, path)?;
    check_default_country_code(spec, path)?;
    check_date_keys(spec, path)?;
    check_keep_if_blank(spec, path)?;
    check_length_applies(spec, path)?;
    check_password_keys(spec, path)?;
    check_length_bounds(spec, path)?;
    check_identifier_pattern(spec, path)?;
    check_labels(spec, path)?;
    // The format's name is quoted in every violation of the field (`is not a valid
    // {format}`): a name, bounded as one.
    if let Some(f) = &spec.format {
        check_name(&format!("{path}.format"), f)?;
    }
    let max_len = spec.max_length.unwrap_or_else(|| default_max_len(kind)) as usize;
    let pattern = compile_pattern(spec, path, (work, unread_bound(max_len)))?;
    check_required_when(doc, spec, path)?;
    check_min_ages(doc, spec, path)?;
    let unique = compile_unique(doc, name, spec, path)?;
    let derivation = compile_derivation(doc, name, spec, path)?;
    check_derived_values(spec, pattern.as_ref(), path)?;
    let trim = spec.trim.unwrap_or(kind != FieldType::Password);
    let exists_check = (kind == FieldType::Reference)
        .then(|| Arc::from(format!("{}_exists", crate::util::snake_case(name))));
    Ok(CompiledField {
        name_arc: Arc::from(name),
        exists_check,
        name: name.to_owned(),
        spec: spec.clone(),
        trim,
        max_len,
        pattern,
        unique,
        derivation,
    })
}

/// The error for a key set on a field whose type it does not apply to (`{path}.{key}`).
fn not_for(path: &str, kind: FieldType, key: &str) -> PolicyError {
    PolicyError::invalid(
        format!("{path}.{key}"),
        format!(
            "`{key}` does not apply to a field of type `{}`",
            type_name(kind)
        ),
    )
}

/// `values`: only for an `enum` field, which needs at least one, and within the list limit.
fn check_values(spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    let kind = spec.kind;
    if !spec.values.is_empty() && kind != FieldType::Enum {
        return Err(not_for(path, kind, "values"));
    }
    if kind == FieldType::Enum && spec.values.is_empty() {
        return Err(PolicyError::invalid(
            format!("{path}.values"),
            "an `enum` field needs at least one value",
        ));
    }
    check_list(&format!("{path}.values"), spec.values.len())?;
    let mut seen = std::collections::BTreeSet::new();
    for (i, v) in spec.values.iter().enumerate() {
        if !seen.insert(v.as_str()) {
            return Err(PolicyError::invalid(
                format!("{path}.values[{i}]"),
                "a value listed twice",
            ));
        }
    }
    Ok(())
}

/// `idn`: only for an `email` field.
fn check_idn(spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    if spec.idn && spec.kind != FieldType::Email {
        return Err(not_for(path, spec.kind, "idn"));
    }
    Ok(())
}

/// `defaultCountryCode`: only for a `phone` field, and a country calling code (1 to 3
/// digits, not starting with 0).
fn check_default_country_code(spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    if spec.default_country_code.is_some() && spec.kind != FieldType::Phone {
        return Err(not_for(path, spec.kind, "defaultCountryCode"));
    }
    if let Some(cc) = &spec.default_country_code {
        let ok = (1..=3).contains(&cc.len())
            && cc.bytes().all(|b| b.is_ascii_digit())
            && !cc.starts_with('0');
        if !ok {
            return Err(PolicyError::invalid(
                format!("{path}.defaultCountryCode"),
                format!(
                    "`{cc}` is not a country calling code (1 to 3 digits, not starting with 0)"
                ),
            ));
        }
    }
    Ok(())
}

/// `past` and `minAge`: only for a `date` field.
fn check_date_keys(spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    if (spec.past || !spec.min_age.is_empty()) && spec.kind != FieldType::Date {
        return Err(not_for(
            path,
            spec.kind,
            if spec.past { "past" } else { "minAge" },
        ));
    }
    Ok(())
}

/// `keepIfBlankOnUpdate`: only for a field that is `required` or `requiredWhen`.
fn check_keep_if_blank(spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    if spec.keep_if_blank_on_update && !(spec.required || spec.required_when.is_some()) {
        return Err(PolicyError::invalid(
            format!("{path}.keepIfBlankOnUpdate"),
            "only a required field can keep its value when left blank",
        ));
    }
    Ok(())
}

/// `minLength` and `maxLength`: not for a `boolean` or a `date` field.
fn check_length_applies(spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    if matches!(spec.kind, FieldType::Boolean | FieldType::Date)
        && (spec.min_length.is_some() || spec.max_length.is_some())
    {
        return Err(not_for(
            path,
            spec.kind,
            if spec.min_length.is_some() {
                "minLength"
            } else {
                "maxLength"
            },
        ));
    }
    Ok(())
}

/// A `password` field takes none of the text keys: its rules live in the `password` section.
fn check_password_keys(spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    if spec.kind == FieldType::Password {
        for (key, set) in [
            ("minLength", spec.min_length.is_some()),
            ("maxLength", spec.max_length.is_some()),
            ("pattern", spec.pattern.is_some()),
            ("case", spec.case.is_some()),
            ("unique", spec.unique.is_some()),
            ("trim", spec.trim == Some(true)),
        ] {
            if set {
                return Err(not_for(path, spec.kind, key)
                    .with_help("password rules live in the policy's `password` section"));
            }
        }
    }
    Ok(())
}

/// `minLength` is at most `maxLength`, which is between 1 and the field length limit.
fn check_length_bounds(spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    if let (Some(min), Some(max)) = (spec.min_length, spec.max_length)
        && min > max
    {
        return Err(PolicyError::invalid(
            format!("{path}.minLength"),
            format!("`minLength` ({min}) is greater than `maxLength` ({max})"),
        ));
    }
    if let Some(max) = spec.max_length {
        if max > limits::MAX_FIELD_LENGTH {
            return Err(PolicyError::limit(
                format!("{path}.maxLength"),
                "`maxLength`",
                limits::MAX_FIELD_LENGTH as usize,
            ));
        }
        if max == 0 {
            return Err(PolicyError::invalid(
                format!("{path}.maxLength"),
                "`maxLength` must be at least 1",
            ));
        }
    }
    Ok(())
}

/// An `identifier` field needs a `pattern`.
fn check_identifier_pattern(spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    if spec.kind == FieldType::Identifier && spec.pattern.is_none() {
        return Err(PolicyError::invalid(
            format!("{path}.pattern"),
            "an `identifier` field needs a `pattern`",
        ));
    }
    Ok(())
}

/// `label`: each key a supported language, each label an acceptable text.
fn check_labels(spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    for (lang, label) in &spec.label {
        check_lang(&format!("{path}.label.{lang}"), lang)?;
        check_text(&format!("{path}.label.{lang}"), label)?;
    }
    Ok(())
}

/// `pattern`: compiled, anchored to the whole value.
fn compile_pattern(
    spec: &FieldSpec,
    path: &str,
    work: (&mut PatternWork, usize),
) -> Result<Option<pattern::FieldPattern>, PolicyError> {
    match &spec.pattern {
        Some(p) => {
            let regex = compile_regex(&format!("{path}.pattern"), p, true, work)?;
            Ok(Some(pattern::FieldPattern::new(p, regex)))
        }
        None => Ok(None),
    }
}

/// A condition (`requiredWhen`, `minAge[].when`): a `field` with `in` or `present`, or a
/// `mode`; the field one of the schema's, the `in` list within the list limit.
fn check_condition(doc: &PolicyDocument, cpath: String, c: &Condition) -> Result<(), PolicyError> {
    if c.field.is_none() && c.mode.is_none() {
        return Err(PolicyError::invalid(
            cpath,
            "a condition needs a `field` or a `mode`",
        ));
    }
    if c.field.is_some() && c.one_of.is_none() && c.present.is_none() {
        return Err(PolicyError::invalid(
            cpath,
            "a condition on a field needs `in` or `present`",
        ));
    }
    if c.field.is_none() && (c.one_of.is_some() || c.present.is_some()) {
        return Err(PolicyError::invalid(
            cpath,
            "`in` and `present` need a `field`",
        ));
    }
    if let Some(f) = &c.field
        && !doc.fields.contains_key(f)
    {
        return Err(unknown_field_ref(&format!("{cpath}.field"), f, doc));
    }
    if let Some(v) = &c.one_of {
        check_list(&format!("{cpath}.in"), v.len())?;
    }
    Ok(())
}

/// `requiredWhen`: not together with `required`, and a valid condition.
fn check_required_when(
    doc: &PolicyDocument,
    spec: &FieldSpec,
    path: &str,
) -> Result<(), PolicyError> {
    if let Some(c) = &spec.required_when {
        if spec.required {
            return Err(PolicyError::invalid(
                format!("{path}.requiredWhen"),
                "a field cannot be both `required` and `requiredWhen`",
            ));
        }
        check_condition(doc, format!("{path}.requiredWhen"), c)?;
    }
    Ok(())
}

/// `minAge`: each age at most 150 years, each `when` a valid condition.
fn check_min_ages(doc: &PolicyDocument, spec: &FieldSpec, path: &str) -> Result<(), PolicyError> {
    for (i, a) in spec.min_age.iter().enumerate() {
        if a.years > 150 {
            return Err(PolicyError::invalid(
                format!("{path}.minAge[{i}].years"),
                "a minimum age above 150 years cannot be met",
            ));
        }
        if let Some(c) = &a.when {
            check_condition(doc, format!("{path}.minAge[{i}].when"), c)?;
        }
    }
    Ok(())
}

/// A compiled `unique`: the check id and the scoping field, as [`CompiledField::unique`].
type CompiledUnique = (Arc<str>, Option<String>);

/// `unique`: `within` another field of the schema, `check` a valid name; compiled to the
/// check id (by default `{snake_name}_unique`) and the scoping field.
fn compile_unique(
    doc: &PolicyDocument,
    name: &str,
    spec: &FieldSpec,
    path: &str,
) -> Result<Option<CompiledUnique>, PolicyError> {
    let Some(u) = &spec.unique else {
        return Ok(None);
    };
    if let Some(w) = &u.within {
        if !doc.fields.contains_key(w) {
            return Err(unknown_field_ref(&format!("{path}.unique.within"), w, doc));
        }
        if w == name {
            return Err(PolicyError::invalid(
                format!("{path}.unique.within"),
                "a field cannot be unique within itself",
            ));
        }
    }
    let id = match &u.check {
        Some(c) => {
            check_name(&format!("{path}.unique.check"), c)?;
            c.clone()
        }
        None => format!("{}_unique", crate::util::snake_case(name)),
    };
    Ok(Some((Arc::from(id), u.within.clone())))
}

/// `derivedFrom`: from another field of the schema, `map` and `contains` within the list
/// limit, no blank keyword; compiled to the lower-cased map.
fn compile_derivation(
    doc: &PolicyDocument,
    name: &str,
    spec: &FieldSpec,
    path: &str,
) -> Result<Option<HashMap<String, String>>, PolicyError> {
    let Some(d) = &spec.derived_from else {
        return Ok(None);
    };
    if !doc.fields.contains_key(&d.field) {
        return Err(unknown_field_ref(
            &format!("{path}.derivedFrom.field"),
            &d.field,
            doc,
        ));
    }
    if d.field == name {
        return Err(PolicyError::invalid(
            format!("{path}.derivedFrom.field"),
            "a field cannot be derived from itself",
        ));
    }
    check_list(&format!("{path}.derivedFrom.map"), d.map.len())?;
    check_list(&format!("{path}.derivedFrom.contains"), d.contains.len())?;
    if let Some((k, _)) = d.contains.iter().find(|(k, _)| k.trim().is_empty()) {
        return Err(PolicyError::invalid(
            format!("{path}.derivedFrom.contains"),
            format!("keyword `{k}` is blank"),
        ));
    }
    Ok(Some(
        d.map
            .iter()
            .map(|(k, v)| (k.trim().to_lowercase(), v.clone()))
            .collect(),
    ))
}

/// A derivation's values are stored as the field's value without the field's own checks
/// (a derivation runs after them): each must pass them here. Only text-like fields can be
/// derived (`text`, `name`, `identifier`, `enum`), and not a unique one (every record
/// deriving the same value would collide); each `map`, `contains` and `default` value is
/// not blank, one of an `enum` field's values, within the field's lengths and matches its
/// `pattern`.
fn check_derived_values(
    spec: &FieldSpec,
    pattern: Option<&pattern::FieldPattern>,
    path: &str,
) -> Result<(), PolicyError> {
    let Some(d) = &spec.derived_from else {
        return Ok(());
    };
    if !matches!(
        spec.kind,
        FieldType::Text | FieldType::Name | FieldType::Identifier | FieldType::Enum
    ) {
        return Err(PolicyError::invalid(
            format!("{path}.derivedFrom"),
            format!(
                "a `{}` field cannot be derived (only text, name, identifier and enum fields)",
                type_name(spec.kind)
            ),
        ));
    }
    if spec.unique.is_some() {
        return Err(PolicyError::invalid(
            format!("{path}.derivedFrom"),
            "a unique field cannot be derived: the records deriving one value would collide",
        ));
    }
    let values = d
        .map
        .iter()
        .map(|(k, v)| (format!("{path}.derivedFrom.map.{k}"), v))
        .chain(
            d.contains
                .iter()
                .map(|(k, v)| (format!("{path}.derivedFrom.contains.{k}"), v)),
        )
        .chain(
            d.default
                .iter()
                .map(|v| (format!("{path}.derivedFrom.default"), v)),
        );
    for (at, v) in values {
        let len = v.chars().count();
        let problem = if v.trim().is_empty() {
            Some("a derived value must not be blank".to_owned())
        } else if spec.kind == FieldType::Enum && !spec.values.iter().any(|x| x == v) {
            Some(format!(
                "`{}` is not one of the field's values",
                v.chars().take(128).collect::<String>()
            ))
        } else if spec.min_length.is_some_and(|m| len < m as usize)
            || spec.max_length.is_some_and(|m| len > m as usize)
        {
            Some("a derived value outside the field's lengths".to_owned())
        } else if pattern.is_some_and(|p| !p.is_match(v)) {
            Some("a derived value that does not match the field's pattern".to_owned())
        } else {
            None
        };
        if let Some(reason) = problem {
            return Err(PolicyError::invalid(at, reason));
        }
    }
    Ok(())
}

/// The serialised name of a field type.
pub fn type_name(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Text => "text",
        FieldType::Name => "name",
        FieldType::Email => "email",
        FieldType::Phone => "phone",
        FieldType::Date => "date",
        FieldType::Enum => "enum",
        FieldType::Identifier => "identifier",
        FieldType::Reference => "reference",
        FieldType::Boolean => "boolean",
        FieldType::Url => "url",
        FieldType::Password => "password",
    }
}

fn content_hash(doc: &PolicyDocument) -> Result<String, PolicyError> {
    // Through the document's JSON text rather than `to_value`: the same value, and the one
    // serialiser of the document a build links (`Policy::document` callers print it too).
    let text = serde_json::to_string(doc).map_err(|e| PolicyError::invalid("", e.to_string()))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| PolicyError::invalid("", e.to_string()))?;
    let mut canonical = String::new();
    write_canonical(&value, &mut canonical).map_err(|e| PolicyError::invalid("", e.to_string()))?;
    let digest = Sha256::digest(canonical.as_bytes());
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    Ok(out)
}

/// Canonical JSON: object keys sorted by their UTF-8 bytes at every level, no white space.
/// Written by hand so that the hash does not depend on how `serde_json` orders maps in a
/// given build (its `preserve_order` feature may be switched on by any crate in the
/// dependency graph).
fn write_canonical(v: &Value, out: &mut String) -> Result<(), serde_json::Error> {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_unstable();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k)?);
                out.push(':');
                if let Some(x) = m.get(k) {
                    write_canonical(x, out)?;
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out)?;
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}
