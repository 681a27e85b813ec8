//! `openssc new`: a new site, and record skeletons generated from the schemas.
//!
//! A skeleton lists every field of its record's JSON Schema, each preceded by a `#` comment
//! with its meaning, its type and, for vocabulary fields, the allowed values. Required
//! fields are present with an empty value, which `check` reports until it is filled
//! ("`title` is empty"); optional fields are commented out (`# field:`); nested objects and
//! lists show their fields, a list as one example item. The skeleton is read from the
//! [`SchemaSet`] in use (a site's overrides included), the way [`crate::dictionary`] reads
//! it, so it never drifts from what `check` enforces.
//!
//! Invariants:
//! - **Never overwrites a file.** Every file is created with `create_new`, so an existing
//!   file is refused even if it appears between the check and the write; `new site`
//!   refuses a folder that exists and is not empty.
//! - **Ids follow the record format** ([`crate::load::is_valid_id`]); an invalid id is
//!   refused with the reason ([`id_problem`]) before anything is written.
//! - **What is written parses** with [`crate::yaml`]: keys that are not plain words are
//!   quoted and explanations are comments (checked by the tests and a debug assertion).
//! - **A new site is valid**: it passes `check --strict` and `build` as created.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::CONFIG_FILE;
use crate::diagnostics::Diagnostic;
use crate::dictionary::{Resolved, resolve};
use crate::load::{Collection, is_valid_id};
use crate::schema::SchemaSet;

/// Deepest nesting written (the record format is shallower; this guards against cycles in
/// a site's own schemas).
const MAX_DEPTH: usize = 8;

/// Width the comments are wrapped to.
const WIDTH: usize = 96;

/// Top-level fields that are optional in the schema but expected in every record: a record
/// without them is a warning (an error under `--strict`), so the skeleton asks for them.
const EXPECTED: &[&str] = &["sources"];

/// Why `openssc new` wrote nothing (exit code 2), or the schemas it needs are broken.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("`{id}` is not a valid id: {reason}")]
    InvalidId {
        id: String,
        reason: String,
        /// A valid id close to the one given, if there is one.
        suggestion: Option<String>,
    },
    #[error("{} already exists: openssc new never overwrites a file", .0.display())]
    Exists(PathBuf),
    #[error("{} exists and is not empty: a new site needs a new or empty folder", .0.display())]
    NotEmpty(PathBuf),
    #[error("no {CONFIG_FILE} in {}: this is not a site folder", .0.display())]
    NotASite(PathBuf),
    #[error("the site has no report edition in {}", .0.display())]
    NoEdition(PathBuf),
    #[error("the site has no edition {year} (content/reports/{year}/index.md)")]
    UnknownEdition { year: i32, available: Vec<i32> },
    #[error("`{0}` is not a year of four digits")]
    InvalidYear(i32),
    #[error("the schemas cannot be read")]
    Schemas(Vec<Diagnostic>),
    #[error("cannot write {}: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
}

impl ScaffoldError {
    /// What to do about it, for the command line.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            ScaffoldError::InvalidId { suggestion, .. } => {
                let rule = "ids use lowercase ASCII letters, digits and `-`, 1 to 80 characters, starting with a letter or digit; the id becomes the file name";
                match suggestion {
                    Some(s) => format!("{rule}: try `{s}`"),
                    None => rule.to_owned(),
                }
            }
            ScaffoldError::Exists(_) => {
                "edit the existing file, or choose another id (`openssc check` lists the records)".to_owned()
            }
            ScaffoldError::NotEmpty(_) => "choose a folder that does not exist yet".to_owned(),
            ScaffoldError::NotASite(_) => {
                "run it in a site folder, pass --root DIR, or create a site with `openssc new site DIR`".to_owned()
            }
            ScaffoldError::NoEdition(_) => "create one with `openssc new edition YEAR`".to_owned(),
            ScaffoldError::UnknownEdition { year, available } if available.is_empty() => {
                format!("create it with `openssc new edition {year}`")
            }
            ScaffoldError::UnknownEdition { year, available } => format!(
                "the editions are {}; create {year} with `openssc new edition {year}`",
                available.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
            ),
            ScaffoldError::InvalidYear(_) => "give the year in full, e.g. 2025".to_owned(),
            ScaffoldError::Schemas(_) => "fix the problems listed above in schemas/".to_owned(),
            ScaffoldError::Io(..) => return None,
        })
    }
}

