//! YAML front matter to `serde_json::Value`, keeping the position of every node.
//!
//! We read the event stream of `saphyr-parser` ourselves instead of using a YAML
//! deserializer because editors need `file:line:col` for every problem, including
//! problems found later by the JSON Schema validator. Every value is stored under its
//! JSON pointer in a [`SpanMap`], so an error's instance path maps back to the source.
//!
//! Scalars follow the YAML 1.2 core schema: `yes`/`no` and `2024-10-01` stay strings,
//! `2011` is an integer, `true`/`false` are booleans, `~`/`null` is null. Map keys are
//! always strings (`2011:` gives the key `"2011"`).
//!
//! Invariant: parsing never panics and never expands aliases. Aliases are rejected (a
//! record never needs them, and refusing them makes an "alias bomb" harmless), nesting
//! is bounded by [`MAX_DEPTH`], and the first error stops the parse.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hasher};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

/// Deepest nesting of sequences and mappings accepted in one document.
pub const MAX_DEPTH: usize = 64;

/// A position in a source file: 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// Where a node is: the span of its value and, for a mapping entry, of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeSpan {
    /// Start of the key, when the node is the value of a mapping entry.
    pub key: Option<Pos>,
    /// Start of the value.
    pub start: Pos,
    /// Length of the value on its first line, in characters (at least 1), for carets.
    pub len: usize,
}

/// Positions of every node of one document, by JSON pointer (`""` is the root).
///
/// Keys are 64-bit hashes of the pointers rather than the pointers themselves: a record
/// has a few hundred nodes and a site tens of thousands of records, and storing a
/// string per node made loading allocation-bound. A collision could only misplace a
/// caret, never change what is valid.
#[derive(Clone, Debug, Default)]
pub struct SpanMap {
    spans: HashMap<u64, NodeSpan>,
}

fn pointer_key(pointer: &str) -> u64 {
    let mut h = DefaultHasher::new();
    h.write(pointer.as_bytes());
    h.finish()
}

impl SpanMap {
    /// The span of the node at `pointer`, or of its closest ancestor that has one,
    /// with the pointer that was found (a prefix of `pointer`).
    pub fn find<'p>(&self, pointer: &'p str) -> Option<(&'p str, NodeSpan)> {
        let mut p = pointer;
        loop {
            if let Some(span) = self.spans.get(&pointer_key(p)) {
                return Some((p, *span));
            }
            if p.is_empty() {
                return None;
            }
            p = match p.rfind('/') {
                Some(i) => &p[..i],
                None => "",
            };
        }
    }

    /// The exact span of the node at `pointer`.
    pub fn get(&self, pointer: &str) -> Option<NodeSpan> {
        self.spans.get(&pointer_key(pointer)).copied()
    }

    fn insert(&mut self, pointer: &str, span: NodeSpan) {
        self.spans.insert(pointer_key(pointer), span);
    }
}

/// A YAML problem at a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    /// Characters to underline, at least 1.
    pub len: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape_pointer_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// An open collection. Its children wait on the parser's shared stacks (`values`, and
/// `keys` for a mapping) from `start`/`key_start` on, and become one `Vec` or `Map` of
/// exactly their size when the collection ends: no collection grows by reallocation.
/// `pointer_len` is the length of its own JSON pointer in the shared path buffer:
/// children append their segment after it.
enum Frame {
    Seq {
        start: usize,
        pointer_len: usize,
    },
    Map {
        start: usize,
        key_start: usize,
        pointer_len: usize,
        /// Set while the last key of `keys` waits for its value: the key's start.
        pending_key: Option<Pos>,
        /// The keys read so far, once the mapping has [`LARGE_MAP`] of them: below that,
        /// a duplicate is found by comparing with each (cheaper than hashing).
        seen: Option<HashSet<String>>,
    },
}

/// Keys in a mapping from which duplicates are looked up in a hash set, so that a huge
/// mapping still costs linear time.
const LARGE_MAP: usize = 32;

/// Parses one YAML document. `line_offset` is added to every line (the number of
/// lines in the file before the YAML text), so positions are those of the file.
/// An empty document is an empty mapping.
pub fn parse(text: &str, line_offset: usize) -> Result<(Value, SpanMap), YamlError> {
    parse_inner::<true>(text, line_offset)
}

