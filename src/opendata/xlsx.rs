//! `openssc.xlsx`: every CSV table as one sheet of a workbook.
//!
//! The header row is bold and frozen; `integer` and `number` columns hold numbers, `boolean`
//! columns booleans, full dates (`YYYY-MM-DD`) spreadsheet dates, every other column text
//! (partial dates stay text, as in the CSV: `2011`, `2011-05` have no date value). Empty
//! cells are left blank; a text longer than a cell holds (32,767 UTF-16 units) is cut there.
//!
//! The XML is, byte for byte, what `rust_xlsxwriter` 0.102 writes for the same cells in its
//! constant-memory mode (text inline in its cells): the tests make each workbook both ways
//! and compare every part. We write it ourselves because `rust_xlsxwriter` took a tenth of a
//! build's CPU time at 10,000 initiatives, a third of it on one core at the end (a `write!`
//! and a map of cells per cell, each sheet through a temporary file, then the parts
//! deflated one after the other): here a sheet's rows are made and deflated in pieces on
//! every core ([`archive::fragment_at`]) and joined in order, and the parts are packed by
//! the archive's own zip writer ([`archive::Archive`]), sorted by path, at zlib level 2.
//!
//! Deterministic: the document's creation time is the build date (else 1980-01-01), and the
//! zip's entries are dated 1980-01-01, so the same tables give the same bytes.

use rayon::prelude::*;

use super::archive::{self, Entry, Level, Pieces};
use super::table::{DATE_PATTERN, FieldType, Table};

/// The longest sheet name Excel accepts.
const SHEET_NAME_MAX: usize = 31;
/// The most UTF-16 code units Excel keeps in a cell.
const CELL_TEXT_MAX: usize = 32_767;
/// The rows of a sheet (the header included).
const ROW_MAX: usize = 1_048_576;
/// The columns of a sheet.
const COL_MAX: usize = 16_384;
/// Rows made and deflated as one piece: about 1.5 MB of XML for the widest tables.
const ROWS_PER_PIECE: usize = 1_000;

/// Why a workbook could not be made: a table larger than a sheet, or deflate failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error("table {table} has {rows} rows, more than a sheet holds ({})", ROW_MAX - 1)]
    TooManyRows { table: String, rows: usize },
    #[error("table {table} has {columns} columns, more than a sheet holds ({COL_MAX})")]
    TooManyColumns { table: String, columns: usize },
    #[error("deflating the workbook: {0}")]
    Deflate(#[from] std::io::Error),
}

/// A cell format, in the workbook's list of formats (`styles.xml`'s `cellXfs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// The header row.
    Bold,
    /// Full dates, shown `yyyy-mm-dd`.
    Date,
}

/// A workbook made a sheet at a time, so that each table's rows can be let go once its
/// sheet is added: each sheet is kept deflated.
pub struct WorkbookWriter {
    /// The creation date.
    created: (u16, u8, u8),
    /// The sheets' names, in order.
    names: Vec<String>,
    /// The sheets' entries (`xl/worksheets/sheet<N>.xml`).
    sheets: Vec<Entry>,
    /// The formats in the order of their first use: format `i` is the cells' `s="i + 1"`
    /// (0 is the default), as `rust_xlsxwriter` numbers them.
    formats: Vec<Format>,
}

/// How a column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellKind {
    Number,
    Boolean,
    /// Text holding a full date where it can.
    Date,
    Text,
}

impl WorkbookWriter {
    /// An empty workbook; `date` (`YYYY-MM-DD`) is its creation date.
    pub fn new(date: Option<&str>) -> WorkbookWriter {
        WorkbookWriter {
            created: date.and_then(parse_date).unwrap_or((1980, 1, 1)),
            names: Vec::new(),
            sheets: Vec::new(),
            formats: Vec::new(),
        }
    }

    /// The `s` attribute of `format`, registering it if this is its first use.
    fn format_index(&mut self, format: Format) -> usize {
        match self.formats.iter().position(|f| *f == format) {
            Some(i) => i + 1,
            None => {
                self.formats.push(format);
                self.formats.len()
            }
        }
    }