/// What a new file is: a record of a collection, a chapter or an edition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Record(Collection),
    /// `content/reports/<year>/<id>.md`
    Chapter,
    /// `content/reports/<year>/index.md`
    Edition,
}

impl Kind {
    /// The schema (without `.schema.json`) its front matter follows.
    pub fn schema(self) -> &'static str {
        match self {
            Kind::Record(c) => c.schema(),
            Kind::Chapter => "report-chapter",
            Kind::Edition => "report-edition",
        }
    }

    /// The HTML comment the body starts with: what to write there.
    fn body(self) -> &'static str {
        match self {
            Kind::Record(Collection::Project) => {
                "Write the narrative of the initiative here, in Markdown: what it does and why, who takes part and how, its results, and the lessons learned. Start sections with \"# Heading\"."
            }
            Kind::Record(Collection::Actor) => {
                "Describe the organization here, in Markdown: who it is, what it does in South-South Cooperation, and what it can offer."
            }
            Kind::Record(Collection::Fund) => {
                "Describe the fund here, in Markdown: what it finances, who may apply, and how to apply."
            }
            Kind::Record(Collection::Exchange) => {
                "Describe the offer or request here, in Markdown: what is offered or needed, for whom, and on what conditions."
            }
            Kind::Chapter => {
                "Write the chapter here, in Markdown. A figure of the edition is placed with a chart, table or number shortcode (see the README, \"Figures in chapters\")."
            }
            Kind::Edition => {
                "Write the introduction of the edition here, in Markdown: it opens the report's cover page."
            }
        }
    }
}

/// Why `id` is not a valid record id, or `None` if it is one. `id_problem(id).is_none()`
/// exactly when [`is_valid_id`] holds.
pub fn id_problem(id: &str) -> Option<String> {
    if is_valid_id(id) {
        return None;
    }
    let reason = if id.is_empty() {
        "it is empty".to_owned()
    } else if let Some(stem) = id.strip_suffix(".md") {
        format!("give the id without `.md` (`{stem}`)")
    } else if id.chars().count() > 80 {
        format!("it has {} characters; at most 80 are allowed", id.chars().count())
    } else if id.chars().any(char::is_whitespace) {
        "it contains a space; use `-` between words".to_owned()
    } else if id.chars().any(|c| c.is_ascii_uppercase()) {
        "it contains upper-case letters; ids are lower case".to_owned()
    } else if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        format!("`{c}` is not allowed; use lowercase ASCII letters, digits and `-`")
    } else {
        "it must start with a letter or a digit".to_owned()
    };
    Some(reason)
}

/// A valid id close to `id` (lower case, other characters turned into `-`, accents
/// dropped), if there is one.
fn suggest_id(id: &str) -> Option<String> {
    let id = id.strip_suffix(".md").unwrap_or(id);
    let folded: String = id
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        })
        .collect();
    let joined: String = folded
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let cut: String = joined.chars().take(80).collect();
    let cut = cut.trim_end_matches('-').to_owned();
    is_valid_id(&cut).then_some(cut)
}

fn check_id(id: &str) -> Result<(), ScaffoldError> {
    match id_problem(id) {
        None => Ok(()),
        Some(reason) => Err(ScaffoldError::InvalidId {
            id: id.to_owned(),
            reason,
            suggestion: suggest_id(id),
        }),
    }
}

fn check_year(year: i32) -> Result<(), ScaffoldError> {
    if (1000..=9999).contains(&year) {
        Ok(())
    } else {
        Err(ScaffoldError::InvalidYear(year))
    }
}

