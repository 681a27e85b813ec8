//! CSV files of the tables: UTF-8 without BOM, a header row, RFC 4180 quoting (only where
//! needed) and CRLF line ends, written with the `csv` crate.

use super::table::Table;

/// The bytes of `table` as CSV.
pub fn to_csv(table: &Table) -> Vec<u8> {
    // The bytes of the cells with a separator or line end each, and room for some quotes:
    // grown from empty, a large table's text was copied into every larger buffer on the
    // way (17 MB at 50,000 initiatives).
    let cells: usize = table.rows.iter().flatten().map(|cell| cell.len() + 1).sum();
    let size = cells + cells / 32 + 2 * table.rows.len() + 1024;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(size));
    // Writing to memory cannot fail, and every row has one cell per field (tested).
    writer
        .write_record(table.fields.iter().map(|f| f.name.as_ref()))
        .expect("write to memory");
    for row in &table.rows {
        debug_assert_eq!(row.len(), table.fields.len(), "a row of {}", table.name);
        writer.write_record(row).expect("write to memory");
    }
    writer.into_inner().expect("flush to memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opendata::table::Field;

    #[test]
    fn quotes_only_where_needed_and_ends_lines_with_crlf() {
        let table = Table {
            name: "t".into(),
            title: "T".into(),
            description: "".into(),
            fields: vec![Field::string("a", ""), Field::string("b", "")],
            primary_key: vec![],
            foreign_keys: vec![],
            rows: vec![
                vec!["plain".into(), "with, comma".into()],
                vec!["say \"hi\"".into(), "two\nlines".into()],
                vec![String::new(), "ñ".into()],
            ],
            path: None,
        };
        assert_eq!(
            String::from_utf8(to_csv(&table)).unwrap(),
            "a,b\r\nplain,\"with, comma\"\r\n\"say \"\"hi\"\"\",\"two\nlines\"\r\n,ñ\r\n"
        );
    }
}
