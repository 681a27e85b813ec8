//! Aggregation: what the report counts, computed from the records.
//!
//! An edition counts the projects whose `[start, end]` overlaps its period ([`overlaps`]).
//! [`figures`] computes every named figure of [`FIGURES`] for an edition; [`figures_json`]
//! writes them in the shape of `data/reports/<year>/figures.json`.
//!
//! Money is converted to US dollars with `per_usd[currency][year]`, where `year` is the
//! Money's own year, else the project's start year; a contribution is "dated in the edition
//! year" when that year equals the edition's year.
//!
//! Invariant: no I/O and no formatting here: plain numbers from the [`Dataset`], and every
//! row carries the ids of the records it counts, so every figure can be traced to them.
//! A value that cannot be computed is `None` (`null` in JSON, "no data" on pages): unknown
//! is never zero.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::Serialize;

use crate::model::{Dataset, Edition, Money, Period, Project, Record};
use crate::schema::Vocabularies;

/// Does the project overlap the period? A partial start means its first day, a partial
/// end its last day, and no end means ongoing.
pub fn overlaps(project: &Project, period: &Period) -> bool {
    let starts_in_time = project.start.first_day() <= period.to.last_day();
    let not_ended_before = project.end.is_none_or(|end| end.last_day() >= period.from.first_day());
    starts_in_time && not_ended_before
}

/// The projects an edition counts, in id order.
pub fn edition_scope<'a>(dataset: &'a Dataset, edition: &Edition) -> Vec<&'a Record<Project>> {
    dataset
        .projects
        .values()
        .filter(|p| overlaps(&p.data, &edition.index.data.period))
        .map(|p| &**p)
        .collect()
}

/// Does any participant of the project belong to an actor type that counts as civil society?
pub fn has_civil_society(dataset: &Dataset, project: &Project) -> bool {
    project.participants.iter().any(|participant| {
        dataset
            .actor(&participant.actor)
            .is_some_and(|actor| dataset.vocabularies.is_civil_society(&actor.data.kind))
    })
}

/// The headline figures of an edition, for its cover and the home page.
#[derive(Clone, Debug, PartialEq)]
pub struct Headline {
    /// Ids of the projects in scope.
    pub projects: Vec<String>,
    /// Count of projects per modality, in vocabulary order of appearance (sorted by key).
    pub by_modality: BTreeMap<String, usize>,
    /// Distinct countries named in any country list of the projects in scope.
    pub countries: usize,
    /// Projects with at least one civil-society participant.
    pub with_civil_society: usize,
}

/// Computes the headline figures of `edition`.
pub fn headline(dataset: &Dataset, edition: &Edition) -> Headline {
    let scope = edition_scope(dataset, edition);
    let mut by_modality = BTreeMap::new();
    let mut countries = BTreeSet::new();
    let mut with_civil_society = 0;
    for project in &scope {
        *by_modality.entry(project.data.modality.clone()).or_insert(0) += 1;
        for (_, list) in project.data.countries.lists() {
            countries.extend(list.iter().cloned());
        }
        if has_civil_society(dataset, &project.data) {
            with_civil_society += 1;
        }
    }
    Headline {
        projects: scope.iter().map(|p| p.id.clone()).collect(),
        by_modality,
        countries: countries.len(),
        with_civil_society,
    }
}

// ---------------------------------------------------------------------------------------
// Named figures

/// The key of a row: one value, or two for a two-way table (`[actor type, phase]`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum Key {
    One(String),
    Two(String, String),
}

impl Key {
    fn one(s: impl Into<String>) -> Key {
        Key::One(s.into())
    }

    fn two(a: impl Into<String>, b: impl Into<String>) -> Key {
        Key::Two(a.into(), b.into())
    }

    /// The parts of the key, one or two.
    pub fn parts(&self) -> Vec<&str> {
        match self {
            Key::One(a) => vec![a],
            Key::Two(a, b) => vec![a, b],
        }
    }

    /// How many parts the key has: one or two.
    pub fn arity(&self) -> usize {
        match self {
            Key::One(_) => 1,
            Key::Two(..) => 2,
        }
    }

    /// Are the key's parts `parts`? (Without the vector [`Key::parts`] makes: a figure's
    /// table and chart look up every cell among its rows.)
    pub fn is(&self, parts: &[&str]) -> bool {
        match (self, parts) {
            (Key::One(a), [p]) => a == p,
            (Key::Two(a, b), [p, q]) => a == p && b == q,
            _ => false,
        }
    }
}

/// A computed value: a count, or an amount (US dollars, people, a fraction).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Number {
    Count(u64),
    Amount(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Count(n) => n as f64,
            Number::Amount(x) => x,
        }
    }
}

/// One row of a figure: its key, its value (`None`: no data) and the ids of the records it
/// counts, sorted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub key: Key,
    pub value: Option<Number>,
    pub records: Vec<String>,
}

/// One part of a key, for checking the keys editors write in chapters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPart {
    /// A value of the vocabulary `schemas/vocab/<name>.yaml`.
    Vocab(&'static str),
    /// A value of the vocabulary, or one of the extra values.
    VocabOr(&'static str, &'static [&'static str]),
    /// An ISO 3166-1 alpha-3 code.
    Country,
    /// A Sustainable Development Goal, 1 to 17.
    Sdg,
    /// A year, four digits.
    Year,
    /// One of these values.
    Fixed(&'static [&'static str]),
}

/// What a valid key without a row means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Absent {
    /// A count that found nothing: zero.
    Zero,
    /// A sum or a share that has nothing to add up: no data.
    NoData,
}

/// The definition of a named figure.
#[derive(Debug)]
pub struct FigureDef {
    pub name: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    /// The shapes a key may take: each alternative is a sequence of parts.
    pub keys: &'static [&'static [KeyPart]],
    pub absent: Absent,
    compute: fn(&Ctx<'_>) -> Vec<Row>,
}

/// The consultation questions of a project, in the order of the record format.
pub const CONSULTATION_QUESTIONS: &[&str] = &["indigenous_peoples", "social_movements", "womens_organizations"];
/// The phase under which a participant without phases is counted.
pub const UNSPECIFIED_PHASE: &str = "unspecified";
/// The roles whose contributions count as a country's SSC in `ssc_share_of_gni`.
pub const PROVIDING_ROLES: &[&str] = &["provider", "second-provider", "funder"];

const INITIATIVES: &str = "initiatives";
const USD: &str = "USD";

