//! Rendering: the typed dataset becomes pages (HTML via minijinja templates) and other
//! output files (CSS, robots.txt, sitemap, feed), all in memory.
//!
//! Invariants: rendering never does I/O (the theme is loaded before, files are written
//! after, by [`crate::write`]); every internal link is relative and names a file, so the
//! site works from `file://`; the same dataset gives the same bytes.

pub mod format;
pub mod report;
pub mod views;

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use rayon::prelude::*;
use serde_json::Value;

use crate::diagnostics::Diagnostic;

include!(concat!(env!("OUT_DIR"), "/embedded_theme.rs"));

/// One file of the built site, by path relative to the output folder (`/`-separated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A template with the file it came from (for error messages).
#[derive(Clone, Debug)]
struct Template {
    origin: String,
    text: String,
}

/// The theme: templates, static files and the interface-text catalog. The default theme
/// is embedded; a site's `templates/`, `static/` and `i18n/` override it file by file.
#[derive(Clone, Debug)]
pub struct Theme {
    templates: BTreeMap<String, Template>,
    /// Static files, by path under `static/`.
    pub static_files: BTreeMap<String, Vec<u8>>,
    /// Interface text in English, by key.
    pub catalog: BTreeMap<String, String>,
}

impl Theme {
    /// The embedded default theme with the site's overrides.
    pub fn load(site_root: &Path) -> Result<Theme, Vec<Diagnostic>> {
        let mut files: BTreeMap<String, (String, Vec<u8>)> = EMBEDDED_THEME
            .iter()
            .map(|(name, bytes)| {
                (
                    name.to_string(),
                    (format!("(built-in) themes/default/{name}"), bytes.to_vec()),
                )
            })
            .collect();
        let mut problems = Vec::new();
        for folder in ["templates", "static", "i18n"] {
            let dir = site_root.join(folder);
            if !dir.is_dir() {
                continue;
            }
            for entry in walkdir::WalkDir::new(&dir).sort_by_file_name().into_iter().flatten() {
                if !entry.file_type().is_file() {
                    continue;
                }
                let file = crate::load::relative(site_root, entry.path());
                match std::fs::read(entry.path()) {
                    Ok(bytes) => {
                        files.insert(file.clone(), (file, bytes));
                    }
                    Err(e) => problems.push(Diagnostic::error(file, 1, 1, "theme", format!("cannot read: {e}"))),
                }
            }
        }
        let mut theme = Theme {
            templates: BTreeMap::new(),
            static_files: BTreeMap::new(),
            catalog: BTreeMap::new(),
        };
        for (name, (origin, bytes)) in files {
            if let Some(template) = name.strip_prefix("templates/") {
                match String::from_utf8(bytes) {
                    Ok(text) => {
                        theme.templates.insert(template.to_owned(), Template { origin, text });
                    }
                    Err(_) => problems.push(Diagnostic::error(
                        origin,
                        1,
                        1,
                        "theme",
                        "the template is not valid UTF-8",
                    )),
                }
            } else if let Some(file) = name.strip_prefix("static/") {
                theme.static_files.insert(file.to_owned(), bytes);
            } else if name == "i18n/en.yaml" {
                let text = String::from_utf8_lossy(&bytes);
                match crate::yaml::parse(&text, 0) {
                    Ok((Value::Object(map), _)) => {
                        for (key, value) in map {
                            match value {
                                Value::String(s) => {
                                    theme.catalog.insert(key, s);
                                }
                                _ => problems.push(Diagnostic::error(
                                    &origin,
                                    1,
                                    1,
                                    "theme",
                                    format!("catalog entry `{key}` is not text"),
                                )),
                            }
                        }
                    }
                    Ok(_) => problems.push(Diagnostic::error(
                        &origin,
                        1,
                        1,
                        "theme",
                        "the catalog must be a mapping of key: text",
                    )),
                    Err(e) => problems.push(Diagnostic::error(&origin, e.pos.line, e.pos.col, "theme", e.message)),
                }
            }
        }
        if problems.is_empty() { Ok(theme) } else { Err(problems) }
    }

