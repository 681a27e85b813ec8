//! openssc: a static-site generator for the open, annual *State of South-South
//! Cooperation* report.
//!
//! The pipeline reads top to bottom, one module per stage:
//! [`config`] → [`load`] (files, front matter, YAML with positions) → [`validate`]
//! (JSON Schemas from [`schema`], then the rules) → [`model`] (one typed [`model::Dataset`])
//! → [`aggregate`] → [`render`] (page by page, driven by [`site`]) → [`linkcheck`] and
//! [`mod@write`] as each page is made.
//! See ARCHITECTURE.md for the map and the invariants of each module.

// A `Diagnostic` is the error value of per-file loading; it is built once per problem,
// so its size does not matter and boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod aggregate;
pub mod chart;
pub mod config;
pub mod countries;
pub mod diagnostics;
pub mod dictionary;
pub mod error;
pub mod incremental;
pub mod linkcheck;
pub mod load;
pub mod locale;
pub mod markdown;
pub mod model;
pub mod opendata;
pub mod paths;
pub mod render;
pub mod scaffold;
pub mod schema;
pub mod serve;
pub mod site;
pub mod validate;
pub mod write;
pub mod yaml;

use std::path::Path;

use config::{CONFIG_FILE, SiteConfig};
use diagnostics::{Diagnostic, Severity};
pub use error::Error;
use validate::Checked;

/// The outcome of `check`: either the site could not even be read as a site (the
/// configuration or the schemas are broken: only diagnostics), or it was validated.
#[derive(Debug)]
pub enum CheckOutcome {
    /// The configuration or the schemas have problems; no record was checked.
    Unreadable(Vec<Diagnostic>),
    /// Every record was checked.
    Checked(Box<Checked>),
}

impl CheckOutcome {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            CheckOutcome::Unreadable(d) => d,
            CheckOutcome::Checked(c) => &c.diagnostics,
        }
    }

    /// Does the site fail the check? Under `strict`, warnings count as errors.
    pub fn failed(&self, strict: bool) -> bool {
        fails(self.diagnostics(), self.config(), strict)
    }

    fn config(&self) -> Option<&SiteConfig> {
        match self {
            CheckOutcome::Checked(c) => Some(&c.dataset.config),
            CheckOutcome::Unreadable(_) => None,
        }
    }
}

/// Do `diagnostics` fail a check? Under `strict` (or the site's own `strict`), warnings
/// count as errors.
pub(crate) fn fails(diagnostics: &[Diagnostic], config: Option<&SiteConfig>, strict: bool) -> bool {
    let strict = strict || config.is_some_and(|c| c.strict);
    diagnostics.iter().any(|d| d.severity == Severity::Error || strict)
}

/// Loads and validates the site at `root`: configuration, schemas, every record.
pub fn check_site(root: &Path) -> Result<CheckOutcome, Error> {
    check_with_schemas(root, false).map(|(outcome, _)| outcome)
}

/// What a site's records are checked against and rendered with: its configuration,
/// schemas and theme, and the problems of the theme's catalogs for its languages.
pub(crate) struct Setup {
    pub config: SiteConfig,
    pub schemas: schema::SchemaSet,
    pub theme: render::Theme,
    pub catalog_problems: Vec<Diagnostic>,
}

/// Reads the configuration, schemas and theme of the site at `root`; their diagnostics
/// when one of them is broken.
pub(crate) fn load_setup(root: &Path) -> Result<Result<Setup, Vec<Diagnostic>>, Error> {
    let config_path = root.join(CONFIG_FILE);
    if !config_path.is_file() {
        return Err(Error::NoConfig(root.to_path_buf()));
    }
    let config_text = std::fs::read_to_string(&config_path).map_err(|e| Error::Io(config_path.clone(), e))?;
    let config = match SiteConfig::parse(&config_text, CONFIG_FILE) {
        Ok(c) => c,
        Err(d) => return Ok(Err(d)),
    };
    // The schemas and the theme are compiled on both cores; the schemas' problems first.
    let (schemas, theme) = rayon::join(|| schema::SchemaSet::load(root), || render::Theme::load(root));
    let schemas = match schemas {
        Ok(s) => s,
        Err(d) => return Ok(Err(d)),
    };
    // The theme's catalogs must cover the site's languages: a missing interface text is
    // a problem of the site, found by `check` like a record's.
    let theme = match theme {
        Ok(t) => t,
        Err(d) => return Ok(Err(d)),
    };
    let catalog_problems = theme.check_catalogs(&config.languages);
    Ok(Ok(Setup {
        config,
        schemas,
        theme,
        catalog_problems,
    }))
}

