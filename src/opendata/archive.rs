//! `openssc-data.zip`: the downloads plus the site's sources, in one deterministic archive.
//!
//! Entries are sorted by path, deflated at level 1 (fast: the archive is rebuilt on every
//! build), dated 1980-01-01 00:00:00 (the zip epoch), with Unix permissions 0644 and no extra
//! fields, so the same files give the same bytes.
//!
//! Each entry is deflated on its own ([`prepare`], on any thread, as soon as its file is
//! made; a large file piece by piece, [`builder`]), then the compressed entries are copied
//! in path order straight into the archive's file ([`write()`]): the archive's bytes do not
//! depend on which thread deflated what.

use rayon::prelude::*;
use zip::write::{PreparedZipFile, SimpleFileOptions, ZipFileBuilder};
use zip::{CompressionMethod, DateTime, System, ZipWriter};

use super::WriteSeek;

/// One entry, deflated, ready to be copied into the archive.
pub type Entry = zip::result::ZipResult<PreparedZipFile>;

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .last_modified_time(DateTime::default())
        .system(System::Unix)
        .unix_permissions(0o644)
}

/// The entry `path` (`/`-separated, relative) holding `bytes`, deflated.
pub fn prepare(path: &str, bytes: &[u8]) -> Entry {
    PreparedZipFile::from_data(path, options(), bytes)
}

/// Every entry of `entries`, deflated in parallel, in the same order.
pub fn prepare_all<'a>(entries: impl IntoParallelIterator<Item = (&'a str, &'a [u8])>) -> Vec<Entry> {
    entries.into_par_iter().map(|(p, b)| prepare(p, b)).collect()
}

/// A file's entry deflated as it is written, for a file too large to hold whole; its
/// [`ZipFileBuilder::finish`] gives the [`Entry`].
pub fn builder(path: &str) -> zip::result::ZipResult<ZipFileBuilder> {
    ZipFileBuilder::new(path, options())
}

/// Writes the zip archive of `entries` into `out` (at its start), in path order whatever
/// their order in `entries` (of two entries with the same path, the first is kept); each
/// entry's compressed bytes are let go once copied. Fails when one entry failed to deflate.
pub fn write(entries: Vec<Entry>, out: &mut dyn WriteSeek) -> zip::result::ZipResult<()> {
    let mut entries = entries.into_iter().collect::<Result<Vec<_>, _>>()?;
    entries.sort_by(|a, b| a.file_name_raw().cmp(b.file_name_raw()));
    entries.dedup_by(|a, b| a.file_name_raw() == b.file_name_raw());
    let mut writer = ZipWriter::new(out);
    for entry in entries {
        writer.add_prepared_file(entry)?;
    }
    writer.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    /// The bytes of a zip archive of `entries` (`/`-separated relative path, bytes).
    fn zip(entries: &[(String, &[u8])]) -> zip::result::ZipResult<Vec<u8>> {
        let mut bytes = Cursor::new(Vec::new());
        write(
            prepare_all(entries.par_iter().map(|(p, b)| (p.as_str(), *b))),
            &mut bytes,
        )?;
        Ok(bytes.into_inner())
    }

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

    #[test]
    fn entries_deflated_apart_read_back_as_written() {
        let big: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let bytes = zip(&[("big.bin".into(), big.as_slice()), ("empty".into(), b"".as_slice())]).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut read = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name("big.bin").unwrap(), &mut read).unwrap();
        assert_eq!(read, big);
        assert_eq!(archive.by_name("empty").unwrap().size(), 0);
    }
}
