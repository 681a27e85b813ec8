//! Incremental builds for `openssc serve`: after an edit, only what the edit changes is
//! read, checked, made and written again.
//!
//! The first build, and any build after a change outside `content/` (configuration,
//! schemas, theme), is a full build like `openssc build` that also remembers, per source
//! file, its checked document and the hash of its bytes, and per output page the
//! fingerprint of its inputs, its ids and links ([`site::Memory`]). A later build after
//! edits in `content/`:
//! 1. walks `content/` and reads again only the files whose size or modification time
//!    changed (or that are new); each is loaded and checked on its own
//!    ([`validate::check_document`]) and deflated for the data archive from the same read;
//! 2. assembles the dataset from every file's checked document and runs the rules that
//!    look across records ([`validate::assemble`]), so diagnostics are exactly those of a
//!    full check;
//! 3. makes again only the pages whose fingerprint changed ([`crate::render::deps`]),
//!    checks their links and the links of kept pages to pages that are gone, and writes the
//!    pages and other files whose bytes changed, in place ([`site::update_site`]);
//! 4. later, in [`IncrementalBuild::settle`] (after the browser has been told to reload),
//!    makes the open data again and writes the files that changed and `data/SHA256SUMS`
//!    ([`site::refresh_data`]); the archive takes the sources' entries deflated in step 1,
//!    so only the new and changed files were deflated again, and the downloads whose bytes
//!    did not change take their deflated bytes from the last archive
//!    ([`crate::opendata::archive::Memo`], kept in [`site::Memory`]).
//!
//! Invariant: once settled, the output is the same, byte for byte, as a full build of the
//! same files (`tests/incremental.rs`). A failed build writes nothing and keeps the last
//! good site (and memory).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::diagnostics::Diagnostic;
use crate::load::{self, DocKind, FileOutcome};
use crate::opendata::archive::{self, Entry as ArchiveEntry};
use crate::render::deps::FileHashes;
use crate::serve::{Changes, Rebuild};
use crate::validate::{self, CheckedDocument};
use crate::{BuildOptions, BuildOutcome, Error, Setup, site};

/// What became of one source file, kept between builds.
enum Entry {
    Checked(Box<CheckedDocument>),
    Skipped,
    Failed(Option<(DocKind, String, Option<String>)>, Diagnostic),
}

struct File {
    /// Size and modification time when it was read.
    stamp: (u64, Option<SystemTime>),
    /// The hash of its bytes.
    hash: u64,
    entry: Entry,
    /// Its entry of the data archive, deflated when it was read (as a build's check does):
    /// the archive of the next open data takes it as it is while the file is unchanged.
    /// `None` when loading did not read it (a file in no place of the content's layout),
    /// which a build's archive leaves out too.
    archived: Option<ArchiveEntry>,
}

/// The state of the last good build.
struct State {
    setup: Setup,
    files: HashMap<PathBuf, File>,
    memory: site::Memory,
    /// The dataset of the last good build, whose open data [`IncrementalBuild::settle`] makes.
    checked: Option<validate::Checked>,
}

/// A [`Rebuild`] that builds only what changed (see the module documentation).
pub struct IncrementalBuild {
    pub root: PathBuf,
    pub output: PathBuf,
    pub options: BuildOptions,
    state: Option<State>,
    /// The open data is older than the pages (see [`IncrementalBuild::settle`]).
    data_stale: bool,
}

fn stamp(meta: &std::fs::Metadata) -> (u64, Option<SystemTime>) {
    (meta.len(), meta.modified().ok())
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// Reads, loads and checks one file, and deflates it for the data archive.
fn read_file(root: &Path, path: &Path, setup: &Setup) -> File {
    let meta = std::fs::metadata(path).ok();
    let mut kept = None;
    let outcome = load::load_file_keeping(root, path, &mut |file, bytes| {
        kept = Some((hash_bytes(bytes), archive::prepare(file, bytes)));
    });
    let (hash, archived) = match kept {
        Some((hash, archived)) => (hash, Some(archived)),
        // Loading did not read it: hashed all the same, as every file of `content/` is.
        None => (std::fs::read(path).map(|b| hash_bytes(&b)).unwrap_or_default(), None),
    };
    let entry = match outcome {
        FileOutcome::Loaded(doc) => {
            Entry::Checked(Box::new(validate::check_document(doc, &setup.config, &setup.schemas)))
        }
        FileOutcome::Skipped => Entry::Skipped,
        FileOutcome::Failed(identity, d) => Entry::Failed(identity, d),
    };
    File {
        stamp: meta.as_ref().map_or((0, None), stamp),
        hash,
        entry,
        archived,
    }
}

/// The sources the data archive holds: every file of `content/` as deflated when it was
/// last read (only new and changed files are deflated again), and the schemas in use.
fn sources(root: &Path, files: &HashMap<PathBuf, File>) -> crate::opendata::Sources {
    let content = files
        .values()
        .filter_map(|f| f.archived.as_ref().map(archive::copy_entry))
        .collect();
    crate::with_schema_sources(root, content)
}

/// What the site is made from: the last setup and a checked dataset.
fn site_inputs<'a>(
    setup: &'a Setup,
    checked: &'a validate::Checked,
    build: &'a crate::render::BuildInfo,
) -> site::Inputs<'a> {
    site::Inputs {
        dataset: &checked.dataset,
        schemas: &setup.schemas,
        theme: &setup.theme,
        build,
    }
}

