//! Assembling the site: every page and file of the output, in memory, in a fixed order.
//!
//! Invariant: no I/O; the same dataset, schemas, theme and build info give the same
//! files with the same bytes.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use serde_json::json;

use crate::diagnostics::Diagnostic;
use crate::linkcheck::{LinkChecker, LinkMemory};
use crate::locale::Locale;
use crate::model::Dataset;
use crate::model::{Project, Record};
use crate::opendata::{KeptFiles, Sink, Sources, sums};
use crate::render::deps::{FileHashes, Fingerprints};
use crate::render::fields::Fields;
use crate::render::views::{Fragments, Index, PageJob, Refs, Rows, Views};
use crate::render::{BuildInfo, OutputFile, ROOT_MARK, Renderer, SiteLanguage, Theme};
use crate::schema::SchemaSet;
use crate::write::{Staging, remove_with_empty_folders, write_in_place};

/// Follows a build: the stages as they start and end, and the pages as they are written.
/// Every method has a default that does nothing.
pub trait Progress: Sync {
    /// A stage begins (`render`, `open data`, ...).
    fn stage(&self, _name: &'static str) {}
    /// A stage ended after `_elapsed`.
    fn stage_done(&self, _name: &'static str, _elapsed: std::time::Duration) {}
    /// `_pages` more pages are to be written.
    fn add_pages(&self, _pages: u64) {}
    /// One page was written.
    fn page_done(&self) {}
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Why a build stopped before its site was complete.
#[derive(Debug)]
pub enum BuildFailure {
    /// Templates failed: diagnostics on the templates.
    Diagnostics(Vec<Diagnostic>),
    /// Links the pages wrote do not resolve.
    BrokenLinks(Vec<crate::linkcheck::BrokenLink>),
    /// Writing failed.
    Io(crate::Error),
}

/// Runs `f` as the stage `name` of `progress`.
pub(crate) fn stage<T>(progress: &dyn Progress, name: &'static str, f: impl FnOnce() -> T) -> T {
    progress.stage(name);
    let start = std::time::Instant::now();
    let out = f();
    progress.stage_done(name, start.elapsed());
    out
}

/// What a site is made from, besides its output.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub dataset: &'a Dataset,
    pub schemas: &'a SchemaSet,
    pub theme: &'a Theme,
    pub build: &'a BuildInfo,
}

impl<'a> Inputs<'a> {
    /// The views of the pages of `locale`'s language, without pre-rendered rows.
    fn views<'v>(&self, locale: &'v Arc<Locale>, index: &'v Index<'v>) -> Views<'v>
    where
        'a: 'v,
    {
        static NO_ROWS: std::sync::LazyLock<Rows> = std::sync::LazyLock::new(Rows::default);
        static NO_REFS: std::sync::LazyLock<Refs> = std::sync::LazyLock::new(Refs::default);
        Views {
            data: self.dataset,
            schemas: self.schemas,
            locale,
            index,
            rows: &NO_ROWS,
            refs: &NO_REFS,
        }
    }
}

/// What a build leaves for `serve`'s next one, which makes again only what changed.
#[derive(Debug, Default)]
pub struct Memory {
    /// The fingerprint of every page's inputs, by output path (see [`crate::render::deps`]).
    pages: HashMap<String, u64>,
    /// Every page's ids and links.
    links: LinkMemory,
    /// Every file of the output (but `data/SHA256SUMS`) with its SHA-256.
    files: BTreeMap<String, [u8; 32]>,
    /// The open-data files (made again by [`refresh_data`]).
    data_files: Vec<String>,
    /// Per language, the table row of every initiative with the fingerprint of its files.
    rows: HashMap<String, KeptRows>,
    /// The data archive's deflated files and pieces, for the next [`refresh_data`].
    deflated: crate::opendata::archive::Memo,
}

/// The table rows of one language with the fingerprint of each initiative's files.
type KeptRows = (HashMap<String, u64>, Rows);

impl Memory {
    /// How many files the output holds (with `data/SHA256SUMS` and the marker file).
    pub fn file_count(&self) -> usize {
        self.files.len() + 2
    }
}

/// The fragments of each of `projects` in the language of `views` (`project-row.html`,
/// `project-link.html`), made in parallel.
fn make_rows(
    views: &Views<'_>,
    renderer: &Renderer<'_>,
    projects: &[&Record<Project>],
) -> Result<Vec<(String, Fragments)>, Diagnostic> {
    projects
        .par_iter()
        .map(|p| {
            let mut context = Fields::with_capacity(2);
            context.set("p", views.project_summary(p));
            context.set("root", ROOT_MARK.to_string());
            let context = context.into();
            let row = renderer.fragment("project-row.html", &context)?;
            let link = renderer.fragment("project-link.html", &context)?;
            Ok((
                p.id.clone(),
                Fragments {
                    row: minijinja::Value::from_safe_string(row),
                    link: minijinja::Value::from_safe_string(link),
                },
            ))
        })
        .collect()
}

/// The languages of a site with their locales, the default first.
fn languages_and_locales(inputs: &Inputs<'_>) -> (Vec<SiteLanguage>, Vec<Arc<Locale>>) {
    let config = &inputs.dataset.config;
    let languages = site_languages(config, inputs.theme);
    let locales = languages
        .iter()
        .map(|l| Arc::new(inputs.theme.locale(&l.code)))
        .collect();
    (languages, locales)
}

/// `base_url` with a trailing slash, so that `base_url ~ page.path` is a URL.
fn base_url(inputs: &Inputs<'_>) -> Option<String> {
    inputs
        .dataset
        .config
        .base_url
        .as_ref()
        .map(|b| if b.ends_with('/') { b.clone() } else { format!("{b}/") })
}

/// The renderer of one language's pages.
fn renderer<'t>(
    inputs: &Inputs<'t>,
    language: &SiteLanguage,
    locale: &Arc<Locale>,
    languages: &[SiteLanguage],
) -> Result<Renderer<'t>, Vec<Diagnostic>> {
    let config = &inputs.dataset.config;
    let base = base_url(inputs);
    let (title, title_lang) = config.title_in(&language.code);
    let description = config.description_in(&language.code);
    let site = json!({
        "title": title,
        "title_lang": (title_lang != language.code).then_some(title_lang),
        "description": description.map(|d| d.0),
        "description_lang": description.and_then(|d| (d.1 != language.code).then_some(d.1)),
        "lang": language.code,
        "has_feed": base.is_some() && inputs.build.date.is_some(),
        "base_url": base,
    });
    Renderer::new(inputs.theme, site, inputs.build, locale, languages)
}

