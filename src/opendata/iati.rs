//! `data/iati-activities.xml`: one IATI Activity Standard 2.03 `iati-activity` per
//! initiative, with its elements in the schema's order.
//!
//! Mappings from the record format to IATI code lists (documented on the Data page and in
//! README.md; the code values are tested against the 2.03 code lists in tests/opendata.rs):
//!
//! - **identifier**: `<reporting org>-<project id>`; the reporting organisation is `[iati]`
//!   of `openssc.toml`, else the placeholder [`PLACEHOLDER_ORG`]. It is a secondary
//!   reporter: it publishes what its sources say about others' activities.
//! - **participating-org role** (OrganisationRole): provider, second-provider and funder →
//!   1 Funding; recipient → 2 Accountable; coordinator and the regional mechanism →
//!   3 Extending; executor and partner → 4 Implementing. Beneficiaries, evaluators and
//!   watchdogs have no IATI role and are left out. Without participants, the provider
//!   countries' governments are listed as Funding.
//! - **organisation type**: the actor type's `iati` code in `schemas/vocab/actor-types.yaml`.
//! - **activity-status**: identification, negotiation, formulation → 1 Pipeline;
//!   implementation → 2; completed → 4 Closed; cancelled → 5; suspended → 6.
//! - **activity-date**: the start is planned (1) before implementation, else actual (2); the
//!   end is actual (4) when completed or cancelled, else planned (3). A partial start is
//!   its first day, a partial end its last day.
//! - **recipient-country**: recipients (and, for a regional initiative, participants), as
//!   ISO 3166-1 alpha-2, with equal percentages adding up to 100.
//! - **sector**: the DAC 3-digit codes of the sectors (vocabulary 2) and the SDGs (vocabulary
//!   7), each vocabulary with equal percentages adding up to 100.
//! - **collaboration-type**: 8 (triangular co-operation) for triangular initiatives, else 1
//!   (bilateral).
//! - **default-finance-type**: non-refundable → 110 (standard grant), refundable → 421
//!   (standard loan); none for mixed.
//! - **budget**: the budget over the initiative's period (original, indicative), when it has
//!   an end date.
//! - **transaction-type**: commitment → 2, disbursement → 3, expenditure → 4.
//! - **result type**: output → 1, outcome → 2, impact → 3, else 9 (other); one indicator
//!   each, measured in units (1) when it has values, else qualitative (5).

use std::collections::BTreeMap;
use std::fmt::Write;

use rayon::prelude::*;

use crate::model::{Money, PartialDate, Project, Record, Text};
use crate::render::views::Views;

/// The reporting organisation's identifier when `openssc.toml` has no `[iati]`.
pub const PLACEHOLDER_ORG: &str = "XX-OPENSSC";

/// IATI OrganisationType 90: Other.
const ORG_TYPE_OTHER: u32 = 90;

/// The OrganisationRole of a participant's role, if it has one.
pub fn organisation_role(role: &str) -> Option<u8> {
    match role {
        "provider" | "second-provider" | "funder" => Some(1),
        "recipient" => Some(2),
        "coordinator" => Some(3),
        "executor" | "partner" => Some(4),
        _ => None,
    }
}

/// The ActivityStatus of a project status.
pub fn activity_status(status: &str) -> u8 {
    match status {
        "implementation" => 2,
        "completed" => 4,
        "cancelled" => 5,
        "suspended" => 6,
        _ => 1,
    }
}

/// The TransactionType of a transaction type.
pub fn transaction_type(kind: &str) -> u8 {
    match kind {
        "commitment" => 2,
        "disbursement" => 3,
        _ => 4,
    }
}

/// The ResultType of a result type.
pub fn result_type(kind: Option<&str>) -> u8 {
    match kind {
        Some("output") => 1,
        Some("outcome") => 2,
        Some("impact") => 3,
        _ => 9,
    }
}

/// XML text or attribute value: escaped, without characters XML 1.0 forbids.
fn esc(s: &str) -> Escaped<'_> {
    Escaped(s)
}

/// A text as [`esc`] writes it, written where it is formatted (no string of its own).
struct Escaped<'s>(&'s str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut run = 0;
        for (i, c) in self.0.char_indices() {
            let replacement = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&apos;",
                '\t' | '\n' | '\r' => continue,
                c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => "",
                _ => continue,
            };
            f.write_str(&self.0[run..i])?;
            f.write_str(replacement)?;
            run = i + c.len_utf8();
        }
        f.write_str(&self.0[run..])
    }
}

