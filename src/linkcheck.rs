//! The internal link check: every `href`/`src` the build wrote that points inside the
//! site must name a file the build wrote and, with a `#fragment`, an id on that page.
//!
//! Invariant: no I/O; works on pages as they are rendered, before the site is swapped in.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Mutex;

use crate::render::OutputFile;

/// A link that does not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLink {
    /// The page that holds the link.
    pub page: String,
    /// The link as written.
    pub link: String,
    /// Why it is broken.
    pub reason: String,
}

/// The values of a page's `id`, `href` and `src` attributes (double-quoted, as our
/// templates and the Markdown renderer write them), in one pass over the page: ids, then
/// every `href`, then every `src`. `None` when a value is not UTF-8 (the caller then reads
/// the page as text first). Only the values are checked for UTF-8, not the whole page: a
/// `"` is never part of another character's bytes, so the values found are the same.
fn attribute_values(bytes: &[u8]) -> Option<(Vec<&str>, Vec<&str>)> {
    // Room for a page of an initiative's (some fifteen ids and thirty links) without
    // growing the lists.
    let (mut ids, mut hrefs, mut srcs) = (Vec::with_capacity(32), Vec::with_capacity(64), Vec::new());
    let mut next = 0;
    for equals in memchr::memmem::find_iter(bytes, b"=\"") {
        if equals < next {
            continue; // inside the value before
        }
        let start = equals + 2;
        let Some(length) = memchr::memchr(b'"', &bytes[start..]) else {
            break;
        };
        next = start + length;
        let name = &bytes[..equals];
        let list = if name.ends_with(b" id") {
            &mut ids
        } else if name.ends_with(b" href") {
            &mut hrefs
        } else if name.ends_with(b" src") {
            &mut srcs
        } else {
            continue;
        };
        list.push(std::str::from_utf8(&bytes[start..next]).ok()?);
    }
    hrefs.append(&mut srcs);
    Some((ids, hrefs))
}

/// Resolves `link` relative to `page` (both `/`-separated), `depth` being the number of
/// folders above `page` (its count of `/`); `None` if it climbs above the site root.
fn resolve<'l>(page: &str, depth: usize, link: &'l str) -> Option<Cow<'l, str>> {
    // The common case, `../../x/y.html` from a page two folders deep: no segment to resolve
    // after the climb to the root.
    if let Some(rest) = link.get(3 * depth..)
        && link.as_bytes()[..3 * depth].chunks(3).all(|c| c == b"../")
        && !rest.starts_with("../")
        && rest
            .as_bytes()
            .split(|&b| b == b'/')
            .all(|s| !matches!(s, b"" | b"." | b".."))
    {
        return Some(Cow::Borrowed(rest));
    }
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for segment in link.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(Cow::Owned(parts.join("/")))
}

/// The number of folders above `path`.
fn depth(path: &str) -> usize {
    memchr::memchr_iter(b'/', path.as_bytes()).count()
}

/// Decodes the character references an attribute value may hold (`&amp;`, `&#39;`,
/// `&#x2f;`, ...), so links compare with file paths.
fn unescape(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'&', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Checks every internal link of every HTML file.
pub fn check(files: &[OutputFile]) -> Vec<BrokenLink> {
    let checker = LinkChecker::new(files.iter().map(|f| f.path.clone()));
    for file in files.iter().filter(|f| f.path.ends_with(".html")) {
        checker.page(&file.path, &file.bytes);
    }
    checker.finish()
}

/// A 64-bit hash of an id: pages keep the hashes of their ids, not the ids, so a site of
/// many thousand pages costs little memory. A collision could only let a broken fragment
/// pass, never fail a good one.
fn id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    // Fixed seeds: the same id gives the same hash on every thread and in every check.
    foldhash::fast::FixedState::default().hash_one(id)
}

/// The seeds of [`path_key`]'s two halves.
const PATH_SEEDS: [u64; 2] = [0x6f70_656e_7373_6331, 0x6c69_6e6b_7061_7468];

