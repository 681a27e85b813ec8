//! The rules of `records.md` beyond what JSON Schema expresses: references resolve,
//! countries exist, languages are configured, dates are real and ordered, modality
//! rules, beneficiaries add up, every amount can be converted, sources are given.
//!
//! Each rule is one function over the typed [`Dataset`]; positions come from the
//! documents' span maps. Rules only see records that passed their schema.

use std::borrow::Cow;

use rayon::prelude::*;
use serde_json::Value;

use super::Documents;
use super::schema_errors::at;
use crate::diagnostics::{Diagnostic, closest};
use crate::load::{Collection, DocKind, Document};
use crate::model::{Dataset, Money, PartialDate, Project, ROLE_SECOND_PROVIDER, Source, modality};

/// The file editors change to add an exchange rate.
pub const EXCHANGE_RATES_FILE: &str = "content/data/exchange-rates.yaml";

/// Where a rule looks, as a JSON pointer written out only when the rule reports a
/// problem there: the rules look at every reference, country, date and amount of every
/// record, and formatting a pointer for each cost more than the checks themselves.
#[derive(Clone, Copy)]
enum At<'a> {
    /// A pointer as it is.
    Path(&'a str),
    /// `{0}{1}{2}`: a list's pointer (ending in `/`), an item's index, and the rest of the
    /// pointer within the item (empty or starting with `/`).
    Item(&'a str, usize, &'a str),
    /// `/{0}`: a field of the root mapping, written as it is.
    Field(&'a str),
}

impl<'a> At<'a> {
    fn pointer(self) -> Cow<'a, str> {
        match self {
            At::Path(p) => Cow::Borrowed(p),
            At::Item(list, i, rest) => Cow::Owned(format!("{list}{i}{rest}")),
            At::Field(key) => Cow::Owned(format!("/{key}")),
        }
    }
}

impl<'a> From<&'a str> for At<'a> {
    fn from(pointer: &'a str) -> At<'a> {
        At::Path(pointer)
    }
}

/// Record text may not hold the private-use characters U+E000 to U+E003: the renderer uses
/// them to mark text shown in another language than the page's
/// ([`crate::locale::mark_fallback`]).
pub fn no_private_use_marks(doc: &Document, out: &mut Vec<Diagnostic>) {
    use crate::locale::{FALLBACK_END, FALLBACK_LANG_END, FALLBACK_START};
    use crate::render::ROOT_MARK;
    const MARKS: [char; 4] = [FALLBACK_START, FALLBACK_LANG_END, FALLBACK_END, ROOT_MARK];
    // The characters are encoded as 0xEE 0x80 0x80..0x83: a text without the byte 0xEE
    // (found by `memchr`) has none, and searching for it is much cheaper than decoding
    // every character.
    debug_assert!(MARKS.iter().all(|c| {
        let mut buf = [0; 4];
        c.encode_utf8(&mut buf).as_bytes()[0] == 0xEE
    }));
    if !doc.text.as_bytes().contains(&0xEE) {
        return;
    }
    if let Some(offset) = doc.text.find(MARKS) {
        let (line, column) = crate::config::line_col(&doc.text, offset);
        out.push(
            Diagnostic::error(
                &doc.file,
                line,
                column,
                "text",
                "the text holds a private-use character (U+E000 to U+E003) that openssc reserves",
            )
            .with_hint("remove it; it is invisible and has no meaning in a record")
            .with_source(&doc.text),
        );
    }
}