/// Writes `text` to `path`, creating its folder; refuses an existing file.
fn create(path: &Path, text: &str) -> Result<(), ScaffoldError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ScaffoldError::Io(parent.to_path_buf(), e))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => ScaffoldError::Exists(path.to_path_buf()),
            _ => ScaffoldError::Io(path.to_path_buf(), e),
        })?;
    file.write_all(text.as_bytes())
        .map_err(|e| ScaffoldError::Io(path.to_path_buf(), e))
}

fn site_schemas(root: &Path) -> Result<SchemaSet, ScaffoldError> {
    if !root.join(CONFIG_FILE).is_file() {
        return Err(ScaffoldError::NotASite(root.to_path_buf()));
    }
    SchemaSet::load(root).map_err(ScaffoldError::Schemas)
}

/// Writes the skeleton of a new record of `collection` with id `id` in the site at `root`;
/// returns its path.
pub fn new_record(root: &Path, collection: Collection, id: &str) -> Result<PathBuf, ScaffoldError> {
    check_id(id)?;
    let schemas = site_schemas(root)?;
    let path = root.join("content").join(collection.folder()).join(format!("{id}.md"));
    if path.exists() {
        return Err(ScaffoldError::Exists(path));
    }
    create(&path, &document(&schemas, Kind::Record(collection), &BTreeMap::new()))?;
    Ok(path)
}

/// The years of the editions of the site at `root` (folders `content/reports/<YYYY>/`
/// holding an `index.md`), in order.
pub fn editions(root: &Path) -> Vec<i32> {
    let mut years: Vec<i32> = std::fs::read_dir(root.join("content").join("reports"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("index.md").is_file())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name.len() == 4).then(|| name.parse().ok()).flatten()
        })
        .collect();
    years.sort_unstable();
    years
}

/// The next free chapter `order` of the edition in `dir`: one more than the largest there.
fn next_order(dir: &Path) -> i64 {
    let mut largest = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "index.md" || !name.ends_with(".md") || name.starts_with('.') {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let front = text
            .strip_prefix("---\n")
            .and_then(|rest| rest.split_once("\n---").map(|(front, _)| front));
        if let Some(order) = front
            .and_then(|f| crate::yaml::parse(f, 1).ok())
            .and_then(|(v, _)| v.get("order").and_then(Value::as_i64))
        {
            largest = largest.max(order);
        }
    }
    largest + 1
}

/// Writes the skeleton of chapter `id` of edition `edition` (default: the latest edition
/// of the site); returns its path. Its `order` comes after the edition's last chapter.
pub fn new_chapter(root: &Path, id: &str, edition: Option<i32>) -> Result<PathBuf, ScaffoldError> {
    check_id(id)?;
    if id == "index" {
        return Err(ScaffoldError::InvalidId {
            id: id.to_owned(),
            reason: "`index` is the edition itself (index.md), not a chapter".to_owned(),
            suggestion: Some("introduction".to_owned()),
        });
    }
    let schemas = site_schemas(root)?;
    let available = editions(root);
    let year = match edition {
        Some(year) if available.contains(&year) => year,
        Some(year) => return Err(ScaffoldError::UnknownEdition { year, available }),
        None => *available
            .last()
            .ok_or_else(|| ScaffoldError::NoEdition(root.join("content").join("reports")))?,
    };
    let dir = root.join("content").join("reports").join(year.to_string());
    let path = dir.join(format!("{id}.md"));
    if path.exists() {
        return Err(ScaffoldError::Exists(path));
    }
    let filled = BTreeMap::from([("order".to_owned(), next_order(&dir).to_string())]);
    create(&path, &document(&schemas, Kind::Chapter, &filled))?;
    Ok(path)
}

/// The values a new edition of `year` starts with: a title, the calendar year as its
/// period, and `draft`.
fn edition_values(year: i32) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "title".to_owned(),
            format!("\"State of South-South Cooperation {year}\""),
        ),
        ("period.from".to_owned(), format!("{year}-01-01")),
        ("period.to".to_owned(), format!("{year}-12-31")),
        ("status".to_owned(), "draft".to_owned()),
    ])
}

