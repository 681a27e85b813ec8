//! Markdown → safe HTML: record bodies and the narrative of report chapters.
//!
//! [`render`] parses with pulldown-cmark (CommonMark plus tables, footnotes, strikethrough
//! and `{#id}` heading attributes), rewrites the events (heading ids and levels, footnotes,
//! table alignment), writes HTML, sanitizes it with `ammonia` against an explicit
//! allowlist (see [Sanitization](#sanitization)), then gives the generated ids their final
//! name. The footnotes section is assembled after sanitization, from sanitized pieces.
//!
//! # Ids
//!
//! Every id in the output comes from this module and went through the page's [`IdSet`]:
//! heading ids (the explicit `{#id}` if made of letters, digits and `-_.:`, else the
//! [`slug`] of it or of the heading text), footnote ids (`fn-<label slug>`, or
//! `fn-<number>` when the label gives no slug) and footnote reference ids
//! (`fnref-<label slug>`, then `fnref-<label slug>-2` for a second reference to the same
//! note). A taken id gets `-2`, `-3`... Ids written by the author in raw HTML are
//! removed. Heading classes and other `{...}` attributes are ignored.
//!
//! While the HTML goes through the sanitizer, generated ids are carried by a marker
//! attribute (`data-openssc-id`, or a variant of it that does not occur in the Markdown
//! source) that raw HTML cannot produce, since attribute names cannot be written with
//! character references: the sanitizer can then drop every `id` of the author and keep
//! ours, which are renamed to `id` afterwards.
//!
//! # Headings
//!
//! A body's `#` becomes `<h2>` by default ([`BODY_TOP_LEVEL`]): the page's `<h1>` is the
//! record title. Levels are shifted by the same amount and capped at `<h6>`.
//! [`Rendered::headings`] lists the headings that made it to the output, in order, for
//! tables of contents; their `text` is plain text (not escaped).
//!
//! # Footnotes
//!
//! Notes are numbered in the order of their first reference, like GitHub; a definition
//! that is never referenced is dropped. The notes of a body go in
//! `<section class="footnotes" aria-label="Notes"><ol><li id="fn-...">` at its end, each
//! with back-links (`<a href="#fnref-..." class="footnote-backref" aria-label="Back to
//! reference 1">`). A reference is `<sup class="footnote-ref"><a href="#fn-..."
//! id="fnref-...">1</a></sup>`.
//!
//! # Sanitization
//!
//! All HTML, the author's and the one written from Markdown, is held to the allowlist:
//!
//! - Elements: text-level `a abbr b bdi br cite code del dfn em i img ins kbd mark q rp rt
//!   ruby s samp small span strong sub sup time u var wbr`; blocks `p div blockquote pre hr
//!   h2 h3 h4 h5 h6 ul ol li dl dt dd figure figcaption details summary`; tables `table
//!   caption colgroup col thead tbody tfoot tr th td`. These are what Markdown produces and
//!   what an author needs for rich text; `h1` is left out because the page's title is the
//!   only `<h1>` (its text stays, unwrapped). Any other element is unwrapped (its text
//!   stays); `script style iframe frame frameset object embed applet noscript noembed
//!   noframes template textarea select xmp plaintext title svg math canvas` are removed
//!   with their content, since their content is code or would run or embed something.
//! - Attributes: `title`, `lang` and `dir` anywhere (for multilingual text);
//!   `a[href]`, `img[src alt width height]`, `abbr[title]`, `dfn[title]`,
//!   `time[datetime]`, `ol[start]`, `details[open]`, `col[span]`, `colgroup[span]`,
//!   `th[colspan rowspan scope]`, `td[colspan rowspan]`. Numbers must be numbers, `dir`
//!   and `scope` one of their keywords: HTML5 validity. Classes only where this module
//!   writes them: `code.language-*`, `th`/`td` `.align-left|center|right`,
//!   `sup.footnote-ref`. No `id` (see above), no `style`, no event handler, no `rel` or
//!   `target`.
//! - URLs (`href`, `src`): `http`, `https`, `mailto`, and relative URLs (left as
//!   written, for the link checker). `javascript:`, `data:`, `vbscript:` and any other
//!   scheme lose the attribute; an `<img>` left without `src` is replaced by its `alt`
//!   text, an `<img>` without `alt` gets `alt=""`.
//! - Links that leave the site (`http:`, `https:`, `//host`) get
//!   `rel="noopener noreferrer"`; no `target` is ever added.
//! - Comments are removed.
//!
//! What the allowlist does to the HTML written from Markdown alone is known in advance:
//! a part (the body, a note) that carries no raw HTML of the author skips ammonia's parse
//! and serialization, and `clean_trusted` writes what ammonia would have written (the
//! same attribute and URL checks, html5ever's escaping and void tags), provided the HTML
//! has the regular form proven equal; otherwise, and for every part with raw HTML, the
//! part goes through ammonia. Unit tests compare both ways on every part they render.
//!
//! Each part (the body, each note) is sanitized on its own: an element left open in raw
//! HTML whose content is text to the HTML parser (an inline `<textarea>`, `<title>`...)
//! swallows the rest of its part and nothing else; the headings and references it
//! swallowed are left out of `headings` and of the back-links. (A block-level `<!--`,
//! `<script>`, `<style>`, `<pre>` or `<textarea>` left open already takes the rest of
//! the source as raw HTML in Markdown itself, note definitions included.)
//!
//! The output is deterministic and is HTML5 as the W3C checker wants it, except for what
//! an author can still get wrong inside the allowlist (a bad `lang` tag, an empty
//! heading, a misused `time`...).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{Alignment, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The level a body's `#` heading gets: `<h2>`, under the page's `<h1>`.
pub const BODY_TOP_LEVEL: u8 = 2;
/// The lowest `top_level` accepted: `<h1>` belongs to the page.
pub const MIN_LEVEL: u8 = 2;
/// The deepest heading level; deeper headings are capped here.
pub const MAX_LEVEL: u8 = 6;

/// The id a heading gets when its text gives no slug (e.g. only CJK or punctuation).
const FALLBACK_SLUG: &str = "section";
/// Longest slug, in bytes (ASCII).
const MAX_SLUG_LEN: usize = 80;
/// The attribute that carries generated ids through the sanitizer (see the module doc).
const MARKER: &str = "data-openssc-id";

/// The HTML of one Markdown text, and its headings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rendered {
    /// Sanitized HTML5, footnotes section included.
    pub html: String,
    /// The headings present in `html`, in document order.
    pub headings: Vec<Heading>,
}

/// A heading of the rendered HTML, for tables of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// The HTML level after the shift: 2 to 6.
    pub level: u8,
    /// The final id, unique on the page.
    pub id: String,
    /// Plain text (whitespace collapsed), not HTML-escaped.
    pub text: String,
}

/// The ids that survived sanitizing in the parts of one body so far (see [`finish`]).
type IdsSeen = foldhash::HashSet<String>;

/// The ids used on one page. Share one `IdSet` between all the bodies rendered into one
/// page, created with the ids of the page template reserved.
#[derive(Debug, Default, Clone)]
pub struct IdSet {
    /// The template's ids: a page's bodies are rendered with the same twenty or so, kept as
    /// they are rather than copied into `used` for every body.
    reserved: Vec<&'static str>,
    used: foldhash::HashSet<String>,
    /// The next suffix to try for a base, so that many equal headings cost linear time.
    next_suffix: foldhash::HashMap<String, u32>,
}

impl IdSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// An `IdSet` where the ids of the template (`main`, `content`...) are already taken.
    pub fn with_reserved(reserved: &[&'static str]) -> Self {
        IdSet {
            reserved: reserved.to_vec(),
            ..Self::default()
        }
    }

    /// Is `id` taken on the page?
    pub fn contains(&self, id: &str) -> bool {
        self.reserved.contains(&id) || self.used.contains(id)
    }

    /// Takes `id` if it is free; says whether it was.
    fn take(&mut self, id: &str) -> bool {
        !self.reserved.contains(&id) && self.used.insert(id.to_string())
    }

    /// Takes `wanted`, or `wanted-2`, `wanted-3`... if taken, and returns the id taken.
    /// An empty `wanted` counts as `section`.
    pub fn claim(&mut self, wanted: &str) -> String {
        let wanted = if wanted.is_empty() { FALLBACK_SLUG } else { wanted };
        if self.take(wanted) {
            return wanted.to_string();
        }
        let mut n = self.next_suffix.get(wanted).copied().unwrap_or(2);
        loop {
            let candidate = format!("{wanted}-{n}");
            n += 1;
            if self.take(&candidate) {
                self.next_suffix.insert(wanted.to_string(), n);
                return candidate;
            }
        }
    }
}