/// Runs every rule.
pub fn check_all(dataset: &Dataset, docs: &Documents, out: &mut Vec<Diagnostic>) {
    // The initiatives are most of the records: their rules run on every core (this is
    // the sequential end of the check otherwise), their diagnostics kept in record order.
    let by_project: Vec<Vec<Diagnostic>> = dataset
        .projects
        .par_values()
        .map(|project| {
            let mut out = Vec::new();
            if let Some(doc) = docs.get(&DocKind::Record(Collection::Project), &project.id) {
                project_references(&project.data, doc, docs, &mut out);
                project_countries_exist(&project.data, doc, &mut out);
                project_dates(&project.data, doc, &mut out);
                modality_rules(&project.data, doc, &mut out);
                beneficiaries_add_up(&project.data, doc, &mut out);
                project_money(dataset, &project.data, doc, &mut out);
                sources_given(&project.data.sources, doc, &mut out);
            }
            out
        })
        .collect();
    out.extend(by_project.into_iter().flatten());
    for actor in dataset.actors.values() {
        let Some(doc) = docs.get(&DocKind::Record(Collection::Actor), &actor.id) else {
            continue;
        };
        if let Some(parent) = &actor.data.parent {
            reference(docs, doc, "/parent", Collection::Actor, parent, out);
            if parent == &actor.id {
                out.push(at(
                    doc,
                    "/parent",
                    false,
                    "reference",
                    "an actor cannot be its own parent".into(),
                ));
            }
        }
        if let Some(country) = &actor.data.country {
            country_exists(doc, "/country", country, false, out);
        }
        sources_given(&actor.data.sources, doc, out);
    }
    // The same for every fund (and not free to make).
    let regions = crate::countries::region_names();
    for fund in dataset.funds.values() {
        let Some(doc) = docs.get(&DocKind::Record(Collection::Fund), &fund.id) else {
            continue;
        };
        let f = &fund.data;
        reference(
            docs,
            doc,
            "/administered_by",
            Collection::Actor,
            &f.administered_by,
            out,
        );
        for (i, c) in f.contributors.iter().enumerate() {
            reference(docs, doc, At::Item("/contributors/", i, ""), Collection::Actor, c, out);
        }
        for (i, c) in f.eligible.countries.iter().enumerate() {
            country_exists(doc, At::Item("/eligible/countries/", i, ""), c, false, out);
        }
        for (i, r) in f.eligible.regions.iter().enumerate() {
            if !regions.contains(&r.as_str()) {
                out.push(
                    at(doc, &format!("/eligible/regions/{i}"), false, "region", format!("`{r}` is not a UN M49 region name"))
                        .with_hint(match closest(r, regions.iter().copied()) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "use an M49 region, sub-region or intermediate region in English, e.g. `Latin America and the Caribbean`".into(),
                        }),
                );
            }
        }
        let mut money = Vec::new();
        if let Some(m) = &f.capital {
            money.push(("/capital", m));
        }
        if let Some(g) = &f.grant_size {
            money.extend(g.min.iter().map(|m| ("/grant_size/min", m)));
            money.extend(g.max.iter().map(|m| ("/grant_size/max", m)));
        }
        for (pointer, m) in money {
            money_convertible(dataset, doc, At::Path(pointer), m, None, out);
        }
        sources_given(&f.sources, doc, out);
    }
    for exchange in dataset.exchanges.values() {
        let Some(doc) = docs.get(&DocKind::Record(Collection::Exchange), &exchange.id) else {
            continue;
        };
        let e = &exchange.data;
        reference(docs, doc, "/by", Collection::Actor, &e.by, out);
        if let Some(country) = &e.country {
            country_exists(doc, "/country", country, false, out);
        }
        if let Some(p) = &e.resulting_project {
            reference(docs, doc, "/resulting_project", Collection::Project, p, out);
        }
        real_date(doc, "/posted", &e.posted, out);
        if let Some(until) = &e.open_until {
            real_date(doc, "/open_until", until, out);
            ordered(doc, ("/posted", &e.posted), ("/open_until", until), out);
        }
        sources_given(&e.sources, doc, out);
    }
    for edition in dataset.editions.values() {
        let kind = DocKind::ReportEdition { year: edition.year };
        if let Some(doc) = docs.get(&kind, "index") {
            let period = &edition.index.data.period;
            real_date(doc, "/period/from", &period.from, out);
            real_date(doc, "/period/to", &period.to, out);
            ordered(doc, ("/period/from", &period.from), ("/period/to", &period.to), out);
            if let Some(p) = &edition.index.data.published {
                real_date(doc, "/published", p, out);
            }
        }
        crate::render::report::check_figure_references(edition, docs, &dataset.vocabularies, out);
        for pair in edition.chapters.windows(2) {
            if pair[0].data.order == pair[1].data.order
                && let Some(doc) = docs.get(&DocKind::ReportChapter { year: edition.year }, &pair[1].id)
            {
                out.push(
                    at(
                        doc,
                        "/order",
                        false,
                        "report",
                        format!("chapter order {} is also used by {}", pair[1].data.order, pair[0].file),
                    )
                    .with_hint("give each chapter of an edition its own `order`"),
                );
            }
        }
    }
    if let Some(doc) = docs.get(&DocKind::CountryFacts, "countries") {
        for code in dataset.country_facts.keys() {
            // The code is the key of its entry: point at the key.
            country_exists(doc, At::Field(code), code, true, out);
        }
    }
}