/// Writes a new edition `content/reports/<year>/index.md`, ready to check (a draft
/// covering the calendar year); returns its path.
pub fn new_edition(root: &Path, year: i32) -> Result<PathBuf, ScaffoldError> {
    check_year(year)?;
    let schemas = site_schemas(root)?;
    let path = root
        .join("content")
        .join("reports")
        .join(year.to_string())
        .join("index.md");
    if path.exists() {
        return Err(ScaffoldError::Exists(path));
    }
    create(&path, &document(&schemas, Kind::Edition, &edition_values(year)))?;
    Ok(path)
}

/// Creates a new site in `dir` (which must not exist, or be empty) with an edition for
/// `year`; returns the files written, relative to `dir`.
pub fn new_site(dir: &Path, year: i32) -> Result<Vec<String>, ScaffoldError> {
    check_year(year)?;
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|e| ScaffoldError::Io(dir.to_path_buf(), e))?
            .next()
            .is_none();
        if !dir.is_dir() || !empty {
            return Err(ScaffoldError::NotEmpty(dir.to_path_buf()));
        }
    }
    // A new site has no schemas of its own: the built-in ones.
    let schemas = SchemaSet::load(Path::new("/nonexistent/openssc-new-site")).map_err(ScaffoldError::Schemas)?;
    let mut files: Vec<(String, String)> = vec![
        (CONFIG_FILE.to_owned(), site_config()),
        ("README.md".to_owned(), site_readme(year)),
        (
            ".gitignore".to_owned(),
            "# The built site: `openssc build` writes it.\n/public/\n".to_owned(),
        ),
    ];
    for collection in Collection::ALL {
        // Keeps the empty folder in git; the loader ignores dot-files.
        files.push((format!("content/{}/.gitkeep", collection.folder()), String::new()));
    }
    files.push((
        format!("content/reports/{year}/index.md"),
        document(&schemas, Kind::Edition, &edition_values(year)),
    ));
    let intro = BTreeMap::from([
        ("title".to_owned(), "Introduction".to_owned()),
        ("order".to_owned(), "1".to_owned()),
    ]);
    let chapter = document(&schemas, Kind::Chapter, &intro);
    let chapter = match chapter.rsplit_once("\n---\n") {
        Some((front, _)) => format!(
            "{front}\n---\n\nThis edition covers the South-South Cooperation initiatives active during {year}: \
             every figure in it is computed from the records of this site.\n"
        ),
        None => chapter,
    };
    files.push((format!("content/reports/{year}/introduction.md"), chapter));
    for (name, text) in &files {
        create(&dir.join(name), text)?;
    }
    Ok(files.into_iter().map(|(name, _)| name).collect())
}

/// `openssc.toml` of a new site, with every key explained.
fn site_config() -> String {
    "# The configuration of this site. Every key is explained in the openssc README,\n\
     # section \"Site configuration\". Unknown keys are errors.\n\
     \n\
     # The site's title, shown on every page.\n\
     title = \"State of South-South Cooperation\"\n\
     # One line saying what the site is (optional).\n\
     description = \"An open annual report on South-South Cooperation, built from records anyone can read and check.\"\n\
     # The languages the site is published in: two-letter codes; en, es, pt and fr have\n\
     # built-in catalogs (another language needs i18n/<code>.yaml). Each language other than\n\
     # the default gets its pages under /<code>/, e.g. languages = [\"en\", \"es\", \"pt\", \"fr\"].\n\
     languages = [\"en\"]\n\
     # The language of the main pages, and the fallback for missing translations.\n\
     default_language = \"en\"\n\
     # The license of the open-data downloads: an id such as CC-BY-4.0, or a URL.\n\
     license = \"CC-BY-4.0\"\n\
     # The address the site will be published at (optional; enables sitemap.xml and feed.xml).\n\
     # base_url = \"https://example.org/ssc/\"\n\
     # Treat warnings (such as a record without sources) as errors.\n\
     strict = false\n\
     \n\
     # The title and description in another language of `languages` (optional), e.g.:\n\
     # [translations.es]\n\
     # title = \"Estado de la Cooperación Sur-Sur\"\n\
     # description = \"...\"\n"
        .to_owned()
}