/// Every named figure, in the order of `figures.json` and of the report's annex.
pub static FIGURES: &[FigureDef] = &[
    FigureDef {
        name: "initiatives_by_modality",
        title: "Initiatives by modality",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Vocab("modalities")]],
        absent: Absent::Zero,
        compute: |c| c.by_vocab("modalities", |p| vec![p.modality.clone()]),
    },
    FigureDef {
        name: "initiatives_by_instrument",
        title: "Initiatives by instrument",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Vocab("instruments")]],
        absent: Absent::Zero,
        compute: |c| c.by_vocab("instruments", |p| vec![p.instrument.clone()]),
    },
    FigureDef {
        name: "outcomes",
        title: "Initiatives by outcome",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Vocab("outcomes")]],
        absent: Absent::Zero,
        compute: |c| c.by_vocab("outcomes", |p| vec![p.outcome.clone()]),
    },
    FigureDef {
        name: "providers",
        title: "Initiatives per provider country",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Country]],
        absent: Absent::Zero,
        compute: |c| c.ranked(c.count(|p| p.countries.providers.clone()), None),
    },
    FigureDef {
        name: "recipients",
        title: "Initiatives per recipient country",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Country]],
        absent: Absent::Zero,
        compute: |c| c.ranked(c.count(|p| p.countries.recipients.clone()), None),
    },
    FigureDef {
        name: "budget_usd_by_modality",
        title: "Budget by modality (US dollars)",
        unit: USD,
        keys: &[&[KeyPart::Vocab("modalities")]],
        absent: Absent::NoData,
        compute: budget_usd_by_modality,
    },
    FigureDef {
        name: "participation_by_actor_type_and_phase",
        title: "Participation by actor type and phase",
        unit: "participant-phases",
        keys: &[&[
            KeyPart::Vocab("actor-types"),
            KeyPart::VocabOr("phases", &[UNSPECIFIED_PHASE]),
        ]],
        absent: Absent::Zero,
        compute: participation_by_actor_type_and_phase,
    },
    FigureDef {
        name: "civil_society_share",
        title: "Initiatives with civil-society participants",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Fixed(&["with_civil_society", "total"])]],
        absent: Absent::Zero,
        compute: civil_society_share,
    },
    FigureDef {
        name: "beneficiaries_by_sex",
        title: "Beneficiaries by sex",
        unit: "people",
        keys: &[&[KeyPart::Fixed(&[
            "women",
            "men",
            "other",
            "people",
            "projects_reporting_people",
            "projects_reporting_sex",
        ])]],
        absent: Absent::NoData,
        compute: beneficiaries_by_sex,
    },
    FigureDef {
        name: "evaluation_answers",
        title: "Answers to the six evaluation questions",
        unit: INITIATIVES,
        keys: &[
            &[KeyPart::Vocab("evaluation-questions"), KeyPart::Vocab("answers")],
            &[KeyPart::Fixed(&["not_evaluated"])],
        ],
        absent: Absent::Zero,
        compute: evaluation_answers,
    },
    FigureDef {
        name: "contributions_usd_by_actor_type",
        title: "Contributions dated in the edition year, by type of contributor (US dollars)",
        unit: USD,
        keys: &[&[KeyPart::Vocab("actor-types")]],
        absent: Absent::NoData,
        compute: contributions_usd_by_actor_type,
    },
    FigureDef {
        name: "ssc_share_of_gni",
        title: "Contributions of providers and funders as a share of their country's GNI",
        unit: "fraction",
        keys: &[&[KeyPart::Country]],
        absent: Absent::NoData,
        compute: ssc_share_of_gni,
    },
    FigureDef {
        name: "data_completeness",
        title: "Initiatives with each key field recorded",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Fixed(&[
            "budget",
            "beneficiaries",
            "evaluation",
            "sources",
            "participants",
            "total",
        ])]],
        absent: Absent::Zero,
        compute: data_completeness,
    },
    FigureDef {
        name: "flows",
        title: "Initiatives from provider to recipient countries",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Country, KeyPart::Country]],
        absent: Absent::Zero,
        compute: flows,
    },
    FigureDef {
        name: "initiatives_by_sector",
        title: "Initiatives by sector",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Vocab("sectors")]],
        absent: Absent::Zero,
        compute: |c| c.ranked(c.count(|p| p.sectors.clone()), Some("sectors")),
    },
    FigureDef {
        name: "initiatives_by_sdg",
        title: "Initiatives by Sustainable Development Goal",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Sdg]],
        absent: Absent::Zero,
        compute: initiatives_by_sdg,
    },
    FigureDef {
        name: "initiatives_by_start_year",
        title: "Initiatives by start year",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Year]],
        absent: Absent::Zero,
        compute: initiatives_by_start_year,
    },
    FigureDef {
        name: "initiatives_by_status",
        title: "Initiatives by status",
        unit: INITIATIVES,
        keys: &[&[KeyPart::Vocab("project-statuses")]],
        absent: Absent::Zero,
        compute: |c| c.by_vocab("project-statuses", |p| vec![p.status.clone()]),
    },
    FigureDef {
        name: "consultation_answers",
        title: "Consultation of Indigenous Peoples, social movements and women's organizations",
        unit: INITIATIVES,
        keys: &[
            &[KeyPart::Fixed(CONSULTATION_QUESTIONS), KeyPart::Vocab("answers")],
            &[KeyPart::Fixed(&["not_recorded"])],
        ],
        absent: Absent::Zero,
        compute: consultation_answers,
    },
];

/// The definition of the figure called `name`.
pub fn figure_def(name: &str) -> Option<&'static FigureDef> {
    FIGURES.iter().find(|f| f.name == name)
}

/// A computed figure.
#[derive(Clone, Debug)]
pub struct Figure {
    pub def: &'static FigureDef,
    pub rows: Vec<Row>,
}

/// What a key names in a figure.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup<'a> {
    /// A row of the figure.
    Row(&'a Row),
    /// A valid key the figure has no row for, whose value is zero.
    Zero,
    /// A valid key that has no value: no data.
    NoData,
}

impl Figure {
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// Does the figure have any value at all? If not, it says "no data".
    pub fn has_data(&self) -> bool {
        self.rows.iter().any(|r| r.value.is_some())
    }

    /// Are the keys of this figure pairs (a two-way table)?
    pub fn two_way(&self) -> bool {
        self.def.keys.iter().all(|k| k.len() == 2) || self.rows.iter().any(|r| matches!(r.key, Key::Two(..)))
    }

