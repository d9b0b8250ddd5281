//! The one dialect of regular expressions a policy may use, the same in every build.
//!
//! Patterns are compiled by the `regex` crate, whose Unicode-aware Perl classes (`\d`, `\w`,
//! `\s`), word boundaries (`\b`, `\B`, `\<`, `\>`), Unicode classes (`\p{L}`) and
//! case-insensitive matching (`(?i)`) each need a Unicode table compiled into the build. The
//! browser builds leave those tables out (they are most of a small module's data), so a
//! pattern using them would run natively and fail in a browser. The rule here refuses them
//! at policy load on every target, before the pattern is compiled: a policy loads
//! everywhere or nowhere, with the same error.
//!
//! What stays allowed: literal text in any script, classes of explicit ranges (`[0-9]`,
//! `[A-Za-z]`, `[à-ÿ]`), ASCII classes (`[[:alpha:]]`), and the table-free ASCII forms with
//! Unicode mode switched off for a group: `(?-u:\d)`, `(?-u:\w)`, `(?i-u:abc)`.
//!
//! A pattern the parser refuses is refused before anything else, with the syntax error
//! ([`syntax_error`]).

use regex_syntax::ast::{
    self, AssertionKind, Ast, ClassSetItem, Flag, FlagsItemKind, GroupKind, Visitor,
};

/// Why a pattern is outside the dialect: the construct, as written, and a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The construct as written in the pattern (`\d`, `(?i)`), at most 32 bytes.
    pub(crate) construct: String,
    /// What to write instead.
    pub(crate) help: &'static str,
}

/// The parser every check here reads a pattern with (the compiler's nesting limit); the
/// error is its kind's message (`unopened group`).
fn parse(pattern: &str) -> Result<Ast, String> {
    ast::parse::ParserBuilder::new()
        .nest_limit(64)
        .build()
        .parse(pattern)
        .map_err(|e| e.kind().to_string())
}

/// Why `pattern` is not one well-formed expression on its own (`None` when it is). The
/// policy compiler asks this before it anchors a pattern as `^(?:pattern)$`: unchecked, a
/// `)` in the pattern would close that group early (`[0-9]{3})|(?:.*` would match every
/// value), and [`check`], which reads the pattern alone, would see nothing to refuse.
pub(crate) fn syntax_error(pattern: &str) -> Option<String> {
    parse(pattern).err()
}

/// Checks `pattern` against the dialect. `Ok` also when the pattern does not parse:
/// [`syntax_error`] reports that.
pub(crate) fn check(pattern: &str) -> Result<(), Refusal> {
    let Ok(ast) = parse(pattern) else {
        return Ok(());
    };
    ast::visit(
        &ast,
        Checker {
            pattern,
            stack: Vec::new(),
            state: State {
                unicode: true,
                case_insensitive: false,
                case_insensitive_from: None,
            },
        },
    )
}

#[derive(Debug, Clone, Copy)]
struct State {
    unicode: bool,
    case_insensitive: bool,
    /// The flags that last made matching both case-insensitive and Unicode: the span of
    /// `(?i)` (or `(?u)`) as written, or of a group's flags (the `i` of `(?i:`, then `true`).
    case_insensitive_from: Option<(ast::Span, bool)>,
}

impl State {
    /// Applies `flags`, written at `span` (`group`: a group's flags, `(?flags:...)`).
    fn apply(&mut self, flags: &ast::Flags, span: ast::Span, group: bool) {
        let before = (self.unicode, self.case_insensitive);
        let mut negate = false;
        for item in &flags.items {
            match item.kind {
                FlagsItemKind::Negation => negate = true,
                FlagsItemKind::Flag(Flag::Unicode) => self.unicode = !negate,
                FlagsItemKind::Flag(Flag::CaseInsensitive) => self.case_insensitive = !negate,
                FlagsItemKind::Flag(_) => {}
            }
        }
        if !(self.unicode && self.case_insensitive) {
            self.case_insensitive_from = None;
        } else if before != (true, true) {
            self.case_insensitive_from = Some((span, group));
        }
    }
}

/// Walks the AST with the flags in force, as the `regex` translator does: a group saves
/// the flags and restores them at its end; `(?flags)` changes them for the rest of the
/// enclosing group; `(?flags:...)` only inside.
struct Checker<'p> {
    pattern: &'p str,
    stack: Vec<State>,
    state: State,
}