/// The report's charts in every language.
fn chart_files(
    inputs: &Inputs<'_>,
    index: &Index<'_>,
    languages: &[SiteLanguage],
    locales: &[Arc<Locale>],
) -> Vec<OutputFile> {
    let mut files = Vec::new();
    for (locale, language) in locales.iter().zip(languages) {
        files.extend(crate::render::report::edition_chart_files(
            &inputs.views(locale, index),
            &language.prefix,
        ));
    }
    files
}

/// The files that are neither pages nor open data, made from the whole dataset every
/// build: the report's data files and charts (made by [`chart_files`]), static files,
/// robots, sitemap, feed.
fn other_files(
    inputs: &Inputs<'_>,
    default_views: &Views<'_>,
    languages: &[SiteLanguage],
    page_paths: &[String],
    report_data: Vec<OutputFile>,
    charts: Vec<OutputFile>,
) -> Vec<OutputFile> {
    let mut files = report_data;
    files.extend(charts);
    for (name, bytes) in &inputs.theme.static_files {
        files.push(OutputFile {
            path: format!("static/{name}"),
            bytes: bytes.clone(),
        });
    }
    let base = base_url(inputs);
    let mut robots = String::from("User-agent: *\nAllow: /\n");
    if let Some(base) = &base {
        robots.push_str(&format!("Sitemap: {base}sitemap.xml\n"));
        files.push(OutputFile {
            path: "sitemap.xml".into(),
            bytes: sitemap(base, page_paths, languages).into_bytes(),
        });
        if let Some(date) = &inputs.build.date {
            files.push(OutputFile {
                path: "feed.xml".into(),
                bytes: feed(base, default_views, date).into_bytes(),
            });
        }
    }
    files.push(OutputFile {
        path: "robots.txt".into(),
        bytes: robots.into_bytes(),
    });
    files
}

fn push_problems(problems: &Mutex<Vec<Diagnostic>>, mut more: Vec<Diagnostic>) {
    problems
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .append(&mut more);
}

