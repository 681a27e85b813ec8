//! Charts: SVG drawn with plotters' SVG backend (no system fonts, no external resources,
//! the same bytes for the same data).
//!
//! A [`Chart`] is laid out here (horizontal bars with the labels on the left, so that long
//! labels stay readable; lines over years; heat maps) and drawn with plotters' elements.
//! Every SVG carries its accessible name and a text description of its data (`<title>`,
//! `<desc>`, `role="img"`, `aria-labelledby`); pages show the data table beside it.
//!
//! Colours: the Okabe-Ito palette (safe for the common colour-vision deficiencies) for
//! series, and a single-hue blue scale for heat maps, with every value also written as text.
//!
//! Invariant: no I/O; [`svg`] depends only on its input.

use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The kind of chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One bar per category, in the given order.
    Bars,
    /// One bar per category, largest first (the order is the caller's).
    RankedBars,
    /// For each category, one bar per series side by side.
    GroupedBars,
    /// For each category, the series stacked in one bar.
    StackedBars,
    /// One value per category (years), joined by a line.
    Line,
    /// A grid: categories are rows, series are columns, the value is the shade.
    HeatMap,
}

/// What to draw.
#[derive(Clone)]
pub struct Chart {
    pub kind: Kind,
    /// The accessible name, drawn as the chart's title.
    pub title: String,
    /// What the values are (`Initiatives`, `US dollars`): the value axis or legend.
    pub value_label: String,
    /// Category labels: bars, points, heat-map rows.
    pub categories: Vec<String>,
    /// Series labels: grouped or stacked bars, heat-map columns. One (any name) otherwise.
    pub series: Vec<String>,
    /// `values[category][series]`; `None` is no data (no bar, a dash in a heat map).
    pub values: Vec<Vec<Option<f64>>>,
    /// How values are written (ticks, labels, description).
    pub format: Formatter,
    /// The words the chart writes itself, in the page's language.
    pub words: ChartWords,
}

/// Writes a value the way the page's language does.
pub type Formatter = std::sync::Arc<dyn Fn(f64) -> String + Send + Sync>;

/// The words a chart writes besides its labels, in the page's language.
#[derive(Clone, Debug)]
pub struct ChartWords {
    /// What kind of chart it is (`Bar chart`), to begin its description.
    pub kind: String,
    /// Said of a value that is not known (`no data`).
    pub no_data: String,
}

/// Series colours: Okabe-Ito, darkest first, without its yellow (too light on white).
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x00, 0x00),
];

const INK: RGBColor = RGBColor(0x1b, 0x1f, 0x24);
const MUTED: RGBColor = RGBColor(0x4f, 0x58, 0x63);
const GRID: RGBColor = RGBColor(0xd0, 0xd5, 0xdb);
const FAINT: RGBColor = RGBColor(0xf3, 0xf5, 0xf7);

const WIDTH: i32 = 760;
const FAMILY: &str = "sans-serif";
/// Average advance of a character, as a fraction of the font size (sans-serif).
const CHAR_WIDTH: f64 = 0.56;
const MAX_LABEL_CHARS: usize = 38;

/// A text style of `px` pixels (plotters' SVG backend writes `size / 1.24`).
fn font(px: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, px * 1.24).into_font()).color(&INK)
}

fn text_width(s: &str, px: f64) -> i32 {
    (s.chars().count() as f64 * px * CHAR_WIDTH).ceil() as i32
}

/// `s` cut to `max` characters with an ellipsis.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut cut: String = s.chars().take(max - 1).collect();
        cut = cut.trim_end().to_owned();
        cut.push('…');
        cut
    }
}