fn iso(d: (i32, u32, u32)) -> String {
    format!("{:04}-{:02}-{:02}", d.0, d.1, d.2)
}

/// `n` shares in hundredths of a percent adding up to exactly 100.
fn percentages(n: usize) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let total = 10_000usize;
    let base = total / n;
    (0..n)
        .map(|i| {
            let share = if i + 1 == n { total - base * (n - 1) } else { base };
            let s = format!("{}.{:02}", share / 100, share % 100);
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        })
        .collect()
}

/// An amount as IATI writes it (`50000`, `38.5`).
fn amount(v: f64) -> String {
    super::table::num(v)
}

struct Writer<'v, 'a> {
    views: &'v Views<'a>,
    xml: String,
}

impl Writer<'_, '_> {
    /// Writes `s` on a line of its own, indented `depth` levels: formatted in place (the
    /// callers pass `format_args!`, no string of its own).
    fn line(&mut self, depth: usize, s: impl std::fmt::Display) {
        for _ in 0..depth {
            self.xml.push_str("  ");
        }
        // Writing to a `String` cannot fail.
        let _ = writeln!(self.xml, "{s}");
    }

    /// The text in every language it is given in: `(None, text)` for the default
    /// language, then `(Some(lang), text)` by language; `translated` adds the translation
    /// files' value of the field.
    fn languages(&self, text: &Text, translated: &[(&str, &str)]) -> Vec<(Option<String>, String)> {
        let default = self.views.lang();
        let mut by_lang: BTreeMap<String, String> = match text {
            Text::Plain(s) => BTreeMap::from([(default.to_owned(), s.clone())]),
            Text::Translated(map) => map.clone(),
        };
        for (lang, s) in translated {
            by_lang.entry((*lang).to_owned()).or_insert_with(|| (*s).to_owned());
        }
        let mut out = Vec::new();
        if let Some(s) = by_lang.remove(default) {
            out.push((None, s));
        }
        out.extend(by_lang.into_iter().map(|(l, s)| (Some(l), s)));
        out
    }

    fn narratives(&mut self, depth: usize, texts: &[(Option<String>, String)]) {
        for (lang, s) in texts {
            match lang {
                Some(l) => self.line(
                    depth,
                    format_args!("<narrative xml:lang=\"{}\">{}</narrative>", esc(l), esc(s)),
                ),
                None => self.line(depth, format_args!("<narrative>{}</narrative>", esc(s))),
            }
        }
    }

    /// `<element attrs><narrative>…</narrative></element>`, or empty when there is no text.
    fn with_narratives(&mut self, depth: usize, element: &str, attrs: &str, texts: &[(Option<String>, String)]) {
        if texts.is_empty() {
            self.line(depth, format_args!("<{element}{attrs}/>"));
        } else {
            self.line(depth, format_args!("<{element}{attrs}>"));
            self.narratives(depth + 1, texts);
            self.line(depth, format_args!("</{element}>"));
        }
    }

    fn actor_names(&self, id: &str) -> Vec<(Option<String>, String)> {
        match self.views.data.actor(id) {
            Some(a) => {
                let translated: Vec<(&str, &str)> = a
                    .translations
                    .iter()
                    .filter_map(|(l, t)| t.fields.get("name").map(|n| (l.as_str(), n.as_str())))
                    .collect();
                self.languages(&a.data.name, &translated)
            }
            None => vec![(None, id.to_owned())],
        }
    }

    fn actor_type(&self, id: &str) -> Option<i64> {
        let a = self.views.data.actor(id)?;
        super::iati_organisation_type(&self.views.data.vocabularies, &a.data)
    }

    fn value(&mut self, depth: usize, m: &Money, value_date: (i32, u32, u32)) {
        self.line(
            depth,
            format_args!(
                "<value currency=\"{}\" value-date=\"{}\">{}</value>",
                esc(&m.currency),
                iso(value_date),
                amount(m.amount)
            ),
        );
    }