/// `README.md` of a new site: for its editors.
fn site_readme(year: i32) -> String {
    format!(
        r#"# State of South-South Cooperation: the site's records

This folder holds the records of an open report on South-South Cooperation. Each record is
a text file: fields between two `---` lines, then a free text in Markdown. `openssc` checks
the records and turns them into a website.

```
openssc.toml                      the site's title, languages and license
content/projects/<id>.md          one initiative (programme, project or action)
content/actors/<id>.md            one organization
content/funds/<id>.md             one financing source
content/exchanges/<id>.md         one offer of, or request for, cooperation
content/reports/{year}/index.md     the {year} edition of the report
content/reports/{year}/*.md         its chapters
```

## Add a record

Create the file with every field explained, then fill it in:

```sh
openssc new actor ministry-of-foreign-affairs
openssc new project farmer-to-farmer
openssc new fund south-south-fund
openssc new exchange seed-bank-request
openssc new chapter results
openssc new edition {next}
```

The id (`farmer-to-farmer`) becomes the file name: lowercase letters, digits and `-`. In
the new file, lines starting with `#` are explanations. Fields without `#` are required:
write the value after the colon. To use an optional field, delete the `# ` in front of it.

## Check, preview, publish

```sh
openssc check             # every problem, with file, line and column
openssc serve             # preview at http://127.0.0.1:1111/, reloads on change
openssc build --strict    # the website, in public/
```

Open `public/index.html` in a browser to see the built site. The site is published by the
pipeline files in openssc's `docs/publishing/` (GitHub Pages, GitLab Pages, any web host or a
USB stick); copy the one you need into this folder. The editors' guide of openssc
(`docs/editors.md`) explains every field and how to read an error.
"#,
        next = year + 1
    )
}

/// A whole new file of `kind`: front matter (the skeleton, with `filled` values) and a
/// body that says what to write.
pub fn document(schemas: &SchemaSet, kind: Kind, filled: &BTreeMap<String, String>) -> String {
    let front = skeleton(schemas, kind, filled);
    let mut body = Vec::new();
    wrap(
        &mut body,
        &format!("{} This comment is not published.", kind.body()),
        "<!-- ",
        "     ",
    );
    format!("---\n{front}---\n\n{} -->\n", body.join("\n"))
}

/// The front matter (without the `---` lines) of a new file of `kind`: every field of its
/// schema, with `filled` values (by dotted path, e.g. `period.from`, as YAML) instead of
/// empty ones.
pub fn skeleton(schemas: &SchemaSet, kind: Kind, filled: &BTreeMap<String, String>) -> String {
    let file = format!("{}.schema.json", kind.schema());
    let Some(root) = schemas.documents.get(&file) else {
        return String::new();
    };
    let mut g = Skeleton {
        schemas,
        filled,
        types: BTreeMap::new(),
    };
    let fields = g.object(&file, root, "", 0, true, None);
    let mut out = Vec::new();
    let title = root.get("title").and_then(Value::as_str).unwrap_or(kind.schema());
    let about = root.get("description").and_then(Value::as_str).unwrap_or_default();
    wrap(&mut out, &format!("{title}: {about}"), "# ", "# ");
    out.push("#".to_owned());
    for line in [
        "How to fill in this file:",
        "- Lines starting with `#` are explanations; they are not published.",
        "- Fields without `#` in front are required: write the value after the colon.",
        "  `openssc check` reports each one that is still empty.",
        "- Optional fields start with `# `: to use one, delete the `# ` at the start of its lines.",
        "- Text with a colon or a quote goes between double quotes: \"like: this\".",
        "- A list is written [a, b], or one `- item` per line.",
    ] {
        out.push(format!("# {line}"));
    }
    if !g.types.is_empty() {
        out.push("#".to_owned());
        out.push("# Types used below:".to_owned());
        for (name, description) in &g.types {
            wrap(&mut out, &format!("{name}: {description}"), "# - ", "#   ");
        }
    }
    for block in fields {
        out.push(String::new());
        out.extend(block);
    }
    let mut text = out.join("\n");
    text.push('\n');
    debug_assert!(crate::yaml::parse(&text, 1).is_ok(), "the skeleton parses:\n{text}");
    text
}

