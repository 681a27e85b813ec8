//! `openssc.xlsx`: every CSV table as one sheet of a workbook, written with
//! `rust_xlsxwriter`.
//!
//! The header row is bold and frozen; `integer` and `number` columns hold numbers, `boolean`
//! columns booleans, full dates (`YYYY-MM-DD`) spreadsheet dates, every other column text (partial dates stay text, as in the CSV, since they may
//! be partial: `2011`, `2011-05`). Empty cells are left blank.
//!
//! Its zip entries are deflated at level 2 (see [`WorkbookWriter::new`]). Each sheet is
//! written in `rust_xlsxwriter`'s constant-memory mode: its rows go to a temporary file as
//! they are written, text inline in its cells, so the workbook never holds every cell nor a
//! table of every distinct text (see [`WorkbookWriter`]). Without a writable temporary
//! folder, sheets are held in memory, their texts in a shared table, and rows lack their
//! optional `spans` attribute: the same cell values, other bytes than a build that had one.
//!
//! Deterministic: the document's creation time is the build date (else 1980-01-01), and
//! `rust_xlsxwriter` writes its zip entries with a fixed timestamp, so the same tables give
//! the same bytes.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::table::{DATE_PATTERN, FieldType, Table};

/// The longest sheet name Excel accepts.
const SHEET_NAME_MAX: usize = 31;
/// The longest text Excel keeps in a cell.
const CELL_TEXT_MAX: usize = 32_767;

/// A workbook made a sheet at a time, so that each table's rows can be let go once its
/// sheet is added: in `rust_xlsxwriter`'s constant-memory mode, each sheet's rows go to a
/// temporary file as they are written, which keeps the workbook of 50,000 initiatives from
/// holding every cell at once. Texts are inline in their cells rather than in a shared
/// table: the workbook is about 3 % larger (5.7 instead of 5.5 MB at 10,000 initiatives),
/// and made faster (no table of every distinct text to hash and hold).
pub struct WorkbookWriter {
    workbook: Workbook,
    names: Vec<String>,
    bold: Format,
    date_format: Format,
}

impl WorkbookWriter {
    /// An empty workbook; `date` (`YYYY-MM-DD`) is its creation date.
    pub fn new(date: Option<&str>) -> Result<WorkbookWriter, XlsxError> {
        let mut workbook = Workbook::new();
        let created = date.and_then(parse_date).map_or_else(
            || ExcelDateTime::from_ymd(1980, 1, 1),
            |(y, m, d)| ExcelDateTime::from_ymd(y, m, d),
        )?;
        workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
        // Level 2 rather than the default 6: it is made on every build. Level 3 took about
        // half the deflate time of 6 for a workbook an eighth larger (4.9 → 5.5 MB at 10,000
        // initiatives); 2 (zlib-rs's `deflate_fast`, no lazy matches) takes 40 % less than 3
        // for 8 % more (5.7 → 6.1 MB); 1 (static codes only) is a third larger again.
        workbook.set_zip_compression_level(2);
        Ok(WorkbookWriter {
            workbook,
            names: Vec::new(),
            bold: Format::new().set_bold(),
            date_format: Format::new().set_num_format("yyyy-mm-dd"),
        })
    }