/// Every language of a Text map must be one of the site's languages. A Text map is an
/// object whose keys are all two-letter codes with text values: the record format has
/// no other field of that shape.
///
/// Runs in the parallel stage of `validate`, before the document's front matter is let go.
pub(super) fn languages_are_configured(langs: &[String], doc: &Document, out: &mut Vec<Diagnostic>) {
    enum Segment<'v> {
        Key(&'v str),
        Index(usize),
    }
    /// `path` holds the segments down to `value`; the pointer string is only built for
    /// a problem, since this walks every node of every record.
    fn walk<'v>(
        value: &'v Value,
        path: &mut Vec<Segment<'v>>,
        langs: &[String],
        doc: &Document,
        out: &mut Vec<Diagnostic>,
    ) {
        match value {
            Value::Object(map) => {
                let is_text = !map.is_empty()
                    && map
                        .iter()
                        .all(|(k, v)| k.len() == 2 && k.bytes().all(|b| b.is_ascii_lowercase()) && v.is_string());
                for (key, child) in map {
                    path.push(Segment::Key(key));
                    if is_text && !langs.contains(key) {
                        let pointer: String = path
                            .iter()
                            .map(|s| match s {
                                Segment::Key(k) => format!("/{}", crate::yaml::escape_pointer_segment(k)),
                                Segment::Index(i) => format!("/{i}"),
                            })
                            .collect();
                        out.push(
                            at(
                                doc,
                                &pointer,
                                true,
                                "language",
                                format!("`{key}` is not one of the site's languages"),
                            )
                            .with_hint(format!("the site's languages are {} (openssc.toml)", langs.join(", "))),
                        );
                    }
                    walk(child, path, langs, doc, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Segment::Index(i));
                    walk(item, path, langs, doc, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    walk(&doc.front, &mut Vec::new(), langs, doc, out);
}

fn reference<'a>(
    docs: &Documents,
    doc: &Document,
    pointer: impl Into<At<'a>>,
    collection: Collection,
    id: &str,
    out: &mut Vec<Diagnostic>,
) {
    if docs.exists(collection, id) {
        return;
    }
    let known = docs.ids.get(&collection);
    let hint = match known.and_then(|ids| closest(id, ids.iter().map(String::as_str))) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!(
            "create content/{}/{id}.md, or use the id of an existing {}",
            collection.folder(),
            collection.noun()
        ),
    };
    out.push(
        at(
            doc,
            &pointer.into().pointer(),
            false,
            "reference",
            format!("there is no {} with id `{id}`", collection.noun()),
        )
        .with_hint(hint),
    );
}

fn project_references(p: &Project, doc: &Document, docs: &Documents, out: &mut Vec<Diagnostic>) {
    if let Some(m) = &p.regional_mechanism {
        reference(docs, doc, "/regional_mechanism", Collection::Actor, m, out);
    }
    for (i, participant) in p.participants.iter().enumerate() {
        reference(
            docs,
            doc,
            At::Item("/participants/", i, "/actor"),
            Collection::Actor,
            &participant.actor,
            out,
        );
    }
    if let Some(f) = &p.financing {
        for (i, fund) in f.funds.iter().enumerate() {
            reference(
                docs,
                doc,
                At::Item("/financing/funds/", i, ""),
                Collection::Fund,
                fund,
                out,
            );
        }
        for (i, t) in f.transactions.iter().enumerate() {
            for (field, actor) in [("/from", &t.from), ("/to", &t.to)] {
                if let Some(actor) = actor {
                    reference(
                        docs,
                        doc,
                        At::Item("/financing/transactions/", i, field),
                        Collection::Actor,
                        actor,
                        out,
                    );
                }
            }
        }
    }
    if let Some(e) = &p.evaluation {
        for (i, by) in e.by.iter().enumerate() {
            reference(
                docs,
                doc,
                At::Item("/evaluation/by/", i, ""),
                Collection::Actor,
                by,
                out,
            );
        }
    }
    for (i, f) in p.monitoring.iter().enumerate() {
        if let Some(by) = &f.by {
            reference(
                docs,
                doc,
                At::Item("/monitoring/", i, "/by"),
                Collection::Actor,
                by,
                out,
            );
        }
    }
}

/// `on_key`: point at the key of the entry rather than its value (a code that is a map key).
fn country_exists<'a>(doc: &Document, pointer: impl Into<At<'a>>, code: &str, on_key: bool, out: &mut Vec<Diagnostic>) {
    if crate::countries::get(code).is_some() {
        return;
    }
    let all = crate::countries::all();
    // Editors often type the first letters of the name (HON for Honduras): prefer a
    // country whose name starts with the code, then the closest code.
    let upper = code.to_uppercase();
    let by_name: Vec<&str> = all
        .values()
        .filter(|c| {
            ["en", "es", "pt", "fr"]
                .iter()
                .any(|l| c.name(l).to_uppercase().starts_with(&upper))
        })
        .map(|c| c.alpha3)
        .collect();
    let guess = if by_name.len() == 1 {
        Some(by_name[0])
    } else {
        closest(code, all.keys().copied())
    };
    let hint = match guess {
        Some(c) => format!(
            "did you mean `{c}` ({})? Codes are ISO 3166-1 alpha-3",
            all[c].name("en")
        ),
        None => "use the ISO 3166-1 alpha-3 code, e.g. HND for Honduras".into(),
    };
    out.push(
        at(
            doc,
            &pointer.into().pointer(),
            on_key,
            "country",
            format!("`{code}` is not an ISO 3166-1 alpha-3 country code"),
        )
        .with_hint(hint),
    );
}

fn project_countries_exist(p: &Project, doc: &Document, out: &mut Vec<Diagnostic>) {
    for (list, codes) in p.countries.lists() {
        for (i, code) in codes.iter().enumerate() {
            if crate::countries::get(code).is_none() {
                country_exists(doc, At::Path(&format!("/countries/{list}/{i}")), code, false, out);
            }
        }
    }
}

fn real_date<'a>(doc: &Document, pointer: impl Into<At<'a>>, date: &PartialDate, out: &mut Vec<Diagnostic>) {
    if !date.is_real() {
        out.push(
            at(
                doc,
                &pointer.into().pointer(),
                false,
                "date",
                format!("`{date}` is not a real date"),
            )
            .with_hint("check the month (01-12) and the day of the month"),
        );
    }
}