    fn activity(&mut self, prefix: &str, reporting: (&str, u32, &str), p: &Record<Project>) {
        let d = &p.data;
        let data = self.views.data;
        let translated = |field: &str| -> Vec<(String, String)> {
            p.translations
                .iter()
                .filter_map(|(l, t)| t.fields.get(field).map(|v| (l.clone(), v.clone())))
                .collect()
        };
        let titles = translated("title");
        let summaries = translated("summary");
        let title_refs: Vec<(&str, &str)> = titles.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let summary_refs: Vec<(&str, &str)> = summaries.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();

        let mut attrs = format!(" xml:lang=\"{}\"", esc(self.views.lang()));
        if let Some(budget) = d.financing.as_ref().and_then(|f| f.budget.as_ref()) {
            let _ = write!(attrs, " default-currency=\"{}\"", esc(&budget.currency));
        }
        self.line(1, format_args!("<iati-activity{attrs}>"));
        self.line(
            2,
            format_args!("<iati-identifier>{}-{}</iati-identifier>", esc(prefix), esc(&p.id)),
        );
        let (org_ref, org_type, org_name) = reporting;
        self.line(
            2,
            format_args!(
                "<reporting-org ref=\"{}\" type=\"{org_type}\" secondary-reporter=\"1\">",
                esc(org_ref)
            ),
        );
        self.line(3, format_args!("<narrative>{}</narrative>", esc(org_name)));
        self.line(2, "</reporting-org>");
        let texts = self.languages(&d.title, &title_refs);
        self.with_narratives(2, "title", "", &texts);
        let texts = self.languages(&d.summary, &summary_refs);
        self.with_narratives(2, "description", " type=\"1\"", &texts);

        // participating-org: one per actor and IATI role, in the record's order.
        let mut orgs: Vec<(String, u8)> = Vec::new();
        for x in &d.participants {
            if let Some(role) = organisation_role(&x.role)
                && !orgs.contains(&(x.actor.clone(), role))
            {
                orgs.push((x.actor.clone(), role));
            }
        }
        if let Some(m) = &d.regional_mechanism
            && !orgs.iter().any(|(a, _)| a == m)
        {
            orgs.push((m.clone(), 3));
        }
        if orgs.is_empty() {
            // No participant with an IATI role: the provider countries' governments fund it.
            let countries: Vec<&String> = if d.countries.providers.is_empty() {
                d.countries.participants.iter().collect()
            } else {
                d.countries.providers.iter().collect()
            };
            for code in countries {
                let name = crate::countries::get(code).map_or(code.as_str(), |c| c.name(self.views.lang()));
                self.with_narratives(
                    2,
                    "participating-org",
                    " role=\"1\" type=\"10\"",
                    &[(None, format!("Government of {name}"))],
                );
            }
        }
        for (actor, role) in orgs {
            let mut attrs = format!(" role=\"{role}\"");
            if let Some(t) = self.actor_type(&actor) {
                let _ = write!(attrs, " type=\"{t}\"");
            }
            let names = self.actor_names(&actor);
            self.with_narratives(2, "participating-org", &attrs, &names);
        }

        self.line(
            2,
            format_args!("<activity-status code=\"{}\"/>", activity_status(&d.status)),
        );
        let started = !matches!(d.status.as_str(), "identification" | "negotiation" | "formulation");
        self.line(
            2,
            format_args!(
                "<activity-date type=\"{}\" iso-date=\"{}\"/>",
                if started { 2 } else { 1 },
                iso(d.start.first_day())
            ),
        );
        if let Some(end) = &d.end {
            let ended = matches!(d.status.as_str(), "completed" | "cancelled");
            self.line(
                2,
                format_args!(
                    "<activity-date type=\"{}\" iso-date=\"{}\"/>",
                    if ended { 4 } else { 3 },
                    iso(end.last_day())
                ),
            );
        }

        let mut recipients: Vec<&str> = d.countries.recipients.iter().map(String::as_str).collect();
        if d.modality == crate::model::modality::REGIONAL {
            for c in &d.countries.participants {
                if !recipients.contains(&c.as_str()) {
                    recipients.push(c);
                }
            }
        }
        let recipients: Vec<&str> = recipients
            .into_iter()
            .filter_map(|c| crate::countries::get(c).map(|c| c.alpha2))
            .filter(|a2| !a2.is_empty())
            .collect();
        for (code, pct) in recipients.iter().zip(percentages(recipients.len())) {
            self.line(
                2,
                format_args!("<recipient-country code=\"{code}\" percentage=\"{pct}\"/>"),
            );
        }

        let mut dac: Vec<i64> = Vec::new();
        for s in &d.sectors {
            if let Some(code) = data
                .vocabularies
                .get("sectors", s)
                .and_then(|e| e.fields.get("dac"))
                .and_then(serde_json::Value::as_i64)
                && !dac.contains(&code)
            {
                dac.push(code);
            }
        }
        for (code, pct) in dac.iter().zip(percentages(dac.len())) {
            self.line(
                2,
                format_args!("<sector vocabulary=\"2\" code=\"{code}\" percentage=\"{pct}\"/>"),
            );
        }
        for (goal, pct) in d.sdgs.iter().zip(percentages(d.sdgs.len())) {
            self.line(
                2,
                format_args!("<sector vocabulary=\"7\" code=\"{goal}\" percentage=\"{pct}\"/>"),
            );
        }

        let collaboration = if d.modality == crate::model::modality::TRIANGULAR {
            8
        } else {
            1
        };
        self.line(2, format_args!("<collaboration-type code=\"{collaboration}\"/>"));
        let finance = match d.financing.as_ref().and_then(|f| f.kind.as_deref()) {
            Some("non-refundable") => Some(110),
            Some("refundable") => Some(421),
            _ => None,
        };
        if let Some(code) = finance {
            self.line(2, format_args!("<default-finance-type code=\"{code}\"/>"));
        }

        if let (Some(budget), Some(end)) = (d.financing.as_ref().and_then(|f| f.budget.as_ref()), &d.end) {
            self.line(2, "<budget type=\"1\" status=\"1\">");
            self.line(
                3,
                format_args!("<period-start iso-date=\"{}\"/>", iso(d.start.first_day())),
            );
            self.line(3, format_args!("<period-end iso-date=\"{}\"/>", iso(end.last_day())));
            self.value(3, budget, d.start.first_day());
            self.line(2, "</budget>");
        }

        for t in d.financing.as_ref().map_or(&[][..], |f| &f.transactions) {
            self.line(2, "<transaction>");
            self.line(
                3,
                format_args!("<transaction-type code=\"{}\"/>", transaction_type(&t.kind)),
            );
            self.line(
                3,
                format_args!("<transaction-date iso-date=\"{}\"/>", iso(t.date.first_day())),
            );
            self.value(3, &t.amount, t.date.first_day());
            for (element, actor) in [("provider-org", &t.from), ("receiver-org", &t.to)] {
                if let Some(actor) = actor {
                    let attrs = self
                        .actor_type(actor)
                        .map(|t| format!(" type=\"{t}\""))
                        .unwrap_or_default();
                    let names = self.actor_names(actor);
                    self.with_narratives(3, element, &attrs, &names);
                }
            }
            self.line(2, "</transaction>");
        }

        for r in &d.results {
            let title = self.languages(&r.indicator, &[]);
            let has_values = [&r.baseline, &r.target, &r.actual]
                .iter()
                .any(|m| m.as_ref().is_some_and(|m| m.value.is_some()));
            self.line(2, format_args!("<result type=\"{}\">", result_type(r.kind.as_deref())));
            self.with_narratives(3, "title", "", &title);
            self.line(
                3,
                format_args!("<indicator measure=\"{}\">", if has_values { 1 } else { 5 }),
            );
            let mut indicator_title = title.clone();
            if let Some(unit) = &r.unit {
                for (_, s) in &mut indicator_title {
                    let _ = write!(s, " ({unit})");
                }
            }
            self.with_narratives(4, "title", "", &indicator_title);
            if let Some(b) = &r.baseline
                && let Some(year) = b.year.or(Some(d.start.year)).filter(|y| *y > 0)
            {
                let value = b.value.map(|v| format!(" value=\"{}\"", amount(v))).unwrap_or_default();
                self.line(4, format_args!("<baseline year=\"{year}\"{value}/>"));
            }
            let target = r.target.as_ref().filter(|m| m.value.is_some());
            let actual = r.actual.as_ref().filter(|m| m.value.is_some());
            let last_year = [target, actual].iter().flatten().filter_map(|m| m.year).max();
            let period_end = match (last_year, &d.end) {
                (Some(y), _) => Some(PartialDate {
                    year: y,
                    month: None,
                    day: None,
                }),
                (None, Some(end)) => Some(*end),
                (None, None) => None,
            };
            if let Some(end) = period_end
                && (target.is_some() || actual.is_some())
            {
                let start = d.start.first_day();
                let end = end.last_day().max(start);
                self.line(4, "<period>");
                self.line(5, format_args!("<period-start iso-date=\"{}\"/>", iso(start)));
                self.line(5, format_args!("<period-end iso-date=\"{}\"/>", iso(end)));
                for (element, m) in [("target", target), ("actual", actual)] {
                    if let Some(v) = m.and_then(|m| m.value) {
                        self.line(5, format_args!("<{element} value=\"{}\"/>", amount(v)));
                    }
                }
                self.line(4, "</period>");
            }
            self.line(3, "</indicator>");
            self.line(2, "</result>");
        }
        self.line(1, "</iati-activity>");
    }
}