fn template_failure(problems: Mutex<Vec<Diagnostic>>) -> Result<(), BuildFailure> {
    let mut problems = problems.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    if problems.is_empty() {
        return Ok(());
    }
    crate::diagnostics::sort(&mut problems);
    problems.dedup_by(|a, b| a.file == b.file && a.line == b.line && a.message == b.message);
    Err(BuildFailure::Diagnostics(problems))
}

/// Where a build's files go: each written into the staging folder as it is made (the
/// open data's sink too); the first failure kept for the end of the build.
struct StagingSink<'a> {
    staging: &'a Staging,
    io_error: Mutex<Option<crate::Error>>,
}

impl StagingSink<'_> {
    /// Writes one file; a failure is kept, not returned.
    fn write(&self, path: &str, bytes: Vec<u8>) {
        self.keep(self.staging.write(path, bytes));
    }

    fn keep<T: Default>(&self, result: Result<T, crate::Error>) -> T {
        result.unwrap_or_else(|e| {
            self.io_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert(e);
            T::default()
        })
    }

    /// The first failure, if a file could not be written.
    fn into_error(self) -> Option<crate::Error> {
        self.io_error
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Sink for StagingSink<'_> {
    fn file(&self, file: OutputFile) {
        self.write(&file.path, file.bytes);
    }
    fn stream(&self, path: &str, write: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>) -> u64 {
        self.keep(self.staging.write_stream(path, write))
    }
}

