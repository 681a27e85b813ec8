//! `SHA256SUMS`: the SHA-256 of every file of the site, in the format of `sha256sum`
//! (`<hex>  <path>`, one a line, sorted by path), so that `sha256sum -c data/SHA256SUMS`
//! run from the output folder checks a copy of the site.

use std::collections::HashMap;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// The path of the checksum file in the built site.
pub const PATH: &str = "data/SHA256SUMS";

/// The checksum file's text for `(path, SHA-256)` pairs (the checksum file itself left
/// out), sorted by path. Sorts `digests` (in place, rather than a copy of a hundred
/// thousand paths) and writes the lines in pieces on every core: this is the end of a
/// build, when the other cores have nothing else to do.
pub fn text<P: AsRef<str> + Send + Sync>(digests: &mut [(P, [u8; 32])]) -> String {
    digests.par_sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    let pieces: Vec<String> = digests.par_chunks(4096).map(lines).collect();
    pieces.concat()
}

/// The lines of `digests`, but the checksum file's.
fn lines<P: AsRef<str>>(digests: &[(P, [u8; 32])]) -> String {
    // Hex digits from a table: a `write!` per byte took longer than the rest of the list
    // (21,000 files at 10,000 initiatives), on one core at the end of the build.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(digests.iter().map(|(path, _)| 67 + path.as_ref().len()).sum());
    for (path, digest) in digests {
        let path = path.as_ref();
        if path == PATH {
            continue;
        }
        let mut hex = [0u8; 64];
        for (pair, b) in hex.chunks_exact_mut(2).zip(digest) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 0xF)];
        }
        // The digits are ASCII.
        text.push_str(std::str::from_utf8(&hex).unwrap_or_default());
        text.push_str("  ");
        text.push_str(path);
        text.push('\n');
    }
    text
}

/// The `(path, SHA-256)` pairs of a checksum file's text; `None` if a line is not
/// `<64 hex digits>  <path>`.
pub fn parse(text: &str) -> Option<HashMap<String, [u8; 32]>> {
    let mut digests = HashMap::new();
    for line in text.lines() {
        let (hex, path) = line.split_once("  ")?;
        if hex.len() != 64 || path.is_empty() {
            return None;
        }
        let mut digest = [0u8; 32];
        for (byte, pair) in digest.iter_mut().zip(hex.as_bytes().chunks(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        digests.insert(path.to_owned(), digest);
    }
    Some(digests)
}

/// The SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The SHA-256 of each of `messages`, in their order: several at once where the CPU has
/// SHA instructions (see `lanes`), in about six tenths of the time of one after another.
pub fn digests(messages: &[&[u8]]) -> Vec<[u8; 32]> {
    super::lanes::digests(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_what_text_writes() {
        let files = vec![
            ("a b/c.html".to_owned(), digest(b"abc")),
            ("d.txt".to_owned(), digest(b"")),
        ];
        let parsed = parse(&text(&mut files.clone())).unwrap();
        assert_eq!(parsed, files.into_iter().collect::<HashMap<_, _>>());
        assert_eq!(parse("xyz  a.txt\n"), None);
        assert_eq!(parse(&format!("{}  a.txt\n", "g".repeat(64))), None);
        assert_eq!(parse(""), Some(HashMap::new()));
    }

    #[test]
    fn known_digest_and_format() {
        let mut files = vec![
            ("b.html".to_owned(), digest(b"abc")),
            ("a.txt".to_owned(), digest(b"")),
            (PATH.to_owned(), digest(b"old")),
        ];
        assert_eq!(
            text(&mut files),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.txt\n\
             ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  b.html\n"
        );
    }

    /// More files than one piece holds: the pieces join in path order, whatever the order
    /// the files were written in.
    #[test]
    fn a_long_list_is_sorted_and_whole_in_any_order() {
        let mut files: Vec<(String, [u8; 32])> = (0..10_000)
            .map(|i| (format!("p/{:05}.html", (i * 7919) % 10_000), digest(&[i as u8])))
            .collect();
        let mut reversed = files.clone();
        reversed.reverse();
        let written = text(&mut files);
        assert_eq!(written, text(&mut reversed));
        let paths: Vec<&str> = written.lines().map(|l| &l[66..]).collect();
        let expected: Vec<String> = (0..10_000).map(|i| format!("p/{i:05}.html")).collect();
        assert_eq!(paths, expected);
    }
}
