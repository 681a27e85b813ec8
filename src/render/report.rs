//! The report: for each edition, its cover, its chapters, the annex of all figures, one
//! page per figure with the records each row counts, the printable edition, and its data
//! files (`data/reports/<year>/figures.json`, a CSV per figure beside it, an SVG per chart
//! in `reports/<year>/figures/`).
//!
//! # Embedding figures in chapters
//!
//! A chapter's (or the edition's `index.md`) Markdown may place a figure by name:
//!
//! - `{{< chart NAME >}}`: the chart with its data table (figures that have a chart);
//! - `{{< table NAME >}}`: the data table only;
//! - `{{< number NAME KEY... >}}`: one value, inline, linked to the records it counts
//!   (`{{< number initiatives_by_modality triangular >}}`,
//!   `{{< number participation_by_actor_type_and_phase ngo implementation >}}`).
//!
//! `chart` and `table` stand alone in a paragraph (blank lines around them). Shortcodes in
//! code spans and code blocks are left as written. `openssc check` reports an unknown
//! figure name, an unknown kind, a bad key and a misplaced `chart`/`table` at its line and
//! column ([`check_figure_references`]).
//!
//! Figures are numbered per edition in the order they first appear (the cover, then the
//! chapters in order), then the others in [`aggregate::FIGURES`] order.
//!
//! Invariant: no I/O; the same dataset gives the same pages and bytes.

use std::collections::BTreeMap;
use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag};
use rayon::prelude::*;
use serde_json::{Value, json};

use super::fields::Fields;
use super::views::{RESERVED_IDS, Views};
use super::{OutputFile, PageSpec};
use crate::aggregate::{self, Figure, Key, KeyPart, Lookup, Number};
use crate::chart::{self, Chart, Kind};
use crate::chart::{ChartWords, Formatter};
use crate::diagnostics::{Diagnostic, closest};
use crate::load::DocKind;
use crate::locale::Locale;
use crate::markdown::{IdSet, RenderOptions, render_with};
use crate::model::Edition;
use crate::schema::Vocabularies;
use crate::validate::Documents;
use std::sync::Arc;

/// Ids the report templates use; bodies and figures on report pages may not take them.
pub const REPORT_IDS: &[&str] = &[
    "headline-heading",
    "figures-heading",
    "completeness-heading",
    "records-heading",
    "downloads-heading",
    "contents-heading",
    "annex-heading",
    "figures-list-heading",
    "about-figure-heading",
];

/// Chapter ids that would collide with the report's own folders.
pub const RESERVED_CHAPTER_IDS: &[&str] = &["figures", "print"];

/// The chart each figure is drawn as; figures without one are tables only.
pub fn chart_kind(name: &str) -> Option<Kind> {
    Some(match name {
        "initiatives_by_modality" | "initiatives_by_instrument" | "outcomes" | "initiatives_by_status" => Kind::Bars,
        "budget_usd_by_modality" | "data_completeness" | "initiatives_by_sdg" => Kind::Bars,
        "providers" | "recipients" | "initiatives_by_sector" | "contributions_usd_by_actor_type" => Kind::RankedBars,
        "ssc_share_of_gni" => Kind::RankedBars,
        "participation_by_actor_type_and_phase" | "flows" => Kind::HeatMap,
        "evaluation_answers" => Kind::StackedBars,
        "consultation_answers" => Kind::GroupedBars,
        "initiatives_by_start_year" => Kind::Line,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Shortcodes

/// What a shortcode places.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Embed {
    Chart,
    Table,
    Number,
}

/// A valid shortcode of a Markdown body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortcode {
    pub embed: Embed,
    pub figure: String,
    pub key: Vec<String>,
    /// Byte range of `{{< ... >}}` in the Markdown.
    pub range: Range<usize>,
}

/// A shortcode that cannot be placed, at a byte offset of the Markdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShortcodeProblem {
    pub offset: usize,
    pub len: usize,
    pub message: String,
    pub hint: Option<String>,
}

const OPEN: &str = "{{<";
const CLOSE: &str = ">}}";

fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// The byte ranges of code (spans and blocks) and of top-level paragraphs.
fn code_and_paragraphs(markdown: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let mut code = Vec::new();
    let mut paragraphs = Vec::new();
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(markdown, markdown_options()).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                if depth == 0 && matches!(tag, Tag::Paragraph) {
                    paragraphs.push(range.clone());
                }
                if matches!(tag, Tag::CodeBlock(_)) {
                    code.push(range);
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Code(_) => code.push(range),
            _ => {}
        }
    }
    (code, paragraphs)
}