    /// Adds the sheet of `table`.
    pub fn add(&mut self, table: &Table) -> Result<(), XlsxError> {
        let (bold, date_format) = (&self.bold, &self.date_format);
        // The report's tables are named `reports-<year>-<figure>`: the year and figure say it.
        let name = sheet_name(table.name.strip_prefix("reports-").unwrap_or(&table.name), &self.names);
        self.names.push(name.clone());
        // Without a writable temporary folder, the sheet is held in memory (standard mode).
        if self.workbook.add_worksheet_with_constant_memory().is_err() {
            self.workbook.add_worksheet();
        }
        let sheet = self.workbook.worksheet_from_index(self.names.len() - 1)?;
        sheet.set_name(name)?;
        for (col, field) in table.fields.iter().enumerate() {
            let col = col as u16;
            sheet.write_string_with_format(0, col, field.name.as_ref(), bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, row) in table.rows.iter().enumerate() {
            let r = (r + 1) as u32;
            for (col, (cell, field)) in row.iter().zip(&table.fields).enumerate() {
                let col = col as u16;
                if cell.is_empty() {
                    continue;
                }
                match field.kind {
                    FieldType::Integer | FieldType::Number if cell.parse::<f64>().is_ok_and(f64::is_finite) => {
                        sheet.write_number(r, col, cell.parse::<f64>().unwrap_or_default())?;
                    }
                    FieldType::Boolean if cell == "true" || cell == "false" => {
                        sheet.write_boolean(r, col, cell == "true")?;
                    }
                    // A full date is a spreadsheet date; a partial one (`2011`, `2011-05`)
                    // has no such value and stays text, as written.
                    FieldType::String if field.pattern == Some(DATE_PATTERN) && cell.len() == 10 => {
                        match parse_date(cell) {
                            Some((y, m, d)) => {
                                sheet.write_datetime_with_format(
                                    r,
                                    col,
                                    ExcelDateTime::from_ymd(y, m, d)?,
                                    date_format,
                                )?;
                            }
                            None => {
                                sheet.write_string(r, col, cell)?;
                            }
                        }
                    }
                    _ => {
                        sheet.write_string(r, col, truncate(cell, CELL_TEXT_MAX))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The workbook's bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        self.workbook.save_to_buffer()
    }
}

/// `(year, month, day)` of `YYYY-MM-DD`.
fn parse_date(date: &str) -> Option<(u16, u8, u8)> {
    let mut parts = date.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    ExcelDateTime::from_ymd(y, m, d).ok().map(|_| (y, m, d))
}

/// The first `max` characters of `s`.
fn truncate(s: &str, max: usize) -> &str {
    // No more bytes than `max`, so no more characters: nearly every cell.
    if s.len() <= max {
        return s;
    }
    s.char_indices().nth(max).map_or(s, |(i, _)| &s[..i])
}

/// A sheet name for the table `name`: the characters Excel forbids replaced, at most 31
/// characters, and distinct from `taken` (case-insensitively, as Excel compares them).
fn sheet_name(name: &str, taken: &[String]) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\'".contains(c) { '-' } else { c })
        .collect();
    let clean = if clean.is_empty() { "sheet".to_owned() } else { clean };
    let free = |n: &str| !taken.iter().any(|t| t.to_lowercase() == n.to_lowercase());
    let first = truncate(&clean, SHEET_NAME_MAX).to_owned();
    if free(&first) {
        return first;
    }
    (2..)
        .map(|i| {
            let suffix = format!("~{i}");
            format!("{}{suffix}", truncate(&clean, SHEET_NAME_MAX - suffix.len()))
        })
        .find(|n| free(n))
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of the workbook of `tables`; `date` (`YYYY-MM-DD`) is its creation date.
    fn workbook(tables: &[Table], date: Option<&str>) -> Result<Vec<u8>, XlsxError> {
        let mut workbook = WorkbookWriter::new(date)?;
        for table in tables {
            workbook.add(table)?;
        }
        workbook.finish()
    }
    use crate::opendata::table::Field;

    fn table() -> Table {
        Table {
            name: "projects".into(),
            title: "T".into(),
            description: "".into(),
            fields: vec![Field::string("id", ""), Field::number("amount", "")],
            primary_key: vec!["id"],
            foreign_keys: vec![],
            rows: vec![vec!["a".into(), "12.5".into()], vec!["b".into(), String::new()]],
            path: None,
        }
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("abcd", 2), "ab");
        assert_eq!(truncate("abc", 3), "abc");
        // Six bytes, three characters: longer than 3 in bytes, not in characters.
        assert_eq!(truncate("ééé", 3), "ééé");
        assert_eq!(truncate("ééé", 2), "éé");
        assert_eq!(truncate("", 0), "");
    }

    #[test]
    fn sheet_names_are_short_valid_and_distinct() {
        let long = "reports-2023-initiatives_by_modality_and_region";
        let first = sheet_name(long, &[]);
        assert_eq!(first.chars().count(), 31);
        let second = sheet_name(long, std::slice::from_ref(&first));
        assert_eq!(second.chars().count(), 31);
        assert_ne!(first, second);
        assert_eq!(sheet_name("a/b", &[]), "a-b");
    }

    #[test]
    fn the_same_tables_give_the_same_bytes() {
        let a = workbook(&[table()], Some("2024-05-01")).unwrap();
        let b = workbook(&[table()], Some("2024-05-01")).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with(b"PK"));
        let c = workbook(&[table()], None).unwrap();
        assert_eq!(c, workbook(&[table()], None).unwrap());
        assert_eq!(parse_date("2024-13-01"), None);
    }
}