/// A 128-bit hash of a file's path: the planned paths are looked up by it, so that a lookup
/// (some twenty a page, a million at 50,000 initiatives) reads the table alone rather than
/// also the path's bytes elsewhere in memory (that read was most of the lookup's time in a
/// large build). Two paths with one key (one chance in 2^128 per pair) could only let a
/// broken link pass, never fail a good one.
fn path_key(path: &str) -> u128 {
    use std::hash::BuildHasher;
    let half = |seed| foldhash::quality::FixedState::with_seed(seed).hash_one(path);
    u128::from(half(PATH_SEEDS[1])) << 64 | u128::from(half(PATH_SEEDS[0]))
}

/// A link to an id on another page, checked once every page is known.
struct PendingFragment {
    page: String,
    link: String,
    target: String,
    fragment: String,
}

/// The link check of a site whose pages are rendered one by one (from any thread):
/// [`LinkChecker::page`] checks each page's links against the paths the build will write
/// and keeps its ids; [`LinkChecker::finish`] checks the links to ids on other pages.
pub struct LinkChecker {
    /// The planned paths' keys ([`path_key`]), looked up for every link of every page.
    paths: foldhash::HashSet<u128>,
    ids: Mutex<foldhash::HashMap<String, Vec<u64>>>,
    pending: Mutex<Vec<PendingFragment>>,
    broken: Mutex<Vec<BrokenLink>>,
    /// With [`LinkChecker::remembering`]: every page's links that resolved to a planned
    /// path, for [`LinkChecker::finish_incremental`] to check again when that page is kept.
    links: Option<Mutex<foldhash::HashMap<String, PageLinks>>>,
}

/// A page's internal links: the key of each target path ([`path_key`]), with the hash of
/// its fragment.
type PageLinks = Vec<(u128, Option<u64>)>;

/// What a link check leaves for the next one, when only some pages are made again: the
/// ids of every page and the internal links of every page (as hashes of the target path
/// and of the fragment).
#[derive(Debug, Default)]
pub struct LinkMemory {
    ids: foldhash::HashMap<String, Vec<u64>>,
    links: foldhash::HashMap<String, PageLinks>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LinkMemory {
    /// The ids of every page `memory` knows, without its links.
    pub fn with_ids_of(memory: &LinkMemory) -> LinkMemory {
        LinkMemory {
            ids: memory.ids.clone(),
            links: foldhash::HashMap::default(),
        }
    }
}

impl LinkChecker {
    /// A check against `paths`, every file the build writes.
    pub fn new(paths: impl IntoIterator<Item = String>) -> LinkChecker {
        LinkChecker {
            paths: paths.into_iter().map(|p| path_key(&p)).collect(),
            ids: Mutex::new(foldhash::HashMap::default()),
            pending: Mutex::new(Vec::new()),
            broken: Mutex::new(Vec::new()),
            links: None,
        }
    }

    /// Keeps every page's links, for [`LinkChecker::finish_incremental`].
    pub fn remembering(mut self) -> LinkChecker {
        self.links = Some(Mutex::new(foldhash::HashMap::default()));
        self
    }

    /// Checks the links of the page at `path` and keeps its ids. A page that is not UTF-8
    /// is read as text with the invalid bytes replaced (rendered pages always are UTF-8).
    pub fn page(&self, path: &str, html: &[u8]) {
        match attribute_values(html) {
            Some((ids, links)) => self.check_values(path, ids, links),
            None => {
                let text = String::from_utf8_lossy(html);
                let (ids, links) = attribute_values(text.as_bytes()).unwrap_or_default();
                self.check_values(path, ids, links);
            }
        }
    }

