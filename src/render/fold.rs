//! Interface text folded into the templates when they are compiled: each
//! `{{ t("key") }}` whose text is known becomes that text, escaped as the template would
//! have written it, so pages do not call `t` for it (a page calls `t` about eighty times:
//! a variable lookup, a function call, a catalog lookup and an escape each time).
//!
//! Folding never changes what a page shows: it leaves a call as it is wherever it could
//! (a text with `{`, `}`, a line break or whitespace at either end; a call with whitespace
//! control `{{-`; a key with a backslash; anything inside `{% raw %}`), and folds nothing
//! in a theme whose templates bind the name `t` themselves (`{% set t = … %}`,
//! `{% for t in … %}`, a macro argument `t`, …), where `t(…)` may not be ours. Line
//! numbers stay those of the theme's files: a call that spans lines is not folded.

use std::borrow::Cow;

/// Whether `{{ t("key") }}` may be folded in any of `templates`: no template binds or
/// passes around the name `t` in a tag (`{% … %}`), where it could stand for something
/// else than the interface-text function.
pub(super) fn theme_allows_folding<'a>(templates: impl IntoIterator<Item = &'a str>) -> bool {
    templates
        .into_iter()
        .all(|source| blocks(source).all(|b| b.kind != BlockKind::Tag || !names_t_as_value(b.inner)))
}

/// `source` with every `{{ t("key") }}` that may be folded replaced by the text `text_of`
/// gives for `key` (`None`: not folded), HTML-escaped when `escape_html` is set (the
/// template auto-escapes, as `.html` templates do).
pub(super) fn fold_interface_text<'s>(
    source: &'s str,
    escape_html: bool,
    text_of: impl Fn(&str) -> Option<String>,
) -> Cow<'s, str> {
    let mut out = String::new();
    let mut copied = 0;
    for block in blocks(source) {
        if block.kind != BlockKind::Expression {
            continue;
        }
        let Some(text) = called_key(block.inner).and_then(&text_of).filter(|t| foldable(t)) else {
            continue;
        };
        if block.outer.contains('\n') {
            continue;
        }
        if out.is_empty() {
            out.reserve(source.len());
        }
        out.push_str(&source[copied..block.start]);
        if escape_html {
            out.push_str(&super::escape_text(&text));
        } else {
            out.push_str(&text);
        }
        copied = block.start + block.outer.len();
    }
    if copied == 0 {
        return Cow::Borrowed(source);
    }
    out.push_str(&source[copied..]);
    Cow::Owned(out)
}

/// Whether `text` can stand as template data with the same output: no template syntax
/// (`{`, `}`), no line break (line numbers), no whitespace at either end (a neighbouring
/// `{%-` or `-%}` would trim it, which it does not do to a call's output).
fn foldable(text: &str) -> bool {
    !text.is_empty()
        && !text.contains(['{', '}', '\n', '\r'])
        && !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
}

/// The key of an expression that is exactly `t("key")` or `t('key')` (whitespace around
/// the parts allowed, whitespace control not).
fn called_key(inner: &str) -> Option<&str> {
    if inner.starts_with(['-', '+']) || inner.ends_with(['-', '+']) {
        return None;
    }
    let call = inner.trim().strip_prefix('t')?.trim_start().strip_prefix('(')?;
    let call = call.trim_end().strip_suffix(')')?.trim();
    let quote = call.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let key = call.strip_prefix(quote)?.strip_suffix(quote)?;
    (!key.is_empty() && !key.contains(['"', '\'', '\\'])).then_some(key)
}

