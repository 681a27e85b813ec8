//! `openssc-data.zip`: the downloads plus the site's sources, in one deterministic archive.
//!
//! Entries are sorted by path, deflated at level 1 (fast: the archive is rebuilt on every
//! build; by [`super::quick`], which makes zlib-rs's bytes faster) but for files of a
//! compressed format, stored as they are ([`STORED_AS_THEY_ARE`]: the workbook, images),
//! dated 1980-01-01 00:00:00 (the zip epoch), with Unix permissions 0644, UTF-8 names and no
//! extra fields but Zip64's where a size or offset needs it, so the same files give the same
//! bytes.
//!
//! Each entry is deflated on its own ([`prepare`], on any thread, as soon as its file is
//! made), then the compressed entries are copied in path order straight into the archive's
//! file ([`Archive::write`]): the archive's bytes do not depend on which thread deflated what.
//!
//! Why our own writer rather than the `zip` crate's (which reads the archive back in the
//! tests): an archive of 10,000 initiatives holds 20,000 small entries, and `zip` makes a
//! new compressor for each (about 3 % of a build's time went to zeroing its state); here
//! each thread keeps one table of positions, never cleared. And a large file can be
//! deflated in [`Fragment`]s made on any thread and joined in order ([`Pieces`]), so
//! `records.json`'s 90 MB are not deflated on one thread while the other waits.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use flate2::{Compress, Compression, FlushCompress, Status};
use rayon::prelude::*;

use super::quick::{self, End};

/// One file's entry, deflated, ready to be copied into the archive.
#[derive(Debug, Clone)]
pub struct Deflated {
    /// `/`-separated, relative.
    path: String,
    crc32: u32,
    /// Uncompressed.
    size: u64,
    /// Raw deflate, in the pieces it was made in (one for most files; joined only as they
    /// are written); the bytes themselves when `stored`. A piece is shared, not copied,
    /// with the [`Memo`] that keeps it for the next archive.
    data: Vec<Piece>,
    /// Stored as it is (a compressed format), not deflated.
    stored: bool,
}

impl Deflated {
    /// The length of the entry's data in the archive.
    fn compressed_len(&self) -> u64 {
        self.data.iter().map(|piece| piece.len() as u64).sum()
    }
}

/// Deflated bytes, shared by the entry that holds them and the [`Memo`] of `serve`, which
/// keeps them for the next archive.
type Piece = Arc<Vec<u8>>;

/// An entry, or why it could not be deflated (the archive is then not written).
pub type Entry = io::Result<Deflated>;

/// A copy of `entry`, an error copied as its kind and message (`io::Error` is not `Clone`):
/// `serve` keeps the entries of unchanged sources from one archive to the next.
pub fn copy_entry(entry: &Entry) -> Entry {
    match entry {
        Ok(deflated) => Ok(deflated.clone()),
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    }
}

/// How hard deflate tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// zlib level 1 (fixed codes; [`quick`], which makes zlib-rs's bytes): the archive's.
    Fastest,
    /// zlib level 2 (zlib-rs's `deflate_fast`, codes made for the data): the workbook's,
    /// whose XML repeats itself enough that it is a quarter smaller than at level 1.
    Fast,
}

thread_local! {
    /// Each thread's compressor for [`Level::Fast`], reset for every piece instead of made
    /// anew.
    static FAST: RefCell<Compress> = RefCell::new(Compress::new(Compression::new(2), false));
}

/// Deflates `input` at zlib level 2 and appends it to `out` in [`End::Sync`] blocks: they
/// end on a byte boundary, none final and none referring to bytes before `input`, so that
/// such pieces can be joined ([`Pieces`]).
fn deflate_fast(input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    FAST.with_borrow_mut(|compress| {
        compress.reset();
        out.reserve(input.len() / 2 + 64);
        let mut rest = input;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(4096));
            }
            let before = compress.total_in();
            let status = compress
                .compress_vec(rest, out, FlushCompress::Sync)
                .map_err(io::Error::other)?;
            rest = &rest[(compress.total_in() - before) as usize..];
            // All input taken and the flush ended with room to spare (zlib's rule).
            if rest.is_empty() && (out.len() < out.capacity() || status == Status::BufError) {
                return Ok(());
            }
        }
    })
}