    /// Checks the links of the page at `path`, given its ids and links as written.
    fn check_values(&self, path: &str, ids: Vec<&str>, links: Vec<&str>) {
        let mut own_ids: Vec<u64> = ids.into_iter().map(|id| id_hash(&unescape(id))).collect();
        own_ids.sort_unstable();
        own_ids.dedup();
        let mut broken = Vec::new();
        let mut pending = Vec::new();
        let mut kept: PageLinks = Vec::new();
        // A page repeats many links (every row of a table links its countries): each
        // distinct one is checked once.
        let mut seen: HashSet<&str, foldhash::fast::RandomState> =
            HashSet::with_capacity_and_hasher(links.len().min(4096), foldhash::fast::RandomState::default());
        let depth = depth(path);
        for raw in links {
            if !seen.insert(raw) {
                continue;
            }
            let link = unescape(raw);
            let scheme = |s: &str| link.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s));
            if scheme("http://") || scheme("https://") || scheme("mailto:") {
                continue;
            }
            let mut report = |reason: String| {
                broken.push(BrokenLink {
                    page: path.to_owned(),
                    link: link.to_string(),
                    reason,
                })
            };
            if link.starts_with('/') || memchr::memchr(b':', link.as_bytes()).is_some() {
                report("internal links must be relative (the site must work from file://)".into());
                continue;
            }
            let (target, fragment) = match memchr::memchr(b'#', link.as_bytes()) {
                Some(hash) => (&link[..hash], Some(&link[hash + 1..])),
                None => (&*link, None),
            };
            let target = if target.is_empty() {
                Some(Cow::Borrowed(path))
            } else {
                resolve(path, depth, target)
            };
            let Some(target) = target else {
                report("the link climbs above the site root".into());
                continue;
            };
            let target_key = path_key(&target);
            if !self.paths.contains(&target_key) {
                let reason = if target.ends_with('/') || !target.rsplit('/').next().unwrap_or_default().contains('.') {
                    format!("{target} is not a file the build wrote (links must name a file, e.g. .../index.html)")
                } else {
                    format!("{target} is not a file the build wrote")
                };
                report(reason);
                continue;
            }
            let fragment = fragment.filter(|f| !f.is_empty());
            if self.links.is_some() {
                kept.push((target_key, fragment.map(id_hash)));
            }
            let Some(fragment) = fragment else {
                continue;
            };
            if *target == *path {
                if own_ids.binary_search(&id_hash(fragment)).is_err() {
                    report(format!("{target} has no element with id `{fragment}`"));
                }
            } else {
                pending.push(PendingFragment {
                    page: path.to_owned(),
                    link: link.to_string(),
                    target: target.into_owned(),
                    fragment: fragment.to_owned(),
                });
            }
        }
        if let Some(links) = &self.links {
            lock(links).insert(path.to_owned(), kept);
        }
        lock(&self.ids).insert(path.to_owned(), own_ids);
        if !pending.is_empty() {
            lock(&self.pending).append(&mut pending);
        }
        if !broken.is_empty() {
            lock(&self.broken).append(&mut broken);
        }
    }

    /// Like [`LinkChecker::finish`] when only some pages were made again: the pages of
    /// `previous` that were not made again but are still planned keep their ids, and their
    /// links are checked again against the planned paths and the ids of every page. Returns
    /// the broken links of the pages made and the paths of the kept pages that now hold a
    /// broken link (the caller checks those pages again from their files, for the message),
    /// and the memory for the next check.
    pub fn finish_incremental(self, previous: LinkMemory) -> (Vec<BrokenLink>, Vec<String>, LinkMemory) {
        let (paths, made_ids, mut made, pending, broken) = self.into_parts();
        let LinkMemory {
            ids: mut all_ids,
            links: old_links,
        } = previous;
        all_ids.retain(|path, _| paths.contains(&path_key(path)) && !made_ids.contains_key(path));
        all_ids.extend(made_ids);
        let kept_links: foldhash::HashMap<String, PageLinks> = old_links
            .into_iter()
            .filter(|(path, _)| all_ids.contains_key(path) && !made.contains_key(path))
            .collect();
        let ids_by_key: foldhash::HashMap<u128, &Vec<u64>> =
            all_ids.iter().map(|(p, ids)| (path_key(p), ids)).collect();
        let mut recheck: Vec<String> = kept_links
            .iter()
            .filter(|(_, links)| {
                links.iter().any(|(target, fragment)| {
                    !paths.contains(target)
                        || fragment
                            .is_some_and(|f| ids_by_key.get(target).is_none_or(|ids| ids.binary_search(&f).is_err()))
                })
            })
            .map(|(path, _)| path.clone())
            .collect();
        recheck.sort();
        // Pending fragments of the pages made are checked against every page's ids.
        let broken = check_pending(pending, broken, &all_ids);
        made.extend(kept_links);
        let memory = LinkMemory {
            ids: all_ids,
            links: made,
        };
        (broken, recheck, memory)
    }

    /// The memory of a check of every page (made with [`LinkChecker::remembering`]).
    pub fn finish_remembering(self) -> (Vec<BrokenLink>, LinkMemory) {
        let (_, ids, links, pending, broken) = self.into_parts();
        (check_pending(pending, broken, &ids), LinkMemory { ids, links })
    }

    /// Every broken link, sorted by page and link.
    pub fn finish(self) -> Vec<BrokenLink> {
        let (_, ids, _, pending, broken) = self.into_parts();
        check_pending(pending, broken, &ids)
    }

    /// The planned paths, every page's ids and remembered links, the pending fragments and
    /// the broken links found so far.
    #[allow(clippy::type_complexity)]
    fn into_parts(
        self,
    ) -> (
        foldhash::HashSet<u128>,
        foldhash::HashMap<String, Vec<u64>>,
        foldhash::HashMap<String, PageLinks>,
        Vec<PendingFragment>,
        Vec<BrokenLink>,
    ) {
        (
            self.paths,
            into_inner(self.ids),
            self.links.map(into_inner).unwrap_or_default(),
            into_inner(self.pending),
            into_inner(self.broken),
        )
    }
}