/// Whether the tag's text uses the identifier `t` other than as a call `t(`: as a name
/// bound (`set t`, `for t in`, `macro m(t)`, `macro t(…)`, `import … as t`) or passed as a
/// value.
fn names_t_as_value(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => i = skip_string(bytes, i, quote),
            b't' if (i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b'.'))
                && bytes.get(i + 1).is_none_or(|b| !ident(*b)) =>
            {
                let rest = tag[i + 1..].trim_start();
                let before = tag[..i].trim_end();
                let defines_macro = before
                    .strip_suffix("macro")
                    .is_some_and(|b| b.as_bytes().last().is_none_or(|c| !ident(*c)));
                if !rest.starts_with('(') || defines_macro {
                    return true;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    false
}

/// The index after the string literal that starts at `start` (its quote), escapes
/// skipped; the end of `bytes` if it is not closed.
fn skip_string(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlockKind {
    /// `{{ … }}`
    Expression,
    /// `{% … %}` (a `{% raw %}` block is skipped whole, its content never a block)
    Tag,
    /// `{# … #}`
    Comment,
}

/// A block of template syntax: where it starts, its whole text and its text between the
/// delimiters.
#[derive(Debug)]
struct Block<'s> {
    kind: BlockKind,
    start: usize,
    outer: &'s str,
    inner: &'s str,
}

/// The blocks of `source` in order, found as minijinja's lexer finds them with its
/// default syntax: string literals inside a block do not end it; the content of
/// `{% raw %}…{% endraw %}` is data. An unclosed block ends the scan (minijinja reports it
/// when it compiles the template).
fn blocks(source: &str) -> impl Iterator<Item = Block<'_>> {
    let bytes = source.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        loop {
            let open = at + source.get(at..)?.find('{')?;
            let (kind, close) = match bytes.get(open + 1) {
                Some(b'{') => (BlockKind::Expression, "}}"),
                Some(b'%') => (BlockKind::Tag, "%}"),
                Some(b'#') => (BlockKind::Comment, "#}"),
                _ => {
                    at = open + 1;
                    continue;
                }
            };
            let end = if kind == BlockKind::Comment {
                open + 2 + source[open + 2..].find(close)? + 2
            } else {
                close_of(bytes, open + 2, close.as_bytes())?
            };
            let outer = &source[open..end];
            let inner = &source[open + 2..end - 2];
            at = end;
            if kind == BlockKind::Tag && is_raw(inner) {
                // Skip to the end of the `{% endraw %}` tag.
                at = raw_end(source, end)?;
            }
            return Some(Block {
                kind,
                start: open,
                outer,
                inner,
            });
        }
    })
}

/// The index after the `close` delimiter of the block whose content starts at `from`,
/// string literals skipped.
fn close_of(bytes: &[u8], from: usize, close: &[u8]) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => i = skip_string(bytes, i, quote),
            _ if bytes[i..].starts_with(close) => return Some(i + close.len()),
            _ => i += 1,
        }
    }
    None
}

/// Whether a tag's text is `raw` (with whitespace control or not).
fn is_raw(inner: &str) -> bool {
    tag_word(inner) == "raw"
}

/// A tag's text without its whitespace control and surrounding whitespace.
fn tag_word(inner: &str) -> &str {
    inner.trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace())
}