/// Finds the shortcodes of a Markdown body (outside code) and checks them: the kind, the
/// figure name, the key, and that `chart` and `table` stand alone in a paragraph.
pub fn scan(markdown: &str, vocabularies: &Vocabularies) -> (Vec<Shortcode>, Vec<ShortcodeProblem>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    if !markdown.contains(OPEN) {
        return (found, problems);
    }
    let (code, paragraphs) = code_and_paragraphs(markdown);
    let mut from = 0;
    while let Some(at) = markdown[from..].find(OPEN).map(|i| i + from) {
        from = at + OPEN.len();
        if code.iter().any(|r| r.contains(&at)) {
            continue;
        }
        let line_end = markdown[at..].find('\n').map_or(markdown.len(), |i| at + i);
        let Some(close) = markdown[at..line_end].find(CLOSE).map(|i| at + i) else {
            problems.push(ShortcodeProblem {
                offset: at,
                len: OPEN.len(),
                message: "this figure shortcode is not closed with `>}}` on the same line".into(),
                hint: Some(
                    "write it as `{{< chart NAME >}}`, `{{< table NAME >}}` or `{{< number NAME KEY >}}`".into(),
                ),
            });
            continue;
        };
        let range = at..close + CLOSE.len();
        from = range.end;
        let words: Vec<&str> = markdown[at + OPEN.len()..close].split_whitespace().collect();
        let problem = |message: String, hint: Option<String>| ShortcodeProblem {
            offset: at,
            len: range.len(),
            message,
            hint,
        };
        let embed = match words.first().copied() {
            Some("chart") => Embed::Chart,
            Some("table") => Embed::Table,
            Some("number") => Embed::Number,
            other => {
                problems.push(problem(
                    format!("`{}` is not a kind of figure shortcode", other.unwrap_or("")),
                    Some("use `chart`, `table` or `number`: `{{< chart NAME >}}`".into()),
                ));
                continue;
            }
        };
        let Some(name) = words.get(1).copied() else {
            problems.push(problem(
                "the shortcode names no figure".into(),
                Some(format!(
                    "the figures are listed in the data dictionary; e.g. `{{{{< {} initiatives_by_modality >}}}}`",
                    words[0]
                )),
            ));
            continue;
        };
        let Some(def) = aggregate::figure_def(name) else {
            let hint = match closest(name, aggregate::FIGURES.iter().map(|f| f.name)) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!(
                    "the figures are: {}",
                    aggregate::FIGURES.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                ),
            };
            problems.push(problem(format!("there is no figure named `{name}`"), Some(hint)));
            continue;
        };
        let key: Vec<&str> = words[2..].to_vec();
        match embed {
            Embed::Number => {
                if let Err(why) = aggregate::check_key(def, &key, vocabularies) {
                    let hint = if key.is_empty() {
                        format!("name the row: `{{{{< number {name} KEY >}}}}`")
                    } else {
                        "the keys of a figure are in its rows in data/reports/<year>/figures.json".into()
                    };
                    problems.push(problem(
                        format!("`{}` is not a row of `{name}`: {why}", key.join(" ")),
                        Some(hint),
                    ));
                    continue;
                }
            }
            Embed::Chart | Embed::Table => {
                if !key.is_empty() {
                    problems.push(problem(
                        format!("a {} shows the whole figure and takes no key", words[0]),
                        Some(format!(
                            "write `{{{{< {} {name} >}}}}`, or `number` for one value",
                            words[0]
                        )),
                    ));
                    continue;
                }
                if embed == Embed::Chart && chart_kind(name).is_none() {
                    problems.push(problem(
                        format!("the figure `{name}` has no chart"),
                        Some(format!("use `{{{{< table {name} >}}}}`")),
                    ));
                    continue;
                }
                let alone = paragraphs
                    .iter()
                    .any(|p| p.contains(&at) && markdown[p.clone()].trim() == &markdown[range.clone()]);
                if !alone {
                    problems.push(problem(
                        format!("a {} shortcode must be a paragraph of its own", words[0]),
                        Some("put it on its own line, with a blank line before and after".into()),
                    ));
                    continue;
                }
            }
        }
        found.push(Shortcode {
            embed,
            figure: name.to_owned(),
            key: key.iter().map(|s| (*s).to_owned()).collect(),
            range,
        });
    }
    (found, problems)
}

/// The check of an edition's figure shortcodes, with file, line and column, and reserved
/// chapter ids. Called by the rules of `validate`.
pub fn check_figure_references(
    edition: &Edition,
    docs: &Documents,
    vocabularies: &Vocabularies,
    out: &mut Vec<Diagnostic>,
) {
    let year = edition.year;
    let mut bodies = vec![(DocKind::ReportEdition { year }, "index", edition.index.body.as_str())];
    for c in &edition.chapters {
        bodies.push((DocKind::ReportChapter { year }, c.id.as_str(), c.body.as_str()));
        if RESERVED_CHAPTER_IDS.contains(&c.id.as_str())
            && let Some(doc) = docs.get(&DocKind::ReportChapter { year }, &c.id)
        {
            out.push(
                Diagnostic::error(
                    &doc.file,
                    1,
                    1,
                    "report",
                    format!(
                        "a chapter cannot be called `{}`: reports/{year}/{}/ holds the report's own pages",
                        c.id, c.id
                    ),
                )
                .with_hint("rename the chapter's file"),
            );
        }
    }
    for (kind, id, body) in bodies {
        let Some(doc) = docs.get(&kind, id) else { continue };
        check_body_shortcodes(doc, body, vocabularies, out);
    }
}

/// The check of the figure shortcodes of one report body (a record's or its
/// translation's), located in `doc`.
pub fn check_body_shortcodes(
    doc: &crate::load::Document,
    body: &str,
    vocabularies: &Vocabularies,
    out: &mut Vec<Diagnostic>,
) {
    let (_, problems) = scan(body, vocabularies);
    for p in problems {
        let before = &body[..p.offset];
        let line = doc.body_line + before.matches('\n').count();
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        out.push(
            Diagnostic::error(&doc.file, line, column, "figure", p.message)
                .with_hint_opt(p.hint)
                .with_len(body[p.offset..p.offset + p.len].chars().count())
                .with_source(&doc.text),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Figures as page contexts, charts and CSV

/// One page of an edition's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditionPage {
    /// The edition's cover: its index body, headline, figures and the initiatives counted.
    Cover,
    /// A chapter, by position in the edition's order.
    Chapter(usize),
    /// Every figure.
    Annex,
    /// One figure with the records of each row.
    Figure(&'static str),
    /// The whole edition on one page.
    Print,
}

/// An edition with its figures computed and numbered.
struct EditionFigures<'e> {
    edition: &'e Edition,
    figures: &'e [Figure],
    /// Figure number by name.
    numbers: BTreeMap<&'static str, usize>,
}

impl EditionFigures<'_> {
    fn get(&self, name: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.name() == name)
    }

    fn dir(&self) -> String {
        format!("reports/{}/figures", self.edition.year)
    }

    fn in_number_order(&self) -> Vec<&Figure> {
        let mut list: Vec<&Figure> = self.figures.iter().collect();
        list.sort_by_key(|f| self.numbers[f.name()]);
        list
    }
}

/// `row-` and the key, for the anchor of a row on its figure page.
fn row_anchor(parts: &[&str]) -> String {
    let slug = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!("row-{}", parts.iter().map(|p| slug(p)).collect::<Vec<_>>().join("--"))
}