/// Adds the catalog problems to a check's diagnostics.
pub(crate) fn add_catalog_problems(checked: &mut Checked, problems: &[Diagnostic]) {
    if !problems.is_empty() {
        checked.diagnostics.extend(problems.iter().cloned());
        diagnostics::sort(&mut checked.diagnostics);
    }
}

/// What a check leaves for a build besides the checked records.
struct CheckLeaves {
    schemas: schema::SchemaSet,
    theme: render::Theme,
    /// With `keep_sources`: every file of `content/`, deflated for the data archive as
    /// loading read it ([`load::load_files_keeping`]).
    content: Vec<opendata::archive::Entry>,
}

/// [`check_site`], also returning the schema set and theme when they could be loaded, and
/// with `keep_sources` the content deflated for the data archive.
fn check_with_schemas(root: &Path, keep_sources: bool) -> Result<(CheckOutcome, Option<CheckLeaves>), Error> {
    // The content folder is listed while the setup is read (the setup's problems first).
    let (setup, paths) = rayon::join(|| load_setup(root), || load::content_files(root));
    let setup = match setup? {
        Ok(setup) => setup,
        Err(d) => return Ok((CheckOutcome::Unreadable(d), None)),
    };
    let paths = paths?;
    // Each document is validated as it is loaded, on the thread that read it.
    let check = |doc| validate::check_document(doc, &setup.config, &setup.schemas);
    let (loaded, content) = if keep_sources {
        load::load_files_keeping(root, &paths, opendata::archive::prepare, check)
    } else {
        (load::load_files(root, &paths, check), Vec::new())
    };
    let mut checked = validate::validate(setup.config, &setup.schemas, loaded);
    add_catalog_problems(&mut checked, &setup.catalog_problems);
    let leaves = CheckLeaves {
        schemas: setup.schemas,
        theme: setup.theme,
        content,
    };
    Ok((CheckOutcome::Checked(Box::new(checked)), Some(leaves)))
}

/// The outcome of `build`.
#[derive(Debug)]
pub enum BuildOutcome {
    /// Nothing was written: the diagnostics say why.
    Failed(Vec<Diagnostic>),
    /// The site was written; `warnings` are the check's warnings.
    Built { files: usize, warnings: Vec<Diagnostic> },
}

/// How to build.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Treat warnings as errors.
    pub strict: bool,
    /// The build date shown on pages (`YYYY-MM-DD`); see [`build_date`].
    pub date: Option<String>,
}

/// Checks the site at `root` and, if it is valid, renders it and writes it to `output`
/// (replacing the previous output only when the new one is complete).
pub fn build_site(root: &Path, output: &Path, options: &BuildOptions) -> Result<BuildOutcome, Error> {
    build_site_with(root, output, options, &site::NoProgress)
}

/// [`build_site`], telling `progress` the stages and pages as they go.
pub fn build_site_with(
    root: &Path,
    output: &Path,
    options: &BuildOptions,
    progress: &dyn site::Progress,
) -> Result<BuildOutcome, Error> {
    build_site_with_leftovers(root, output, options, progress).map(|(outcome, _)| outcome)
}