/// Makes every file of the site and writes it into `staging` as it is made, pages in
/// parallel, so that a large site is never held in memory whole; checks every internal
/// link on the way. The last file written is `data/SHA256SUMS`, the checksums of all the
/// others. `sources` are the site's source files the data archive holds (read by the caller).
///
/// Each language's pages sit under its prefix (none for the default language, `es/` for
/// Spanish); the data downloads and static files are shared by all languages. The caller
/// commits `staging` only when this succeeds. With `remember` (the hash of every source
/// file), it also returns what [`update_site`] needs to make only what changes next.
pub fn write_site(
    inputs: Inputs<'_>,
    sources: Sources,
    staging: &Staging,
    progress: &dyn Progress,
    remember: Option<&FileHashes>,
) -> Result<Option<Memory>, BuildFailure> {
    let dataset = inputs.dataset;
    let (languages, locales) = languages_and_locales(&inputs);
    let index = stage(progress, "index", || Index::new(dataset));
    let views_of = |locale| inputs.views(locale, &index);
    let default_views = views_of(&locales[0]);
    let sink = StagingSink {
        staging,
        io_error: Mutex::new(None),
    };
    let write = |path: &str, bytes: Vec<u8>| sink.write(path, bytes);
    // The downloads are written as they are made, before the pages (but the archive, written
    // beside them): nothing is in the output before the commit, and their bytes (the
    // largest part of a build's memory: `records.json`, the initiatives' JSON files, the
    // archive's entries) are let go once written.
    // Remembering (for `serve`), the archive's deflated files are kept for the next one.
    let deflated = remember.map(|_| crate::opendata::archive::Memo::default());
    // The default language's list of pages and every language's charts need no open data:
    // they are made beside it, on a core the open data leaves free at times, rather than on
    // one core while the other waits.
    let ((report_data, mut open_data), (default_view_jobs, charts)) = rayon::join(
        || {
            stage(progress, "open data", || {
                let report_data = crate::render::report::edition_data_files(&default_views);
                let open_data = crate::opendata::OpenData::build(
                    &default_views,
                    inputs.build,
                    &report_data,
                    sources,
                    &sink,
                    deflated.as_ref(),
                );
                (report_data, open_data)
            })
        },
        || (default_views.jobs(), chart_files(&inputs, &index, &languages, &locales)),
    );
    // Written on one core while the other starts on the pages (see below).
    let archive = open_data.take_archive();

    // Every page as a job, with every path the build writes known before the first page is
    // made: the link check needs them. Every language has the same pages; each language's
    // jobs are made when its turn comes.
    let with_data_page = |mut jobs: Vec<PageJob>, views: &Views<'_>| {
        jobs.push(PageJob::Ready(Box::new(open_data.page(views))));
        jobs
    };
    let jobs_of = |views: &Views<'_>| with_data_page(views.jobs(), views);
    let mut default_jobs = Some(stage(progress, "plan", || {
        with_data_page(default_view_jobs, &default_views)
    }));
    let page_paths: Vec<String> = default_jobs.iter().flatten().map(PageJob::path).collect();
    let others = other_files(&inputs, &default_views, &languages, &page_paths, report_data, charts);
    let mut planned: Vec<String> = Vec::new();
    for language in &languages {
        planned.extend(page_paths.iter().map(|p| format!("{}{p}", language.prefix)));
    }
    planned.extend(open_data.files.iter().cloned());
    planned.extend(others.iter().map(|f| f.path.clone()));
    planned.push(sums::PATH.to_owned());
    let mut links = LinkChecker::new(planned);
    stage(progress, "write data", || {
        others.into_par_iter().for_each(|f| write(&f.path, f.bytes));
    });
    if remember.is_some() {
        links = links.remembering();
    }
    progress.add_pages((page_paths.len() * languages.len()) as u64);
    let fingerprints: Mutex<HashMap<String, u64>> = Mutex::new(HashMap::new());
    let kept_rows: Mutex<HashMap<String, KeptRows>> = Mutex::new(HashMap::new());

    let template_problems: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());
    let deps = remember.map(|files| Fingerprints::new(dataset, &index, files));
    let projects: Vec<&Record<Project>> = dataset.projects.values().map(|p| &**p).collect();
    let render_pages = || {
        for (locale, language) in locales.iter().zip(&languages) {
            let mut jobs = match default_jobs.take() {
                Some(jobs) => jobs,
                None => jobs_of(&views_of(locale)),
            };
            jobs.sort_by_key(PageJob::render_order);
            let renderer = match renderer(&inputs, language, locale, &languages) {
                Ok(r) => r,
                Err(d) => return push_problems(&template_problems, d),
            };
            let refs = views_of(locale).refs();
            let with_refs = Views {
                refs: &refs,
                ..views_of(locale)
            };
            let rows: Rows = match make_rows(&with_refs, &renderer, &projects) {
                Ok(rows) => rows.into_iter().collect(),
                Err(d) => return push_problems(&template_problems, vec![d]),
            };
            let views = Views {
                rows: &rows,
                ..with_refs
            };
            // Small pieces: a core that joins late (it wrote the archive first) finds work to
            // take to the end, rather than a large piece the other core holds.
            jobs.into_par_iter().with_max_len(16).for_each(|job| {
                if let Some(deps) = &deps {
                    let key = format!("{}{}", language.prefix, job.path());
                    let print = deps.of(&job);
                    fingerprints
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert(key, print);
                }
                match renderer.render(views.page(job)) {
                    Ok(page) => {
                        links.page(&page.path, &page.bytes);
                        write(&page.path, page.bytes);
                    }
                    Err(d) => push_problems(&template_problems, vec![d]),
                }
                progress.page_done();
            });
            if let Some(deps) = &deps {
                kept_rows
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(language.code.clone(), (deps.project_records(), rows));
            }
        }
    };
    stage(progress, "render", || {
        // Writing the archive is a copy of its deflated entries, which one thread does
        // alone: the other core renders pages meanwhile, then both do.
        rayon::join(|| archive.map(|a| a.write(&sink)), render_pages);
    });
    template_failure(template_problems)?;
    // On a disk the writer thread may still have pages to write: the flush writes them
    // beside it while the links are resolved.
    let ((broken, link_memory), flushed) = rayon::join(
        || stage(progress, "links", || links.finish_remembering()),
        || staging.flush(),
    );
    if !broken.is_empty() {
        return Err(BuildFailure::BrokenLinks(broken));
    }

    if let Some(e) = sink.into_error() {
        return Err(BuildFailure::Io(e));
    }
    flushed.map_err(BuildFailure::Io)?;
    stage(progress, "checksums", || {
        staging.write(sums::PATH, staging.sums_text().into_bytes())
    })
    .map_err(BuildFailure::Io)?;
    Ok(remember.map(|_| Memory {
        pages: fingerprints
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        links: link_memory,
        files: staging.digests().into_iter().filter(|(p, _)| p != sums::PATH).collect(),
        data_files: open_data.files.clone(),
        rows: kept_rows
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        deflated: deflated.map(crate::opendata::archive::Memo::next).unwrap_or_default(),
    }))
}