    /// The row with these key parts, or what a missing row means. The key must be valid
    /// ([`check_key`]).
    pub fn lookup(&self, parts: &[&str]) -> Lookup<'_> {
        match self.rows.iter().find(|r| r.key.is(parts)) {
            Some(row) => Lookup::Row(row),
            None if self.def.absent == Absent::Zero => Lookup::Zero,
            None => Lookup::NoData,
        }
    }
}

/// Is `parts` a key the figure can have? `Err` says why not, for a diagnostic.
pub fn check_key(def: &FigureDef, parts: &[&str], vocabularies: &Vocabularies) -> Result<(), String> {
    let shapes = def.keys.iter().filter(|shape| shape.len() == parts.len());
    let mut reason = None;
    for shape in shapes {
        match shape
            .iter()
            .zip(parts)
            .find(|(kind, value)| !key_part_ok(**kind, value, vocabularies))
        {
            None => return Ok(()),
            Some((kind, value)) => {
                reason.get_or_insert_with(|| format!("`{value}` is not {}", describe_part(*kind)));
            }
        }
    }
    Err(reason.unwrap_or_else(|| {
        let shapes: Vec<String> = def
            .keys
            .iter()
            .map(|shape| {
                shape
                    .iter()
                    .map(|k| describe_part(*k))
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .collect();
        format!("a key of `{}` is {}", def.name, shapes.join(", or "))
    }))
}

/// The kinds of the parts of a valid key (for labels), or `None` if the key is not valid.
pub fn key_shape(def: &FigureDef, parts: &[&str], vocabularies: &Vocabularies) -> Option<&'static [KeyPart]> {
    def.keys.iter().copied().find(|shape| {
        shape.len() == parts.len()
            && shape
                .iter()
                .zip(parts)
                .all(|(kind, value)| key_part_ok(*kind, value, vocabularies))
    })
}

fn key_part_ok(kind: KeyPart, value: &str, vocabularies: &Vocabularies) -> bool {
    match kind {
        KeyPart::Vocab(name) => vocabularies.get(name, value).is_some(),
        KeyPart::VocabOr(name, extra) => vocabularies.get(name, value).is_some() || extra.contains(&value),
        KeyPart::Country => crate::countries::get(value).is_some(),
        KeyPart::Sdg => value.parse::<u8>().is_ok_and(|n| (1..=17).contains(&n)) && !value.starts_with('0'),
        KeyPart::Year => value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit()),
        KeyPart::Fixed(values) => values.contains(&value),
    }
}

fn describe_part(kind: KeyPart) -> String {
    match kind {
        KeyPart::Vocab(name) => format!("a value of schemas/vocab/{name}.yaml"),
        KeyPart::VocabOr(name, extra) => format!("a value of schemas/vocab/{name}.yaml or `{}`", extra.join("`, `")),
        KeyPart::Country => "an ISO 3166-1 alpha-3 code".into(),
        KeyPart::Sdg => "an SDG number from 1 to 17".into(),
        KeyPart::Year => "a year (four digits)".into(),
        KeyPart::Fixed(values) => format!("one of `{}`", values.join("`, `")),
    }
}

/// Every named figure of `edition`, in [`FIGURES`] order.
pub fn figures(dataset: &Dataset, edition: &Edition) -> Vec<Figure> {
    let ctx = Ctx {
        data: dataset,
        year: edition.year,
        scope: edition_scope(dataset, edition),
    };
    // Each figure is a pass over the edition's initiatives: on either core (the build's
    // other work waits for them).
    FIGURES
        .par_iter()
        .map(|def| Figure {
            def,
            rows: (def.compute)(&ctx),
        })
        .collect()
}

/// `data/reports/<year>/figures.json`: `{"edition": year, "figures": {name: {title, unit,
/// rows: [{key, value, records}]}}}`, keys in this order, figures in [`FIGURES`] order,
/// pretty-printed with a final newline.
pub fn figures_json(year: i32, figures: &[Figure]) -> String {
    #[derive(Serialize)]
    struct Entry<'a> {
        title: &'a str,
        unit: &'a str,
        rows: &'a [Row],
    }
    // Each figure pretty-printed on its own, on either core (a figure lists the ids of every
    // initiative it counts: most of the file), then indented to its place in the map
    // (a JSON text holds no line break but between its tokens).
    let entries: Vec<String> = figures
        .par_iter()
        .map(|f| {
            let entry = Entry {
                title: f.def.title,
                unit: f.def.unit,
                rows: &f.rows,
            };
            let text = serde_json::to_string_pretty(&entry).expect("figures serialize");
            text.replace('\n', "\n    ")
        })
        .collect();
    let mut text = format!("{{\n  \"edition\": {year},\n  \"figures\": {{");
    for (i, (f, entry)) in figures.iter().zip(&entries).enumerate() {
        text.push_str(if i == 0 { "\n    " } else { ",\n    " });
        text.push_str(&serde_json::to_string(f.def.name).expect("a name serializes"));
        text.push_str(": ");
        text.push_str(entry);
    }
    text.push_str(if figures.is_empty() { "}\n}\n" } else { "\n  }\n}\n" });
    text
}

/// What every figure function reads: the dataset, the edition year and its scope.
struct Ctx<'a> {
    data: &'a Dataset,
    year: i32,
    scope: Vec<&'a Record<Project>>,
}

/// Tallies of project ids by key; a project counts once per key.
type Tally<K> = BTreeMap<K, BTreeSet<String>>;

fn ids(set: &BTreeSet<String>) -> Vec<String> {
    set.iter().cloned().collect()
}

fn count_row(key: Key, set: &BTreeSet<String>) -> Row {
    Row {
        key,
        value: Some(Number::Count(set.len() as u64)),
        records: ids(set),
    }
}

/// US dollars, rounded to the cent.
fn usd(x: f64) -> Number {
    Number::Amount((x * 100.0).round() / 100.0)
}

