//! What each page shows, as one number: a hash of the source files of the records its view
//! reads. `serve` makes again only the pages whose number changed since the last build.
//!
//! Invariant: for the same theme, schemas and configuration (a change to any of those is a
//! full build), a page whose fingerprint is unchanged would come out with the same bytes.
//! So each function here must name at least every record its view in `views.rs` or
//! `report.rs` reads; naming more only costs a page made again. The test that pins this
//! builds sites incrementally after edits and compares them with full builds
//! (`tests/incremental.rs`).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::views::{Index, PageJob};
use crate::model::{Dataset, Project, Record};

/// The hash of every source file's bytes, by path relative to the site root
/// (`content/projects/x.md`).
pub type FileHashes = HashMap<String, u64>;

/// Computes page fingerprints for one dataset.
pub struct Fingerprints<'a> {
    data: &'a Dataset,
    index: &'a Index<'a>,
    files: &'a FileHashes,
    /// Every source file: the pages that list or count everything.
    everything: u64,
    /// The files under `content/data/` (exchange rates, country facts): money in US dollars.
    data_files: u64,
    /// The files of each collection's folder (`content/actors/`, ...).
    folders: HashMap<&'static str, u64>,
    /// What each edition's report shows, by year (see [`Fingerprints::new`]).
    editions: HashMap<i32, u64>,
}

/// The folders whose files [`Fingerprints`] hashes together.
const FOLDERS: &[&str] = &[
    "content/projects/",
    "content/actors/",
    "content/funds/",
    "content/exchanges/",
];

fn hasher() -> std::collections::hash_map::DefaultHasher {
    std::collections::hash_map::DefaultHasher::new()
}

impl<'a> Fingerprints<'a> {
    pub fn new(data: &'a Dataset, index: &'a Index<'a>, files: &'a FileHashes) -> Fingerprints<'a> {
        let mut sorted: Vec<(&String, &u64)> = files.iter().collect();
        sorted.sort_unstable();
        let mut everything = hasher();
        let mut data_files = hasher();
        let mut folders: Vec<(&'static str, std::collections::hash_map::DefaultHasher)> =
            FOLDERS.iter().map(|f| (*f, hasher())).collect();
        // Each edition's files, by year.
        let mut reports: HashMap<i32, std::collections::hash_map::DefaultHasher> = HashMap::new();
        for (path, hash) in sorted {
            if let Some(year) = path
                .strip_prefix("content/reports/")
                .and_then(|rest| rest.split_once('/'))
                .and_then(|(year, _)| year.parse().ok())
            {
                (path, hash).hash(reports.entry(year).or_insert_with(hasher));
            }
            (path, hash).hash(&mut everything);
            if path.starts_with("content/data/") {
                (path, hash).hash(&mut data_files);
            }
            if let Some((_, h)) = folders.iter_mut().find(|(f, _)| path.starts_with(f)) {
                (path, hash).hash(h);
            }
        }
        Fingerprints {
            data,
            index,
            files,
            everything: everything.finish(),
            data_files: data_files.finish(),
            folders: folders.into_iter().map(|(f, h)| (f, h.finish())).collect(),
            editions: HashMap::new(),
        }
        .with_editions(reports)
    }

    /// What each edition's report reads (`aggregate` and `report.rs`): its own files (index,
    /// chapters, translations), the initiatives in its scope, the type and country of every
    /// actor (figures count by them; names are not shown), and the data files (US dollars,
    /// country facts).
    fn with_editions(mut self, reports: HashMap<i32, std::collections::hash_map::DefaultHasher>) -> Self {
        let mut actors = hasher();
        for a in self.data.actors.values() {
            (&a.id, &a.data.kind, &a.data.country).hash(&mut actors);
        }
        let actors = actors.finish();
        for edition in self.data.editions.values() {
            let mut h = reports.get(&edition.year).cloned().unwrap_or_else(hasher);
            for p in crate::aggregate::edition_scope(self.data, edition) {
                self.project_record(&mut h, p);
            }
            (actors, self.data_files).hash(&mut h);
            self.editions.insert(edition.year, h.finish());
        }
        self
    }

    /// Adds a record (its file and its translations' files) to `h`; a missing record
    /// counts as missing.
    fn record<T>(&self, h: &mut impl Hasher, record: Option<&Record<T>>) {
        match record {
            Some(r) => {
                (&r.file, self.files.get(&r.file)).hash(h);
                for t in r.translations.values() {
                    (&t.file, self.files.get(&t.file)).hash(h);
                }
            }
            None => 0u8.hash(h),
        }
    }

    fn project(&self, h: &mut impl Hasher, id: &str) {
        id.hash(h);
        self.record(h, self.data.projects.get(id).map(|r| &**r));
    }

    /// [`Fingerprints::project`] of an initiative at hand (the index's lists hold them),
    /// without looking its id up again.
    fn project_record(&self, h: &mut impl Hasher, p: &Record<Project>) {
        p.id.hash(h);
        self.record(h, Some(p));
    }

    fn actor(&self, h: &mut impl Hasher, id: &str) {
        id.hash(h);
        self.record(h, self.data.actors.get(id).map(|r| &**r));
    }