/// Writes the files whose bytes differ from what `memory` says the output holds.
fn write_changed(output: &Path, memory: &mut Memory, files: &[OutputFile]) -> Result<(), BuildFailure> {
    // Hashed in batches, several files at once (`sums::digests`), on every core.
    let digests: Vec<[u8; 32]> = files
        .par_chunks(64)
        .flat_map_iter(|batch| sums::digests(&batch.iter().map(|f| f.bytes.as_slice()).collect::<Vec<_>>()))
        .collect();
    let changed: Vec<(&OutputFile, [u8; 32])> = files
        .iter()
        .zip(digests)
        .filter(|(f, digest)| memory.files.get(&f.path) != Some(digest))
        .collect();
    changed
        .par_iter()
        .try_for_each(|(f, _)| write_in_place(output, &f.path, &f.bytes))
        .map_err(BuildFailure::Io)?;
    memory
        .files
        .extend(changed.into_iter().map(|(f, digest)| (f.path.clone(), digest)));
    Ok(())
}

/// Ends the link check of the pages made again, with the kept pages of `memory`; keeps the
/// result in `memory`. A kept page that holds a link that no longer resolves is checked
/// again from its file, for the exact link and reason.
fn finish_links(
    output: &Path,
    links: LinkChecker,
    planned: &[String],
    memory: &mut Memory,
) -> Result<(), Vec<crate::linkcheck::BrokenLink>> {
    let previous = std::mem::take(&mut memory.links);
    let (mut broken, recheck, link_memory) = links.finish_incremental(previous);
    for page in &recheck {
        let html = std::fs::read(output.join(page)).unwrap_or_default();
        let again = LinkChecker::new(planned.iter().cloned()).remembering();
        again.page(page, &html);
        broken.extend(again.finish_incremental(LinkMemory::with_ids_of(&link_memory)).0);
    }
    memory.links = link_memory;
    if broken.is_empty() { Ok(()) } else { Err(broken) }
}

/// Brings the open data of `output` up to date with `inputs` after [`update_site`]: makes
/// every download again, writes those whose bytes changed and the Data page of every
/// language, removes the downloads that are gone, and writes `data/SHA256SUMS`.
pub fn refresh_data(
    inputs: Inputs<'_>,
    output: &Path,
    sources: Sources,
    memory: &mut Memory,
) -> Result<(), BuildFailure> {
    let dataset = inputs.dataset;
    let (languages, locales) = languages_and_locales(&inputs);
    let index = Index::new(dataset);
    let views_of = |locale| inputs.views(locale, &index);
    let default_views = views_of(&locales[0]);
    let report_data = crate::render::report::edition_data_files(&default_views);
    let made = KeptFiles::default();
    let mut open_data = crate::opendata::OpenData::build(
        &default_views,
        inputs.build,
        &report_data,
        sources,
        &made,
        Some(&memory.deflated),
    );
    if let Some(archive) = open_data.take_archive() {
        archive.write(&made);
    }
    let downloads = made.into_files().map_err(BuildFailure::Io)?;
    let data_files: std::collections::HashSet<&str> = open_data.files.iter().map(String::as_str).collect();
    let gone: Vec<String> = memory
        .data_files
        .iter()
        .filter(|p| !data_files.contains(p.as_str()))
        .cloned()
        .collect();
    let mut planned: Vec<String> = memory.files.keys().filter(|p| !gone.contains(p)).cloned().collect();
    planned.extend(open_data.files.iter().cloned());
    planned.push(sums::PATH.to_owned());
    let links = LinkChecker::new(planned.iter().cloned()).remembering();
    let mut pages = Vec::new();
    let mut problems = Vec::new();
    for (locale, language) in locales.iter().zip(&languages) {
        let views = views_of(locale);
        let page = renderer(&inputs, language, locale, &languages)
            .map_err(BuildFailure::Diagnostics)?
            .render(open_data.page(&views));
        match page {
            Ok(page) => {
                links.page(&page.path, &page.bytes);
                pages.push(page);
            }
            Err(d) => problems.push(d),
        }
    }
    if !problems.is_empty() {
        return Err(BuildFailure::Diagnostics(problems));
    }
    finish_links(output, links, &planned, memory).map_err(BuildFailure::BrokenLinks)?;
    write_changed(output, memory, &downloads)?;
    write_changed(output, memory, &pages)?;
    for path in &gone {
        let _ = remove_with_empty_folders(output, path);
        memory.files.remove(path);
    }
    memory.data_files = open_data.files.clone();
    memory.deflated = std::mem::take(&mut memory.deflated).next();
    let mut digests: Vec<(&str, [u8; 32])> = memory.files.iter().map(|(p, d)| (p.as_str(), *d)).collect();
    write_in_place(output, sums::PATH, sums::text(&mut digests).as_bytes()).map_err(BuildFailure::Io)
}