impl Ctx<'_> {
    fn vocab_position(&self, vocab: &str, id: &str) -> usize {
        self.data
            .vocabularies
            .values(vocab)
            .iter()
            .position(|e| e.id == id)
            .unwrap_or(usize::MAX)
    }

    /// For each key a project gives, the projects that give it.
    fn count(&self, keys: impl Fn(&Project) -> Vec<String>) -> Tally<String> {
        let mut tally: Tally<String> = BTreeMap::new();
        for p in &self.scope {
            for key in keys(&p.data) {
                tally.entry(key).or_default().insert(p.id.clone());
            }
        }
        tally
    }

    /// Counts per value of a vocabulary: every value in vocabulary order, zeros included,
    /// then values outside the vocabulary (a site's schema may differ) by id.
    fn by_vocab(&self, vocab: &str, keys: impl Fn(&Project) -> Vec<String>) -> Vec<Row> {
        let mut tally = self.count(keys);
        let empty = BTreeSet::new();
        let mut rows: Vec<Row> = self
            .data
            .vocabularies
            .values(vocab)
            .iter()
            .map(|e| count_row(Key::one(&e.id), tally.get(&e.id).unwrap_or(&empty)))
            .collect();
        for e in self.data.vocabularies.values(vocab) {
            tally.remove(&e.id);
        }
        rows.extend(tally.iter().map(|(k, set)| count_row(Key::one(k), set)));
        rows
    }

    /// Counts ranked from the largest, ties in vocabulary order (when given) then by key.
    fn ranked(&self, tally: Tally<String>, vocab: Option<&str>) -> Vec<Row> {
        let mut rows: Vec<(usize, usize, String, BTreeSet<String>)> = tally
            .into_iter()
            .map(|(k, set)| {
                let position = vocab.map_or(0, |v| self.vocab_position(v, &k));
                (usize::MAX - set.len(), position, k, set)
            })
            .collect();
        rows.sort();
        rows.into_iter()
            .map(|(_, _, k, set)| count_row(Key::One(k), &set))
            .collect()
    }

    /// The USD value of a contribution's money if it is dated in the edition year.
    fn usd_in_year(&self, project: &Project, money: &Money) -> Option<f64> {
        let year = money.year.unwrap_or(project.start.year);
        if year != self.year {
            return None;
        }
        self.data.to_usd(money, Some(project.start.year))
    }

    /// Each contribution of the scope dated in the edition year, in USD, with its
    /// project and participant index.
    fn contributions(&self) -> Vec<(&Record<Project>, usize, f64)> {
        let mut out = Vec::new();
        for p in &self.scope {
            for (i, x) in p.data.participants.iter().enumerate() {
                let Some(c) = &x.contribution else { continue };
                let financial = c.financial.as_ref();
                let in_kind = c.in_kind.as_ref().and_then(|k| k.value.as_ref());
                let values: Vec<f64> = financial
                    .into_iter()
                    .chain(in_kind)
                    .filter_map(|m| self.usd_in_year(&p.data, m))
                    .collect();
                if !values.is_empty() {
                    out.push((*p, i, values.iter().sum()));
                }
            }
        }
        out
    }
}

fn budget_usd_by_modality(c: &Ctx<'_>) -> Vec<Row> {
    let mut sums: BTreeMap<String, (Option<f64>, BTreeSet<String>)> = BTreeMap::new();
    for p in &c.scope {
        let entry = sums.entry(p.data.modality.clone()).or_default();
        let budget = p.data.financing.as_ref().and_then(|f| f.budget.as_ref());
        if let Some(usd) = budget.and_then(|m| c.data.to_usd(m, Some(p.data.start.year))) {
            entry.0 = Some(entry.0.unwrap_or(0.0) + usd);
            entry.1.insert(p.id.clone());
        }
    }
    let mut keys: Vec<String> = sums.keys().cloned().collect();
    keys.sort_by_key(|k| (c.vocab_position("modalities", k), k.clone()));
    keys.into_iter()
        .map(|k| {
            let (sum, set) = &sums[&k];
            Row {
                key: Key::One(k),
                value: sum.map(usd),
                records: ids(set),
            }
        })
        .collect()
}

fn participation_by_actor_type_and_phase(c: &Ctx<'_>) -> Vec<Row> {
    let mut pairs: BTreeMap<(String, String), (u64, BTreeSet<String>)> = BTreeMap::new();
    for p in &c.scope {
        for x in &p.data.participants {
            let Some(actor) = c.data.actor(&x.actor) else { continue };
            let phases: Vec<&str> = if x.phases.is_empty() {
                vec![UNSPECIFIED_PHASE]
            } else {
                x.phases.iter().map(String::as_str).collect()
            };
            for phase in phases {
                let entry = pairs.entry((actor.data.kind.clone(), phase.to_owned())).or_default();
                entry.0 += 1;
                entry.1.insert(p.id.clone());
            }
        }
    }
    let mut rows: Vec<_> = pairs.into_iter().collect();
    rows.sort_by_key(|((t, ph), _)| {
        (
            c.vocab_position("actor-types", t),
            t.clone(),
            c.vocab_position("phases", ph),
            ph.clone(),
        )
    });
    rows.into_iter()
        .map(|((t, ph), (n, set))| Row {
            key: Key::two(t, ph),
            value: Some(Number::Count(n)),
            records: ids(&set),
        })
        .collect()
}

fn civil_society_share(c: &Ctx<'_>) -> Vec<Row> {
    let with: BTreeSet<String> = c
        .scope
        .iter()
        .filter(|p| has_civil_society(c.data, &p.data))
        .map(|p| p.id.clone())
        .collect();
    let total: BTreeSet<String> = c.scope.iter().map(|p| p.id.clone()).collect();
    vec![
        count_row(Key::one("with_civil_society"), &with),
        count_row(Key::one("total"), &total),
    ]
}

fn beneficiaries_by_sex(c: &Ctx<'_>) -> Vec<Row> {
    type Field = fn(&crate::model::Beneficiaries) -> Option<u64>;
    let fields: [(&str, Field); 4] = [
        ("women", |b| b.women),
        ("men", |b| b.men),
        ("other", |b| b.other),
        ("people", |b| b.people),
    ];
    let mut rows = Vec::new();
    for (name, field) in fields {
        let mut sum = None;
        let mut set = BTreeSet::new();
        for p in &c.scope {
            if let Some(n) = p.data.beneficiaries.as_ref().and_then(field) {
                sum = Some(sum.unwrap_or(0) + n);
                set.insert(p.id.clone());
            }
        }
        rows.push(Row {
            key: Key::one(name),
            value: sum.map(Number::Count),
            records: ids(&set),
        });
    }
    let reporting = |test: fn(&crate::model::Beneficiaries) -> bool| -> BTreeSet<String> {
        c.scope
            .iter()
            .filter(|p| p.data.beneficiaries.as_ref().is_some_and(test))
            .map(|p| p.id.clone())
            .collect()
    };
    rows.push(count_row(
        Key::one("projects_reporting_people"),
        &reporting(|b| b.people.is_some()),
    ));
    rows.push(count_row(
        Key::one("projects_reporting_sex"),
        &reporting(|b| b.women.is_some() || b.men.is_some() || b.other.is_some()),
    ));
    rows
}

