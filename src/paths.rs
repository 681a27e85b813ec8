//! Where the page of each record goes in the output, relative to a language's root: one
//! place for the site's layout, which pages, links, data files, tables and the sitemap all
//! name.
//!
//! A record's page is a file beside its collection's list, `projects/<id>.html` next to
//! `projects/index.html` (Hugo's `uglyURLs` layout), and an initiative's JSON file sits
//! beside its page as `projects/<id>.json`. Pages that are not a record's (home, lists,
//! about, data, the report's editions, chapters and figures) stay `<name>/index.html`.
//!
//! Why not `projects/<id>/index.html`, as until the thirty-second performance session
//! (docs/PERFORMANCE.md): a folder per page cost each of the 11,000 pages of a site of
//! 10,000 initiatives a `mkdir`, which on ext4 allocates an inode and a block and fills
//! the block (15 % of a build's samples there, a third of the kernel's share). A file
//! links the same from `file://` and over HTTP; the links always named the file.
//!
//! Invariant: no record page has the path of a list page. A record whose id is `index`
//! would (`projects/index.html`): `load` refuses that id for initiatives, actors and
//! funds; countries (ISO codes), sectors (the vocabulary's ids) and goals (numbers) never
//! have it.

use std::fmt::Display;

use crate::load::Collection;

/// The page of initiative `id`.
pub fn project_page(id: &str) -> String {
    format!("projects/{id}.html")
}

/// The JSON file of initiative `id`: beside its page, as a Hugo page's other output formats
/// sit beside it, and named after it, so that files saved from several pages keep apart.
/// Not under `data/`, whose files the data archive holds: its bytes are the initiative's item
/// in `records.json` (with a final newline), which the archive holds.
///
/// Why not `data/projects/<id>.json`, where they were until the thirtieth performance
/// session (docs/PERFORMANCE.md): the archive held each initiative's deflated record twice.
pub fn project_data(id: &str) -> String {
    format!("projects/{id}.json")
}

/// Whether `path` is an initiative's JSON file ([`project_data`]).
pub fn is_project_data(path: &str) -> bool {
    path.strip_prefix("projects/")
        .and_then(|file| file.strip_suffix(".json"))
        .is_some_and(crate::load::is_valid_id)
}

/// The page of actor `id`.
pub fn actor_page(id: &str) -> String {
    format!("actors/{id}.html")
}

/// The page of the country with ISO code `code` (in lower case in the path).
pub fn country_page(code: &str) -> String {
    format!("countries/{}.html", code.to_lowercase())
}

/// The page of sector `id`.
pub fn sector_page(id: &str) -> String {
    format!("sectors/{id}.html")
}

/// The page of Sustainable Development Goal `number`.
pub fn sdg_page(number: impl Display) -> String {
    format!("sdgs/{number}.html")
}

/// The page of fund `id`.
pub fn fund_page(id: &str) -> String {
    format!("funds/{id}.html")
}

/// The collection and id of the record whose page is `path` (the inverse of
/// [`project_page`], [`actor_page`] and [`fund_page`]), if it is one.
pub fn record_of_page(path: &str) -> Option<(Collection, &str)> {
    let (folder, file) = path.split_once('/')?;
    let id = file.strip_suffix(".html").filter(|id| !id.contains('/'))?;
    let collection = Collection::ALL
        .into_iter()
        .find(|c| c.has_pages() && c.folder() == folder)?;
    Some((collection, id))
}

/// Ids that a record of a collection with pages may not have: its page would be the
/// collection's list page.
pub const RESERVED_IDS: [&str; 1] = ["index"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_pages_are_files_beside_their_lists() {
        assert_eq!(project_page("a-1"), "projects/a-1.html");
        assert_eq!(project_data("a-1"), "projects/a-1.json");
        assert_eq!(actor_page("gov-col"), "actors/gov-col.html");
        assert_eq!(country_page("COL"), "countries/col.html");
        assert_eq!(sector_page("health"), "sectors/health.html");
        assert_eq!(sdg_page(3u8), "sdgs/3.html");
        assert_eq!(fund_page("ibsa"), "funds/ibsa.html");
    }

    #[test]
    fn a_record_is_found_from_its_page() {
        assert_eq!(record_of_page(&project_page("a-1")), Some((Collection::Project, "a-1")));
        assert_eq!(
            record_of_page(&actor_page("gov-col")),
            Some((Collection::Actor, "gov-col"))
        );
        assert_eq!(record_of_page(&fund_page("ibsa")), Some((Collection::Fund, "ibsa")));
        for other in [
            "projects/a-1.json",
            "countries/col.html",
            "reports/2011/index.html",
            "projects/a/b.html",
        ] {
            assert_eq!(record_of_page(other), None, "{other}");
        }
    }

    #[test]
    fn an_initiatives_json_file_is_told_by_its_path() {
        assert!(is_project_data(&project_data("a-1")));
        for other in [
            "projects/index.html",
            "projects/a-1.html",
            "data/records.json",
            "es/projects/a-1.json",
        ] {
            assert!(!is_project_data(other), "{other}");
        }
    }
}