/// [`parse`] without the positions: the same value and the same errors, at a lower cost.
/// Loading uses it; the positions of a document are computed again (with [`parse`]) only
/// when a diagnostic needs them.
pub fn parse_value(text: &str, line_offset: usize) -> Result<Value, YamlError> {
    parse_inner::<false>(text, line_offset).map(|(value, _)| value)
}

fn parse_inner<const SPANS: bool>(text: &str, line_offset: usize) -> Result<(Value, SpanMap), YamlError> {
    let mut spans = SpanMap::default();
    let mut stack: Vec<Frame> = Vec::new();
    // The children of the open collections, innermost last.
    let mut values: Vec<Value> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut root: Option<Value> = None;
    let mut documents = 0usize;
    // The JSON pointer of the current node, reused for every node to avoid allocations.
    let mut path = String::new();
    let mut itoa_buf = IndexBuf::default();
    let pos_of = |span: &Span| Pos {
        line: span.start.line() + line_offset,
        col: span.start.col() + 1,
    };
    let len_of = |span: &Span| {
        if span.end.line() == span.start.line() && span.end.col() > span.start.col() {
            span.end.col() - span.start.col()
        } else {
            1
        }
    };

    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| YamlError {
            len: 1,
            pos: Pos {
                line: e.marker().line() + line_offset,
                col: e.marker().col() + 1,
            },
            message: format!("invalid YAML: {}", e.info()),
            hint: Some(
                "check the indentation and quote values that contain `: `, `#` or start with a special character"
                    .into(),
            ),
        })?;
        let pos = pos_of(&span);
        // A new node (scalar or collection start) either becomes a key or a value.
        let new_node: Option<NodeStart> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError {
                        len: 1,
                        pos,
                        message: "more than one YAML document in the front matter".into(),
                        hint: Some("a record holds one mapping between its two `---` lines".into()),
                    });
                }
                None
            }
            Event::Alias(_) => {
                return Err(YamlError {
                    len: 1,
                    pos,
                    message: "YAML aliases (`*name`) are not supported in records".into(),
                    hint: Some("write the value out in full instead of referring to an anchor".into()),
                });
            }
            Event::Scalar(value, style, _anchor, tag) => {
                if let Some(tag) = &tag
                    && !(tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str")
                    && !(tag.handle == "!!" && tag.suffix == "str")
                {
                    return Err(YamlError {
                        len: 1,
                        pos,
                        message: format!("YAML tag `{}{}` is not supported in records", tag.handle, tag.suffix),
                        hint: Some("remove the tag; quote the value to make it text".into()),
                    });
                }
                let force_string = tag.is_some() || style != ScalarStyle::Plain;
                Some(NodeStart::Scalar {
                    raw: value,
                    force_string,
                    len: len_of(&span),
                })
            }
            Event::SequenceStart(_, tag) | Event::MappingStart(_, tag) if tag.is_some() => {
                return Err(YamlError {
                    len: 1,
                    pos,
                    message: "YAML tags are not supported in records".into(),
                    hint: Some("remove the tag".into()),
                });
            }
            Event::SequenceStart(..) => Some(NodeStart::Seq),
            Event::MappingStart(..) => Some(NodeStart::Map),
            Event::SequenceEnd | Event::MappingEnd => {
                let finished = match stack.pop() {
                    Some(Frame::Seq { start, .. }) => Value::Array(values.drain(start..).collect()),
                    Some(Frame::Map { start, key_start, .. }) => {
                        let mut map = Map::with_capacity(values.len() - start);
                        for (key, value) in keys.drain(key_start..).zip(values.drain(start..)) {
                            map.insert(key, value);
                        }
                        Value::Object(map)
                    }
                    None => continue,
                };
                attach(&mut stack, &mut values, &mut root, finished);
                None
            }
        };
        let Some(node) = new_node else { continue };

        // Is this node a mapping key?
        if let Some(Frame::Map {
            pending_key: pending_key @ None,
            key_start,
            seen,
            ..
        }) = stack.last_mut()
        {
            let NodeStart::Scalar { raw, .. } = node else {
                return Err(YamlError {
                    len: 1,
                    pos,
                    message: "a mapping key must be plain text, not a list or a mapping".into(),
                    hint: None,
                });
            };
            let earlier = &keys[*key_start..];
            let duplicate = match seen {
                Some(seen) => seen.contains(raw.as_ref()),
                None => earlier.iter().any(|k| *k == *raw),
            };
            if duplicate {
                return Err(YamlError {
                    len: raw.chars().count().max(1),
                    pos,
                    message: format!("duplicate key `{raw}`"),
                    hint: Some("each field may appear only once; remove or merge the repeated one".into()),
                });
            }
            let raw = raw.into_owned();
            match seen {
                Some(seen) => {
                    seen.insert(raw.clone());
                }
                None if earlier.len() + 1 >= LARGE_MAP => {
                    *seen = Some(earlier.iter().cloned().chain([raw.clone()]).collect());
                }
                None => {}
            }
            keys.push(raw);
            *pending_key = Some(pos);
            continue;
        }

        if SPANS {
            // The node's pointer: its parent's, then its own segment.
            let key_pos = match stack.last() {
                None => {
                    path.clear();
                    None
                }
                Some(Frame::Seq { start, pointer_len }) => {
                    path.truncate(*pointer_len);
                    path.push('/');
                    path.push_str(itoa_buf.format(values.len() - start));
                    None
                }
                Some(Frame::Map {
                    pointer_len,
                    pending_key: Some(key_pos),
                    ..
                }) => {
                    let key = keys.last().map_or("", String::as_str);
                    path.truncate(*pointer_len);
                    path.push('/');
                    if key.contains(['/', '~']) {
                        path.push_str(&escape_pointer_segment(key));
                    } else {
                        path.push_str(key);
                    }
                    Some(*key_pos)
                }
                Some(Frame::Map { .. }) => unreachable!("keys are handled above"),
            };
            let len = match &node {
                NodeStart::Scalar { len, .. } => *len,
                _ => 1,
            };
            spans.insert(
                &path,
                NodeSpan {
                    key: key_pos,
                    start: pos,
                    len,
                },
            );
        }
        match node {
            NodeStart::Scalar { raw, force_string, .. } => {
                let value = if force_string {
                    Value::String(raw.into_owned())
                } else {
                    resolve_plain(raw).map_err(|message| YamlError {
                        len: 1,
                        pos,
                        message,
                        hint: Some("write a finite number, or quote the value to make it text".into()),
                    })?
                };
                attach(&mut stack, &mut values, &mut root, value);
            }
            NodeStart::Seq | NodeStart::Map => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        len: 1,
                        pos,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                        hint: Some("records are shallow; check the indentation".into()),
                    });
                }
                let pointer_len = path.len();
                stack.push(if matches!(node, NodeStart::Seq) {
                    Frame::Seq {
                        start: values.len(),
                        pointer_len,
                    }
                } else {
                    Frame::Map {
                        start: values.len(),
                        key_start: keys.len(),
                        pointer_len,
                        pending_key: None,
                        seen: None,
                    }
                });
            }
        }
    }
    Ok((root.unwrap_or(Value::Null), spans))
}

