//! The decision type every target shares: allow or deny, with the reason.
//!
//! As in Cedar, [`Decision`] has exactly two values; a deny always says which kind it is
//! ([`DenyKind`]), carries a stable code, the rule that decided and, where possible, a hint
//! of what would make the request allowed.
//!
//! A deny's message, hint and params are rendered when first read ([`Text`],
//! [`DenyParams`]): a caller that only looks at the verdict or the code does not pay for the
//! rendering, and one that reads or serialises them sees exactly the rendered values.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::access::LazyDeny;
use crate::messages::{self, Lang};
use crate::violation::Params;

/// Allow or deny. Anything fatal (a policy error, a plugin fault, an exhausted limit) is a
/// deny, never an allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The request is allowed.
    Allow,
    /// The request is denied; the response says why.
    Deny,
}

/// Why a request is denied, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum DenyKind {
    /// No rule grants it.
    NotPermitted,
    /// A rule forbids it (a forbid permission, a forbidden role combination, a guard).
    Forbidden,
    /// Someone's state prevents it (the actor is inactive, the target is blacklisted).
    InvalidState,
    /// A fact the rule needs was not supplied: supply it and ask again (params `facts`
    /// lists them).
    MissingFact,
    /// The request itself is incomplete or malformed (a reason, a duration, a
    /// confirmation).
    InvalidRequest,
}

