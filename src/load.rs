//! Loading: find the files of `content/`, read them, split front matter from body and
//! parse the YAML with positions.
//!
//! Invariant: loading never fails as a whole because of one bad file: each file either
//! becomes a [`Document`] or a [`Diagnostic`]. Only a missing `content/` folder or an
//! unreadable directory is an I/O error.

use std::io::Read as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;
use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::error::Error;
use crate::yaml::{self, SpanMap};

/// Largest file accepted, in bytes. Records are small; this bounds memory on bad input.
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// The record collections kept as one Markdown file per record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Collection {
    Project,
    Actor,
    Fund,
    Exchange,
}

impl Collection {
    pub const ALL: [Collection; 4] = [
        Collection::Project,
        Collection::Actor,
        Collection::Fund,
        Collection::Exchange,
    ];

    /// The folder under `content/`.
    pub fn folder(self) -> &'static str {
        match self {
            Collection::Project => "projects",
            Collection::Actor => "actors",
            Collection::Fund => "funds",
            Collection::Exchange => "exchanges",
        }
    }

    /// The schema that validates its front matter.
    pub fn schema(self) -> &'static str {
        match self {
            Collection::Project => "project",
            Collection::Actor => "actor",
            Collection::Fund => "fund",
            Collection::Exchange => "exchange",
        }
    }

    /// A singular noun for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Collection::Project => "project",
            Collection::Actor => "actor",
            Collection::Fund => "fund",
            Collection::Exchange => "exchange",
        }
    }

    /// Whether each record has a page of its own ([`crate::paths`]): exchanges are listed
    /// on one page.
    pub fn has_pages(self) -> bool {
        self != Collection::Exchange
    }

    fn from_folder(folder: &str) -> Option<Collection> {
        Collection::ALL.into_iter().find(|c| c.folder() == folder)
    }
}

/// What a file under `content/` is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    /// `content/<collection>/<id>.md`
    Record(Collection),
    /// `content/reports/<year>/index.md`
    ReportEdition { year: i32 },
    /// `content/reports/<year>/<id>.md`
    ReportChapter { year: i32 },
    /// `content/data/exchange-rates.yaml`
    ExchangeRates,
    /// `content/data/countries.yaml`
    CountryFacts,
}

impl DocKind {
    /// The schema that validates the front matter (or the whole file, for data files).
    pub fn schema(&self) -> &'static str {
        match self {
            DocKind::Record(c) => c.schema(),
            DocKind::ReportEdition { .. } => "report-edition",
            DocKind::ReportChapter { .. } => "report-chapter",
            DocKind::ExchangeRates => "exchange-rates",
            DocKind::CountryFacts => "countries",
        }
    }
}

/// One loaded file: its front matter as JSON with positions, and its Markdown body.
#[derive(Clone, Debug)]
pub struct Document {
    /// Path relative to the site root, `/`-separated.
    pub file: String,
    pub kind: DocKind,
    /// The record id (file name without `.md` and language).
    pub id: String,
    /// For a translation file `<id>.<lang>.md`, its language.
    pub lang: Option<String>,
    /// The file text, with a BOM removed and CRLF turned into LF (lines unchanged).
    pub text: String,
    /// The front matter (or the whole YAML file) as JSON.
    pub front: Value,
    /// Where the YAML is in `text`; its positions are computed when first needed
    /// ([`Document::spans`]).
    spans: LazySpans,
    /// Where the Markdown body starts in `text` (a range of the text rather than a copy:
    /// bodies are most of a site's bytes, and every document is held until validation).
    body_start: usize,
    /// The line of the file where the body starts.
    pub body_line: usize,
}

/// The positions of a document's YAML, computed from its text the first time a diagnostic
/// needs them: most documents have no problem, and a span map per document cost more
/// time and memory than anything else kept by loading.
#[derive(Clone, Debug, Default)]
struct LazySpans {
    /// The YAML's byte range in the text and the number of lines before it; `None` when
    /// the document has no YAML.
    yaml: Option<(Range<usize>, usize)>,
    map: OnceLock<SpanMap>,
}

