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

/// The lines of `text`, each with its `\n` (the last may have none), as
/// `text.split_inclusive('\n')` gives them, found by one `memchr` scan (vector
/// instructions) rather than a search started again for each line: front matter and YAML
/// are split into lines for every record (half a percent of a build's instructions).
pub fn lines_inclusive(text: &str) -> LinesInclusive<'_> {
    LinesInclusive {
        text,
        start: 0,
        ends: memchr::memchr_iter(b'\n', text.as_bytes()),
    }
}

/// The iterator of [`lines_inclusive`].
pub struct LinesInclusive<'t> {
    text: &'t str,
    /// Where the next line starts.
    start: usize,
    ends: memchr::Memchr<'t>,
}

impl<'t> Iterator for LinesInclusive<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        let end = match self.ends.next() {
            Some(newline) => newline + 1,
            None if self.start < self.text.len() => self.text.len(),
            None => return None,
        };
        let line = &self.text[self.start..end];
        self.start = end;
        Some(line)
    }
}

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
    if let Some(value) = fast::parse(text) {
        return Ok(value);
    }
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

/// A fast path for the YAML that records are made of: block mappings and sequences,
/// one-line flow collections, plain and one-line quoted scalars.
///
/// saphyr-parser spent about three quarters of `check`'s instructions scanning front
/// matter character by character. This reads the common subset line by line and gives up
/// (`None`) at the first thing outside it, or anything saphyr could refuse (tabs, control
/// characters, anchors, tags, duplicate keys, multi-line scalars, escapes, odd
/// indentation...); [`parse_value`] then parses the text with saphyr as before. So it
/// only ever returns the value saphyr's events would have given: every error, and every
/// position, still comes from saphyr. Plain scalars are resolved by the same
/// [`resolve_plain`]. `tests::fast_path_agrees_with_saphyr` compares both on many inputs.
mod fast {
    use std::borrow::Cow;

    use serde_json::{Map, Value};

    use super::resolve_plain;

    /// Deepest nesting the fast path reads; deeper input goes to saphyr (which bounds it
    /// by [`super::MAX_DEPTH`]).
    const MAX_DEPTH: usize = 32;

    /// A line holding something other than blanks or a comment.
    #[derive(Clone, Copy)]
    struct Line {
        /// Spaces before the content.
        indent: usize,
        /// Byte range of the content, trailing spaces excluded.
        start: usize,
        end: usize,
    }