fn evaluation_answers(c: &Ctx<'_>) -> Vec<Row> {
    let mut tally: Tally<(String, String)> = BTreeMap::new();
    let mut not_evaluated = BTreeSet::new();
    for p in &c.scope {
        match &p.data.evaluation {
            Some(e) => {
                for (question, answer) in &e.questions {
                    tally
                        .entry((question.clone(), answer.answer.clone()))
                        .or_default()
                        .insert(p.id.clone());
                }
            }
            None => {
                not_evaluated.insert(p.id.clone());
            }
        }
    }
    let mut rows = c.pairs(tally, "evaluation-questions", "answers");
    rows.push(count_row(Key::one("not_evaluated"), &not_evaluated));
    rows
}

fn consultation_answers(c: &Ctx<'_>) -> Vec<Row> {
    let mut tally: Tally<(String, String)> = BTreeMap::new();
    let mut not_recorded = BTreeSet::new();
    for p in &c.scope {
        let Some(k) = &p.data.consultation else {
            not_recorded.insert(p.id.clone());
            continue;
        };
        let answers = [&k.indigenous_peoples, &k.social_movements, &k.womens_organizations];
        for (question, answer) in CONSULTATION_QUESTIONS.iter().zip(answers) {
            if let Some(a) = answer {
                tally
                    .entry(((*question).to_owned(), a.answer.clone()))
                    .or_default()
                    .insert(p.id.clone());
            }
        }
    }
    let mut rows: Vec<_> = tally.into_iter().collect();
    rows.sort_by_key(|((q, a), _)| {
        (
            CONSULTATION_QUESTIONS.iter().position(|x| x == q),
            c.vocab_position("answers", a),
            a.clone(),
        )
    });
    let mut rows: Vec<Row> = rows
        .into_iter()
        .map(|((q, a), set)| count_row(Key::two(q, a), &set))
        .collect();
    rows.push(count_row(Key::one("not_recorded"), &not_recorded));
    rows
}

impl Ctx<'_> {
    /// Two-way counts in the order of two vocabularies.
    fn pairs(&self, tally: Tally<(String, String)>, first: &str, second: &str) -> Vec<Row> {
        let mut rows: Vec<_> = tally.into_iter().collect();
        rows.sort_by_key(|((a, b), _)| {
            (
                self.vocab_position(first, a),
                a.clone(),
                self.vocab_position(second, b),
                b.clone(),
            )
        });
        rows.into_iter()
            .map(|((a, b), set)| count_row(Key::two(a, b), &set))
            .collect()
    }
}

fn contributions_usd_by_actor_type(c: &Ctx<'_>) -> Vec<Row> {
    let mut sums: BTreeMap<String, (f64, BTreeSet<String>)> = BTreeMap::new();
    for (p, i, usd) in c.contributions() {
        let Some(actor) = c.data.actor(&p.data.participants[i].actor) else {
            continue;
        };
        let entry = sums.entry(actor.data.kind.clone()).or_default();
        entry.0 += usd;
        entry.1.insert(p.id.clone());
    }
    let mut rows: Vec<_> = sums.into_iter().collect();
    rows.sort_by(|(ka, (a, _)), (kb, (b, _))| {
        b.total_cmp(a)
            .then_with(|| {
                c.vocab_position("actor-types", ka)
                    .cmp(&c.vocab_position("actor-types", kb))
            })
            .then_with(|| ka.cmp(kb))
    });
    rows.into_iter()
        .map(|(k, (sum, set))| Row {
            key: Key::One(k),
            value: Some(usd(sum)),
            records: ids(&set),
        })
        .collect()
}

fn ssc_share_of_gni(c: &Ctx<'_>) -> Vec<Row> {
    let year = c.year.to_string();
    let contributions = c.contributions();
    c.data
        .country_facts
        .iter()
        .filter_map(|(code, facts)| Some((code, *facts.gni_usd.get(&year)?)))
        .map(|(code, gni)| {
            let mut sum = 0.0;
            let mut set = BTreeSet::new();
            for (p, i, usd) in &contributions {
                let x = &p.data.participants[*i];
                let country = c.data.actor(&x.actor).and_then(|a| a.data.country.as_deref());
                if PROVIDING_ROLES.contains(&x.role.as_str()) && country == Some(code.as_str()) {
                    sum += usd;
                    set.insert(p.id.clone());
                }
            }
            Row {
                key: Key::one(code),
                // The sum is rounded to the cent first, like the other USD figures.
                value: (gni > 0.0).then(|| Number::Amount(usd(sum).as_f64() / gni)),
                records: ids(&set),
            }
        })
        .collect()
}

fn data_completeness(c: &Ctx<'_>) -> Vec<Row> {
    type Has = fn(&Project) -> bool;
    let fields: [(&str, Has); 6] = [
        ("budget", |p| p.financing.as_ref().is_some_and(|f| f.budget.is_some())),
        ("beneficiaries", |p| p.beneficiaries.is_some()),
        ("evaluation", |p| p.evaluation.is_some()),
        ("sources", |p| !p.sources.is_empty()),
        ("participants", |p| !p.participants.is_empty()),
        ("total", |_| true),
    ];
    fields
        .iter()
        .map(|(name, has)| {
            let set: BTreeSet<String> = c.scope.iter().filter(|p| has(&p.data)).map(|p| p.id.clone()).collect();
            count_row(Key::one(*name), &set)
        })
        .collect()
}

fn flows(c: &Ctx<'_>) -> Vec<Row> {
    let mut tally: Tally<(String, String)> = BTreeMap::new();
    for p in &c.scope {
        for from in &p.data.countries.providers {
            for to in &p.data.countries.recipients {
                if from != to {
                    tally
                        .entry((from.clone(), to.clone()))
                        .or_default()
                        .insert(p.id.clone());
                }
            }
        }
    }
    tally
        .into_iter()
        .map(|((a, b), set)| count_row(Key::two(a, b), &set))
        .collect()
}

fn initiatives_by_sdg(c: &Ctx<'_>) -> Vec<Row> {
    let mut tally: Tally<u8> = BTreeMap::new();
    for p in &c.scope {
        for n in &p.data.sdgs {
            tally.entry(*n).or_default().insert(p.id.clone());
        }
    }
    tally
        .into_iter()
        .map(|(n, set)| count_row(Key::one(n.to_string()), &set))
        .collect()
}

