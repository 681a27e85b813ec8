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

/// Appends `s` to `out` as XML text or an attribute value: escaped, without the
/// characters XML 1.0 forbids (the control characters but tab, line feed and carriage
/// return; U+FFFE and U+FFFF).
fn push_escaped(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    // `run..i` is copied as it is; `i` is always at a character's first byte (a byte
    // matched below is ASCII or the first of a three-byte character).
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let (replacement, len) = match bytes[i] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&apos;", 1),
            b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            0..=0x1f => ("", 1),
            // U+FFFE and U+FFFF.
            0xef if bytes.get(i + 1) == Some(&0xbf) && matches!(bytes.get(i + 2), Some(0xbe | 0xbf)) => ("", 3),
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&s[run..i]);
        out.push_str(replacement);
        i += len;
        run = i;
    }
    out.push_str(&s[run..]);
}

/// Appends a day as ISO 8601 (`2011-05-03`), as `format!("{y:04}-{m:02}-{d:02}")` writes it.
fn iso_into(out: &mut String, (year, month, day): (i32, u32, u32)) {
    if (0..10_000).contains(&year) && month < 100 && day < 100 {
        let year = year as u32;
        for digit in [year / 1000, year / 100 % 10, year / 10 % 10, year % 10] {
            out.push(char::from(b'0' + digit as u8));
        }
        for part in [month, day] {
            out.push('-');
            out.push(char::from(b'0' + (part / 10) as u8));
            out.push(char::from(b'0' + (part % 10) as u8));
        }
    } else {
        // Writing to a `String` cannot fail.
        let _ = write!(out, "{year:04}-{month:02}-{day:02}");
    }
}

/// Appends an organisation's ` type="…"` attribute, when it has a type.
fn push_type(attrs: &mut String, kind: Option<i64>) {
    if let Some(t) = kind {
        attrs.push_str(" type=\"");
        attrs.push_str(itoa::Buffer::new().format(t));
        attrs.push('"');
    }
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

/// A text in the languages it is given in: `(None, text)` for the default language, then
/// `(Some(lang), text)` by language.
type Narratives<'t, S> = Vec<(Option<&'t str>, S)>;

/// The text in every language it is given in (see [`Narratives`]); `translated` adds the
/// translation files' value of the field in the languages the text is not given in.
fn languages<'t>(default: &str, text: &'t Text, translated: &[(&'t str, &'t str)]) -> Narratives<'t, &'t str> {
    let mut in_default = None;
    let mut others: Vec<(&'t str, &'t str)> = Vec::new();
    match text {
        Text::Plain(s) => in_default = Some(s.as_str()),
        Text::Translated(map) => {
            for (lang, s) in map {
                if lang == default {
                    in_default = Some(s.as_str());
                } else {
                    others.push((lang, s));
                }
            }
        }
    }
    for &(lang, s) in translated {
        if lang == default {
            in_default = in_default.or(Some(s));
        } else if !others.iter().any(|(l, _)| *l == lang) {
            others.push((lang, s));
        }
    }
    // By language, as a map of them would list them (the languages are distinct).
    others.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::with_capacity(others.len() + 1);
    out.extend(in_default.map(|s| (None, s)));
    out.extend(others.into_iter().map(|(lang, s)| (Some(lang), s)));
    out
}

/// An activity's XML, appended to a string piece by piece: no `format!`, no string of its
/// own for a line or a value (the file is 17 MB at 10,000 initiatives).
struct Writer<'v, 'a> {
    views: &'v Views<'a>,
    xml: String,
}