/// Whether a field must be given.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    /// Required in some cases (the schema's `then`); the description says when.
    Conditional,
    /// Optional in the schema, but a warning when missing ([`EXPECTED`]).
    Expected,
    Optional,
}

impl Need {
    fn label(self) -> &'static str {
        match self {
            Need::Required => "required",
            Need::Conditional => "required in most cases",
            Need::Expected => "expected",
            Need::Optional => "optional",
        }
    }
}

struct Skeleton<'a> {
    schemas: &'a SchemaSet,
    filled: &'a BTreeMap<String, String>,
    /// The named types met that are written as one value (`Text`, `Date`, ...), with their
    /// descriptions, for the header.
    types: BTreeMap<String, String>,
}

impl<'a> Skeleton<'a> {
    /// One block of lines per property of the object schema `node`, at `indent`.
    /// `force`: a field to give even if it is optional (the first field of a list item).
    fn object(
        &mut self,
        file: &str,
        node: &'a Value,
        path: &str,
        depth: usize,
        top: bool,
        force: Option<&str>,
    ) -> Vec<Vec<String>> {
        let indent = depth * 2;
        let Some(Value::Object(props)) = node.get("properties") else {
            return Vec::new();
        };
        let list = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let required = list(node.get("required"));
        let conditional = list(node.get("then").and_then(|t| t.get("required")));
        props
            .iter()
            .map(|(name, prop)| {
                let need = if required.contains(name) || force == Some(name.as_str()) {
                    Need::Required
                } else if conditional.contains(name) {
                    Need::Conditional
                } else if top && EXPECTED.contains(&name.as_str()) {
                    Need::Expected
                } else {
                    Need::Optional
                };
                self.field(file, name, prop, need, path, indent, depth)
            })
            .collect()
    }

