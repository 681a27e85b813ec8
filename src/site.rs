//! Assembling the site: every page and file of the output, in memory, in a fixed order.
//!
//! Invariant: no I/O; the same dataset, schemas, theme and build info give the same
//! files with the same bytes.

use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use serde_json::json;

use crate::diagnostics::Diagnostic;
use crate::linkcheck::LinkChecker;
use crate::model::Dataset;
use crate::opendata::{Sources, sums};
use crate::render::views::{Index, PageJob, Views};
use crate::render::{BuildInfo, OutputFile, Renderer, SiteLanguage, Theme};
use crate::schema::SchemaSet;
use crate::write::Staging;

/// Follows a build: the stages as they start and end, and the pages as they are written.
/// Every method has a default that does nothing.
pub trait Progress: Sync {
    /// A stage begins (`render`, `open data`, ...).
    fn stage(&self, _name: &'static str) {}
    /// A stage ended after `_elapsed`.
    fn stage_done(&self, _name: &'static str, _elapsed: std::time::Duration) {}
    /// `_pages` more pages are to be written.
    fn add_pages(&self, _pages: u64) {}
    /// One page was written.
    fn page_done(&self) {}
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Why a build stopped before its site was complete.
#[derive(Debug)]
pub enum BuildFailure {
    /// Templates failed: diagnostics on the templates.
    Diagnostics(Vec<Diagnostic>),
    /// Links the pages wrote do not resolve.
    BrokenLinks(Vec<crate::linkcheck::BrokenLink>),
    /// Writing failed.
    Io(crate::Error),
}

/// Runs `f` as the stage `name` of `progress`.
pub(crate) fn stage<T>(progress: &dyn Progress, name: &'static str, f: impl FnOnce() -> T) -> T {
    progress.stage(name);
    let start = std::time::Instant::now();
    let out = f();
    progress.stage_done(name, start.elapsed());
    out
}

/// Makes every file of the site and writes it into `staging` as it is made, pages in
/// parallel, so that a large site is never held in memory whole; checks every internal
/// link on the way. The last file written is `data/SHA256SUMS`, the checksums of all the
/// others. `sources` are the site's source files the data archive holds (read by the caller).
///
/// Each language's pages sit under its prefix (none for the default language, `es/` for
/// Spanish); the data downloads and static files are shared by all languages. The caller
/// commits `staging` only when this succeeds.
pub fn write_site(
    dataset: &Dataset,
    schemas: &SchemaSet,
    theme: &Theme,
    build: &BuildInfo,
    sources: &Sources,
    staging: &Staging,
    progress: &dyn Progress,
) -> Result<(), BuildFailure> {
    let config = &dataset.config;
    let languages = site_languages(config, theme);
    let index = stage(progress, "index", || Index::new(dataset));
    let default_locale = Arc::new(theme.locale(&config.default_language));
    let default_views = Views {
        data: dataset,
        schemas,
        locale: &default_locale,
        index: &index,
    };
    let (report_data, open_data) = stage(progress, "open data", || {
        let report_data = crate::render::report::edition_data_files(&default_views);
        let open_data = crate::opendata::OpenData::build(&default_views, build, &report_data, sources);
        (report_data, open_data)
    });
    // With a trailing slash, so that `base_url ~ page.path` is a URL.
    let base = config
        .base_url
        .as_ref()
        .map(|b| if b.ends_with('/') { b.clone() } else { format!("{b}/") });

    // Every page as a job, with every path the build writes known before the first page is
    // made: the link check needs them. Every language has the same pages; the other
    // languages' jobs are made when their turn comes, so only one language's lists are held.
    let jobs_of = |locale: &Arc<crate::locale::Locale>| {
        let views = Views {
            data: dataset,
            schemas,
            locale,
            index: &index,
        };
        let mut jobs = views.jobs();
        jobs.push(PageJob::Ready(Box::new(open_data.page(&views))));
        jobs
    };
    let locales: Vec<Arc<crate::locale::Locale>> = languages
        .iter()
        .map(|language| {
            if language.code == config.default_language {
                Arc::clone(&default_locale)
            } else {
                Arc::new(theme.locale(&language.code))
            }
        })
        .collect();
    let mut default_jobs = Some(stage(progress, "plan", || jobs_of(&default_locale)));
    let page_paths: Vec<String> = default_jobs.iter().flatten().map(PageJob::path).collect();
    let mut planned: Vec<String> = Vec::new();
    for language in &languages {
        planned.extend(page_paths.iter().map(|p| format!("{}{p}", language.prefix)));
    }
    planned.extend(open_data.files.iter().map(|f| f.path.clone()));
    planned.extend(report_data.iter().map(|f| f.path.clone()));
    planned.extend(theme.static_files.keys().map(|name| format!("static/{name}")));
    planned.extend(["robots.txt".to_owned(), sums::PATH.to_owned()]);
    if base.is_some() {
        planned.push("sitemap.xml".into());
        if build.date.is_some() {
            planned.push("feed.xml".into());
        }
    }
    let mut charts: Vec<Vec<OutputFile>> = Vec::new();
    for locale in &locales {
        let views = Views {
            data: dataset,
            schemas,
            locale,
            index: &index,
        };
        let prefix = languages
            .iter()
            .find(|l| l.code == locale.lang)
            .map_or("", |l| l.prefix.as_str());
        charts.push(crate::render::report::edition_chart_files(&views, prefix));
    }
    planned.extend(charts.iter().flatten().map(|f| f.path.clone()));
    let links = LinkChecker::new(planned);
    progress.add_pages((page_paths.len() * languages.len()) as u64);

    let io_error: Mutex<Option<crate::Error>> = Mutex::new(None);
    let write = |path: &str, bytes: &[u8]| {
        if let Err(e) = staging.write(path, bytes) {
            io_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert(e);
        }
    };
    let template_problems: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());
    stage(progress, "render", || {
        for (locale, language) in locales.iter().zip(&languages) {
            let jobs = match default_jobs.take().filter(|_| language.code == config.default_language) {
                Some(jobs) => jobs,
                None => jobs_of(locale),
            };
            let views = Views {
                data: dataset,
                schemas,
                locale,
                index: &index,
            };
            let (title, title_lang) = config.title_in(&language.code);
            let description = config.description_in(&language.code);
            let site = json!({
                "title": title,
                "title_lang": (title_lang != language.code).then_some(title_lang),
                "description": description.map(|d| d.0),
                "description_lang": description.and_then(|d| (d.1 != language.code).then_some(d.1)),
                "lang": language.code,
                "base_url": base,
                "has_feed": base.is_some() && build.date.is_some(),
            });
            let renderer = match Renderer::new(theme, site, build, locale, &languages) {
                Ok(r) => r,
                Err(mut d) => {
                    template_problems
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .append(&mut d);
                    return;
                }
            };
            jobs.into_par_iter().for_each(|job| {
                match renderer.render(views.page(job)) {
                    Ok(page) => {
                        links.page(&page.path, &String::from_utf8_lossy(&page.bytes));
                        write(&page.path, &page.bytes);
                    }
                    Err(d) => template_problems
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(d),
                }
                progress.page_done();
            });
        }
    });
    let mut problems = template_problems
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !problems.is_empty() {
        crate::diagnostics::sort(&mut problems);
        problems.dedup_by(|a, b| a.file == b.file && a.line == b.line && a.message == b.message);
        return Err(BuildFailure::Diagnostics(problems));
    }
    let broken = stage(progress, "links", || links.finish());
    if !broken.is_empty() {
        return Err(BuildFailure::BrokenLinks(broken));
    }

    stage(progress, "write data", || {
        open_data
            .files
            .par_iter()
            .chain(report_data.par_iter())
            .for_each(|f| write(&f.path, &f.bytes));
        charts.par_iter().flatten().for_each(|f| write(&f.path, &f.bytes));
        for (name, bytes) in &theme.static_files {
            write(&format!("static/{name}"), bytes);
        }
        let mut robots = String::from("User-agent: *\nAllow: /\n");
        if let Some(base) = &base {
            robots.push_str(&format!("Sitemap: {base}sitemap.xml\n"));
            write("sitemap.xml", sitemap(base, &page_paths, &languages).as_bytes());
            if let Some(date) = &build.date {
                write("feed.xml", feed(base, &default_views, date).as_bytes());
            }
        }
        write("robots.txt", robots.as_bytes());
    });
    if let Some(e) = io_error.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
        return Err(BuildFailure::Io(e));
    }
    stage(progress, "checksums", || {
        staging.write(sums::PATH, sums::text(staging.digests()).as_bytes())
    })
    .map_err(BuildFailure::Io)
}

/// The site's languages, the default first, then in the order of `languages`.
pub fn site_languages(config: &crate::config::SiteConfig, theme: &Theme) -> Vec<SiteLanguage> {
    let mut codes: Vec<&String> = vec![&config.default_language];
    codes.extend(config.languages.iter().filter(|l| **l != config.default_language));
    codes
        .into_iter()
        .map(|code| SiteLanguage {
            code: code.clone(),
            name: theme.text(code, "language.name").unwrap_or(code).to_owned(),
            prefix: if *code == config.default_language {
                String::new()
            } else {
                format!("{code}/")
            },
        })
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Every page in every language, each with its alternates in the other languages
/// (`xhtml:link rel="alternate" hreflang`).
fn sitemap(base: &str, paths: &[String], languages: &[SiteLanguage]) -> String {
    let mut paths: Vec<&str> = paths.iter().map(String::as_str).filter(|p| *p != "404.html").collect();
    paths.sort_unstable();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for path in paths {
        for language in languages {
            xml.push_str(&format!(
                "  <url>\n    <loc>{}</loc>\n",
                xml_escape(&format!("{base}{}{path}", language.prefix))
            ));
            if languages.len() > 1 {
                for alternate in languages {
                    xml.push_str(&format!(
                        "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>\n",
                        alternate.code,
                        xml_escape(&format!("{base}{}{path}", alternate.prefix))
                    ));
                }
            }
            xml.push_str("  </url>\n");
        }
    }
    xml.push_str("</urlset>\n");
    xml
}

/// An Atom feed with one entry per project.
fn feed(base: &str, views: &Views<'_>, date: &str) -> String {
    let data = views.data;
    let lang = &data.config.default_language;
    let updated = format!("{date}T00:00:00Z");
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{lang}\">\n  <title>{}</title>\n  <id>{}</id>\n  <link rel=\"self\" href=\"{}\"/>\n  <link rel=\"alternate\" href=\"{}\"/>\n  <updated>{updated}</updated>\n  <author><name>{}</name></author>\n",
        xml_escape(&data.config.title),
        xml_escape(base),
        xml_escape(&format!("{base}feed.xml")),
        xml_escape(&format!("{base}index.html")),
        xml_escape(&data.config.title),
    );
    for p in data.projects.values() {
        let url = format!("{base}projects/{}/index.html", p.id);
        xml.push_str(&format!(
            "  <entry>\n    <title>{}</title>\n    <id>{}</id>\n    <link href=\"{}\"/>\n    <updated>{updated}</updated>\n    <summary>{}</summary>\n  </entry>\n",
            xml_escape(&crate::locale::strip_marks(&views.field(p, "title", &p.data.title))),
            xml_escape(&url),
            xml_escape(&url),
            xml_escape(&crate::locale::strip_marks(&views.field(p, "summary", &p.data.summary))),
        ));
    }
    xml.push_str("</feed>\n");
    xml
}

/// `YYYY-MM-DD` (UTC) of a Unix time, by the days-from-civil algorithm.
pub fn civil_date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(1_700_000_000), "2023-11-14");
        assert_eq!(civil_date(951_782_400), "2000-02-29");
    }
}