impl<'v, 'a: 'v> Writer<'v, 'a> {
    fn indent(&mut self, depth: usize) -> &mut Self {
        for _ in 0..depth {
            self.xml.push_str("  ");
        }
        self
    }

    fn push(&mut self, s: &str) -> &mut Self {
        self.xml.push_str(s);
        self
    }

    /// `s` escaped ([`push_escaped`]).
    fn esc(&mut self, s: &str) -> &mut Self {
        push_escaped(&mut self.xml, s);
        self
    }

    fn int(&mut self, n: impl itoa::Integer) -> &mut Self {
        self.xml.push_str(itoa::Buffer::new().format(n));
        self
    }

    /// A day as ISO 8601 (`2011-05-03`).
    fn iso(&mut self, day: (i32, u32, u32)) -> &mut Self {
        iso_into(&mut self.xml, day);
        self
    }

    /// `s` on a line of its own, indented `depth` levels.
    fn line(&mut self, depth: usize, s: &str) {
        self.indent(depth).push(s).push("\n");
    }

    fn narratives<S: AsRef<str>>(&mut self, depth: usize, texts: &[(Option<&str>, S)]) {
        for (lang, s) in texts {
            self.indent(depth);
            match lang {
                Some(l) => self.push("<narrative xml:lang=\"").esc(l).push("\">"),
                None => self.push("<narrative>"),
            };
            self.esc(s.as_ref()).push("</narrative>\n");
        }
    }

    /// `<element attrs><narrative>…</narrative></element>`, or empty when there is no text.
    fn with_narratives<S: AsRef<str>>(
        &mut self,
        depth: usize,
        element: &str,
        attrs: &str,
        texts: &[(Option<&str>, S)],
    ) {
        self.indent(depth).push("<").push(element).push(attrs);
        if texts.is_empty() {
            self.push("/>\n");
        } else {
            self.push(">\n");
            self.narratives(depth + 1, texts);
            self.indent(depth).push("</").push(element).push(">\n");
        }
    }

    /// An actor's organisation type, if it has one, and its names (its id when the site
    /// has no such actor).
    fn actor<'t>(&self, id: &'t str) -> (Option<i64>, Narratives<'t, &'t str>)
    where
        'a: 't,
    {
        let data: &'a crate::model::Dataset = self.views.data;
        match data.actor(id) {
            Some(a) => {
                let translated: Vec<(&str, &str)> = a
                    .translations
                    .iter()
                    .filter_map(|(l, t)| t.fields.get("name").map(|n| (l.as_str(), n.as_str())))
                    .collect();
                let kind = super::iati_organisation_type(&data.vocabularies, &a.data);
                (kind, languages(self.views.lang(), &a.data.name, &translated))
            }
            None => (None, vec![(None, id)]),
        }
    }

    /// `<value>` of `m`, dated `value_date`.
    fn value(&mut self, depth: usize, m: &Money, value_date: (i32, u32, u32)) {
        self.indent(depth).push("<value currency=\"").esc(&m.currency);
        self.push("\" value-date=\"").iso(value_date).push("\">");
        self.push(&amount(m.amount)).push("</value>\n");
    }

    fn activity(&mut self, prefix: &str, reporting: (&str, u32, &str), p: &'a Record<Project>) {
        let d = &p.data;
        let views = self.views;
        let data = views.data;
        let default = views.lang();
        let translated = |field: &str| -> Vec<(&'a str, &'a str)> {
            p.translations
                .iter()
                .filter_map(|(l, t)| t.fields.get(field).map(|v| (l.as_str(), v.as_str())))
                .collect()
        };

        self.indent(1)
            .push("<iati-activity xml:lang=\"")
            .esc(default)
            .push("\"");
        if let Some(budget) = d.financing.as_ref().and_then(|f| f.budget.as_ref()) {
            self.push(" default-currency=\"").esc(&budget.currency).push("\"");
        }
        self.push(">\n");
        self.indent(2)
            .push("<iati-identifier>")
            .esc(prefix)
            .push("-")
            .esc(&p.id);
        self.push("</iati-identifier>\n");
        let (org_ref, org_type, org_name) = reporting;
        self.indent(2)
            .push("<reporting-org ref=\"")
            .esc(org_ref)
            .push("\" type=\"")
            .int(org_type);
        self.push("\" secondary-reporter=\"1\">\n");
        self.indent(3).push("<narrative>").esc(org_name).push("</narrative>\n");
        self.line(2, "</reporting-org>");
        let texts = languages(default, &d.title, &translated("title"));
        self.with_narratives(2, "title", "", &texts);
        let texts = languages(default, &d.summary, &translated("summary"));
        self.with_narratives(2, "description", " type=\"1\"", &texts);

        // participating-org: one per actor and IATI role, in the record's order.
        let mut orgs: Vec<(&str, u8)> = Vec::new();
        for x in &d.participants {
            if let Some(role) = organisation_role(&x.role)
                && !orgs.contains(&(x.actor.as_str(), role))
            {
                orgs.push((&x.actor, role));
            }
        }
        if let Some(m) = &d.regional_mechanism
            && !orgs.iter().any(|(a, _)| a == m)
        {
            orgs.push((m, 3));
        }
        if orgs.is_empty() {
            // No participant with an IATI role: the provider countries' governments fund it.
            let countries = if d.countries.providers.is_empty() {
                &d.countries.participants
            } else {
                &d.countries.providers
            };
            for code in countries {
                let name = crate::countries::get(code).map_or(code.as_str(), |c| c.name(default));
                self.with_narratives(
                    2,
                    "participating-org",
                    " role=\"1\" type=\"10\"",
                    &[(None, format!("Government of {name}"))],
                );
            }
        }
        let mut attrs = String::new();
        for (actor, role) in orgs {
            let (kind, names) = self.actor(actor);
            attrs.clear();
            attrs.push_str(" role=\"");
            attrs.push_str(itoa::Buffer::new().format(role));
            attrs.push('"');
            push_type(&mut attrs, kind);
            self.with_narratives(2, "participating-org", &attrs, &names);
        }

        self.indent(2)
            .push("<activity-status code=\"")
            .int(activity_status(&d.status))
            .push("\"/>\n");
        let started = !matches!(d.status.as_str(), "identification" | "negotiation" | "formulation");
        self.indent(2)
            .push("<activity-date type=\"")
            .push(if started { "2" } else { "1" });
        self.push("\" iso-date=\"").iso(d.start.first_day()).push("\"/>\n");
        if let Some(end) = &d.end {
            let ended = matches!(d.status.as_str(), "completed" | "cancelled");
            self.indent(2)
                .push("<activity-date type=\"")
                .push(if ended { "4" } else { "3" });
            self.push("\" iso-date=\"").iso(end.last_day()).push("\"/>\n");
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
            self.indent(2).push("<recipient-country code=\"").push(code);
            self.push("\" percentage=\"").push(&pct).push("\"/>\n");
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
            self.indent(2).push("<sector vocabulary=\"2\" code=\"").int(*code);
            self.push("\" percentage=\"").push(&pct).push("\"/>\n");
        }
        for (goal, pct) in d.sdgs.iter().zip(percentages(d.sdgs.len())) {
            self.indent(2).push("<sector vocabulary=\"7\" code=\"").int(*goal);
            self.push("\" percentage=\"").push(&pct).push("\"/>\n");
        }

        let triangular = d.modality == crate::model::modality::TRIANGULAR;
        self.line(
            2,
            if triangular {
                "<collaboration-type code=\"8\"/>"
            } else {
                "<collaboration-type code=\"1\"/>"
            },
        );
        match d.financing.as_ref().and_then(|f| f.kind.as_deref()) {
            Some("non-refundable") => self.line(2, "<default-finance-type code=\"110\"/>"),
            Some("refundable") => self.line(2, "<default-finance-type code=\"421\"/>"),
            _ => {}
        }

        if let (Some(budget), Some(end)) = (d.financing.as_ref().and_then(|f| f.budget.as_ref()), &d.end) {
            self.line(2, "<budget type=\"1\" status=\"1\">");
            self.indent(3)
                .push("<period-start iso-date=\"")
                .iso(d.start.first_day())
                .push("\"/>\n");
            self.indent(3)
                .push("<period-end iso-date=\"")
                .iso(end.last_day())
                .push("\"/>\n");
            self.value(3, budget, d.start.first_day());
            self.line(2, "</budget>");
        }

        for t in d.financing.as_ref().map_or(&[][..], |f| &f.transactions) {
            self.line(2, "<transaction>");
            self.indent(3)
                .push("<transaction-type code=\"")
                .int(transaction_type(&t.kind))
                .push("\"/>\n");
            self.indent(3)
                .push("<transaction-date iso-date=\"")
                .iso(t.date.first_day())
                .push("\"/>\n");
            self.value(3, &t.amount, t.date.first_day());
            for (element, actor) in [("provider-org", &t.from), ("receiver-org", &t.to)] {
                if let Some(actor) = actor {
                    let (kind, names) = self.actor(actor);
                    attrs.clear();
                    push_type(&mut attrs, kind);
                    self.with_narratives(3, element, &attrs, &names);
                }
            }
            self.line(2, "</transaction>");
        }

        for r in &d.results {
            let title = languages(default, &r.indicator, &[]);
            let has_values = [&r.baseline, &r.target, &r.actual]
                .iter()
                .any(|m| m.as_ref().is_some_and(|m| m.value.is_some()));
            self.indent(2)
                .push("<result type=\"")
                .int(result_type(r.kind.as_deref()))
                .push("\">\n");
            self.with_narratives(3, "title", "", &title);
            self.line(
                3,
                if has_values {
                    "<indicator measure=\"1\">"
                } else {
                    "<indicator measure=\"5\">"
                },
            );
            match &r.unit {
                Some(unit) => {
                    let with_unit: Narratives<'_, String> =
                        title.iter().map(|(lang, s)| (*lang, format!("{s} ({unit})"))).collect();
                    self.with_narratives(4, "title", "", &with_unit);
                }
                None => self.with_narratives(4, "title", "", &title),
            }
            if let Some(b) = &r.baseline
                && let Some(year) = b.year.or(Some(d.start.year)).filter(|y| *y > 0)
            {
                self.indent(4).push("<baseline year=\"").int(year).push("\"");
                if let Some(v) = b.value {
                    self.push(" value=\"").push(&amount(v)).push("\"");
                }
                self.push("/>\n");
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
                self.indent(5)
                    .push("<period-start iso-date=\"")
                    .iso(start)
                    .push("\"/>\n");
                self.indent(5).push("<period-end iso-date=\"").iso(end).push("\"/>\n");
                for (element, m) in [("target", target), ("actual", actual)] {
                    if let Some(v) = m.and_then(|m| m.value) {
                        self.indent(5)
                            .push("<")
                            .push(element)
                            .push(" value=\"")
                            .push(&amount(v));
                        self.push("\"/>\n");
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
    w.push("<iati-activities version=\"2.03\"").push(&generated).push(">\n");
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
    fn languages_put_the_default_first_then_the_others_by_language() {
        let plain = Text::Plain("Hola".into());
        assert_eq!(
            languages("es", &plain, &[("pt", "Olá"), ("es", "ignored"), ("en", "Hello")]),
            [(None, "Hola"), (Some("en"), "Hello"), (Some("pt"), "Olá")]
        );
        let translated = Text::Translated(
            [("fr", "Bonjour"), ("en", "Hello")]
                .into_iter()
                .map(|(l, s)| (l.to_owned(), s.to_owned()))
                .collect(),
        );
        // The default language from the translation files when the text lacks it; a
        // language the text has keeps the text's value.
        assert_eq!(
            languages("es", &translated, &[("fr", "ignored"), ("es", "Hola"), ("de", "Hallo")]),
            [
                (None, "Hola"),
                (Some("de"), "Hallo"),
                (Some("en"), "Hello"),
                (Some("fr"), "Bonjour")
            ]
        );
        assert_eq!(
            languages("es", &translated, &[]),
            [(Some("en"), "Hello"), (Some("fr"), "Bonjour")]
        );
    }

    #[test]
    fn days_are_written_as_format_writes_them() {
        let written = |day: (i32, u32, u32)| {
            let mut xml = String::new();
            iso_into(&mut xml, day);
            xml
        };
        for day in [
            (2011, 5, 3),
            (1999, 12, 31),
            (7, 1, 1),
            (0, 1, 9),
            (12345, 1, 1),
            (-44, 3, 15),
            (2020, 123, 4),
        ] {
            let (y, m, d) = day;
            assert_eq!(written(day), format!("{y:04}-{m:02}-{d:02}"), "{day:?}");
        }
    }

    fn esc(s: &str) -> String {
        let mut out = String::new();
        push_escaped(&mut out, s);
        out
    }

    #[test]
    fn escaping() {
        assert_eq!(
            esc("a & <b> \"c\" 'd'\u{1}"),
            "a &amp; &lt;b&gt; &quot;c&quot; &apos;d&apos;"
        );
        // Kept: tab, line feed, carriage return and every other character; dropped: the
        // other control characters and the two noncharacters XML 1.0 forbids.
        assert_eq!(esc("\u{0}ñ\t\n\r\u{1f}€\u{fffe}x\u{ffff}𝄞&"), "ñ\t\n\r€x𝄞&amp;");
        assert_eq!(esc(""), "");
    }
}