/// The extensions (lower case) of compressed formats, whose files the archive stores as
/// they are: deflate would spend time to win little or nothing (the workbook, itself a zip
/// archive, takes five times as long to deflate as the IATI file three times its size, to
/// win a tenth).
pub const STORED_AS_THEY_ARE: &[&str] = &["xlsx", "zip", "gz", "png", "jpg", "jpeg", "gif", "webp", "avif"];

/// Is `path` a file of a compressed format ([`STORED_AS_THEY_ARE`])?
fn stored_as_is(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| STORED_AS_THEY_ARE.iter().any(|e| ext.eq_ignore_ascii_case(e)))
}

/// The entry `path` (`/`-separated, relative) holding `bytes`, deflated (or stored, for a
/// compressed format).
pub fn prepare(path: &str, bytes: &[u8]) -> Entry {
    entry(None, path, bytes)
}

/// [`prepare`], with the deflated bytes taken from `memo` when it has them.
pub fn entry(memo: Option<&Memo>, path: &str, bytes: &[u8]) -> Entry {
    let crc32 = crc32fast::hash(bytes);
    let stored = stored_as_is(path);
    let data = if stored {
        Arc::new(bytes.to_vec())
    } else {
        deflate_or_take(memo, bytes, crc32, End::Final)
    };
    Ok(Deflated {
        path: path.to_owned(),
        crc32,
        size: bytes.len() as u64,
        data: vec![data],
        stored,
    })
}

/// `bytes` deflated at level 1 ([`quick`]), ending as `end` says, or taken from
/// `memo` when the last archive made with it deflated the same bytes the same way.
fn deflate_or_take(memo: Option<&Memo>, bytes: &[u8], crc32: u32, end: End) -> Piece {
    let fresh = || {
        let mut data = Vec::new();
        quick::deflate(bytes, &mut data, end);
        Arc::new(data)
    };
    match memo {
        None => fresh(),
        Some(memo) => memo.take_or(MemoKey::of(bytes, crc32, end == End::Sync), fresh),
    }
}

/// Deflated data kept from one archive to the next (`openssc serve`'s data refresh): a file
/// or a [`Fragment`] whose bytes are those of last time (same size, CRC-32 and 64-bit hash)
/// takes its deflated bytes as they were instead of being deflated again. After an edit,
/// nearly every initiative's JSON file and part of `records.json` is unchanged.
///
/// Each archive made with a memo ([`entry`], [`piece`], on any thread)
/// records what it used; [`Memo::next`] keeps only that for the next archive, so the memo
/// holds one archive's worth of deflated data, never more. It holds the pieces the
/// archive's entries hold (shared, not copied).
#[derive(Debug, Default)]
pub struct Memo {
    last: HashMap<MemoKey, Piece>,
    used: Mutex<HashMap<MemoKey, Piece>>,
}

/// What identifies an input: how it was deflated (whole or as a fragment), its size, CRC-32
/// and 64-bit hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MemoKey {
    fragment: bool,
    size: u64,
    crc32: u32,
    hash: u64,
}

impl MemoKey {
    fn of(bytes: &[u8], crc32: u32, fragment: bool) -> MemoKey {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        MemoKey {
            fragment,
            size: bytes.len() as u64,
            crc32,
            hash: hasher.finish(),
        }
    }
}

impl Memo {
    /// The memo for the next archive: what this one used.
    pub fn next(self) -> Memo {
        Memo {
            last: self.used.into_inner().unwrap_or_else(PoisonError::into_inner),
            used: Mutex::default(),
        }
    }

    /// The deflated bytes of `key`: kept from last time, else made by `deflate`; recorded
    /// as used.
    fn take_or(&self, key: MemoKey, deflate: impl FnOnce() -> Piece) -> Piece {
        let data = self.last.get(&key).map_or_else(deflate, Arc::clone);
        self.used
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Arc::clone(&data));
        data
    }
}

/// A piece of a large file, deflated on its own: [`Pieces`] joins such pieces in order into
/// one entry.
pub struct Fragment {
    crc: crc32fast::Hasher,
    data: io::Result<Piece>,
}

/// `bytes` deflated as a [`Fragment`], on any thread.
pub fn fragment(bytes: &[u8]) -> Fragment {
    piece(None, bytes)
}

