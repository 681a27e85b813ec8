//! Data files other modules write under `data/` (the report's `data/reports/<year>/`
//! `figures.json` and one CSV per figure): the Data Package describes their CSVs too and
//! the Data page lists them, without this module knowing their columns in advance.
//!
//! A CSV's columns are read from its header; each column's type is the narrowest that every
//! non-empty cell has (integer, else number, else string), so the package always describes
//! what the file holds. Titles come from the `figures.json` beside the CSV when it names
//! the figure.

use std::collections::HashMap;

use super::table::{Field, FieldType, Table};
use crate::render::OutputFile;

/// The type every non-empty cell of a column has.
fn infer(cells: &[&str]) -> FieldType {
    let filled: Vec<&&str> = cells.iter().filter(|c| !c.is_empty()).collect();
    if filled.is_empty() {
        return FieldType::String;
    }
    let plain_number = |c: &str| {
        c.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
            && c.bytes().any(|b| b.is_ascii_digit())
            && c.parse::<f64>().is_ok_and(f64::is_finite)
    };
    if filled.iter().all(|c| c.parse::<i64>().is_ok()) {
        FieldType::Integer
    } else if filled.iter().all(|c| plain_number(c)) {
        FieldType::Number
    } else {
        FieldType::String
    }
}

/// The meaning of a figure column, by its name (as the report writes them).
fn column_description(name: &str) -> &'static str {
    match name {
        "key_1" => "The first part of the row's key (an id or code of the records or vocabularies).",
        "key_2" => "The second part of the row's key, for figures with two-part keys.",
        "label_1" => "The first part of the key, as shown in the report.",
        "label_2" => "The second part of the key, as shown in the report.",
        "value" => "The figure's value; empty when the records give no data.",
        "unit" => "The unit of the value.",
        "records" => "The ids of the records counted (initiatives), separated by spaces.",
        _ => "A column of the figure.",
    }
}

/// A Table for a CSV written elsewhere, at `path` (under `data/`), or `None` if it cannot
/// be read as CSV. `name` is the resource name; `title` its title.
pub fn describe(path: &str, bytes: &[u8], name: String, title: String) -> Option<Table> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header: Vec<String> = reader.headers().ok()?.iter().map(str::to_owned).collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_owned).collect()))
        .collect::<Result<_, _>>()
        .ok()?;
    if rows.iter().any(|r: &Vec<String>| r.len() != header.len()) {
        return None;
    }
    let fields = header
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let cells: Vec<&str> = rows.iter().map(|r| r[i].as_str()).collect();
            let mut f = Field::new(column.clone(), infer(&cells), column_description(column));
            if column == "key_1" {
                f.required = true;
            }
            f
        })
        .collect();
    Some(Table {
        name: name.into(),
        title: title.into(),
        description:
            "The data of one figure of an annual edition of the report: one row per key, with the records it counts."
                .into(),
        fields,
        primary_key: vec![],
        foreign_keys: vec![],
        rows,
        path: Some(path.strip_prefix("data/").unwrap_or(path).to_owned()),
    })
}

/// The title of each figure of a `figures.json` ([`crate::aggregate::figures_json`]), by
/// name; `None` if the bytes are not such a file. The rows (most of the file: the ids of
/// the initiatives each figure counts) are skipped, not made into values.
pub(crate) fn figure_titles(figures_json: &[u8]) -> Option<HashMap<String, String>> {
    #[derive(serde::Deserialize)]
    struct File {
        figures: HashMap<String, Figure>,
    }
    #[derive(serde::Deserialize)]
    struct Figure {
        title: String,
    }
    let file: File = serde_json::from_slice(figures_json).ok()?;
    Some(file.figures.into_iter().map(|(name, f)| (name, f.title)).collect())
}