/// Every year from the earliest to the latest start, zeros included.
fn initiatives_by_start_year(c: &Ctx<'_>) -> Vec<Row> {
    let mut tally: Tally<i32> = BTreeMap::new();
    for p in &c.scope {
        tally.entry(p.data.start.year).or_default().insert(p.id.clone());
    }
    let (Some(first), Some(last)) = (tally.keys().next().copied(), tally.keys().next_back().copied()) else {
        return Vec::new();
    };
    let empty = BTreeSet::new();
    (first..=last)
        .map(|y| count_row(Key::one(y.to_string()), tally.get(&y).unwrap_or(&empty)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteConfig;
    use crate::model::PartialDate;
    use serde_json::{Value, json};

    fn period(from: &str, to: &str) -> Period {
        Period {
            from: PartialDate::parse(from).unwrap(),
            to: PartialDate::parse(to).unwrap(),
        }
    }

    fn project(start: &str, end: Option<&str>) -> Project {
        let mut value = json!({
            "title": "t", "summary": "s", "instrument": "project", "modality": "bilateral",
            "status": "completed", "start": start, "sectors": ["health"]
        });
        if let Some(end) = end {
            value["end"] = end.into();
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_key_is_its_parts_in_order() {
        let one = Key::one("brazil");
        let two = Key::two("ngo", "evaluation");
        for key in [&one, &two] {
            assert!(key.is(&key.parts()), "{key:?}");
            assert_eq!(key.arity(), key.parts().len());
        }
        assert!(!one.is(&["brazil", "x"]) && !one.is(&["chile"]) && !one.is(&[]));
        assert!(!two.is(&["evaluation", "ngo"]) && !two.is(&["ngo"]) && !two.is(&["ngo", "x"]));
    }

    #[test]
    fn scope_uses_first_and_last_days_of_partial_dates() {
        let year = period("2011-01-01", "2011-12-31");
        assert!(overlaps(&project("2007", Some("2011")), &year));
        assert!(overlaps(&project("2011-12", None), &year));
        assert!(!overlaps(&project("1993", Some("1995")), &year));
        assert!(!overlaps(&project("2012-01-01", None), &year));
        assert!(overlaps(&project("2005", None), &year), "no end means ongoing");
        assert!(!overlaps(&project("2009", Some("2010-12")), &year));
    }

    // A small hand-made dataset for the 2011 edition (period 2011-01-01 to 2011-12-31):
    //
    // - `a-bilateral` (2010-12 to 2011-01: its partial end reaches into the period):
    //   COL → HND, budget 1,242,000 MXN of 2011 (rate 12.42: 100,000 USD); participants
    //   gov-col (provider, 2 phases, 50,000 USD of 2011 + in-kind 62,100 MXN undated, so of
    //   the start year 2010: not dated in 2011), ngo-hnd (executor, no phases);
    //   beneficiaries people 100, women 40, men 50; evaluated (demand_driven yes, reach
    //   partly); consultation with social_movements no.
    // - `b-triangular` (2011-12, ongoing: its partial start is the period's last month):
    //   MEX and HND → GTM (HND is a provider here and a recipient in `a`), second provider
    //   CHL; budget 20,000 USD; funder found-mex (foundation, MEX) gives 24,840 MXN of 2011
    //   (2,000 USD) in kind; sdgs 1, 2; no sources; outcome absent (unknown).
    // - `c-regional` (2011 to 2012, no budget, no participants): ARG, BRA, URY.
    // - `d-before` (2009 to 2010-12: ends the day before the period): out of scope.
    // - `e-after` (2012-01: starts the day after): out of scope.
    fn dataset() -> Dataset {
        let schemas = crate::schema::SchemaSet::load(std::path::Path::new("/nonexistent")).unwrap();
        let config = SiteConfig::parse(
            "title = \"t\"\nlanguages = [\"en\"]\ndefault_language = \"en\"\n",
            "openssc.toml",
        )
        .unwrap();
        fn record<T: serde::de::DeserializeOwned>(id: &str, value: Value) -> Record<T> {
            Record {
                id: id.into(),
                file: format!("content/x/{id}.md"),
                data: serde_json::from_value(value).unwrap(),
                body: String::new(),
                translations: BTreeMap::new(),
            }
        }
        let base = |modality: &str, start: &str| {
            json!({"title": "t", "summary": "s", "instrument": "project", "modality": modality,
                   "status": "implementation", "start": start, "sectors": ["health"],
                   "sources": [{"title": "s"}]})
        };
        let mut a = base("bilateral", "2010-12");
        a["end"] = json!("2011-01");
        a["countries"] = json!({"providers": ["COL"], "recipients": ["HND"]});
        a["sectors"] = json!(["housing", "health"]);
        a["financing"] = json!({"budget": {"amount": 1242000, "currency": "MXN", "year": 2011}});
        a["participants"] = json!([
            {"actor": "gov-col", "role": "provider", "phases": ["negotiation", "implementation"],
             "contribution": {"financial": {"amount": 50000, "currency": "USD", "year": 2011},
                              "in_kind": {"value": {"amount": 62100, "currency": "MXN"}}}},
            {"actor": "ngo-hnd", "role": "executor"}
        ]);
        a["beneficiaries"] = json!({"people": 100, "women": 40, "men": 50});
        a["evaluation"] = json!({"questions": {"demand_driven": {"answer": "yes"}, "reach": {"answer": "partly"}}});
        a["consultation"] = json!({"social_movements": {"answer": "no"}});
        a["outcome"] = json!("success");
        let mut b = base("triangular", "2011-12");
        b["instrument"] = json!("action");
        b["countries"] = json!({"providers": ["MEX", "HND"], "recipients": ["GTM"], "second_providers": ["CHL"]});
        b["financing"] = json!({"budget": {"amount": 20000, "currency": "USD"}});
        b["participants"] = json!([
            {"actor": "found-mex", "role": "funder", "phases": ["formulation"],
             "contribution": {"in_kind": {"value": {"amount": 24840, "currency": "MXN", "year": 2011}}}}
        ]);
        b["sdgs"] = json!([2, 1]);
        b.as_object_mut().unwrap().remove("sources");
        let mut c = base("regional", "2011");
        c["end"] = json!("2012");
        c["instrument"] = json!("programme");
        c["countries"] = json!({"participants": ["ARG", "BRA", "URY"]});
        c["outcome"] = json!("too-early");
        let mut d = base("bilateral", "2009");
        d["end"] = json!("2010-12");
        d["countries"] = json!({"providers": ["COL"], "recipients": ["HND"]});
        let mut e = base("bilateral", "2012-01");
        e["countries"] = json!({"providers": ["COL"], "recipients": ["HND"]});
        let projects = [
            ("a-bilateral", a),
            ("b-triangular", b),
            ("c-regional", c),
            ("d-before", d),
            ("e-after", e),
        ]
        .into_iter()
        .map(|(id, v)| (id.to_owned(), std::sync::Arc::new(record(id, v))))
        .collect();
        let actor = |kind: &str, country: &str| json!({"name": "n", "type": kind, "country": country});
        let actors = [
            ("gov-col", actor("government", "COL")),
            ("ngo-hnd", actor("ngo", "HND")),
            ("found-mex", actor("foundation", "MEX")),
        ]
        .into_iter()
        .map(|(id, v)| (id.to_owned(), std::sync::Arc::new(record(id, v))))
        .collect();
        let rates = serde_json::from_value(json!({
            "source": {"title": "r"}, "per_usd": {"MXN": {"2010": 10.0, "2011": 12.42}}
        }))
        .unwrap();
        let facts = serde_json::from_value(json!({
            "COL": {"gni_usd": {"2011": 1000000000.0}},
            "MEX": {"gni_usd": {"2011": 4000000.0, "2010": 1.0}},
            "HND": {"gni_usd": {"2010": 5.0}}
        }))
        .unwrap();
        let edition = Edition {
            year: 2011,
            index: record(
                "index",
                json!({"title": "E", "period": {"from": "2011-01-01", "to": "2011-12-31"}, "status": "draft"}),
            ),
            chapters: Vec::new(),
        };
        Dataset {
            config,
            vocabularies: schemas.vocabularies,
            projects,
            actors,
            funds: Default::default(),
            exchanges: Default::default(),
            editions: BTreeMap::from([(2011, edition)]),
            exchange_rates: Some(rates),
            country_facts: facts,
        }
    }

    /// The rows of one figure as JSON, for compact comparisons.
    fn rows(name: &str) -> Value {
        let data = dataset();
        let all = figures(&data, &data.editions[&2011]);
        let figure = all.iter().find(|f| f.name() == name).unwrap();
        serde_json::to_value(&figure.rows).unwrap()
    }

    fn row(key: Value, value: Value, records: &[&str]) -> Value {
        json!({"key": key, "value": value, "records": records})
    }

    #[test]
    fn scope_includes_partial_dates_at_the_edges() {
        let data = dataset();
        let scope: Vec<&str> = edition_scope(&data, &data.editions[&2011])
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(scope, ["a-bilateral", "b-triangular", "c-regional"]);
    }

    #[test]
    fn counts_by_modality_instrument_outcome_and_status_list_every_value() {
        assert_eq!(
            rows("initiatives_by_modality"),
            json!([
                row(json!("bilateral"), json!(1), &["a-bilateral"]),
                row(json!("triangular"), json!(1), &["b-triangular"]),
                row(json!("regional"), json!(1), &["c-regional"]),
            ])
        );
        assert_eq!(
            rows("initiatives_by_instrument"),
            json!([
                row(json!("programme"), json!(1), &["c-regional"]),
                row(json!("project"), json!(1), &["a-bilateral"]),
                row(json!("action"), json!(1), &["b-triangular"]),
            ])
        );
        assert_eq!(
            rows("outcomes"),
            json!([
                row(json!("success"), json!(1), &["a-bilateral"]),
                row(json!("mixed"), json!(0), &[]),
                row(json!("unsuccessful"), json!(0), &[]),
                row(json!("too-early"), json!(1), &["c-regional"]),
                row(json!("unknown"), json!(1), &["b-triangular"]),
            ])
        );
        let status = rows("initiatives_by_status");
        assert_eq!(status.as_array().unwrap().len(), 7);
        assert_eq!(
            status[3],
            row(
                json!("implementation"),
                json!(3),
                &["a-bilateral", "b-triangular", "c-regional"]
            )
        );
    }

    #[test]
    fn providers_and_recipients_count_a_country_in_each_role() {
        assert_eq!(
            rows("providers"),
            json!([
                row(json!("COL"), json!(1), &["a-bilateral"]),
                row(json!("HND"), json!(1), &["b-triangular"]),
                row(json!("MEX"), json!(1), &["b-triangular"]),
            ])
        );
        assert_eq!(
            rows("recipients"),
            json!([
                row(json!("GTM"), json!(1), &["b-triangular"]),
                row(json!("HND"), json!(1), &["a-bilateral"]),
            ])
        );
        assert_eq!(
            rows("flows"),
            json!([
                row(json!(["COL", "HND"]), json!(1), &["a-bilateral"]),
                row(json!(["HND", "GTM"]), json!(1), &["b-triangular"]),
                row(json!(["MEX", "GTM"]), json!(1), &["b-triangular"]),
            ])
        );
    }

    #[test]
    fn budgets_convert_with_the_money_year_and_unknown_budgets_are_no_data() {
        assert_eq!(
            rows("budget_usd_by_modality"),
            json!([
                row(json!("bilateral"), json!(100000.0), &["a-bilateral"]),
                row(json!("triangular"), json!(20000.0), &["b-triangular"]),
                row(json!("regional"), Value::Null, &[]),
            ])
        );
    }

    #[test]
    fn participation_counts_participant_phase_pairs_and_unspecified_phases() {
        assert_eq!(
            rows("participation_by_actor_type_and_phase"),
            json!([
                row(json!(["government", "negotiation"]), json!(1), &["a-bilateral"]),
                row(json!(["government", "implementation"]), json!(1), &["a-bilateral"]),
                row(json!(["ngo", "unspecified"]), json!(1), &["a-bilateral"]),
                row(json!(["foundation", "formulation"]), json!(1), &["b-triangular"]),
            ])
        );
    }

    #[test]
    fn civil_society_share_and_completeness() {
        assert_eq!(
            rows("civil_society_share"),
            json!([
                row(json!("with_civil_society"), json!(1), &["a-bilateral"]),
                row(json!("total"), json!(3), &["a-bilateral", "b-triangular", "c-regional"]),
            ])
        );
        assert_eq!(
            rows("data_completeness"),
            json!([
                row(json!("budget"), json!(2), &["a-bilateral", "b-triangular"]),
                row(json!("beneficiaries"), json!(1), &["a-bilateral"]),
                row(json!("evaluation"), json!(1), &["a-bilateral"]),
                row(json!("sources"), json!(2), &["a-bilateral", "c-regional"]),
                row(json!("participants"), json!(2), &["a-bilateral", "b-triangular"]),
                row(json!("total"), json!(3), &["a-bilateral", "b-triangular", "c-regional"]),
            ])
        );
    }

    #[test]
    fn beneficiaries_sum_what_is_reported_and_unreported_is_no_data() {
        assert_eq!(
            rows("beneficiaries_by_sex"),
            json!([
                row(json!("women"), json!(40), &["a-bilateral"]),
                row(json!("men"), json!(50), &["a-bilateral"]),
                row(json!("other"), Value::Null, &[]),
                row(json!("people"), json!(100), &["a-bilateral"]),
                row(json!("projects_reporting_people"), json!(1), &["a-bilateral"]),
                row(json!("projects_reporting_sex"), json!(1), &["a-bilateral"]),
            ])
        );
    }

    #[test]
    fn evaluation_and_consultation_answers() {
        assert_eq!(
            rows("evaluation_answers"),
            json!([
                row(json!(["demand_driven", "yes"]), json!(1), &["a-bilateral"]),
                row(json!(["reach", "partly"]), json!(1), &["a-bilateral"]),
                row(json!("not_evaluated"), json!(2), &["b-triangular", "c-regional"]),
            ])
        );
        assert_eq!(
            rows("consultation_answers"),
            json!([
                row(json!(["social_movements", "no"]), json!(1), &["a-bilateral"]),
                row(json!("not_recorded"), json!(2), &["b-triangular", "c-regional"]),
            ])
        );
    }

    #[test]
    fn contributions_count_only_money_dated_in_the_edition_year() {
        // gov-col: 50,000 USD of 2011 (its in-kind MXN has no year: the start year 2010).
        // found-mex: 24,840 MXN of 2011 at 12.42 = 2,000 USD.
        assert_eq!(
            rows("contributions_usd_by_actor_type"),
            json!([
                row(json!("government"), json!(50000.0), &["a-bilateral"]),
                row(json!("foundation"), json!(2000.0), &["b-triangular"]),
            ])
        );
        // COL: 50,000 / 1e9; MEX: 2,000 / 4e6 (a funder counts); HND has no 2011 GNI.
        assert_eq!(
            rows("ssc_share_of_gni"),
            json!([
                row(json!("COL"), json!(0.00005), &["a-bilateral"]),
                row(json!("MEX"), json!(0.0005), &["b-triangular"]),
            ])
        );
    }

    #[test]
    fn sdgs_and_start_years() {
        assert_eq!(
            rows("initiatives_by_sdg"),
            json!([
                row(json!("1"), json!(1), &["b-triangular"]),
                row(json!("2"), json!(1), &["b-triangular"]),
            ])
        );
        assert_eq!(
            rows("initiatives_by_start_year"),
            json!([
                row(json!("2010"), json!(1), &["a-bilateral"]),
                row(json!("2011"), json!(2), &["b-triangular", "c-regional"]),
            ])
        );
        assert_eq!(
            rows("initiatives_by_sector"),
            json!([
                row(
                    json!("health"),
                    json!(3),
                    &["a-bilateral", "b-triangular", "c-regional"]
                ),
                row(json!("housing"), json!(1), &["a-bilateral"]),
            ])
        );
    }

    #[test]
    fn an_empty_edition_has_counts_of_zero_and_sums_of_no_data() {
        let mut data = dataset();
        data.projects.clear();
        let all = figures(&data, &data.editions[&2011]);
        let get = |name: &str| all.iter().find(|f| f.name() == name).unwrap();
        assert_eq!(
            get("initiatives_by_modality").lookup(&["triangular"]),
            Lookup::Row(&Row {
                key: Key::one("triangular"),
                value: Some(Number::Count(0)),
                records: vec![],
            })
        );
        assert!(!get("budget_usd_by_modality").has_data());
        assert_eq!(get("budget_usd_by_modality").lookup(&["bilateral"]), Lookup::NoData);
        assert_eq!(get("providers").lookup(&["COL"]), Lookup::Zero);
        assert!(get("initiatives_by_start_year").rows.is_empty());
    }

    #[test]
    fn keys_are_checked_against_their_domain() {
        let data = dataset();
        let v = &data.vocabularies;
        let def = |n| figure_def(n).unwrap();
        assert!(check_key(def("initiatives_by_modality"), &["triangular"], v).is_ok());
        let e = check_key(def("initiatives_by_modality"), &["trianglar"], v).unwrap_err();
        assert!(e.contains("modalities"), "{e}");
        assert!(check_key(def("participation_by_actor_type_and_phase"), &["ngo", "unspecified"], v).is_ok());
        assert!(check_key(def("evaluation_answers"), &["not_evaluated"], v).is_ok());
        assert!(check_key(def("evaluation_answers"), &["reach", "yes"], v).is_ok());
        assert!(check_key(def("evaluation_answers"), &["reach"], v).is_err());
        assert!(check_key(def("providers"), &["XXX"], v).is_err());
        assert!(check_key(def("initiatives_by_sdg"), &["17"], v).is_ok());
        assert!(check_key(def("initiatives_by_sdg"), &["18"], v).is_err());
        assert!(figure_def("no_such_figure").is_none());
    }

    #[test]
    fn figures_json_has_the_documented_shape() {
        let data = dataset();
        let all = figures(&data, &data.editions[&2011]);
        let text = figures_json(2011, &all);
        assert!(text.ends_with("}\n"));
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["edition"], json!(2011));
        let names: Vec<&str> = value["figures"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let expected: Vec<&str> = FIGURES.iter().map(|f| f.name).collect();
        assert_eq!(names, expected);
        let modality = &value["figures"]["initiatives_by_modality"];
        let keys: Vec<&str> = modality.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["title", "unit", "rows"]);
        let row_keys: Vec<&str> = modality["rows"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(row_keys, ["key", "value", "records"]);
        assert_eq!(text, figures_json(2011, &figures(&data, &data.editions[&2011])));
    }

    /// `figures_json` puts together figures pretty-printed one by one: the text is the
    /// whole document pretty-printed at once, for every figure, one, and none.
    #[test]
    fn figures_json_is_the_document_pretty_printed_whole() {
        let whole = |year: i32, figures: &[Figure]| {
            let mut map = serde_json::Map::new();
            for f in figures {
                map.insert(
                    f.def.name.to_owned(),
                    json!({ "title": f.def.title, "unit": f.def.unit, "rows": f.rows }),
                );
            }
            let mut text = serde_json::to_string_pretty(&json!({ "edition": year, "figures": map })).unwrap();
            text.push('\n');
            text
        };
        let data = dataset();
        let all = figures(&data, &data.editions[&2011]);
        assert!(all.iter().any(|f| f.rows.iter().any(|r| matches!(r.key, Key::Two(..)))));
        for some in [&all[..], &all[..1], &all[..0]] {
            assert_eq!(figures_json(2011, some), whole(2011, some));
        }
    }
}