/// `bytes` deflated at `level` as a [`Fragment`], on any thread.
pub fn fragment_at(level: Level, bytes: &[u8]) -> Fragment {
    match level {
        Level::Fastest => fragment(bytes),
        Level::Fast => {
            let mut crc = crc32fast::Hasher::new();
            crc.update(bytes);
            let mut data = Vec::new();
            let data = deflate_fast(bytes, &mut data).map(|()| Arc::new(data));
            Fragment { crc, data }
        }
    }
}

impl Fragment {
    /// `bytes` in stored (not deflated) blocks, none for no bytes: for a few bytes between
    /// deflated fragments (a separator), where resetting a compressor would cost more than
    /// the bytes. Each block is its header byte (not final, stored: 0), its length and that
    /// length's complement (16 bits each, little-endian), then the bytes; it starts and ends
    /// on a byte boundary, as an [`End::Sync`] fragment does.
    pub fn stored(bytes: &[u8]) -> Fragment {
        let mut crc = crc32fast::Hasher::new();
        crc.update(bytes);
        let mut data = Vec::with_capacity(bytes.len() + 5 * (bytes.len() / 0xFFFF + 1));
        for block in bytes.chunks(0xFFFF) {
            let len = block.len() as u16;
            data.push(0);
            data.extend_from_slice(&len.to_le_bytes());
            data.extend_from_slice(&(!len).to_le_bytes());
            data.extend_from_slice(block);
        }
        Fragment {
            crc,
            data: Ok(Arc::new(data)),
        }
    }
}

/// [`fragment`], with the deflated bytes taken from `memo` when it has them.
pub fn piece(memo: Option<&Memo>, bytes: &[u8]) -> Fragment {
    let mut crc = crc32fast::Hasher::new();
    crc.update(bytes);
    let crc32 = crc.clone().finalize();
    let data = Ok(deflate_or_take(memo, bytes, crc32, End::Sync));
    Fragment { crc, data }
}

/// An entry made of [`Fragment`]s, for a file too large to hold whole and too large to
/// deflate on one thread.
pub struct Pieces {
    path: String,
    crc: crc32fast::Hasher,
    /// The pieces so far, kept apart until they are written: appending each to one growing
    /// buffer copied `records.json`'s deflated bytes again at every doubling (about 1 % of a
    /// build at 10,000 initiatives, with the page faults of each larger buffer).
    data: io::Result<Vec<Piece>>,
}

impl Pieces {
    /// An empty entry `path`.
    pub fn new(path: &str) -> Pieces {
        Pieces {
            path: path.to_owned(),
            crc: crc32fast::Hasher::new(),
            data: Ok(Vec::new()),
        }
    }

    /// Adds the next piece of the file.
    pub fn push(&mut self, fragment: Fragment) {
        self.crc.combine(&fragment.crc);
        match (&mut self.data, fragment.data) {
            (Ok(pieces), Ok(more)) => pieces.push(more),
            (Ok(_), Err(e)) => self.data = Err(e),
            (Err(_), _) => {}
        }
    }

    /// The entry: the pieces, then an empty final block.
    pub fn finish(self) -> Entry {
        let size = self.crc.total_len();
        let mut data = self.data?;
        // The empty final block with fixed codes: BFINAL 1, BTYPE 01, end-of-block 0000000.
        data.push(Arc::new(vec![0x03, 0x00]));
        Ok(Deflated {
            path: self.path,
            crc32: self.crc.finalize(),
            size,
            data,
            stored: false,
        })
    }
}

/// Zip64 is needed for a value that does not fit the 32 bits of the classic fields.
const ZIP64_LIMIT: u64 = 0xFFFF_FFFF;
/// 1980-01-01 in MS-DOS date format; the time is 00:00:00 (0).
const DOS_DATE: u16 = (1 << 5) | 1;
/// Bit 11: the name is UTF-8.
const FLAGS: u16 = 1 << 11;
const DEFLATED: u16 = 8;
const STORED: u16 = 0;
/// The version of the format an entry needs: 2.0 (deflate), 4.5 (Zip64).
fn version(zip64: bool) -> u16 {
    if zip64 { 45 } else { 20 }
}

