//! Rendering: the typed dataset becomes pages (HTML via minijinja templates) and other
//! output files (CSS, robots.txt, sitemap, feed), all in memory.
//!
//! Invariants: rendering never does I/O (the theme is loaded before, files are written
//! after, by [`crate::write`]); every internal link is relative and names a file, so the
//! site works from `file://`; the same dataset gives the same bytes.

/// A [`fields::Fields`] with the keys and values given, in that order:
/// `fields! { "id" => id, "name" => name }`. Each value becomes a template value once
/// ([`fields::IntoTemplate`]).
macro_rules! fields {
    ($($key:literal => $value:expr),* $(,)?) => {{
        let mut fields = $crate::render::fields::Fields::with_capacity([$($key),*].len());
        $(fields.push($key, $crate::render::fields::IntoTemplate::into_template($value));)*
        fields
    }};
}

pub mod deps;
pub mod fields;
mod fold;
pub mod report;
pub mod views;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use self::fields::Fields;
use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::locale::{Catalog, Locale, Message, PLURAL_CATEGORIES};

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
    /// Interface text by language and key.
    pub catalogs: BTreeMap<String, Catalog>,
    /// The file each language's catalog was last taken from (the site's, else built-in).
    catalog_origins: BTreeMap<String, String>,
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
        let mut site_catalogs = Vec::new();
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
                    Ok(bytes) if folder == "i18n" => {
                        let lang = file.trim_start_matches("i18n/").trim_end_matches(".yaml").to_owned();
                        if file.ends_with(".yaml") && !lang.contains('/') {
                            site_catalogs.push((lang, file, bytes));
                        }
                    }
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
            catalogs: BTreeMap::new(),
            catalog_origins: BTreeMap::new(),
        };
        let mut catalog_files = Vec::new();
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
            } else if let Some(lang) = name.strip_prefix("i18n/").and_then(|n| n.strip_suffix(".yaml")) {
                catalog_files.push((lang.to_owned(), origin, bytes));
            }
        }
        // Built-in catalogs first, then the site's: a site's entry replaces the theme's
        // entry of the same key, so a site can change one text without copying a catalog.
        catalog_files.extend(site_catalogs);
        for (lang, origin, bytes) in catalog_files {
            match parse_catalog(&String::from_utf8_lossy(&bytes), &origin) {
                Ok(entries) => {
                    theme.catalogs.entry(lang.clone()).or_default().extend(entries);
                    theme.catalog_origins.insert(lang, origin);
                }
                Err(mut d) => problems.append(&mut d),
            }
        }
        if problems.is_empty() { Ok(theme) } else { Err(problems) }
    }

    /// A minijinja environment with every template compiled, strict about undefined
    /// values, HTML auto-escaping, and `t(key)` and `tn(key, n)` for interface text in
    /// the locale's language.
    fn environment(&self, locale: Arc<Locale>) -> Result<Environment<'static>, Vec<Diagnostic>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if escapes_html(name) {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // Escape what HTML needs escaped (`& < > " '`), and not `/` as minijinja's
        // default does: relative links stay readable (`../projects/x.html`).
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(s) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => write_escaped(out, s)
                .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())),
            _ => minijinja::escape_formatter(out, state, value),
        });
        let mut problems = Vec::new();
        let fold = fold::theme_allows_folding(self.templates.values().map(|t| t.text.as_str()));
        let text_of = |key: &str| locale.catalog().contains_key(key).then(|| locale.t(key));
        for (name, template) in &self.templates {
            let source = if fold {
                fold::fold_interface_text(&template.text, escapes_html(name), text_of)
            } else {
                template.text.as_str().into()
            };
            if let Err(e) = env.add_template_owned(name.clone(), source.into_owned()) {
                problems.push(template_diagnostic(&self.templates, &e));
            }
        }
        let lang = locale.lang.clone();
        // Each text made once as a template value: a page calls `t` about eighty times.
        let texts: foldhash::HashMap<String, minijinja::Value> = locale
            .catalog()
            .keys()
            .map(|key| (key.clone(), minijinja::Value::from(locale.t(key))))
            .collect();
        env.add_function("t", move |key: &str| -> Result<minijinja::Value, minijinja::Error> {
            texts.get(key).cloned().ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::UndefinedError,
                    format!("no interface text `{key}` in the {lang} catalog (themes/default/i18n/{lang}.yaml)"),
                )
            })
        });
        let for_tn = Arc::clone(&locale);
        env.add_function("tn", move |key: &str, n: u64| -> Result<String, minijinja::Error> {
            match for_tn.catalog().get(key) {
                Some(_) => Ok(for_tn.plural(key, n)),
                None => Err(minijinja::Error::new(
                    minijinja::ErrorKind::UndefinedError,
                    format!("no interface text `{key}` in the catalog"),
                )),
            }
        });
        if problems.is_empty() { Ok(env) } else { Err(problems) }
    }
}

/// Parses a catalog: a mapping of key to text, or key to a mapping of CLDR plural
/// categories to text.
fn parse_catalog(text: &str, origin: &str) -> Result<Catalog, Vec<Diagnostic>> {
    let (value, spans) = match crate::yaml::parse(text, 0) {
        Ok(parsed) => parsed,
        Err(e) => {
            return Err(vec![Diagnostic::error(
                origin, e.pos.line, e.pos.col, "theme", e.message,
            )]);
        }
    };
    let map = match value {
        Value::Object(map) => map,
        // An empty file: a catalog with no entries yet.
        Value::Null => Default::default(),
        _ => {
            return Err(vec![Diagnostic::error(
                origin,
                1,
                1,
                "theme",
                "the catalog must be a mapping of key: text",
            )]);
        }
    };
    let mut catalog = Catalog::new();
    let mut problems = Vec::new();
    for (key, value) in map {
        let at = |message: String| {
            let pointer = format!("/{}", crate::yaml::escape_pointer_segment(&key));
            let pos = spans
                .get(&pointer)
                .map_or(crate::yaml::Pos { line: 1, col: 1 }, |s| s.start);
            Diagnostic::error(origin, pos.line, pos.col, "theme", message)
        };
        match value {
            Value::String(s) => {
                catalog.insert(key, Message::Text(s));
            }
            Value::Object(forms) => {
                let mut plural = BTreeMap::new();
                for (category, form) in forms {
                    match form {
                        Value::String(f) if PLURAL_CATEGORIES.contains(&category.as_str()) => {
                            plural.insert(category, f);
                        }
                        _ => problems.push(at(format!(
                            "catalog entry `{key}`: `{category}` is not a plural category with a text (use {})",
                            PLURAL_CATEGORIES.join(", ")
                        ))),
                    }
                }
                if !plural.contains_key("other") {
                    problems.push(at(format!("catalog entry `{key}` has no `other` form")));
                }
                catalog.insert(key, Message::Plural(plural));
            }
            _ => problems.push(at(format!("catalog entry `{key}` is not text"))),
        }
    }
    if problems.is_empty() {
        Ok(catalog)
    } else {
        Err(problems)
    }
}

impl Theme {
    /// The built-in catalog of `lang`, if the default theme has one.
    pub fn builtin_catalog(lang: &str) -> Option<Catalog> {
        let name = format!("i18n/{lang}.yaml");
        let (_, bytes) = EMBEDDED_THEME.iter().find(|(n, _)| *n == name)?;
        parse_catalog(&String::from_utf8_lossy(bytes), &name).ok()
    }

    /// The text of `key` in `lang`'s catalog, if it has it.
    pub fn text(&self, lang: &str, key: &str) -> Option<&str> {
        match self.catalogs.get(lang)?.get(key)? {
            Message::Text(s) => Some(s),
            Message::Plural(forms) => forms.get("other").map(String::as_str),
        }
    }

    /// The conventions of `lang` with its catalog (empty if there is none; `check`
    /// reports that).
    pub fn locale(&self, lang: &str) -> Locale {
        Locale::new(lang, self.catalogs.get(lang).cloned().unwrap_or_default())
    }

    /// Problems with the catalogs of the site's languages: a language without a catalog,
    /// a key of the English catalog missing, a plural entry without a form the
    /// language's plural rules need.
    pub fn check_catalogs(&self, languages: &[String]) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        let reference = self.catalogs.get("en");
        for lang in languages {
            let Some(catalog) = self.catalogs.get(lang) else {
                problems.push(
                    Diagnostic::error(
                        crate::config::CONFIG_FILE,
                        1,
                        1,
                        "catalog",
                        format!("language `{lang}` has no interface-text catalog"),
                    )
                    .with_hint(format!(
                        "the default theme has catalogs for en, es, pt and fr; add i18n/{lang}.yaml with every key of themes/default/i18n/en.yaml"
                    )),
                );
                continue;
            };
            let origin = self.catalog_origins.get(lang).cloned().unwrap_or_default();
            let locale = Locale::new(lang, Catalog::new());
            let needed = locale.plural_categories();
            if let Some(reference) = reference {
                for (key, message) in reference {
                    match catalog.get(key) {
                        None => problems.push(
                            Diagnostic::error(&origin, 1, 1, "catalog", format!("catalog key `{key}` is missing"))
                                .with_hint(format!("translate the English text: {}", english(message))),
                        ),
                        Some(Message::Plural(forms)) => {
                            for category in &needed {
                                // `many` is the form of large round numbers in es, pt and
                                // fr; `other` serves where it is not given.
                                if *category != "many" && !forms.contains_key(*category) {
                                    problems.push(Diagnostic::error(
                                        &origin,
                                        1,
                                        1,
                                        "catalog",
                                        format!("catalog key `{key}` has no `{category}` form, which {lang} needs"),
                                    ));
                                }
                            }
                        }
                        Some(Message::Text(_)) => {}
                    }
                }
            }
        }
        problems
    }
}

fn english(message: &Message) -> String {
    match message {
        Message::Text(s) => format!("\"{s}\""),
        Message::Plural(forms) => forms
            .iter()
            .map(|(k, v)| format!("{k}: \"{v}\""))
            .collect::<Vec<_>>()
            .join(", "),
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

/// Whether the template `name` escapes what it writes for HTML (`.html` templates).
fn escapes_html(name: &str) -> bool {
    name.ends_with(".html")
}

/// Escapes what HTML needs escaped (`& < > " '`), and not `/`.
pub(crate) fn escape_text(s: &str) -> String {
    let mut escaped = String::with_capacity(s.len());
    // Writing to a `String` cannot fail.
    let _ = write_escaped(&mut escaped, s);
    escaped
}