/// Splits `s` into lines of at most `max` characters, at spaces.
fn wrap(s: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Tick values from 0 to at least `max`: 1, 2 or 5 times a power of ten apart, about
/// five of them. Whole numbers when `max` is at least 1.
pub fn ticks(max: f64) -> Vec<f64> {
    if !(max.is_finite() && max > 0.0) {
        return vec![0.0, 1.0];
    }
    let raw = max / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    let step = if max >= 1.0 { step.max(1.0) } else { step };
    let count = (max / step).ceil() as i64;
    (0..=count).map(|i| i as f64 * step).collect()
}

fn escape(s: &str) -> String {
    crate::locale::strip_marks(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A plain-text description of the chart's data, for `<desc>`.
pub fn description(chart: &Chart) -> String {
    let f = &chart.format;
    let mut parts = Vec::new();
    for (i, category) in chart.categories.iter().enumerate() {
        let values = &chart.values[i];
        if chart.series.len() <= 1 && chart.kind != Kind::HeatMap {
            let v = values.first().copied().flatten();
            parts.push(format!(
                "{category}: {}",
                v.map_or_else(|| chart.words.no_data.clone(), |v| f(v))
            ));
        } else {
            let cells: Vec<String> = chart
                .series
                .iter()
                .zip(values)
                .filter_map(|(s, v)| v.filter(|v| *v != 0.0).map(|v| format!("{s} {}", f(v))))
                .collect();
            if !cells.is_empty() {
                parts.push(format!("{category}: {}", cells.join(", ")));
            }
        }
    }
    let data = if parts.is_empty() {
        format!("{}.", chart.words.no_data)
    } else {
        format!("{}.", parts.join("; "))
    };
    format!("{}: {} ({}). {data}", chart.words.kind, chart.title, chart.value_label)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// The width and height of the chart's SVG, in pixels.
pub fn size(chart: &Chart) -> (u32, u32) {
    let top = 16 + 22 * wrap(&chart.title, 80).len() as i32;
    (WIDTH as u32, (top + body_height(chart)) as u32)
}

/// The chart as a standalone SVG document, or `None` if plotters failed (it does not
/// when drawing to a string).
pub fn svg(chart: &Chart) -> Option<String> {
    let title_lines = wrap(&chart.title, 80);
    let top = 16 + 22 * title_lines.len() as i32;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size(chart)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        for (i, line) in title_lines.iter().enumerate() {
            let style = font(16.0).pos(Pos::new(HPos::Left, VPos::Top));
            let style = TextStyle {
                font: (FAMILY, 16.0 * 1.24, FontStyle::Bold).into_font(),
                ..style
            };
            root.draw(&Text::new(line.clone(), (12, 10 + 22 * i as i32), style))
                .ok()?;
        }
        let drawn = match chart.kind {
            Kind::Bars | Kind::RankedBars | Kind::GroupedBars | Kind::StackedBars => bars(&root, chart, top),
            Kind::Line => line(&root, chart, top),
            Kind::HeatMap => heat_map(&root, chart, top),
        };
        drawn.ok()?;
        root.present().ok()?;
    }
    Some(accessible(out, chart))
}

/// Adds `role`, `aria-labelledby`, `<title>` and `<desc>` to plotters' SVG.
fn accessible(svg: String, chart: &Chart) -> String {
    let Some(end) = svg.find('>') else { return svg };
    let (open, rest) = svg.split_at(end);
    format!(
        "{open} role=\"img\" aria-labelledby=\"chart-title chart-desc\">\n<title id=\"chart-title\">{}</title>\n<desc id=\"chart-desc\">{}</desc>{}",
        escape(&chart.title),
        escape(&description(chart)),
        &rest[1..],
    )
}

fn legend_rows(chart: &Chart) -> i32 {
    if chart.series.len() > 1 && chart.kind != Kind::HeatMap {
        let mut rows = 1;
        let mut x = 0;
        for s in &chart.series {
            let w = 24 + text_width(s, 12.0) + 16;
            if x + w > WIDTH - 24 && x > 0 {
                rows += 1;
                x = 0;
            }
            x += w;
        }
        rows
    } else {
        0
    }
}

fn band(chart: &Chart) -> i32 {
    match chart.kind {
        Kind::GroupedBars => 8 + 14 * chart.series.len().max(1) as i32,
        _ => 28,
    }
}

fn body_height(chart: &Chart) -> i32 {
    let n = chart.categories.len().max(1) as i32;
    match chart.kind {
        Kind::Line => 300,
        Kind::HeatMap => header_height(chart) + 30 * n + 40,
        _ => legend_rows(chart) * 22 + band(chart) * n + 48,
    }
}

fn label_width(labels: &[String]) -> i32 {
    labels
        .iter()
        .map(|l| text_width(&shorten(l, MAX_LABEL_CHARS), 12.0))
        .max()
        .unwrap_or(0)
        .clamp(40, 280)
}

fn draw_legend(root: &Area<'_>, chart: &Chart, top: i32) -> Drawn {
    let mut x = 12;
    let mut y = top;
    for (k, s) in chart.series.iter().enumerate() {
        let w = 24 + text_width(s, 12.0) + 16;
        if x + w > WIDTH - 12 && x > 12 {
            x = 12;
            y += 22;
        }
        let color = PALETTE[k % PALETTE.len()];
        root.draw(&Rectangle::new([(x, y + 3), (x + 16, y + 15)], color.filled()))?;
        root.draw(&Text::new(
            s.clone(),
            (x + 22, y + 9),
            font(12.0).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += w;
    }
    Ok(())
}

/// Horizontal bars: labels on the left, value axis at the bottom, values at bar ends.
fn bars(root: &Area<'_>, chart: &Chart, top: i32) -> Drawn {
    let f = &chart.format;
    let legend = legend_rows(chart) * 22;
    if legend > 0 {
        draw_legend(root, chart, top)?;
    }
    let top = top + legend;
    let left = 16 + label_width(&chart.categories) + 10;
    let right = WIDTH - 90;
    let band = band(chart);
    let n = chart.categories.len() as i32;
    let bottom = top + band * n.max(1);
    let total = |row: &Vec<Option<f64>>| -> f64 { row.iter().flatten().sum() };
    let max = chart
        .values
        .iter()
        .map(|row| match chart.kind {
            Kind::StackedBars => total(row),
            _ => row.iter().flatten().copied().fold(0.0, f64::max),
        })
        .fold(0.0, f64::max);
    let ticks = ticks(max);
    let scale_max = *ticks.last().unwrap_or(&1.0);
    let x_of = |v: f64| left + ((v / scale_max) * f64::from(right - left)).round() as i32;
    for t in &ticks {
        let x = x_of(*t);
        root.draw(&PathElement::new(vec![(x, top), (x, bottom)], GRID.stroke_width(1)))?;
        root.draw(&Text::new(
            f(*t),
            (x, bottom + 6),
            font(11.0).color(&MUTED).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    root.draw(&Text::new(
        chart.value_label.clone(),
        ((left + right) / 2, bottom + 24),
        font(12.0).color(&MUTED).pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    for (i, label) in chart.categories.iter().enumerate() {
        let y0 = top + band * i as i32;
        let mid = y0 + band / 2;
        root.draw(&Text::new(
            shorten(label, MAX_LABEL_CHARS),
            (left - 8, mid),
            font(12.0).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        let row = &chart.values[i];
        match chart.kind {
            Kind::StackedBars => {
                let mut at = 0.0;
                for (k, v) in row.iter().enumerate() {
                    let Some(v) = v.filter(|v| *v > 0.0) else { continue };
                    let color = PALETTE[k % PALETTE.len()];
                    root.draw(&Rectangle::new(
                        [(x_of(at), y0 + 5), (x_of(at + v), y0 + band - 5)],
                        color.filled(),
                    ))?;
                    // A white edge keeps adjacent segments apart without relying on colour.
                    root.draw(&Rectangle::new(
                        [(x_of(at), y0 + 5), (x_of(at + v), y0 + band - 5)],
                        WHITE.stroke_width(1),
                    ))?;
                    at += v;
                }
                let text = if row.iter().all(Option::is_none) {
                    "no data".to_owned()
                } else {
                    f(total(row))
                };
                root.draw(&Text::new(
                    text,
                    (x_of(at) + 6, mid),
                    font(12.0).pos(Pos::new(HPos::Left, VPos::Center)),
                ))?;
            }
            _ => {
                let k_count = row.len().max(1) as i32;
                let inner = band - 8;
                let bar_h = if chart.kind == Kind::GroupedBars {
                    inner / k_count
                } else {
                    18
                };
                for (k, v) in row.iter().enumerate() {
                    let y = if chart.kind == Kind::GroupedBars {
                        y0 + 4 + bar_h * k as i32
                    } else {
                        mid - bar_h / 2
                    };
                    let color = if chart.kind == Kind::GroupedBars {
                        PALETTE[k % PALETTE.len()]
                    } else {
                        PALETTE[0]
                    };
                    match v {
                        // Grouped bars label only what is drawn: their zeros are in the table.
                        Some(v) if *v == 0.0 && chart.kind == Kind::GroupedBars => {}
                        Some(v) => {
                            if *v > 0.0 {
                                root.draw(&Rectangle::new(
                                    [(left, y + 1), (x_of(*v), y + bar_h - 1)],
                                    color.filled(),
                                ))?;
                            }
                            root.draw(&Text::new(
                                f(*v),
                                (x_of(*v) + 6, y + bar_h / 2),
                                font(if chart.kind == Kind::GroupedBars { 11.0 } else { 12.0 })
                                    .pos(Pos::new(HPos::Left, VPos::Center)),
                            ))?;
                        }
                        None => {
                            root.draw(&Text::new(
                                "no data",
                                (left + 6, y + bar_h / 2),
                                font(12.0).color(&MUTED).pos(Pos::new(HPos::Left, VPos::Center)),
                            ))?;
                        }
                    }
                }
            }
        }
    }
    root.draw(&PathElement::new(
        vec![(left, top), (left, bottom)],
        INK.stroke_width(1),
    ))?;
    Ok(())
}

/// A line over the categories (years), with a marker and the value at each point.
fn line(root: &Area<'_>, chart: &Chart, top: i32) -> Drawn {
    let f = &chart.format;
    let values: Vec<Option<f64>> = chart.values.iter().map(|r| r.first().copied().flatten()).collect();
    let max = values.iter().flatten().copied().fold(0.0, f64::max);
    let ticks = ticks(max);
    let scale_max = *ticks.last().unwrap_or(&1.0);
    let axis_w = ticks.iter().map(|t| text_width(&f(*t), 11.0)).max().unwrap_or(10);
    let left = 40 + axis_w;
    let right = WIDTH - 30;
    let (plot_top, bottom) = (top + 14, top + 240);
    let n = values.len().max(1);
    let x_of = |i: usize| {
        if n == 1 {
            (left + right) / 2
        } else {
            left + ((i as f64 / (n - 1) as f64) * f64::from(right - left)).round() as i32
        }
    };
    let y_of = |v: f64| bottom - ((v / scale_max) * f64::from(bottom - plot_top)).round() as i32;
    for t in &ticks {
        let y = y_of(*t);
        root.draw(&PathElement::new(vec![(left, y), (right, y)], GRID.stroke_width(1)))?;
        root.draw(&Text::new(
            f(*t),
            (left - 8, y),
            font(11.0).color(&MUTED).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    root.draw(&Text::new(
        chart.value_label.clone(),
        (14, (plot_top + bottom) / 2),
        font(12.0)
            .color(&MUTED)
            .pos(Pos::new(HPos::Center, VPos::Top))
            .transform(FontTransform::Rotate270),
    ))?;
    root.draw(&PathElement::new(
        vec![(left, bottom), (right, bottom)],
        INK.stroke_width(1),
    ))?;
    // Label every k-th category so that labels never overlap.
    let widest = chart.categories.iter().map(|c| text_width(c, 11.0)).max().unwrap_or(10) + 8;
    let room = if n > 1 {
        (right - left) / (n as i32 - 1)
    } else {
        right - left
    };
    let every = ((widest as f64 / f64::from(room.max(1))).ceil() as usize).max(1);
    for (i, c) in chart.categories.iter().enumerate() {
        if i % every == 0 || i == n - 1 {
            root.draw(&Text::new(
                c.clone(),
                (x_of(i), bottom + 6),
                font(11.0).color(&MUTED).pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
    }
    let color = PALETTE[0];
    // Segments join consecutive points that have data.
    for i in 1..values.len() {
        if let (Some(a), Some(b)) = (values[i - 1], values[i]) {
            root.draw(&PathElement::new(
                vec![(x_of(i - 1), y_of(a)), (x_of(i), y_of(b))],
                color.stroke_width(2),
            ))?;
        }
    }
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            root.draw(&Circle::new((x_of(i), y_of(*v)), 4, color.filled()))?;
            if n <= 24 {
                root.draw(&Text::new(
                    f(*v),
                    (x_of(i), y_of(*v) - 8),
                    font(11.0).pos(Pos::new(HPos::Center, VPos::Bottom)),
                ))?;
            }
        }
    }
    Ok(())
}

fn header_height(chart: &Chart) -> i32 {
    if rotate_headers(chart) {
        chart
            .series
            .iter()
            .map(|s| text_width(&shorten(s, 24), 11.0))
            .max()
            .unwrap_or(20)
            + 12
    } else {
        26
    }
}

fn rotate_headers(chart: &Chart) -> bool {
    let cell = heat_cell_width(chart);
    chart
        .series
        .iter()
        .any(|s| text_width(&shorten(s, 24), 11.0) > cell - 4)
}

fn heat_cell_width(chart: &Chart) -> i32 {
    let left = 16 + label_width(&chart.categories) + 10;
    let cols = chart.series.len().max(1) as i32;
    ((WIDTH - left - 16) / cols).min(110)
}

/// The shade of `v` in `[0, max]`: from a pale to a dark blue.
fn shade(v: f64, max: f64) -> RGBColor {
    let t = if max > 0.0 { (v / max).clamp(0.0, 1.0) } else { 0.0 };
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(mix(0xde, 0x08), mix(0xeb, 0x30), mix(0xf7, 0x6b))
}

fn heat_map(root: &Area<'_>, chart: &Chart, top: i32) -> Drawn {
    let f = &chart.format;
    let left = 16 + label_width(&chart.categories) + 10;
    let cell = heat_cell_width(chart);
    let header = header_height(chart);
    let rotate = rotate_headers(chart);
    let grid_top = top + header;
    let max = chart.values.iter().flatten().flatten().copied().fold(0.0, f64::max);
    for (k, s) in chart.series.iter().enumerate() {
        let x = left + cell * k as i32 + cell / 2;
        let label = shorten(s, 24);
        let style = if rotate {
            font(11.0)
                .pos(Pos::new(HPos::Left, VPos::Center))
                .transform(FontTransform::Rotate270)
        } else {
            font(11.0).pos(Pos::new(HPos::Center, VPos::Bottom))
        };
        root.draw(&Text::new(label, (x, grid_top - 6), style))?;
    }
    for (i, c) in chart.categories.iter().enumerate() {
        let y = grid_top + 30 * i as i32;
        root.draw(&Text::new(
            shorten(c, MAX_LABEL_CHARS),
            (left - 8, y + 15),
            font(12.0).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for k in 0..chart.series.len() {
            let x = left + cell * k as i32;
            let v = chart.values[i].get(k).copied().flatten();
            let rect = [(x + 1, y + 1), (x + cell - 1, y + 29)];
            match v {
                Some(v) if v > 0.0 => {
                    let fill = shade(v, max);
                    root.draw(&Rectangle::new(rect, fill.filled()))?;
                    // Dark cells take white text, light ones ink: both keep a contrast of about 4:1.
                    let dark = v / max > 0.55;
                    root.draw(&Text::new(
                        f(v),
                        (x + cell / 2, y + 15),
                        font(12.0)
                            .color(if dark { &WHITE } else { &INK })
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    ))?;
                }
                Some(_) => {
                    root.draw(&Rectangle::new(rect, FAINT.filled()))?;
                }
                None => {
                    root.draw(&Rectangle::new(rect, FAINT.filled()))?;
                    root.draw(&Text::new(
                        "–",
                        (x + cell / 2, y + 15),
                        font(12.0).color(&MUTED).pos(Pos::new(HPos::Center, VPos::Center)),
                    ))?;
                }
            }
        }
    }
    let bottom = grid_top + 30 * chart.categories.len() as i32;
    root.draw(&Text::new(
        format!("{} (darker is more; empty cells are 0)", chart.value_label),
        (left, bottom + 10),
        font(12.0).color(&MUTED).pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(v: f64) -> String {
        format!("{v}")
    }

    fn chart(kind: Kind) -> Chart {
        Chart {
            kind,
            title: "Initiatives by modality & <type>".into(),
            value_label: "Initiatives".into(),
            categories: vec!["Bilateral".into(), "Triangular".into(), "Regional".into()],
            series: vec!["Yes".into(), "No".into()],
            values: vec![vec![Some(2.0), Some(1.0)], vec![Some(0.0), None], vec![None, None]],
            format: std::sync::Arc::new(count),
            words: ChartWords {
                kind: match kind {
                    Kind::Bars => "Bar chart",
                    Kind::RankedBars => "Ranked bar chart",
                    Kind::GroupedBars => "Grouped bar chart",
                    Kind::StackedBars => "Stacked bar chart",
                    Kind::Line => "Line chart",
                    Kind::HeatMap => "Heat map",
                }
                .into(),
                no_data: "no data".into(),
            },
        }
    }

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(3.0), [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(ticks(9.0), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(100000.0), [0.0, 20000.0, 40000.0, 60000.0, 80000.0, 100000.0]);
        assert_eq!(ticks(0.0), [0.0, 1.0]);
        assert_eq!(ticks(0.0004).len(), 5);
    }

    #[test]
    fn every_kind_draws_an_accessible_svg_with_no_external_resource() {
        for kind in [
            Kind::Bars,
            Kind::RankedBars,
            Kind::GroupedBars,
            Kind::StackedBars,
            Kind::Line,
            Kind::HeatMap,
        ] {
            let svg = svg(&chart(kind)).expect("plotters draws to a string");
            assert!(svg.starts_with("<svg "), "{kind:?}");
            assert!(svg.contains(r#"role="img" aria-labelledby="chart-title chart-desc">"#));
            assert!(svg.contains("<title id=\"chart-title\">Initiatives by modality &amp; &lt;type&gt;</title>"));
            assert!(svg.contains("<desc id=\"chart-desc\">"));
            assert!(svg.trim_end().ends_with("</svg>"));
            for forbidden in ["href", "url(", "@import", "<image", "<script", "<style"] {
                assert!(!svg.contains(forbidden), "{kind:?} contains {forbidden}");
            }
            assert_eq!(Some(svg), super::svg(&chart(kind)), "{kind:?} is deterministic");
        }
    }

    #[test]
    fn the_description_lists_the_data_and_says_no_data() {
        let mut one = chart(Kind::Bars);
        one.series = vec!["Initiatives".into()];
        one.values = vec![vec![Some(2.0)], vec![Some(0.0)], vec![None]];
        assert_eq!(
            description(&one),
            "Bar chart: Initiatives by modality & <type> (Initiatives). Bilateral: 2; Triangular: 0; Regional: no data."
        );
        assert_eq!(
            description(&chart(Kind::HeatMap)),
            "Heat map: Initiatives by modality & <type> (Initiatives). Bilateral: Yes 2, No 1."
        );
    }

    #[test]
    fn labels_are_shortened_and_titles_wrapped() {
        assert_eq!(shorten("Indigenous Peoples' organization", 10), "Indigenou…");
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
    }

    #[test]
    fn bar_chart_snapshot() {
        let mut one = chart(Kind::Bars);
        one.series = vec!["Initiatives".into()];
        one.values = vec![vec![Some(2.0)], vec![Some(0.0)], vec![Some(1.0)]];
        insta::assert_snapshot!(svg(&one).unwrap());
    }

    #[test]
    fn heat_map_snapshot() {
        insta::assert_snapshot!(svg(&chart(Kind::HeatMap)).unwrap());
    }
}