    /// The lines of one field: its explanation, then its key (and children), commented out
    /// when it is optional.
    #[allow(clippy::too_many_arguments)]
    fn field(
        &mut self,
        file: &str,
        name: &str,
        prop: &'a Value,
        need: Need,
        parent: &str,
        indent: usize,
        depth: usize,
    ) -> Vec<String> {
        let path = if parent.is_empty() {
            name.to_owned()
        } else {
            format!("{parent}.{name}")
        };
        let r = resolve(self.schemas, file, prop);
        let pad = " ".repeat(indent);
        let mut lines = Vec::new();
        let description = prop
            .get("description")
            .or(r.node.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = self.type_label(&r, prop);
        wrap(
            &mut lines,
            &format!("{name} ({}, {kind}): {description}", need.label()),
            &format!("{pad}# "),
            &format!("{pad}#   "),
        );
        if let Some((vocab, values)) = self.values(&r) {
            let each = if is_array(r.node) { "Each one of" } else { "One of" };
            let from = vocab.map(|v| format!(" (schemas/vocab/{v}.yaml)")).unwrap_or_default();
            wrap(
                &mut lines,
                &format!("{each}{from}: {}", values.join(" | ")),
                &format!("{pad}#   "),
                &format!("{pad}#   "),
            );
        }
        if let Some(default) = prop.get("default").or(r.node.get("default")) {
            let shown = default.as_str().map_or_else(|| default.to_string(), str::to_owned);
            lines.push(format!("{pad}#   When left out: {shown}."));
        }
        let key = yaml_key(name);
        let mut body = Vec::new();
        if let Some(value) = self.filled.get(&path) {
            body.push(format!("{pad}{key}: {value}"));
        } else if depth < MAX_DEPTH && has_fields(&r) {
            body.push(format!("{pad}{key}:"));
            for block in self.object(&r.file.clone(), r.node, &path, depth + 1, false, None) {
                body.extend(block);
            }
        } else if depth < MAX_DEPTH
            && let Some(items) = r.node.get("items").map(|i| resolve(self.schemas, &r.file, i))
            && has_fields(&items)
        {
            body.push(format!("{pad}{key}:"));
            body.extend(self.item(&items, &path, depth + 1));
        } else {
            body.push(format!("{pad}{key}:"));
        }
        if need == Need::Optional {
            body = body.into_iter().map(|l| comment_out(&l, indent)).collect();
        }
        lines.extend(body);
        lines
    }

    /// One example item of a list of objects: its fields at `depth + 1`, the first one
    /// after the `- ` (required fields come first; the first is given even if optional).
    fn item(&mut self, items: &Resolved<'a>, path: &str, depth: usize) -> Vec<String> {
        let names: Vec<&str> = items
            .node
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let required: Vec<&str> = items
            .node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by_key(|&i| !required.contains(&names[i]));
        let first = order.first().map(|&i| names[i]);
        let blocks = self.object(
            &items.file.clone(),
            items.node,
            &format!("{path}[]"),
            depth + 1,
            false,
            first,
        );
        let dash = " ".repeat(depth * 2);
        let mut lines = Vec::new();
        for (n, &i) in order.iter().enumerate() {
            let mut block = blocks[i].clone();
            if n == 0
                && let Some(key_line) = block.iter().position(|l| !l.trim_start().starts_with('#'))
            {
                let line = &block[key_line];
                block[key_line] = format!("{dash}- {}", &line[dash.len() + 2..]);
            }
            lines.extend(block);
        }
        lines
    }

    /// The type of a field in words; a named type written as one value goes to the header.
    fn type_label(&mut self, r: &Resolved<'a>, prop: &Value) -> String {
        let min_items = prop.get("minItems").or(r.node.get("minItems")).and_then(Value::as_u64);
        let mut label = self.type_name(r);
        if let Some(n) = min_items.filter(|&n| n > 0) {
            label.push_str(&format!(", at least {n}"));
        }
        label
    }

    fn type_name(&mut self, r: &Resolved<'a>) -> String {
        if r.vocab.is_some() {
            return "one value of the list below".to_owned();
        }
        let items_have_fields = r
            .node
            .get("items")
            .is_some_and(|i| has_fields(&resolve(self.schemas, &r.file, i)));
        if let Some(title) = r.title {
            if !has_fields(r)
                && !items_have_fields
                && let Some(description) = r.title_description
            {
                self.types.insert(title.to_owned(), description.to_owned());
            }
            return title.to_owned();
        }
        let node = r.node;
        match node.get("type").and_then(Value::as_str) {
            Some("array") => match node.get("items") {
                Some(items) => {
                    let items = resolve(self.schemas, &r.file, items);
                    if items.vocab.is_some() {
                        return "list of values of the list below".to_owned();
                    }
                    format!("list of {}", self.type_name(&items))
                }
                None => "list".to_owned(),
            },
            Some("string") => "plain text".to_owned(),
            Some("integer") => match node.get("minimum").and_then(Value::as_i64) {
                Some(0) => "whole number, 0 or more".to_owned(),
                _ => "whole number".to_owned(),
            },
            Some("number") => "number".to_owned(),
            Some("boolean") => "true or false".to_owned(),
            Some("object") => "group of fields".to_owned(),
            _ => "value".to_owned(),
        }
    }

    /// The allowed values of a vocabulary field (or of a list of them), with the
    /// vocabulary's name, or of an `enum`.
    fn values(&self, r: &Resolved<'a>) -> Option<(Option<String>, Vec<String>)> {
        let vocab = r.vocab.clone().or_else(|| {
            let items = r.node.get("items").map(|i| resolve(self.schemas, &r.file, i))?;
            items.vocab
        });
        if let Some(vocab) = vocab {
            let ids: Vec<String> = self
                .schemas
                .vocabularies
                .values(&vocab)
                .iter()
                .map(|e| e.id.clone())
                .collect();
            return (!ids.is_empty()).then_some((Some(vocab), ids));
        }
        r.node.get("enum").and_then(Value::as_array).map(|values| {
            let values = values
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect();
            (None, values)
        })
    }
}

/// Is it an object the skeleton expands field by field?
fn has_fields(r: &Resolved<'_>) -> bool {
    r.node.get("properties").is_some_and(Value::is_object)
}

fn is_array(node: &Value) -> bool {
    node.get("type").and_then(Value::as_str) == Some("array")
}

/// `# ` inserted at column `indent` (every line of a block is indented at least that far).
fn comment_out(line: &str, indent: usize) -> String {
    let (pad, rest) = line.split_at(indent.min(line.len()));
    format!("{pad}# {rest}")
}

/// A property name as a YAML key: plain when it is a simple word, else double-quoted.
fn yaml_key(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        name.to_owned()
    } else {
        serde_json::to_string(name).unwrap_or_default()
    }
}