crate::violation::code_enum! {
    /// The stable machine code of a deny: every code the kernel denies with, from
    /// authorization, the lifecycle and bulk safeguards.
    ///
    /// Codes are part of Warden's interface: they never change meaning, and new ones are
    /// only added. They serialise as the snake_case strings listed here (a [`Denial`] holds
    /// the string, see [`Denial::deny_code`]). Each has a message, and possibly a hint, in
    /// every language of the [message catalogue](crate::messages).
    pub enum DenyCode {
        /// The actor's own status grants no permissions (R000-06, R003-04). Params: `status`.
        ActorInactive = "actor_inactive",
        /// The target is in another organisation and the actor is no super administrator.
        /// Params: `action`.
        OrganizationScope = "organization_scope",
        /// A forbid permission of one of the actor's roles matches the action. Params:
        /// `action`, `role`.
        Forbidden = "forbidden",
        /// The actor holds the action, but not at a scope that reaches the target. Params:
        /// `action`, `held`, `needed`.
        ScopeInsufficient = "scope_insufficient",
        /// Nothing permits it: no role grants the action (params `action`), or the actor is
        /// not among who may make a lifecycle change (params `permission`, `roles`, `root`,
        /// `superAdmin`, as the policy's `by` names them).
        NotPermitted = "not_permitted",
        /// Only the root user may grant this role. Params: `role`.
        RootOnly = "root_only",
        /// Only an administrator may grant this role. Params: `role`.
        AdministratorOnly = "administrator_only",
        /// The roles would be held together, which the policy forbids. Params: `roles`, and
        /// `reason`, `suggest` when the policy gives them.
        ForbiddenCombination = "forbidden_combination",
        /// A read-only role would be combined with a role that writes. Params: `role`,
        /// `other`, `suggest`.
        ReadOnlyConflict = "read_only_conflict",
        /// The account would keep fewer active roles than the policy's minimum. Params: `min`.
        NoActiveRole = "no_active_role",
        /// The actor would grant a permission it does not hold. Params: `role`, `permission`.
        PrivilegeEscalation = "privilege_escalation",
        /// The account's status holds no roles or groups (`rolesAllowed: false`, R001-06):
        /// none may be given to it. Params: `status`.
        RolesNotAllowed = "roles_not_allowed",
        /// The edit changes fields the actor may not edit (`access.fieldAccess`). Params:
        /// `fields`, every such field.
        FieldNotEditable = "field_not_editable",
        /// The account is already in the status asked for. Params: `status`.
        AlreadyInStatus = "already_in_status",
        /// No transition leads from the current status to the one asked for. Params: `from`,
        /// `to`, `allowed`.
        NoSuchTransition = "no_such_transition",
        /// The current status is terminal. Params: `from`.
        TerminalStatus = "terminal_status",
        /// Nobody approves their own verification.
        SelfApproval = "self_approval",
        /// The change needs a reason.
        ReasonRequired = "reason_required",
        /// The reason is too long. Params: `max`, `actual`.
        ReasonTooLong = "reason_too_long",
        /// The change takes no reason.
        ReasonNotAllowed = "reason_not_allowed",
        /// The temporary status needs a duration. Params: `to`.
        DurationRequired = "duration_required",
        /// The duration exceeds the status's maximum. Params: `maxDays`.
        DurationTooLong = "duration_too_long",
        /// The status is not temporary and takes no duration. Params: `to`.
        DurationNotAllowed = "duration_not_allowed",
        /// More than one of `until`, `durationDays` and `durationMinutes` was given.
        DurationAmbiguous = "duration_ambiguous",
        /// The end of the temporary status is not in the future.
        DurationInPast = "duration_in_past",
        /// Guard: the account is the last active super administrator.
        LastSuperAdmin = "last_super_admin",
        /// Guard: the account is the only holder of critical permissions. Params:
        /// `permissions`.
        SoleCriticalHolder = "sole_critical_holder",
        /// Guard: a system administrator must stay active.
        SystemAdminActive = "system_admin_active",
        /// Guard: the account has active bookings. Params: `count`, `suggestion`.
        ActiveBookings = "active_bookings",
        /// Guard: the record is incomplete or invalid. Params: `fields`.
        IncompleteRecord = "incomplete_record",
        /// Guard: an account cannot do this to itself.
        NotSelf = "not_self",
        /// Facts the decision needs were not supplied. Params: `facts`.
        MissingFact = "missing_fact",
        /// A permanent deletion needs a confirmation. Params: `alternative`.
        ConfirmationRequired = "confirmation_required",
        /// The deletion mode is not offered. Params: `mode`, `allowed`.
        ModeNotAllowed = "mode_not_allowed",
        /// The policy does not allow deleting accounts.
        DeletionDisabled = "deletion_disabled",
        /// The password reset method is not offered. Params: `method`, `allowed`.
        MethodNotAllowed = "method_not_allowed",
        /// The policy does not allow password resets.
        ResetDisabled = "reset_disabled",
        /// Users reset their own password only with a reset link.
        SelfResetMethod = "self_reset_method",
        /// Changing one's own password needs the current one.
        CurrentPasswordRequired = "current_password_required",
        /// The manager edit would make the account manage itself. Params: `manager`.
        ManagerCycle = "manager_cycle",
        /// The status is changed by a transition, not by an edit.
        StatusChangeNeedsTransition = "status_change_needs_transition",
        /// Login: the account's status does not allow login. Params: `status`.
        StatusInactive = "status_inactive",
        /// Login: the account's organisation is inactive. Params: `organization`.
        OrganizationInactive = "organization_inactive",
        /// Login: locked after too many failed logins, for a while. Params: `until`,
        /// `retryAfterSeconds`.
        Locked = "locked",
        /// Login: the account is in a locked status. Params: `until`, `retryAfterSeconds`
        /// when the lock ends.
        AccountLocked = "account_locked",
        /// Login: locked after too many failed logins, until an administrator unlocks it.
        LockedPermanently = "locked_permanently",
        /// Login: the password has expired.
        PasswordExpired = "password_expired",
        /// Login: the account awaits verification.
        PendingVerification = "pending_verification",
        /// Login: the account is permanently banned.
        Blacklisted = "blacklisted",
        /// Bulk: the deletions are not confirmed with their number. Params: `count`, `max`.
        BulkDeleteUnconfirmed = "bulk_delete_unconfirmed",
        /// Bulk: more deletions than allowed in one request. Params: `count`, `max`.
        BulkDeleteTooLarge = "bulk_delete_too_large",
        /// Bulk: the actor's own account is among the deletions. Params: `count`, `max`.
        BulkDeleteSelf = "bulk_delete_self",
    }
}

