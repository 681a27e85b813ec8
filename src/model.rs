//! The typed model: records as Rust structs, built from front matter that passed its
//! schema, gathered in one [`Dataset`] that later stages read.
//!
//! Vocabulary values (modality, role, sector, ...) stay strings: the vocabularies live in
//! `schemas/vocab/` and a site may extend them, so the schema, not the Rust type system,
//! is where they are enforced. The constants below name the values that rules need.
//!
//! Invariant: a [`Dataset`] returned with no error diagnostics has every reference
//! resolved: `dataset.actor(id)` etc. return `Some` for every id any record holds.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::config::SiteConfig;
use crate::schema::Vocabularies;

/// Text in one language or several: `"..."` or `{en: "...", es: "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    Translated(BTreeMap<String, String>),
}

impl Text {
    /// The text in `lang`, else in `default_lang`, else any; with the language it is in
    /// (`None` for a plain string, which is in the site's default language).
    pub fn get<'a>(&'a self, lang: &str, default_lang: &str) -> (&'a str, Option<&'a str>) {
        match self {
            Text::Plain(s) => (s, None),
            Text::Translated(map) => {
                for l in [lang, default_lang] {
                    if let Some((k, v)) = map.get_key_value(l) {
                        return (v, Some(k));
                    }
                }
                map.iter()
                    .next()
                    .map_or(("", None), |(k, v)| (v.as_str(), Some(k.as_str())))
            }
        }
    }

    /// The languages this text is given in (empty for a plain string).
    pub fn languages(&self) -> Vec<&str> {
        match self {
            Text::Plain(_) => Vec::new(),
            Text::Translated(map) => map.keys().map(String::as_str).collect(),
        }
    }
}

/// A possibly partial date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. The parts are kept as
/// written; [`PartialDate::is_real`] tells whether they name a calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialDate {
    pub year: i32,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (shape only, not calendar validity).
    pub fn parse(s: &str) -> Option<PartialDate> {
        let mut parts = s.split('-');
        let year = parts.next().filter(|y| y.len() == 4)?.parse().ok()?;
        let month = match parts.next() {
            Some(m) if m.len() == 2 => Some(m.parse().ok()?),
            Some(_) => return None,
            None => None,
        };
        let day = match parts.next() {
            Some(d) if d.len() == 2 => Some(d.parse().ok()?),
            Some(_) => return None,
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(PartialDate { year, month, day })
    }

    /// Does this name a real calendar date (month 1-12, day within the month)?
    pub fn is_real(&self) -> bool {
        match (self.month, self.day) {
            (None, None) => true,
            (Some(m), None) => (1..=12).contains(&m),
            (Some(m), Some(d)) => (1..=12).contains(&m) && d >= 1 && d <= days_in_month(self.year, m),
            (None, Some(_)) => false,
        }
    }

    /// The first day it can mean: `2011` is 2011-01-01.
    pub fn first_day(&self) -> (i32, u32, u32) {
        (self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    /// The last day it can mean: `2011` is 2011-12-31, `2012-02` is 2012-02-29.
    pub fn last_day(&self) -> (i32, u32, u32) {
        let month = self.month.unwrap_or(12);
        (
            self.year,
            month,
            self.day.unwrap_or_else(|| days_in_month(self.year, month)),
        )
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

/// Serialized as written (`2011`, `2011-05`, `2011-05-03`), as the downloads give dates.
impl Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = PartialDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date: YYYY, YYYY-MM or YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PartialDate, E> {
                PartialDate::parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PartialDate, E> {
                match i32::try_from(v) {
                    Ok(year) if (1000..=9999).contains(&year) => Ok(PartialDate {
                        year,
                        month: None,
                        day: None,
                    }),
                    _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PartialDate, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }
        }
        deserializer.deserialize_any(DateVisitor)
    }
}

/// An amount in a currency, for the year it refers to.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Money {
    pub amount: f64,
    pub currency: String,
    #[serde(default)]
    pub year: Option<i32>,
}

impl Money {
    /// The value in US dollars: `amount / per_usd[currency][year]`, where `year` is the
    /// money's own year, else `default_year` (a project's start year). US dollars need no
    /// rate. `None` when the year or the rate is missing.
    pub fn to_usd(&self, rates: Option<&ExchangeRates>, default_year: Option<i32>) -> Option<f64> {
        if self.currency == "USD" {
            return Some(self.amount);
        }
        let year = self.year.or(default_year)?;
        Some(self.amount / rates?.rate(&self.currency, year)?)
    }
}

/// A document the information comes from.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Source {
    pub title: String,
    #[serde(default)]
    pub publisher: Option<String>,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub pages: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// An answer with its evidence.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct AnsweredQuestion {
    pub answer: String,
    #[serde(default)]
    pub evidence: Option<Text>,
}

/// Modality values the rules refer to.
pub mod modality {
    pub const BILATERAL: &str = "bilateral";
    pub const TRIANGULAR: &str = "triangular";
    pub const REGIONAL: &str = "regional";
}

/// The role of a participant who is a triangular initiative's supporting partner.
pub const ROLE_SECOND_PROVIDER: &str = "second-provider";

/// The countries of an initiative, by role.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct ProjectCountries {
    #[serde(default)]
    pub providers: Vec<String>,
    #[serde(default)]
    pub recipients: Vec<String>,
    #[serde(default)]
    pub second_providers: Vec<String>,
    #[serde(default)]
    pub participants: Vec<String>,
}