impl LazySpans {
    fn of(yaml: Range<usize>, line_offset: usize) -> LazySpans {
        LazySpans {
            yaml: Some((yaml, line_offset)),
            map: OnceLock::new(),
        }
    }
}

impl Document {
    /// The Markdown body.
    pub fn body(&self) -> &str {
        self.text.get(self.body_start..).unwrap_or_default()
    }

    /// Lets go of the body, which a typed record holds a copy of: the text keeps what comes
    /// before it (the front matter, where every later diagnostic of a record points), and
    /// [`Document::body`] is empty from then on. Every document is held until the rules
    /// across records have run; its body was most of its bytes, a second copy of every
    /// record's body in memory.
    pub fn drop_body(&mut self) {
        self.text.truncate(self.body_start);
        self.text.shrink_to_fit();
    }

    /// The position of every node of the front matter (or of the YAML file), by JSON
    /// pointer. Parsed again from `text` on the first call (the text parsed once already,
    /// so the positions are those it had), then kept.
    pub fn spans(&self) -> &SpanMap {
        self.spans.map.get_or_init(|| {
            self.spans
                .yaml
                .as_ref()
                .and_then(|(range, line_offset)| yaml::parse(self.text.get(range.clone())?, *line_offset).ok())
                .map(|(_, spans)| spans)
                .unwrap_or_default()
        })
    }
}

/// Everything found under `content/`: each document as the caller's `then` made it from
/// the [`Document`] (see [`load_files`]).
#[derive(Debug)]
pub struct Loaded<D> {
    pub documents: Vec<D>,
    pub diagnostics: Vec<Diagnostic>,
    /// Documents that exist but could not be read (their diagnostic is in
    /// `diagnostics`): kind, id and translation language. References to them are not
    /// reported again.
    pub unreadable: Vec<(DocKind, String, Option<String>)>,
}

/// What became of one file: with `D` the [`Document`] loaded, or what a caller made of it
/// ([`FileOutcome::map`]).
#[derive(Clone, Debug)]
pub enum FileOutcome<D = Document> {
    Loaded(D),
    /// Not a document (an asset).
    Skipped,
    /// A problem; with the document's identity when the file name gave one.
    Failed(Option<(DocKind, String, Option<String>)>, Diagnostic),
}

impl<D> FileOutcome<D> {
    /// The outcome with `f` applied to the document loaded, if any.
    pub fn map<E>(self, f: impl FnOnce(D) -> E) -> FileOutcome<E> {
        match self {
            FileOutcome::Loaded(doc) => FileOutcome::Loaded(f(doc)),
            FileOutcome::Skipped => FileOutcome::Skipped,
            FileOutcome::Failed(identity, d) => FileOutcome::Failed(identity, d),
        }
    }
}

/// Every file under `<root>/content`, in name order, skipping dot-files and dot-folders.
pub fn content_files(root: &Path) -> Result<Vec<PathBuf>, Error> {
    let content = root.join("content");
    if !content.is_dir() {
        return Err(Error::NoContent(content));
    }
    // Sorted once at the end rather than folder by folder: walkdir's per-folder sort
    // compares `DirEntry` names through an indirection, and was the largest sequential
    // cost of loading. Comparing whole paths component by component gives the same
    // order as a walk with each folder's names sorted.
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in walk(&content, false) {
        match entry {
            Ok(entry) if entry.file_type().is_file() => paths.push(entry.into_path()),
            Ok(_) => {}
            // Walk again in name order, so that the error reported is the first one in
            // that order, as it always was.
            Err(_) => return sorted_walk_error(&content),
        }
    }
    paths.sort_by_cached_key(|path| sort_key(path));
    Ok(paths)
}

/// A key that sorts paths in the order of a walk with each folder's names sorted (the
/// order of [`Path`]'s `Ord`, which compares component by component): the path's bytes
/// with each separator made 0, so that it sorts before any byte of a name and a name
/// that is a prefix of another comes first. Keys compare as plain bytes; `Path`'s own
/// comparison parses components, and cost more than the walk.
fn sort_key(path: &Path) -> Vec<u8> {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|&byte| {
            if std::path::is_separator(char::from(byte)) {
                0
            } else {
                byte
            }
        })
        .collect()
}