/// The index after the `{% endraw %}` tag that ends a raw block whose content starts at
/// `from`.
fn raw_end(source: &str, from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let open = at + source[at..].find("{%")?;
        let close = open + 2 + source[open + 2..].find("%}")? + 2;
        if tag_word(&source[open + 2..close - 2]) == "endraw" {
            return Some(close);
        }
        at = open + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(key: &str) -> Option<String> {
        match key {
            "nav.projects" => Some("Initiatives".into()),
            "quoted" => Some("Tom & Jerry's <b>".into()),
            "plural" => Some("{n} initiatives".into()),
            "padded" => Some(" Start".into()),
            "two.lines" => Some("a\nb".into()),
            _ => None,
        }
    }

    fn fold(source: &str) -> String {
        fold_interface_text(source, true, text_of).into_owned()
    }

    #[test]
    fn a_call_with_a_literal_key_becomes_its_escaped_text() {
        assert_eq!(fold(r#"<a>{{ t("nav.projects") }}</a>"#), "<a>Initiatives</a>");
        assert_eq!(
            fold("<a title=\"{{t('quoted')}}\">"),
            "<a title=\"Tom &amp; Jerry&#39;s &lt;b&gt;\">"
        );
        assert_eq!(fold(r#"{{  t ( "nav.projects" )  }}"#), "Initiatives");
        let plain = fold_interface_text(r#"{{ t("quoted") }}"#, false, text_of);
        assert_eq!(
            plain, "Tom & Jerry's <b>",
            "a template that does not escape gets the text as it is"
        );
    }

    #[test]
    fn calls_that_could_show_otherwise_are_left_as_they_are() {
        for source in [
            r#"{{ t("unknown") }}"#,
            r#"{{ t("plural") }}"#,
            r#"{{ t("padded") }}"#,
            r#"{{ t("two.lines") }}"#,
            r#"{{- t("nav.projects") }}"#,
            r#"{{ t("nav.projects") -}}"#,
            "{{ t(\n\"nav.projects\") }}",
            r#"{{ t(key) }}"#,
            r#"{{ t("nav.projects") | upper }}"#,
            r#"{{ t("nav.projects", 2) }}"#,
            r#"{{ tn("nav.projects", 2) }}"#,
            r#"{{ x.t("nav.projects") }}"#,
            r#"{{ t("nav\.projects") }}"#,
            r#"{% raw %}{{ t("nav.projects") }}{% endraw %}"#,
            r#"{%- raw -%} {{ t("nav.projects") }} {%- endraw %}"#,
            r#"{{ '{{ t("nav.projects") }}' }}"#,
        ] {
            assert_eq!(fold(source), source, "{source}");
        }
        assert_eq!(
            fold(r#"{% raw %}{{ t("nav.projects") }}{% endraw %}{{ t("nav.projects") }}"#),
            r#"{% raw %}{{ t("nav.projects") }}{% endraw %}Initiatives"#,
            "after the raw block, calls are folded again"
        );
        assert_eq!(
            fold(r#"{# {{ t("nav.projects") }} #}"#),
            r#"{# {{ t("nav.projects") }} #}"#
        );
    }

    #[test]
    fn a_theme_that_binds_t_itself_is_not_folded() {
        for source in [
            "{% set t = 1 %}",
            "{% for t in items %}{% endfor %}",
            "{% for k, t in items|items %}{% endfor %}",
            "{% macro m(a, t) %}{% endmacro %}",
            r#"{% import "m.html" as t %}"#,
            r#"{% from "m.html" import t %}"#,
            "{% with t = x %}{% endwith %}",
            "{% if t %}{% endif %}",
            "{% macro t(key) %}{% endmacro %}",
            "{%- macro  t (key) %}{% endmacro %}",
        ] {
            assert!(!theme_allows_folding([r#"{{ t("a") }}"#, source]), "{source}");
        }
        for source in [
            r#"{% if t("a") %}{% endif %}"#,
            r#"{% set x = t ("a") %}"#,
            "{% set text = item.t %}",
            r#"{% set x = "t" %}"#,
            "{# set t = 1 #}",
            "{{ t }}",
            r#"{% set remacro = t("a") %}"#,
            "{% for item in items %}{{ item }}{% endfor %}",
        ] {
            assert!(theme_allows_folding([source]), "{source}");
        }
    }

    #[test]
    fn the_blocks_are_found_as_minijinja_finds_them() {
        let kinds: Vec<(BlockKind, &str)> =
            blocks(r#"a {{ "}}" }} {% if x %}{# c %} #}{% raw %}{{ y }}{% endraw %}{ b }"#)
                .map(|b| (b.kind, b.outer))
                .collect();
        assert_eq!(
            kinds,
            [
                (BlockKind::Expression, r#"{{ "}}" }}"#),
                (BlockKind::Tag, "{% if x %}"),
                (BlockKind::Comment, "{# c %} #}"),
                (BlockKind::Tag, "{% raw %}"),
            ]
        );
        assert_eq!(blocks("{{ unclosed").count(), 0);
    }
}
