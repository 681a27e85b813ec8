//! `SHA256SUMS`: the SHA-256 of every file of the site, in the format of `sha256sum`
//! (`<hex>  <path>`, one a line, sorted by path), so that `sha256sum -c data/SHA256SUMS`
//! run from the output folder checks a copy of the site.

use std::fmt::Write;

use sha2::{Digest, Sha256};

use crate::render::OutputFile;

/// The path of the checksum file in the built site.
pub const PATH: &str = "data/SHA256SUMS";

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The checksum file of `files` (every one but the checksum file itself).
pub fn sums(files: &[OutputFile]) -> OutputFile {
    let mut lines: Vec<(&str, String)> = files
        .iter()
        .filter(|f| f.path != PATH)
        .map(|f| (f.path.as_str(), sha256_hex(&f.bytes)))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(b.0));
    let text = lines.iter().fold(String::new(), |mut s, (path, hex)| {
        let _ = writeln!(s, "{hex}  {path}");
        s
    });
    OutputFile {
        path: PATH.into(),
        bytes: text.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_and_format() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let files = vec![
            OutputFile {
                path: "b.html".into(),
                bytes: b"abc".to_vec(),
            },
            OutputFile {
                path: "a.txt".into(),
                bytes: Vec::new(),
            },
            OutputFile {
                path: PATH.into(),
                bytes: b"old".to_vec(),
            },
        ];
        assert_eq!(
            String::from_utf8(sums(&files).bytes).unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.txt\n\
             ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  b.html\n"
        );
    }
}