/// What a build read and checked (every record, the schemas, the theme), handed back by
/// [`build_site_with_leftovers`] for the caller to let go when it chooses.
pub struct Leftovers(#[allow(dead_code)] Vec<Box<dyn std::any::Any>>);

/// [`build_site_with`], also handing back what the build read and checked: a process that
/// ends after the build need not free it (`std::mem::forget`), which took some hundredths
/// of a second at 10,000 initiatives, on one core, after the site was written.
pub fn build_site_with_leftovers(
    root: &Path,
    output: &Path,
    options: &BuildOptions,
    progress: &dyn site::Progress,
) -> Result<(BuildOutcome, Leftovers), Error> {
    let strict = options.strict;
    // The check deflates the sources for the data archive as it reads them.
    let (outcome, leaves) = site::stage(progress, "check", || check_with_schemas(root, true))?;
    if outcome.failed(strict) {
        return Ok((
            BuildOutcome::Failed(outcome.diagnostics().to_vec()),
            Leftovers(vec![Box::new(outcome), Box::new(leaves)]),
        ));
    }
    let (CheckOutcome::Checked(checked), Some(leaves)) = (outcome, leaves) else {
        unreachable!("an unreadable site always has errors")
    };
    let inputs = BuildInputs {
        checked: &checked,
        schemas: &leaves.schemas,
        theme: &leaves.theme,
        sources: with_schema_sources(root, leaves.content),
    };
    let (outcome, _) = build_checked(root, output, options, inputs, progress, None)?;
    Ok((
        outcome,
        Leftovers(vec![
            Box::new(checked),
            Box::new(leaves.schemas),
            Box::new(leaves.theme),
        ]),
    ))
}

/// What [`build_checked`] builds from.
pub(crate) struct BuildInputs<'a> {
    pub checked: &'a Checked,
    pub schemas: &'a schema::SchemaSet,
    pub theme: &'a render::Theme,
    pub sources: opendata::Sources,
}

/// The build information of a build with `options`.
pub(crate) fn build_info(options: &BuildOptions) -> render::BuildInfo {
    render::BuildInfo {
        date: options.date.clone(),
        generator: format!("openssc {}", env!("CARGO_PKG_VERSION")),
    }
}

/// Renders a checked site into a staging folder and swaps it in place of `output`. With
/// `remember`, also returns what [`site::update_site`] needs for the next build.
pub(crate) fn build_checked(
    root: &Path,
    output: &Path,
    options: &BuildOptions,
    inputs: BuildInputs<'_>,
    progress: &dyn site::Progress,
    remember: Option<&render::deps::FileHashes>,
) -> Result<(BuildOutcome, Option<site::Memory>), Error> {
    let checked = inputs.checked;
    let build = build_info(options);
    let staging = write::Staging::create(output, root)?;
    let site_inputs = site::Inputs {
        dataset: &checked.dataset,
        schemas: inputs.schemas,
        theme: inputs.theme,
        build: &build,
    };
    let memory = match site::write_site(site_inputs, inputs.sources, &staging, progress, remember) {
        Ok(memory) => memory,
        Err(failure) => return failure_outcome(root, &checked.dataset, failure).map(|o| (o, None)),
    };
    let written = staging.commit()?;
    let warnings = checked.diagnostics.clone();
    Ok((
        BuildOutcome::Built {
            files: written,
            warnings,
        },
        memory,
    ))
}

/// What a failed build tells its user: the template problems or the broken links as
/// diagnostics (an I/O failure is an error).
pub(crate) fn failure_outcome(
    root: &Path,
    dataset: &model::Dataset,
    failure: site::BuildFailure,
) -> Result<BuildOutcome, Error> {
    match failure {
        site::BuildFailure::Diagnostics(d) => Ok(BuildOutcome::Failed(d)),
        site::BuildFailure::Io(e) => Err(e),
        site::BuildFailure::BrokenLinks(mut broken) => {
            // A record's body shown on the page of every language breaks the same link on
            // each: report it once, as found on the default language's page.
            let languages = &dataset.config.languages;
            let in_other_language = |page: &str| {
                page.split_once('/')
                    .is_some_and(|(first, _)| languages.iter().any(|l| l == first))
            };
            broken.sort_by_key(|b| in_other_language(&b.page));
            let mut seen = std::collections::HashSet::new();
            let mut diagnostics: Vec<Diagnostic> = Vec::new();
            for b in broken {
                let d = broken_link_diagnostic(root, dataset, b);
                let from_record = !d.file.ends_with(".html");
                if !from_record || seen.insert((d.file.clone(), d.line, d.column)) {
                    diagnostics.push(d);
                }
            }
            diagnostics::sort(&mut diagnostics);
            Ok(BuildOutcome::Failed(diagnostics))
        }
    }
}