/// The CSV files among `files` under `data/`, described, in path order, with the figure
/// titles of the `figures.json` beside them.
pub fn tables(files: &[OutputFile]) -> Vec<Table> {
    let mut csvs: Vec<&OutputFile> = files
        .iter()
        .filter(|f| f.path.starts_with("data/") && f.path.ends_with(".csv"))
        .collect();
    csvs.sort_by(|a, b| a.path.cmp(&b.path));
    // Each folder's figures.json parsed once, not once per CSV beside it (an edition has
    // about twenty figures, and its figures.json grows with the records: 2 MB at 10,000).
    let mut figures_of: HashMap<&str, Option<HashMap<String, String>>> = HashMap::new();
    csvs.into_iter()
        .filter_map(|f| {
            let stem = f.path.strip_prefix("data/")?.strip_suffix(".csv")?;
            let (folder, file) = stem.rsplit_once('/').unwrap_or(("", stem));
            let figures = figures_of.entry(folder).or_insert_with(|| {
                files
                    .iter()
                    .find(|g| g.path == format!("data/{folder}/figures.json"))
                    .and_then(|g| figure_titles(&g.bytes))
            });
            let title = figures
                .as_ref()
                .and_then(|titles| titles.get(file).cloned())
                .map(|t| match folder.strip_prefix("reports/") {
                    Some(year) => format!("{t} ({year})"),
                    None => t,
                })
                .unwrap_or_else(|| stem.to_owned());
            let name: String = stem
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            describe(&f.path, &f.bytes, name, title)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_inferred_from_every_cell() {
        assert_eq!(infer(&["1", "", "20"]), FieldType::Integer);
        assert_eq!(infer(&["1", "2.5"]), FieldType::Number);
        assert_eq!(infer(&["1", "inf"]), FieldType::String);
        assert_eq!(infer(&["1e3"]), FieldType::String);
        assert_eq!(infer(&["", ""]), FieldType::String);
        assert_eq!(infer(&["MEX"]), FieldType::String);
    }

    #[test]
    fn figure_titles_are_read_with_the_rows_skipped() {
        use crate::aggregate::{FIGURES, Figure, Key, Number, Row};
        let row = Row {
            key: Key::Two("ngo".into(), "design".into()),
            value: Some(Number::Amount(2.5)),
            records: vec!["p1".into(), "p2".into()],
        };
        let figures: Vec<Figure> = FIGURES[..3]
            .iter()
            .map(|def| Figure {
                def,
                rows: vec![row.clone(); 3],
            })
            .collect();
        let text = crate::aggregate::figures_json(2011, &figures);
        let titles = figure_titles(text.as_bytes()).expect("a figures.json");
        assert_eq!(titles.len(), 3);
        for f in &figures {
            assert_eq!(titles[f.def.name], f.def.title);
        }
        assert_eq!(
            figure_titles(b"{\"edition\": 2011, \"figures\": {}}"),
            Some(HashMap::new())
        );
        assert_eq!(figure_titles(b"{\"figures\": 3}"), None);
        assert_eq!(figure_titles(b"not json"), None);
    }

    #[test]
    fn figure_csvs_are_described_with_their_titles() {
        let files = vec![
            OutputFile {
                path: "data/reports/2011/figures.json".into(),
                bytes: br#"{"edition": 2011, "figures": {"by_modality": {"title": "Initiatives by modality"}}}"#
                    .to_vec(),
            },
            OutputFile {
                path: "data/reports/2011/by_modality.csv".into(),
                bytes: b"key_1,key_2,value,records\r\nbilateral,,1,a b\r\nregional,,,\r\n".to_vec(),
            },
        ];
        let t = &tables(&files)[0];
        assert_eq!(t.name, "reports-2011-by_modality");
        assert_eq!(t.title, "Initiatives by modality (2011)");
        assert_eq!(t.path.as_deref(), Some("reports/2011/by_modality.csv"));
        let types: Vec<FieldType> = t.fields.iter().map(|f| f.kind).collect();
        assert_eq!(
            types,
            [
                FieldType::String,
                FieldType::String,
                FieldType::Integer,
                FieldType::String
            ]
        );
        assert_eq!(t.rows.len(), 2);
    }
}
