//! Validation: every document against its JSON Schema, then typed into the model, then
//! the rules of the record format that a schema cannot express (see [`rules`]).
//!
//! Invariant: validation never fails and never panics: whatever the input, it returns a
//! [`Dataset`] (holding the records that passed their schema) and the diagnostics.

pub mod rules;
pub mod schema_errors;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::SiteConfig;
use crate::diagnostics::Diagnostic;
use crate::load::{Collection, DocKind, Document, Loaded};
use crate::model::{
    Actor, Chapter, CountryFacts, Dataset, Edition, Exchange, ExchangeRates, Fund, Project, Record, ReportEdition,
    Translation,
};
use crate::schema::SchemaSet;
use schema_errors::{at, check_document as check_document_schema};

/// The result of validating a site.
#[derive(Debug)]
pub struct Checked {
    pub dataset: Dataset,
    /// Sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// How many files were read.
    pub files: usize,
}

/// The documents a rule may point into, by kind and id (translations excluded).
pub struct Documents {
    by_key: foldhash::HashMap<(DocKind, String), Arc<Document>>,
    /// Ids of every record found, valid or not, per collection: references to a record
    /// that merely failed its schema (or could not be read) are not reported again.
    pub ids: BTreeMap<Collection, BTreeSet<String>>,
    /// Documents that exist but could not be read or failed their schema.
    unreadable: BTreeSet<(DocKind, String)>,
}

impl Documents {
    pub fn get(&self, kind: &DocKind, id: &str) -> Option<&Document> {
        self.by_key.get(&(kind.clone(), id.to_owned())).map(|d| &**d)
    }

    /// Does the file exist, even if it could not be read?
    pub fn file_exists(&self, kind: &DocKind, id: &str) -> bool {
        self.get(kind, id).is_some() || self.unreadable.contains(&(kind.clone(), id.to_owned()))
    }

    /// Does a record with this id exist in the collection (even an invalid one)?
    pub fn exists(&self, collection: Collection, id: &str) -> bool {
        self.ids.get(&collection).is_some_and(|ids| ids.contains(id))
    }
}

/// One document after its own checks: the document (kept for rules to point at problems),
/// its problems, and its record when it passed its schema. Made in parallel, one per file;
/// [`assemble`] puts them together. `serve` keeps them and remakes only the changed files'.
#[derive(Clone, Debug)]
pub struct CheckedDocument {
    pub doc: Arc<Document>,
    pub problems: Vec<Diagnostic>,
    typed: Option<Typed>,
}

/// Checks one document on its own: its schema, its typing, the rules that need only it.
pub fn check_document(mut doc: Document, config: &SiteConfig, schemas: &SchemaSet) -> CheckedDocument {
    let schema = if doc.lang.is_some() {
        "translation"
    } else {
        doc.kind.schema()
    };
    let mut problems = check_document_schema(&doc, schema, schemas);
    let typed = if problems.is_empty() && doc.lang.is_none() {
        match Typed::read(&doc) {
            Ok(t) => Some(t),
            Err(d) => {
                problems.push(d);
                None
            }
        }
    } else {
        None
    };
    rules::no_private_use_marks(&doc, &mut problems);
    if typed.is_some()
        && matches!(
            doc.kind,
            DocKind::Record(_) | DocKind::ReportEdition { .. } | DocKind::ReportChapter { .. }
        )
    {
        // The one rule that reads the front matter; the others read the typed record
        // and point at problems through the spans.
        rules::languages_are_configured(&config.languages, &doc, &mut problems);
        doc.front = Value::Null;
        // The typed record has its own copy of the body. A report's document keeps its
        // body: reports' bodies are checked again with the whole report (figure shortcodes).
        if matches!(doc.kind, DocKind::Record(_)) {
            doc.drop_body();
        }
    }
    CheckedDocument {
        doc: Arc::new(doc),
        problems,
        typed,
    }
}