impl ProjectCountries {
    /// Every list with its field name, for rules and pages.
    pub fn lists(&self) -> [(&'static str, &[String]); 4] {
        [
            ("providers", &self.providers),
            ("recipients", &self.recipients),
            ("second_providers", &self.second_providers),
            ("participants", &self.participants),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct InKind {
    #[serde(default)]
    pub description: Option<Text>,
    #[serde(default)]
    pub value: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Staff {
    #[serde(default)]
    pub people: Option<u64>,
    #[serde(default)]
    pub person_days: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Contribution {
    #[serde(default)]
    pub financial: Option<Money>,
    #[serde(default)]
    pub in_kind: Option<InKind>,
    #[serde(default)]
    pub staff: Option<Staff>,
}

/// Who took part in an initiative, in what role, in which phases.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Participant {
    pub actor: String,
    pub role: String,
    #[serde(default)]
    pub phases: Vec<String>,
    #[serde(default)]
    pub contribution: Option<Contribution>,
    #[serde(default)]
    pub note: Option<Text>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Transaction {
    pub date: PartialDate,
    #[serde(rename = "type")]
    pub kind: String,
    pub amount: Money,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Financing {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub budget: Option<Money>,
    #[serde(default)]
    pub funds: Vec<String>,
    #[serde(default)]
    pub transactions: Vec<Transaction>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Beneficiaries {
    #[serde(default)]
    pub people: Option<u64>,
    #[serde(default)]
    pub women: Option<u64>,
    #[serde(default)]
    pub men: Option<u64>,
    #[serde(default)]
    pub other: Option<u64>,
    #[serde(default)]
    pub organizations: Option<u64>,
    #[serde(default)]
    pub description: Option<Text>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Measure {
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub year: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct ResultIndicator {
    pub indicator: Text,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub baseline: Option<Measure>,
    #[serde(default)]
    pub target: Option<Measure>,
    #[serde(default)]
    pub actual: Option<Measure>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Consultation {
    #[serde(default)]
    pub mechanism: Option<Text>,
    #[serde(default)]
    pub indigenous_peoples: Option<AnsweredQuestion>,
    #[serde(default)]
    pub social_movements: Option<AnsweredQuestion>,
    #[serde(default)]
    pub womens_organizations: Option<AnsweredQuestion>,
}

/// The six questions every SSC process should answer, by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Evaluation {
    #[serde(default)]
    pub date: Option<PartialDate>,
    #[serde(default)]
    pub by: Vec<String>,
    #[serde(default)]
    pub questions: BTreeMap<String, AnsweredQuestion>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct FollowUp {
    #[serde(default)]
    pub date: Option<PartialDate>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub summary: Option<Text>,
    #[serde(default)]
    pub source: Option<Source>,
}

fn default_outcome() -> String {
    "unknown".into()
}

/// One SSC initiative (`content/projects/<id>.md`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Project {
    pub title: Text,
    pub summary: Text,
    pub instrument: String,
    pub modality: String,
    pub status: String,
    pub start: PartialDate,
    #[serde(default)]
    pub end: Option<PartialDate>,
    #[serde(default)]
    pub countries: ProjectCountries,
    #[serde(default)]
    pub regional_mechanism: Option<String>,
    pub sectors: Vec<String>,
    #[serde(default)]
    pub sdgs: Vec<u8>,
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(default)]
    pub financing: Option<Financing>,
    #[serde(default)]
    pub beneficiaries: Option<Beneficiaries>,
    #[serde(default)]
    pub results: Vec<ResultIndicator>,
    #[serde(default)]
    pub consultation: Option<Consultation>,
    #[serde(default)]
    pub evaluation: Option<Evaluation>,
    #[serde(default = "default_outcome")]
    pub outcome: String,
    #[serde(default)]
    pub lessons: Option<Text>,
    #[serde(default)]
    pub monitoring: Vec<FollowUp>,
    #[serde(default)]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// One organization (`content/actors/<id>.md`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Actor {
    pub name: Text,
    #[serde(default)]
    pub acronym: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub founded: Option<i32>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub capacities: Vec<String>,
    #[serde(default)]
    pub capacities_note: Option<Text>,
    #[serde(default)]
    pub sources: Vec<Source>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct GrantSize {
    #[serde(default)]
    pub min: Option<Money>,
    #[serde(default)]
    pub max: Option<Money>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Eligibility {
    pub applicants: Vec<String>,
    #[serde(default)]
    pub countries: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub modalities: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Application {
    #[serde(default)]
    pub process: Option<Text>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub deadline: Option<Text>,
    #[serde(default)]
    pub languages: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Contact {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// One financing source (`content/funds/<id>.md`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Fund {
    pub name: Text,
    #[serde(default)]
    pub acronym: Option<String>,
    pub administered_by: String,
    #[serde(default)]
    pub contributors: Vec<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub financing: String,
    #[serde(default)]
    pub capital: Option<Money>,
    #[serde(default)]
    pub grant_size: Option<GrantSize>,
    pub eligible: Eligibility,
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub application: Option<Application>,
    #[serde(default)]
    pub contact: Option<Contact>,
    pub status: String,
    #[serde(default)]
    pub sources: Vec<Source>,
}

/// An offer of, or request for, cooperation (`content/exchanges/<id>.md`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Exchange {
    pub kind: String,
    pub by: String,
    #[serde(default)]
    pub country: Option<String>,
    pub title: Text,
    pub summary: Text,
    pub sectors: Vec<String>,
    #[serde(default)]
    pub modalities: Vec<String>,
    pub posted: PartialDate,
    #[serde(default)]
    pub open_until: Option<PartialDate>,
    pub status: String,
    #[serde(default)]
    pub resulting_project: Option<String>,
    #[serde(default)]
    pub sources: Vec<Source>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Period {
    pub from: PartialDate,
    pub to: PartialDate,
}

/// The front matter of `content/reports/<year>/index.md`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ReportEdition {
    pub title: Text,
    pub period: Period,
    pub status: String,
    #[serde(default)]
    pub published: Option<PartialDate>,
}

/// The front matter of a chapter of an edition.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Chapter {
    pub title: Text,
    pub order: u32,
}

/// `content/data/exchange-rates.yaml`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct ExchangeRates {
    pub source: Source,
    /// Units of the currency per US dollar, by currency and year.
    #[serde(default)]
    pub per_usd: BTreeMap<String, BTreeMap<String, f64>>,
}

impl ExchangeRates {
    /// The rate for `currency` in `year`; US dollars need none.
    pub fn rate(&self, currency: &str, year: i32) -> Option<f64> {
        if currency == "USD" {
            return Some(1.0);
        }
        // The year as text without allocating: amounts are converted for every page, table
        // row and download that shows them.
        let mut digits = [0u8; 12];
        let len = {
            let mut rest = &mut digits[..];
            std::io::Write::write_fmt(&mut rest, format_args!("{year}")).ok()?;
            12 - rest.len()
        };
        let year = std::str::from_utf8(&digits[..len]).ok()?;
        self.per_usd.get(currency)?.get(year).copied()
    }
}

/// One entry of `content/data/countries.yaml`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct CountryFacts {
    #[serde(default)]
    pub gni_usd: BTreeMap<String, f64>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub sources: Vec<Source>,
}

/// A translation file `<id>.<lang>.md`: translated fields and body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Translation {
    pub file: String,
    pub fields: BTreeMap<String, String>,
    pub body: String,
}

/// A record with its id, file, Markdown body and translations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record<T> {
    pub id: String,
    pub file: String,
    pub data: T,
    pub body: String,
    /// Translations by language.
    pub translations: BTreeMap<String, Translation>,
}

/// One annual edition of the report with its chapters in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Edition {
    pub year: i32,
    pub index: Record<ReportEdition>,
    /// Sorted by `order`, then id.
    pub chapters: Vec<Record<Chapter>>,
}

/// The records of one collection: in the order of their ids, as a `BTreeMap` keeps them
/// (every iteration is deterministic), and found by id through a hash index.
///
/// Why not a `BTreeMap`: pages, downloads and rules look records up by id a few hundred
/// thousand times in a build of 10,000 initiatives (each participant's actor, each
/// reference checked and resolved). In a `BTreeMap` each lookup compares the id with a
/// dozen keys on the way down, each a call to `memcmp` over ids that share a long prefix
/// (`project-0001…`) and a read of another key's memory: a cost that grows with the
/// collection. Here a lookup hashes the id once and compares one key.
#[derive(Debug, Clone)]
pub struct Records<T> {
    /// Sorted by id, always: every change goes through a method that keeps the order.
    map: indexmap::IndexMap<String, Arc<Record<T>>, foldhash::fast::FixedState>,
}

impl<T> Default for Records<T> {
    fn default() -> Records<T> {
        Records {
            map: indexmap::IndexMap::default(),
        }
    }
}

impl<T> Records<T> {
    /// The record with id `id`.
    pub fn get(&self, id: &str) -> Option<&Arc<Record<T>>> {
        self.map.get(id)
    }

    /// The record with id `id`, to change (the order of ids stays as it is).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Arc<Record<T>>> {
        self.map.get_mut(id)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.map.contains_key(id)
    }

    /// Adds or replaces the record with id `id`, at its place in the order of ids; returns
    /// the record it replaces.
    pub fn insert(&mut self, id: String, record: Arc<Record<T>>) -> Option<Arc<Record<T>>> {
        if let Some(old) = self.map.get_mut(&id) {
            return Some(std::mem::replace(old, record));
        }
        let at = self.map.binary_search_keys(&id).unwrap_or_else(|at| at);
        self.map.shift_insert(at, id, record);
        None
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The ids, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.map.keys()
    }

    /// The records, in the order of their ids.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Arc<Record<T>>> + ExactSizeIterator {
        self.map.values()
    }

    /// The records, in the order of their ids, on every core.
    pub fn par_values(&self) -> impl rayon::iter::IndexedParallelIterator<Item = &Arc<Record<T>>>
    where
        T: Send + Sync,
    {
        self.map.par_values()
    }

    /// `(id, record)` pairs, in the order of ids.
    pub fn iter(&self) -> indexmap::map::Iter<'_, String, Arc<Record<T>>> {
        self.map.iter()
    }
}

/// Records by id, in the order of ids whatever the order given; of two records with one
/// id, the later one (as a `BTreeMap` collected would keep).
impl<T> FromIterator<(String, Arc<Record<T>>)> for Records<T> {
    fn from_iter<I: IntoIterator<Item = (String, Arc<Record<T>>)>>(items: I) -> Records<T> {
        let mut items: Vec<(String, Arc<Record<T>>)> = items.into_iter().collect();
        // Stable: of equal ids the later stays later, and `IndexMap` keeps the value last
        // inserted for a key.
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let mut map = indexmap::IndexMap::with_capacity_and_hasher(items.len(), Default::default());
        map.extend(items);
        Records { map }
    }
}

impl<'r, T> IntoIterator for &'r Records<T> {
    type Item = (&'r String, &'r Arc<Record<T>>);
    type IntoIter = indexmap::map::Iter<'r, String, Arc<Record<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

impl<T> std::ops::Index<&str> for Records<T> {
    type Output = Arc<Record<T>>;
    /// The record with id `id`; panics when there is none (for ids taken from the records).
    fn index(&self, id: &str) -> &Arc<Record<T>> {
        &self.map[id]
    }
}

/// Everything a site holds, validated and typed. Records are in the order of their ids,
/// so every iteration is deterministic.
#[derive(Debug)]
pub struct Dataset {
    pub config: SiteConfig,
    pub vocabularies: Vocabularies,
    // Records are shared (`Arc`) so that `serve`'s incremental builds reuse the records of
    // unchanged files without copying them.
    pub projects: Records<Project>,
    pub actors: Records<Actor>,
    pub funds: Records<Fund>,
    pub exchanges: Records<Exchange>,
    pub editions: BTreeMap<i32, Edition>,
    pub exchange_rates: Option<ExchangeRates>,
    pub country_facts: BTreeMap<String, CountryFacts>,
}

impl Dataset {
    /// A dataset of no records, with the site's configuration and vocabularies.
    pub fn empty(config: SiteConfig, vocabularies: Vocabularies) -> Dataset {
        Dataset {
            config,
            vocabularies,
            projects: Records::default(),
            actors: Records::default(),
            funds: Records::default(),
            exchanges: Records::default(),
            editions: BTreeMap::new(),
            exchange_rates: None,
            country_facts: BTreeMap::new(),
        }
    }

    pub fn actor(&self, id: &str) -> Option<&Record<Actor>> {
        self.actors.get(id).map(|r| &**r)
    }
    pub fn fund(&self, id: &str) -> Option<&Record<Fund>> {
        self.funds.get(id).map(|r| &**r)
    }
    pub fn project(&self, id: &str) -> Option<&Record<Project>> {
        self.projects.get(id).map(|r| &**r)
    }

    /// The USD value of `money`, using the money's year or else `default_year`.
    pub fn to_usd(&self, money: &Money, default_year: Option<i32>) -> Option<f64> {
        money.to_usd(self.exchange_rates.as_ref(), default_year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_stay_in_the_order_of_ids_whatever_the_order_they_come_in() {
        let record = |id: &str, body: &str| {
            Arc::new(Record {
                id: id.to_owned(),
                file: format!("content/projects/{id}.md"),
                data: (),
                body: body.to_owned(),
                translations: BTreeMap::new(),
            })
        };
        let ids = ["p-10", "p-2", "p-1", "p-30", "p-2"];
        let mut records: Records<()> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.to_string(), record(id, &i.to_string())))
            .collect();
        // As a `BTreeMap` collected: sorted, the later of two records with one id kept.
        let btree: BTreeMap<String, Arc<Record<()>>> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.to_string(), record(id, &i.to_string())))
            .collect();
        let pairs = |r: &Records<()>| r.iter().map(|(id, r)| (id.clone(), r.body.clone())).collect::<Vec<_>>();
        assert_eq!(
            pairs(&records),
            btree
                .iter()
                .map(|(id, r)| (id.clone(), r.body.clone()))
                .collect::<Vec<_>>()
        );
        assert_eq!(records.get("p-2").map(|r| r.body.as_str()), Some("4"));
        // Added and replaced at their place.
        assert!(records.insert("p-15".into(), record("p-15", "new")).is_none());
        assert!(records.insert("p-0".into(), record("p-0", "first")).is_none());
        assert!(records.insert("p-9".into(), record("p-9", "last")).is_none());
        assert_eq!(
            records
                .insert("p-10".into(), record("p-10", "again"))
                .map(|r| r.body.clone()),
            Some("0".into())
        );
        let ids: Vec<&str> = records.keys().map(String::as_str).collect();
        assert_eq!(ids, ["p-0", "p-1", "p-10", "p-15", "p-2", "p-30", "p-9"]);
        assert_eq!(records["p-10"].body, "again");
        assert_eq!(records.len(), 7);
        assert!(records.contains_key("p-9") && !records.contains_key("p-4"));
        let in_parallel: Vec<&str> =
            rayon::iter::ParallelIterator::collect(rayon::iter::ParallelIterator::map(records.par_values(), |r| {
                r.id.as_str()
            }));
        assert_eq!(in_parallel, ids);
    }

    #[test]
    fn partial_dates_parse_and_span_their_period() {
        let d = PartialDate::parse("2012-02").unwrap();
        assert_eq!(d.first_day(), (2012, 2, 1));
        assert_eq!(d.last_day(), (2012, 2, 29));
        assert_eq!(PartialDate::parse("2011").unwrap().last_day(), (2011, 12, 31));
        assert!(PartialDate::parse("2011-5").is_none());
        assert!(PartialDate::parse("2011-05-03-01").is_none());
        assert!(!PartialDate::parse("2011-02-29").unwrap().is_real());
        assert!(PartialDate::parse("2012-02-29").unwrap().is_real());
        assert!(!PartialDate::parse("2011-13").unwrap().is_real());
        let year: PartialDate = serde_json::from_value(json!(2011)).unwrap();
        assert_eq!(year.to_string(), "2011");
    }

    #[test]
    fn text_falls_back_to_the_default_language() {
        let t: Text =
            serde_json::from_value(json!({"en": "Farmer to farmer", "es": "De campesino a campesino"})).unwrap();
        assert_eq!(t.get("es", "en"), ("De campesino a campesino", Some("es")));
        assert_eq!(t.get("fr", "en"), ("Farmer to farmer", Some("en")));
        let plain: Text = serde_json::from_value(json!("Hola")).unwrap();
        assert_eq!(plain.get("fr", "en"), ("Hola", None));
    }

    #[test]
    fn money_converts_with_its_own_year_or_the_default() {
        let rates: ExchangeRates = serde_json::from_value(json!({
            "source": {"title": "t"}, "per_usd": {"MXN": {"2011": 12.5, "2012": 10.0}}
        }))
        .unwrap();
        let undated = Money {
            amount: 125.0,
            currency: "MXN".into(),
            year: None,
        };
        assert_eq!(undated.to_usd(Some(&rates), Some(2011)), Some(10.0));
        assert_eq!(undated.to_usd(Some(&rates), Some(2013)), None);
        assert_eq!(undated.to_usd(Some(&rates), None), None);
        let dated = Money {
            year: Some(2012),
            ..undated.clone()
        };
        assert_eq!(dated.to_usd(Some(&rates), Some(2011)), Some(12.5));
        let usd = Money {
            amount: 80000.0,
            currency: "USD".into(),
            year: None,
        };
        assert_eq!(usd.to_usd(None, None), Some(80000.0));
        assert_eq!(undated.to_usd(None, Some(2011)), None);
    }
}