/// The zip archive of a set of entries, in path order (of two entries with the same path,
/// the first is kept), ready to be written. Its size is known before it is written, so a
/// page can say it while the archive is written on another thread.
pub struct Archive {
    entries: Vec<Deflated>,
}

impl Archive {
    /// The archive of `entries`, whatever their order; fails when one failed to deflate.
    pub fn new(entries: Vec<Entry>) -> io::Result<Archive> {
        let mut entries = entries.into_iter().collect::<io::Result<Vec<_>>>()?;
        // On either core (110,000 entries at 50,000 initiatives); stable, so that of two
        // entries with one path the first given is kept.
        entries.par_sort_by(|a, b| a.path.cmp(&b.path));
        entries.dedup_by(|a, b| a.path == b.path);
        Ok(Archive { entries })
    }

    /// The number of bytes [`Archive::write`] writes, counted from the headers' lengths
    /// (nothing is made: a build waits for this number before its Data page).
    pub fn size(&self) -> u64 {
        let mut offset: u64 = 0;
        let mut central_size: u64 = 0;
        for entry in &self.entries {
            let compressed = entry.compressed_len();
            let (local, central) = header_lens(entry.path.len(), entry.size, compressed, offset);
            offset += local + compressed;
            central_size += central;
        }
        offset + central_size + end_len(self.entries.len() as u64, offset, central_size)
    }

    /// Writes the archive into `out`, a few writes an entry (a sink's stream buffers them;
    /// a buffer here too copied every byte once more); each entry's compressed bytes are let
    /// go once written.
    pub fn write(self, out: &mut dyn Write) -> io::Result<()> {
        write_entries(self.entries, out)?;
        out.flush()
    }
}

/// Writes `entries` (sorted, distinct), each with its local header, then the central
/// directory and its end.
fn write_entries<E: std::borrow::Borrow<Deflated>>(
    entries: impl IntoIterator<Item = E, IntoIter: ExactSizeIterator>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let entries = entries.into_iter();
    let count = entries.len() as u64;
    let mut central = Vec::with_capacity(entries.len() * 96);
    let mut offset: u64 = 0;
    for entry in entries {
        let entry = entry.borrow();
        let compressed = entry.compressed_len();
        let method = if entry.stored { STORED } else { DEFLATED };
        let (local, central_header) = headers(&entry.path, method, entry.crc32, entry.size, compressed, offset);
        out.write_all(&local)?;
        for piece in &entry.data {
            out.write_all(piece)?;
        }
        central.extend_from_slice(&central_header);
        offset += local.len() as u64 + compressed;
    }
    let central_offset = offset;
    let central_size = central.len() as u64;
    out.write_all(&central)?;
    let mut end = Vec::with_capacity(98);
    if end_needs_zip64(count, central_offset, central_size) {
        // The Zip64 end of central directory record, then its locator.
        put32(&mut end, 0x0606_4b50);
        put64(&mut end, 44);
        put16(&mut end, (3 << 8) | 45);
        put16(&mut end, 45);
        put32(&mut end, 0);
        put32(&mut end, 0);
        put64(&mut end, count);
        put64(&mut end, count);
        put64(&mut end, central_size);
        put64(&mut end, central_offset);
        put32(&mut end, 0x0706_4b50);
        put32(&mut end, 0);
        put64(&mut end, central_offset + central_size);
        put32(&mut end, 1);
    }
    put32(&mut end, 0x0605_4b50);
    put16(&mut end, 0);
    put16(&mut end, 0);
    put16(&mut end, count.min(0xFFFF) as u16);
    put16(&mut end, count.min(0xFFFF) as u16);
    put32(&mut end, central_size.min(ZIP64_LIMIT) as u32);
    put32(&mut end, central_offset.min(ZIP64_LIMIT) as u32);
    put16(&mut end, 0); // comment
    out.write_all(&end)
}