/// The entries under `content`, skipping dot-files and dot-folders, each folder's in name
/// order when `sorted`.
fn walk(content: &Path, sorted: bool) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> {
    let walker = walkdir::WalkDir::new(content);
    let walker = if sorted { walker.sort_by_file_name() } else { walker };
    walker
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
}

/// The first error of a walk in name order (the walk found one).
fn sorted_walk_error(content: &Path) -> Result<Vec<PathBuf>, Error> {
    match walk(content, true).find_map(Result::err) {
        Some(e) => Err(Error::Walk(content.to_path_buf(), e.to_string())),
        // The error went away between the walks: walk once more, reporting any.
        None => walk(content, true)
            .filter_map(|entry| match entry {
                Ok(entry) if entry.file_type().is_file() => Some(Ok(entry.into_path())),
                Ok(_) => None,
                Err(e) => Some(Err(Error::Walk(content.to_path_buf(), e.to_string()))),
            })
            .collect(),
    }
}

/// Loads the files `paths` (of [`content_files`]), handing each document to `then` on the
/// thread that read it, in the same parallel pass. `check` and `build` validate a document
/// there (`validate::check_document`): its front matter is dropped where it was made, just
/// after it was made, instead of every document's front matter being held until all
/// are loaded and then freed by another thread (at 50,000 projects, faulting in that memory
/// and freeing it across threads were a fifth of `check`'s time).
pub fn load_files<D: Send>(root: &Path, paths: &[PathBuf], then: impl Fn(Document) -> D + Sync) -> Loaded<D> {
    let results: Vec<FileOutcome<D>> = paths.par_iter().map(|path| load_file(root, path).map(&then)).collect();
    let mut loaded = Loaded::with_capacity(results.len());
    for result in results {
        loaded.push(result);
    }
    loaded
}

/// [`load_files`], also handing the bytes of every file (records and assets alike) to
/// `keep` with the file's path relative to `root`, and returning what `keep` made, in path
/// order. The build deflates the sources for the data archive this way, from the bytes
/// loading reads anyway, instead of walking and reading `content/` a second time. A file
/// that cannot be read (an asset included) is a problem of the site here, so `keep` sees
/// every file of a site whose check passes.
pub fn load_files_keeping<T: Send, D: Send>(
    root: &Path,
    paths: &[PathBuf],
    keep: impl Fn(&str, &[u8]) -> T + Sync,
    then: impl Fn(Document) -> D + Sync,
) -> (Loaded<D>, Vec<T>) {
    let results: Vec<(FileOutcome<D>, Option<T>)> = paths
        .par_iter()
        .map(|path| {
            let mut kept = None;
            let outcome = load_one(
                root,
                path,
                Some(&mut |file: &str, bytes: &[u8]| kept = Some(keep(file, bytes))),
            );
            (outcome.map(&then), kept)
        })
        .collect();
    let mut loaded = Loaded::with_capacity(results.len());
    let mut all_kept = Vec::with_capacity(results.len());
    for (result, kept) in results {
        loaded.push(result);
        all_kept.extend(kept);
    }
    (loaded, all_kept)
}

impl<D> Default for Loaded<D> {
    fn default() -> Self {
        Loaded {
            documents: Vec::new(),
            diagnostics: Vec::new(),
            unreadable: Vec::new(),
        }
    }
}

impl<D> Loaded<D> {
    /// Room for `files` documents (a document is large: growing the list copies them all).
    fn with_capacity(files: usize) -> Self {
        Loaded {
            documents: Vec::with_capacity(files),
            ..Loaded::default()
        }
    }

    /// Adds what became of one file.
    pub fn push(&mut self, outcome: FileOutcome<D>) {
        match outcome {
            FileOutcome::Loaded(doc) => self.documents.push(doc),
            FileOutcome::Skipped => {}
            FileOutcome::Failed(identity, d) => {
                self.unreadable.extend(identity);
                self.diagnostics.push(d);
            }
        }
    }
}