/// `later` may not end before `earlier` starts (partial dates span their period).
fn ordered(doc: &Document, earlier: (&str, &PartialDate), later: (&str, &PartialDate), out: &mut Vec<Diagnostic>) {
    let field = |p: &str| p.rsplit('/').next().unwrap_or_default().to_owned();
    if earlier.1.is_real() && later.1.is_real() && later.1.last_day() < earlier.1.first_day() {
        out.push(
            at(
                doc,
                later.0,
                false,
                "date",
                format!(
                    "`{}` ({}) is before `{}` ({})",
                    field(later.0),
                    later.1,
                    field(earlier.0),
                    earlier.1
                ),
            )
            .with_hint("check both dates; the later one may not come first"),
        );
    }
}

fn project_dates(p: &Project, doc: &Document, out: &mut Vec<Diagnostic>) {
    real_date(doc, "/start", &p.start, out);
    if let Some(end) = &p.end {
        real_date(doc, "/end", end, out);
        ordered(doc, ("/start", &p.start), ("/end", end), out);
    }
    if let Some(f) = &p.financing {
        for (i, t) in f.transactions.iter().enumerate() {
            real_date(doc, At::Item("/financing/transactions/", i, "/date"), &t.date, out);
        }
    }
    if let Some(date) = p.evaluation.as_ref().and_then(|e| e.date.as_ref()) {
        real_date(doc, "/evaluation/date", date, out);
    }
    for (i, f) in p.monitoring.iter().enumerate() {
        if let Some(date) = &f.date {
            real_date(doc, At::Item("/monitoring/", i, "/date"), date, out);
        }
    }
}