/// Validates everything loaded: the documents were checked one by one as they were loaded
/// ([`check_document`], handed to [`crate::load::load_files`]); this runs the rules that
/// look across records.
pub fn validate(config: SiteConfig, schemas: &SchemaSet, loaded: Loaded<CheckedDocument>) -> Checked {
    assemble(
        config,
        schemas,
        loaded.documents,
        loaded.diagnostics,
        &loaded.unreadable,
    )
}

/// Puts checked documents together into the [`Dataset`] and runs the rules that look
/// across records. `diagnostics` are the loading problems; `unreadable` the documents
/// that exist but could not be read.
pub fn assemble(
    config: SiteConfig,
    schemas: &SchemaSet,
    checked: Vec<CheckedDocument>,
    diagnostics: Vec<Diagnostic>,
    unreadable_files: &[(DocKind, String, Option<String>)],
) -> Checked {
    let files = checked.len() + diagnostics.len();
    let mut diagnostics = diagnostics;
    // Each collection's ids, gathered and then made into a set at once (see below).
    let mut gathered: BTreeMap<Collection, Vec<String>> = BTreeMap::new();
    let mut unreadable = BTreeSet::new();
    let found = checked.iter().map(|c| (&c.doc.kind, &c.doc.id, &c.doc.lang));
    let failed = unreadable_files.iter().map(|(kind, id, lang)| (kind, id, lang));
    for (kind, id, lang) in found.chain(failed) {
        if let (DocKind::Record(c), None) = (kind, lang) {
            gathered.entry(*c).or_default().push(id.clone());
        }
    }
    let ids: BTreeMap<Collection, BTreeSet<String>> = gathered
        .into_iter()
        .map(|(collection, ids)| (collection, ids.into_iter().collect()))
        .collect();
    for (kind, id, lang) in unreadable_files {
        if lang.is_none() {
            unreadable.insert((kind.clone(), id.clone()));
        }
    }

    let mut dataset = Dataset::empty(config, schemas.vocabularies.clone());
    // The records by id, gathered in the documents' order and then made into collections
    // at once: `Records::from_iter` sorts (the documents come in path order, so nearly
    // sorted: about a pass) and builds each in one go, where inserting one at a time would
    // move the later ones each time. A collection's ids are distinct: one file per id, in
    // one folder.
    let (mut projects, mut actors, mut funds, mut exchanges) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut translations = Vec::new();
    let mut chapters = Vec::new();
    let mut by_key = foldhash::HashMap::with_capacity_and_hasher(checked.len(), Default::default());
    for CheckedDocument { doc, problems, typed } in checked {
        let valid = problems.is_empty();
        diagnostics.extend(problems);
        if doc.lang.is_some() {
            if valid {
                translations.push(doc);
            }
            continue;
        }
        match typed {
            None => {
                unreadable.insert((doc.kind.clone(), doc.id.clone()));
            }
            Some(Typed::Project(r)) => projects.push((r.id.clone(), r)),
            Some(Typed::Actor(r)) => actors.push((r.id.clone(), r)),
            Some(Typed::Fund(r)) => funds.push((r.id.clone(), r)),
            Some(Typed::Exchange(r)) => exchanges.push((r.id.clone(), r)),
            Some(Typed::Edition(year, index)) => {
                dataset.editions.insert(
                    year,
                    Edition {
                        year,
                        index,
                        chapters: Vec::new(),
                    },
                );
            }
            Some(Typed::Chapter(year, chapter)) => chapters.push((year, chapter)),
            Some(Typed::Rates(rates)) => dataset.exchange_rates = Some(rates),
            Some(Typed::Facts(facts)) => dataset.country_facts = facts,
        }
        by_key.insert((doc.kind.clone(), doc.id.clone()), doc);
    }
    dataset.projects = projects.into_iter().collect();
    dataset.actors = actors.into_iter().collect();
    dataset.funds = funds.into_iter().collect();
    dataset.exchanges = exchanges.into_iter().collect();
    let docs = Documents {
        by_key,
        ids,
        unreadable,
    };

    chapters.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    let mut reported_years = BTreeSet::new();
    for (year, chapter) in chapters {
        match dataset.editions.get_mut(&year) {
            Some(edition) => edition.chapters.push(chapter),
            None => {
                let doc = docs
                    .get(&DocKind::ReportChapter { year }, &chapter.id)
                    .expect("chapter documents are kept");
                let index_exists = docs.file_exists(&DocKind::ReportEdition { year }, "index");
                // One error per edition, on its first chapter.
                if !index_exists && reported_years.insert(year) {
                    diagnostics.push(
                        at(doc, "", false, "report", format!("the {year} edition has no index.md")).with_hint(format!(
                            "add content/reports/{year}/index.md with the edition's title, period and status"
                        )),
                    );
                }
            }
        }
    }
    for edition in dataset.editions.values_mut() {
        edition
            .chapters
            .sort_by(|a, b| a.data.order.cmp(&b.data.order).then_with(|| a.id.cmp(&b.id)));
    }

    for doc in translations {
        attach_translation(&mut dataset, &docs, &doc, &mut diagnostics);
    }

    rules::check_all(&dataset, &docs, &mut diagnostics);
    // Each file's text and front matter are no longer needed: another core frees them (a
    // hundred thousand small values at 50,000 initiatives) while this one goes on.
    rayon::spawn(move || drop(docs));
    crate::diagnostics::sort(&mut diagnostics);
    Checked {
        dataset,
        diagnostics,
        files,
    }
}