/// How to render; [`render`] uses the default.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions<'a> {
    /// The HTML level of a `#` heading, clamped to [`MIN_LEVEL`]..=[`MAX_LEVEL`].
    pub top_level: u8,
    /// The accessible name of the footnotes section (`aria-label`).
    pub notes_label: &'a str,
    /// The accessible name of a back-link, followed by the note number.
    pub back_label: &'a str,
}

impl Default for RenderOptions<'_> {
    fn default() -> Self {
        RenderOptions {
            top_level: BODY_TOP_LEVEL,
            notes_label: "Notes",
            back_label: "Back to reference",
        }
    }
}

/// Renders Markdown to safe HTML. `ids` keeps the ids already used on the page, so that
/// heading and footnote ids never collide on one page (several bodies can share a page).
pub fn render(markdown: &str, ids: &mut IdSet) -> Rendered {
    render_with(markdown, ids, &RenderOptions::default())
}

/// [`render`] with explicit options (heading level, labels of the footnotes).
pub fn render_with(markdown: &str, ids: &mut IdSet, options: &RenderOptions) -> Rendered {
    let marker = marker_for(markdown);
    if marker == MARKER {
        render_marked(markdown, ids, options, MARKER, &SANITIZER)
    } else {
        render_marked(markdown, ids, options, &marker, &sanitizer(&marker))
    }
}

/// Which way [`safe_html`] may sanitize: the differential test compares the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sanitize {
    /// Parts without raw HTML through [`clean_trusted`] when it can, ammonia otherwise.
    Fast,
    /// Every part through ammonia.
    #[cfg_attr(not(test), allow(dead_code))]
    Ammonia,
}

fn render_marked(
    markdown: &str,
    ids: &mut IdSet,
    options: &RenderOptions,
    marker: &str,
    sanitizer: &Builder,
) -> Rendered {
    render_sanitized(markdown, ids, options, marker, sanitizer, Sanitize::Fast)
}

fn render_sanitized(
    markdown: &str,
    ids: &mut IdSet,
    options: &RenderOptions,
    marker: &str,
    sanitizer: &Builder,
    mode: Sanitize,
) -> Rendered {
    let (body, definitions) = split_footnotes(Parser::new_ext(markdown, markdown_options()));
    // Whether a part carries the author's HTML is decided on the parser's events, before
    // `transform` adds HTML events of its own (which are trusted).
    let body_trusted = !has_raw_html(&body);
    let mut pass = Pass::new(ids, marker, options.top_level, &definitions);
    let body = pass.transform(body);
    let mut definitions: Vec<Vec<Event>> = definitions.into_iter().map(|(_, events)| events).collect();
    // Notes referenced from notes are numbered after, as they are found.
    let mut note_events = Vec::new();
    while note_events.len() < pass.notes.len() {
        let events = std::mem::take(&mut definitions[pass.notes[note_events.len()].definition]);
        let trusted = !has_raw_html(&events);
        note_events.push((pass.transform(events), trusted));
    }

    let fast = |trusted: bool| trusted && mode == Sanitize::Fast;
    let mut survived = IdsSeen::default();
    let mut html = safe_html(body, fast(body_trusted), sanitizer, marker, &mut survived);
    let note_html: Vec<String> = note_events
        .into_iter()
        .map(|(events, trusted)| safe_html(events, fast(trusted), sanitizer, marker, &mut survived))
        .collect();

    let Pass {
        mut headings, notes, ..
    } = pass;
    headings.retain(|h| survived.contains(&h.id));
    if !notes.is_empty() {
        write_notes(&mut html, &notes, &note_html, &survived, options);
    }
    Rendered { html, headings }
}

/// The slug of a text: lowercase ASCII letters and digits separated by single `-`, with
/// common accented Latin letters transliterated (`é` → `e`, `ß` → `ss`) and other
/// characters dropped; `section` if nothing is left. At most 80 bytes.
pub fn slug(text: &str) -> String {
    let s = slug_or_empty(text);
    if s.is_empty() { FALLBACK_SLUG.to_string() } else { s }
}

fn slug_or_empty(text: &str) -> String {
    let mut out = String::new();
    let mut pending_dash = false;
    let mut buffer = [0u8; 4];
    for c in text.chars().flat_map(char::to_lowercase) {
        let piece: &str = if c.is_ascii_alphanumeric() {
            c.encode_utf8(&mut buffer)
        } else if is_combining_mark(c) {
            continue;
        } else if let Some(t) = transliterate(c) {
            t
        } else {
            pending_dash = true;
            continue;
        };
        if pending_dash && !out.is_empty() {
            out.push('-');
        }
        pending_dash = false;
        out.push_str(piece);
        if out.len() >= MAX_SLUG_LEN {
            break;
        }
    }
    if out.len() > MAX_SLUG_LEN {
        out.truncate(MAX_SLUG_LEN);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// An explicit `{#id}` as written if it is made of letters, digits, `-`, `_`, `.` and `:`
/// (safe in URLs and CSS selectors), else its slug.
fn explicit_id(id: &str) -> String {
    if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        id.to_string()
    } else {
        slug(id)
    }
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}')
}

/// Simple transliteration of lowercase Latin letters with diacritics (Latin-1 and
/// Latin Extended-A, plus a few common others). Other scripts are dropped.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ǎ' | 'ạ' | 'ả' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'ẹ' | 'ẽ' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ǐ' | 'ị' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'ŋ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ơ' | 'ǒ' | 'ọ' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ư' | 'ǔ' | 'ụ' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// The marker attribute name for this source: `data-openssc-id`, or `data-openssc-idN`
/// for the first `N` such that the name does not occur in the source (ASCII
/// case-insensitively), so that raw HTML cannot carry it.
fn marker_for(markdown: &str) -> Cow<'static, str> {
    if !contains_ignore_ascii_case(markdown, MARKER) {
        return Cow::Borrowed(MARKER);
    }
    let mut n = 1u64;
    loop {
        let candidate = format!("{MARKER}{n}");
        if !contains_ignore_ascii_case(markdown, &candidate) {
            return Cow::Owned(candidate);
        }
        n += 1;
    }
}

/// Does `haystack` contain `needle`, ASCII case-insensitively? Every body is searched
/// for the marker: only where its first letter occurs (found with `memchr`) is the rest
/// compared.
fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), haystack).any(|at| {
        haystack
            .get(at + 1..at + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(rest))
    })
}

/// Elements kept (see the module doc for why).
const ALLOWED_TAGS: &[&str] = &[
    // text-level
    "a",
    "abbr",
    "b",
    "bdi",
    "br",
    "cite",
    "code",
    "del",
    "dfn",
    "em",
    "i",
    "img",
    "ins",
    "kbd",
    "mark",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
    "var",
    "wbr", // blocks
    "p",
    "div",
    "blockquote",
    "pre",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "details",
    "summary", // tables
    "table",
    "caption",
    "colgroup",
    "col",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
];

/// Elements removed with everything inside them.
const REMOVED_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "noscript",
    "noembed",
    "noframes",
    "template",
    "textarea",
    "select",
    "xmp",
    "plaintext",
    "title",
    "svg",
    "math",
    "canvas",
];

/// Attributes allowed on every kept element.
const GENERIC_ATTRIBUTES: &[&str] = &["title", "lang", "dir"];