    fn fund(&self, h: &mut impl Hasher, id: &str) {
        id.hash(h);
        self.record(h, self.data.funds.get(id).map(|r| &**r));
    }

    /// The fingerprint of each initiative's own files (its table row and link show nothing
    /// else), by id.
    pub fn project_records(&self) -> HashMap<String, u64> {
        self.data
            .projects
            .keys()
            .map(|id| {
                let mut h = hasher();
                self.project(&mut h, id);
                (id.clone(), h.finish())
            })
            .collect()
    }

    /// The fingerprint of a job's page.
    pub fn of(&self, job: &PageJob) -> u64 {
        let mut h = hasher();
        let data = self.data;
        match job {
            PageJob::Project(id) => {
                1u8.hash(&mut h);
                self.project(&mut h, id);
                self.data_files.hash(&mut h);
                if let Some(p) = data.projects.get(id) {
                    let d = &p.data;
                    for x in &d.participants {
                        self.actor(&mut h, &x.actor);
                    }
                    for a in d.regional_mechanism.iter() {
                        self.actor(&mut h, a);
                    }
                    for e in d.evaluation.iter() {
                        for a in &e.by {
                            self.actor(&mut h, a);
                        }
                    }
                    for m in &d.monitoring {
                        for a in m.by.iter() {
                            self.actor(&mut h, a);
                        }
                    }
                    for f in d.financing.iter() {
                        for id in &f.funds {
                            self.fund(&mut h, id);
                        }
                        for t in &f.transactions {
                            for a in t.from.iter().chain(t.to.iter()) {
                                self.actor(&mut h, a);
                            }
                        }
                    }
                }
            }
            PageJob::Actor(id) => {
                2u8.hash(&mut h);
                self.actor(&mut h, id);
                for p in self.index.projects_of_actor(id) {
                    self.project_record(&mut h, p);
                }
                for c in self.index.children_of_actor(id) {
                    self.actor(&mut h, c);
                }
                if let Some(parent) = data.actors.get(id).and_then(|a| a.data.parent.as_deref()) {
                    self.actor(&mut h, parent);
                }
                for f in data.funds.values() {
                    if f.data.administered_by == *id || f.data.contributors.iter().any(|c| c == id) {
                        self.fund(&mut h, &f.id);
                    }
                }
            }
            PageJob::Country(code) => {
                3u8.hash(&mut h);
                code.hash(&mut h);
                for p in self.index.projects_of_country(code) {
                    self.project_record(&mut h, p);
                }
                for a in self.index.actors_of_country(code) {
                    self.actor(&mut h, a);
                }
            }
            PageJob::Sector(id) => {
                4u8.hash(&mut h);
                id.hash(&mut h);
                for p in self.index.projects_of_sector(id) {
                    self.project_record(&mut h, p);
                }
                for a in data.actors.values().filter(|a| a.data.capacities.contains(id)) {
                    self.actor(&mut h, &a.id);
                }
                for f in data.funds.values().filter(|f| f.data.sectors.contains(id)) {
                    self.fund(&mut h, &f.id);
                }
            }
            PageJob::Sdg(n) => {
                5u8.hash(&mut h);
                n.hash(&mut h);
                for p in self.index.projects_of_sdg(*n) {
                    self.project_record(&mut h, p);
                }
            }
            PageJob::Fund(id) => {
                6u8.hash(&mut h);
                self.fund(&mut h, id);
                self.data_files.hash(&mut h);
                if let Some(f) = data.funds.get(id) {
                    self.actor(&mut h, &f.data.administered_by);
                    for a in &f.data.contributors {
                        self.actor(&mut h, a);
                    }
                }
                for p in self.index.projects_of_fund(id) {
                    self.project_record(&mut h, p);
                }
            }
            // Made from the schemas and the theme only.
            PageJob::Dictionary | PageJob::About | PageJob::NotFound => 7u8.hash(&mut h),
            // Every initiative's row.
            PageJob::ProjectList => {
                9u8.hash(&mut h);
                self.folders["content/projects/"].hash(&mut h);
            }
            PageJob::ActorList => {
                10u8.hash(&mut h);
                self.folders["content/actors/"].hash(&mut h);
            }
            PageJob::FundList => {
                11u8.hash(&mut h);
                self.folders["content/funds/"].hash(&mut h);
                self.folders["content/actors/"].hash(&mut h);
            }
            PageJob::Exchanges => {
                12u8.hash(&mut h);
                self.folders["content/exchanges/"].hash(&mut h);
                self.folders["content/actors/"].hash(&mut h);
                for e in data.exchanges.values() {
                    for p in e.data.resulting_project.iter() {
                        self.project(&mut h, p);
                    }
                }
            }
            PageJob::Edition(year, ..) => {
                13u8.hash(&mut h);
                self.editions.get(year).hash(&mut h);
            }
            // Counts: every record.
            PageJob::Ready(_) | PageJob::Home | PageJob::CountryList | PageJob::SectorList => {
                8u8.hash(&mut h);
                self.everything.hash(&mut h);
            }
        }
        h.finish()
    }
}