/// The sources of the data archive: the content's `entries` and the schemas in use.
pub(crate) fn with_schema_sources(root: &Path, mut entries: Vec<opendata::archive::Entry>) -> opendata::Sources {
    let schemas = schema::SchemaSet::source_files(root);
    entries.extend(
        schemas
            .iter()
            .map(|(path, bytes)| opendata::archive::prepare(path, bytes)),
    );
    opendata::Sources { entries }
}

/// The record whose Markdown body is shown on an output page, if any.
/// A page of another language than the default is under `<lang>/` and shows the body of
/// the record's translation file when there is one.
fn source_of_page<'d>(dataset: &'d model::Dataset, page: &str) -> Option<&'d str> {
    let mut parts: Vec<&str> = page.split('/').collect();
    let lang = match parts.first() {
        Some(first) if dataset.config.languages.iter().any(|l| l == first) && parts.len() > 1 => {
            let lang = parts.remove(0);
            Some(lang)
        }
        _ => None,
    };
    fn file_of<'d, T>(record: &'d model::Record<T>, lang: Option<&str>) -> &'d str {
        lang.and_then(|l| record.translations.get(l))
            .filter(|t| !t.body.trim().is_empty())
            .map_or(record.file.as_str(), |t| t.file.as_str())
    }
    let in_lang = lang.map_or(page, |l| &page[l.len() + 1..]);
    if let Some((collection, id)) = paths::record_of_page(in_lang) {
        return match collection {
            load::Collection::Project => dataset.projects.get(id).map(|r| file_of(r, lang)),
            load::Collection::Actor => dataset.actors.get(id).map(|r| file_of(r, lang)),
            load::Collection::Fund => dataset.funds.get(id).map(|r| file_of(r, lang)),
            load::Collection::Exchange => None,
        };
    }
    match parts.as_slice() {
        ["reports", year, "index.html"] => dataset
            .editions
            .get(&year.parse().ok()?)
            .map(|e| file_of(&e.index, lang)),
        ["reports", year, chapter, "index.html"] => dataset
            .editions
            .get(&year.parse().ok()?)
            .and_then(|e| e.chapters.iter().find(|c| c.id == *chapter))
            .map(|c| file_of(c, lang)),
        _ => None,
    }
}

/// A broken link, located in the record that holds it when a record's body wrote it
/// (editors fix it there), else on the output page (a template wrote it).
fn broken_link_diagnostic(root: &Path, dataset: &model::Dataset, b: linkcheck::BrokenLink) -> Diagnostic {
    let message = format!("broken link `{}` on page {}: {}", b.link, b.page, b.reason);
    let source = source_of_page(dataset, &b.page).and_then(|file| {
        let text = std::fs::read_to_string(root.join(file)).ok()?;
        // Where the body writes it: as a Markdown link target or an HTML attribute value.
        let link = &b.link;
        let offset = [("](", ""), ("\"", "\""), ("'", "'"), ("=", "")]
            .iter()
            .filter_map(|(before, after)| text.find(&format!("{before}{link}{after}")).map(|i| i + before.len()))
            .min()?;
        let (line, col) = config::line_col(&text, offset);
        Some(
            Diagnostic::error(file, line, col, "broken-link", message.clone())
                .with_len(b.link.chars().count())
                .with_source(&text),
        )
    });
    source.unwrap_or_else(|| Diagnostic::error(b.page.clone(), 1, 1, "broken-link", message)).with_hint(
        "a link must name a file the build writes, relative to the page (e.g. ../projects/other-id.html), or an id on that page",
    )
}

/// The build date: `SOURCE_DATE_EPOCH`, else the date of the last git commit of the
/// site, else unknown (and then omitted from pages, so builds stay reproducible).
pub fn build_date(root: &Path) -> Option<String> {
    let from_env = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok());
    let seconds = from_env.or_else(|| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["log", "-1", "--format=%ct"])
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    })?;
    Some(site::civil_date(seconds))
}