/// The local header and the central directory header of the entry `path`, whose local
/// header is at `offset`. With Zip64, the local header holds both sizes in its extra field;
/// the central one holds the sizes when either does not fit (both, as its size fields then
/// both say "see Zip64") and the offset when it does not fit.
fn headers(path: &str, method: u16, crc32: u32, size: u64, compressed: u64, offset: u64) -> (Vec<u8>, Vec<u8>) {
    let sizes_zip64 = sizes_need_zip64(size, compressed);
    let name = path.as_bytes();
    let (csize, usize32) = if sizes_zip64 {
        (u32::MAX, u32::MAX)
    } else {
        (compressed as u32, size as u32)
    };
    // From the version needed to the extra field's length, both headers hold the same
    // fields in the same order.
    let shared = |out: &mut Vec<u8>, zip64: bool, extra_len: u16| {
        put16(out, version(zip64));
        put16(out, FLAGS);
        put16(out, method);
        put16(out, 0); // time: 00:00:00
        put16(out, DOS_DATE);
        put32(out, crc32);
        put32(out, csize);
        put32(out, usize32);
        put16(out, name.len() as u16);
        put16(out, extra_len);
    };
    let mut local = Vec::with_capacity(30 + name.len() + 20);
    put32(&mut local, 0x0403_4b50);
    shared(&mut local, sizes_zip64, if sizes_zip64 { 20 } else { 0 });
    local.extend_from_slice(name);
    if sizes_zip64 {
        put16(&mut local, 0x0001);
        put16(&mut local, 16);
        put64(&mut local, size);
        put64(&mut local, compressed);
    }

    let mut extra = Vec::with_capacity(central_extra_len(sizes_zip64, offset));
    if sizes_zip64 {
        put64(&mut extra, size);
        put64(&mut extra, compressed);
    }
    if offset_needs_zip64(offset) {
        put64(&mut extra, offset);
    }
    let zip64 = !extra.is_empty();
    let mut central = Vec::with_capacity(46 + name.len() + 28);
    put32(&mut central, 0x0201_4b50);
    // Made by Unix (3), with the version needed.
    put16(&mut central, (3 << 8) | version(zip64));
    shared(&mut central, zip64, if zip64 { extra.len() as u16 + 4 } else { 0 });
    put16(&mut central, 0); // comment
    put16(&mut central, 0); // disk
    put16(&mut central, 0); // internal attributes
    put32(&mut central, 0o100_644 << 16); // a regular file, rw-r--r--
    put32(&mut central, offset.min(ZIP64_LIMIT) as u32);
    central.extend_from_slice(name);
    if zip64 {
        put16(&mut central, 0x0001);
        put16(&mut central, extra.len() as u16);
        central.extend_from_slice(&extra);
    }
    (local, central)
}

/// Whether an entry's sizes go in a Zip64 extra field (either does not fit 32 bits).
fn sizes_need_zip64(size: u64, compressed: u64) -> bool {
    size >= ZIP64_LIMIT || compressed >= ZIP64_LIMIT
}

/// Whether a local header's offset goes in the central header's Zip64 extra field.
fn offset_needs_zip64(offset: u64) -> bool {
    offset >= ZIP64_LIMIT
}

/// The length of the data of the central header's Zip64 extra field (0: no such field).
fn central_extra_len(sizes_zip64: bool, offset: u64) -> usize {
    let sizes = if sizes_zip64 { 16 } else { 0 };
    sizes + if offset_needs_zip64(offset) { 8 } else { 0 }
}

/// The lengths of the local and central headers [`headers`] writes for the entry `path`
/// (of `name_len` bytes), from the same decisions.
fn header_lens(name_len: usize, size: u64, compressed: u64, offset: u64) -> (u64, u64) {
    let sizes_zip64 = sizes_need_zip64(size, compressed);
    let local = 30 + name_len + if sizes_zip64 { 20 } else { 0 };
    let extra = central_extra_len(sizes_zip64, offset);
    let central = 46 + name_len + if extra > 0 { 4 + extra } else { 0 };
    (local as u64, central as u64)
}

/// Whether the end of the central directory needs the Zip64 records.
fn end_needs_zip64(count: u64, central_offset: u64, central_size: u64) -> bool {
    count >= 0xFFFF || central_offset >= ZIP64_LIMIT || central_size >= ZIP64_LIMIT
}