/// The path of `path` relative to `root`, with `/` separators.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::with_capacity(rel.as_os_str().len());
    for (i, c) in rel.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&c.as_os_str().to_string_lossy());
    }
    out
}

/// Is `id` a valid record id? (lowercase ASCII letters, digits and `-`, 1 to 80
/// characters, starting with a letter or digit)
pub fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 80
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// What a path under `content/` is, from its place and name.
enum Place {
    /// A Markdown document: kind, id, translation language.
    Markdown(DocKind, String, Option<String>),
    /// A YAML data file.
    Data(DocKind),
    /// Not ours: an asset (image, PDF) that later stages may copy.
    Asset,
}

fn classify(file: &str, parts: &[&str]) -> Result<Place, Diagnostic> {
    let name = parts.last().copied().unwrap_or_default();
    let is_md = name.ends_with(".md");
    let stray = || {
        Diagnostic::error(file, 1, 1, "unknown-file", "this file is not part of any collection")
            .with_hint("records go in content/projects, content/actors, content/funds, content/exchanges or content/reports/<year>; data in content/data")
    };
    match parts {
        [folder, _] if is_md => match Collection::from_folder(folder) {
            Some(c) => {
                let (id, lang) = split_name(file, name)?;
                if c.has_pages() && crate::paths::RESERVED_IDS.contains(&id.as_str()) {
                    return Err(Diagnostic::error(
                        file,
                        1,
                        1,
                        "file-name",
                        format!("`{id}` cannot be the id of a record in content/{folder}: its page would be the list of them ({folder}/index.html)"),
                    )
                    .with_hint(format!("rename the file, e.g. to `content/{folder}/{id}-1.md`, and the references to it")));
                }
                Ok(Place::Markdown(DocKind::Record(c), id, lang))
            }
            None => Err(stray()),
        },
        ["reports", year, _] if is_md => {
            let year: i32 = match year.parse() {
                Ok(y) if year.len() == 4 => y,
                _ => {
                    return Err(Diagnostic::error(
                        file,
                        1,
                        1,
                        "file-name",
                        format!("report folder `{year}` is not a year"),
                    )
                    .with_hint("an edition lives in content/reports/<YYYY>/, e.g. content/reports/2011/"));
                }
            };
            let (id, lang) = split_name(file, name)?;
            let kind = if id == "index" {
                DocKind::ReportEdition { year }
            } else {
                DocKind::ReportChapter { year }
            };
            Ok(Place::Markdown(kind, id, lang))
        }
        ["data", "exchange-rates.yaml"] => Ok(Place::Data(DocKind::ExchangeRates)),
        ["data", "countries.yaml"] => Ok(Place::Data(DocKind::CountryFacts)),
        ["data", name @ ("exchange-rates.yml" | "countries.yml")] => Err(stray().with_hint(format!(
            "data files end in .yaml: rename it to {}",
            name.replace(".yml", ".yaml")
        ))),
        [.., last] if last.ends_with(".md") || last.ends_with(".yaml") || last.ends_with(".yml") => Err(stray()),
        _ => Ok(Place::Asset),
    }
}

/// Splits `<id>.md` or `<id>.<lang>.md`.
fn split_name(file: &str, name: &str) -> Result<(String, Option<String>), Diagnostic> {
    let stem = name.strip_suffix(".md").unwrap_or(name);
    let (id, lang) = match stem.rsplit_once('.') {
        Some((id, lang)) if lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase()) => {
            (id, Some(lang.to_owned()))
        }
        Some((id, lang)) if is_valid_id(id) => {
            return Err(Diagnostic::error(
                file,
                1,
                1,
                "file-name",
                format!("`{lang}` in `{name}` is not a language code"),
            )
            .with_hint("a translation is named <id>.<lang>.md, with a two-letter language such as es, pt or fr"));
        }
        _ => (stem, None),
    };
    if !is_valid_id(id) {
        let suggestion: String = id
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let mut d = Diagnostic::error(
            file,
            1,
            1,
            "file-name",
            format!("file name `{name}` is not a valid record id"),
        )
        .with_hint(
            "ids use lowercase ASCII letters, digits and `-` (1 to 80 characters, starting with a letter or digit)",
        );
        if is_valid_id(&suggestion) {
            d = d.with_hint(format!(
                "ids use lowercase ASCII letters, digits and `-` (1 to 80 characters, starting with a letter or digit): rename it to `{suggestion}{}.md`",
                lang.map(|l| format!(".{l}")).unwrap_or_default()
            ));
        }
        return Err(d);
    }
    Ok((id.to_owned(), lang))
}