/// Formats list indexes without allocating.
#[derive(Default)]
struct IndexBuf(String);

impl IndexBuf {
    fn format(&mut self, i: usize) -> &str {
        use std::fmt::Write as _;
        self.0.clear();
        let _ = write!(self.0, "{i}");
        &self.0
    }
}

enum NodeStart<'t> {
    Scalar {
        raw: Cow<'t, str>,
        force_string: bool,
        len: usize,
    },
    Seq,
    Map,
}

/// Adds a finished value to the open collection (a mapping's value follows its key).
fn attach(stack: &mut [Frame], values: &mut Vec<Value>, root: &mut Option<Value>, value: Value) {
    match stack.last_mut() {
        None => *root = Some(value),
        Some(Frame::Seq { .. }) => values.push(value),
        Some(Frame::Map { pending_key, .. }) => {
            if pending_key.take().is_some() {
                values.push(value);
            }
        }
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema. Infinities and NaN are
/// refused: JSON cannot hold them and no record field needs them.
fn resolve_plain(raw: Cow<'_, str>) -> Result<Value, String> {
    match raw.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let unsigned = raw.trim_start_matches(['+', '-']);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return Err(format!("`{raw}` is not a finite number"));
    }
    // Text is by far the most common plain scalar: only what starts like a number
    // (a sign, a digit or a dot) is tried as one.
    if !raw.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return Ok(Value::String(raw.into_owned()));
    }
    let s = raw.as_ref();
    if is_core_int(s) {
        if let Ok(i) = s.parse::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        // Too large for i64: keep it as a float, like other YAML 1.2 loaders.
        if let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64) {
            return Ok(Value::Number(n));
        }
    }
    if let Some(hex) = s.strip_prefix("0x")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Ok(Value::Number(i.into()));
    }
    if let Some(oct) = s.strip_prefix("0o")
        && !oct.is_empty()
        && oct.bytes().all(|b| (b'0'..=b'7').contains(&b))
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Ok(Value::Number(i.into()));
    }
    if is_core_float(s) {
        return match s.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Ok(Value::Number(n)),
            None => Err(format!("`{raw}` is not a finite number")),
        };
    }
    Ok(Value::String(raw.into_owned()))
}

