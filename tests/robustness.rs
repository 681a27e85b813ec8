//! Bad input never panics: every prefix of real records, and deterministic random
//! mutations of them, go through the YAML reader and come back as a value or an error.

use std::path::Path;

fn bundled_records() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/projects");
    let mut texts: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    texts.sort();
    texts
}

#[test]
fn every_prefix_of_a_record_parses_or_errors_without_panicking() {
    for text in bundled_records() {
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(7).collect();
        for end in boundaries {
            let _ = openssc::yaml::parse(&text[..end], 1);
        }
    }
}

#[test]
fn random_mutations_of_a_record_never_panic() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let specials = [
        b':', b'-', b'[', b']', b'{', b'}', b'&', b'*', b'!', b'|', b'>', b'"', b'\'', b'\n', b' ', b'#',
    ];
    for text in bundled_records() {
        for _ in 0..150 {
            let mut bytes = text.clone().into_bytes();
            for _ in 0..1 + next() % 8 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = specials[(next() % specials.len() as u64) as usize];
            }
            if let Ok(mutated) = String::from_utf8(bytes) {
                let _ = openssc::yaml::parse(&mutated, 1);
            }
        }
    }
}