/// `0.00005` → `0.005%`: two significant digits below 10 %, one decimal above.
/// A share as a percentage with enough decimals to stay readable when small
/// (`0.005%`, `1.2%`, `33.3%`).
fn percent(locale: &Locale, fraction: f64) -> String {
    let p = fraction * 100.0;
    if p == 0.0 || !p.is_finite() {
        return locale.percent(0.0, 0);
    }
    let decimals = if p >= 10.0 {
        1
    } else {
        (1 - p.abs().log10().floor() as i16).max(1)
    };
    locale.percent(fraction, decimals)
}

impl Views<'_> {
    /// How values of `unit` are written in the page's language.
    fn value_format(&self, unit: &str) -> Formatter {
        let locale = Arc::clone(self.locale);
        match unit {
            "USD" => Arc::new(move |v| locale.usd(v)),
            "fraction" => Arc::new(move |v| percent(&locale, v)),
            _ => Arc::new(move |v| locale.number(v)),
        }
    }

    /// The title of a figure in the page's language.
    fn figure_title(&self, name: &str) -> String {
        self.t(&format!("figure.{name}.title"))
    }

    fn format_number(&self, unit: &str, n: Number) -> String {
        (self.value_format(unit))(n.as_f64())
    }
}

impl Views<'_> {
    fn edition_figures<'e>(&'e self, edition: &'e Edition) -> EditionFigures<'e> {
        let figures = self.index.figures(edition.year);
        let mut order: Vec<&'static str> = Vec::new();
        let bodies = std::iter::once(&edition.index.body).chain(edition.chapters.iter().map(|c| &c.body));
        for body in bodies {
            for code in scan(body, &self.data.vocabularies).0 {
                if code.embed != Embed::Number
                    && let Some(def) = aggregate::figure_def(&code.figure)
                    && !order.contains(&def.name)
                {
                    order.push(def.name);
                }
            }
        }
        for def in aggregate::FIGURES {
            if !order.contains(&def.name) {
                order.push(def.name);
            }
        }
        let numbers = order.into_iter().enumerate().map(|(i, n)| (n, i + 1)).collect();
        EditionFigures {
            edition,
            figures,
            numbers,
        }
    }

    /// The label of one part of a key.
    fn part_label(&self, kind: Option<KeyPart>, value: &str) -> String {
        match kind {
            Some(KeyPart::Vocab(v)) => self.label(v, value),
            Some(KeyPart::VocabOr(v, extra)) if !extra.contains(&value) => self.label(v, value),
            Some(KeyPart::Country) => {
                crate::countries::get(value).map_or(value.to_owned(), |c| c.name(self.lang()).to_owned())
            }
            Some(KeyPart::Sdg) => format!("{value}. {}", self.t(&format!("sdg.{value}"))),
            Some(KeyPart::Year) => value.to_owned(),
            _ => self.t(&format!("report.key.{value}")),
        }
    }

    /// The labels of a key's parts.
    fn key_labels(&self, figure: &Figure, parts: &[&str]) -> Vec<String> {
        let shape = aggregate::key_shape(figure.def, parts, &self.data.vocabularies);
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| self.part_label(shape.and_then(|s| s.get(i).copied()), p))
            .collect()
    }

    fn unit_label(&self, unit: &str) -> String {
        self.t(&format!("report.unit.{unit}"))
    }

    /// The values of the first (`part` 0) or second part of a two-way figure's keys, in
    /// order: the whole vocabulary when it is short (zeros are informative), else the
    /// values that occur.
    fn axis(&self, figure: &Figure, part: usize) -> Vec<String> {
        let present: Vec<String> = {
            let mut seen = Vec::new();
            for r in &figure.rows {
                if let Key::Two(a, b) = &r.key
                    && let p = if part == 0 { a } else { b }
                    && !seen.iter().any(|s: &String| s == p)
                {
                    seen.push(p.clone());
                }
            }
            seen
        };
        let kind = figure
            .def
            .keys
            .iter()
            .find(|s| s.len() == 2)
            .and_then(|s| s.get(part).copied());
        let full: Vec<String> = match kind {
            Some(KeyPart::Vocab(v)) | Some(KeyPart::VocabOr(v, _)) if self.data.vocabularies.values(v).len() <= 8 => {
                self.data.vocabularies.values(v).iter().map(|e| e.id.clone()).collect()
            }
            Some(KeyPart::Fixed(values)) => values.iter().map(|v| (*v).to_owned()).collect(),
            _ => return present,
        };
        let mut axis = full;
        for p in present {
            if !axis.contains(&p) {
                axis.push(p);
            }
        }
        axis
    }

    fn cell(&self, ef: &EditionFigures<'_>, figure: &Figure, parts: &[&str]) -> Value {
        let href = |parts: &[&str]| format!("{}/{}/index.html#{}", ef.dir(), figure.name(), row_anchor(parts));
        match figure.lookup(parts) {
            Lookup::Row(row) => match row.value {
                Some(n) => json!({
                    "text": self.format_number(figure.def.unit, n),
                    "href": (!row.records.is_empty()).then(|| href(parts)),
                }),
                None => json!({"text": self.t("report.no_data"), "href": null}),
            },
            Lookup::Zero => json!({"text": "0", "href": null}),
            Lookup::NoData => json!({"text": self.t("report.no_data"), "href": null}),
        }
    }

    /// The data table of a figure: a list of rows, or a matrix for a two-way figure, with
    /// the one-part rows of a two-way figure (`not_evaluated`) as `extra`.
    fn figure_table(&self, ef: &EditionFigures<'_>, figure: &Figure) -> Value {
        let unit = self.unit_label(figure.def.unit);
        let header = |part: usize| -> String {
            let key = format!("figure.{}.header{}", figure.name(), part + 1);
            match self.locale.catalog().contains_key(&key) {
                true => self.t(&key),
                false => self.t("report.key_header"),
            }
        };
        if figure.two_way() {
            let rows_axis = self.axis(figure, 0);
            let cols_axis = self.axis(figure, 1);
            let mut head = vec![header(0)];
            head.extend(cols_axis.iter().map(|c| self.part_label_of(figure, 1, c)));
            let rows: Vec<Value> = rows_axis
                .iter()
                .map(|r| {
                    let cells: Vec<Value> = cols_axis
                        .iter()
                        .map(|c| self.cell(ef, figure, &[r.as_str(), c.as_str()]))
                        .collect();
                    json!({"label": self.part_label_of(figure, 0, r), "cells": cells})
                })
                .collect();
            let extra: Vec<Value> = figure
                .rows
                .iter()
                .filter(|r| r.key.arity() == 1)
                .map(|r| {
                    let parts = r.key.parts();
                    let mut cell = self.cell(ef, figure, &parts);
                    cell["label"] = json!(self.key_labels(figure, &parts).join(" · "));
                    cell
                })
                .collect();
            json!({"head": head, "columns_label": header(1), "rows": rows, "extra": extra, "unit": unit, "two_way": true})
        } else {
            let rows: Vec<Value> = figure
                .rows
                .iter()
                .map(|r| {
                    let parts = r.key.parts();
                    json!({"label": self.key_labels(figure, &parts).join(" · "), "cells": [self.cell(ef, figure, &parts)]})
                })
                .collect();
            json!({"head": [header(0), unit], "columns_label": null, "rows": rows, "extra": [], "unit": unit, "two_way": false})
        }
    }

    fn part_label_of(&self, figure: &Figure, part: usize, value: &str) -> String {
        let kind = figure
            .def
            .keys
            .iter()
            .find(|s| s.len() == 2)
            .and_then(|s| s.get(part).copied());
        self.part_label(kind, value)
    }

    /// The chart of a figure, if it has one and any data.
    fn figure_chart(&self, figure: &Figure) -> Option<Chart> {
        let kind = chart_kind(figure.name())?;
        if !figure.has_data() {
            return None;
        }
        let unit = self.unit_label(figure.def.unit);
        let format = self.value_format(figure.def.unit);
        let title = self.figure_title(figure.name());
        let two_way = matches!(kind, Kind::GroupedBars | Kind::StackedBars | Kind::HeatMap);
        let (categories, series, values) = if two_way {
            let rows_axis = self.axis(figure, 0);
            let cols_axis = self.axis(figure, 1);
            let values: Vec<Vec<Option<f64>>> = rows_axis
                .iter()
                .map(|r| {
                    cols_axis
                        .iter()
                        .map(|c| match figure.lookup(&[r, c]) {
                            Lookup::Row(row) => row.value.map(Number::as_f64),
                            Lookup::Zero => Some(0.0),
                            Lookup::NoData => None,
                        })
                        .collect()
                })
                .collect();
            (
                rows_axis.iter().map(|r| self.part_label_of(figure, 0, r)).collect(),
                cols_axis.iter().map(|c| self.part_label_of(figure, 1, c)).collect(),
                values,
            )
        } else {
            let rows: Vec<_> = figure.rows.iter().filter(|r| r.key.arity() == 1).collect();
            (
                rows.iter()
                    .map(|r| self.key_labels(figure, &r.key.parts()).join(" · "))
                    .collect(),
                vec![unit.clone()],
                rows.iter().map(|r| vec![r.value.map(Number::as_f64)]).collect(),
            )
        };
        // A chart of nothing but zeros says nothing the table does not.
        if !values.iter().flatten().flatten().any(|v| *v > 0.0) {
            return None;
        }
        Some(Chart {
            kind,
            title,
            value_label: unit,
            categories,
            series,
            values,
            format,
            words: ChartWords {
                kind: self.t(&format!("chart.kind.{kind:?}")),
                no_data: self.t("report.no_data"),
            },
        })
    }

    /// A figure as the templates show it (without its page id).
    fn figure_view(&self, ef: &EditionFigures<'_>, figure: &Figure) -> Value {
        let name = figure.name();
        let chart = self.figure_chart(figure).map(|c| {
            let (width, height) = chart::size(&c);
            json!({
                "src": format!("{}/{name}.svg", ef.dir()),
                "alt": format!("{}: {}. {}", self.t(&format!("chart.kind.{:?}", c.kind)), c.title, self.t("chart.alt_table")),
                "width": width,
                "height": height,
            })
        });
        json!({
            "name": name,
            "number": ef.numbers[name],
            "title": self.figure_title(figure.name()),
            "unit": self.unit_label(figure.def.unit),
            "note": self.t(&format!("figure.{name}.note")),
            "href": format!("{}/{name}/index.html", ef.dir()),
            "csv": self.shared(&format!("data/reports/{}/{name}.csv", ef.edition.year)),
            "chart": chart,
            "no_data": !figure.has_data(),
            "table": self.figure_table(ef, figure),
            "id": null,
            "caption_id": null,
        })
    }

    /// A figure placed on a page, with ids unique on it.
    fn place_figure(&self, ef: &EditionFigures<'_>, figure: &Figure, ids: &mut IdSet) -> Value {
        let mut view = self.figure_view(ef, figure);
        let id = ids.claim(&format!("figure-{}", figure.name().replace('_', "-")));
        view["caption_id"] = json!(ids.claim(&format!("{id}-caption")));
        view["id"] = json!(id);
        view
    }

    /// An inline number: its value linked to its records.
    fn number_html(&self, ef: &EditionFigures<'_>, code: &Shortcode, root: &str) -> String {
        let Some(figure) = ef.get(&code.figure) else {
            return escape_html(&code.figure);
        };
        let parts: Vec<&str> = code.key.iter().map(String::as_str).collect();
        let cell = self.cell(ef, figure, &parts);
        let text = escape_html(cell["text"].as_str().unwrap_or_default());
        match cell["href"].as_str() {
            Some(href) => format!(
                "<a class=\"figure-value\" href=\"{root}{}\" title=\"{}\">{text}</a>",
                escape_html(href),
                escape_html(&format!(
                    "{} {}: {}",
                    self.t("report.figure"),
                    ef.numbers[figure.name()],
                    self.figure_title(figure.name())
                ))
            ),
            None => format!("<span class=\"figure-value\">{text}</span>"),
        }
    }

    /// A report body in the default language on a page of another language: each HTML
    /// part in an element with its language (figures stay in the page's language), after
    /// a note saying so.
    fn parts_fallback(&self, parts: Vec<Value>) -> Vec<Value> {
        if parts.is_empty() {
            return parts;
        }
        let from = self.default_lang();
        let note = super::fallback_note(self.locale, from);
        let mut out = vec![json!({ "html": note, "figure": null, "chart": false })];
        out.extend(parts.into_iter().map(|mut part| {
            if let Some(html) = part.get("html").and_then(Value::as_str)
                && !html.trim().is_empty()
            {
                part["html"] = json!(format!("<div lang=\"{from}\">\n{html}</div>\n"));
            }
            part
        }));
        out
    }

    /// A report body (cover or chapter): its HTML in parts, with the figures it places
    /// between them. Records the first placement id of each figure in `placed`.
    fn report_body(
        &self,
        ef: &EditionFigures<'_>,
        markdown: &str,
        root: &str,
        ids: &mut IdSet,
        top_level: u8,
        placed: &mut BTreeMap<&'static str, String>,
    ) -> Vec<Value> {
        let (codes, _) = scan(markdown, &self.data.vocabularies);
        let mut nonce = String::from("sscembed");
        while markdown.contains(&nonce) {
            nonce.push('q');
        }
        let token = |i: usize| format!("{nonce}x{i}y");
        let mut source = String::with_capacity(markdown.len());
        let mut at = 0;
        for (i, code) in codes.iter().enumerate() {
            source.push_str(&markdown[at..code.range.start]);
            source.push_str(&token(i));
            at = code.range.end;
        }
        source.push_str(&markdown[at..]);
        let options = RenderOptions {
            top_level,
            ..RenderOptions::default()
        };
        let html = render_with(&source, ids, &options).html;

        let mut parts = Vec::new();
        let mut rest = html.as_str();
        let mut inline: Vec<(String, String)> = Vec::new();
        for (i, code) in codes.iter().enumerate() {
            let Some(figure) = ef.get(&code.figure) else { continue };
            if code.embed == Embed::Number {
                inline.push((token(i), self.number_html(ef, code, root)));
                continue;
            }
            let block = format!("<p>{}</p>", token(i));
            match rest.find(&block) {
                Some(pos) => {
                    parts.push(json!({"html": &rest[..pos], "figure": null, "chart": false}));
                    let view = self.place_figure(ef, figure, ids);
                    placed
                        .entry(figure.def.name)
                        .or_insert_with(|| view["id"].as_str().unwrap_or_default().to_owned());
                    parts.push(json!({"html": null, "figure": view, "chart": code.embed == Embed::Chart}));
                    rest = &rest[pos + block.len()..];
                }
                None => {
                    // Not a paragraph of its own (check reports it): a link to the figure.
                    let link = format!(
                        "<a href=\"{root}{}/{}/index.html\">{} {}: {}</a>",
                        ef.dir(),
                        figure.name(),
                        escape_html(&self.t("report.figure")),
                        ef.numbers[figure.name()],
                        escape_html(&self.figure_title(figure.name()))
                    );
                    inline.push((token(i), link));
                }
            }
        }
        parts.push(json!({"html": rest, "figure": null, "chart": false}));
        for part in &mut parts {
            if let Some(html) = part["html"].as_str() {
                let mut html = html.to_owned();
                for (token, replacement) in &inline {
                    html = html.replace(token.as_str(), replacement);
                }
                part["html"] = json!(html);
            }
        }
        parts.retain(|p| p["html"].as_str().is_none_or(|h| !h.trim().is_empty()));
        parts
    }

    fn report_ids() -> IdSet {
        let reserved: Vec<&'static str> = RESERVED_IDS.iter().chain(REPORT_IDS).copied().collect();
        IdSet::with_reserved(&reserved)
    }

    /// The cover's headline figures, each linked to the records it counts.
    fn headline(&self, ef: &EditionFigures<'_>) -> Value {
        let link = |name: &str, key: &str| format!("{}/{name}/index.html#{}", ef.dir(), row_anchor(&[key]));
        let h = aggregate::headline(self.data, ef.edition);
        let mut items = vec![
            json!({"label": self.t("edition.initiatives"), "value": self.locale.number(h.projects.len() as f64),
                   "href": (!h.projects.is_empty()).then(|| link("civil_society_share", "total"))}),
            json!({"label": self.t("edition.countries"), "value": self.locale.number(h.countries as f64),
                   "href": format!("reports/{}/index.html#scope-heading", ef.edition.year)}),
            json!({"label": self.t("edition.with_civil_society"), "value": self.locale.number(h.with_civil_society as f64),
                   "href": (h.with_civil_society > 0).then(|| link("civil_society_share", "with_civil_society"))}),
        ];
        if let Some(f) = ef.get("initiatives_by_modality") {
            for r in &f.rows {
                let parts = r.key.parts();
                items.push(json!({
                    "label": self.key_labels(f, &parts).join(" · "),
                    "value": r.value.map_or_else(|| self.t("report.no_data"), |n| self.format_number(f.def.unit, n)),
                    "href": (!r.records.is_empty()).then(|| link(f.name(), parts[0])),
                }));
            }
        }
        json!(items)
    }

    /// How complete the data of the edition is, and what is missing.
    fn completeness(&self, ef: &EditionFigures<'_>) -> Value {
        let Some(f) = ef.get("data_completeness") else {
            return Value::Null;
        };
        let total = f
            .rows
            .iter()
            .find(|r| r.key.is(&["total"]))
            .and_then(|r| r.value)
            .map_or(0.0, Number::as_f64);
        let rows: Vec<Value> = f
            .rows
            .iter()
            .filter(|r| !r.key.is(&["total"]))
            .map(|r| {
                let parts = r.key.parts();
                let n = r.value.map_or(0.0, Number::as_f64);
                json!({
                    "field": self.t(&format!("report.key.{}", parts[0])),
                    "count": self.locale.number(n),
                    "share": if total > 0.0 { percent(self.locale, n / total) } else { self.t("report.no_data") },
                    "href": (!r.records.is_empty()).then(|| format!("{}/{}/index.html#{}", ef.dir(), f.name(), row_anchor(&parts))),
                    "missing": total > 0.0 && n == 0.0,
                })
            })
            .collect();
        let no_data: Vec<Value> = ef
            .in_number_order()
            .into_iter()
            .filter(|f| !f.has_data())
            .map(|f| json!({"number": ef.numbers[f.name()], "title": self.figure_title(f.name()), "href": format!("{}/{}/index.html", ef.dir(), f.name())}))
            .collect();
        json!({"total": self.locale.number(total), "rows": rows, "no_data": no_data, "href": format!("{}/{}/index.html", ef.dir(), f.name())})
    }

    fn figures_list(&self, ef: &EditionFigures<'_>, anchors: Option<&BTreeMap<&'static str, String>>) -> Vec<Value> {
        ef.in_number_order()
            .into_iter()
            .map(|f| {
                json!({
                    "number": ef.numbers[f.name()],
                    "title": self.figure_title(f.name()),
                    "href": format!("{}/{}/index.html", ef.dir(), f.name()),
                    "anchor": anchors.and_then(|a| a.get(f.name())),
                    "no_data": !f.has_data(),
                })
            })
            .collect()
    }

    /// The pages of every edition: cover, chapters, figures annex, figure pages, print.
    /// The pages of an edition's report, in order: cover, chapters, the figures annex, one
    /// page per figure, the printable edition.
    pub(crate) fn edition_page_list(edition: &Edition) -> Vec<EditionPage> {
        let mut pages = vec![EditionPage::Cover];
        pages.extend((0..edition.chapters.len()).map(EditionPage::Chapter));
        pages.push(EditionPage::Annex);
        pages.extend(aggregate::FIGURES.iter().map(|f| EditionPage::Figure(f.name)));
        pages.push(EditionPage::Print);
        pages
    }

    /// The path of one page of an edition's report.
    pub(crate) fn edition_page_path(edition: &Edition, page: &EditionPage) -> String {
        let year = edition.year;
        match page {
            EditionPage::Cover => format!("reports/{year}/index.html"),
            EditionPage::Chapter(i) => format!("reports/{year}/{}/index.html", edition.chapters[*i].id),
            EditionPage::Annex => format!("reports/{year}/figures/index.html"),
            EditionPage::Figure(name) => format!("reports/{year}/figures/{name}/index.html"),
            EditionPage::Print => format!("reports/{year}/print/index.html"),
        }
    }

    /// One page of the report of the edition of `year`.
    pub(crate) fn edition_page(&self, year: i32, page: &EditionPage) -> PageSpec {
        let edition = &self.data.editions[&year];
        let ef = self.edition_figures(edition);
        let title = self.field(&edition.index, "title", &edition.index.data.title);
        let base = format!("reports/{year}");
        let chapters: Vec<Value> = edition
            .chapters
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"id": c.id, "number": i + 1, "title": self.field(c, "title", &c.data.title), "href": format!("{base}/{}/index.html", c.id)}))
            .collect();
        let about = json!({
            "title": title,
            "href": format!("{base}/index.html"),
            "figures_href": format!("{}/index.html", ef.dir()),
            "print_href": format!("{base}/print/index.html"),
            "data_href": self.shared(&format!("data/reports/{year}/figures.json")),
            "period": format!("{} – {}", self.locale.date(&edition.index.data.period.from), self.locale.date(&edition.index.data.period.to)),
            "status": self.label("report-statuses", &edition.index.data.status),
            "published": self.opt_date(&edition.index.data.published),
        });
        let path = Self::edition_page_path(edition, page);
        match page {
            EditionPage::Cover => {
                let projects: Vec<Fields> = aggregate::edition_scope(self.data, edition)
                    .into_iter()
                    .map(|p| self.project_item(p))
                    .collect();
                let mut ids = Self::report_ids();
                let mut placed = BTreeMap::new();
                let (source, fallback) = self.body_source(&edition.index);
                let mut body = self.report_body(&ef, source, "../../", &mut ids, 2, &mut placed);
                if fallback {
                    body = self.parts_fallback(body);
                }
                self.simple(
                    &path,
                    "edition.html",
                    title.clone(),
                    // The initiatives as template values already; the rest converted once.
                    fields! {"edition" => fields! {
                        "about" => about, "headline" => self.headline(&ef), "body" => body, "chapters" => chapters,
                        "figures" => self.figures_list(&ef, None), "completeness" => self.completeness(&ef), "projects" => projects,
                    }},
                )
            }
            EditionPage::Chapter(i) => {
                let (i, c) = (*i, &edition.chapters[*i]);
                let mut ids = Self::report_ids();
                let (source, fallback) = self.body_source(c);
                let mut body = self.report_body(&ef, source, "../../../", &mut ids, 2, &mut BTreeMap::new());
                if fallback {
                    body = self.parts_fallback(body);
                }
                let chapter = json!({
                    "title": self.field(c, "title", &c.data.title),
                    "number": i + 1,
                    "body": body,
                    "edition": about,
                    "previous": i.checked_sub(1).map(|j| chapters[j].clone()),
                    "next": chapters.get(i + 1).cloned(),
                });
                self.simple(
                    &path,
                    "chapter.html",
                    self.field(c, "title", &c.data.title),
                    json!({ "chapter": chapter }),
                )
            }
            EditionPage::Annex => {
                // Every figure, in number order.
                let mut ids = Self::report_ids();
                let mut anchors = BTreeMap::new();
                let figures: Vec<Value> = ef
                    .in_number_order()
                    .into_iter()
                    .map(|f| {
                        let view = self.place_figure(&ef, f, &mut ids);
                        anchors.insert(f.def.name, view["id"].as_str().unwrap_or_default().to_owned());
                        view
                    })
                    .collect();
                self.simple(
                    &path,
                    "report-figures.html",
                    format!("{} · {}", self.t("report.figures"), title),
                    json!({"report": {"edition": about, "figures": figures, "list": self.figures_list(&ef, Some(&anchors))}}),
                )
            }
            EditionPage::Figure(name) => {
                // One figure, with the records of each row.
                let f = ef.get(name).expect("every figure is computed");
                let mut ids = Self::report_ids();
                let view = self.place_figure(&ef, f, &mut ids);
                let rows: Vec<Fields> = f
                    .rows
                    .iter()
                    .map(|r| {
                        let parts = r.key.parts();
                        fields! {
                            "id" => ids.claim(&row_anchor(&parts)),
                            "label" => self.key_labels(f, &parts).join(" · "),
                            "value" => r.value.map_or_else(|| self.t("report.no_data"), |n| self.format_number(f.def.unit, n)),
                            // Each initiative's link made once, found by its id (the
                            // records of a row are the initiatives of the site).
                            "projects" => r.records.iter().filter_map(|id| self.project_link_of(id)).collect::<Vec<_>>(),
                        }
                    })
                    .collect();
                let svg = view["chart"]["src"].clone();
                self.simple(
                    &path,
                    "report-figure.html",
                    format!(
                        "{} {}: {}",
                        self.t("report.figure"),
                        ef.numbers[f.name()],
                        self.figure_title(f.name())
                    ),
                    fields! {"report" => fields! {"edition" => about, "figure" => view, "rows" => rows, "svg" => svg}},
                )
            }
            EditionPage::Print => self.print_page(&ef, &about, &chapters, &title),
        }
    }

    /// The whole edition on one page, for printing: cover, contents, chapters, the figures
    /// no chapter shows, completeness and the initiatives counted.
    fn print_page(&self, ef: &EditionFigures<'_>, about: &Value, chapters: &[Value], title: &str) -> PageSpec {
        let edition = ef.edition;
        let root = "../../../";
        let mut ids = Self::report_ids();
        let mut placed = BTreeMap::new();
        let (source, fallback) = self.body_source(&edition.index);
        let mut cover = self.report_body(ef, source, root, &mut ids, 2, &mut placed);
        if fallback {
            cover = self.parts_fallback(cover);
        }
        let mut sections = Vec::new();
        for (c, info) in edition.chapters.iter().zip(chapters) {
            let id = ids.claim(&format!("chapter-{}", c.id));
            let (source, fallback) = self.body_source(c);
            let mut body = self.report_body(ef, source, root, &mut ids, 3, &mut placed);
            if fallback {
                body = self.parts_fallback(body);
            }
            let mut section = info.clone();
            section["anchor"] = json!(id);
            section["body"] = json!(body);
            sections.push(section);
        }
        let unplaced: Vec<&Figure> = ef
            .in_number_order()
            .into_iter()
            .filter(|f| !placed.contains_key(f.def.name))
            .collect();
        let annex: Vec<Value> = unplaced
            .into_iter()
            .map(|f| {
                let view = self.place_figure(ef, f, &mut ids);
                placed.insert(f.def.name, view["id"].as_str().unwrap_or_default().to_owned());
                view
            })
            .collect();
        let projects: Vec<Fields> = aggregate::edition_scope(self.data, edition)
            .into_iter()
            .map(|p| self.project_item(p))
            .collect();
        self.simple(
            &format!("reports/{}/print/index.html", edition.year),
            "edition-print.html",
            format!("{title} ({})", self.t("report.print")),
            fields! {"edition" => fields! {
                "about" => about, "headline" => self.headline(ef), "body" => cover, "chapters" => sections, "annex" => annex,
                "figures" => self.figures_list(ef, Some(&placed)), "completeness" => self.completeness(ef), "projects" => projects,
            }},
        )
    }
}