/// Brings the output of a previous build (`memory`) up to date with `inputs`, in place:
/// makes again only the pages whose inputs changed (see [`crate::render::deps`]), removes
/// the pages that are gone, and rewrites the other files whose bytes changed. Nothing is
/// written unless every page is made and every link resolves. The open data is left as it
/// was: [`refresh_data`] brings it up to date (it is the costly part, and no page but the
/// Data page shows it).
pub fn update_site(
    inputs: Inputs<'_>,
    output: &Path,
    files: &FileHashes,
    mut memory: Memory,
) -> Result<Memory, (BuildFailure, Memory)> {
    let dataset = inputs.dataset;
    let (languages, locales) = languages_and_locales(&inputs);
    let index = Index::new(dataset);
    let deps = Fingerprints::new(dataset, &index, files);
    let views_of = |locale| inputs.views(locale, &index);
    let data_page = format!("{}/index.html", crate::opendata::DIR);
    let mut page_paths: Vec<String> = views_of(&locales[0]).jobs().iter().map(PageJob::path).collect();
    page_paths.push(data_page.clone());
    // The open-data files as the next `refresh_data` will write them: the same tables, and
    // one JSON file per initiative.
    let mut data_files: Vec<String> = memory
        .data_files
        .iter()
        .filter(|p| !crate::paths::is_project_data(p))
        .cloned()
        .collect();
    data_files.extend(dataset.projects.keys().map(|id| crate::paths::project_data(id)));
    let report_data = crate::render::report::edition_data_files(&views_of(&locales[0]));
    let charts = chart_files(&inputs, &index, &languages, &locales);
    let others = other_files(
        &inputs,
        &views_of(&locales[0]),
        &languages,
        &page_paths,
        report_data,
        charts,
    );
    let mut planned: Vec<String> = Vec::new();
    for language in &languages {
        planned.extend(page_paths.iter().map(|p| format!("{}{p}", language.prefix)));
    }
    let all_pages: std::collections::HashSet<String> = planned.iter().cloned().collect();
    planned.extend(data_files.iter().cloned());
    planned.extend(others.iter().map(|f| f.path.clone()));
    planned.push(sums::PATH.to_owned());
    let links = LinkChecker::new(planned.iter().cloned()).remembering();

    let made: Mutex<Vec<OutputFile>> = Mutex::new(Vec::new());
    let fingerprints: Mutex<HashMap<String, u64>> = Mutex::new(HashMap::new());
    let template_problems: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());
    let mut prints: Option<Vec<u64>> = None;
    let current = deps.project_records();
    for (locale, language) in locales.iter().zip(&languages) {
        let renderer = match renderer(&inputs, language, locale, &languages) {
            Ok(r) => r,
            Err(d) => {
                push_problems(&template_problems, d);
                continue;
            }
        };
        // The rows of the initiatives whose files changed are made again.
        let (hashes, mut rows) = memory.rows.remove(&language.code).unwrap_or_default();
        let stale: Vec<&Record<Project>> = dataset
            .projects
            .values()
            .filter(|p| hashes.get(&p.id) != current.get(&p.id))
            .map(|p| &**p)
            .collect();
        let refs = views_of(locale).refs();
        let with_refs = Views {
            refs: &refs,
            ..views_of(locale)
        };
        match make_rows(&with_refs, &renderer, &stale) {
            Ok(made) => rows.extend(made),
            Err(d) => {
                push_problems(&template_problems, vec![d]);
                continue;
            }
        }
        rows.retain(|id, _| current.contains_key(id));
        let views = Views {
            rows: &rows,
            ..with_refs
        };
        let jobs = views.jobs();
        // Every language has the same pages, with the same inputs.
        let prints = prints.get_or_insert_with(|| jobs.par_iter().map(|job| deps.of(job)).collect::<Vec<u64>>());
        jobs.into_par_iter().zip(prints.par_iter()).for_each(|(job, &print)| {
            let key = format!("{}{}", language.prefix, job.path());
            let unchanged = memory.pages.get(&key) == Some(&print);
            fingerprints
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(key, print);
            if unchanged {
                return;
            }
            match renderer.render(views.page(job)) {
                Ok(page) => {
                    links.page(&page.path, &page.bytes);
                    made.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(page);
                }
                Err(d) => push_problems(&template_problems, vec![d]),
            }
        });
        memory.rows.insert(language.code.clone(), (current.clone(), rows));
    }
    if let Err(e) = template_failure(template_problems) {
        return Err((e, memory));
    }
    if let Err(broken) = finish_links(output, links, &planned, &mut memory) {
        return Err((BuildFailure::BrokenLinks(broken), memory));
    }
    let made = made.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Err(e) = write_changed(output, &mut memory, &made) {
        return Err((e, memory));
    }
    let gone: Vec<String> = memory
        .pages
        .keys()
        .filter(|p| !all_pages.contains(*p))
        .cloned()
        .collect();
    for path in gone {
        let _ = remove_with_empty_folders(output, &path);
        memory.files.remove(&path);
    }
    memory.pages = fingerprints
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Err(e) = write_changed(output, &mut memory, &others) {
        return Err((e, memory));
    }
    Ok(memory)
}
/// The site's languages, the default first, then in the order of `languages`.
pub fn site_languages(config: &crate::config::SiteConfig, theme: &Theme) -> Vec<SiteLanguage> {
    let mut codes: Vec<&String> = vec![&config.default_language];
    codes.extend(config.languages.iter().filter(|l| **l != config.default_language));
    codes
        .into_iter()
        .map(|code| SiteLanguage {
            code: code.clone(),
            name: theme.text(code, "language.name").unwrap_or(code).to_owned(),
            prefix: if *code == config.default_language {
                String::new()
            } else {
                format!("{code}/")
            },
        })
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Every page in every language, each with its alternates in the other languages
/// (`xhtml:link rel="alternate" hreflang`).
fn sitemap(base: &str, paths: &[String], languages: &[SiteLanguage]) -> String {
    let mut paths: Vec<&str> = paths.iter().map(String::as_str).filter(|p| *p != "404.html").collect();
    paths.sort_unstable();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for path in paths {
        for language in languages {
            xml.push_str(&format!(
                "  <url>\n    <loc>{}</loc>\n",
                xml_escape(&format!("{base}{}{path}", language.prefix))
            ));
            if languages.len() > 1 {
                for alternate in languages {
                    xml.push_str(&format!(
                        "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>\n",
                        alternate.code,
                        xml_escape(&format!("{base}{}{path}", alternate.prefix))
                    ));
                }
            }
            xml.push_str("  </url>\n");
        }
    }
    xml.push_str("</urlset>\n");
    xml
}

/// An Atom feed with one entry per project.
fn feed(base: &str, views: &Views<'_>, date: &str) -> String {
    let data = views.data;
    let lang = &data.config.default_language;
    let updated = format!("{date}T00:00:00Z");
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{lang}\">\n  <title>{}</title>\n  <id>{}</id>\n  <link rel=\"self\" href=\"{}\"/>\n  <link rel=\"alternate\" href=\"{}\"/>\n  <updated>{updated}</updated>\n  <author><name>{}</name></author>\n",
        xml_escape(&data.config.title),
        xml_escape(base),
        xml_escape(&format!("{base}feed.xml")),
        xml_escape(&format!("{base}index.html")),
        xml_escape(&data.config.title),
    );
    for p in data.projects.values() {
        let url = format!("{base}{}", crate::paths::project_page(&p.id));
        xml.push_str(&format!(
            "  <entry>\n    <title>{}</title>\n    <id>{}</id>\n    <link href=\"{}\"/>\n    <updated>{updated}</updated>\n    <summary>{}</summary>\n  </entry>\n",
            xml_escape(&crate::locale::strip_marks(&views.field(p, "title", &p.data.title))),
            xml_escape(&url),
            xml_escape(&url),
            xml_escape(&crate::locale::strip_marks(&views.field(p, "summary", &p.data.summary))),
        ));
    }
    xml.push_str("</feed>\n");
    xml
}

/// `YYYY-MM-DD` (UTC) of a Unix time, by the days-from-civil algorithm.
pub fn civil_date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(1_700_000_000), "2023-11-14");
        assert_eq!(civil_date(951_782_400), "2000-02-29");
    }
}
