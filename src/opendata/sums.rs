//! `SHA256SUMS`: the SHA-256 of every file of the site, in the format of `sha256sum`
//! (`<hex>  <path>`, one a line, sorted by path), so that `sha256sum -c data/SHA256SUMS`
//! run from the output folder checks a copy of the site.

use std::fmt::Write;

use sha2::{Digest, Sha256};

/// The path of the checksum file in the built site.
pub const PATH: &str = "data/SHA256SUMS";

/// The checksum file's text for `(path, SHA-256)` pairs (the checksum file itself left
/// out), sorted by path.
pub fn text(mut digests: Vec<(String, [u8; 32])>) -> String {
    digests.retain(|(path, _)| path != PATH);
    digests.sort_by(|a, b| a.0.cmp(&b.0));
    digests
        .iter()
        .fold(String::with_capacity(digests.len() * 100), |mut s, (path, digest)| {
            for b in digest {
                let _ = write!(s, "{b:02x}");
            }
            let _ = writeln!(s, "  {path}");
            s
        })
}

/// The SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_and_format() {
        let files = vec![
            ("b.html".to_owned(), digest(b"abc")),
            ("a.txt".to_owned(), digest(b"")),
            (PATH.to_owned(), digest(b"old")),
        ];
        assert_eq!(
            text(files),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.txt\n\
             ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  b.html\n"
        );
    }
}