fn escape_html(s: &str) -> String {
    super::escape_text(s)
}

/// The data files of every edition, the same in every language: `data/reports/<year>/figures.json`
/// and, for each figure, `data/reports/<year>/<name>.csv` (its rows, CRLF line ends like the
/// other CSV downloads, labels in the language of `views`, the default language).
pub fn edition_data_files(views: &Views<'_>) -> Vec<OutputFile> {
    let mut files = Vec::new();
    for edition in views.data.editions.values() {
        let ef = views.edition_figures(edition);
        files.push(OutputFile {
            path: format!("data/reports/{}/figures.json", edition.year),
            bytes: aggregate::figures_json(edition.year, ef.figures).into_bytes(),
        });
        // Each table lists the ids of the initiatives it counts: on either core (in order).
        files.par_extend(ef.figures.par_iter().map(|f| OutputFile {
            path: format!("data/reports/{}/{}.csv", edition.year, f.name()),
            bytes: views.figure_csv(f),
        }));
    }
    files
}

/// The charts of every edition in the language of `views`:
/// `<prefix>reports/<year>/figures/<name>.svg` for each figure that has a chart.
pub fn edition_chart_files(views: &Views<'_>, prefix: &str) -> Vec<OutputFile> {
    let mut files = Vec::new();
    for edition in views.data.editions.values() {
        let ef = views.edition_figures(edition);
        for f in ef.figures {
            if let Some(svg) = views.figure_chart(f).and_then(|c| chart::svg(&c)) {
                files.push(OutputFile {
                    path: format!("{prefix}{}/{}.svg", ef.dir(), f.name()),
                    bytes: svg.into_bytes(),
                });
            }
        }
    }
    files
}