/// Attributes allowed per element (values are checked by [`filter_attribute`]).
const TAG_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("a", &["href"]),
    ("img", &["src", "alt", "width", "height"]),
    ("abbr", &["title"]),
    ("dfn", &["title"]),
    ("time", &["datetime"]),
    ("ol", &["start"]),
    ("details", &["open"]),
    ("col", &["span"]),
    ("colgroup", &["span"]),
    ("th", &["colspan", "rowspan", "scope", "class"]),
    ("td", &["colspan", "rowspan", "class"]),
    ("code", &["class"]),
    ("sup", &["class"]),
];

/// URL schemes allowed in `href` and `src`; relative URLs pass as written.
const URL_SCHEMES: &[&str] = &["http", "https", "mailto"];

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| sanitizer(MARKER));

/// The ammonia configuration: the allowlist above, plus the marker attribute.
fn sanitizer(marker: &str) -> Builder<'_> {
    let mut builder = Builder::empty();
    builder
        .tags(ALLOWED_TAGS.iter().copied().collect())
        .clean_content_tags(REMOVED_WITH_CONTENT.iter().copied().collect())
        .generic_attributes(GENERIC_ATTRIBUTES.iter().copied().chain([marker]).collect())
        .generic_attribute_prefixes(HashSet::new())
        .tag_attributes(
            TAG_ATTRIBUTES
                .iter()
                .map(|(tag, attributes)| (*tag, attributes.iter().copied().collect()))
                .collect(),
        )
        .tag_attribute_values(HashMap::new())
        .set_tag_attribute_values(HashMap::new())
        .allowed_classes(HashMap::new())
        .url_schemes(URL_SCHEMES.iter().copied().collect())
        .url_relative(UrlRelative::PassThrough)
        .link_rel(None)
        .strip_comments(true)
        .id_prefix(None)
        .attribute_filter(filter_attribute);
    builder
}

/// Keeps an allowed attribute only if its value is valid HTML5 for it.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    let keep = match attribute {
        "width" | "height" => number_in(value, 0, 100_000),
        "colspan" | "span" => number_in(value, 1, 1000),
        "rowspan" => number_in(value, 0, 65534),
        "start" => {
            let digits = value.strip_prefix('-').unwrap_or(value);
            number_in(digits, 0, i32::MAX as u64)
        }
        "dir" => ["ltr", "rtl", "auto"].iter().any(|k| value.eq_ignore_ascii_case(k)),
        "scope" => ["row", "col", "rowgroup", "colgroup"]
            .iter()
            .any(|k| value.eq_ignore_ascii_case(k)),
        "lang" => value.is_empty() || is_language_tag(value),
        "class" => return filter_classes(element, value).map(Cow::Owned),
        _ => true,
    };
    keep.then_some(Cow::Borrowed(value))
}

fn number_in(value: &str, min: u64, max: u64) -> bool {
    !value.is_empty()
        && value.len() <= 10
        && value.bytes().all(|b| b.is_ascii_digit())
        && value.parse::<u64>().is_ok_and(|n| (min..=max).contains(&n))
}

fn is_language_tag(value: &str) -> bool {
    let mut parts = value.split('-');
    parts
        .next()
        .is_some_and(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()))
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The classes this module writes, and only on the elements it writes them on.
fn filter_classes(element: &str, value: &str) -> Option<String> {
    let allowed = |class: &str| match element {
        "code" => class.strip_prefix("language-").is_some_and(|lang| {
            !lang.is_empty() && lang.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_+.#".contains(&b))
        }),
        "th" | "td" => matches!(class, "align-left" | "align-center" | "align-right"),
        "sup" => class == "footnote-ref",
        _ => false,
    };
    let kept: Vec<&str> = value.split_ascii_whitespace().filter(|c| allowed(c)).collect();
    (!kept.is_empty()).then(|| kept.join(" "))
}

type Definitions<'a> = Vec<(CowStr<'a>, Vec<Event<'a>>)>;

/// Takes the footnote definitions (at any depth) out of the event stream.
fn split_footnotes<'a>(events: impl Iterator<Item = Event<'a>>) -> (Vec<Event<'a>>, Definitions<'a>) {
    let mut stack: Vec<(Option<CowStr<'a>>, Vec<Event<'a>>)> = vec![(None, Vec::new())];
    let mut definitions = Vec::new();
    for event in events {
        match event {
            Event::Start(Tag::FootnoteDefinition(label)) => stack.push((Some(label), Vec::new())),
            Event::End(TagEnd::FootnoteDefinition) if stack.len() > 1 => {
                if let Some((Some(label), events)) = stack.pop() {
                    definitions.push((label, events));
                }
            }
            event => stack.last_mut().expect("the body is never popped").1.push(event),
        }
    }
    while stack.len() > 1 {
        if let Some((Some(label), events)) = stack.pop() {
            definitions.push((label, events));
        }
    }
    let body = stack.pop().map(|(_, events)| events).unwrap_or_default();
    (body, definitions)
}

/// A footnote that is referenced.
struct Note {
    number: usize,
    /// The final id of its `<li>`.
    id: String,
    /// The base of its references' ids: `fnref-<slug>`.
    ref_base: String,
    /// The final ids of its references, in order.
    refs: Vec<String>,
    /// Index into the definitions.
    definition: usize,
}

/// The state of one rendering: ids, headings, notes.
struct Pass<'p> {
    ids: &'p mut IdSet,
    marker: &'p str,
    top_level: u8,
    /// Lowercased label → index of its first definition.
    definitions: HashMap<String, usize>,
    /// Definition index → note index.
    note_of: HashMap<usize, usize>,
    notes: Vec<Note>,
    headings: Vec<Heading>,
}

impl<'p> Pass<'p> {
    fn new(ids: &'p mut IdSet, marker: &'p str, top_level: u8, definitions: &Definitions) -> Self {
        let mut by_label = HashMap::new();
        for (i, (label, _)) in definitions.iter().enumerate() {
            by_label.entry(label.to_lowercase()).or_insert(i);
        }
        Pass {
            ids,
            marker,
            top_level: top_level.clamp(MIN_LEVEL, MAX_LEVEL),
            definitions: by_label,
            note_of: HashMap::new(),
            notes: Vec::new(),
            headings: Vec::new(),
        }
    }

    fn shift(&self, level: HeadingLevel) -> HeadingLevel {
        let shifted = (level as usize + usize::from(self.top_level) - 1).min(usize::from(MAX_LEVEL));
        HeadingLevel::try_from(shifted).unwrap_or(HeadingLevel::H6)
    }

