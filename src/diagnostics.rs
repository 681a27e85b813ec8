//! Diagnostics: what is wrong, where, and how to fix it, in three output formats.
//!
//! Invariant: a diagnostic always names a file (relative to the site root, with `/`
//! separators) and a 1-based line and column in that file, so editors can click it.

use std::fmt::Write as _;

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path relative to the site root, `/`-separated.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Characters to underline on the line, at least 1.
    #[serde(skip)]
    pub len: usize,
    /// Short rule name, stable for tools (`schema`, `unknown-reference`, ...).
    pub rule: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The offending source line, for display.
    #[serde(skip)]
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub fn error(
        file: impl Into<String>,
        line: usize,
        column: usize,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line: line.max(1),
            column: column.max(1),
            len: 1,
            rule,
            message: message.into(),
            hint: None,
            source_line: None,
        }
    }

    pub fn warning(
        file: impl Into<String>,
        line: usize,
        column: usize,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, line, column, rule, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    pub fn with_len(mut self, len: usize) -> Self {
        self.len = len.max(1);
        self
    }

    /// Attaches the source line this diagnostic points at, taken from the file text.
    pub fn with_source(mut self, text: &str) -> Self {
        self.source_line = text.lines().nth(self.line - 1).map(str::to_owned);
        self
    }

    fn sort_key(&self) -> (&str, usize, usize, Severity, &str) {
        (&self.file, self.line, self.column, self.severity, &self.message)
    }
}

/// Sorts diagnostics by file, line and column, and drops exact repeats.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup_by(|a, b| a.sort_key() == b.sort_key());
}

/// Output format of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `file:line:col: error: message`, the source line with a caret, and a hint.
    Human { color: bool },
    /// One JSON object per line.
    Json,
    /// GitHub Actions workflow commands (`::error file=...`).
    Github,
}

/// Renders one diagnostic in `format`, ending with a newline.
pub fn render(d: &Diagnostic, format: Format) -> String {
    match format {
        Format::Human { color } => render_human(d, color),
        Format::Json => {
            let mut s = serde_json::to_string(d).expect("diagnostics serialize");
            s.push('\n');
            s
        }
        Format::Github => {
            let mut message = d.message.clone();
            if let Some(hint) = &d.hint {
                message.push_str(" (hint: ");
                message.push_str(hint);
                message.push(')');
            }
            format!(
                "::{} file={},line={},col={},title={}::{}\n",
                d.severity.as_str(),
                escape_github_property(&d.file),
                d.line,
                d.column,
                escape_github_property(&format!("openssc {}", d.rule)),
                escape_github_data(&message)
            )
        }
    }
}

fn render_human(d: &Diagnostic, color: bool) -> String {
    let (bold, red, yellow, blue, reset) = if color {
        ("\x1b[1m", "\x1b[1;31m", "\x1b[1;33m", "\x1b[1;34m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    let sev_color = match d.severity {
        Severity::Error => red,
        Severity::Warning => yellow,
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{bold}{}:{}:{}:{reset} {sev_color}{}:{reset} {bold}{}{reset}",
        d.file,
        d.line,
        d.column,
        d.severity.as_str(),
        d.message
    );
    if let Some(line) = &d.source_line {
        let number = d.line.to_string();
        let pad = " ".repeat(number.len());
        let line = line.replace('\t', " ");
        // The caret goes under the column, counted in characters.
        let before = " ".repeat(d.column.saturating_sub(1));
        let carets = "^".repeat(d.len.max(1));
        let _ = writeln!(out, "{blue}{pad} |{reset}");
        let _ = writeln!(out, "{blue}{number} |{reset} {line}");
        let _ = writeln!(out, "{blue}{pad} |{reset} {before}{sev_color}{carets}{reset}");
    }
    if let Some(hint) = &d.hint {
        let _ = writeln!(out, "  {blue}= hint:{reset} {hint}");
    }
    out
}

fn escape_github_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_github_property(s: &str) -> String {
    escape_github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The closest candidate to `wrong`, if one is close enough to be a likely typo.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wrong_lower = wrong.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&wrong_lower, &c.to_lowercase()), c))
        // A typo is one to three edits, fewer in short words: a larger budget makes
        // unrelated ids that share a prefix and a suffix look close.
        .filter(|(distance, _)| {
            let len = wrong.chars().count();
            *distance <= (len / 4).clamp(1, (len / 6).max(3))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Diagnostic {
        Diagnostic::error(
            "content/projects/x.md",
            3,
            5,
            "schema",
            "`helth` is not an allowed sector",
        )
        .with_len(5)
        .with_hint("did you mean `health`?")
        .with_source("---\nsectors:\n  - helth\n---\n")
    }

    #[test]
    fn human_format_has_clickable_location_caret_and_hint() {
        let text = render(&sample(), Format::Human { color: false });
        assert_eq!(
            text,
            "content/projects/x.md:3:5: error: `helth` is not an allowed sector\n  |\n3 |   - helth\n  |     ^^^^^\n  = hint: did you mean `health`?\n"
        );
    }

    #[test]
    fn github_format_escapes_data_and_properties() {
        let d = Diagnostic::error("a,b.md", 1, 2, "schema", "100% wrong\nreally");
        assert_eq!(
            render(&d, Format::Github),
            "::error file=a%2Cb.md,line=1,col=2,title=openssc schema::100%25 wrong%0Areally\n"
        );
    }

    #[test]
    fn json_format_is_one_object_per_line() {
        let text = render(&sample(), Format::Json);
        let v: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(v["line"], 3);
        assert_eq!(v["severity"], "error");
        assert_eq!(v["hint"], "did you mean `health`?");
    }

    #[test]
    fn closest_finds_typos_only() {
        let options = ["health", "housing", "education"];
        assert_eq!(closest("helth", options), Some("health"));
        assert_eq!(closest("Education", options), Some("education"));
        assert_eq!(closest("transport", options), None);
    }
}