    /// A minijinja environment with every template compiled, strict about undefined
    /// values, HTML auto-escaping, and `t(key)` for interface text.
    fn environment(&self) -> Result<Environment<'static>, Vec<Diagnostic>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // Escape what HTML needs escaped (`& < > " '`), and not `/` as minijinja's
        // default does: relative links stay readable (`../projects/x/index.html`).
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(s) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
                let mut escaped = String::with_capacity(s.len());
                for c in s.chars() {
                    match c {
                        '&' => escaped.push_str("&amp;"),
                        '<' => escaped.push_str("&lt;"),
                        '>' => escaped.push_str("&gt;"),
                        '"' => escaped.push_str("&quot;"),
                        '\'' => escaped.push_str("&#39;"),
                        c => escaped.push(c),
                    }
                }
                out.write_str(&escaped)
                    .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        let mut problems = Vec::new();
        for (name, template) in &self.templates {
            if let Err(e) = env.add_template_owned(name.clone(), template.text.clone()) {
                problems.push(template_diagnostic(&self.templates, &e));
            }
        }
        let catalog = self.catalog.clone();
        env.add_function("t", move |key: &str| -> Result<String, minijinja::Error> {
            catalog.get(key).cloned().ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::UndefinedError,
                    format!("no interface text `{key}` in the catalog (themes/default/i18n/en.yaml)"),
                )
            })
        });
        if problems.is_empty() { Ok(env) } else { Err(problems) }
    }
}

fn template_diagnostic(templates: &BTreeMap<String, Template>, e: &minijinja::Error) -> Diagnostic {
    let name = e.name().unwrap_or_default();
    let origin = templates
        .get(name)
        .map_or_else(|| format!("templates/{name}"), |t| t.origin.clone());
    let mut message = format!("template error: {}", e.kind());
    if let Some(detail) = e.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    let mut d = Diagnostic::error(origin, e.line().unwrap_or(1), 1, "template", message);
    if let Some(t) = templates.get(name) {
        d = d.with_source(&t.text);
    }
    d
}

/// A page to render: where it goes, with which template and context.
#[derive(Clone, Debug)]
pub struct PageSpec {
    /// Output path, e.g. `projects/x/index.html`.
    pub path: String,
    pub template: &'static str,
    /// The page's own values; `site`, `page` and `build` are added by [`render_pages`].
    pub context: Value,
    pub title: String,
}

impl PageSpec {
    /// The relative prefix from this page to the site root (`../../` for `a/b/index.html`).
    pub fn root(&self) -> String {
        "../".repeat(self.path.matches('/').count())
    }
}

/// Facts about the build shown on every page.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BuildInfo {
    /// `YYYY-MM-DD`, from SOURCE_DATE_EPOCH or the last commit; `None` when unknown.
    pub date: Option<String>,
    pub generator: String,
}

/// Renders every page in parallel.
pub fn render_pages(
    theme: &Theme,
    site: &Value,
    build: &BuildInfo,
    pages: &[PageSpec],
) -> Result<Vec<OutputFile>, Vec<Diagnostic>> {
    let env = theme.environment()?;
    let results: Vec<Result<OutputFile, Diagnostic>> = pages
        .par_iter()
        .map(|spec| {
            let mut context = spec.context.clone();
            if !context.is_object() {
                context = Value::Object(Default::default());
            }
            context["site"] = site.clone();
            context["build"] = serde_json::to_value(build).unwrap_or_default();
            context["page"] = serde_json::json!({
                "path": spec.path,
                "root": spec.root(),
                "title": spec.title,
            });
            let template = env
                .get_template(spec.template)
                .map_err(|e| template_diagnostic(&theme.templates, &e))?;
            let html = template
                .render(minijinja::value::Serde(&context))
                .map_err(|e| template_diagnostic(&theme.templates, &e))?;
            Ok(OutputFile {
                path: spec.path.clone(),
                bytes: html.into_bytes(),
            })
        })
        .collect();
    let mut files = Vec::with_capacity(results.len());
    let mut problems = Vec::new();
    for r in results {
        match r {
            Ok(f) => files.push(f),
            Err(d) => problems.push(d),
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        crate::diagnostics::sort(&mut problems);
        Err(problems)
    }
}