    /// Rewrites headings (id, level), footnote references and tables.
    fn transform<'a>(&mut self, events: Vec<Event<'a>>) -> Vec<Event<'a>> {
        let mut texts = heading_texts(&events).into_iter();
        let mut out = Vec::with_capacity(events.len());
        let mut link_depth = 0usize;
        let mut image_depth = 0usize;
        // Footnote references met inside a link: written after it (no link in a link).
        let mut deferred: Vec<String> = Vec::new();
        let mut alignments: Vec<Alignment> = Vec::new();
        let mut in_head = false;
        let mut cell = 0usize;
        for event in events {
            match event {
                Event::Start(Tag::Heading { level, id, .. }) => {
                    let text = texts.next().unwrap_or_default();
                    let wanted = match id {
                        Some(id) => explicit_id(&id),
                        None => slug(&text),
                    };
                    let id = self.ids.claim(&wanted);
                    let level = self.shift(level);
                    self.headings.push(Heading {
                        level: level as u8,
                        id: id.clone(),
                        text,
                    });
                    out.push(Event::Start(Tag::Heading {
                        level,
                        id: None,
                        classes: Vec::new(),
                        attrs: vec![(self.marker.to_string().into(), Some(id.into()))],
                    }));
                }
                Event::End(TagEnd::Heading(level)) => out.push(Event::End(TagEnd::Heading(self.shift(level)))),
                Event::FootnoteReference(label) => {
                    if image_depth > 0 {
                        // Alt text is plain text: no note marker there.
                        continue;
                    }
                    match self.reference(&label) {
                        Some(html) if link_depth > 0 => deferred.push(html),
                        Some(html) => out.push(Event::InlineHtml(html.into())),
                        None => out.push(Event::Text(format!("[^{label}]").into())),
                    }
                }
                Event::Start(tag @ Tag::Link { .. }) => {
                    link_depth += 1;
                    out.push(Event::Start(tag));
                }
                Event::End(TagEnd::Link) => {
                    link_depth = link_depth.saturating_sub(1);
                    out.push(Event::End(TagEnd::Link));
                    if link_depth == 0 {
                        out.extend(deferred.drain(..).map(|html| Event::InlineHtml(html.into())));
                    }
                }
                Event::Start(tag @ Tag::Image { .. }) => {
                    image_depth += 1;
                    out.push(Event::Start(tag));
                }
                Event::End(TagEnd::Image) => {
                    image_depth = image_depth.saturating_sub(1);
                    out.push(Event::End(TagEnd::Image));
                }
                // Tables are written here, for alignment as classes (ammonia drops `style`).
                Event::Start(Tag::Table(a)) => {
                    alignments = a;
                    out.push(Event::Html("<table>\n".into()));
                }
                Event::End(TagEnd::Table) => out.push(Event::Html("</tbody></table>\n".into())),
                Event::Start(Tag::TableHead) => {
                    in_head = true;
                    cell = 0;
                    out.push(Event::Html("<thead><tr>".into()));
                }
                Event::End(TagEnd::TableHead) => {
                    in_head = false;
                    out.push(Event::Html("</tr></thead>\n<tbody>\n".into()));
                }
                Event::Start(Tag::TableRow) => {
                    cell = 0;
                    out.push(Event::Html("<tr>".into()));
                }
                Event::End(TagEnd::TableRow) => out.push(Event::Html("</tr>\n".into())),
                Event::Start(Tag::TableCell) => {
                    // Written out whole: a string of its own for every cell of every table
                    // was one allocation and two reallocations each.
                    let html = match (in_head, alignments.get(cell)) {
                        (true, Some(Alignment::Left)) => "<th scope=\"col\" class=\"align-left\">",
                        (true, Some(Alignment::Center)) => "<th scope=\"col\" class=\"align-center\">",
                        (true, Some(Alignment::Right)) => "<th scope=\"col\" class=\"align-right\">",
                        (true, _) => "<th scope=\"col\">",
                        (false, Some(Alignment::Left)) => "<td class=\"align-left\">",
                        (false, Some(Alignment::Center)) => "<td class=\"align-center\">",
                        (false, Some(Alignment::Right)) => "<td class=\"align-right\">",
                        (false, _) => "<td>",
                    };
                    out.push(Event::Html(html.into()));
                }
                Event::End(TagEnd::TableCell) => {
                    out.push(Event::Html(if in_head { "</th>" } else { "</td>" }.into()));
                    cell += 1;
                }
                event => out.push(event),
            }
        }
        out.extend(deferred.into_iter().map(|html| Event::InlineHtml(html.into())));
        out
    }

    /// The HTML of a reference to the note `label`, numbering the note on its first
    /// reference; `None` if no definition has this label.
    fn reference(&mut self, label: &str) -> Option<String> {
        let definition = *self.definitions.get(&label.to_lowercase())?;
        let index = match self.note_of.get(&definition) {
            Some(&index) => index,
            None => {
                let number = self.notes.len() + 1;
                let label_slug = slug_or_empty(label);
                let base = if label_slug.is_empty() {
                    number.to_string()
                } else {
                    label_slug
                };
                let id = self.ids.claim(&format!("fn-{base}"));
                self.notes.push(Note {
                    number,
                    id,
                    ref_base: format!("fnref-{base}"),
                    refs: Vec::new(),
                    definition,
                });
                self.note_of.insert(definition, number - 1);
                number - 1
            }
        };
        let ref_id = self.ids.claim(&self.notes[index].ref_base);
        let note = &mut self.notes[index];
        note.refs.push(ref_id.clone());
        Some(format!(
            "<sup class=\"footnote-ref\"><a href=\"#{}\" {}=\"{}\">{}</a></sup>",
            escape(&note.id),
            self.marker,
            escape(&ref_id),
            note.number
        ))
    }
}

/// The plain text of each heading, in order.
fn heading_texts(events: &[Event]) -> Vec<String> {
    let mut texts = Vec::new();
    let mut current: Option<String> = None;
    for event in events {
        match (event, &mut current) {
            (Event::Start(Tag::Heading { .. }), _) => current = Some(String::new()),
            (Event::End(TagEnd::Heading(_)), Some(text)) => {
                texts.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
                current = None;
            }
            (Event::Text(t) | Event::Code(t), Some(text)) => text.push_str(t),
            (Event::SoftBreak | Event::HardBreak, Some(text)) => text.push(' '),
            _ => {}
        }
    }
    texts
}

/// Does the part carry HTML written by the author (which only ammonia may clean)?
fn has_raw_html(events: &[Event]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_) | Event::Start(Tag::HtmlBlock)))
}

/// Writes the events as HTML, sanitizes it and names the generated ids; records in
/// `survived` the generated ids present in the result. `trusted`: the events carry no
/// HTML of the author, so [`clean_trusted`] may stand in for ammonia.
fn safe_html(events: Vec<Event>, trusted: bool, sanitizer: &Builder, marker: &str, survived: &mut IdsSeen) -> String {
    let mut raw = String::new();
    pulldown_cmark::html::push_html(&mut raw, events.into_iter());
    #[cfg(test)]
    let survived_before = survived.clone();
    let fast = if trusted {
        clean_trusted(&raw, marker, survived)
    } else {
        None
    };
    #[cfg(test)]
    tests::count_part(&raw, marker, fast.as_deref(), &survived_before);
    fast.unwrap_or_else(|| finish(&sanitizer.clean(&raw).to_string(), marker, survived))
}

/// Elements [`clean_trusted`] accepts: those pulldown-cmark writes for the extensions
/// enabled here and those [`Pass`] writes. All are in [`ALLOWED_TAGS`].
const TRUSTED_TAGS: &[&str] = &[
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "code",
    "ul",
    "ol",
    "li",
    "em",
    "strong",
    "del",
    "a",
    "img",
    "br",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sup",
];

/// Elements that close an open `<p>` when they start (HTML parsing, "in body").
const CLOSES_P: &[&str] = &[
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "li",
    "hr",
    "table",
];