/// Writes `s` to `out` escaped as [`escape_text`] does: the runs without a character to
/// escape as they are.
fn write_escaped(out: &mut dyn std::fmt::Write, s: &str) -> std::fmt::Result {
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // The characters escaped are ASCII: `i` is a character boundary.
        out.write_str(&s[run..i])?;
        out.write_str(entity)?;
        run = i + 1;
    }
    out.write_str(&s[run..])
}

/// A page to render: where it goes, with which template and context.
#[derive(Clone, Debug)]
pub struct PageSpec {
    /// Output path, e.g. `projects/x.html`.
    pub path: String,
    pub template: &'static str,
    /// The page's own values (a map); `site`, `page` and `build` are added by
    /// [`Renderer::render`].
    pub context: minijinja::Value,
    pub title: String,
}

impl PageSpec {
    /// The relative prefix from this page to its language's root (`../../` for
    /// `a/b/index.html`).
    pub fn root(&self) -> String {
        "../".repeat(self.path.matches('/').count())
    }
}

/// One language of the site, as every page links to it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SiteLanguage {
    /// `en`, `es`, ...
    pub code: String,
    /// The language's name in itself (`Español`).
    pub name: String,
    /// Where its pages sit: `""` for the default language, else `es/`.
    pub prefix: String,
}

