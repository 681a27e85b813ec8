//! View models: what each page shows, computed from the [`Dataset`] into template values
//! ([`Fields`]: display-ready text, root-relative hrefs), so templates only lay things out.
//!
//! Every list is sorted deterministically: records by id or by display name, vocabulary
//! values in vocabulary order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;

use super::PageSpec;
use super::fields::{Fields, IntoTemplate};
use super::report::EditionPage;
use crate::aggregate;
use crate::locale::Locale;
use crate::markdown::{IdSet, render as render_markdown};
use crate::model::{AnsweredQuestion, Dataset, Money, PartialDate, Project, Record, Source, Text};
use crate::schema::SchemaSet;

/// Ids the templates use on every page; record bodies may not take them.
pub const RESERVED_IDS: &[&str] = &[
    "main",
    "top",
    "site-nav",
    "page-footer",
    "cite",
    "participants-heading",
    "financing-heading",
    "beneficiaries-heading",
    "results-heading",
    "consultation-heading",
    "evaluation-heading",
    "monitoring-heading",
    "lessons-heading",
    "narrative-heading",
    "sources-heading",
    "capacities-heading",
    "projects-heading",
    "funds-heading",
    "eligibility-heading",
    "application-heading",
    "toc-heading",
    "scope-heading",
];

/// A page to make, made when the job runs (on any thread), or one made already.
#[derive(Debug)]
pub enum PageJob {
    Ready(Box<PageSpec>),
    Home,
    ProjectList,
    ActorList,
    CountryList,
    SectorList,
    FundList,
    Exchanges,
    Dictionary,
    About,
    NotFound,
    /// A page of the report of an edition (its year, and its path, known in advance).
    Edition(i32, EditionPage, String),
    Project(String),
    Actor(String),
    Country(String),
    Sector(String),
    Sdg(u8),
    Fund(String),
}

impl PageJob {
    /// Where the job goes in the order pages are rendered in: pages that gather many
    /// records (lists, the report, a country's or a sector's initiatives) first, the many
    /// small pages of one record last. The cores share the jobs in order, so the work is
    /// then shared evenly to the end, instead of one core rendering a large page last
    /// while the other waits.
    pub fn render_order(&self) -> u8 {
        match self {
            PageJob::ProjectList
            | PageJob::ActorList
            | PageJob::CountryList
            | PageJob::SectorList
            | PageJob::Exchanges
            | PageJob::Dictionary
            | PageJob::Edition(..) => 0,
            PageJob::Country(_) | PageJob::Sector(_) | PageJob::Sdg(_) | PageJob::Fund(_) => 1,
            PageJob::Ready(_) | PageJob::Home | PageJob::FundList | PageJob::About | PageJob::NotFound => 2,
            PageJob::Actor(_) => 3,
            PageJob::Project(_) => 4,
        }
    }

    /// The page's path (relative to its language's root).
    pub fn path(&self) -> String {
        match self {
            PageJob::Ready(spec) => spec.path.clone(),
            PageJob::Home => "index.html".into(),
            PageJob::ProjectList => "projects/index.html".into(),
            PageJob::ActorList => "actors/index.html".into(),
            PageJob::CountryList => "countries/index.html".into(),
            PageJob::SectorList => "sectors/index.html".into(),
            PageJob::FundList => "funds/index.html".into(),
            PageJob::Exchanges => "exchanges/index.html".into(),
            PageJob::Dictionary => "data-dictionary/index.html".into(),
            PageJob::About => "about/index.html".into(),
            PageJob::NotFound => "404.html".into(),
            PageJob::Edition(_, _, path) => path.clone(),
            PageJob::Project(id) => crate::paths::project_page(id),
            PageJob::Actor(id) => crate::paths::actor_page(id),
            PageJob::Country(code) => crate::paths::country_page(code),
            PageJob::Sector(id) => crate::paths::sector_page(id),
            PageJob::Sdg(n) => crate::paths::sdg_page(n),
            PageJob::Fund(id) => crate::paths::fund_page(id),
        }
    }
}

/// What names a key, by key: ids, or for the initiatives the records themselves (the pages
/// that list them look none up in the dataset's map); looked up for every page of an actor,
/// country, sector or fund (hashed with foldhash rather than SipHash: the keys are the
/// site's own ids).
type Lists<'d, T = str> = foldhash::HashMap<&'d str, Vec<&'d T>>;

/// Adds `item` to `list` unless it is the last one there: a record that names a key twice
/// (a sector written twice) is listed once under it.
fn push_once<'d, T: ?Sized>(list: &mut Vec<&'d T>, item: &'d T) {
    if !list.last().is_some_and(|last| std::ptr::eq(*last, item)) {
        list.push(item);
    }
}

/// The labels of each vocabulary value, by vocabulary and id: (language, label) pairs.
type Labels<'d> = foldhash::HashMap<(&'d str, &'d str), Vec<(&'d str, minijinja::Value)>>;

/// Which records name which: the initiatives of each actor, country, sector and goal, the
/// actors of each country and the children of each actor. Built once per build, so that no
/// page scans every record (which would make a site's build time grow with the square of
/// its size). Its lists borrow the ids, and the initiatives themselves, from the dataset:
/// no copy to make, none to free, and no lookup of an initiative's id when a page lists it.
#[derive(Debug, Default)]
pub struct Index<'d> {
    projects_by_actor: Lists<'d, Record<Project>>,
    projects_by_country: Lists<'d, Record<Project>>,
    projects_by_sector: Lists<'d, Record<Project>>,
    projects_by_sdg: BTreeMap<u8, Vec<&'d Record<Project>>>,
    actors_by_country: Lists<'d>,
    children_by_actor: Lists<'d>,
    projects_by_fund: Lists<'d, Record<Project>>,
    /// Every country code any record names ([`Views::countries_in_records`]).
    countries: BTreeSet<&'d str>,
    /// Every sector any record names ([`Views::sectors_in_records`]).
    sectors: BTreeSet<&'d str>,
    /// Each vocabulary value's label in each language it is written in, as a template value
    /// made once: a page of an initiative shows some thirty labels ([`Views::label_value`]).
    labels: Labels<'d>,
    /// The figures of each edition's report (the same in every language).
    figures: BTreeMap<i32, Vec<aggregate::Figure>>,
}