/// The details of a deny.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Denial {
    /// The kind of deny.
    pub kind: DenyKind,
    /// The stable machine code (`scope_insufficient`, `reason_required`, ...).
    pub code: Cow<'static, str>,
    /// The rendered message, in the requested language.
    pub message: Text,
    /// The rule that decided (`role:fleetManager#1`, `guard:activeBookings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Name>,
    /// What would make the request allowed, when Warden can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    /// Values the message is rendered from.
    #[serde(default, skip_serializing_if = "DenyParams::is_empty")]
    pub params: DenyParams,
}

impl Denial {
    /// A deny with `code`'s message and hint from the [message
    /// catalogue](crate::messages), rendered from `params` in `lang`.
    pub(crate) fn render(
        kind: DenyKind,
        code: DenyCode,
        rule: Option<Name>,
        params: Params,
        lang: Lang,
    ) -> Self {
        Denial {
            kind,
            code: Cow::Borrowed(code.as_str()),
            message: messages::deny_message(code, &params, lang).into(),
            hint: messages::deny_hint(code, &params, lang).map(Into::into),
            rule,
            params: params.into(),
        }
    }

    /// The typed code, when `code` is one the kernel denies with (a deny deserialised from
    /// elsewhere may carry another).
    pub fn deny_code(&self) -> Option<DenyCode> {
        DenyCode::from_name(&self.code)
    }
}

/// A short text held inline: its length in the last byte, the text in the bytes before (valid
/// UTF-8, at most `N - 1` bytes). One array, aligned, so that a copy is whole-word moves.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
struct InlineText<const N: usize> {
    bytes: [u8; N],
}

/// A text held inline up to `N - 1` bytes, shared beyond. The word-sized tag keeps the inline
/// bytes word-aligned.
#[derive(Clone)]
#[repr(u64)]
enum Compact<const N: usize> {
    /// Inline.
    Inline(InlineText<N>),
    /// A longer text.
    Shared(Arc<str>),
}

impl<const N: usize> Compact<N> {
    /// The text held inline, if it is short enough.
    #[inline]
    fn inline(text: &str) -> Option<Self> {
        let mut bytes = [0u8; N];
        let (last, body) = bytes.split_last_mut()?;
        *last = u8::try_from(text.len()).ok()?;
        body.get_mut(..text.len())?.copy_from_slice(text.as_bytes());
        Some(Compact::Inline(InlineText { bytes }))
    }

    fn new(text: &str) -> Self {
        Compact::inline(text).unwrap_or_else(|| Compact::Shared(text.into()))
    }

    fn from_arc(text: &Arc<str>) -> Self {
        Compact::inline(text).unwrap_or_else(|| Compact::Shared(Arc::clone(text)))
    }

    #[inline]
    fn as_str(&self) -> &str {
        match self {
            Compact::Inline(t) => match t.bytes.split_last() {
                Some((len, body)) => body
                    .get(..usize::from(*len))
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .unwrap_or_default(),
                None => "",
            },
            Compact::Shared(s) => s,
        }
    }
}

/// The string-like traits of a compact text type.
macro_rules! compact_text {
    ($name:ident) => {
        impl $name {
            /// The text.
            pub fn new(text: &str) -> Self {
                $name(Compact::new(text))
            }

            /// The text, as a `&str`.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                self.as_str()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                self.as_str()
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::new(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name::new(&s)
            }
        }

        impl From<Arc<str>> for $name {
            fn from(s: Arc<str>) -> Self {
                $name(Compact::from_arc(&s))
            }
        }

        impl From<&Arc<str>> for $name {
            fn from(s: &Arc<str>) -> Self {
                $name(Compact::from_arc(s))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &$name) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl Eq for $name {}

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &$name) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &$name) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.as_str()
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.as_str()
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map($name::from)
            }
        }
    };
}

/// A short text a decision is stamped with (a rule name, an action), read as a `&str`.
///
/// Texts of up to 31 bytes are held inline: copying one into a decision neither allocates nor
/// touches a shared reference count (an atomic operation per copy and per drop, which a
/// decision of a few dozen nanoseconds feels). Longer texts are shared.
#[derive(Clone)]
pub struct Name(Compact<32>);

compact_text!(Name);