/// What [`finish`] of `sanitizer(marker).clean(raw).to_string()` returns, computed without
/// parsing a DOM, for the HTML pulldown-cmark writes from Markdown that carries no raw HTML;
/// `None` as soon as `raw` leaves the narrow form for which this is proven equal (the
/// caller then runs ammonia, so `None` is always safe). `survived` is as `finish` leaves
/// it on success, untouched on `None`.
///
/// The form: text where `&` only starts `&amp;` `&lt;` `&gt;` `&quot;` `&#x27;` `&#39;`
/// and no NUL or CR occurs (html5ever's tokenizer would change them); tags of
/// [`TRUSTED_TAGS`] written `<name a="v">`, `</name>` or, for void elements,
/// `<name a="v" />`; every element closed in order (so html5ever builds the tree the tags
/// say: no implied end tag, no adoption agency, no foster parenting), and none of the
/// cases where the HTML tree builder would rearrange it: a block start while a `<p>` is
/// open, a heading in a heading, a link in a link, a list item outside a list, table
/// parts out of place, text other than whitespace between table parts, a newline just
/// after `<pre>` (the parser drops it).
///
/// On that tree ammonia keeps every element (all allowed, none removed with content)
/// and treats attributes as [`trusted_attributes`] replays; then html5ever serializes:
/// `<name a="v">`, void elements without an end tag, `&` `<` `>` and U+00A0 escaped in
/// text and values, plus `"` in values.
///
/// Each start tag goes straight to [`write_start_tag`], as `finish` would hand it on after
/// reading it back from that serialization (text and end tags `finish` copies as they are).
fn clean_trusted(raw: &str, marker: &str, survived: &mut IdsSeen) -> Option<String> {
    let mut out = String::with_capacity(raw.len() + raw.len() / 8);
    // The ids claimed, kept apart until the whole part has taken this path.
    let mut claimed = survived.clone();
    let mut open: Vec<&str> = Vec::new();
    let mut after_pre = false;
    let mut rest = raw;
    while !rest.is_empty() {
        // `memchr` rather than `find('<')`: the text between two tags is often a few words,
        // and `str::find`'s set-up cost more than its search.
        let lt = memchr::memchr(b'<', rest.as_bytes()).unwrap_or(rest.len());
        if lt > 0 {
            let text = &rest[..lt];
            let in_table_parts = matches!(open.last(), Some(&("table" | "thead" | "tbody" | "tr")));
            if (after_pre && text.starts_with('\n'))
                || (in_table_parts && !text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0c')))
            {
                return None;
            }
            push_text(&mut out, text)?;
            rest = &rest[lt..];
            after_pre = false;
            continue;
        }
        let (tag, after) = parse_tag(rest)?;
        rest = after;
        after_pre = false;
        match tag {
            HtmlTag::End(name) => {
                if open.pop() != Some(name) {
                    return None;
                }
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
            HtmlTag::Start {
                name,
                attributes,
                self_closing,
            } => {
                let void = matches!(name, "br" | "hr" | "img");
                let parent = open.last().copied();
                let placed = match name {
                    "thead" | "tbody" => parent == Some("table"),
                    "tr" => matches!(parent, Some("thead" | "tbody")),
                    "th" | "td" => parent == Some("tr"),
                    "li" => matches!(parent, Some("ul" | "ol")),
                    _ => !matches!(parent, Some("table" | "thead" | "tbody" | "tr")),
                };
                let is_heading = |n: &str| matches!(n, "h2" | "h3" | "h4" | "h5" | "h6");
                if !TRUSTED_TAGS.contains(&name)
                    || self_closing && !void
                    || !placed
                    || CLOSES_P.contains(&name) && open.contains(&"p")
                    || is_heading(name) && open.iter().any(|n| is_heading(n))
                    || name == "a" && open.contains(&"a")
                {
                    return None;
                }
                let serialized: Vec<(&str, String)> = trusted_attributes(name, attributes, marker)
                    .into_iter()
                    .map(|(attribute, value)| {
                        let mut escaped = String::with_capacity(value.len());
                        push_serialized(&mut escaped, &value, true);
                        (attribute, escaped)
                    })
                    .collect();
                write_start_tag(&mut out, name, &serialized, marker, &mut claimed);
                if !void {
                    open.push(name);
                }
                after_pre = name == "pre";
            }
        }
    }
    if !open.is_empty() {
        return None;
    }
    *survived = claimed;
    Some(out)
}

/// A tag as pulldown-cmark writes it; attribute values still escaped.
enum HtmlTag<'a> {
    Start {
        name: &'a str,
        attributes: Vec<(&'a str, Cow<'a, str>)>,
        self_closing: bool,
    },
    End(&'a str),
}

/// Reads the tag at the start of `html` (`<name a="v" b="w">`, `<name />`, `</name>`, names
/// in lowercase ASCII, single spaces) and returns it with what follows; `None` for any
/// other form, and for a repeated attribute (the parser would keep only the first).
fn parse_tag(html: &str) -> Option<(HtmlTag<'_>, &str)> {
    let is_name = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let rest = html.strip_prefix('<')?;
    if let Some(rest) = rest.strip_prefix('/') {
        let len = rest.bytes().take_while(|&b| is_name(b)).count();
        let after = rest[len..].strip_prefix('>')?;
        return (len > 0).then_some((HtmlTag::End(&rest[..len]), after));
    }
    let len = rest.bytes().take_while(|&b| is_name(b)).count();
    if len == 0 {
        return None;
    }
    let name = &rest[..len];
    let mut rest = &rest[len..];
    let mut attributes: Vec<(&str, Cow<str>)> = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix('>') {
            let tag = HtmlTag::Start {
                name,
                attributes,
                self_closing: false,
            };
            return Some((tag, after));
        }
        if let Some(after) = rest.strip_prefix(" />") {
            let tag = HtmlTag::Start {
                name,
                attributes,
                self_closing: true,
            };
            return Some((tag, after));
        }
        rest = rest.strip_prefix(' ')?;
        let len = rest.bytes().take_while(|&b| is_name(b) || b == b'-').count();
        let attribute = &rest[..len];
        let after = rest[len..].strip_prefix("=\"")?;
        let end = after.find('"')?;
        if len == 0 || attributes.iter().any(|(a, _)| *a == attribute) {
            return None;
        }
        attributes.push((attribute, decode_entities(&after[..end])?));
        rest = &after[end + 1..];
    }
}

/// Replays ammonia's treatment of an allowed element's attributes (`clean_child`, then
/// `adjust_node_attributes`): drops those neither generic nor allowed on the element, and
/// URLs (`href`, `src`) that `Url::parse` reads with a scheme not allowed or cannot read
/// except as relative; then runs [`filter_attribute`], replacing values and dropping with
/// `swap_remove` in reverse order as ammonia does (the order of attributes shows).
/// Relative URLs pass through unchanged.
fn trusted_attributes<'a>(
    element: &str,
    mut attributes: Vec<(&'a str, Cow<'a, str>)>,
    marker: &str,
) -> Vec<(&'a str, Cow<'a, str>)> {
    attributes.retain(|(attribute, value)| {
        let allowed = GENERIC_ATTRIBUTES.contains(attribute)
            || *attribute == marker
            || TAG_ATTRIBUTES
                .iter()
                .any(|(tag, list)| *tag == element && list.contains(attribute));
        let is_url = matches!(*attribute, "href" | "src") || (element == "a" && *attribute == "ping");
        allowed && (!is_url || url_allowed(value))
    });
    let mut dropped = Vec::new();
    for (i, (attribute, value)) in attributes.iter_mut().enumerate() {
        match filter_attribute(element, attribute, value) {
            Some(new) if new != *value => *value = Cow::Owned(new.into_owned()),
            Some(_) => {}
            None => dropped.push(i),
        }
    }
    for i in dropped.into_iter().rev() {
        attributes.swap_remove(i);
    }
    attributes
}

/// ammonia's URL check with this module's configuration (schemes [`URL_SCHEMES`],
/// relative URLs passed through).
fn url_allowed(value: &str) -> bool {
    match ammonia::Url::parse(value) {
        Ok(url) => URL_SCHEMES.contains(&url.scheme()),
        Err(error) => error == ammonia::url::ParseError::RelativeUrlWithoutBase,
    }
}

/// The character references pulldown-cmark and [`escape`] write, and what they stand for.
const ENTITIES: &[(&str, char)] = &[
    ("&amp;", '&'),
    ("&lt;", '<'),
    ("&gt;", '>'),
    ("&quot;", '"'),
    ("&#x27;", '\''),
    ("&#39;", '\''),
];

/// The character reference at the start of `text`: the character and its length.
fn entity_at(text: &str) -> Option<(char, usize)> {
    ENTITIES
        .iter()
        .find(|(entity, _)| text.starts_with(entity))
        .map(|(entity, c)| (*c, entity.len()))
}