impl<'d> Index<'d> {
    /// The index of `data`; every list is in id order.
    pub fn new(data: &'d Dataset) -> Index<'d> {
        // The figures on either core while this one lists who names whom.
        let (figures, mut index) = rayon::join(
            || {
                data.editions
                    .values()
                    .collect::<Vec<_>>()
                    .par_iter()
                    .map(|e| (e.year, aggregate::figures(data, e)))
                    .collect()
            },
            || Index::lists(data),
        );
        index.figures = figures;
        index
    }

    /// Every list of the index, without the figures.
    fn lists(data: &'d Dataset) -> Index<'d> {
        let mut index = Index::default();
        fn add<'d, T: ?Sized>(map: &mut Lists<'d, T>, key: &'d str, item: &'d T) {
            push_once(map.entry(key).or_default(), item);
        }
        for p in data.projects.values() {
            let p: &Record<Project> = p;
            let d = &p.data;
            let mut actors: Vec<&str> = d.participants.iter().map(|x| x.actor.as_str()).collect();
            actors.extend(d.regional_mechanism.as_deref());
            if let Some(e) = &d.evaluation {
                actors.extend(e.by.iter().map(String::as_str));
            }
            actors.extend(d.monitoring.iter().filter_map(|m| m.by.as_deref()));
            actors.sort_unstable();
            actors.dedup();
            for a in actors {
                add(&mut index.projects_by_actor, a, p);
            }
            let mut countries: Vec<&str> = d
                .countries
                .lists()
                .iter()
                .flat_map(|(_, l)| l.iter().map(String::as_str))
                .collect();
            countries.sort_unstable();
            countries.dedup();
            for c in countries {
                add(&mut index.projects_by_country, c, p);
                index.countries.insert(c);
            }
            for s in &d.sectors {
                add(&mut index.projects_by_sector, s, p);
                index.sectors.insert(s);
            }
            for n in &d.sdgs {
                push_once(index.projects_by_sdg.entry(*n).or_default(), p);
            }
            for f in d.financing.iter().flat_map(|f| &f.funds) {
                add(&mut index.projects_by_fund, f, p);
            }
        }
        for a in data.actors.values() {
            if let Some(c) = &a.data.country {
                add(&mut index.actors_by_country, c, &a.id);
                index.countries.insert(c);
            }
            if let Some(parent) = &a.data.parent {
                add(&mut index.children_by_actor, parent, &a.id);
            }
            index.sectors.extend(a.data.capacities.iter().map(String::as_str));
        }
        for f in data.funds.values() {
            index
                .countries
                .extend(f.data.eligible.countries.iter().map(String::as_str));
            index.sectors.extend(f.data.sectors.iter().map(String::as_str));
        }
        for e in data.exchanges.values() {
            index.countries.extend(e.data.country.as_deref());
            index.sectors.extend(e.data.sectors.iter().map(String::as_str));
        }
        let vocabularies = &data.vocabularies;
        for name in vocabularies.names() {
            for entry in vocabularies.values(name) {
                // Of two values with one id, the first is the one `Vocabularies::get` finds.
                index.labels.entry((name, entry.id.as_str())).or_insert_with(|| {
                    entry
                        .languages("label")
                        .filter_map(|lang| Some((lang, minijinja::Value::from(entry.text("label", lang)?))))
                        .collect()
                });
            }
        }
        index
    }

    fn list<'i, T: ?Sized>(map: &'i Lists<'d, T>, key: &str) -> impl Iterator<Item = &'d T> + use<'i, 'd, T> {
        map.get(key).into_iter().flatten().copied()
    }

    /// The initiatives an actor takes part in, coordinates, evaluates or monitors.
    pub fn projects_of_actor(&self, actor: &str) -> impl Iterator<Item = &'d Record<Project>> + use<'_, 'd> {
        Self::list(&self.projects_by_actor, actor)
    }

    /// The initiatives that name a country in any role.
    pub fn projects_of_country(&self, code: &str) -> impl Iterator<Item = &'d Record<Project>> + use<'_, 'd> {
        Self::list(&self.projects_by_country, code)
    }

    /// The initiatives of a sector.
    pub fn projects_of_sector(&self, sector: &str) -> impl Iterator<Item = &'d Record<Project>> + use<'_, 'd> {
        Self::list(&self.projects_by_sector, sector)
    }

    /// The initiatives that list a Sustainable Development Goal.
    pub fn projects_of_sdg(&self, n: u8) -> impl Iterator<Item = &'d Record<Project>> + use<'_, 'd> {
        self.projects_by_sdg.get(&n).into_iter().flatten().copied()
    }

    /// The goals any initiative lists, in order.
    pub fn sdgs(&self) -> impl Iterator<Item = u8> + '_ {
        self.projects_by_sdg.keys().copied()
    }

    /// The actors based in a country.
    pub fn actors_of_country(&self, code: &str) -> impl Iterator<Item = &'d str> + use<'_, 'd> {
        Self::list(&self.actors_by_country, code)
    }

    /// The initiatives financed by a fund.
    pub fn projects_of_fund(&self, fund: &str) -> impl Iterator<Item = &'d Record<Project>> + use<'_, 'd> {
        Self::list(&self.projects_by_fund, fund)
    }

    /// The figures of the edition of `year` (none for an unknown year).
    pub fn figures(&self, year: i32) -> &[aggregate::Figure] {
        self.figures.get(&year).map_or(&[], Vec::as_slice)
    }

    /// The actors whose parent is `actor`.
    pub fn children_of_actor(&self, actor: &str) -> impl Iterator<Item = &'d str> + use<'_, 'd> {
        Self::list(&self.children_by_actor, actor)
    }
}

/// Builds the specs of every page of the site.
pub struct Views<'a> {
    pub data: &'a Dataset,
    pub schemas: &'a SchemaSet,
    /// The language of the pages being made, with its catalog and formats.
    pub locale: &'a Arc<Locale>,
    /// Which records name which, shared by every language.
    pub index: &'a Index<'a>,
    /// The table row of each initiative in the page's language (`project-row.html`), made
    /// once and placed in every table that lists it.
    pub rows: &'a Rows,
    /// The references to actors, countries and sectors in the page's language, made once
    /// ([`Views::refs`]).
    pub refs: &'a Refs,
}

/// What many pages show of an actor, a country or a sector (its name and link:
/// [`Views::actor_ref`], [`Views::country`], [`Views::sector_ref`]) made once per language:
/// an initiative's page and its row name some eight actors and a dozen countries and
/// sectors, each reference a map of values made anew (a lookup, the name in the page's
/// language, the link).
#[derive(Debug, Default)]
pub struct Refs {
    actors: foldhash::HashMap<String, minijinja::Value>,
    countries: foldhash::HashMap<&'static str, Fields>,
    sectors: foldhash::HashMap<String, Fields>,
}

/// Pre-rendered fragments of initiatives, by id (see [`Views::rows`]).
pub type Rows = foldhash::HashMap<String, Fragments>;

/// What many pages show of one initiative, rendered once per language with
/// [`super::ROOT_MARK`] for the page's root: safe strings, which every page that lists the
/// initiative shares (no copy per page) and prints as they are.
#[derive(Clone, Debug, Default)]
pub struct Fragments {
    /// Its row in the tables of initiatives (`project-row.html`).
    pub row: minijinja::Value,
    /// A link to it with its years (`project-link.html`).
    pub link: minijinja::Value,
}

impl<'a> Views<'a> {
    /// The language of the pages being made.
    pub(crate) fn lang(&self) -> &str {
        &self.locale.lang
    }

    /// The site's default language, whose pages sit at the root.
    pub(crate) fn default_lang(&self) -> &str {
        &self.data.config.default_language
    }

    /// A root-relative href to a file every language shares (`data/`, `static/`), as seen
    /// from this language's root: the other languages' pages sit one folder deeper.
    pub(crate) fn shared(&self, path: &str) -> String {
        if self.lang() == self.default_lang() {
            path.to_owned()
        } else {
            format!("../{path}")
        }
    }

    /// Record text in the page's language; text that falls back to another language is
    /// marked (see [`crate::locale::mark_fallback`]) for the renderer to label.
    pub(crate) fn text(&self, t: &Text) -> String {
        let (text, lang) = t.get(self.lang(), self.default_lang());
        self.marked(text, lang.unwrap_or(self.default_lang()))
    }

    /// `text`, which is in `lang`, marked if that is not the page's language.
    fn marked(&self, text: &str, lang: &str) -> String {
        if lang == self.lang() || text.is_empty() {
            text.to_owned()
        } else {
            crate::locale::mark_fallback(text, lang)
        }
    }

    /// A translatable field of a record: its translation file's value for the page's
    /// language first (`<id>.<lang>.md`), else the record's own text.
    pub(crate) fn field<T>(&self, record: &Record<T>, field: &str, t: &Text) -> String {
        match record.translations.get(self.lang()).and_then(|tr| tr.fields.get(field)) {
            Some(translated) => translated.clone(),
            None => self.text(t),
        }
    }

    /// [`Views::field`] for an optional field.
    pub(crate) fn opt_field<T>(&self, record: &Record<T>, field: &str, t: &Option<Text>) -> Option<String> {
        let translated = record.translations.get(self.lang()).and_then(|tr| tr.fields.get(field));
        translated.cloned().or_else(|| t.as_ref().map(|t| self.text(t)))
    }