/// Bilateral: a provider, a recipient, no second provider. Triangular: a provider, a
/// recipient and a second provider (a country, or a participant in that role). Regional:
/// at least three countries in all lists together.
fn modality_rules(p: &Project, doc: &Document, out: &mut Vec<Diagnostic>) {
    let c = &p.countries;
    let mut problems: Vec<(&str, String, &str)> = Vec::new();
    let needs_pair = |problems: &mut Vec<(&str, String, &str)>, what: &str| {
        if c.providers.is_empty() {
            problems.push((
                "/countries",
                format!("a {what} initiative needs at least one provider country"),
                "list it under `countries: providers:`",
            ));
        }
        if c.recipients.is_empty() {
            problems.push((
                "/countries",
                format!("a {what} initiative needs at least one recipient country"),
                "list it under `countries: recipients:`",
            ));
        }
    };
    match p.modality.as_str() {
        modality::BILATERAL => {
            needs_pair(&mut problems, "bilateral");
            if !c.second_providers.is_empty() {
                problems.push((
                    "/countries/second_providers",
                    "a bilateral initiative has no second provider".into(),
                    "with a supporting partner the modality is `triangular`",
                ));
            }
        }
        modality::TRIANGULAR => {
            needs_pair(&mut problems, "triangular");
            let has_second =
                !c.second_providers.is_empty() || p.participants.iter().any(|x| x.role == ROLE_SECOND_PROVIDER);
            if !has_second {
                problems.push((
                    "/modality",
                    "a triangular initiative needs a second provider".into(),
                    "list the supporting country under `countries: second_providers:`, or give a participant the role `second-provider`",
                ));
            }
        }
        modality::REGIONAL => {
            let mut all: Vec<&String> = c.lists().iter().flat_map(|(_, l)| l.iter()).collect();
            all.sort();
            all.dedup();
            if all.len() < 3 {
                problems.push((
                    "/modality",
                    format!(
                        "a regional initiative needs at least three countries; this one lists {}",
                        all.len()
                    ),
                    "list them under `countries: participants:` (or as providers and recipients)",
                ));
            }
        }
        _ => {}
    }
    for (pointer, message, hint) in problems {
        let pointer = if pointer == "/countries" && doc.spans().get("/countries").is_none() {
            "/modality"
        } else {
            pointer
        };
        out.push(at(doc, pointer, true, "modality", message).with_hint(hint));
    }
}

fn beneficiaries_add_up(p: &Project, doc: &Document, out: &mut Vec<Diagnostic>) {
    let Some(b) = &p.beneficiaries else { return };
    let Some(people) = b.people else { return };
    let split = b.women.unwrap_or(0) + b.men.unwrap_or(0) + b.other.unwrap_or(0);
    if split > people {
        out.push(
            at(
                doc,
                "/beneficiaries/people",
                false,
                "beneficiaries",
                format!("women + men + other ({split}) is more than people ({people})"),
            )
            .with_hint("check the figures: the split by sex cannot exceed the total"),
        );
    }
}

fn project_money(dataset: &Dataset, p: &Project, doc: &Document, out: &mut Vec<Diagnostic>) {
    let mut money: Vec<(At, &Money)> = Vec::new();
    if let Some(f) = &p.financing {
        if let Some(b) = &f.budget {
            money.push((At::Path("/financing/budget"), b));
        }
        for (i, t) in f.transactions.iter().enumerate() {
            money.push((At::Item("/financing/transactions/", i, "/amount"), &t.amount));
        }
    }
    for (i, participant) in p.participants.iter().enumerate() {
        if let Some(c) = &participant.contribution {
            if let Some(m) = &c.financial {
                money.push((At::Item("/participants/", i, "/contribution/financial"), m));
            }
            if let Some(m) = c.in_kind.as_ref().and_then(|k| k.value.as_ref()) {
                money.push((At::Item("/participants/", i, "/contribution/in_kind/value"), m));
            }
        }
    }
    for (pointer, m) in money {
        money_convertible(dataset, doc, pointer, m, Some(p.start.year), out);
    }
}

/// Every amount must be convertible to USD: a rate for its currency and year.
fn money_convertible(
    dataset: &Dataset,
    doc: &Document,
    pointer: At,
    m: &Money,
    default_year: Option<i32>,
    out: &mut Vec<Diagnostic>,
) {
    if m.currency == "USD" {
        return;
    }
    let Some(year) = m.year.or(default_year) else {
        out.push(
            at(
                doc,
                &pointer.pointer(),
                true,
                "exchange-rate",
                format!("the amount in {} has no `year`", m.currency),
            )
            .with_hint("add `year:` (the year the amount refers to) so it can be converted to USD"),
        );
        return;
    };
    if dataset
        .exchange_rates
        .as_ref()
        .and_then(|r| r.rate(&m.currency, year))
        .is_none()
    {
        out.push(
            at(doc, &format!("{}/currency", pointer.pointer()), false, "exchange-rate", format!("no exchange rate for {} in {year}", m.currency))
                .with_hint(format!("add `{}: {{{year}: <units per US dollar>}}` under `per_usd:` in {EXCHANGE_RATES_FILE}, with its source", m.currency)),
        );
    }
}

fn sources_given(sources: &[Source], doc: &Document, out: &mut Vec<Diagnostic>) {
    if sources.is_empty() {
        let (line, col, len) = super::schema_errors::locate(doc, "/sources", true);
        out.push(
            Diagnostic::warning(&doc.file, line, col, "sources", "the record cites no sources")
                .with_len(len)
                .with_source(&doc.text)
                .with_hint("add `sources:` with at least `- title: ...` for the document the record comes from"),
        );
    }
}