/// Decodes the references of [`ENTITIES`]; `None` for any other `&`, and for NUL and
/// CR, which html5ever's tokenizer would not keep as they are.
fn decode_entities(text: &str) -> Option<Cow<'_, str>> {
    // `memchr3` scans a word or a vector at a time: most texts have none of the three.
    let next = |text: &str| memchr::memchr3(b'&', 0, b'\r', text.as_bytes());
    if next(text).is_none() {
        return Some(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = next(rest) {
        out.push_str(&rest[..i]);
        let (decoded, len) = entity_at(&rest[i..])?;
        out.push(decoded);
        rest = &rest[i + len..];
    }
    out.push_str(rest);
    Some(Cow::Owned(out))
}

/// Appends a text of pulldown-cmark's HTML (no `<`) as html5ever would serialize what it
/// parses from it: [`decode_entities`] then [`push_serialized`].
fn push_text(out: &mut String, text: &str) -> Option<()> {
    // Most runs of text have nothing to decode or escape (no `&`, `>`, CR, NUL or U+00A0;
    // no `<` either, by the caller's split): copied as they are, after two scans instead
    // of the three that decoding then serializing take.
    let bytes = text.as_bytes();
    if memchr::memchr3(b'&', b'>', b'\r', bytes).is_none() && memchr::memchr2(0, 0xC2, bytes).is_none() {
        out.push_str(text);
        return Some(());
    }
    push_serialized(out, &decode_entities(text)?, false);
    Some(())
}

/// Appends text or an attribute value escaped as html5ever's serializer does: `&`, `<`,
/// `>` and U+00A0 (`&nbsp;`), and `"` in attribute values.
fn push_serialized(out: &mut String, text: &str, attribute: bool) {
    let bytes = text.as_bytes();
    // The next byte that may need escaping, found a vector at a time (most runs of text
    // have none): `&`, `<`, `>`, else the first byte of U+00A0 or a `"` in a value.
    let markup = |from: usize| memchr::memchr3(b'&', b'<', b'>', &bytes[from..]).map_or(bytes.len(), |i| from + i);
    let other = |from: usize| {
        let found = if attribute {
            memchr::memchr2(0xC2, b'"', &bytes[from..])
        } else {
            memchr::memchr(0xC2, &bytes[from..])
        };
        found.map_or(bytes.len(), |i| from + i)
    };
    let (mut next_markup, mut next_other) = (markup(0), other(0));
    let mut start = 0;
    loop {
        let i = next_markup.min(next_other);
        if i == bytes.len() {
            break;
        }
        let (replacement, len) = match bytes[i] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            _ if bytes.get(i + 1) == Some(&0xA0) => ("&nbsp;", 2),
            _ => ("", 0), // another character starting with 0xC2: kept
        };
        if len > 0 {
            out.push_str(&text[start..i]);
            out.push_str(replacement);
            start = i + len;
        }
        let after = i + len.max(1);
        if next_markup < after {
            next_markup = markup(after);
        }
        if next_other < after {
            next_other = other(after);
        }
    }
    out.push_str(&text[start..]);
}

/// The last step on HTML ammonia sanitized ([`clean_trusted`] writes its tags through
/// [`write_start_tag`] itself): marker attributes become `id` (a repeated id is
/// dropped), external links get `rel`, `<img>` without `src` becomes its alt text and
/// `<img>` without `alt` gets `alt=""`.
///
/// This reads html5ever's serialization, which is regular: `<` and `>` only delimit
/// tags (they are escaped in text and attribute values), attributes are always
/// ` name="value"` with `"` escaped, comments are stripped, and no raw-text element is
/// allowed. A tag that does not look so is copied as is.
fn finish(html: &str, marker: &str, survived: &mut IdsSeen) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let Some(gt) = rest.find('>') else {
            break;
        };
        let tag = &rest[..=gt];
        rest = &rest[gt + 1..];
        match parse_start_tag(tag) {
            Some((name, attributes)) => write_start_tag(&mut out, name, &attributes, marker, survived),
            None => out.push_str(tag),
        }
    }
    out.push_str(rest);
    out
}

/// `<name a="v" b="w">` → name and attributes (values still escaped); `None` for end
/// tags and anything unexpected.
fn parse_start_tag(tag: &str) -> Option<(&str, Vec<(&str, &str)>)> {
    let inner = tag.strip_prefix('<')?.strip_suffix('>')?;
    let (name, mut rest) = inner.split_once(' ').unwrap_or((inner, ""));
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let mut attributes = Vec::new();
    while !rest.is_empty() {
        let (attribute, after) = rest.split_once("=\"")?;
        let (value, after) = after.split_once('"')?;
        attributes.push((attribute, value));
        rest = match after.strip_prefix(' ') {
            Some(r) => r,
            None if after.is_empty() => after,
            None => return None,
        };
    }
    Some((name, attributes))
}

fn write_start_tag<V: AsRef<str>>(
    out: &mut String,
    name: &str,
    attributes: &[(&str, V)],
    marker: &str,
    survived: &mut IdsSeen,
) {
    let get = |wanted: &str| attributes.iter().find(|(a, _)| *a == wanted).map(|(_, v)| v.as_ref());
    if name == "img" && get("src").is_none() {
        // A broken image (its URL was refused): its description stays.
        out.push_str(get("alt").unwrap_or(""));
        return;
    }
    out.push('<');
    out.push_str(name);
    for (attribute, value) in attributes {
        let value = value.as_ref();
        if *attribute == marker {
            if !survived.insert(unescape(value)) {
                continue;
            }
            out.push_str(" id=\"");
        } else {
            out.push(' ');
            out.push_str(attribute);
            out.push_str("=\"");
        }
        out.push_str(value);
        out.push('"');
    }
    if name == "img" && get("alt").is_none() {
        out.push_str(" alt=\"\"");
    }
    if name == "a" && get("href").is_some_and(|href| leaves_site(&unescape(href))) {
        out.push_str(" rel=\"noopener noreferrer\"");
    }
    out.push('>');
}

/// Does this `href` lead to another site: `http:`/`https:`, or scheme-relative `//host`
/// (browsers also read `\` as `/` there)? Read the way browsers do: leading C0 controls
/// and spaces skipped, tabs and newlines ignored.
fn leaves_site(href: &str) -> bool {
    let href: String = href
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .take(8)
        .collect();
    let bytes = href.as_bytes();
    if bytes.len() >= 2 && matches!(bytes[0], b'/' | b'\\') && matches!(bytes[1], b'/' | b'\\') {
        return true;
    }
    let lower = href.to_ascii_lowercase();
    lower.starts_with("http:") || lower.starts_with("https:")
}