    /// Adds the sheet of `table`.
    pub fn add(&mut self, table: &Table) -> Result<(), WorkbookError> {
        if table.rows.len() >= ROW_MAX {
            return Err(WorkbookError::TooManyRows {
                table: table.name.to_string(),
                rows: table.rows.len(),
            });
        }
        if table.fields.len() > COL_MAX {
            return Err(WorkbookError::TooManyColumns {
                table: table.name.to_string(),
                columns: table.fields.len(),
            });
        }
        // The report's tables are named `reports-<year>-<figure>`: the year and figure say it.
        let name = sheet_name(table.name.strip_prefix("reports-").unwrap_or(&table.name), &self.names);
        self.names.push(name);
        let number = self.names.len();

        // The header's format is used first; the date format, if this sheet is the first to
        // use it, gets the next index.
        let bold = (!table.fields.is_empty()).then(|| self.format_index(Format::Bold));
        let date = match self.formats.iter().position(|f| *f == Format::Date) {
            Some(i) => i + 1,
            None => self.formats.len() + 1,
        };
        let kinds: Vec<CellKind> = table
            .fields
            .iter()
            .map(|field| match field.kind {
                FieldType::Integer | FieldType::Number => CellKind::Number,
                FieldType::Boolean => CellKind::Boolean,
                FieldType::String if field.pattern == Some(DATE_PATTERN) => CellKind::Date,
                _ => CellKind::Text,
            })
            .collect();
        let columns: Vec<String> = (0..table.fields.len()).map(column_name).collect();

        // The sheet's extent: the header's first cell to the last column and the last row
        // that holds a cell.
        let last_row = table
            .rows
            .iter()
            .rposition(|row| has_cells(row, kinds.len()))
            .map_or(0, |i| i + 1);
        let dimension = match columns.last() {
            Some(column) if (column.as_str(), last_row) != ("A", 0) => format!("A1:{column}{}", last_row + 1),
            _ => "A1".to_owned(),
        };

        let mut head = String::with_capacity(1024);
        head.push_str(XML_DECLARATION);
        head.push_str(SHEET_START);
        head.push_str("<dimension ref=\"");
        head.push_str(&dimension);
        head.push_str("\"/><sheetViews><sheetView ");
        if number == 1 {
            head.push_str("tabSelected=\"1\" ");
        }
        head.push_str(SHEET_VIEW_END);
        let has_cells = bold.is_some() || last_row > 0;
        head.push_str(if has_cells { "<sheetData>" } else { "<sheetData/>" });
        let mut head = head.into_bytes();
        if let Some(bold) = bold {
            head.extend_from_slice(b"<row r=\"1\">");
            for (field, column) in table.fields.iter().zip(&columns) {
                let name: &str = field.name.as_ref();
                if name.is_empty() {
                    // An empty text with a format is a blank cell with that format.
                    push_cell_start(&mut head, column, b"1", Some(bold));
                    head.extend_from_slice(b"/>");
                } else {
                    push_text_cell(&mut head, column, b"1", Some(bold), name);
                }
            }
            head.extend_from_slice(b"</row>");
        }
        let tail = if has_cells { "</sheetData>" } else { "" }.to_owned() + SHEET_END;

        // The rows in pieces, each made and deflated on any thread; the first piece starts
        // with the head, the last ends with the tail.
        let chunks: Vec<(usize, &[Vec<String>])> = table
            .rows
            .chunks(ROWS_PER_PIECE)
            .enumerate()
            .map(|(i, rows)| (i * ROWS_PER_PIECE, rows))
            .collect();
        let count = chunks.len().max(1);
        let made: Vec<(archive::Fragment, bool)> = (0..count)
            .into_par_iter()
            .map(|i| {
                // Room for the piece: each cell's text and its markup (under 60 bytes), so
                // that the buffer is not copied as it grows (a piece of the initiatives'
                // sheet holds more than a megabyte); room never written is never touched.
                let (first, rows) = chunks.get(i).copied().unwrap_or((0, &[]));
                let room: usize = rows
                    .iter()
                    .map(|row| 24 + row.iter().map(|cell| cell.len() + 60).sum::<usize>())
                    .sum();
                let mut xml = Vec::with_capacity(if i == 0 { head.len() } else { 0 } + room + tail.len());
                if i == 0 {
                    xml.extend_from_slice(&head);
                }
                let mut dated = false;
                let mut row_number = itoa::Buffer::new();
                for (offset, row) in rows.iter().enumerate() {
                    // Data rows start at the sheet's second row.
                    let r = row_number.format(first + offset + 2).as_bytes();
                    dated |= push_row(&mut xml, r, row, &kinds, &columns, date);
                }
                if i == count - 1 {
                    xml.extend_from_slice(tail.as_bytes());
                }
                (archive::fragment_at(Level::Fast, &xml), dated)
            })
            .collect();
        let mut sheet = Pieces::new(&format!("xl/worksheets/sheet{number}.xml"));
        let mut dated = false;
        for (fragment, d) in made {
            sheet.push(fragment);
            dated |= d;
        }
        if dated {
            self.format_index(Format::Date);
        }
        self.sheets.push(sheet.finish());
        Ok(())
    }