/// The hash of the policy a decision was made under: `sha256:` and 64 hex digits (see
/// [`Policy::hash`](crate::Policy::hash)).
///
/// Held as the 32 bytes of the digest, so that stamping a decision with it copies 33 bytes
/// (no allocation, no shared reference count); it displays, compares with strings and
/// serialises as the text. Any other text (not a policy hash) is kept as it is.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PolicyHash(HashRepr);

/// The 32 bytes of a SHA-256 digest, aligned so that a copy is a few word moves.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C, align(8))]
struct Digest([u8; 32]);

/// Where a [`PolicyHash`] keeps its value.
#[derive(Clone, PartialEq, Eq, Hash)]
enum HashRepr {
    /// `sha256:` and the lower-case hex digits of these bytes.
    Sha256(Digest),
    /// Any other text.
    Other(Arc<str>),
}

/// `sha256:` and 64 hex digits.
const HASH_TEXT: usize = 7 + 64;

impl PolicyHash {
    /// The hash written as `text` (`sha256:` and 64 lower-case hex digits; any other text is
    /// kept as it is).
    pub fn new(text: &str) -> Self {
        let digest = text.strip_prefix("sha256:").and_then(|hex| {
            let mut digest = [0u8; 32];
            if hex.len() != 64 {
                return None;
            }
            for (byte, pair) in digest.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
                let digit = |c: u8| match c {
                    b'0'..=b'9' => Some(c - b'0'),
                    b'a'..=b'f' => Some(c - b'a' + 10),
                    _ => None,
                };
                let (hi, lo) = match pair {
                    [hi, lo] => (digit(*hi)?, digit(*lo)?),
                    _ => return None,
                };
                *byte = hi << 4 | lo;
            }
            Some(digest)
        });
        PolicyHash(match digest {
            Some(digest) => HashRepr::Sha256(Digest(digest)),
            None => HashRepr::Other(text.into()),
        })
    }

    /// Calls `f` with the text, rendered on the stack.
    fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match &self.0 {
            HashRepr::Sha256(Digest(digest)) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let mut text = [0u8; HASH_TEXT];
                let (prefix, hex) = text.split_at_mut(7);
                prefix.copy_from_slice(b"sha256:");
                for (pair, byte) in hex.chunks_exact_mut(2).zip(digest) {
                    if let [hi, lo] = pair {
                        *hi = HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0');
                        *lo = HEX.get(usize::from(byte & 15)).copied().unwrap_or(b'0');
                    }
                }
                f(std::str::from_utf8(&text).unwrap_or_default())
            }
            HashRepr::Other(text) => f(text),
        }
    }

    /// The text, `sha256:` and 64 hex digits.
    pub fn as_string(&self) -> String {
        self.with_text(str::to_owned)
    }
}

impl From<&str> for PolicyHash {
    fn from(s: &str) -> Self {
        PolicyHash::new(s)
    }
}

impl From<String> for PolicyHash {
    fn from(s: String) -> Self {
        PolicyHash::new(&s)
    }
}

impl From<Arc<str>> for PolicyHash {
    fn from(s: Arc<str>) -> Self {
        PolicyHash::new(&s)
    }
}

impl From<PolicyHash> for String {
    fn from(h: PolicyHash) -> Self {
        h.as_string()
    }
}

impl fmt::Display for PolicyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_text(|t| f.write_str(t))
    }
}

impl fmt::Debug for PolicyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_text(|t| fmt::Debug::fmt(t, f))
    }
}

impl PartialEq<str> for PolicyHash {
    fn eq(&self, other: &str) -> bool {
        self.with_text(|t| t == other)
    }
}

impl PartialEq<&str> for PolicyHash {
    fn eq(&self, other: &&str) -> bool {
        self.with_text(|t| t == *other)
    }
}

impl PartialEq<String> for PolicyHash {
    fn eq(&self, other: &String) -> bool {
        self.with_text(|t| t == other)
    }
}

impl PartialEq<PolicyHash> for str {
    fn eq(&self, other: &PolicyHash) -> bool {
        other == self
    }
}

impl PartialEq<PolicyHash> for &str {
    fn eq(&self, other: &PolicyHash) -> bool {
        other == *self
    }
}

impl Serialize for PolicyHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_text(|t| serializer.serialize_str(t))
    }
}