    struct Reader<'t> {
        text: &'t str,
        lines: Vec<Line>,
        /// The next line to read.
        next: usize,
    }

    /// The value of `text`, when it is within the subset; `None` otherwise.
    pub(super) fn parse(text: &str) -> Option<Value> {
        // saphyr gives these bytes a meaning of their own (`\0` ends the input, `\r`
        // breaks a line, a tab may or may not be allowed): leave them to it, with the
        // byte order mark, which it treats apart too.
        if has_bytes_of_its_own(text) {
            return None;
        }
        let mut lines = Vec::new();
        let mut offset = 0;
        for raw in super::lines_inclusive(text) {
            let line = raw.strip_suffix('\n').unwrap_or(raw);
            let content = line.trim_start_matches(' ');
            let indent = line.len() - content.len();
            let content = content.trim_end_matches(' ');
            if !content.is_empty() && !content.starts_with('#') {
                lines.push(Line {
                    indent,
                    start: offset + indent,
                    end: offset + indent + content.len(),
                });
            }
            offset += raw.len();
        }
        let mut reader = Reader { text, lines, next: 0 };
        // An empty document is left to saphyr too (it is rare).
        reader.lines.first()?;
        let value = reader.block(0)?;
        // Everything must have been read as the one root node.
        (reader.next == reader.lines.len()).then_some(value)
    }

    /// Does `text` hold a control character other than the line feed, DEL or a byte order
    /// mark? First a pass without an early exit in blocks of 64 bytes, which the compiler
    /// turns into vector instructions, looking for those bytes and for 0xEF (the first of
    /// the mark's three, rare in text); the exact test only when one is there. (A test per
    /// byte with an early exit, and a search for the mark, were a seventh of the
    /// instructions spent reading YAML.)
    fn has_bytes_of_its_own(text: &str) -> bool {
        let suspect = |b: u8| ((b < 0x20) & (b != b'\n')) | (b == 0x7F) | (b == 0xEF);
        text.as_bytes()
            .chunks(64)
            .any(|block| block.iter().fold(false, |any, &b| any | suspect(b)))
            && (text.bytes().any(|b| (b < 0x20 && b != b'\n') || b == 0x7F) || text.contains('\u{feff}'))
    }

    /// Is `content` a block sequence entry (`- ...`, or `-` alone)?
    fn is_entry(content: &str) -> bool {
        content == "-" || content.starts_with("- ")
    }

    /// Splits `key: rest` (or `key:`) into the key and the rest after the separating
    /// spaces. Keys are limited to ASCII letters, digits, `_` and `-` (not first): what
    /// the record format uses, and nothing YAML reads specially.
    fn split_key(content: &str) -> Option<(&str, &str)> {
        let bytes = content.as_bytes();
        let len = bytes
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
            .unwrap_or(bytes.len());
        if len == 0 || len > 256 || bytes[0] == b'-' || bytes.get(len) != Some(&b':') {
            return None;
        }
        match bytes.get(len + 1) {
            None => Some((&content[..len], "")),
            Some(b' ') => Some((&content[..len], content[len + 1..].trim_start_matches(' '))),
            _ => None,
        }
    }

    /// Can a plain scalar start with the text `s` (not empty)? Indicators are left to
    /// saphyr, and `-` only starts a negative number here.
    fn plain_start(s: &str) -> bool {
        let bytes = s.as_bytes();
        match bytes[0] {
            b'-' => bytes.get(1).is_some_and(|b| b.is_ascii_digit() || *b == b'.'),
            b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"'
            | b'%' | b'@' | b'`' | b' ' => false,
            _ => true,
        }
    }

    /// Builds a mapping at its exact size; `None` for a duplicate key (saphyr reports it).
    fn mapping(entries: Vec<(String, Value)>) -> Option<Value> {
        let count = entries.len();
        let mut map = Map::with_capacity(count);
        for (key, value) in entries {
            map.insert(key, value);
        }
        (map.len() == count).then_some(Value::Object(map))
    }

    /// A one-line quoted scalar at the start of `s`: its value and the rest of `s` after
    /// the closing quote. Double-quoted scalars with escapes are left to saphyr.
    fn quoted(s: &str) -> Option<(Value, &str)> {
        let quote = s.as_bytes()[0];
        let body = &s[1..];
        if quote == b'"' {
            let close = body.find(['"', '\\'])?;
            if body.as_bytes()[close] != b'"' {
                return None;
            }
            return Some((Value::String(body[..close].to_owned()), &body[close + 1..]));
        }
        // Single-quoted: `''` is one quote.
        let mut value = String::new();
        let mut rest = body;
        loop {
            let close = rest.find('\'')?;
            value.push_str(&rest[..close]);
            if rest[close + 1..].starts_with('\'') {
                value.push('\'');
                rest = &rest[close + 2..];
            } else {
                return Some((Value::String(value), &rest[close + 1..]));
            }
        }
    }

    /// Resolves a plain scalar; `None` when saphyr would report it (an infinity).
    fn plain(raw: &str) -> Option<Value> {
        resolve_plain(Cow::Borrowed(raw)).ok()
    }

    /// Is `rest`, after a quoted scalar or a flow collection, the end of the line (or a
    /// comment after at least one space)?
    fn line_ends(rest: &str) -> bool {
        let trimmed = rest.trim_start_matches(' ');
        trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
    }

    impl<'t> Reader<'t> {
        fn content(&self, line: Line) -> &'t str {
            &self.text[line.start..line.end]
        }

        /// The block node that starts on the next line, at that line's indent.
        fn block(&mut self, depth: usize) -> Option<Value> {
            if depth > MAX_DEPTH {
                return None;
            }
            let line = *self.lines.get(self.next)?;
            let content = self.content(line);
            if is_entry(content) {
                self.sequence(line.indent, depth)
            } else {
                let (key, rest) = split_key(content)?;
                self.mapping_from(line.indent, key, rest, depth)
            }
        }

        /// A block sequence whose entries start at `indent`, from the next line.
        fn sequence(&mut self, indent: usize, depth: usize) -> Option<Value> {
            let mut items = Vec::new();
            while let Some(&line) = self.lines.get(self.next) {
                let content = self.content(line);
                if line.indent != indent || !is_entry(content) {
                    break;
                }
                let after = content[1..].trim_start_matches(' ');
                if after.is_empty() || after.starts_with('#') || is_entry(after) {
                    return None;
                }
                let column = indent + (content.len() - after.len());
                if let Some((key, rest)) = split_key(after) {
                    // A mapping in the entry, its first key on the entry's line.
                    items.push(self.mapping_from(column, key, rest, depth + 1)?);
                } else {
                    items.push(self.inline(after, depth + 1)?);
                    self.next += 1;
                }
                match self.lines.get(self.next) {
                    Some(next) if next.indent > indent => return None,
                    _ => {}
                }
            }
            Some(Value::Array(items))
        }

        /// A block mapping at `indent` whose first entry, `key: rest`, is on the next line.
        fn mapping_from(&mut self, indent: usize, key: &str, rest: &str, depth: usize) -> Option<Value> {
            if depth > MAX_DEPTH {
                return None;
            }
            let mut entries = Vec::new();
            let (mut key, mut rest) = (key, rest);
            loop {
                let value = if rest.is_empty() || rest.starts_with('#') {
                    // The value is on the following lines: deeper, or a sequence at the
                    // mapping's own indent; else it is empty.
                    self.next += 1;
                    match self.lines.get(self.next) {
                        Some(next) if next.indent > indent => self.block(depth + 1)?,
                        Some(&next) if next.indent == indent && is_entry(self.content(next)) => {
                            self.sequence(indent, depth + 1)?
                        }
                        _ => Value::Null,
                    }
                } else {
                    let value = self.inline(rest, depth + 1)?;
                    self.next += 1;
                    value
                };
                entries.push((key.to_owned(), value));
                match self.lines.get(self.next) {
                    None => break,
                    Some(next) if next.indent < indent => break,
                    // Deeper after a complete value: a continuation line or an error.
                    Some(next) if next.indent > indent => return None,
                    Some(&next) => (key, rest) = split_key(self.content(next))?,
                }
            }
            mapping(entries)
        }

        /// A value that fits on the rest of its line: a flow collection, a quoted or a
        /// plain scalar.
        fn inline(&self, s: &str, depth: usize) -> Option<Value> {
            match s.as_bytes()[0] {
                b'[' | b'{' => {
                    let (value, rest) = flow(s, depth)?;
                    line_ends(rest).then_some(value)
                }
                b'"' | b'\'' => {
                    let (value, rest) = quoted(s)?;
                    line_ends(rest).then_some(value)
                }
                _ if plain_start(s) => {
                    // A comment starts at a `#` after a space.
                    let raw = match s.find(" #") {
                        Some(i) => s[..i].trim_end_matches(' '),
                        None => s,
                    };
                    // `: ` inside would be a mapping where none may start.
                    if raw.contains(": ") || raw.ends_with(':') {
                        return None;
                    }
                    plain(raw)
                }
                _ => None,
            }
        }
    }

    /// A flow collection at the start of `s`, on one line: its value and the rest of `s`.
    fn flow(s: &str, depth: usize) -> Option<(Value, &str)> {
        if depth > MAX_DEPTH {
            return None;
        }
        let open = s.as_bytes()[0];
        let mut rest = s[1..].trim_start_matches(' ');
        let close = if open == b'[' { b']' } else { b'}' };
        let mut items = Vec::new();
        let mut entries = Vec::new();
        if rest.as_bytes().first() == Some(&close) {
            rest = &rest[1..];
        } else {
            loop {
                if open == b'{' {
                    let bytes = rest.as_bytes();
                    let len = bytes
                        .iter()
                        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
                        .unwrap_or(bytes.len());
                    if len == 0 || len > 256 || bytes[0] == b'-' || !rest[len..].starts_with(": ") {
                        return None;
                    }
                    let key = &rest[..len];
                    let (value, after) = flow_item(rest[len + 2..].trim_start_matches(' '), depth + 1)?;
                    entries.push((key.to_owned(), value));
                    rest = after;
                } else {
                    let (value, after) = flow_item(rest, depth + 1)?;
                    items.push(value);
                    rest = after;
                }
                rest = rest.trim_start_matches(' ');
                match rest.as_bytes().first() {
                    Some(b',') => {
                        rest = rest[1..].trim_start_matches(' ');
                        // A trailing comma is left to saphyr.
                        if matches!(rest.as_bytes().first(), Some(b']' | b'}') | None) {
                            return None;
                        }
                    }
                    Some(b) if *b == close => {
                        rest = &rest[1..];
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let value = if open == b'[' {
            Value::Array(items)
        } else {
            mapping(entries)?
        };
        Some((value, rest))
    }

    /// One entry of a flow collection (a value, never a `key: value` pair in a sequence)
    /// and the rest of the line after it.
    fn flow_item(s: &str, depth: usize) -> Option<(Value, &str)> {
        match *s.as_bytes().first()? {
            b'[' | b'{' => flow(s, depth),
            b'"' | b'\'' => quoted(s),
            _ if plain_start(s) => {
                let end = s.find([',', '[', ']', '{', '}', ':', '#']).unwrap_or(s.len());
                if s[end..].starts_with([':', '#']) {
                    return None;
                }
                let raw = s[..end].trim_end_matches(' ');
                if raw.is_empty() {
                    return None;
                }
                Some((plain(raw)?, &s[end..]))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_inclusive_splits_as_split_inclusive_does() {
        for text in ["", "\n", "a", "a\n", "a\nb", "a\nb\n", "\n\na\r\n\n", "é\nü\n\n€"] {
            let ours: Vec<&str> = lines_inclusive(text).collect();
            let std: Vec<&str> = text.split_inclusive('\n').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

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

    /// Compares the fast path with saphyr on `text`: whenever the fast path gives a value,
    /// saphyr must give the same, in the same order. Returns whether the fast path did.
    fn agrees(text: &str) -> bool {
        let Some(fast) = fast::parse(text) else { return false };
        match parse_inner::<false>(text, 0) {
            Ok((slow, _)) => assert_eq!(
                serde_json::to_string(&fast).unwrap(),
                serde_json::to_string(&slow).unwrap(),
                "different values for:\n{text}"
            ),
            Err(e) => panic!("the fast path accepted what saphyr refuses ({e:?}):\n{text}"),
        }
        true
    }

    /// A tiny deterministic generator (no dependency) for the fast path's test.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
        /// Mostly one of `common`, now and then one of `odd`.
        fn mostly<'a>(&mut self, common: &[&'a str], odd: &[&'a str]) -> &'a str {
            if self.below(10) == 0 {
                self.pick(odd)
            } else {
                self.pick(common)
            }
        }
    }

    const COMMON_KEYS: &[&str] = &[
        "title", "summary", "start", "end", "amount", "currency", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8",
        "2011", "2012", "x_y", "a-b", "MXN",
    ];

    const COMMON_SCALARS: &[&str] = &[
        "plain text",
        "a:b",
        "a #c",
        "a#b",
        "'s'",
        "'it''s'",
        "\"d\"",
        "1",
        "-1",
        "1.5",
        "1e3",
        ".5",
        "~",
        "null",
        "true",
        "yes",
        "2024-10-01",
        "[a, b]",
        "[]",
        "{}",
        "{a: 1, b: [x]}",
        "[a, [b, c]]",
        "['a', \"b\"]",
        "http://x/#y",
        "café",
        "a  b",
        "''",
        "[-1, .5]",
        "{2011: 12.42, 2012: 13}",
        "it's",
        "a, b",
        "a]",
        "0",
        "{x: {y: {z: 1}}}",
        "[[], {}]",
        "[a b, c]",
        "a ' b",
        "\"a: b\"",
        "'#'",
        "\" x \"",
    ];

    const KEYS: &[&str] = &[
        "title", "a", "b-c", "x_1", "2011", "true", "null", "-a", "a b", "a:b", "\"q\"", "'q'", "é", "~", "a ", "title",
    ];

    const SCALARS: &[&str] = &[
        "plain text",
        "a: b",
        "a:b",
        "a #c",
        "a#b",
        "'s'",
        "'it''s'",
        "\"d\"",
        "\"e\\n\"",
        "\"a\" x",
        "\"a\"#x",
        "1",
        "-1",
        "+1",
        "0x1F",
        "0o17",
        "1.5",
        "1e3",
        ".5",
        "-.5",
        ".inf",
        "-.inf",
        ".nan",
        "~",
        "null",
        "NULL",
        "true",
        "False",
        "yes",
        "2024-10-01",
        "-",
        "- x",
        "-x",
        "?x",
        "? x",
        ":x",
        "[a, b]",
        "[a,b]",
        "[ a , b ]",
        "[]",
        "{}",
        "{a: 1, b: [x]}",
        "{a:1}",
        "{a: }",
        "[a,]",
        "[a, [b, c]]",
        "{\"a\": 1}",
        "['a', \"b\"]",
        "[a: b]",
        "&a x",
        "*a",
        "!!str 1",
        "!x y",
        "|",
        ">-",
        "%x",
        "@x",
        "`x",
        "a, b",
        "a]",
        "x ]",
        "http://x/#y",
        "café",
        "été",
        "a  b",
        "' padded '",
        "''",
        "\"\"",
        "[-1, .5]",
        "[a #b]",
        "#c",
        "{a: b}: c",
        "[a]: b",
        "a\tb",
        "\u{feff}x",
        "a\rb",
        "a:",
        "[a, 'b''c', \"d e\"]",
        "{x: {y: {z: 1}}}",
        "[[], {}]",
        "99999999999999999999",
        "1_000",
        "[a b, c]",
        "{a: [1, 2], b: \"x\"}",
        "it's",
        "[it's]",
        "a ' b",
        "'unclosed",
        "\"unclosed",
        "[unclosed",
        "{a: 1",
        "{a: 1, a: 2}",
        "\\x",
        "[-x]",
        "[- x]",
        "[a]x",
        "\"a\":",
        "'a' # c",
        "[a] # c",
        "[a]# c",
        "{a: b} ",
        "[,]",
        "[a,,b]",
        "{a: b,}",
        "{-a: 1}",
        "{a b: 1}",
        "{2011: 12.42, 2012: 13}",
        "0",
        "-0",
        "00",
        "1.",
        "+.5",
        "1e",
        "e3",
        "0x",
        "0o8",
        "TRUE",
        "tRue",
        "Null",
    ];

    /// Appends a random block node at `indent` (as the value of a key or an entry).
    fn node(rng: &mut Rng, out: &mut String, indent: usize, depth: usize) {
        let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
        // Now and then an indent one off.
        let jitter = |rng: &mut Rng, indent: usize| match rng.below(40) {
            0 => indent + 1,
            1 => indent.saturating_sub(1),
            _ => indent,
        };
        let step = 1 + rng.below(3);
        match if depth > 3 { 0 } else { rng.below(4) } {
            0 => {
                // An inline value.
                out.push(' ');
                out.push_str(rng.mostly(COMMON_SCALARS, SCALARS));
                if rng.below(8) == 0 {
                    out.push_str(rng.pick(&[" # comment", "  ", " ", "#x", " #"]));
                }
                out.push('\n');
                if rng.below(30) == 0 {
                    pad(out, indent + step);
                    out.push_str("continued\n");
                }
            }
            1 => {
                // A mapping, deeper.
                out.push('\n');
                for _ in 0..1 + rng.below(4) {
                    let ind = jitter(rng, indent + step);
                    pad(out, ind);
                    out.push_str(rng.mostly(COMMON_KEYS, KEYS));
                    out.push(':');
                    node(rng, out, ind, depth + 1);
                    if rng.below(10) == 0 {
                        out.push_str(rng.mostly(
                            &["\n", "# note\n", "   # note\n", "  \n"],
                            &["---\n", "...\n", "\t\n", "- x\n"],
                        ));
                    }
                }
            }
            _ => {
                // A sequence, at the same indent or deeper.
                out.push('\n');
                let ind = if rng.below(2) == 0 { indent } else { indent + step };
                for _ in 0..1 + rng.below(3) {
                    pad(out, jitter(rng, ind));
                    out.push_str(rng.mostly(&["- "], &["-", "-  ", "-\t", "- - "]));
                    if rng.below(2) == 0 {
                        // A mapping in the entry.
                        let column = ind + 2;
                        out.push_str(rng.mostly(COMMON_KEYS, KEYS));
                        out.push(':');
                        node(rng, out, column, depth + 1);
                        for _ in 0..rng.below(3) {
                            pad(out, jitter(rng, column));
                            out.push_str(rng.mostly(COMMON_KEYS, KEYS));
                            out.push(':');
                            node(rng, out, column, depth + 1);
                        }
                    } else {
                        out.push_str(rng.mostly(COMMON_SCALARS, SCALARS));
                        out.push('\n');
                    }
                }
            }
        }
    }

    #[test]
    fn fast_path_agrees_with_saphyr() {
        let cases: usize = std::env::var("OPENSSC_YAML_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20_000);
        let mut rng = Rng(0x5eed);
        let mut accepted = 0;
        for _ in 0..cases {
            let mut text = String::new();
            for _ in 0..1 + rng.below(5) {
                text.push_str(rng.mostly(COMMON_KEYS, KEYS));
                text.push(':');
                node(&mut rng, &mut text, 0, 0);
            }
            if agrees(&text) {
                accepted += 1;
            }
        }
        // The fast path must take a fair share of these, or this compares little.
        eprintln!("fast path: {accepted} of {cases}");
        assert!(accepted > cases / 20, "{accepted} of {cases}");
    }

    /// The fixtures' YAML, and each with random one-character changes, through both
    /// parsers. `OPENSSC_YAML_DIRS` (folders separated by `:`) replaces the fixtures, e.g.
    /// with a synthetic corpus's `content/`.
    #[test]
    fn fast_path_agrees_with_saphyr_on_the_fixtures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs: Vec<std::path::PathBuf> = match std::env::var("OPENSSC_YAML_DIRS") {
            Ok(dirs) => dirs.split(':').map(Into::into).collect(),
            Err(_) => ["tests/fixtures", "schemas/vocab"]
                .iter()
                .map(|d| root.join(d))
                .collect(),
        };
        const EDITS: &[&str] = &[
            " ", "  ", "\n", "-", "- ", ":", ": ", "#", " #", "'", "\"", "[", "]", "{", "}", ",", "&", "*", "!", "|",
            ">", "?", "\t", "\\", "x", "1", ".", "~", "é",
        ];
        let mut rng = Rng(0xf11e);
        let (mut files, mut accepted, mut mutants, mut mutants_accepted) = (0, 0, 0, 0);
        for dir in dirs {
            for entry in walkdir::WalkDir::new(dir) {
                let entry = entry.unwrap();
                let path = entry.path();
                let Ok(text) = std::fs::read_to_string(path) else {
                    continue;
                };
                let yaml = match path.extension().and_then(|e| e.to_str()) {
                    Some("yaml" | "yml") => text.as_str(),
                    // The front matter, as loading splits it (near enough for this test).
                    Some("md") => match text.strip_prefix("---\n").and_then(|t| t.split_once("\n---")) {
                        Some((yaml, _)) => yaml,
                        None => continue,
                    },
                    _ => continue,
                };
                files += 1;
                if agrees(yaml) {
                    accepted += 1;
                }
                for _ in 0..8 {
                    let mut at = rng.below(yaml.len() + 1);
                    while !yaml.is_char_boundary(at) {
                        at -= 1;
                    }
                    let mut end = at + rng.below(3).min(yaml.len() - at);
                    while !yaml.is_char_boundary(end) {
                        end += 1;
                    }
                    let mutant = format!("{}{}{}", &yaml[..at], rng.pick(EDITS), &yaml[end..]);
                    mutants += 1;
                    if agrees(&mutant) {
                        mutants_accepted += 1;
                    }
                }
            }
        }
        eprintln!("fast path: {accepted} of {files} files, {mutants_accepted} of {mutants} changed files");
        assert!(accepted > files / 2, "{accepted} of {files}");
    }

    #[test]
    fn fast_path_reads_a_record() {
        let text = "title: \"Farm\"\nstart: 2023-08\nend: 2026\ncountries:\n  providers: [CUB]\nparticipants:\n  - actor: a\n    phases: [x, y]\n    contribution:\n      financial: {amount: 229000, currency: COP}\n  - actor: 'b'\nsources:\n- title: x # note\nnone:\n";
        let value = fast::parse(text).expect("within the fast path");
        assert_eq!(value, parse(text, 0).unwrap().0);
        assert_eq!(value["participants"][0]["contribution"]["financial"]["amount"], 229000);
        assert!(
            fast::parse("a: 1\na: 2\n").is_none(),
            "duplicates are saphyr's to report"
        );
        assert!(fast::parse("a: x # c\n  y\n").is_none());
    }

    #[test]
    fn bytes_that_saphyr_reads_its_own_way_leave_the_fast_path_wherever_they_are() {
        // Lines of 10 bytes (`k00: vvvv\n`): the byte goes inside a value, in the first
        // block of 64 bytes, across a block's edge and further on.
        let lines: Vec<String> = (0..30).map(|i| format!("k{i:02}: vvvv\n")).collect();
        let padded = |line: usize, inside: &str| {
            let mut text = lines.concat();
            text.insert_str(line * 10 + 6, inside);
            text
        };
        assert!(
            fast::parse(&padded(0, "")).is_some(),
            "the padding alone is within the fast path"
        );
        for special in ["\t", "\r", "\0", "\u{7f}", "\u{feff}", "\u{1b}"] {
            for line in [0, 6, 12, 29] {
                assert!(
                    fast::parse(&padded(line, special)).is_none(),
                    "{special:?} on line {line}"
                );
            }
        }
        // Other characters whose encoding starts with 0xEF, or holds it, stay on it.
        for inside in ["\u{fb01}", "\u{ef}", "\u{fffd}"] {
            let text = padded(12, inside);
            let value = fast::parse(&text).expect("within the fast path");
            assert_eq!(value, parse(&text, 0).unwrap().0);
        }
    }
}