impl Checker<'_> {
    fn refuse(&self, span: &ast::Span, help: &'static str) -> Refusal {
        let text = self
            .pattern
            .get(span.start.offset..span.end.offset)
            .unwrap_or_default();
        let construct = if text.len() > 32 {
            let mut end = 32;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}...", text.get(..end).unwrap_or_default())
        } else {
            text.to_owned()
        };
        Refusal { construct, help }
    }

    /// A literal or class under case-insensitive Unicode matching needs the case-folding
    /// table: the refusal names the flag as written (`(?i)`, `(?i:...)`), where the first
    /// literal it applies to is.
    fn case_fold(&self, span: &ast::Span) -> Result<(), Refusal> {
        if self.state.unicode && self.state.case_insensitive {
            let mut refusal = self.refuse(
                span,
                "Unicode case-insensitive matching is not in the dialect: list both cases \
                 (`[Aa]`), or use `(?i-u:...)` for ASCII letters",
            );
            if let Some((flag, group)) = self.state.case_insensitive_from {
                let text = self.refuse(&flag, "").construct;
                refusal.construct = if group {
                    format!("(?{text}:...)")
                } else {
                    text
                };
            }
            return Err(refusal);
        }
        Ok(())
    }

    fn perl(&self, class: &ast::ClassPerl) -> Result<(), Refusal> {
        if self.state.unicode {
            return Err(self.refuse(
                &class.span,
                "Unicode Perl classes are not in the dialect: write the ranges (`[0-9]`, \
                 `[A-Za-z0-9_]`, `[ \\t\\n\\r]`), or use `(?-u:\\d)` for ASCII",
            ));
        }
        Ok(())
    }

    fn unicode_class(&self, class: &ast::ClassUnicode) -> Result<(), Refusal> {
        Err(self.refuse(
            &class.span,
            "Unicode property classes are not in the dialect: write the ranges (`[A-Za-zÀ-ÿ]`)",
        ))
    }
}

impl Visitor for Checker<'_> {
    type Output = ();
    type Err = Refusal;

    fn finish(self) -> Result<(), Refusal> {
        Ok(())
    }

    fn visit_pre(&mut self, ast: &Ast) -> Result<(), Refusal> {
        match ast {
            Ast::Group(g) => {
                self.stack.push(self.state);
                if let GroupKind::NonCapturing(flags) = &g.kind {
                    self.state.apply(flags, flags.span, true);
                }
            }
            Ast::Flags(f) => self.state.apply(&f.flags, f.span, false),
            Ast::Literal(l) => self.case_fold(&l.span)?,
            Ast::ClassBracketed(c) => self.case_fold(&c.span)?,
            Ast::ClassPerl(c) => {
                self.perl(c)?;
                self.case_fold(&c.span)?;
            }
            Ast::ClassUnicode(c) => self.unicode_class(c)?,
            Ast::Assertion(a) => {
                let word = !matches!(
                    a.kind,
                    AssertionKind::StartLine
                        | AssertionKind::EndLine
                        | AssertionKind::StartText
                        | AssertionKind::EndText
                );
                if word && self.state.unicode {
                    return Err(self.refuse(
                        &a.span,
                        "Unicode word boundaries are not in the dialect: use `(?-u:\\b)` for \
                         ASCII words",
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn visit_post(&mut self, ast: &Ast) -> Result<(), Refusal> {
        if let Ast::Group(_) = ast
            && let Some(saved) = self.stack.pop()
        {
            self.state = saved;
        }
        Ok(())
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), Refusal> {
        match item {
            ClassSetItem::Perl(c) => self.perl(c),
            ClassSetItem::Unicode(c) => self.unicode_class(c),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn ranges_literals_and_ascii_forms_are_in_the_dialect() {
        for p in [
            "[A-Za-z][A-Za-z0-9._-]{2,31}",
            "user[0-9]*",
            "^(?:[a-z]+)$",
            "élève|Zoë",
            "[[:alpha:]]+",
            "(?-u:\\d){3}",
            "(?-u:\\w)+",
            "(?i-u:abc)",
            "(?-u)(?i)abc",
            "(?-u:[\\d\\s])",
            "(?-u:\\b)x",
            "(?i-u:[a-z])",
            "[à-ÿ]",
            "(?m)^a$",
            "(?i)",
            "a(?i-u)b",
        ] {
            assert_eq!(check(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn constructs_needing_unicode_tables_are_refused() {
        for (p, construct) in [
            ("\\d{3}", "\\d"),
            ("[\\w.]+", "\\w"),
            ("a\\sb", "\\s"),
            ("\\D", "\\D"),
            ("\\bword", "\\b"),
            ("\\Bx", "\\B"),
            ("\\<x", "\\<"),
            ("\\pL+", "\\pL"),
            ("[\\p{Greek}]", "\\p{Greek}"),
            ("(?i)abc", "(?i)"),
            ("(?i:[a-z])", "(?i:...)"),
            ("(?-u:a)(?i)b", "(?i)"),
            ("(?-u:(?u)\\d)", "\\d"),
            ("(?i-u:a)(?i)b", "(?i)"),
            ("(?x)(?i)a", "(?i)"),
            ("(?ix)a", "(?ix)"),
            ("(?-u)(?u:(?i)a)", "(?i)"),
            ("(?i-u:(?u)a)", "(?u)"),
            ("(?-u)(?i)(?u)a", "(?u)"),
        ] {
            let refusal = check(p).err();
            assert_eq!(
                refusal.map(|r| r.construct),
                Some(construct.to_owned()),
                "{p}"
            );
        }
    }

    #[test]
    fn flags_end_with_their_group() {
        // `(?-u)` inside a group ends with the group: the `\d` after it is Unicode again.
        assert!(check("((?-u)\\d)\\d").is_err());
        assert_eq!(check("((?-u)\\d)[0-9]"), Ok(()));
        // ... and `(?i)` inside an alternation carries on to the next branch, as in `regex`.
        assert!(check("a|(?i)b|c").is_err());
    }

    #[test]
    fn syntax_errors_are_left_to_the_compiler() {
        assert_eq!(check("[a-z"), Ok(()));
        assert_eq!(check("(?P<"), Ok(()));
    }
}