impl<'de> Deserialize<'de> for PolicyHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(PolicyHash::from)
    }
}

/// Which text of a lazily rendered deny a [`Text`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The message.
    Message,
    /// The hint.
    Hint,
}

/// Where a [`Text`] comes from.
#[derive(Clone)]
enum TextSource {
    /// Rendered already.
    Owned(String),
    /// A fixed text.
    Static(&'static str),
    /// A text shared with the compiled policy.
    Shared(Arc<str>),
    /// Rendered on first read.
    Lazy(LazyDeny, Part),
}

/// A text of a decision (a deny's message or hint), read as a `&str`.
///
/// It dereferences to `str`, compares with strings, displays and serialises as the text.
/// Texts built by the kernel may be rendered only when first read; the rendered text is then
/// kept, so reading twice renders once.
#[derive(Clone)]
pub struct Text {
    source: TextSource,
    rendered: OnceLock<Box<str>>,
}

impl Text {
    fn of(source: TextSource) -> Self {
        Text {
            source,
            rendered: OnceLock::new(),
        }
    }

    /// A text shared with the compiled policy (no copy).
    pub(crate) fn shared(text: Arc<str>) -> Self {
        Text::of(TextSource::Shared(text))
    }

    /// A text rendered from `deny` when first read.
    pub(crate) fn lazy(deny: LazyDeny, part: Part) -> Self {
        Text::of(TextSource::Lazy(deny, part))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.source {
            TextSource::Owned(s) => s,
            TextSource::Static(s) => s,
            TextSource::Shared(s) => s,
            TextSource::Lazy(deny, part) => self
                .rendered
                .get_or_init(|| deny.render(*part).into_boxed_str()),
        }
    }

    /// The text as an owned string.
    pub fn into_string(self) -> String {
        match self.source {
            TextSource::Owned(s) => s,
            TextSource::Static(s) => s.to_owned(),
            TextSource::Shared(s) => s.as_ref().to_owned(),
            TextSource::Lazy(deny, part) => match self.rendered.into_inner() {
                Some(s) => s.into_string(),
                None => deny.render(part),
            },
        }
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::of(TextSource::Static(""))
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::of(TextSource::Owned(s))
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Text::of(TextSource::Static(s))
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        t.into_string()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Text::from)
    }
}

/// The params of a deny: a [`Params`] map, read through `Deref` (`deny.params["action"]`).
///
/// Params built by the kernel may be materialised only when first read; they are then kept.
/// Mutable access (`DerefMut`) materialises them.
#[derive(Clone, Default)]
pub struct DenyParams {
    /// The params, when built already (`lazy` is `None`).
    map: Params,
    /// The deny to build them from on first read.
    lazy: Option<LazyDeny>,
    /// The params built from `lazy`.
    rendered: OnceLock<Params>,
}

impl DenyParams {
    /// Params built from `deny` when first read.
    pub(crate) fn lazy(deny: LazyDeny) -> Self {
        DenyParams {
            map: Params::new(),
            lazy: Some(deny),
            rendered: OnceLock::new(),
        }
    }

    /// The params as a map.
    pub fn as_map(&self) -> &Params {
        match &self.lazy {
            None => &self.map,
            Some(deny) => self.rendered.get_or_init(|| deny.params()),
        }
    }

    /// Whether there are no params (without materialising them).
    pub fn is_empty(&self) -> bool {
        match &self.lazy {
            None => self.map.is_empty(),
            Some(deny) => deny.params_empty(),
        }
    }

    /// The params as an owned map.
    pub fn into_map(self) -> Params {
        match self.lazy {
            None => self.map,
            Some(deny) => match self.rendered.into_inner() {
                Some(p) => p,
                None => deny.params(),
            },
        }
    }
}

impl From<Params> for DenyParams {
    fn from(map: Params) -> Self {
        DenyParams {
            map,
            lazy: None,
            rendered: OnceLock::new(),
        }
    }
}

impl From<DenyParams> for Params {
    fn from(p: DenyParams) -> Self {
        p.into_map()
    }
}

impl Deref for DenyParams {
    type Target = Params;