    /// The Markdown body of a record as HTML, in the page's language: its translation's
    /// body, else its own, which is then wrapped with its language and a note. A safe
    /// string: templates print it as it is (it is sanitized), without `| safe` copying it.
    pub(crate) fn record_body<T>(&self, record: &Record<T>) -> minijinja::Value {
        let (source, fallback) = self.body_source(record);
        let html = self.body(source);
        minijinja::Value::from_safe_string(if fallback { self.body_fallback(html) } else { html })
    }

    /// The Markdown source of a record's body for the page's language (its translation's
    /// body, else its own) and whether it is the record's own body shown in another
    /// language.
    pub(crate) fn body_source<'r, T>(&self, record: &'r Record<T>) -> (&'r str, bool) {
        match record.translations.get(self.lang()) {
            Some(tr) if !tr.body.trim().is_empty() => (&tr.body, false),
            _ => (&record.body, self.lang() != self.default_lang()),
        }
    }

    /// HTML of a body in the default language, shown on a page of another language:
    /// wrapped in an element with its language, after a note saying so.
    pub(crate) fn body_fallback(&self, html: String) -> String {
        if self.lang() == self.default_lang() || html.trim().is_empty() {
            return html;
        }
        let from = self.default_lang();
        format!(
            "{}<div lang=\"{from}\">\n{html}</div>\n",
            super::fallback_note(self.locale, from)
        )
    }

    pub(crate) fn opt_text(&self, t: &Option<Text>) -> Option<String> {
        t.as_ref().map(|t| self.text(t))
    }

    pub(crate) fn label(&self, vocab: &str, id: &str) -> String {
        self.data
            .vocabularies
            .get(vocab, id)
            .map_or_else(|| id.to_owned(), |e| e.label(self.lang()).to_owned())
    }

    /// [`Views::label`] as a template value, made once per build (no text copied).
    pub(crate) fn label_value(&self, vocab: &str, id: &str) -> minijinja::Value {
        let lang = self.lang();
        // The index's labels, seen with this call's shorter key lifetimes.
        let labels: &Labels<'_> = &self.index.labels;
        labels
            .get(&(vocab, id))
            .and_then(|texts| {
                let in_lang = |wanted: &str| texts.iter().find(|(l, _)| *l == wanted);
                in_lang(lang).or_else(|| in_lang("en"))
            })
            .map_or_else(|| minijinja::Value::from(id), |(_, label)| label.clone())
    }

    pub(crate) fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }

    /// The name of a UN M49 region (given in English) in the page's language.
    pub(crate) fn region(&self, english: &str) -> String {
        match crate::countries::region_code(english).map(|code| format!("m49.{code}")) {
            Some(key) if self.locale.catalog().contains_key(&key) => self.t(&key),
            _ => english.to_owned(),
        }
    }

    /// Orders two view values by their `name` in the language's collation.
    pub(crate) fn compare_names(&self, a: &Fields, b: &Fields) -> std::cmp::Ordering {
        let name = |v: &Fields| v.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_owned();
        self.locale.compare(&name(a), &name(b))
    }

    /// A country's code, name and link, from [`Views::refs`] when they hold it.
    pub(crate) fn country(&self, code: &str) -> Fields {
        match self.refs.countries.get(code) {
            Some(fields) => fields.clone(),
            None => self.make_country(code),
        }
    }

    fn make_country(&self, code: &str) -> Fields {
        let name = crate::countries::get(code).map_or(code, |c| c.name(self.lang()));
        fields! { "code" => code, "name" => name, "href" => crate::paths::country_page(code) }
    }

    pub(crate) fn actor_ref(&self, id: &str) -> Fields {
        match self.data.actor(id) {
            Some(a) => fields! {
                "id" => id,
                "name" => self.field(a, "name", &a.data.name),
                "acronym" => a.data.acronym.as_deref(),
                "href" => crate::paths::actor_page(id),
            },
            None => fields! { "id" => id, "name" => id, "acronym" => None::<&str>, "href" => None::<&str> },
        }
    }

    /// [`Views::actor_ref`] as a template value, taken from [`Views::refs`] when they hold it.
    pub(crate) fn actor_ref_value(&self, id: &str) -> minijinja::Value {
        match self.refs.actors.get(id) {
            Some(value) => value.clone(),
            None => self.actor_ref(id).into_template(),
        }
    }

    /// The references of every actor, country and sector in this language, for [`Views::refs`].
    pub fn refs(&self) -> Refs {
        let actors = self
            .data
            .actors
            .keys()
            .collect::<Vec<_>>()
            .par_iter()
            .map(|id| ((*id).clone(), self.actor_ref(id).into_template()))
            .collect();
        let countries = crate::countries::all()
            .keys()
            .map(|&code| (code, self.make_country(code)))
            .collect();
        let sectors = self
            .data
            .vocabularies
            .values("sectors")
            .iter()
            .map(|s| (s.id.clone(), self.make_sector_ref(&s.id)))
            .collect();
        Refs {
            actors,
            countries,
            sectors,
        }
    }

    pub(crate) fn fund_ref(&self, id: &str) -> Fields {
        let name = self
            .data
            .fund(id)
            .map_or_else(|| id.to_owned(), |f| self.field(f, "name", &f.data.name));
        fields! { "id" => id, "name" => name, "href" => crate::paths::fund_page(id) }
    }

    /// A sector's id, name and link, from [`Views::refs`] when they hold it.
    pub(crate) fn sector_ref(&self, id: &str) -> Fields {
        match self.refs.sectors.get(id) {
            Some(fields) => fields.clone(),
            None => self.make_sector_ref(id),
        }
    }

    fn make_sector_ref(&self, id: &str) -> Fields {
        fields! { "id" => id, "name" => self.label_value("sectors", id), "href" => crate::paths::sector_page(id) }
    }

    pub(crate) fn money(&self, m: &Money, default_year: Option<i32>) -> Fields {
        let usd = self.data.to_usd(m, default_year);
        fields! {
            "original" => self.locale.money(m),
            "usd" => if m.currency == "USD" { None } else { usd.map(|u| self.locale.usd(u)) },
        }
    }

    pub(crate) fn opt_date(&self, d: &Option<PartialDate>) -> Option<String> {
        d.as_ref().map(|d| self.locale.date(d))
    }

    pub(crate) fn sources(&self, sources: &[Source]) -> Vec<Fields> {
        sources.iter().map(|s| self.source(s)).collect()
    }

    /// A source as the pages cite it: title, details (publisher, year, pages), link, note.
    pub(crate) fn source(&self, s: &Source) -> Fields {
        let mut parts = Vec::new();
        if let Some(p) = &s.publisher {
            parts.push(p.clone());
        }
        if let Some(y) = s.year {
            parts.push(y.to_string());
        }
        if let Some(p) = &s.pages {
            parts.push(format!("{} {p}", self.t("source.pages")));
        }
        fields! { "title" => &s.title, "details" => parts.join(", "), "url" => s.url.as_deref(), "note" => s.note.as_deref() }
    }

    pub(crate) fn answer(&self, a: Option<&AnsweredQuestion>) -> Option<Fields> {
        a.map(|a| {
            fields! {
                "answer" => &a.answer,
                "label" => self.label_value("answers", &a.answer),
                "evidence" => self.opt_text(&a.evidence),
            }
        })
    }

    pub(crate) fn body(&self, markdown: &str) -> String {
        let mut ids = IdSet::with_reserved(RESERVED_IDS);
        render_markdown(markdown, &mut ids).html
    }

    pub(crate) fn years(p: &Project) -> String {
        match &p.end {
            Some(end) if end.year == p.start.year => p.start.year.to_string(),
            Some(end) => format!("{}–{}", p.start.year, end.year),
            None => format!("{}–", p.start.year),
        }
    }

    /// The countries of a project with their role (a country in both lists is "both").
    pub(crate) fn country_roles<'p>(&self, p: &'p Project) -> Vec<(&'p str, &'static str)> {
        let c = &p.countries;
        let mut roles: BTreeMap<&str, &'static str> = BTreeMap::new();
        for code in &c.providers {
            roles.insert(code, "provider");
        }
        for code in &c.recipients {
            let role = if roles.get(code.as_str()) == Some(&"provider") {
                "both"
            } else {
                "recipient"
            };
            roles.insert(code, role);
        }
        for code in &c.second_providers {
            roles.entry(code).or_insert("second-provider");
        }
        for code in &c.participants {
            roles.entry(code).or_insert("participant");
        }
        let order = ["provider", "both", "recipient", "second-provider", "participant"];
        let rank = |role: &str| order.iter().position(|r| *r == role);
        let mut list: Vec<(&str, &'static str)> = roles.into_iter().collect();
        // Stable, and the codes come in order: by role, then by code.
        list.sort_by_key(|(_, role)| rank(role));
        list
    }

    /// An initiative as a table of initiatives lists it: its row (`project-row.html`).
    pub(crate) fn project_item(&self, p: &Record<Project>) -> Fields {
        fields! { "row" => self.rows.get(&p.id).map(|f| f.row.clone()) }
    }

    /// An initiative as a list links it: `link` (`project-link.html`).
    pub(crate) fn project_link(&self, p: &Record<Project>) -> Fields {
        fields! { "link" => self.rows.get(&p.id).map(|f| f.link.clone()) }
    }

    /// The link of the initiative `id` ([`Views::project_link`]), if the site has it.
    pub(crate) fn project_link_of(&self, id: &str) -> Option<Fields> {
        let fragments = self.rows.get(id)?;
        Some(fields! { "link" => Some(fragments.link.clone()) })
    }

    pub(crate) fn project_summary(&self, p: &Record<Project>) -> Fields {
        let d = &p.data;
        fields! {
            "id" => p.id.clone(),
            "href" => crate::paths::project_page(&p.id),
            "title" => self.field(p, "title", &d.title),
            "summary" => self.field(p, "summary", &d.summary),
            "modality" => self.label_value("modalities", &d.modality),
            "instrument" => self.label_value("instruments", &d.instrument),
            "status" => self.label_value("project-statuses", &d.status),
            "years" => Self::years(d),
            "countries" => self.country_roles(d).into_iter().map(|(code, role)| {
                let mut c = self.country(code);
                c.set("role", self.t(&format!("country_role.{role}")));
                c
            }).collect::<Vec<_>>(),
            "sectors" => d.sectors.iter().map(|s| self.sector_ref(s)).collect::<Vec<_>>(),
        }
    }

    /// Every page of the site (see [`Views::jobs`] to make them one at a time).
    pub fn pages(&self) -> Vec<PageSpec> {
        self.jobs().into_iter().map(|job| self.page(job)).collect()
    }

    /// Every page of the site as a job: the pages there are many of (one per initiative,
    /// actor, country, sector, goal, fund) are made when their job runs, so a large site is
    /// never held in memory at once; the others are made here.
    pub fn jobs(&self) -> Vec<PageJob> {
        let mut jobs: Vec<PageJob> = vec![
            PageJob::Home,
            PageJob::ProjectList,
            PageJob::ActorList,
            PageJob::CountryList,
            PageJob::SectorList,
        ];
        jobs.extend(self.data.projects.keys().map(|id| PageJob::Project(id.clone())));
        jobs.extend(self.data.actors.keys().map(|id| PageJob::Actor(id.clone())));
        jobs.extend(
            self.countries_in_records()
                .map(|code| PageJob::Country(code.to_owned())),
        );
        jobs.extend(self.sectors_in_records().map(|id| PageJob::Sector(id.to_owned())));
        jobs.extend(self.index.sdgs().map(PageJob::Sdg));
        jobs.push(PageJob::FundList);
        jobs.extend(self.data.funds.keys().map(|id| PageJob::Fund(id.clone())));
        jobs.push(PageJob::Exchanges);
        for edition in self.data.editions.values() {
            for page in Self::edition_page_list(edition) {
                let path = Self::edition_page_path(edition, &page);
                jobs.push(PageJob::Edition(edition.year, page, path));
            }
        }
        jobs.push(PageJob::Dictionary);
        jobs.push(PageJob::About);
        jobs.push(PageJob::NotFound);
        jobs
    }

    /// The page of a job.
    pub fn page(&self, job: PageJob) -> PageSpec {
        match job {
            PageJob::Ready(spec) => *spec,
            PageJob::Home => self.home(),
            PageJob::ProjectList => self.project_list(),
            PageJob::ActorList => self.actor_list(),
            PageJob::CountryList => self.country_list(),
            PageJob::SectorList => self.sector_list(),
            PageJob::FundList => self.fund_list(),
            PageJob::Exchanges => self.exchanges_page(),
            PageJob::Dictionary => self.dictionary_page(),
            PageJob::About => self.simple(
                "about/index.html",
                "about.html",
                self.t("about.title"),
                Fields::default(),
            ),
            PageJob::NotFound => self.simple("404.html", "404.html", self.t("notfound.title"), Fields::default()),
            PageJob::Edition(year, page, _) => self.edition_page(year, &page),
            PageJob::Project(id) => self.project_page(&self.data.projects[&id]),
            PageJob::Actor(id) => self.actor_page(&id),
            PageJob::Country(code) => self.country_page(code),
            PageJob::Sector(id) => self.sector_page(id),
            PageJob::Sdg(n) => self.sdg_page(n),
            PageJob::Fund(id) => self.fund_page(&id),
        }
    }

    /// A page at `path` made with `template` from `context` (a map: [`Fields`], or a
    /// `serde_json` map, which is converted).
    pub(crate) fn simple(
        &self,
        path: &str,
        template: &'static str,
        title: String,
        context: impl IntoTemplate,
    ) -> PageSpec {
        PageSpec {
            path: path.into(),
            template,
            context: context.into_template(),
            title,
        }
    }

    fn latest_edition(&self) -> Option<Fields> {
        let edition = self.data.editions.values().next_back()?;
        Some(self.edition_headline(edition))
    }

    pub(crate) fn edition_headline(&self, edition: &crate::model::Edition) -> Fields {
        let h = aggregate::headline(self.data, edition);
        fields! {
            "year" => edition.year,
            "title" => self.field(&edition.index, "title", &edition.index.data.title),
            "href" => format!("reports/{}/index.html", edition.year),
            "status" => self.label_value("report-statuses", &edition.index.data.status),
            "period" => format!("{} – {}", self.locale.date(&edition.index.data.period.from), self.locale.date(&edition.index.data.period.to)),
            "initiatives" => h.projects.len(),
            "countries" => h.countries,
            "with_civil_society" => h.with_civil_society,
            "by_modality" => h.by_modality.iter().map(|(m, n)| fields! {"name" => self.label_value("modalities", m), "count" => *n}).collect::<Vec<_>>(),
        }
    }

    fn home(&self) -> PageSpec {
        let counts = fields! {
            "projects" => self.data.projects.len(),
            "actors" => self.data.actors.len(),
            "funds" => self.data.funds.len(),
            "exchanges" => self.data.exchanges.len(),
            "countries" => self.countries_in_records().len(),
        };
        let (title, title_lang) = self.data.config.title_in(self.lang());
        let title = self.marked(title, title_lang);
        self.simple(
            "index.html",
            "index.html",
            title,
            fields! { "edition" => self.latest_edition(), "counts" => counts },
        )
    }

    fn project_list(&self) -> PageSpec {
        let projects: Vec<Fields> = self.data.projects.values().map(|p| self.project_item(p)).collect();
        self.simple(
            "projects/index.html",
            "projects.html",
            self.t("projects.title"),
            fields! { "projects" => projects },
        )
    }

    fn project_page(&self, p: &Record<Project>) -> PageSpec {
        let d = &p.data;
        let start_year = Some(d.start.year);
        let participants: Vec<Fields> = d
            .participants
            .iter()
            .map(|x| {
                let c = x.contribution.as_ref();
                let actor_type = self.data.actor(&x.actor).map(|a| self.label_value("actor-types", &a.data.kind));
                fields! {
                    "actor" => self.actor_ref_value(&x.actor),
                    "type" => actor_type,
                    "role" => self.label_value("roles", &x.role),
                    "phases" => x.phases.iter().map(|ph| self.label_value("phases", ph)).collect::<Vec<_>>(),
                    "financial" => c.and_then(|c| c.financial.as_ref()).map(|m| self.money(m, start_year)),
                    "in_kind" => c.and_then(|c| c.in_kind.as_ref()).map(|k| fields! {
                        "description" => self.opt_text(&k.description),
                        "value" => k.value.as_ref().map(|m| self.money(m, start_year)),
                    }),
                    "staff" => c.and_then(|c| c.staff.as_ref()).map(|s| fields! {"people" => s.people, "person_days" => s.person_days}),
                    "note" => self.opt_text(&x.note),
                }
            })
            .collect();
        // The phases table: for each phase, who took part in it.
        let phases: Vec<Fields> = self
            .data
            .vocabularies
            .values("phases")
            .iter()
            .filter_map(|phase| {
                let who: Vec<Fields> = d
                    .participants
                    .iter()
                    .filter(|x| x.phases.contains(&phase.id))
                    .map(
                        |x| fields! {"actor" => self.actor_ref_value(&x.actor), "role" => self.label_value("roles", &x.role)},
                    )
                    .collect();
                (!who.is_empty()).then(|| fields! {"phase" => phase.label(self.lang()), "participants" => who})
            })
            .collect();
        let financing = d.financing.as_ref().map(|f| {
            fields! {
                "type" => f.kind.as_ref().map(|k| self.label_value("financing-types", k)),
                "budget" => f.budget.as_ref().map(|m| self.money(m, start_year)),
                "funds" => f.funds.iter().map(|id| self.fund_ref(id)).collect::<Vec<_>>(),
                "transactions" => f.transactions.iter().map(|t| fields! {
                    "date" => self.locale.date(&t.date),
                    "type" => self.label_value("transaction-types", &t.kind),
                    "amount" => self.money(&t.amount, start_year),
                    "from" => t.from.as_ref().map(|a| self.actor_ref_value(a)),
                    "to" => t.to.as_ref().map(|a| self.actor_ref_value(a)),
                }).collect::<Vec<_>>(),
            }
        });
        let beneficiaries = d.beneficiaries.as_ref().map(|b| {
            let n = |v: Option<u64>| v.map(|v| self.locale.number(v as f64));
            fields! {
                "people" => n(b.people), "women" => n(b.women), "men" => n(b.men), "other" => n(b.other),
                "organizations" => n(b.organizations), "description" => self.opt_text(&b.description),
            }
        });
        let measure = |m: &Option<crate::model::Measure>| {
            m.as_ref().map(|m| {
                let value = m.value.map(|v| self.locale.number(v)).unwrap_or_default();
                match m.year {
                    Some(y) => format!("{value} ({y})"),
                    None => value,
                }
            })
        };
        let results: Vec<Fields> = d
            .results
            .iter()
            .map(|r| {
                fields! {
                    "indicator" => self.text(&r.indicator),
                    "type" => r.kind.as_ref().map(|k| self.label_value("result-types", k)),
                    "unit" => r.unit.as_deref(),
                    "baseline" => measure(&r.baseline), "target" => measure(&r.target), "actual" => measure(&r.actual),
                }
            })
            .collect();
        let consultation = d.consultation.as_ref().map(|c| {
            let question = |key: &str, answer: &Option<AnsweredQuestion>| {
                fields! {"question" => self.t(key), "answer" => self.answer(answer.as_ref())}
            };
            fields! {
                "mechanism" => self.opt_text(&c.mechanism),
                "questions" => vec![
                    question("consultation.indigenous_peoples", &c.indigenous_peoples),
                    question("consultation.social_movements", &c.social_movements),
                    question("consultation.womens_organizations", &c.womens_organizations),
                ],
            }
        });
        let evaluation = d.evaluation.as_ref().map(|e| {
            let questions: Vec<Fields> = self
                .data
                .vocabularies
                .values("evaluation-questions")
                .iter()
                .map(|q| {
                    let question = q.text("question", self.lang()).unwrap_or(q.label(self.lang()));
                    fields! {"key" => &q.id, "label" => q.label(self.lang()), "question" => question, "answer" => self.answer(e.questions.get(&q.id))}
                })
                .collect();
            fields! {
                "date" => self.opt_date(&e.date),
                "by" => e.by.iter().map(|a| self.actor_ref_value(a)).collect::<Vec<_>>(),
                "questions" => questions,
            }
        });
        let monitoring: Vec<Fields> = d
            .monitoring
            .iter()
            .map(|m| {
                fields! {
                    "date" => self.opt_date(&m.date),
                    "level" => m.level.as_ref().map(|l| self.label_value("follow-up-levels", l)),
                    "by" => m.by.as_ref().map(|a| self.actor_ref_value(a)),
                    "summary" => self.opt_text(&m.summary),
                    "source" => m.source.as_ref().map(|s| self.source(s)),
                }
            })
            .collect();
        let mut summary = self.project_summary(p);
        let extra = fields! {
            "start" => self.locale.date(&d.start),
            "end" => self.opt_date(&d.end),
            "regional_mechanism" => d.regional_mechanism.as_ref().map(|a| self.actor_ref_value(a)),
            "sdgs" => d.sdgs.iter().map(|n| fields! {"number" => *n, "name" => self.t(&format!("sdg.{n}")), "href" => crate::paths::sdg_page(n)}).collect::<Vec<_>>(),
            "participants" => participants,
            "phases" => phases,
            "financing" => financing,
            "beneficiaries" => beneficiaries,
            "results" => results,
            "consultation" => consultation,
            "evaluation" => evaluation,
            "monitoring" => monitoring,
            "outcome" => self.label_value("outcomes", &d.outcome),
            "lessons" => self.opt_field(p, "lessons", &d.lessons),
            "sources" => self.sources(&d.sources),
            "tags" => d.tags.iter().map(String::as_str).collect::<Vec<_>>(),
            "body" => self.record_body(p),
            "data_file" => self.shared(&crate::paths::project_data(&p.id)),
        };
        summary.extend(extra);
        let title = self.field(p, "title", &d.title);
        self.simple(
            &crate::paths::project_page(&p.id),
            "project.html",
            title,
            fields! { "project" => summary },
        )
    }

    fn actor_list(&self) -> PageSpec {
        let groups: Vec<Fields> = self
            .data
            .vocabularies
            .values("actor-types")
            .iter()
            .filter_map(|kind| {
                let mut actors: Vec<Fields> = self
                    .data
                    .actors
                    .values()
                    .filter(|a| a.data.kind == kind.id)
                    .map(|a| {
                        let mut r = self.actor_ref(&a.id);
                        r.set("country", a.data.country.as_ref().map(|c| self.country(c)));
                        r
                    })
                    .collect();
                actors.sort_by(|a, b| self.compare_names(a, b));
                (!actors.is_empty()).then(|| {
                    fields! {
                        "type" => kind.label(self.lang()),
                        "id" => &kind.id,
                        "civil_society" => self.data.vocabularies.is_civil_society(&kind.id),
                        "actors" => actors,
                    }
                })
            })
            .collect();
        self.simple(
            "actors/index.html",
            "actors.html",
            self.t("actors.title"),
            fields! { "groups" => groups },
        )
    }

    fn actor_page(&self, id: &str) -> PageSpec {
        let a = &self.data.actors[id];
        let d = &a.data;
        let mut involvement: Vec<Fields> = Vec::new();
        for p in self.index.projects_of_actor(id) {
            let mut roles: BTreeSet<String> = p
                .data
                .participants
                .iter()
                .filter(|x| x.actor == id)
                .map(|x| {
                    let phases: Vec<String> = x.phases.iter().map(|ph| self.label("phases", ph)).collect();
                    if phases.is_empty() {
                        self.label("roles", &x.role)
                    } else {
                        format!("{} ({})", self.label("roles", &x.role), phases.join(", "))
                    }
                })
                .collect();
            if p.data.regional_mechanism.as_deref() == Some(id) {
                roles.insert(self.t("actor.role_regional_mechanism"));
            }
            if p.data.evaluation.as_ref().is_some_and(|e| e.by.iter().any(|b| b == id)) {
                roles.insert(self.t("actor.role_evaluator"));
            }
            if p.data.monitoring.iter().any(|m| m.by.as_deref() == Some(id)) {
                roles.insert(self.t("actor.role_monitoring"));
            }
            if !roles.is_empty() {
                let mut s = self.project_link(p);
                s.set("roles", roles.into_iter().collect::<Vec<_>>());
                involvement.push(s);
            }
        }
        let funds: Vec<Fields> = self
            .data
            .funds
            .values()
            .filter(|f| f.data.administered_by == id || f.data.contributors.iter().any(|c| c == id))
            .map(|f| {
                let mut r = self.fund_ref(&f.id);
                let role = if f.data.administered_by == id {
                    self.t("actor.administers")
                } else {
                    self.t("actor.contributes")
                };
                r.set("role", role);
                r
            })
            .collect();
        let children: Vec<Fields> = self.index.children_of_actor(id).map(|c| self.actor_ref(c)).collect();
        let actor = fields! {
            "id" => id,
            "name" => self.field(a, "name", &d.name),
            "acronym" => d.acronym.as_deref(),
            "type" => self.label_value("actor-types", &d.kind),
            "civil_society" => self.data.vocabularies.is_civil_society(&d.kind),
            "country" => d.country.as_ref().map(|c| self.country(c)),
            "scope" => d.scope.as_ref().map(|s| self.label_value("actor-scopes", s)),
            "founded" => d.founded,
            "website" => d.website.as_deref(),
            "parent" => d.parent.as_ref().map(|p| self.actor_ref_value(p)),
            "children" => children,
            "capacities" => d.capacities.iter().map(|s| self.sector_ref(s)).collect::<Vec<_>>(),
            "capacities_note" => self.opt_field(a, "capacities_note", &d.capacities_note),
            "projects" => involvement,
            "funds" => funds,
            "sources" => self.sources(&d.sources),
            "body" => self.record_body(a),
        };
        let title = self.field(a, "name", &d.name);
        self.simple(
            &crate::paths::actor_page(id),
            "actor.html",
            title,
            fields! { "actor" => actor },
        )
    }

    /// Every country code any record names (an initiative in any role, an actor, a fund's
    /// eligible countries, an exchange), sorted; listed once, in the index.
    pub(crate) fn countries_in_records(&self) -> impl ExactSizeIterator<Item = &'a str> + use<'a> {
        self.index.countries.iter().copied()
    }

    fn country_list(&self) -> PageSpec {
        let mut regions: BTreeMap<(String, String), Vec<Fields>> = BTreeMap::new();
        for code in self.countries_in_records() {
            let (region, sub) = crate::countries::get(code)
                .map(|c| {
                    (
                        c.region.to_owned(),
                        if c.intermediate.is_empty() {
                            c.subregion.to_owned()
                        } else {
                            c.intermediate.to_owned()
                        },
                    )
                })
                .unwrap_or_default();
            regions.entry((region, sub)).or_default().push(self.country(code));
        }
        let mut list: Vec<Fields> = Vec::new();
        for ((region, sub), mut countries) in regions {
            countries.sort_by(|a, b| self.compare_names(a, b));
            let (region, sub) = (self.region(&region), self.region(&sub));
            list.push(fields! {"region" => region, "subregion" => sub, "countries" => countries});
        }
        self.simple(
            "countries/index.html",
            "countries.html",
            self.t("countries.title"),
            fields! { "regions" => list },
        )
    }

    fn country_page(&self, code: String) -> PageSpec {
        let mut by_role: BTreeMap<&'static str, Vec<Fields>> = BTreeMap::new();
        let mut partners = BTreeSet::new();
        let mut sectors = BTreeSet::new();
        for p in self.index.projects_of_country(&code) {
            let roles = self.country_roles(&p.data);
            if let Some((_, role)) = roles.iter().find(|(c, _)| *c == code) {
                by_role.entry(role).or_default().push(self.project_item(p));
                partners.extend(roles.iter().filter(|(c, _)| *c != code).map(|(c, _)| *c));
                sectors.extend(p.data.sectors.iter().cloned());
            }
        }
        let order = ["provider", "both", "recipient", "second-provider", "participant"];
        let roles: Vec<Fields> = order
            .iter()
            .filter_map(|role| by_role.remove(role).map(|projects| fields! {"role" => self.t(&format!("country_role_plural.{role}")), "projects" => projects}))
            .collect();
        let actors: Vec<Fields> = self.index.actors_of_country(&code).map(|a| self.actor_ref(a)).collect();
        let info = crate::countries::get(&code);
        let title = info.map_or(code.as_str(), |c| c.name(self.lang())).to_owned();
        let country = fields! {
            "code" => code.as_str(),
            "name" => title.as_str(),
            "region" => info.map(|c| self.region(c.region)),
            "subregion" => info.map(|c| self.region(if c.intermediate.is_empty() { c.subregion } else { c.intermediate })),
            "roles" => roles,
            "partners" => partners.iter().map(|c| self.country(c)).collect::<Vec<_>>(),
            "sectors" => self.sorted_sectors(&sectors),
            "actors" => actors,
        };
        self.simple(
            &crate::paths::country_page(&code),
            "country.html",
            title,
            fields! { "country" => country },
        )
    }

    fn sorted_sectors(&self, ids: &BTreeSet<String>) -> Vec<Fields> {
        self.data
            .vocabularies
            .values("sectors")
            .iter()
            .filter(|s| ids.contains(&s.id))
            .map(|s| self.sector_ref(&s.id))
            .collect()
    }

    /// Sectors that any project, actor capacity, fund or exchange names.
    pub(crate) fn sectors_in_records(&self) -> impl ExactSizeIterator<Item = &'a str> + use<'a> {
        self.index.sectors.iter().copied()
    }

    fn sector_list(&self) -> PageSpec {
        let used = &self.index.sectors;
        let sectors: Vec<Fields> = self
            .data
            .vocabularies
            .values("sectors")
            .iter()
            .map(|s| {
                let count = self.index.projects_of_sector(&s.id).count();
                fields! {
                    "id" => &s.id, "name" => s.label(self.lang()), "dac" => s.fields.get("dac"), "projects" => count,
                    "href" => used.contains(s.id.as_str()).then(|| crate::paths::sector_page(&s.id)),
                }
            })
            .collect();
        let sdgs: Vec<Fields> = (1..=17u8)
            .map(|n| {
                let count = self.index.projects_of_sdg(n).count();
                fields! {"number" => n, "name" => self.t(&format!("sdg.{n}")), "projects" => count,
                "href" => (count > 0).then(|| crate::paths::sdg_page(n))}
            })
            .collect();
        self.simple(
            "sectors/index.html",
            "sectors.html",
            self.t("sectors.title"),
            fields! { "sectors" => sectors, "sdgs" => sdgs },
        )
    }

    fn sector_page(&self, id: String) -> PageSpec {
        let projects: Vec<Fields> = self
            .index
            .projects_of_sector(&id)
            .map(|p| self.project_item(p))
            .collect();
        let actors: Vec<Fields> = self
            .data
            .actors
            .values()
            .filter(|a| a.data.capacities.contains(&id))
            .map(|a| self.actor_ref(&a.id))
            .collect();
        let funds: Vec<Fields> = self
            .data
            .funds
            .values()
            .filter(|f| f.data.sectors.contains(&id))
            .map(|f| self.fund_ref(&f.id))
            .collect();
        let entry = self.data.vocabularies.get("sectors", &id);
        let sector = fields! {
            "id" => id.as_str(), "name" => self.label_value("sectors", &id), "dac" => entry.and_then(|e| e.fields.get("dac")),
            "projects" => projects, "actors" => actors, "funds" => funds,
        };
        let title = self.label("sectors", &id);
        self.simple(
            &crate::paths::sector_page(&id),
            "sector.html",
            title,
            fields! { "sector" => sector },
        )
    }

    fn sdg_page(&self, n: u8) -> PageSpec {
        let projects: Vec<Fields> = self.index.projects_of_sdg(n).map(|p| self.project_item(p)).collect();
        let title = format!("{} {n}: {}", self.t("sdg.goal"), self.t(&format!("sdg.{n}")));
        self.simple(
            &crate::paths::sdg_page(n),
            "sdg.html",
            title.clone(),
            fields! { "sdg" => fields! {"number" => n, "title" => title, "projects" => projects} },
        )
    }

    pub(crate) fn fund_summary(&self, id: &str) -> Fields {
        let f = &self.data.funds[id].data;
        let mut r = self.fund_ref(id);
        r.extend(fields! {
            "acronym" => f.acronym.as_deref(),
            "type" => self.label_value("fund-types", &f.kind),
            "financing" => self.label_value("financing-types", &f.financing),
            "status" => self.label_value("fund-statuses", &f.status),
            "administered_by" => self.actor_ref_value(&f.administered_by),
            "applicants" => f.eligible.applicants.iter().map(|a| self.label_value("actor-types", a)).collect::<Vec<_>>(),
            // An empty list: the sources do not say who may apply.
            "applicants_stated" => !f.eligible.applicants.is_empty(),
            "open_to_social_movements" => f.eligible.applicants.iter().any(|a| a == "social-movement"),
            "open_to_indigenous_peoples" => f.eligible.applicants.iter().any(|a| a == "indigenous-peoples-organization"),
        });
        r
    }

    fn fund_list(&self) -> PageSpec {
        let funds: Vec<Fields> = self.data.funds.keys().map(|id| self.fund_summary(id)).collect();
        let by_applicant: Vec<Fields> = self
            .data
            .vocabularies
            .values("actor-types")
            .iter()
            .filter_map(|kind| {
                let open: Vec<Fields> = self
                    .data
                    .funds
                    .values()
                    .filter(|f| f.data.eligible.applicants.contains(&kind.id))
                    .map(|f| self.fund_ref(&f.id))
                    .collect();
                (!open.is_empty())
                    .then(|| fields! {"id" => &kind.id, "type" => kind.label(self.lang()), "funds" => open})
            })
            .collect();
        let named = |kind: &str| -> Vec<Fields> {
            self.data
                .funds
                .values()
                .filter(|f| f.data.eligible.applicants.iter().any(|a| a == kind))
                .map(|f| self.fund_ref(&f.id))
                .collect()
        };
        self.simple(
            "funds/index.html",
            "funds.html",
            self.t("funds.title"),
            fields! {
                "funds" => funds,
                "by_applicant" => by_applicant,
                "social_movements" => named("social-movement"),
                "indigenous_peoples" => named("indigenous-peoples-organization"),
            },
        )
    }

    fn fund_page(&self, id: &str) -> PageSpec {
        let record = &self.data.funds[id];
        let f = &record.data;
        let mut fund = self.fund_summary(id);
        let projects: Vec<Fields> = self.index.projects_of_fund(id).map(|p| self.project_item(p)).collect();
        fund.extend(fields! {
            "contributors" => f.contributors.iter().map(|a| self.actor_ref_value(a)).collect::<Vec<_>>(),
            "capital" => f.capital.as_ref().map(|m| self.money(m, None)),
            "grant_min" => f.grant_size.as_ref().and_then(|g| g.min.as_ref()).map(|m| self.money(m, None)),
            "grant_max" => f.grant_size.as_ref().and_then(|g| g.max.as_ref()).map(|m| self.money(m, None)),
            "eligible_countries" => f.eligible.countries.iter().map(|c| self.country(c)).collect::<Vec<_>>(),
            "eligible_regions" => f.eligible.regions.iter().map(|r| self.region(r)).collect::<Vec<_>>(),
            "eligible_modalities" => f.eligible.modalities.iter().map(|m| self.label_value("modalities", m)).collect::<Vec<_>>(),
            "sectors" => f.sectors.iter().map(|s| self.sector_ref(s)).collect::<Vec<_>>(),
            "application" => f.application.as_ref().map(|a| fields! {
                "process" => self.opt_text(&a.process), "url" => a.url.as_deref(), "deadline" => self.opt_text(&a.deadline),
                "languages" => a.languages.iter().map(String::as_str).collect::<Vec<_>>(),
            }),
            "contact" => f.contact.as_ref().map(|c| fields! {"email" => c.email.as_deref(), "url" => c.url.as_deref()}),
            "projects" => projects,
            "sources" => self.sources(&f.sources),
            "body" => self.record_body(record),
        });
        let title = self.field(record, "name", &f.name);
        self.simple(
            &crate::paths::fund_page(id),
            "fund.html",
            title,
            fields! { "fund" => fund },
        )
    }

    pub(crate) fn exchange_summary(&self, id: &str) -> Fields {
        let record = &self.data.exchanges[id];
        let e = &record.data;
        fields! {
            "id" => id,
            "kind" => self.label_value("exchange-kinds", &e.kind),
            "title" => self.field(record, "title", &e.title),
            "summary" => self.field(record, "summary", &e.summary),
            "by" => self.actor_ref_value(&e.by),
            "country" => e.country.as_ref().map(|c| self.country(c)),
            "sectors" => e.sectors.iter().map(|s| self.sector_ref(s)).collect::<Vec<_>>(),
            "modalities" => e.modalities.iter().map(|m| self.label_value("modalities", m)).collect::<Vec<_>>(),
            "posted" => self.locale.date(&e.posted),
            "open_until" => self.opt_date(&e.open_until),
            "status" => self.label_value("exchange-statuses", &e.status),
            "resulting_project" => e.resulting_project.as_ref().and_then(|p| self.data.project(p)).map(|p| fields! {
                "href" => crate::paths::project_page(&p.id), "title" => self.field(p, "title", &p.data.title),
            }),
            "sources" => self.sources(&e.sources),
        }
    }

    fn exchanges_page(&self) -> PageSpec {
        let data = self.data;
        let summaries: HashMap<&str, Fields> = data
            .exchanges
            .keys()
            .map(|id| (id.as_str(), self.exchange_summary(id)))
            .collect();
        let open = move |kind: &'static str| {
            data.exchanges
                .values()
                .filter(move |e| e.data.kind == kind && e.data.status == "open")
        };
        // Each sector an open request needs is listed once, with the open offers in it and
        // the actors with a capacity in it, and each request links to its sectors: listing
        // them under every request made the page grow with requests × actors (120 MB at
        // 50,000 initiatives).
        let requests: Vec<Fields> = open("request").map(|r| summaries[r.id.as_str()].clone()).collect();
        let needed: BTreeSet<&str> = open("request")
            .flat_map(|r| r.data.sectors.iter().map(String::as_str))
            .collect();
        let mut offers: HashMap<&str, Vec<Fields>> = HashMap::new();
        for o in open("offer") {
            let s = &summaries[o.id.as_str()];
            for sector in o.data.sectors.iter().filter(|s| needed.contains(s.as_str())) {
                offers
                    .entry(sector.as_str())
                    .or_default()
                    .push(fields! { "id" => &o.id, "title" => s.get("title").cloned(), "by" => s.get("by").cloned() });
            }
        }
        let mut actors: HashMap<&str, Vec<Fields>> = HashMap::new();
        for a in data.actors.values() {
            for sector in a.data.capacities.iter().filter(|s| needed.contains(s.as_str())) {
                actors.entry(sector.as_str()).or_default().push(self.actor_ref(&a.id));
            }
        }
        let sectors: Vec<Fields> = needed
            .iter()
            .map(|sector| {
                fields! {
                    "id" => *sector,
                    "sector" => self.sector_ref(sector),
                    "offers" => offers.remove(sector).unwrap_or_default(),
                    "actors" => actors.remove(sector).unwrap_or_default(),
                }
            })
            .collect();
        let all: Vec<Fields> = data.exchanges.keys().map(|id| summaries[id.as_str()].clone()).collect();
        self.simple(
            "exchanges/index.html",
            "exchanges.html",
            self.t("exchanges.title"),
            fields! { "requests" => requests, "sectors" => sectors, "all" => all },
        )
    }

    fn dictionary_page(&self) -> PageSpec {
        let records = crate::dictionary::describe(self.schemas, self.lang());
        self.simple(
            "data-dictionary/index.html",
            "dictionary.html",
            self.t("dictionary.title"),
            fields! { "records" => records },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dataset with no records and the built-in vocabularies (translated into the four
    /// languages, some values only in English).
    fn dataset() -> Dataset {
        let schemas = crate::schema::SchemaSet::load(std::path::Path::new("/nonexistent")).unwrap();
        let config = crate::config::SiteConfig::parse(
            "title = \"t\"\nlanguages = [\"en\", \"es\"]\ndefault_language = \"en\"\n",
            "openssc.toml",
        )
        .unwrap();
        Dataset::empty(config, schemas.vocabularies)
    }

    /// What views borrow besides the dataset, for the tests' views.
    struct Parts<'d> {
        schemas: crate::schema::SchemaSet,
        index: Index<'d>,
        rows: Rows,
        none: Refs,
    }

    impl<'d> Parts<'d> {
        fn new(data: &'d Dataset) -> Parts<'d> {
            Parts {
                schemas: crate::schema::SchemaSet::load(std::path::Path::new("/nonexistent")).unwrap(),
                index: Index::new(data),
                rows: Rows::default(),
                none: Refs::default(),
            }
        }

        /// Views of `data` in `locale`'s language, without references made ahead.
        fn views<'a>(&'a self, data: &'a Dataset, locale: &'a Arc<Locale>) -> Views<'a> {
            Views {
                data,
                schemas: &self.schemas,
                locale,
                index: &self.index,
                rows: &self.rows,
                refs: &self.none,
            }
        }
    }

    fn locale(lang: &str) -> Arc<Locale> {
        let catalog = crate::render::Theme::builtin_catalog(lang).unwrap_or_default();
        Arc::new(Locale::new(lang, catalog))
    }

    #[test]
    fn countries_are_listed_by_role_then_code() {
        let project: Project = serde_json::from_value(serde_json::json!({
            "title": "t", "summary": "s", "instrument": "project", "modality": "bilateral",
            "status": "implementation", "start": "2010", "sectors": ["health"],
            "countries": {"providers": ["ZAF", "BRA"], "recipients": ["CUB", "BRA", "ARG"],
                          "second_providers": ["DEU", "ARG"], "participants": ["ZAF", "CHL"]}
        }))
        .unwrap();
        let data = dataset();
        let parts = Parts::new(&data);
        let en = locale("en");
        let views = parts.views(&data, &en);
        assert_eq!(
            views.country_roles(&project),
            [
                ("ZAF", "provider"),
                ("BRA", "both"),
                ("ARG", "recipient"),
                ("CUB", "recipient"),
                ("DEU", "second-provider"),
                ("CHL", "participant"),
            ]
        );
    }

    #[test]
    fn references_made_once_are_those_made_each_time() {
        let mut data = dataset();
        for (id, value) in [
            (
                "gov-col",
                serde_json::json!({"name": "Ministry", "acronym": "MIN", "type": "government", "country": "COL"}),
            ),
            ("ngo-hnd", serde_json::json!({"name": "Network", "type": "ngo"})),
        ] {
            let record = Record {
                id: id.into(),
                file: format!("content/actors/{id}.md"),
                data: serde_json::from_value(value).unwrap(),
                body: String::new(),
                translations: BTreeMap::new(),
            };
            data.actors.insert(id.into(), Arc::new(record));
        }
        let parts = Parts::new(&data);
        let es = locale("es");
        let views = parts.views(&data, &es);
        let refs = views.refs();
        let cached = Views { refs: &refs, ..views };
        let json = |value: minijinja::Value| serde_json::to_string(&value).unwrap();
        for id in ["gov-col", "ngo-hnd", "no-such-actor"] {
            assert!(
                id == "no-such-actor" || refs.actors.contains_key(id),
                "{id} is made once"
            );
            assert_eq!(
                json(cached.actor_ref_value(id)),
                json(views.actor_ref(id).into_template()),
                "{id}"
            );
        }
        let fields = |f: Fields| serde_json::to_string(&f).unwrap();
        for code in ["COL", "HND", "XKX", "ZZZ"] {
            assert_eq!(fields(cached.country(code)), fields(views.make_country(code)), "{code}");
        }
        assert!(refs.countries.contains_key("COL") && !refs.countries.contains_key("ZZZ"));
        assert_eq!(
            fields(cached.country("COL")),
            r#"{"code":"COL","name":"Colombia","href":"countries/col.html"}"#
        );
        for id in ["health", "education", "no-such-sector"] {
            assert_eq!(fields(cached.sector_ref(id)), fields(views.make_sector_ref(id)), "{id}");
        }
        assert!(refs.sectors.contains_key("health"));
        assert_eq!(
            fields(cached.sector_ref("health")),
            r#"{"id":"health","name":"Salud","href":"sectors/health.html"}"#
        );
        // In Spanish, the English name is marked as such (a fallback): made in the page's language.
        assert_eq!(
            json(cached.actor_ref_value("gov-col")),
            "{\"id\":\"gov-col\",\"name\":\"\u{e000}en\u{e001}Ministry\u{e002}\",\"acronym\":\"MIN\",\
             \"href\":\"actors/gov-col.html\"}"
        );
    }

    #[test]
    fn label_values_are_the_labels_in_every_language() {
        let data = dataset();
        let parts = Parts::new(&data);
        let mut compared = 0;
        for lang in ["en", "es", "pt", "fr", "de"] {
            let locale = locale(lang);
            let views = parts.views(&data, &locale);
            for name in data.vocabularies.names() {
                for entry in data.vocabularies.values(name) {
                    let value = views.label_value(name, &entry.id);
                    assert_eq!(
                        value.as_str(),
                        Some(views.label(name, &entry.id).as_str()),
                        "{name} {lang}"
                    );
                    compared += 1;
                }
            }
            // An id no vocabulary has, and a vocabulary that does not exist: the id itself.
            assert_eq!(
                views.label_value("roles", "no-such-role").as_str(),
                Some("no-such-role")
            );
            assert_eq!(views.label_value("no-such-vocabulary", "x").as_str(), Some("x"));
        }
        assert!(compared > 100, "{compared} labels compared");
        // The labels differ by language (else the comparison would prove little).
        let (en, es) = (locale("en"), locale("es"));
        let label = |locale: &Arc<Locale>| parts.views(&data, locale).label_value("roles", "provider");
        assert_eq!(
            (label(&en).as_str(), label(&es).as_str()),
            (Some("Provider"), Some("Oferente"))
        );
    }
}