/// The value of a mutex, poisoned or not.
fn into_inner<T>(m: Mutex<T>) -> T {
    m.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Adds to `broken` the links to ids on other pages that `ids` does not have; sorts.
fn check_pending(
    pending: Vec<PendingFragment>,
    mut broken: Vec<BrokenLink>,
    ids: &foldhash::HashMap<String, Vec<u64>>,
) -> Vec<BrokenLink> {
    for p in pending {
        let found = ids
            .get(&p.target)
            .is_some_and(|set| set.binary_search(&id_hash(&p.fragment)).is_ok());
        if !found {
            broken.push(BrokenLink {
                reason: format!("{} has no element with id `{}`", p.target, p.fragment),
                page: p.page,
                link: p.link,
            });
        }
    }
    broken.sort_by(|a, b| (&a.page, &a.link).cmp(&(&b.page, &b.link)));
    broken.dedup();
    broken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_finds_ids_then_hrefs_then_srcs() {
        let html = r#"<p id="top" class="x"><a href="a.html" title="src=&quot;no&quot;">a</a><img src="b.png" alt="c" data-href="no"><a href="d.html#top">d</a><span id="">e</span>"#;
        let (ids, links) = attribute_values(html.as_bytes()).unwrap();
        assert_eq!(ids, ["top", ""]);
        assert_eq!(links, ["a.html", "d.html#top", "b.png"]);
        assert_eq!(attribute_values(b"<a href=\"open"), Some((vec![], vec![])));
        assert_eq!(
            attribute_values(b"<a href=\"x\xff.html\">"),
            None,
            "a value that is not UTF-8"
        );
        assert!(
            attribute_values(b"<p>\xff</p><a href=\"x.html\">").is_some(),
            "text that is not UTF-8"
        );
    }

    #[test]
    fn a_page_that_is_not_utf8_is_checked_as_text() {
        let mut bytes = b"<p>\xff</p><a href=\"index.html\">i</a> <a href=\"gone\xff.html\">g</a>".to_vec();
        let files = vec![OutputFile {
            path: "index.html".into(),
            bytes: std::mem::take(&mut bytes),
        }];
        let broken = check(&files);
        let links: Vec<&str> = broken.iter().map(|b| b.link.as_str()).collect();
        assert_eq!(links, ["gone\u{FFFD}.html"]);
    }

    fn page(path: &str, html: &str) -> OutputFile {
        OutputFile {
            path: path.into(),
            bytes: html.as_bytes().to_vec(),
        }
    }

    #[test]
    fn finds_missing_files_fragments_and_absolute_links() {
        let files = vec![
            page(
                "index.html",
                r#"<a href="projects/index.html">p</a> <a href="projects/index.html#list">l</a> <a href="https://x.org/">x</a>"#,
            ),
            page(
                "projects/index.html",
                r##"<h2 id="list">List</h2><a href="../index.html">home</a> <a href="#nowhere">n</a> <a href="/abs/index.html">a</a> <a href="x/">d</a>"##,
            ),
            page("style.css", "body{}"),
        ];
        let broken = check(&files);
        let links: Vec<&str> = broken.iter().map(|b| b.link.as_str()).collect();
        assert_eq!(links, ["#nowhere", "/abs/index.html", "x/"]);
        assert!(broken[2].reason.contains("must name a file"));
    }

    #[test]
    fn decodes_character_references_in_links() {
        assert_eq!(unescape("..&#x2f;a&amp;b&#39;&#47;"), "../a&b'/");
        assert_eq!(unescape("a & b"), "a & b");
    }

    fn resolve(page: &str, link: &str) -> Option<String> {
        super::resolve(page, depth(page), link).map(Cow::into_owned)
    }

    #[test]
    fn paths_of_a_large_site_have_distinct_keys_with_independent_halves() {
        let paths: Vec<String> = (0..100_000)
            .flat_map(|i| {
                [
                    format!("projects/project-{i:06}/index.html"),
                    format!("projects/project-{i:06}/project-{i:06}.json"),
                ]
            })
            .collect();
        let keys: HashSet<u128> = paths.iter().map(|p| path_key(p)).collect();
        assert_eq!(keys.len(), paths.len());
        // Each half alone tells the paths apart too, and the halves are not one hash twice.
        let lows: HashSet<u64> = keys.iter().map(|&k| k as u64).collect();
        let highs: HashSet<u64> = keys.iter().map(|&k| (k >> 64) as u64).collect();
        assert_eq!((lows.len(), highs.len()), (paths.len(), paths.len()));
        assert!(keys.iter().all(|&k| k as u64 != (k >> 64) as u64));
    }

    #[test]
    fn resolves_relative_paths() {
        assert_eq!(
            resolve("a/b/index.html", "../../c/index.html").as_deref(),
            Some("c/index.html")
        );
        assert_eq!(resolve("index.html", "../x.html"), None);
        assert_eq!(
            resolve("a/b/index.html", "../../c/d/e.html").as_deref(),
            Some("c/d/e.html")
        );
        assert_eq!(resolve("a/b/index.html", "../c.html").as_deref(), Some("a/c.html"));
        assert_eq!(
            resolve("a/b/index.html", "../../c/./d.html").as_deref(),
            Some("c/d.html")
        );
        assert_eq!(resolve("a/b/index.html", "../../../x.html"), None);
        assert_eq!(resolve("a/index.html", "../x/../y.html").as_deref(), Some("y.html"));
        assert_eq!(resolve("index.html", "x/").as_deref(), Some("x"));
        // Empty segments (a doubled or final `/`) take the slow path, which drops them.
        assert_eq!(
            resolve("a/b/index.html", "../../c//d.html").as_deref(),
            Some("c/d.html")
        );
        assert_eq!(resolve("a/b/index.html", "../../c/").as_deref(), Some("c"));
        assert_eq!(resolve("a/b/index.html", "../../c/..").as_deref(), Some(""));
    }
}