/// How many activities a piece of the file holds (some 30 KB of XML): pieces are made on
/// either core, each with what `each_piece` makes of it (the archive deflates it there).
const PIECE: usize = 16;

/// Writes the IATI activities file of every initiative, in pieces and in order, to
/// `place`, each piece with what `each_piece` made of it. There must be an initiative: the
/// schema requires at least one activity, so a site without one has no IATI file. The
/// pieces are made on both cores, a chunk at a time, and each chunk's are placed while the
/// next is made: the archive deflates the pieces as they are made (17 MB at 10,000
/// initiatives), and the file is written as it goes instead of held whole, then hashed
/// and written on one core at the end while the other waited.
pub fn write_activities<T: Send>(
    views: &Views<'_>,
    date: Option<&str>,
    each_piece: &(dyn Fn(&[u8]) -> T + Sync),
    place: &mut dyn FnMut(&[u8], T) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let data = views.data;
    let config = data.config.iati.as_ref();
    let org_ref = config.map_or(PLACEHOLDER_ORG, |c| c.reporting_org.as_str());
    let org_type = config.and_then(|c| c.reporting_org_type).unwrap_or(ORG_TYPE_OTHER);
    let org_name = config
        .and_then(|c| c.reporting_org_name.as_deref())
        .unwrap_or(&data.config.title);
    let mut w = Writer {
        views,
        xml: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
    };
    let generated = date
        .map(|d| format!(" generated-datetime=\"{d}T00:00:00Z\""))
        .unwrap_or_default();
    w.line(0, format_args!("<iati-activities version=\"2.03\"{generated}>"));
    let start = each_piece(w.xml.as_bytes());
    place(w.xml.as_bytes(), start)?;
    let projects: Vec<&Record<Project>> = data.projects.values().map(|p| &**p).collect();
    // Each piece on its own, on either core.
    let make = |chunk: &[&Record<Project>]| -> Vec<(String, T)> {
        chunk
            .par_chunks(PIECE)
            .map(|group| {
                let mut a = Writer {
                    views,
                    xml: String::with_capacity(2048 * group.len()),
                };
                for p in group {
                    a.activity(org_ref, (org_ref, org_type, org_name), p);
                }
                let piece = each_piece(a.xml.as_bytes());
                (a.xml, piece)
            })
            .collect()
    };
    let place_all = |made: Vec<(String, T)>| -> std::io::Result<()> {
        for (xml, piece) in made {
            place(xml.as_bytes(), piece)?;
        }
        Ok(())
    };
    super::pipelined(projects.chunks(256), make, place_all)?;
    w.xml.clear();
    w.line(0, "</iati-activities>");
    let end = each_piece(w.xml.as_bytes());
    place(w.xml.as_bytes(), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_add_up_to_100() {
        assert_eq!(percentages(1), ["100"]);
        assert_eq!(percentages(2), ["50", "50"]);
        assert_eq!(percentages(3), ["33.33", "33.33", "33.34"]);
        assert_eq!(
            percentages(8),
            ["12.5", "12.5", "12.5", "12.5", "12.5", "12.5", "12.5", "12.5"]
        );
        assert!(percentages(0).is_empty());
    }

    #[test]
    fn escaping() {
        assert_eq!(
            esc("a & <b> \"c\" 'd'\u{1}").to_string(),
            "a &amp; &lt;b&gt; &quot;c&quot; &apos;d&apos;"
        );
        // Kept: tab, line feed, carriage return and every other character; dropped: the
        // other control characters and the two noncharacters XML 1.0 forbids.
        assert_eq!(
            esc("\u{0}ñ\t\n\r\u{1f}€\u{fffe}x\u{ffff}𝄞&").to_string(),
            "ñ\t\n\r€x𝄞&amp;"
        );
        assert_eq!(esc("").to_string(), "");
    }
}