/// Loads one file of `<root>/content` (`path` includes `root`).
pub fn load_file(root: &Path, path: &Path) -> FileOutcome {
    load_one(root, path, None)
}

/// [`load_file`], also handing the file's bytes to `keep` as read, assets too (which
/// loading otherwise skips): one read for the check and the data archive (`serve` keeps each
/// file's archive entry until the file changes).
pub fn load_file_keeping(root: &Path, path: &Path, keep: Keep<'_>) -> FileOutcome {
    load_one(root, path, Some(keep))
}

/// Hands a file's bytes to the caller: its path relative to the root, and the bytes.
pub type Keep<'k> = &'k mut dyn FnMut(&str, &[u8]);

/// [`load_file`]; with `keep`, also reads an asset (which loading otherwise skips) and
/// hands every file's bytes to `keep` (see [`load_files_keeping`]).
fn load_one(root: &Path, path: &Path, keep: Option<Keep<'_>>) -> FileOutcome {
    let file = relative(root, path);
    // The same as `relative(&root.join("content"), path)` for every path of
    // `content_files`, without a second walk over the components.
    let under_content = match file.strip_prefix("content/") {
        Some(rest) => rest.to_owned(),
        None => relative(&root.join("content"), path),
    };
    let parts: Vec<&str> = under_content.split('/').collect();
    let place = match classify(&file, &parts) {
        Ok(Place::Asset) => {
            if let Some(keep) = keep {
                match std::fs::read(path) {
                    Ok(bytes) => keep(&file, &bytes),
                    Err(e) => return FileOutcome::Failed(None, io_problem(&file, &e)),
                }
            }
            return FileOutcome::Skipped;
        }
        Ok(place) => place,
        Err(d) => return FileOutcome::Failed(None, d),
    };
    let identity = match &place {
        Place::Markdown(kind, id, lang) => Some((kind.clone(), id.clone(), lang.clone())),
        Place::Data(kind) => Some((kind.clone(), data_id(kind).to_owned(), None)),
        Place::Asset => None,
    };
    let bytes = match read_bytes(path, &file) {
        Ok(bytes) => bytes,
        Err(d) => return FileOutcome::Failed(identity, d),
    };
    if let Some(keep) = keep {
        keep(&file, &bytes);
    }
    match parse_document(file, place, bytes) {
        Ok(Some(doc)) => FileOutcome::Loaded(doc),
        Ok(None) => FileOutcome::Skipped,
        Err(d) => FileOutcome::Failed(identity, d),
    }
}

/// The id of a data file's document.
fn data_id(kind: &DocKind) -> &'static str {
    match kind {
        DocKind::ExchangeRates => "exchange-rates",
        _ => "countries",
    }
}

/// A problem reading `file`.
fn io_problem(file: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(file, 1, 1, "io", format!("cannot read the file: {e}"))
}