    /// The workbook's bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, WorkbookError> {
        if self.names.is_empty() {
            // A workbook has at least one sheet.
            self.add(&Table {
                name: "Sheet1".into(),
                title: "".into(),
                description: "".into(),
                fields: Vec::new(),
                primary_key: Vec::new(),
                foreign_keys: Vec::new(),
                rows: Vec::new(),
                path: None,
            })?;
        }
        let parts: Vec<(&str, Vec<u8>)> = vec![
            ("[Content_Types].xml", content_types(self.names.len()).into_bytes()),
            (
                "_rels/.rels",
                format!("{XML_DECLARATION}{ROOT_RELATIONSHIPS}").into_bytes(),
            ),
            ("docProps/app.xml", app_properties(&self.names).into_bytes()),
            ("docProps/core.xml", core_properties(self.created).into_bytes()),
            (
                "xl/_rels/workbook.xml.rels",
                workbook_relationships(self.names.len()).into_bytes(),
            ),
            ("xl/styles.xml", styles(&self.formats).into_bytes()),
            ("xl/theme/theme1.xml", THEME.to_vec()),
            ("xl/workbook.xml", workbook(&self.names).into_bytes()),
        ];
        let mut entries = self.sheets;
        entries.extend(
            parts
                .into_par_iter()
                .map(|(path, bytes)| {
                    let mut part = Pieces::new(path);
                    part.push(archive::fragment_at(Level::Fast, &bytes));
                    part.finish()
                })
                .collect::<Vec<_>>(),
        );
        let archive = archive::Archive::new(entries)?;
        let mut bytes = Vec::with_capacity(usize::try_from(archive.size()).unwrap_or(0));
        archive.write(&mut bytes)?;
        Ok(bytes)
    }
}

/// Appends the row numbered `r` (its digits) unless it has no cell; says whether it holds
/// a date cell.
fn push_row(xml: &mut Vec<u8>, r: &[u8], row: &[String], kinds: &[CellKind], columns: &[String], date: usize) -> bool {
    if !has_cells(row, kinds.len()) {
        return false;
    }
    let mut dated = false;
    xml.extend_from_slice(b"<row r=\"");
    xml.extend_from_slice(r);
    xml.extend_from_slice(b"\">");
    for ((cell, kind), column) in row.iter().zip(kinds).zip(columns) {
        if cell.is_empty() {
            continue;
        }
        match kind {
            CellKind::Number if push_number_cell(xml, column, r, cell) => continue,
            CellKind::Boolean if cell == "true" || cell == "false" => {
                push_cell_start(xml, column, r, None);
                xml.extend_from_slice(b" t=\"b\"");
                push_value(xml, if cell == "true" { b"1" } else { b"0" });
                continue;
            }
            CellKind::Date if cell.len() == 10 => {
                if let Some(serial) = parse_date(cell).map(date_serial) {
                    push_cell_start(xml, column, r, Some(date));
                    push_value(xml, itoa::Buffer::new().format(serial).as_bytes());
                    dated = true;
                    continue;
                }
            }
            _ => {}
        }
        push_text_cell(xml, column, r, None, truncate_utf16(cell, CELL_TEXT_MAX));
    }
    xml.extend_from_slice(b"</row>");
    dated
}

/// `<c r="B2"` with ` s="<format>"` when there is one.
fn push_cell_start(xml: &mut Vec<u8>, column: &str, r: &[u8], format: Option<usize>) {
    xml.extend_from_slice(b"<c r=\"");
    xml.extend_from_slice(column.as_bytes());
    xml.extend_from_slice(r);
    xml.push(b'"');
    if let Some(format) = format {
        xml.extend_from_slice(b" s=\"");
        xml.extend_from_slice(itoa::Buffer::new().format(format).as_bytes());
        xml.push(b'"');
    }
}

/// A number cell for `cell` if it is a finite number (written as Rust writes an `f64`, as
/// `rust_xlsxwriter` does: `2011`, `12.5`); `false` if it is not a number.
fn push_number_cell(xml: &mut Vec<u8>, column: &str, r: &[u8], cell: &str) -> bool {
    let bytes = cell.as_bytes();
    // Nearly every number is a whole one of a few digits, which an `f64` writes as it is.
    let plain = bytes.len() <= 15 && bytes.iter().all(u8::is_ascii_digit) && (bytes.len() == 1 || bytes[0] != b'0');
    let written;
    let value = if plain {
        bytes
    } else {
        match cell.parse::<f64>() {
            Ok(number) if number.is_finite() => {
                written = number.to_string();
                written.as_bytes()
            }
            _ => return false,
        }
    };
    push_cell_start(xml, column, r, None);
    push_value(xml, value);
    true
}