/// A document read into its model type. It lives between the parallel and the
/// sequential stage, once per document, so its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum Typed {
    Project(Arc<Record<Project>>),
    Actor(Arc<Record<Actor>>),
    Fund(Arc<Record<Fund>>),
    Exchange(Arc<Record<Exchange>>),
    Edition(i32, Record<ReportEdition>),
    Chapter(i32, Record<Chapter>),
    Rates(ExchangeRates),
    Facts(BTreeMap<String, CountryFacts>),
}

impl Typed {
    /// Reads a document that passed its schema into its model type.
    fn read(doc: &Document) -> Result<Typed, Diagnostic> {
        Ok(match &doc.kind {
            DocKind::Record(Collection::Project) => Typed::Project(Arc::new(record(doc)?)),
            DocKind::Record(Collection::Actor) => Typed::Actor(Arc::new(record(doc)?)),
            DocKind::Record(Collection::Fund) => Typed::Fund(Arc::new(record(doc)?)),
            DocKind::Record(Collection::Exchange) => Typed::Exchange(Arc::new(record(doc)?)),
            DocKind::ReportEdition { year } => Typed::Edition(*year, record(doc)?),
            DocKind::ReportChapter { year } => Typed::Chapter(*year, record(doc)?),
            DocKind::ExchangeRates => Typed::Rates(value(doc)?),
            DocKind::CountryFacts => Typed::Facts(value(doc)?),
        })
    }
}

fn value<T: DeserializeOwned>(doc: &Document) -> Result<T, Diagnostic> {
    T::deserialize(&doc.front).map_err(|e| {
        // Only reachable when a site's own schemas accept what the model cannot read.
        at(
            doc,
            "",
            false,
            "model",
            format!("the record passed its schema but cannot be read: {e}"),
        )
        .with_hint("a site's schemas/ may add to the record format, not change its types")
    })
}

fn record<T: DeserializeOwned>(doc: &Document) -> Result<Record<T>, Diagnostic> {
    Ok(Record {
        id: doc.id.clone(),
        file: doc.file.clone(),
        data: value(doc)?,
        body: doc.body().to_owned(),
        translations: BTreeMap::new(),
    })
}