    fn deref(&self) -> &Params {
        self.as_map()
    }
}

impl DerefMut for DenyParams {
    fn deref_mut(&mut self) -> &mut Params {
        if let Some(deny) = self.lazy.take() {
            self.map = self.rendered.take().unwrap_or_else(|| deny.params());
        }
        &mut self.map
    }
}

impl fmt::Debug for DenyParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_map(), f)
    }
}

impl PartialEq for DenyParams {
    fn eq(&self, other: &DenyParams) -> bool {
        self.as_map() == other.as_map()
    }
}

impl PartialEq<Params> for DenyParams {
    fn eq(&self, other: &Params) -> bool {
        self.as_map() == other
    }
}

impl Serialize for DenyParams {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DenyParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Params::deserialize(deserializer).map(DenyParams::from)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn names_hold_short_texts_inline_and_share_long_ones() {
        for text in [
            "",
            "root",
            "role:employee#1",
            &"x".repeat(31),
            &"y".repeat(32),
            "é😀",
        ] {
            let name = Name::new(text);
            assert_eq!(name.as_str(), text);
            assert_eq!(name.clone(), text);
            assert_eq!(Name::from(Arc::<str>::from(text)), name);
            assert_eq!(serde_json::to_value(&name).unwrap(), json!(text));
            let back: Name = serde_json::from_value(json!(text)).unwrap();
            assert_eq!(back, name);
        }
        assert!(matches!(Name::new(&"y".repeat(32)).0, Compact::Shared(_)));
        assert!(matches!(Name::new(&"x".repeat(31)).0, Compact::Inline(_)));
    }

    #[test]
    fn policy_hashes_render_exactly_as_given() {
        let hex = "0123456789abcdef".repeat(4);
        let text = format!("sha256:{hex}");
        let hash = PolicyHash::new(&text);
        assert!(matches!(hash.0, HashRepr::Sha256(_)));
        assert_eq!(hash.to_string(), text);
        assert_eq!(hash, text.as_str());
        assert_eq!(format!("{hash:?}"), format!("{text:?}"));
        assert_eq!(serde_json::to_value(&hash).unwrap(), json!(text));
        let back: PolicyHash = serde_json::from_value(json!(text)).unwrap();
        assert_eq!(back, hash);
        // Anything else is kept as it is (upper case, other lengths, other algorithms).
        for other in [
            format!("sha256:{}", hex.to_uppercase()),
            format!("sha256:{}", &hex[1..]),
            "md5:abc".to_owned(),
            String::new(),
        ] {
            let h = PolicyHash::new(&other);
            assert!(matches!(h.0, HashRepr::Other(_)), "{other}");
            assert_eq!(h.as_string(), other);
            assert_eq!(serde_json::to_value(&h).unwrap(), json!(other));
        }
    }

    #[test]
    fn texts_compare_and_serialise_as_strings() {
        let owned = Text::from("a reason is required".to_owned());
        let fixed = Text::from("a reason is required");
        let shared = Text::shared("a reason is required".into());
        for t in [&owned, &fixed, &shared] {
            assert_eq!(*t, "a reason is required");
            assert_eq!(t, &owned);
            assert!(t.starts_with("a reason"));
            assert_eq!(t.to_string(), "a reason is required");
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                json!("a reason is required")
            );
        }
        assert_eq!(shared.clone().into_string(), "a reason is required");
        let back: Text = serde_json::from_value(json!("x")).unwrap();
        assert_eq!(back, "x");
    }

    #[test]
    fn params_materialise_once_and_stay_editable() {
        let mut p = Params::new();
        p.insert("action".into(), Value::String("users.read".into()));
        let mut params = DenyParams::from(p.clone());
        assert!(!params.is_empty());
        assert_eq!(params["action"], "users.read");
        params.insert("role".into(), json!("hr"));
        assert_eq!(params.len(), 2);
        assert_eq!(
            serde_json::to_value(&params).unwrap(),
            json!({"action": "users.read", "role": "hr"})
        );
        assert!(DenyParams::default().is_empty());
        assert_eq!(Params::from(DenyParams::from(p.clone())), p);
    }
}