/// Does `row` hold a value in one of its table's `columns` (the sheet's dimension and the
/// rows written both go by this; a row holds one value per column)?
fn has_cells(row: &[String], columns: usize) -> bool {
    row.iter().take(columns).any(|cell| !cell.is_empty())
}

/// The end of a cell holding `value`: `><v>value</v></c>`.
fn push_value(xml: &mut Vec<u8>, value: &[u8]) {
    xml.extend_from_slice(b"><v>");
    xml.extend_from_slice(value);
    xml.extend_from_slice(b"</v></c>");
}

/// An inline text cell.
fn push_text_cell(xml: &mut Vec<u8>, column: &str, r: &[u8], format: Option<usize>, text: &str) {
    push_cell_start(xml, column, r, format);
    xml.extend_from_slice(b" t=\"inlineStr\"><is><t");
    let edge = [b'\t', b'\n', b' '];
    let bytes = text.as_bytes();
    if bytes.first().is_some_and(|b| edge.contains(b)) || bytes.last().is_some_and(|b| edge.contains(b)) {
        xml.extend_from_slice(b" xml:space=\"preserve\"");
    }
    xml.push(b'>');
    push_escaped(xml, bytes, true);
    xml.extend_from_slice(b"</t></is></c>");
}

/// Appends `text` as Excel escapes an element's text: `&`, `<`, `>` as entities, control
/// characters but tab and newline as `_xHHHH_`; in a cell (`in_cell`), also an `_xHHHH_`
/// already in the text with its underscore escaped (`_x005F_xHHHH_`), so that it reads back
/// as written (`rust_xlsxwriter` does that in cells only).
fn push_escaped(xml: &mut Vec<u8>, text: &[u8], in_cell: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let special =
        |b: u8| matches!(b, b'&' | b'<' | b'>') || (b == b'_' && in_cell) || (b < 0x20 && b != b'\t' && b != b'\n');
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if !special(b) {
            continue;
        }
        xml.extend_from_slice(&text[start..i]);
        start = i + 1;
        match b {
            b'&' => xml.extend_from_slice(b"&amp;"),
            b'<' => xml.extend_from_slice(b"&lt;"),
            b'>' => xml.extend_from_slice(b"&gt;"),
            b'_' => {
                let escape = text
                    .get(i..i + 7)
                    .is_some_and(|seq| seq[1] == b'x' && seq[2..6].iter().all(u8::is_ascii_hexdigit) && seq[6] == b'_');
                xml.extend_from_slice(if escape { b"_x005F_" } else { b"_" });
            }
            control => {
                xml.extend_from_slice(b"_x00");
                xml.push(HEX[usize::from(control >> 4)]);
                xml.push(HEX[usize::from(control & 0xF)]);
                xml.push(b'_');
            }
        }
    }
    xml.extend_from_slice(&text[start..]);
}

/// The column's letters: `A` for 0, `Z` for 25, `AA` for 26.
fn column_name(index: usize) -> String {
    let mut name = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        name.push(b'A' + rest as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// `(year, month, day)` of `YYYY-MM-DD`, for a date a spreadsheet can hold: 1899-12-31 (its
/// day 0) to 9999-12-31, and 1900-02-29, which Excel counts (as Lotus 1-2-3 did).
fn parse_date(date: &str) -> Option<(u16, u8, u8)> {
    let mut parts = date.splitn(3, '-');
    let y: u16 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    if y > 9999 || (y < 1900 && (y, m, d) != (1899, 12, 31)) || !(1..=12).contains(&m) {
        return None;
    }
    let february = if is_leap_year(y) || y == 1900 { 29 } else { 28 };
    let days = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][usize::from(m - 1)];
    (1..=days).contains(&d).then_some((y, m, d))
}

fn is_leap_year(y: u16) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

/// The spreadsheet's serial number of a date: days since 1899-12-31, plus one from
/// 1900-03-01 on (Excel's 1900-02-29, day 60).
fn date_serial((y, m, d): (u16, u8, u8)) -> u32 {
    if (y, m, d) == (1899, 12, 31) {
        return 0;
    }
    if (y, m, d) == (1900, 2, 29) {
        return 60;
    }
    let days = days_from_civil(i64::from(y), u32::from(m), u32::from(d)) - days_from_civil(1899, 12, 31);
    let after_false_leap_day = (y, m) >= (1900, 3);
    (days + i64::from(after_false_leap_day)) as u32
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_index = i64::from((m + 9) % 12);
    let day_of_year = (153 * month_index + 2) / 5 + i64::from(d) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The beginning of `s` that holds at most `max` UTF-16 code units.
fn truncate_utf16(s: &str, max: usize) -> &str {
    // No more bytes than `max`, so no more units: nearly every cell.
    if s.len() <= max {
        return s;
    }
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &s[..i];
        }
    }
    s
}