/// The translatable fields of each kind of record.
fn translatable_fields(kind: &DocKind) -> &'static [&'static str] {
    match kind {
        DocKind::Record(Collection::Project) => &["title", "summary", "lessons"],
        DocKind::Record(Collection::Actor) => &["name", "capacities_note"],
        DocKind::Record(Collection::Fund) => &["name"],
        DocKind::Record(Collection::Exchange) => &["title", "summary"],
        DocKind::ReportEdition { .. } | DocKind::ReportChapter { .. } => &["title"],
        DocKind::ExchangeRates | DocKind::CountryFacts => &[],
    }
}

fn attach_translation(dataset: &mut Dataset, docs: &Documents, doc: &Document, diagnostics: &mut Vec<Diagnostic>) {
    let lang = doc.lang.clone().unwrap_or_default();
    let config = &dataset.config;
    if !config.languages.contains(&lang) {
        diagnostics.push(
            Diagnostic::error(
                &doc.file,
                1,
                1,
                "language",
                format!("`{lang}` is not one of the site's languages"),
            )
            .with_hint(format!(
                "the site's languages are {} (openssc.toml); rename the file or add the language",
                config.languages.join(", ")
            )),
        );
        return;
    }
    if lang == config.default_language {
        diagnostics.push(
            Diagnostic::error(
                &doc.file,
                1,
                1,
                "language",
                format!("`{lang}` is the site's default language"),
            )
            .with_hint(format!("the default language's text belongs in {}.md itself", doc.id)),
        );
        return;
    }
    if !docs.file_exists(&doc.kind, &doc.id) {
        diagnostics.push(
            Diagnostic::error(
                &doc.file,
                1,
                1,
                "translation",
                format!("this is a translation of `{}`, which does not exist", doc.id),
            )
            .with_hint(format!("a translation sits beside its record: {}.md", doc.id)),
        );
        return;
    }
    let allowed = translatable_fields(&doc.kind);
    let mut fields = BTreeMap::new();
    if let Value::Object(map) = &doc.front {
        for (key, value) in map {
            if !allowed.contains(&key.as_str()) {
                diagnostics.push(
                    at(
                        doc,
                        &format!("/{key}"),
                        true,
                        "translation",
                        format!("`{key}` is not translatable in this kind of record"),
                    )
                    .with_hint(format!("translatable fields here: {}", allowed.join(", "))),
                );
                continue;
            }
            fields.insert(key.clone(), value.as_str().unwrap_or_default().to_owned());
        }
    }
    if matches!(doc.kind, DocKind::ReportEdition { .. } | DocKind::ReportChapter { .. }) {
        crate::render::report::check_body_shortcodes(doc, doc.body(), &dataset.vocabularies, diagnostics);
    }
    let translation = Translation {
        file: doc.file.clone(),
        fields,
        body: doc.body().to_owned(),
    };
    let id = doc.id.as_str();
    let slot = match &doc.kind {
        DocKind::Record(Collection::Project) => {
            dataset.projects.get_mut(id).map(|r| &mut Arc::make_mut(r).translations)
        }
        DocKind::Record(Collection::Actor) => dataset.actors.get_mut(id).map(|r| &mut Arc::make_mut(r).translations),
        DocKind::Record(Collection::Fund) => dataset.funds.get_mut(id).map(|r| &mut Arc::make_mut(r).translations),
        DocKind::Record(Collection::Exchange) => dataset
            .exchanges
            .get_mut(id)
            .map(|r| &mut Arc::make_mut(r).translations),
        DocKind::ReportEdition { year } => dataset.editions.get_mut(year).map(|e| &mut e.index.translations),
        DocKind::ReportChapter { year } => dataset
            .editions
            .get_mut(year)
            .and_then(|e| e.chapters.iter_mut().find(|c| c.id == id))
            .map(|c| &mut c.translations),
        DocKind::ExchangeRates | DocKind::CountryFacts => None,
    };
    // The record may exist but have failed its schema: then its own errors suffice.
    if let Some(slot) = slot {
        slot.insert(lang, translation);
    }
}