/// The bytes of a record or data file, refused past [`MAX_FILE_SIZE`].
fn read_bytes(path: &Path, file: &str) -> Result<Vec<u8>, Diagnostic> {
    let io_error = |e: std::io::Error| io_problem(file, &e);
    // One open for the size and the bytes (a path lookup fewer per file than
    // `metadata` then `read`).
    let handle = std::fs::File::open(path).map_err(io_error)?;
    let size = handle.metadata().map_err(io_error)?.len();
    if size > MAX_FILE_SIZE {
        return Err(Diagnostic::error(
            file,
            1,
            1,
            "file-size",
            format!("the file is {size} bytes; records may be at most {MAX_FILE_SIZE} bytes"),
        )
        .with_hint("split the narrative, or move large tables to data files"));
    }
    let mut bytes = Vec::with_capacity(size as usize + 1);
    // Through `take`: `File`'s own `read_to_end` asks the size and position again (a
    // `statx` and an `lseek` per file, 23,000 system calls at 10,000 initiatives). The
    // limit also stops a file that grows while it is read.
    std::io::Read::take(&handle, MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    Ok(bytes)
}

fn parse_document(file: String, place: Place, bytes: Vec<u8>) -> Result<Option<Document>, Diagnostic> {
    let text = decode(&file, bytes)?;
    match place {
        Place::Markdown(kind, id, lang) => parse_markdown(file, kind, id, lang, text).map(Some),
        Place::Data(kind) => {
            let front = parse_yaml(&file, &text, 0)?;
            let spans = LazySpans::of(0..text.len(), 0);
            let id = match kind {
                DocKind::ExchangeRates => "exchange-rates",
                _ => "countries",
            };
            Ok(Some(Document {
                file,
                kind,
                id: id.into(),
                lang: None,
                front,
                body_start: text.len(),
                text,
                spans,
                body_line: 1,
            }))
        }
        Place::Asset => Ok(None),
    }
}

/// UTF-8 check, BOM removal and CRLF normalization (which keeps line numbers).
fn decode(file: &str, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let (line, col) = crate::config::line_col(prefix, prefix.len());
            return Err(Diagnostic::error(
                file,
                line,
                col,
                "encoding",
                format!("the file is not valid UTF-8 (byte 0x{:02X})", bytes[valid]),
            )
            .with_hint("save the file as UTF-8 in your editor"));
        }
    };
    let text = text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text);
    Ok(if memchr::memchr(b'\r', text.as_bytes()).is_some() {
        text.replace("\r\n", "\n")
    } else {
        text
    })
}

fn parse_yaml(file: &str, yaml_text: &str, line_offset: usize) -> Result<Value, Diagnostic> {
    yaml::parse_value(yaml_text, line_offset).map_err(|e| {
        Diagnostic::error(file, e.pos.line, e.pos.col, "yaml", e.message)
            .with_hint_opt(e.hint)
            .with_len(e.len)
    })
}