impl Views<'_> {
    /// `key_1,key_2,label_1,label_2,value,unit,records` (`key_2` and `label_2` empty for
    /// one-part keys; `value` empty for no data; records separated by spaces).
    fn figure_csv(&self, figure: &Figure) -> Vec<u8> {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        let write = |out: &mut csv::Writer<Vec<u8>>, fields: &[String]| {
            // Writing to memory cannot fail.
            let _ = out.write_record(fields);
        };
        let header = ["key_1", "key_2", "label_1", "label_2", "value", "unit", "records"];
        write(&mut out, &header.map(String::from));
        for r in &figure.rows {
            let parts = r.key.parts();
            let labels = self.key_labels(figure, &parts);
            let value = match r.value {
                Some(Number::Count(n)) => n.to_string(),
                Some(Number::Amount(x)) => x.to_string(),
                None => String::new(),
            };
            write(
                &mut out,
                &[
                    parts[0].to_owned(),
                    parts.get(1).map_or(String::new(), |s| (*s).to_owned()),
                    labels[0].clone(),
                    labels.get(1).cloned().unwrap_or_default(),
                    value,
                    figure.def.unit.to_owned(),
                    r.records.join(" "),
                ],
            );
        }
        out.into_inner().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabularies {
        crate::schema::SchemaSet::load(std::path::Path::new("/nonexistent"))
            .unwrap()
            .vocabularies
    }

    #[test]
    fn shortcodes_are_found_outside_code_and_checked() {
        let md = "Intro with {{< number initiatives_by_modality triangular >}} initiatives.\n\n\
                  {{< chart initiatives_by_modality >}}\n\n\
                  `{{< chart nothing >}}` and\n\n```\n{{< table nothing >}}\n```\n\n\
                  {{< table civil_society_share >}}\n";
        let (found, problems) = scan(md, &vocab());
        assert_eq!(problems, []);
        let kinds: Vec<(Embed, &str, Vec<String>)> = found
            .iter()
            .map(|c| (c.embed, c.figure.as_str(), c.key.clone()))
            .collect();
        assert_eq!(
            kinds,
            [
                (Embed::Number, "initiatives_by_modality", vec!["triangular".to_owned()]),
                (Embed::Chart, "initiatives_by_modality", vec![]),
                (Embed::Table, "civil_society_share", vec![]),
            ]
        );
        assert_eq!(&md[found[1].range.clone()], "{{< chart initiatives_by_modality >}}");
    }

    #[test]
    fn bad_shortcodes_are_problems_with_hints() {
        let v = vocab();
        let problem = |md: &str| {
            let (found, problems) = scan(md, &v);
            assert!(found.is_empty(), "{md}");
            assert_eq!(problems.len(), 1, "{md}");
            problems.into_iter().next().unwrap()
        };
        let p = problem("See {{< chart initiatives_by_modalty >}}\n");
        assert_eq!(p.message, "there is no figure named `initiatives_by_modalty`");
        assert_eq!(p.hint.as_deref(), Some("did you mean `initiatives_by_modality`?"));
        assert_eq!(p.offset, 4);
        assert!(
            problem("{{< graph outcomes >}}")
                .message
                .contains("`graph` is not a kind")
        );
        assert!(problem("{{< chart >}}").message.contains("names no figure"));
        assert!(
            problem("{{< chart civil_society_share >}}")
                .message
                .contains("has no chart")
        );
        assert!(
            problem("{{< table outcomes success >}}")
                .message
                .contains("takes no key")
        );
        assert!(
            problem("Text {{< chart outcomes >}} inline.")
                .message
                .contains("paragraph of its own")
        );
        assert!(
            problem("- {{< table outcomes >}}")
                .message
                .contains("paragraph of its own")
        );
        assert!(problem("{{< number outcomes >}}").message.contains("is not a row"));
        assert!(
            problem("{{< number outcomes great >}}")
                .message
                .contains("schemas/vocab/outcomes.yaml")
        );
        assert!(problem("{{< number outcomes success").message.contains("not closed"));
    }

    #[test]
    fn percentages_keep_small_shares_readable() {
        let en = Locale::new("en", crate::render::Theme::builtin_catalog("en").unwrap());
        assert_eq!(percent(&en, 0.00005), "0.005%");
        assert_eq!(percent(&en, 0.5), "50%");
        assert_eq!(percent(&en, 1.0 / 3.0), "33.3%");
        assert_eq!(percent(&en, 0.0123), "1.2%");
        assert_eq!(percent(&en, 0.0), "0%");
        let fr = Locale::new("fr", crate::render::Theme::builtin_catalog("fr").unwrap());
        assert_eq!(percent(&fr, 1.0 / 3.0), "33,3\u{202f}%");
    }

    #[test]
    fn row_anchors_join_key_parts() {
        assert_eq!(row_anchor(&["government", "follow-up"]), "row-government--follow-up");
        assert_eq!(row_anchor(&["HND"]), "row-hnd");
        assert_eq!(row_anchor(&["not_evaluated"]), "row-not_evaluated");
    }

    /// Every interface text the report looks up in Rust is in the default catalog (the
    /// templates' own `t()` calls fail the build when one is missing; `Views::t` does not).
    #[test]
    fn the_catalog_has_every_text_the_report_needs() {
        let theme = super::super::Theme::load(std::path::Path::new("/nonexistent")).unwrap();
        let has = |key: String| assert!(theme.catalogs["en"].contains_key(&key), "en.yaml lacks `{key}`");
        for def in aggregate::FIGURES {
            has(format!("figure.{}.note", def.name));
            has(format!("figure.{}.header1", def.name));
            if def.keys.iter().any(|shape| shape.len() == 2) {
                has(format!("figure.{}.header2", def.name));
            }
            has(format!("report.unit.{}", def.unit));
            for shape in def.keys {
                for part in *shape {
                    match part {
                        KeyPart::Fixed(values) | KeyPart::VocabOr(_, values) => {
                            values.iter().for_each(|v| has(format!("report.key.{v}")))
                        }
                        _ => {}
                    }
                }
            }
            if let Some(kind) = chart_kind(def.name) {
                has(format!("chart.kind.{kind:?}"));
            }
        }
        assert_eq!(chart_kind("civil_society_share"), None);
    }
}