/// Facts about the build shown on every page.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BuildInfo {
    /// `YYYY-MM-DD`, from SOURCE_DATE_EPOCH or the last commit; `None` when unknown.
    pub date: Option<String>,
    pub generator: String,
}

/// Renders the pages of one language: each goes to the language's prefix plus its path,
/// and links to the same page in every language. Made once per language; used from many
/// threads.
pub struct Renderer<'t> {
    theme: &'t Theme,
    env: Environment<'static>,
    locale: Arc<Locale>,
    languages: Vec<SiteLanguage>,
    prefix: String,
    /// `site` and `build` of every page's context, converted for the templates once.
    site: minijinja::Value,
    build: minijinja::Value,
    /// The size of the last page rendered with each template: the next page of the same
    /// template is rendered into a buffer of about that size. minijinja sizes its buffer
    /// from the template's own text, which for a page that extends `base.html` is its
    /// `{% extends %}` alone, and the page grew by doubling (a copy of the whole page each
    /// time: a twentieth of the render step). Only the allocation depends on it, never
    /// the bytes.
    last_sizes: foldhash::HashMap<String, AtomicUsize>,
}

impl<'t> Renderer<'t> {
    /// Compiles the templates for `locale`'s language.
    pub fn new(
        theme: &'t Theme,
        site: Value,
        build: &BuildInfo,
        locale: &Arc<Locale>,
        languages: &[SiteLanguage],
    ) -> Result<Renderer<'t>, Vec<Diagnostic>> {
        let env = theme.environment(Arc::clone(locale))?;
        let prefix = languages
            .iter()
            .find(|l| l.code == locale.lang)
            .map_or_else(String::new, |l| l.prefix.clone());
        Ok(Renderer {
            theme,
            env,
            locale: Arc::clone(locale),
            languages: languages.to_vec(),
            prefix,
            site: minijinja::Value::from(minijinja::value::Serde(&site)),
            build: minijinja::Value::from(minijinja::value::Serde(build)),
            last_sizes: theme
                .templates
                .keys()
                .map(|name| (name.clone(), AtomicUsize::new(0)))
                .collect(),
        })
    }

    /// The output path of a page of this language.
    pub fn path_of(&self, page_path: &str) -> String {
        format!("{}{page_path}", self.prefix)
    }

    /// Renders a fragment that many pages show (an initiative's table row, `project-row.html`)
    /// from `context`, where [`ROOT_MARK`] stands for the root of the page it will be placed
    /// in. Fallback marks are left for the page.
    pub fn fragment(&self, template: &str, context: &minijinja::Value) -> Result<String, Diagnostic> {
        self.env
            .get_template(template)
            .and_then(|t| t.render(context))
            .map_err(|e| template_diagnostic(&self.theme.templates, &e))
    }

    /// Renders one page.
    pub fn render(&self, spec: PageSpec) -> Result<OutputFile, Diagnostic> {
        let lang = &self.locale.lang;
        let path = self.path_of(&spec.path);
        let site_root = "../".repeat(path.matches('/').count());
        let root = spec.root();
        let alternates: Vec<Fields> = self
            .languages
            .iter()
            .map(|l| {
                fields! {
                    "lang" => l.code.as_str(),
                    "name" => l.name.as_str(),
                    "href" => format!("{site_root}{}{}", l.prefix, spec.path),
                    "path" => format!("{}{}", l.prefix, spec.path),
                    "current" => &l.code == lang,
                }
            })
            .collect();
        let page = fields! {
            "path" => path.as_str(),
            "root" => root.as_str(),
            "site_root" => site_root,
            "lang" => lang.as_str(),
            "is_home" => spec.path == "index.html",
            "alternates" => alternates,
            "title" => crate::locale::strip_marks(&spec.title),
        };
        let context = minijinja::Value::from_object(PageContext {
            own: spec.context,
            site: self.site.clone(),
            build: self.build.clone(),
            page: page.into(),
        });
        let template = self
            .env
            .get_template(spec.template)
            .map_err(|e| template_diagnostic(&self.theme.templates, &e))?;
        let last_size = self.last_sizes.get(spec.template);
        let capacity = last_size.map_or(0, |size| size.load(Ordering::Relaxed));
        let mut bytes = Vec::with_capacity(capacity + capacity / 8);
        template
            .render_captured_to(context, &mut bytes)
            .map_err(|e| template_diagnostic(&self.theme.templates, &e))?;
        if let Some(size) = last_size {
            size.store(bytes.len(), Ordering::Relaxed);
        }
        if may_hold_marks(&bytes) {
            if let Some(replaced) = replace_mark(&bytes, ROOT_MARK, root.as_bytes()) {
                bytes = replaced;
            }
            if find_mark(&bytes, crate::locale::FALLBACK_START).is_some() {
                // minijinja writes text only (`fmt::Write`): the bytes are UTF-8.
                let html =
                    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                bytes = label_fallbacks(html, &self.locale).into_bytes();
            }
        }
        Ok(OutputFile { path, bytes })
    }
}