fn parse_markdown(
    file: String,
    kind: DocKind,
    id: String,
    lang: Option<String>,
    text: String,
) -> Result<Document, Diagnostic> {
    if text.trim().is_empty() {
        return Err(
            Diagnostic::error(&file, 1, 1, "front-matter", "the file is empty").with_hint(
                "a record starts with its fields between two `---` lines, followed by an optional Markdown body",
            ),
        );
    }
    let mut lines = crate::yaml::lines_inclusive(&text);
    let first = lines.next().unwrap_or_default();
    if first.trim_end() != "---" {
        if lang.is_some() {
            // A translation may be a body only.
            return Ok(Document {
                file,
                kind,
                id,
                lang,
                front: Value::Object(Default::default()),
                spans: LazySpans::default(),
                body_start: 0,
                body_line: 1,
                text,
            });
        }
        return Err(
            Diagnostic::error(&file, 1, 1, "front-matter", "the file does not start with front matter")
                .with_hint("put the record's fields between two `---` lines at the top of the file")
                .with_source(&text),
        );
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    let mut line_no = 1;
    let mut close = None;
    for line in lines {
        line_no += 1;
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            close = Some((offset, offset + line.len(), line_no));
            break;
        }
        offset += line.len();
    }
    let Some((yaml_end, body_start, close_line)) = close else {
        return Err(Diagnostic::error(
            &file,
            1,
            1,
            "front-matter",
            "the front matter starting here is never closed",
        )
        .with_hint("add a line with `---` after the last field")
        .with_len(3)
        .with_source(&text));
    };
    let front = parse_yaml(&file, &text[yaml_start..yaml_end], 1).map_err(|d| d.with_source(&text))?;
    let spans = LazySpans::of(yaml_start..yaml_end, 1);
    let front = match front {
        Value::Null => Value::Object(Default::default()),
        Value::Object(map) => Value::Object(map),
        _ => {
            return Err(Diagnostic::error(
                &file,
                2,
                1,
                "front-matter",
                "the front matter must be a mapping of `field: value` lines",
            )
            .with_source(&text));
        }
    };
    Ok(Document {
        file,
        kind,
        id,
        lang,
        front,
        spans,
        body_start,
        body_line: close_line + 1,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(text: &str) -> Result<Document, Diagnostic> {
        parse_markdown(
            "content/projects/x.md".into(),
            DocKind::Record(Collection::Project),
            "x".into(),
            None,
            text.into(),
        )
    }

    #[test]
    fn splits_front_matter_and_body() {
        let doc = md("---\ntitle: A\n---\nBody *text*.\n").unwrap();
        assert_eq!(doc.front["title"], "A");
        assert_eq!(doc.body(), "Body *text*.\n");
        assert_eq!(doc.body_line, 4);
        assert_eq!(doc.spans().get("/title").unwrap().start.line, 2);
    }

    #[test]
    fn a_document_without_its_body_keeps_its_front_matter_and_positions() {
        let mut doc = md("---\ntitle: A\nsummary: B\n---\nBody *text*.\nMore.\n").unwrap();
        doc.drop_body();
        assert_eq!(doc.text, "---\ntitle: A\nsummary: B\n---\n");
        assert_eq!(doc.body(), "");
        assert_eq!(doc.spans().get("/summary").unwrap().start.line, 3);
    }

    #[test]
    fn crlf_and_bom_keep_lines_and_columns() {
        let text = decode(
            "x.md",
            b"\xEF\xBB\xBF---\r\ntitle: A\r\nstart: 2024-10-01\r\n---\r\n".to_vec(),
        )
        .unwrap();
        let doc = md(&text).unwrap();
        assert_eq!(doc.front["start"], "2024-10-01");
        let span = doc.spans().get("/start").unwrap();
        assert_eq!((span.start.line, span.start.col), (3, 8));
    }

    #[test]
    fn invalid_utf8_is_located() {
        let d = decode("x.md", b"---\ntitle: caf\xE9\n---\n".to_vec()).unwrap_err();
        assert_eq!((d.line, d.column), (2, 11));
        assert!(d.message.contains("0xE9"));
    }

    #[test]
    fn empty_and_unclosed_files_are_errors() {
        assert!(md("").unwrap_err().message.contains("empty"));
        assert!(md("   \n").unwrap_err().message.contains("empty"));
        assert!(md("---\ntitle: A\n").unwrap_err().message.contains("never closed"));
        assert!(
            md("title: A\n")
                .unwrap_err()
                .message
                .contains("does not start with front matter")
        );
    }

    #[test]
    fn read_bytes_reads_a_file_whole_and_refuses_one_past_the_limit() {
        let root = tempfile::tempdir().unwrap();
        let small = root.path().join("small.md");
        let text = "---\ntitle: A\n---\n".repeat(1000);
        std::fs::write(&small, &text).unwrap();
        assert_eq!(read_bytes(&small, "small.md").unwrap(), text.as_bytes());
        let at_limit = root.path().join("at-limit.md");
        std::fs::write(&at_limit, vec![b'a'; MAX_FILE_SIZE as usize]).unwrap();
        assert_eq!(
            read_bytes(&at_limit, "at-limit.md").unwrap().len() as u64,
            MAX_FILE_SIZE
        );
        let large = root.path().join("large.md");
        std::fs::write(&large, vec![b'a'; MAX_FILE_SIZE as usize + 1]).unwrap();
        let problem = read_bytes(&large, "large.md").unwrap_err();
        assert_eq!((problem.file.as_str(), problem.rule), ("large.md", "file-size"));
    }

    #[test]
    fn loading_while_keeping_hands_over_every_file_once_and_loads_the_same() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str, bytes: &[u8]| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        };
        write("content/projects/a.md", b"---\ntitle: A\n---\r\nBody\r\n");
        write("content/projects/broken.md", b"no front matter\n");
        write("content/static-note.txt", b"\x00\x01 not a record");
        write("content/.hidden/x.md", b"skipped");
        let paths = content_files(root.path()).unwrap();
        let (kept_loaded, kept) = load_files_keeping(
            root.path(),
            &paths,
            |file, bytes| (file.to_owned(), bytes.to_vec()),
            |doc| doc,
        );
        let loaded = load_files(root.path(), &paths, |doc| doc);
        assert_eq!(format!("{kept_loaded:?}"), format!("{loaded:?}"));
        // `then` is given each document loaded, once; the others are problems as before.
        let ids = load_files(root.path(), &paths, |doc| doc.id);
        assert_eq!(ids.documents, ["a"]);
        assert_eq!(ids.diagnostics.len(), 1);
        // The bytes as they are on disk (CRLF kept), an asset too, in path order.
        assert_eq!(
            kept,
            [
                (
                    "content/projects/a.md".to_owned(),
                    b"---\ntitle: A\n---\r\nBody\r\n".to_vec()
                ),
                ("content/projects/broken.md".to_owned(), b"no front matter\n".to_vec()),
                ("content/static-note.txt".to_owned(), b"\x00\x01 not a record".to_vec()),
            ]
        );
    }

    #[test]
    fn paths_sort_as_a_walk_in_name_order() {
        let mut paths: Vec<PathBuf> = [
            "c/a-b.md",
            "c/a/z.md",
            "c/a.md",
            "c/a0/x.md",
            "c/b.md",
            "c/A.md",
            "c/é.md",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let mut by_components = paths.clone();
        by_components.sort();
        paths.sort_by_cached_key(|path| sort_key(path));
        assert_eq!(paths, by_components);
        assert_eq!(paths[1], PathBuf::from("c/a/z.md"), "a folder's files before `a-b.md`");
    }

    #[test]
    fn file_names_become_ids_and_languages() {
        assert_eq!(
            split_name("f", "de-campesino.es.md").unwrap(),
            ("de-campesino".into(), Some("es".into()))
        );
        assert_eq!(split_name("f", "a-1.md").unwrap(), ("a-1".into(), None));
        let d = split_name("f", "x.pt-br.md").unwrap_err();
        assert!(
            d.message.contains("`pt-br` in `x.pt-br.md` is not a language code"),
            "{d:?}"
        );
        let Err(d) = classify("content/data/exchange-rates.yml", &["data", "exchange-rates.yml"]) else {
            panic!("a .yml data file is not accepted silently")
        };
        assert!(d.hint.unwrap().contains("exchange-rates.yaml"));
        let d = split_name("f", "Bad_Name.md").unwrap_err();
        assert!(d.hint.unwrap().contains("bad-name.md"));
    }

    #[test]
    fn a_record_named_index_is_refused_where_its_page_would_be_the_list() {
        for folder in ["projects", "actors", "funds"] {
            let file = format!("content/{folder}/index.md");
            let Err(d) = classify(&file, &[folder, "index.md"]) else {
                panic!("{file}: its page would be {folder}/index.html, the list's")
            };
            assert_eq!((d.file.as_str(), d.rule), (file.as_str(), "file-name"));
            assert!(d.message.contains(&format!("({folder}/index.html)")), "{}", d.message);
            // A translation of it as well: it would be the list's page in that language.
            assert!(classify(&file, &[folder, "index.es.md"]).is_err());
        }
        // Exchanges have no page of their own; a chapter's `index.md` is its edition.
        assert!(matches!(
            classify("f", &["exchanges", "index.md"]),
            Ok(Place::Markdown(..))
        ));
        assert!(matches!(
            classify("f", &["reports", "2011", "index.md"]),
            Ok(Place::Markdown(DocKind::ReportEdition { year: 2011 }, ..))
        ));
    }
}