/// Does the check fail the build? Under `strict`, warnings count as errors.
fn failed(options: &BuildOptions, checked: &validate::Checked) -> bool {
    crate::fails(&checked.diagnostics, Some(&checked.dataset.config), options.strict)
}

impl IncrementalBuild {
    pub fn new(root: PathBuf, output: PathBuf, options: BuildOptions) -> IncrementalBuild {
        IncrementalBuild {
            root,
            output,
            options,
            state: None,
            data_stale: false,
        }
    }

    /// Brings `files` up to date with `content/` (reading only new and changed files) and
    /// checks the site from them.
    fn check(
        root: &Path,
        setup: &Setup,
        files: &mut HashMap<PathBuf, File>,
    ) -> Result<(validate::Checked, FileHashes), Error> {
        use rayon::prelude::*;
        let paths = load::content_files(root)?;
        let stale: Vec<&PathBuf> = paths
            .iter()
            .filter(|p| {
                let now = std::fs::metadata(p).ok().map(|m| stamp(&m));
                files.get(*p).is_none_or(|f| Some(f.stamp) != now)
            })
            .collect();
        let fresh: Vec<(PathBuf, File)> = stale
            .par_iter()
            .map(|p| ((*p).clone(), read_file(root, p, setup)))
            .collect();
        files.extend(fresh);
        let kept: std::collections::HashSet<&PathBuf> = paths.iter().collect();
        files.retain(|p, _| kept.contains(p));

        let mut documents = Vec::new();
        let mut diagnostics = Vec::new();
        let mut unreadable = Vec::new();
        let mut hashes = FileHashes::with_capacity(paths.len());
        for path in &paths {
            let file = &files[path];
            hashes.insert(load::relative(root, path), file.hash);
            match &file.entry {
                Entry::Checked(doc) => documents.push((**doc).clone()),
                Entry::Skipped => {}
                Entry::Failed(identity, d) => {
                    unreadable.extend(identity.clone());
                    diagnostics.push(d.clone());
                }
            }
        }
        let mut checked = validate::assemble(
            setup.config.clone(),
            &setup.schemas,
            documents,
            diagnostics,
            &unreadable,
        );
        crate::add_catalog_problems(&mut checked, &setup.catalog_problems);
        Ok((checked, hashes))
    }

    /// A full build that remembers what the next build needs.
    fn full(&mut self) -> Result<BuildOutcome, Error> {
        self.state = None;
        self.data_stale = false;
        let setup = match crate::load_setup(&self.root)? {
            Ok(setup) => setup,
            Err(d) => return Ok(BuildOutcome::Failed(d)),
        };
        let mut files = HashMap::new();
        let (checked, hashes) = Self::check(&self.root, &setup, &mut files)?;
        if failed(&self.options, &checked) {
            return Ok(BuildOutcome::Failed(checked.diagnostics));
        }
        let sources = sources(&self.root, &files);
        let inputs = crate::BuildInputs {
            checked: &checked,
            schemas: &setup.schemas,
            theme: &setup.theme,
            sources,
        };
        let (outcome, memory) = crate::build_checked(
            &self.root,
            &self.output,
            &self.options,
            inputs,
            &site::NoProgress,
            Some(&hashes),
        )?;
        if let Some(memory) = memory {
            self.state = Some(State {
                setup,
                files,
                memory,
                checked: None,
            });
        }
        Ok(outcome)
    }

    /// A build after changes in `content/` only.
    fn update(&mut self) -> Result<BuildOutcome, Error> {
        let state = self.state.as_mut().expect("an incremental build follows a full one");
        let (checked, hashes) = Self::check(&self.root, &state.setup, &mut state.files)?;
        if failed(&self.options, &checked) {
            return Ok(BuildOutcome::Failed(checked.diagnostics));
        }
        let build = crate::build_info(&self.options);
        let inputs = site_inputs(&state.setup, &checked, &build);
        let memory = std::mem::take(&mut state.memory);
        match site::update_site(inputs, &self.output, &hashes, memory) {
            Ok(memory) => {
                state.memory = memory;
                let outcome = BuildOutcome::Built {
                    files: state.memory.file_count(),
                    warnings: checked.diagnostics.clone(),
                };
                state.checked = Some(checked);
                self.data_stale = true;
                Ok(outcome)
            }
            Err((failure, memory)) => {
                state.memory = memory;
                crate::failure_outcome(&self.root, &checked.dataset, failure)
            }
        }
    }
}

impl Rebuild for IncrementalBuild {
    fn rebuild(&mut self, changes: &Changes) -> Result<BuildOutcome, Error> {
        let content_only = !changes.initial && changes.paths.iter().all(|p| p.starts_with("content/"));
        if self.state.is_none() || !content_only {
            return self.full();
        }
        self.update()
    }

    fn settle(&mut self) -> Option<Result<BuildOutcome, Error>> {
        if !self.data_stale {
            return None;
        }
        self.data_stale = false;
        let state = self.state.as_mut()?;
        let checked = state.checked.take()?;
        let sources = sources(&self.root, &state.files);
        let build = crate::build_info(&self.options);
        let inputs = site_inputs(&state.setup, &checked, &build);
        Some(
            match site::refresh_data(inputs, &self.output, sources, &mut state.memory) {
                Ok(()) => Ok(BuildOutcome::Built {
                    files: state.memory.file_count(),
                    warnings: checked.diagnostics,
                }),
                Err(failure) => {
                    // The output's data may be part old, part new: the next build is a full one.
                    self.state = None;
                    crate::failure_outcome(&self.root, &checked.dataset, failure)
                }
            },
        )
    }
}