/// Appends `text` as comment lines of at most [`WIDTH`] characters.
fn wrap(out: &mut Vec<String>, text: &str, first: &str, rest: &str) {
    let mut line = first.to_owned();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push(line);
            line = rest.to_owned();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_problems_agree_with_the_id_rule() {
        for id in ["a", "a-1", "9x", &"a".repeat(80)] {
            assert_eq!(id_problem(id), None, "{id}");
        }
        for (id, reason) in [
            ("", "empty"),
            ("Farmer", "upper-case"),
            ("farmer to farmer", "space"),
            ("x.md", "without `.md`"),
            ("-x", "start with a letter or a digit"),
            ("a_b", "`_` is not allowed"),
            ("dé", "`é` is not allowed"),
        ] {
            let problem = id_problem(id).unwrap_or_else(|| panic!("{id} is accepted"));
            assert!(problem.contains(reason), "{id}: {problem}");
        }
        assert!(id_problem(&"a".repeat(81)).unwrap().contains("81 characters"));
        assert_eq!(
            suggest_id("Campesino a Campesino").as_deref(),
            Some("campesino-a-campesino")
        );
        assert_eq!(suggest_id("Fundación.md").as_deref(), Some("fundacion"));
    }

    #[test]
    fn every_skeleton_parses_and_comments_out_only_optional_fields() {
        let schemas = SchemaSet::load(Path::new("/nonexistent")).unwrap();
        for kind in [
            Kind::Record(Collection::Project),
            Kind::Record(Collection::Actor),
            Kind::Record(Collection::Fund),
            Kind::Record(Collection::Exchange),
            Kind::Chapter,
            Kind::Edition,
        ] {
            let text = skeleton(&schemas, kind, &BTreeMap::new());
            let (value, _) = crate::yaml::parse(&text, 1).unwrap_or_else(|e| panic!("{kind:?}: {e:?}\n{text}"));
            let given: Vec<&String> = value.as_object().unwrap().keys().collect();
            let schema = &schemas.documents[&format!("{}.schema.json", kind.schema())];
            let required: Vec<&str> = schema["required"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            for r in &required {
                assert!(given.iter().any(|g| g == r), "{kind:?}: {r} is not given");
            }
        }
    }

    #[test]
    fn filled_values_replace_the_empty_ones() {
        let schemas = SchemaSet::load(Path::new("/nonexistent")).unwrap();
        let text = skeleton(&schemas, Kind::Edition, &edition_values(2031));
        let (value, _) = crate::yaml::parse(&text, 1).unwrap();
        assert_eq!(value["period"]["from"], "2031-01-01");
        assert_eq!(value["status"], "draft");
    }
}