/// Escapes text for an HTML attribute value or text content.
fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Undoes html5ever's escaping of attribute values.
fn unescape(value: &str) -> String {
    if !value.contains('&') {
        return value.to_string();
    }
    value
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Appends the footnotes section: our markup around each note's sanitized HTML, with
/// back-links to the references that made it to the output.
fn write_notes(html: &mut String, notes: &[Note], note_html: &[String], survived: &IdsSeen, options: &RenderOptions) {
    if !html.is_empty() && !html.ends_with('\n') {
        html.push('\n');
    }
    let _ = write!(
        html,
        "<section class=\"footnotes\" aria-label=\"{}\">\n<ol>\n",
        escape(options.notes_label)
    );
    for (note, content) in notes.iter().zip(note_html) {
        let mut backlinks = String::new();
        for (k, ref_id) in note.refs.iter().filter(|r| survived.contains(*r)).enumerate() {
            let (label_suffix, mark_suffix) = if k == 0 {
                (String::new(), String::new())
            } else {
                (format!("-{}", k + 1), format!("<sup>{}</sup>", k + 1))
            };
            let _ = write!(
                backlinks,
                " <a href=\"#{}\" class=\"footnote-backref\" aria-label=\"{} {}{}\">\u{21A9}\u{FE0E}{}</a>",
                escape(ref_id),
                escape(options.back_label),
                note.number,
                label_suffix,
                mark_suffix
            );
        }
        let _ = writeln!(html, "<li id=\"{}\">", escape(&note.id));
        let content = content.trim_end();
        match content.strip_suffix("</p>") {
            Some(start) => {
                html.push_str(start);
                html.push_str(&backlinks);
                html.push_str("</p>");
            }
            None => {
                html.push_str(content);
                html.push('\n');
                html.push_str(backlinks.trim_start());
            }
        }
        html.push_str("\n</li>\n");
    }
    html.push_str("</ol>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::path::Path;

    thread_local! {
        /// Parts sanitized on this thread: (through `clean_trusted`, in all).
        static PARTS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    }

    /// Called by [`safe_html`] for every part in test builds: counts the parts that took
    /// the fast path and checks each against ammonia then [`finish`] (from the ids claimed
    /// before the part), so that every test rendering
    /// Markdown in this module is also a differential test of [`clean_trusted`].
    pub(super) fn count_part(raw: &str, marker: &str, fast: Option<&str>, survived: &IdsSeen) {
        let (taken, all) = PARTS.get();
        PARTS.set((taken + usize::from(fast.is_some()), all + 1));
        if let Some(fast) = fast {
            let slow = finish(&sanitizer(marker).clean(raw).to_string(), marker, &mut survived.clone());
            assert_eq!(fast, slow, "clean_trusted differs from ammonia on {raw:?}");
        }
    }

    /// Renders `markdown` both ways, asserts the results are equal (HTML, headings and
    /// the ids claimed) and returns the result and whether every part took the fast path.
    fn render_both(markdown: &str) -> (Rendered, bool) {
        let marker = marker_for(markdown);
        let sanitizer = sanitizer(&marker);
        let options = RenderOptions::default();
        let mut fast_ids = IdSet::with_reserved(&["main", "fn-1"]);
        let mut slow_ids = fast_ids.clone();
        let before = PARTS.get();
        let fast = render_sanitized(markdown, &mut fast_ids, &options, &marker, &sanitizer, Sanitize::Fast);
        let after = PARTS.get();
        let slow = render_sanitized(
            markdown,
            &mut slow_ids,
            &options,
            &marker,
            &sanitizer,
            Sanitize::Ammonia,
        );
        assert_eq!(fast, slow, "fast path differs on {markdown:?}");
        assert_eq!(fast_ids.used, slow_ids.used, "ids differ on {markdown:?}");
        let all_fast = after.0 - before.0 == after.1 - before.1;
        (fast, all_fast)
    }

    /// Hand-written cases: URLs of every kind, titles, images, footnotes, tables,
    /// headings, code, entities, breaks, raw HTML.
    const EDGE_CASES: &[&str] = &[
        "plain text",
        "",
        "[js](javascript:alert(1)) [JS](JAVASCRIPT:alert(1)) [vb](vbscript:x) [d](data:text/html,x)",
        "![js](javascript:alert(1)) ![d](data:image/png;base64,AAAA) ![](javascript:x)",
        "[rel](../a/b.html) [abs](/abs) [frag](#x) [q](?q=1&r=2) [dot](./x) [colon](:x) [c2](a:b)",
        "[h](http://example.org/a?b=1&c=2#f) [s](https://example.org/) [S](HTTPS://EXAMPLE.ORG)",
        "[pr](//evil.example/) [bs](\\\\evil) [sp]( https://x.y )",
        "[empty host](http://) [bad v6](http://[::1) [bad port](http://x:99999/) [pct](http://%zz/)",
        "[m](mailto:a@b.c) <a@b.c> <https://auto.link/x?y=1&z=2> <ftp://x.y> <irc://x> <HTTP://UP>",
        "[t](/x \"title with \\\"quotes\\\" & 'single' <b>\") [u](/y 'single \"double\"')",
        "[p](/x (paren title)) [e](<>) [sp](<url with spaces>) [u](/ü/ñ?q=é) [z](%zz) [q](/a'b\"c)",
        "![](/no-alt.png) ![alt *em* `code` [link](/l)](/img.png \"T\") ![a\nb](/i.png)",
        "[![i](/i.png)](/l) [a <https://b.c> d](/e) *a <http://x>* [a [b](/b) c](/c)",
        "Ref[^1] and again[^1] and [^missing].\n\n[^1]: Note with [link](https://x.y) and ![i](/i.png).",
        "[^n] [^N]\n\n[^n]: first para\n\n    second para\n\n[^unused]: never",
        "[a[^1]](/x) ![b[^1]](/y)\n\n[^1]: in link",
        "a[^a]\n\n[^a]: refers to [^b]\n\n[^b]: back to [^a] and <b>raw</b>",
        "x[^é]\n\n[^é]: accent label\n\n[^南]: unused",
        "| a | b | c |\n|:-:|--:|:--|\n| `<x>` | &amp; | [l](https://x) |\n| ![i](/i.png) | `|` | x[^1] |\n\n[^1]: n",
        "| only header |\n|---|",
        "# Title {#custom-id}\n# Title {#bad id!}\n## Same\n## Same\n### {#x .c key=\"v\"} tail\n#### `code` *em*",
        "# Quote \" amp & lt < {#a:b.c_d}\n###### six\n####### seven",
        "Setext\n===\n\nTwo\n---",
        "`<script>` `a & b` `` ` `` `\u{a0}`",
        "```rust\nfn main() { let x = \"<>\"; }\n```\n```rust,ignore\nx\n```\n```\"onerror=x\ny\n```\n~~~c++ extra\n~~~",
        "```\n\nleading blank\n```\n\n    indented <code> &amp;\n",
        "&amp; &nbsp; &#x27; &#39; &quot; &lt; &gt; &copy; &#0; &#x0; &#xD; &bogus; & &amp",
        "a\u{a0}b \u{a0} non-breaking",
        "Coopération Sud–Sud 南南合作 🚀 ‘curly’ “quotes” — dash",
        "quotes \"double\" 'single' <not a tag > 3 > 2 < 4",
        "hard  \nbreak\\\nslash\nsoft",
        "---\n***\ntext\n___",
        "> quote\n> > nested\n>\n> - list\n\n> [!NOTE]\n> alert",
        "1. one\n2. two\n\n3. three\n\n999999999. big\n\n0. zero",
        "- [ ] task\n- [x] done\n* a\n\n* b loose\n\n  para",
        "- a\n  - b\n    - c\n      1. d\n\n         ```\n         code\n         ```",
        "~~strike~~ **strong _em_** ***both*** _a*b*c_ H~2~O x^2^",
        "NUL \0 char",
        "CR\r\nline\rlone",
        "form\x0cfeed tab\tinside",
        "[ref]\n\n[ref]: /url \"T\"\n\n[REF] [other][ref] [collapsed][]\n\n[collapsed]: https://c.d",
        "<script>alert(1)</script>",
        "<b onclick=x>bold</b> a <span title=t lang=fr>inline</span> b",
        "<!-- comment -->\ntext",
        "text <!-- c --> more",
        "<div data-openssc-id=\"main\">x</div>\n\n# main",
        "<textarea>\n\n# swallowed",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:x\">x</a> <a href=\"https://x\">y</a>",
        "*em <b>raw in em</b>*",
        "<details><summary>s</summary>\n\n# inside\n\n</details>",
        "\\<script\\> \\& \\[x\\]",
        "http://not.a.link www.example.com",
    ];

    /// A few thousand documents made of pieces of the edge cases, deterministically.
    fn generated_cases() -> Vec<String> {
        const PIECES: &[&str] = &[
            "word",
            "*em*",
            "**strong**",
            "`code <x>`",
            "[l](https://e.org/?a=1&b=2)",
            "[r](../r.html \"t'\\\"\")",
            "[j](javascript:x)",
            "![i](/i.png)",
            "![](https://e.org/i.png)",
            "<https://auto.org>",
            "<m@e.org>",
            "&amp;&nbsp;&#39;",
            "\u{a0}",
            "\"'<>",
            "x[^1]",
            "y[^2]",
            "~~del~~",
            "<b>raw</b>",
            "é南",
            "\\*",
            "  \n",
        ];
        const BLOCKS: &[&str] = &[
            "# H",
            "## H {#h}",
            "- ",
            "1. ",
            "> ",
            "| a | b |\n|:-|-:|\n| ",
            "```x\n",
            "    ",
            "",
            "[^1]: ",
            "[^2]: ",
            "---\n",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        (0..3000)
            .map(|_| {
                let mut doc = String::new();
                for _ in 0..1 + next(6) {
                    doc.push_str(BLOCKS[next(BLOCKS.len())]);
                    for _ in 0..1 + next(5) {
                        doc.push_str(PIECES[next(PIECES.len())]);
                        doc.push_str([" ", "", "\n"][next(3)]);
                    }
                    doc.push_str(["\n\n", "\n", " | c |\n"][next(3)]);
                }
                doc
            })
            .collect()
    }

    /// The Markdown files under `dir`, recursively, front matter removed.
    fn markdown_files(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                markdown_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "md")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                let body = text
                    .strip_prefix("---\n")
                    .and_then(|t| t.split_once("\n---\n"))
                    .map_or(text.as_str(), |(_, body)| body);
                out.push(body.to_string());
            }
        }
    }

    #[test]
    fn push_serialized_escapes_as_html5ever_a_run_at_a_time() {
        // The byte-by-byte form it replaced, as the reference.
        fn reference(text: &str, attribute: bool) -> String {
            let mut out = String::new();
            for c in text.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' if attribute => out.push_str("&quot;"),
                    '\u{a0}' => out.push_str("&nbsp;"),
                    c => out.push(c),
                }
            }
            out
        }
        for text in [
            "",
            "plain prose",
            "a & b < c > d \"e\" f",
            "\u{a0}\u{a0}x\u{a0}",
            "© é ½ \u{a0}&\u{a0}\"",
            "&&<<>>\"\"",
            "ends with ©",
            "\u{a0}",
        ] {
            for attribute in [false, true] {
                let mut out = String::from("<");
                push_serialized(&mut out, text, attribute);
                assert_eq!(out, format!("<{}", reference(text, attribute)), "{text:?} {attribute}");
            }
        }
    }

    #[test]
    fn fast_path_equals_ammonia() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["content", "tests/fixtures", "docs", "themes"] {
            markdown_files(&root.join(dir), &mut files);
        }
        // A generated corpus too, when asked: `gen_corpus -- --projects 200 DIR`.
        if let Some(dir) = std::env::var_os("OPENSSC_MD_CORPUS") {
            markdown_files(Path::new(&dir), &mut files);
        }
        assert!(files.len() > 50, "only {} Markdown files found", files.len());
        let generated = generated_cases();
        let mut fast = 0;
        let mut total = 0;
        for markdown in EDGE_CASES
            .iter()
            .copied()
            .chain(files.iter().map(String::as_str))
            .chain(generated.iter().map(String::as_str))
        {
            total += 1;
            fast += usize::from(render_both(markdown).1);
        }
        // The comparison means something only if the fast path is taken often.
        assert!(fast * 2 > total, "fast path taken for {fast} of {total} documents");
    }

    #[test]
    fn fast_path_covers_plain_markdown_and_leaves_raw_html_to_ammonia() {
        let (out, fast) = render_both(
            "# T\n\nText *em* [l](https://e.org/?a=1&b=2 \"t\") ![](/i.png)  \nx[^1]\n\n---\n\n| a |\n|:-:|\n| b |\n\n[^1]: n",
        );
        assert!(fast, "{}", out.html);
        assert!(out.html.contains("<br>\n"), "{}", out.html);
        assert!(out.html.contains("<hr>"), "{}", out.html);
        assert!(out.html.contains("<img src=\"/i.png\" alt=\"\">"), "{}", out.html);
        assert!(out.html.contains("rel=\"noopener noreferrer\""), "{}", out.html);
        for raw in [
            "<script>alert(1)</script>\n\ntext",
            "a <b onclick=x>b</b>",
            "x[^1]\n\n[^1]: <i>raw</i>",
        ] {
            let (out, fast) = render_both(raw);
            assert!(!fast, "{raw:?}");
            assert!(
                !out.html.contains("script") && !out.html.contains("onclick"),
                "{}",
                out.html
            );
        }
        // A URL ammonia refuses is dropped the same way, without leaving the fast path.
        let (out, fast) = render_both("[x](javascript:alert(1)) ![y](data:image/png,x)");
        assert!(fast, "{}", out.html);
        assert_eq!(out.html, "<p><a>x</a> y</p>\n");
    }

    #[test]
    fn slugs_are_ascii_and_never_empty() {
        assert_eq!(slug("Hello, World!"), "hello-world");
        assert_eq!(slug("  Coopération Sud–Sud  "), "cooperation-sud-sud");
        assert_eq!(slug("Straße & Ærø"), "strasse-aero");
        assert_eq!(slug("São Tomé e Príncipe"), "sao-tome-e-principe");
        assert_eq!(slug("e\u{301}te\u{301}"), "ete");
        assert_eq!(slug("南南合作"), "section");
        assert_eq!(slug("---"), "section");
        assert_eq!(slug("2030 Agenda_item"), "2030-agenda-item");
        assert!(slug(&"word ".repeat(100)).len() <= MAX_SLUG_LEN);
        assert!(!slug(&"word ".repeat(100)).ends_with('-'));
    }

    #[test]
    fn id_set_appends_suffixes_and_respects_reserved_ids() {
        let mut ids = IdSet::with_reserved(&["main"]);
        assert_eq!(ids.claim("main"), "main-2");
        assert_eq!(ids.claim("intro"), "intro");
        assert_eq!(ids.claim("intro-2"), "intro-2");
        assert_eq!(ids.claim("intro"), "intro-3");
        assert_eq!(ids.claim("intro"), "intro-4");
        assert_eq!(ids.claim(""), "section");
        assert!(ids.contains("intro-4"));
    }

    #[test]
    fn contains_ignore_ascii_case_finds_the_needle_anywhere_in_any_case() {
        assert!(contains_ignore_ascii_case("xx DATA-Openssc-ID", MARKER));
        assert!(contains_ignore_ascii_case("data-openssc-id", MARKER));
        assert!(contains_ignore_ascii_case("dd data-openssc-idd", MARKER));
        assert!(!contains_ignore_ascii_case("data-openssc-i", MARKER), "cut at the end");
        assert!(!contains_ignore_ascii_case("data-opensscxid, d, D", MARKER));
        assert!(!contains_ignore_ascii_case("ñdata-openssç-id", MARKER));
        assert!(contains_ignore_ascii_case("ñ data-openssc-id ç", MARKER));
        assert!(contains_ignore_ascii_case("", ""));
    }

    #[test]
    fn marker_avoids_names_present_in_the_source() {
        assert_eq!(marker_for("plain"), MARKER);
        assert_eq!(marker_for("<p DATA-OPENSSC-ID=x>"), "data-openssc-id1");
        assert_eq!(marker_for("data-openssc-id data-openssc-id1"), "data-openssc-id2");
    }

    #[test]
    fn finish_renames_markers_and_marks_external_links() {
        let mut survived = IdsSeen::default();
        let html = "<h2 data-openssc-id=\"a&amp;b\">x &gt; y</h2><a href=\"https://e.org/?a=1&amp;b\">e</a>\
                    <a href=\"/local\">l</a><a href=\" //evil\">p</a><img alt=\"broken &quot;pic&quot;\">\
                    <img src=\"a.png\"><h3 data-openssc-id=\"a&amp;b\">dup</h3>";
        assert_eq!(
            finish(html, MARKER, &mut survived),
            "<h2 id=\"a&amp;b\">x &gt; y</h2><a href=\"https://e.org/?a=1&amp;b\" rel=\"noopener noreferrer\">e</a>\
             <a href=\"/local\">l</a><a href=\" //evil\" rel=\"noopener noreferrer\">p</a>broken &quot;pic&quot;\
             <img src=\"a.png\" alt=\"\"><h3>dup</h3>"
        );
        assert!(survived.contains("a&b"));
    }

    #[test]
    fn attribute_values_are_checked() {
        assert!(filter_attribute("img", "width", "120").is_some());
        assert!(filter_attribute("img", "width", "50%").is_none());
        assert!(filter_attribute("td", "colspan", "0").is_none());
        assert!(filter_attribute("ol", "start", "-3").is_some());
        assert!(filter_attribute("p", "dir", "RTL").is_some());
        assert!(filter_attribute("p", "dir", "up").is_none());
        assert!(filter_attribute("p", "lang", "pt-BR").is_some());
        assert!(filter_attribute("p", "lang", "x y").is_none());
        assert_eq!(
            filter_attribute("code", "class", "language-rust evil").as_deref(),
            Some("language-rust")
        );
        assert!(filter_attribute("sup", "class", "evil").is_none());
    }

    #[test]
    fn heading_levels_shift_and_cap() {
        let mut ids = IdSet::new();
        let out = render_with(
            "# a\n\n###### f",
            &mut ids,
            &RenderOptions {
                top_level: 3,
                ..RenderOptions::default()
            },
        );
        assert!(out.html.contains("<h3 id=\"a\">a</h3>"), "{}", out.html);
        assert!(out.html.contains("<h6 id=\"f\">f</h6>"), "{}", out.html);
        let out = render_with(
            "# a",
            &mut ids,
            &RenderOptions {
                top_level: 1,
                ..RenderOptions::default()
            },
        );
        assert!(out.html.contains("<h2 id=\"a-2\">a</h2>"), "{}", out.html);
    }
}
