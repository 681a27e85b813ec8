//! `openssc-data.zip`: the downloads plus the site's sources, in one deterministic archive.
//!
//! Entries are sorted by path, deflated at level 1 (fast: the archive is rebuilt on every build), dated 1980-01-01 00:00:00 (the zip
//! epoch), with Unix permissions 0644 and no extra fields, so the same files give the same
//! bytes.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

/// The bytes of a zip archive of `entries` (`/`-separated relative path, bytes), written
/// in path order whatever their order in `entries`.
pub fn zip(entries: &[(String, &[u8])]) -> zip::result::ZipResult<Vec<u8>> {
    let mut sorted: Vec<&(String, &[u8])> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted.dedup_by(|a, b| a.0 == b.0);
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .last_modified_time(DateTime::default())
        .system(System::Unix)
        .unix_permissions(0o644);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (path, bytes) in sorted {
        writer.start_file(path.as_str(), options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_give_the_same_bytes_in_any_order() {
        let a = zip(&[
            ("b.txt".into(), b"bee".as_slice()),
            ("a/c.csv".into(), b"x,y\r\n".as_slice()),
        ])
        .unwrap();
        let b = zip(&[
            ("a/c.csv".into(), b"x,y\r\n".as_slice()),
            ("b.txt".into(), b"bee".as_slice()),
        ])
        .unwrap();
        assert_eq!(a, b);
        let archive = zip::ZipArchive::new(Cursor::new(a)).unwrap();
        let names: Vec<&[u8]> = archive.file_names_raw().collect();
        assert_eq!(names, [b"a/c.csv".as_slice(), b"b.txt".as_slice()]);
    }
}