/// `[-+]?[0-9]+`
fn is_core_int(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_core_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(is_core_int);
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_follow_the_yaml_1_2_core_schema() {
        let (v, _) = parse(
            "a: yes\nb: no\nc: 2024-10-01\nd: 2011\ne: 1.5\nf: true\ng: ~\nh: '2011'\ni: 1e3\nj: on\n",
            0,
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": "yes", "b": "no", "c": "2024-10-01", "d": 2011, "e": 1.5,
                   "f": true, "g": null, "h": "2011", "i": 1000.0, "j": "on"})
        );
    }

    #[test]
    fn numeric_keys_become_strings() {
        let (v, _) = parse("MXN: {2011: 12.42}\n", 0).unwrap();
        assert_eq!(v, json!({"MXN": {"2011": 12.42}}));
    }

    #[test]
    fn spans_point_at_keys_and_values_with_the_line_offset() {
        let text = "title: Farm\nparticipants:\n  - actor: caritas\n    role: funder\n";
        let (_, spans) = parse(text, 1).unwrap();
        let s = spans.get("/participants/0/role").unwrap();
        assert_eq!(s.key, Some(Pos { line: 5, col: 5 }));
        assert_eq!(s.start, Pos { line: 5, col: 11 });
        assert_eq!(s.len, "funder".len());
        let s = spans.get("/title").unwrap();
        assert_eq!(s.start, Pos { line: 2, col: 8 });
        // A pointer with no node of its own falls back to its closest ancestor.
        let (found, _) = spans.find("/participants/0/phases/3").unwrap();
        assert_eq!(found, "/participants/0");
    }

    #[test]
    fn keys_with_slashes_are_escaped_in_pointers() {
        let (_, spans) = parse("a/b: 1\n", 0).unwrap();
        assert!(spans.get("/a~1b").is_some());
    }

    #[test]
    fn aliases_are_refused_so_alias_bombs_cannot_expand() {
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b]\n";
        let err = parse(bomb, 0).unwrap_err();
        assert!(err.message.contains("aliases"), "{err:?}");
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse("title: a\ntitle: b\n", 0).unwrap_err();
        assert_eq!(err.pos, Pos { line: 2, col: 1 });
        assert!(err.message.contains("duplicate key `title`"));
    }

    #[test]
    fn infinities_are_refused() {
        let err = parse("amount: .inf\n", 0).unwrap_err();
        assert!(err.message.contains("not a finite number"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(200) + &"]".repeat(200);
        let err = parse(&text, 0).unwrap_err();
        assert!(err.message.contains("nesting"));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("title: \"unclosed\nx: 1\n", 3).unwrap_err();
        assert!(err.pos.line >= 4, "{err:?}");
        assert!(err.message.starts_with("invalid YAML"));
    }

    #[test]
    fn empty_text_is_null() {
        assert_eq!(parse("", 0).unwrap().0, Value::Null);
    }
}