/// The context of a page's template: the page's own fields, then `site`, `build` and
/// `page`, which win over a field of the same name. (`site` and `build` are made once per
/// language, the page's own fields by its view: nothing is copied into one map.)
#[derive(Debug)]
struct PageContext {
    own: minijinja::Value,
    site: minijinja::Value,
    build: minijinja::Value,
    page: minijinja::Value,
}

impl minijinja::value::Object for PageContext {
    fn get_value(self: &Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<minijinja::Value> {
        match key {
            "site" => Some(self.site.clone()),
            "build" => Some(self.build.clone()),
            "page" => Some(self.page.clone()),
            _ => self.own.get_attr(key).ok().filter(|v| !v.is_undefined()),
        }
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        let own = self.own.try_iter().into_iter().flatten();
        let keys: std::collections::BTreeSet<minijinja::Value> = own
            .chain(["site", "build", "page"].map(minijinja::Value::from))
            .collect();
        minijinja::value::Enumerator::Values(keys.into_iter().collect())
    }
}

/// Whether `html` may hold a [`ROOT_MARK`] or a fallback mark: these private-use
/// characters (U+E000 to U+E003) are written in UTF-8 starting with the byte 0xEE, which a
/// page without them rarely has; one `memchr` over the page says so for most pages, instead
/// of a search for each mark.
fn may_hold_marks(html: &[u8]) -> bool {
    memchr::memchr(0xEE, html).is_some()
}

/// Where `mark` first is in `html`. A private-use mark's UTF-8 ends with a byte common in
/// text (`str::contains` looks for that last byte, then checks), so its three bytes are
/// looked for together.
fn find_mark(html: &[u8], mark: char) -> Option<usize> {
    memchr::memmem::find(html, mark.encode_utf8(&mut [0; 4]).as_bytes())
}

/// `html` with every `mark` replaced by `with`, made at its final size (`str::replace`
/// grows its result by doubling, and a list page has a mark in every link of its rows);
/// `None` when `html` has no `mark`. UTF-8 never has a character's bytes inside another
/// character, so replacing bytes replaces characters.
fn replace_mark(html: &[u8], mark: char, with: &[u8]) -> Option<Vec<u8>> {
    let mut encoded = [0; 4];
    let mark = mark.encode_utf8(&mut encoded).as_bytes();
    let at: Vec<usize> = memchr::memmem::find_iter(html, mark).collect();
    if at.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(html.len() - at.len() * mark.len() + at.len() * with.len());
    let mut copied = 0;
    for i in at {
        out.extend_from_slice(&html[copied..i]);
        out.extend_from_slice(with);
        copied = i + mark.len();
    }
    out.extend_from_slice(&html[copied..]);
    Some(out)
}

/// Stands for a page's root (`../../`) in fragments made once and placed in many pages
/// ([`Renderer::fragment`]); each page replaces it with its own root. A private-use
/// character, which records cannot carry (see [`crate::locale::FALLBACK_START`]).
pub const ROOT_MARK: char = '\u{E003}';

/// The note saying that what follows is shown in language `from`, not the page's.
pub(crate) fn fallback_note(locale: &Locale, from: &str) -> String {
    format!(
        "<p class=\"fallback-note\">{}</p>\n",
        escape_text(&locale.t(&format!("language.fallback.{from}")))
    )
}

/// Replaces the fallback marks of record text (see [`crate::locale::mark_fallback`]) in a
/// rendered page: in text, the text gets an element with its `lang` and the page a note
/// after its heading saying which texts are not yet translated; inside a tag (an
/// attribute value) or the `<title>`, where no element may go, the marks are dropped.
pub(crate) fn label_fallbacks(html: String, locale: &Locale) -> String {
    use crate::locale::{FALLBACK_END, FALLBACK_LANG_END, FALLBACK_START};
    if !html.contains(FALLBACK_START) {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 256);
    let mut in_tag = false;
    let mut in_title = false;
    let mut languages: Vec<String> = Vec::new();
    let mut rest = html.as_str();
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                in_tag = true;
                if rest.starts_with("<title") {
                    in_title = true;
                } else if rest.starts_with("</title") {
                    in_title = false;
                }
                out.push(c);
                rest = &rest[1..];
            }
            '>' => {
                in_tag = false;
                out.push(c);
                rest = &rest[1..];
            }
            FALLBACK_START => {
                let after = &rest[FALLBACK_START.len_utf8()..];
                let lang_end = after.find(FALLBACK_LANG_END).unwrap_or(0);
                let from = &after[..lang_end];
                let text_start = lang_end + FALLBACK_LANG_END.len_utf8();
                let text_end = after[text_start..]
                    .find(FALLBACK_END)
                    .map_or(after.len(), |i| text_start + i);
                let text = &after[text_start..text_end];
                if in_tag || in_title {
                    out.push_str(text);
                } else {
                    out.push_str(&format!("<span lang=\"{from}\" class=\"fallback\">{text}</span>"));
                    if !languages.iter().any(|l| l == from) {
                        languages.push(from.to_owned());
                    }
                }
                rest = &after[(text_end + FALLBACK_END.len_utf8()).min(after.len())..];
            }
            c => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if languages.is_empty() {
        return out;
    }
    let notes: String = languages.iter().map(|from| fallback_note(locale, from)).collect();
    // After the page's heading, or at the start of its main content.
    if let Some(at) = out.find("</h1>") {
        out.insert_str(at + "</h1>".len(), &format!("\n{notes}"));
    } else if let Some(at) = out.find("<main").and_then(|m| out[m..].find('>').map(|i| m + i + 1)) {
        out.insert_str(at, &format!("\n{notes}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_html_needs_and_keeps_the_rest_whole() {
        assert_eq!(
            escape_text(r#"<a href="x">Tom & Jerry's</a> ../ñandú/"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt; ../ñandú/"
        );
        assert_eq!(escape_text(""), "");
        assert_eq!(escape_text("&"), "&amp;");
        assert_eq!(escape_text("é<"), "é&lt;");
        // A character to escape anywhere in a longer text.
        for at in [0, 1, 15, 16, 17, 31, 32, 63, 64, 70, 98, 99] {
            for special in ['&', '<', '>', '"', '\''] {
                let mut text = "a".repeat(100);
                text.replace_range(at..=at, &special.to_string());
                assert_eq!(
                    escape_text(&text),
                    text.replace(special, &escape_text_slowly(special)),
                    "{at} {special}"
                );
            }
        }
        assert_eq!(escape_text(&"ñ".repeat(40)), "ñ".repeat(40));
    }

    fn escape_text_slowly(c: char) -> String {
        match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            _ => "&#39;",
        }
        .to_owned()
    }

    #[test]
    fn replacing_a_mark_replaces_it_everywhere_and_only_it() {
        let html = format!("{ROOT_MARK}a<a href=\"{ROOT_MARK}x/{ROOT_MARK}\">ñ\u{E000}€</a>{ROOT_MARK}");
        let replaced = replace_mark(html.as_bytes(), ROOT_MARK, b"../../").unwrap();
        assert_eq!(String::from_utf8(replaced).unwrap(), html.replace(ROOT_MARK, "../../"));
        assert_eq!(replace_mark("ñ\u{E000}€ plain".as_bytes(), ROOT_MARK, b"../"), None);
        assert_eq!(
            replace_mark(html.as_bytes(), ROOT_MARK, b"").unwrap().len(),
            html.len() - 4 * 3
        );
        assert_eq!(find_mark(html.as_bytes(), crate::locale::FALLBACK_START), Some(25));
        assert_eq!(find_mark(html.as_bytes(), crate::locale::FALLBACK_END), None);
    }

    #[test]
    fn every_mark_starts_with_the_byte_may_hold_marks_looks_for() {
        use crate::locale::{FALLBACK_END, FALLBACK_LANG_END, FALLBACK_START};
        for mark in [ROOT_MARK, FALLBACK_START, FALLBACK_LANG_END, FALLBACK_END] {
            assert!(may_hold_marks(format!("<p>a{mark}b</p>").as_bytes()), "{mark:?}");
        }
        assert!(!may_hold_marks("<p>ñandú ≈ 3 € 中文 ação</p>".as_bytes()));
    }

    #[test]
    fn a_page_context_gives_its_fields_and_site_build_page_over_fields_of_those_names() {
        let context = minijinja::Value::from_object(PageContext {
            own: fields! { "title" => "T", "page" => "hidden", "n" => 2u64 }.into(),
            site: fields! { "title" => "S" }.into(),
            build: fields! { "date" => None::<String> }.into(),
            page: fields! { "path" => "a/index.html" }.into(),
        });
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_template(
            "t",
            "{{ title }} {{ n }} {{ site.title }} {{ page.path }} {{ build.date is none }}",
        )
        .unwrap();
        let html = env.get_template("t").unwrap().render(&context).unwrap();
        assert_eq!(html, "T 2 S a/index.html True");
        let missing = env.template_from_str("{{ nothing }}").unwrap().render(&context);
        assert!(missing.is_err(), "an unknown name is undefined, as before");
    }
}