/// The length of what ends the archive after the central directory: the end record (22
/// bytes), after the Zip64 end record (56) and its locator (20) when they are needed.
fn end_len(count: u64, central_offset: u64, central_size: u64) -> u64 {
    22 + if end_needs_zip64(count, central_offset, central_size) {
        56 + 20
    } else {
        0
    }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    /// Writes the zip archive of `entries` into `out`; fails when one failed to deflate.
    fn write(entries: Vec<Entry>, out: &mut dyn Write) -> io::Result<()> {
        Archive::new(entries)?.write(out)
    }

    /// The bytes of a zip archive of `entries` (`/`-separated relative path, bytes).
    fn zip(entries: &[(String, &[u8])]) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        write(entries.par_iter().map(|(p, b)| prepare(p, b)).collect(), &mut bytes)?;
        Ok(bytes)
    }

    /// An entry's data, its pieces joined.
    fn concat(pieces: &[Piece]) -> Vec<u8> {
        pieces.iter().flat_map(|piece| piece.iter().copied()).collect()
    }

    /// Joins fragments into the entry `path`.
    fn joined(path: &str, fragments: Vec<Fragment>) -> Deflated {
        let mut pieces = Pieces::new(path);
        for f in fragments {
            pieces.push(f);
        }
        pieces.finish().unwrap()
    }

    #[test]
    fn files_of_a_compressed_format_are_stored_as_they_are() {
        let text = b"text text text text text text text text".repeat(100);
        let bytes = zip(&[
            ("data/openssc.xlsx".into(), text.as_slice()),
            ("content/img/Map.PNG".into(), text.as_slice()),
            ("data/records.json".into(), text.as_slice()),
            ("content/xlsx".into(), text.as_slice()),
        ])
        .unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        for (name, method) in [
            ("data/openssc.xlsx", zip::CompressionMethod::Stored),
            ("content/img/Map.PNG", zip::CompressionMethod::Stored),
            ("data/records.json", zip::CompressionMethod::Deflated),
            ("content/xlsx", zip::CompressionMethod::Deflated),
        ] {
            assert_eq!(read(&mut archive, name), text, "{name}");
            let file = archive.by_name(name).unwrap();
            assert_eq!(file.compression(), method, "{name}");
            let stored = method == zip::CompressionMethod::Stored;
            assert_eq!(file.compressed_size() == text.len() as u64, stored, "{name}");
        }
        let memo = Memo::default();
        assert!(entry(Some(&memo), "a.xlsx", &text).unwrap().stored);
        assert!(memo.next().last.is_empty(), "stored files are not kept");
    }

    #[test]
    fn a_memo_gives_the_same_entries_and_takes_what_the_last_archive_deflated() {
        let bytes: &[u8] = b"{\"id\": \"p1\", \"title\": \"An initiative\"}";
        let plain = prepare("data/p1.json", bytes).unwrap();
        let memo = Memo::default();
        let first = entry(Some(&memo), "data/p1.json", bytes).unwrap();
        assert_eq!(
            (&first.path, first.crc32, first.size, &first.data),
            (&plain.path, plain.crc32, plain.size, &plain.data)
        );
        let pieces = [&b"[1,"[..], b"2]"];
        let plain_joined = joined("data/r.json", pieces.iter().map(|p| fragment(p)).collect());
        let memo_joined = joined("data/r.json", pieces.iter().map(|p| piece(Some(&memo), p)).collect());
        assert_eq!(concat(&memo_joined.data), concat(&plain_joined.data));

        // The next archive takes the deflated bytes as they were: swapped here for marked
        // ones, which only a memo that does not deflate again can return.
        let mut memo = memo.next();
        assert_eq!(memo.last.len(), 3, "one file and two fragments");
        for data in memo.last.values_mut() {
            *data = Arc::new(b"kept".to_vec());
        }
        assert_eq!(
            concat(&entry(Some(&memo), "data/p2.json", bytes).unwrap().data),
            b"kept"
        );
        // Changed bytes are deflated again; what this archive did not use is let go.
        let changed = entry(Some(&memo), "data/p1.json", b"{}").unwrap();
        assert_eq!(changed.data, prepare("x", b"{}").unwrap().data);
        let memo = memo.next();
        assert_eq!(memo.last.len(), 2, "the file kept and the changed one, no fragment");
    }

    fn read(archive: &mut zip::ZipArchive<Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
        let mut read = Vec::new();
        archive.by_name(name).unwrap().read_to_end(&mut read).unwrap();
        read
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

    /// Many entries (sorted on both cores) in reverse order, one path given twice: the
    /// archive holds each path once, in order, the first given.
    #[test]
    fn entries_are_in_path_order_and_a_path_given_twice_keeps_the_first() {
        let mut files: Vec<(String, Vec<u8>)> = (0..5000)
            .rev()
            .map(|i| (format!("f{i:05}"), vec![b'a'; i % 7]))
            .collect();
        files.insert(100, ("f00042".into(), b"second".to_vec()));
        files.insert(0, ("f00042".into(), b"first".to_vec()));
        let entries = files.iter().map(|(p, b)| prepare(p, b)).collect();
        let mut bytes = Vec::new();
        write(entries, &mut bytes).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let names: Vec<String> = archive
            .file_names_raw()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect();
        let expected: Vec<String> = (0..5000).map(|i| format!("f{i:05}")).collect();
        assert_eq!(names, expected);
        assert_eq!(read(&mut archive, "f00042"), b"first");
    }

    #[test]
    fn entries_read_back_as_written_with_their_date_and_permissions() {
        let big: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let bytes = zip(&[
            ("big.bin".into(), big.as_slice()),
            ("empty".into(), b"".as_slice()),
            ("ñandú/é.md".into(), "Ñ".as_bytes()),
        ])
        .unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(read(&mut archive, "big.bin"), big);
        assert_eq!(archive.by_name("empty").unwrap().size(), 0);
        assert_eq!(read(&mut archive, "ñandú/é.md"), "Ñ".as_bytes());
        let file = archive.by_name("big.bin").unwrap();
        assert_eq!(file.compression(), zip::CompressionMethod::Deflated);
        assert_eq!(file.last_modified(), Some(zip::DateTime::default()));
        assert_eq!(file.unix_mode(), Some(0o100_644));
    }

    #[test]
    fn pieces_deflated_apart_join_into_one_entry() {
        let parts: Vec<Vec<u8>> = (0..50)
            .map(|i| format!("{{\"id\": {i}, \"text\": \"{}\"}}\n", "abc ".repeat(i * 40)).into_bytes())
            .chain([Vec::new()])
            .collect();
        let fragments: Vec<Fragment> = parts.par_iter().map(|p| fragment(p)).collect();
        let mut pieces = Pieces::new("records.json");
        for f in fragments {
            pieces.push(f);
        }
        let mut bytes = Vec::new();
        write(vec![pieces.finish(), Pieces::new("none").finish()], &mut bytes).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        // Reading checks the CRC and the size.
        assert_eq!(read(&mut archive, "records.json"), parts.concat());
        assert_eq!(read(&mut archive, "none"), b"");
    }

    #[test]
    fn deflated_pieces_between_stored_separators_join_into_one_entry() {
        // Three initiatives' items in `records.json`, between separators stored as they are:
        // one longer than a stored block holds, and an empty one.
        let items: Vec<Vec<u8>> = (0..3)
            .map(|i| format!("{{\"id\":{i},\"text\":\"{}\"}}", "word ".repeat(50 + i)).into_bytes())
            .collect();
        let separators: [&[u8]; 3] = [b"[", &[b' '; 70_000], b""];
        let mut larger = Pieces::new("records.json");
        let mut expected = Vec::new();
        for (item, separator) in items.iter().zip(separators) {
            larger.push(Fragment::stored(separator));
            larger.push(piece(None, item));
            expected.extend_from_slice(separator);
            expected.extend_from_slice(item);
        }
        larger.push(Fragment::stored(b"]"));
        expected.push(b']');
        let mut bytes = Vec::new();
        write(vec![larger.finish()], &mut bytes).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        // Reading checks the CRC and the size of the entry.
        assert_eq!(read(&mut archive, "records.json"), expected);
    }

    #[test]
    fn more_than_65535_entries_take_zip64_records() {
        let names: Vec<String> = (0..70_000).map(|i| format!("f/{i:05}")).collect();
        let entries: Vec<Entry> = names.par_iter().map(|n| prepare(n, n.as_bytes())).collect();
        let mut bytes = Vec::new();
        let zipped = Archive::new(entries).unwrap();
        let size = zipped.size();
        zipped.write(&mut bytes).unwrap();
        assert_eq!(
            size,
            bytes.len() as u64,
            "the size said before writing, with Zip64 records"
        );
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 70_000);
        assert_eq!(read(&mut archive, "f/69999"), b"f/69999");
        assert_eq!(read(&mut archive, "f/00000"), b"f/00000");
    }

    #[test]
    fn zip64_fields_hold_what_does_not_fit_in_32_bits() {
        let le16 = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
        let le32 = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        let le64 = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
        const GIB: u64 = 1 << 30;
        // A file of 5 GiB deflated to 1 GiB, whose header is at 6 GiB.
        let (local, central) = headers("big", DEFLATED, 7, 5 * GIB, GIB, 6 * GIB);
        assert_eq!(
            (le16(&local, 4), le32(&local, 18), le32(&local, 22)),
            (45, u32::MAX, u32::MAX)
        );
        assert_eq!(le16(&local, 28), 20);
        let extra = 30 + 3;
        assert_eq!((le16(&local, extra), le16(&local, extra + 2)), (1, 16));
        assert_eq!((le64(&local, extra + 4), le64(&local, extra + 12)), (5 * GIB, GIB));
        assert_eq!(
            (le16(&central, 6), le32(&central, 20), le32(&central, 24)),
            (45, u32::MAX, u32::MAX)
        );
        assert_eq!((le16(&central, 30), le32(&central, 42)), (28, u32::MAX));
        let extra = 46 + 3;
        assert_eq!((le16(&central, extra), le16(&central, extra + 2)), (1, 24));
        assert_eq!(
            (
                le64(&central, extra + 4),
                le64(&central, extra + 12),
                le64(&central, extra + 20)
            ),
            (5 * GIB, GIB, 6 * GIB)
        );
        // Small sizes past 4 GiB into the archive: only the offset.
        let (local, central) = headers("late", DEFLATED, 7, 10, 12, 6 * GIB);
        assert_eq!((le32(&local, 18), le32(&local, 22), le16(&local, 28)), (12, 10, 0));
        assert_eq!(
            (le32(&central, 20), le32(&central, 24), le16(&central, 30)),
            (12, 10, 12)
        );
        assert_eq!(le64(&central, 46 + 4 + 4), 6 * GIB);
        // Nothing large: no extra field, version 2.0.
        let (local, central) = headers("small", DEFLATED, 7, 10, 12, 100);
        assert_eq!((local.len(), le16(&local, 4)), (30 + 5, 20));
        assert_eq!((central.len(), le32(&central, 42)), (46 + 5, 100));
    }

    #[test]
    fn header_lengths_are_those_of_the_headers_written() {
        const GIB: u64 = 1 << 30;
        // Small; sizes past 32 bits; an offset past 32 bits; both.
        for (size, compressed, offset) in [
            (10, 12, 100),
            (5 * GIB, GIB, 0),
            (10, 12, 6 * GIB),
            (5 * GIB, GIB, 6 * GIB),
            (ZIP64_LIMIT, 1, ZIP64_LIMIT),
            (ZIP64_LIMIT - 1, 1, ZIP64_LIMIT - 1),
        ] {
            let (local, central) = headers("a/name", DEFLATED, 7, size, compressed, offset);
            assert_eq!(
                header_lens("a/name".len(), size, compressed, offset),
                (local.len() as u64, central.len() as u64),
                "size {size}, compressed {compressed}, offset {offset}"
            );
        }
    }

    #[test]
    fn the_size_of_an_archive_is_known_before_it_is_written() {
        let entries = || {
            vec![
                prepare("b.txt", b"bee"),
                prepare("a/c.csv", b"x,y\r\n"),
                prepare("b.txt", b"again"),
            ]
        };
        let zipped = Archive::new(entries()).unwrap();
        let size = zipped.size();
        let mut bytes = Vec::new();
        zipped.write(&mut bytes).unwrap();
        assert_eq!(size, bytes.len() as u64);
        assert_eq!(
            Archive::new(vec![]).unwrap().size(),
            22,
            "an empty archive: its end record"
        );
    }

    #[test]
    fn a_failed_entry_fails_the_archive() {
        let mut bytes = Vec::new();
        let failed = write(vec![prepare("a", b"a"), Err(io::Error::other("no"))], &mut bytes);
        assert!(failed.is_err());
    }
}