/// The first `max` characters of `s`.
fn truncate(s: &str, max: usize) -> &str {
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

/// `text` escaped for an attribute's value.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("&#xA;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` escaped as an element's text outside cells.
fn escape_text(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    push_escaped(&mut out, text.as_bytes(), false);
    String::from_utf8(out).unwrap_or_default()
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// A sheet's root element, after the XML declaration.
const SHEET_START: &str = "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">";

/// After `<sheetView ` (and its `tabSelected`): the frozen header row.
const SHEET_VIEW_END: &str = "workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" \
activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\"/></sheetView>\
</sheetViews><sheetFormatPr defaultRowHeight=\"15\"/>";

/// After the sheet's data: the page's margins.
const SHEET_END: &str = "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" \
header=\"0.3\" footer=\"0.3\"/></worksheet>";

/// Office's default theme, as `rust_xlsxwriter` writes it (MIT or Apache-2.0, as openssc).
const THEME: &[u8] = include_bytes!("xlsx-theme.xml");

const RELATIONSHIP: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The package's relationships, after the XML declaration.
const ROOT_RELATIONSHIPS: &str = concat!(
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" ",
    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" ",
    "Target=\"xl/workbook.xml\"/>",
    "<Relationship Id=\"rId2\" ",
    "Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" ",
    "Target=\"docProps/core.xml\"/>",
    "<Relationship Id=\"rId3\" ",
    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" ",
    "Target=\"docProps/app.xml\"/></Relationships>"
);

/// `[Content_Types].xml` of a workbook of `sheets` sheets.
fn content_types(sheets: usize) -> String {
    const OFFICE: &str = "application/vnd.openxmlformats-officedocument";
    let mut xml = String::from(XML_DECLARATION);
    xml.push_str("<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">");
    xml.push_str(
        "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
    );
    xml.push_str("<Default Extension=\"xml\" ContentType=\"application/xml\"/>");
    let overrides = [
        ("/docProps/app.xml", format!("{OFFICE}.extended-properties+xml")),
        (
            "/docProps/core.xml",
            "application/vnd.openxmlformats-package.core-properties+xml".to_owned(),
        ),
        ("/xl/styles.xml", format!("{OFFICE}.spreadsheetml.styles+xml")),
        ("/xl/theme/theme1.xml", format!("{OFFICE}.theme+xml")),
        ("/xl/workbook.xml", format!("{OFFICE}.spreadsheetml.sheet.main+xml")),
    ];
    for (part, kind) in overrides {
        xml.push_str(&format!("<Override PartName=\"{part}\" ContentType=\"{kind}\"/>"));
    }
    for n in 1..=sheets {
        xml.push_str(&format!(
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" ContentType=\"{OFFICE}.spreadsheetml.worksheet+xml\"/>"
        ));
    }
    xml.push_str("</Types>");
    xml
}

/// `docProps/app.xml`: the application and the sheets' names.
fn app_properties(names: &[String]) -> String {
    let mut xml = String::from(XML_DECLARATION);
    xml.push_str(
        "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" \
xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">\
<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>\
<HeadingPairs><vt:vector size=\"2\" baseType=\"variant\"><vt:variant><vt:lpstr>Worksheets</vt:lpstr>\
</vt:variant><vt:variant>",
    );
    xml.push_str(&format!(
        "<vt:i4>{}</vt:i4></vt:variant></vt:vector></HeadingPairs>",
        names.len()
    ));
    xml.push_str(&format!(
        "<TitlesOfParts><vt:vector size=\"{}\" baseType=\"lpstr\">",
        names.len()
    ));
    for name in names {
        xml.push_str(&format!("<vt:lpstr>{}</vt:lpstr>", escape_text(name)));
    }
    xml.push_str(
        "</vt:vector></TitlesOfParts><Company></Company><LinksUpToDate>false</LinksUpToDate>\
<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion>\
</Properties>",
    );
    xml
}

/// `docProps/core.xml`: created and modified on `date`.
fn core_properties((y, m, d): (u16, u8, u8)) -> String {
    let when = format!("{y:04}-{m:02}-{d:02}T00:00:00Z");
    format!(
        "{XML_DECLARATION}<cp:coreProperties \
xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
<dc:creator></dc:creator><cp:lastModifiedBy></cp:lastModifiedBy>\
<dcterms:created xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:created>\
<dcterms:modified xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:modified></cp:coreProperties>"
    )
}

/// `xl/_rels/workbook.xml.rels`: the sheets, the theme and the styles.
fn workbook_relationships(sheets: usize) -> String {
    let mut xml = String::from(XML_DECLARATION);
    xml.push_str("<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">");
    for n in 1..=sheets {
        xml.push_str(&format!(
            "<Relationship Id=\"rId{n}\" Type=\"{RELATIONSHIP}/worksheet\" Target=\"worksheets/sheet{n}.xml\"/>"
        ));
    }
    xml.push_str(&format!(
        "<Relationship Id=\"rId{}\" Type=\"{RELATIONSHIP}/theme\" Target=\"theme/theme1.xml\"/>",
        sheets + 1
    ));
    xml.push_str(&format!(
        "<Relationship Id=\"rId{}\" Type=\"{RELATIONSHIP}/styles\" Target=\"styles.xml\"/>",
        sheets + 2
    ));
    xml.push_str("</Relationships>");
    xml
}

/// `xl/workbook.xml`: the sheets in order, the first one shown.
fn workbook(names: &[String]) -> String {
    let mut xml = String::from(XML_DECLARATION);
    xml.push_str(
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
<fileVersion appName=\"xl\" lastEdited=\"4\" lowestEdited=\"4\" rupBuild=\"4505\"/>\
<workbookPr defaultThemeVersion=\"124226\"/><bookViews><workbookView xWindow=\"240\" yWindow=\"15\" \
windowWidth=\"16095\" windowHeight=\"9660\"/></bookViews><sheets>",
    );
    for (i, name) in names.iter().enumerate() {
        let n = i + 1;
        xml.push_str(&format!(
            "<sheet name=\"{}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>",
            escape_attribute(name)
        ));
    }
    xml.push_str("</sheets><calcPr calcId=\"124519\" fullCalcOnLoad=\"1\"/></workbook>");
    xml
}

/// `xl/styles.xml`: the default font and format, then `formats` in order.
fn styles(formats: &[Format]) -> String {
    const FONT: &str = "<sz val=\"11\"/><color theme=\"1\"/><name val=\"Calibri\"/><family val=\"2\"/>\
<scheme val=\"minor\"/></font>";
    let bold = formats.contains(&Format::Bold);
    let mut xml = String::from(XML_DECLARATION);
    xml.push_str("<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">");
    if formats.contains(&Format::Date) {
        xml.push_str("<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd\"/></numFmts>");
    }
    xml.push_str(&format!("<fonts count=\"{}\"><font>{FONT}", if bold { 2 } else { 1 }));
    if bold {
        xml.push_str(&format!("<font><b/>{FONT}"));
    }
    xml.push_str(
        "</fonts><fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill>\
<patternFill patternType=\"gray125\"/></fill></fills><borders count=\"1\"><border><left/><right/><top/>\
<bottom/><diagonal/></border></borders><cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" \
fillId=\"0\" borderId=\"0\"/></cellStyleXfs>",
    );
    xml.push_str(&format!(
        "<cellXfs count=\"{}\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>",
        formats.len() + 1
    ));
    for format in formats {
        xml.push_str(match format {
            Format::Bold => "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>",
            Format::Date => {
                "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
            }
        });
    }
    xml.push_str(
        "</cellXfs><cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
<dxfs count=\"0\"/><tableStyles count=\"0\" defaultTableStyle=\"TableStyleMedium9\" \
defaultPivotStyle=\"PivotStyleLight16\"/></styleSheet>",
    );
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opendata::table::Field;
    use std::collections::BTreeMap;
    use std::io::Read;

    /// The bytes of the workbook of `tables`; `date` (`YYYY-MM-DD`) is its creation date.
    fn workbook(tables: &[Table], date: Option<&str>) -> Vec<u8> {
        let mut workbook = WorkbookWriter::new(date);
        for table in tables {
            workbook.add(table).unwrap();
        }
        workbook.finish().unwrap()
    }

    /// The same workbook made by `rust_xlsxwriter` in constant-memory mode, as openssc made
    /// it until the eighteenth session.
    fn reference(tables: &[Table], date: Option<&str>) -> Vec<u8> {
        use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
        let mut workbook = Workbook::new();
        let (y, m, d) = date.and_then(parse_date).unwrap_or((1980, 1, 1));
        let created = ExcelDateTime::from_ymd(y, m, d).unwrap();
        workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
        let bold = Format::new().set_bold();
        let date_format = Format::new().set_num_format("yyyy-mm-dd");
        let mut names = Vec::new();
        for table in tables {
            let name = sheet_name(table.name.strip_prefix("reports-").unwrap_or(&table.name), &names);
            names.push(name.clone());
            workbook.add_worksheet_with_constant_memory().unwrap();
            let sheet = workbook.worksheet_from_index(names.len() - 1).unwrap();
            sheet.set_name(name).unwrap();
            for (col, field) in table.fields.iter().enumerate() {
                sheet
                    .write_string_with_format(0, col as u16, field.name.as_ref(), &bold)
                    .unwrap();
            }
            sheet.set_freeze_panes(1, 0).unwrap();
            for (r, row) in table.rows.iter().enumerate() {
                let r = (r + 1) as u32;
                for (col, (cell, field)) in row.iter().zip(&table.fields).enumerate() {
                    let col = col as u16;
                    if cell.is_empty() {
                        continue;
                    }
                    match field.kind {
                        FieldType::Integer | FieldType::Number if cell.parse::<f64>().is_ok_and(f64::is_finite) => {
                            sheet.write_number(r, col, cell.parse::<f64>().unwrap()).unwrap();
                        }
                        FieldType::Boolean if cell == "true" || cell == "false" => {
                            sheet.write_boolean(r, col, cell == "true").unwrap();
                        }
                        FieldType::String if field.pattern == Some(DATE_PATTERN) && cell.len() == 10 => {
                            match parse_date(cell) {
                                Some((y, m, d)) => {
                                    let date = ExcelDateTime::from_ymd(y, m, d).unwrap();
                                    sheet.write_datetime_with_format(r, col, date, &date_format).unwrap();
                                }
                                None => {
                                    sheet.write_string(r, col, cell).unwrap();
                                }
                            }
                        }
                        _ => {
                            sheet.write_string(r, col, cell).unwrap();
                        }
                    }
                }
            }
        }
        workbook.set_zip_compression_level(2);
        workbook.save_to_buffer().unwrap()
    }

    /// Every part of the zip `bytes`, uncompressed, by name.
    fn parts(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut file = zip.by_index(i).unwrap();
                let mut data = Vec::new();
                file.read_to_end(&mut data).unwrap();
                (file.name().unwrap().to_string(), data)
            })
            .collect()
    }

    /// Asserts that our workbook of `tables` holds the parts `rust_xlsxwriter` writes.
    fn assert_same_as_rust_xlsxwriter(tables: &[Table], date: Option<&str>) {
        let ours = parts(&workbook(tables, date));
        let theirs = parts(&reference(tables, date));
        assert_eq!(ours.keys().collect::<Vec<_>>(), theirs.keys().collect::<Vec<_>>());
        for (name, data) in &theirs {
            assert_eq!(
                String::from_utf8_lossy(&ours[name]),
                String::from_utf8_lossy(data),
                "part {name} differs"
            );
        }
    }

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

    /// A table with every kind of cell and text that needs escaping, of `rows` rows.
    fn varied(name: &'static str, rows: usize) -> Table {
        let mut date = Field::string("date", "");
        date.pattern = Some(DATE_PATTERN);
        let flag = Field::boolean("flag", "");
        let count = Field::integer("count", "");
        let texts = [
            "plain",
            " leading space",
            "trailing tab\t",
            "\nnewline first",
            "a & b < c > d \"quoted\" 'single'",
            "control \u{1} \u{8} \u{b} \u{c} \r \u{1f} kept \t tab",
            "_x0041_ and _x00e9_ and _xZZZZ_ and _x12 and x_x0000_x0001_",
            "ünïcödé 漢字 🎉",
            "_x0041_",
            "",
        ];
        let numbers = [
            "0",
            "7",
            "2011",
            "012",
            "-3",
            "12.5",
            "1e3",
            "0.1",
            "123456789012345678",
            "abc",
            "NaN",
            "inf",
            "",
        ];
        let dates = [
            "2024-05-01",
            "1899-12-31",
            "1900-01-01",
            "1900-02-28",
            "1900-02-29",
            "1900-03-01",
            "2000-02-29",
            "2001-02-29",
            "9999-12-31",
            "1800-01-01",
            "2011",
            "2011-05",
            "",
        ];
        let flags = ["true", "false", "yes", ""];
        Table {
            name: name.into(),
            title: "T".into(),
            description: "".into(),
            fields: vec![
                Field::string("text", ""),
                count,
                Field::number("amount", ""),
                date,
                flag,
            ],
            primary_key: vec![],
            foreign_keys: vec![],
            rows: (0..rows)
                .map(|i| {
                    vec![
                        texts[i % texts.len()].to_owned(),
                        numbers[i % numbers.len()].to_owned(),
                        numbers[(i / 3) % numbers.len()].to_owned(),
                        dates[i % dates.len()].to_owned(),
                        flags[i % flags.len()].to_owned(),
                    ]
                })
                .collect(),
            path: None,
        }
    }

    #[test]
    fn the_workbook_holds_what_rust_xlsxwriter_writes() {
        assert_same_as_rust_xlsxwriter(&[table()], Some("2024-05-01"));
        assert_same_as_rust_xlsxwriter(&[table()], None);
        // Several sheets, one of them longer than a piece, names to shorten and make distinct,
        // the first without dates (so the date format is registered by a later sheet).
        let mut long_name = varied("reports-2023-initiatives_by_modality_and_region", 50);
        long_name.rows.push(vec![String::new(); 5]);
        assert_same_as_rust_xlsxwriter(
            &[
                table(),
                varied("participants", ROWS_PER_PIECE * 2 + 17),
                long_name,
                varied("reports-2023-initiatives_by_modality_and_region", 3),
                varied("a&b<c>", 2),
                // An escape of Excel's in a name: escaped in cells, not in the properties.
                varied("name_x0041_", 1),
            ],
            Some("2023-12-31"),
        );
        // Headers only; every row empty.
        let mut empty = table();
        empty.rows = vec![vec![String::new(), String::new()]];
        assert_same_as_rust_xlsxwriter(&[empty], None);
        // No columns at all, then a sheet with dates only.
        // (A row's values beyond the columns are not cells: no row is written for them.)
        let mut bare = table();
        bare.fields.clear();
        bare.rows = vec![vec!["beyond the columns".into()]];
        let mut dates_only = varied("dates", 20);
        dates_only.fields.drain(..3);
        for row in &mut dates_only.rows {
            row.drain(..3);
        }
        assert_same_as_rust_xlsxwriter(&[bare, dates_only], None);
    }

    #[test]
    fn dates_have_the_serial_numbers_of_rust_xlsxwriter() {
        use rust_xlsxwriter::ExcelDateTime;
        let mut days = vec![(1899, 12, 31)];
        for y in (1900..=1905).chain([1999, 2000, 2024, 2100, 9999]) {
            for m in 1..=12 {
                for d in 1..=31 {
                    days.push((y, m, d));
                }
            }
        }
        for (y, m, d) in days {
            let text = format!("{y:04}-{m:02}-{d:02}");
            let theirs = ExcelDateTime::from_ymd(y, m, d).ok().map(|t| t.to_excel());
            assert_eq!(
                parse_date(&text).map(|ymd| f64::from(date_serial(ymd))),
                theirs,
                "{text}"
            );
        }
    }

    #[test]
    fn column_names_run_from_a_to_xfd() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
        assert_eq!(column_name(COL_MAX - 1), "XFD");
    }

    #[test]
    fn a_text_longer_than_a_cell_is_cut_at_a_character() {
        assert_eq!(truncate_utf16("abcd", 2), "ab");
        assert_eq!(truncate_utf16("abc", 3), "abc");
        // Six bytes, three characters, three units.
        assert_eq!(truncate_utf16("ééé", 3), "ééé");
        // Each emoji is two units: the second does not fit in three.
        assert_eq!(truncate_utf16("🎉🎉", 3), "🎉");
        assert_eq!(truncate_utf16("", 0), "");
        let long = "🎉".repeat(CELL_TEXT_MAX);
        assert_eq!(truncate_utf16(&long, CELL_TEXT_MAX).chars().count(), CELL_TEXT_MAX / 2);
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("abcd", 2), "ab");
        assert_eq!(truncate("abc", 3), "abc");
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
        let tables = [table(), varied("varied", ROWS_PER_PIECE * 3)];
        let a = workbook(&tables, Some("2024-05-01"));
        assert_eq!(a, workbook(&tables, Some("2024-05-01")));
        assert!(a.starts_with(b"PK"));
        assert_eq!(workbook(&tables, None), workbook(&tables, None));
        assert_eq!(parse_date("2024-13-01"), None);
    }

    #[test]
    fn a_table_larger_than_a_sheet_is_refused() {
        let mut wide = table();
        wide.fields = (0..=COL_MAX).map(|_| Field::string("c", "")).collect();
        assert!(matches!(
            WorkbookWriter::new(None).add(&wide),
            Err(WorkbookError::TooManyColumns { .. })
        ));
    }
}
