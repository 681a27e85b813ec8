//! `openssc serve`: builds the site, serves it over HTTP for previewing, watches the site's
//! files, rebuilds on change and reloads the open browser pages.
//!
//! Three parts:
//! - **Building** goes through the [`Rebuild`] trait.
//!   [`IncrementalBuild`](crate::incremental::IncrementalBuild) builds in full first and
//!   after changes outside `content/`, and otherwise makes again only what a change
//!   affects, the open data last ([`Rebuild::settle`]).
//! - **Watching** uses `notify` on `content/`, `schemas/`, `themes/`, `templates/`, `static/`,
//!   `i18n/` (recursively, those that exist) and on the site folder itself (not recursively:
//!   `openssc.toml`, and one of those folders appearing or disappearing). Bursts of events are
//!   coalesced: a rebuild starts once [`QUIET`] has passed without a new event.
//! - **Serving** uses `tiny_http` with [`WORKERS`] threads. Each HTML response gets a small
//!   inline script before `</body>` (only in the response, never on disk) that polls
//!   [`STATUS_PATH`] and reloads the page when a new build is served, or shows the
//!   diagnostics in an overlay while the content is invalid.
//!
//! Invariants:
//! - **Only files under the output folder are served**: the request path is percent-decoded,
//!   any `..`, backslash, `:` or NUL is refused (400), dot-files are not served, and the
//!   canonical path of the file must lie under the canonical output folder.
//! - **GET and HEAD only**; anything else is 405 with `Allow: GET, HEAD`.
//! - **The last good site keeps being served.** A failed build leaves the output untouched
//!   (`build_site` writes nothing then); its diagnostics go to the terminal (through the
//!   caller's [`Event`] callback) and to [`STATUS_PATH`].
//! - **The library does not print.** Everything worth saying is an [`Event`]; `main.rs`
//!   prints it.
//! - **Stops cleanly**: once `stop` is set, the workers and the watcher end within
//!   [`POLL`] (or when the build in progress ends), the threads are joined, and a temporary
//!   output folder is removed.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};
use tiny_http::{Header, Method, Request, Response, StatusCode};

use crate::config::CONFIG_FILE;
use crate::diagnostics::Diagnostic;
use crate::error::Error;
use crate::{BuildOptions, BuildOutcome};

/// The folders of a site that a rebuild depends on, watched recursively when they exist.
pub const WATCHED_DIRS: &[&str] = &["content", "schemas", "themes", "templates", "static", "i18n"];
/// The build status, as JSON, for the live-reload script.
pub const STATUS_PATH: &str = "/__openssc/status";
/// How long the files must stay quiet after a change before the rebuild starts.
pub const QUIET: Duration = Duration::from_millis(150);
/// The longest a burst of changes may delay a rebuild.
pub const MAX_DELAY: Duration = Duration::from_secs(2);
/// How often the threads look at the `stop` flag.
pub const POLL: Duration = Duration::from_millis(200);
/// HTTP worker threads.
pub const WORKERS: usize = 4;
/// At most this many diagnostics are sent to the browser (the terminal gets them all).
const MAX_STATUS_DIAGNOSTICS: usize = 200;

/// What changed since the last build.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    /// The first build of the session: everything must be built.
    pub initial: bool,
    /// Site-relative, `/`-separated paths that were created, written, renamed or removed.
    pub paths: Vec<String>,
}

/// Builds the site into the output folder. Implementations must leave the previous output
/// untouched when they return anything but [`BuildOutcome::Built`].
pub trait Rebuild {
    fn rebuild(&mut self, changes: &Changes) -> Result<BuildOutcome, Error>;

    /// Finishes what a successful [`Rebuild::rebuild`] left for later (the open data of an
    /// incremental build), once the browsers have been told to reload; `None` when there
    /// is nothing to do.
    fn settle(&mut self) -> Option<Result<BuildOutcome, Error>> {
        None
    }
}

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The site folder.
    pub root: PathBuf,
    /// Where to build; `None`: a fresh temporary folder, removed when serving stops.
    pub output: Option<PathBuf>,
    /// The address to listen on (port 0: any free port).
    pub addr: SocketAddr,
    /// Build options (strictness, build date).
    pub build: BuildOptions,
}

/// What happens while serving, for the caller to tell the user.
#[derive(Debug)]
pub enum Event<'a> {
    /// Files changed; a rebuild starts.
    Changed { paths: &'a [String] },
    /// A build succeeded and is now served.
    Built {
        generation: u64,
        files: usize,
        warnings: &'a [Diagnostic],
        elapsed: Duration,
    },
    /// The open data of the last build (made after its pages) is written too.
    Settled { elapsed: Duration },
    /// The content is invalid: the previous site is still served.
    Failed {
        diagnostics: &'a [Diagnostic],
        elapsed: Duration,
    },
    /// The build could not run (I/O, no configuration...): the previous site is still served.
    BuildError { error: &'a Error, elapsed: Duration },
    /// The server listens (sent once, after the first build). `url` is the address listened
    /// on; `browse_url` the one to open in a browser on this machine.
    Listening {
        url: String,
        browse_url: String,
        output: &'a Path,
    },
    /// The watcher reported a problem (changes may be missed).
    WatchError(String),
}

/// Serves the site described by `options`, rebuilding on every change only what it
/// affects ([`IncrementalBuild`](crate::incremental::IncrementalBuild)), until `stop` is
/// set. See [`serve_with`].
pub fn serve(options: &ServeOptions, stop: &AtomicBool, report: &mut dyn FnMut(Event<'_>)) -> Result<(), Error> {
    // The temporary folder is private (0700) and removed when dropped, on every return.
    let temporary = match &options.output {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("openssc-serve-")
                .tempdir()
                .map_err(|e| Error::Write(std::env::temp_dir(), e))?,
        ),
    };
    let output = match (&options.output, &temporary) {
        (Some(o), _) => o.clone(),
        (None, Some(t)) => t.path().join("site"),
        (None, None) => unreachable!(),
    };
    // The absolute root: the build must not depend on the working directory staying valid.
    let root = std::fs::canonicalize(&options.root).map_err(|e| Error::Io(options.root.clone(), e))?;
    if !root.join(CONFIG_FILE).is_file() {
        return Err(Error::NoConfig(options.root.clone()));
    }
    let mut builder = crate::incremental::IncrementalBuild::new(root.clone(), output.clone(), options.build.clone());
    serve_with(&root, &output, options.addr, &mut builder, stop, report)
}

/// The build state shared with the HTTP workers.
struct Status {
    /// The number of successful builds: the live-reload script reloads when it changes.
    generation: u64,
    /// `/__openssc/status`, ready to send.
    json: String,
}

impl Status {
    fn new(generation: u64, ok: bool, diagnostics: &[Diagnostic]) -> Status {
        let shown = &diagnostics[..diagnostics.len().min(MAX_STATUS_DIAGNOSTICS)];
        let json = serde_json::json!({
            "generation": generation,
            "ok": ok,
            "total": diagnostics.len(),
            "diagnostics": shown,
        })
        .to_string();
        Status { generation, json }
    }
}

/// Builds into `output` with `builder`, serves `output` on `addr`, and rebuilds on every
/// change of the site at `root`, until `stop` is set. Returns an error only when serving
/// cannot start (the address is taken, the site cannot be watched); build problems are
/// reported through `report` and do not stop serving.
pub fn serve_with(
    root: &Path,
    output: &Path,
    addr: SocketAddr,
    builder: &mut dyn Rebuild,
    stop: &AtomicBool,
    report: &mut dyn FnMut(Event<'_>),
) -> Result<(), Error> {
    let root_abs = std::fs::canonicalize(root).map_err(|e| Error::Io(root.to_path_buf(), e))?;
    let output_abs = absolute(output);
    let server = tiny_http::Server::http(addr).map_err(|e| Error::Serve(format!("cannot listen on {addr}: {e}")))?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| Error::Serve(format!("cannot listen on {addr}: not an IP address")))?;
    let server = Arc::new(server);
    let status = Arc::new(RwLock::new(Status::new(0, false, &[])));
    // The workers stop on `stop` or on `done` (set when this function returns early).
    let done = Arc::new(AtomicBool::new(false));

    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx).map_err(|e| Error::Serve(format!("cannot watch files: {e}")))?;
    watcher
        .watch(&root_abs, RecursiveMode::NonRecursive)
        .map_err(|e| Error::Serve(format!("cannot watch {}: {e}", root_abs.display())))?;
    let mut watched = BTreeSet::new();
    sync_watches(&mut watcher, &root_abs, &mut watched, report);

    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            let (server, status, done, output) = (&server, &status, &done, &output_abs);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) && !done.load(Ordering::Relaxed) {
                    match server.recv_timeout(POLL) {
                        Ok(Some(request)) => handle(request, output, status),
                        Ok(None) => {}
                        Err(_) => std::thread::sleep(POLL),
                    }
                }
            });
        }
        let result = watch_and_build(
            &root_abs,
            &output_abs,
            bound,
            builder,
            &rx,
            &mut watcher,
            &mut watched,
            &status,
            stop,
            report,
        );
        done.store(true, Ordering::Relaxed);
        result
    })
}

/// The build loop: the first build, then one build per burst of relevant changes.
#[allow(clippy::too_many_arguments)]
fn watch_and_build(
    root: &Path,
    output: &Path,
    bound: SocketAddr,
    builder: &mut dyn Rebuild,
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    watcher: &mut notify::RecommendedWatcher,
    watched: &mut BTreeSet<String>,
    status: &RwLock<Status>,
    stop: &AtomicBool,
    report: &mut dyn FnMut(Event<'_>),
) -> Result<(), Error> {
    let mut generation = 0;
    let initial = Changes {
        initial: true,
        paths: Vec::new(),
    };
    run_build(builder, &initial, &mut generation, status, report);
    report(Event::Listening {
        url: format!("http://{bound}/"),
        browse_url: format!("http://{}/", browse_addr(bound)),
        output,
    });
    while !stop.load(Ordering::Relaxed) {
        let mut changed = BTreeSet::new();
        match rx.recv_timeout(POLL) {
            Ok(event) => collect(event, root, output, &mut changed, report),
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return Err(Error::Serve("the file watcher stopped".into())),
        }
        if changed.is_empty() {
            continue;
        }
        // Coalesce the burst: wait until the files stay quiet for QUIET.
        let started = Instant::now();
        while started.elapsed() < MAX_DELAY && !stop.load(Ordering::Relaxed) {
            match rx.recv_timeout(QUIET) {
                Ok(event) => collect(event, root, output, &mut changed, report),
                Err(_) => break,
            }
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        sync_watches(watcher, root, watched, report);
        let changes = Changes {
            initial: false,
            paths: changed.into_iter().collect(),
        };
        report(Event::Changed { paths: &changes.paths });
        run_build(builder, &changes, &mut generation, status, report);
    }
    Ok(())
}

/// Runs one build, publishes its status and reports it.
fn run_build(
    builder: &mut dyn Rebuild,
    changes: &Changes,
    generation: &mut u64,
    status: &RwLock<Status>,
    report: &mut dyn FnMut(Event<'_>),
) {
    let start = Instant::now();
    let outcome = builder.rebuild(changes);
    let elapsed = start.elapsed();
    let set = |s: Status| *status.write().unwrap_or_else(|e| e.into_inner()) = s;
    match outcome {
        Ok(BuildOutcome::Built { files, warnings }) => {
            *generation += 1;
            set(Status::new(*generation, true, &warnings));
            report(Event::Built {
                generation: *generation,
                files,
                warnings: &warnings,
                elapsed,
            });
        }
        Ok(BuildOutcome::Failed(diagnostics)) => {
            set(Status::new(*generation, false, &diagnostics));
            report(Event::Failed {
                diagnostics: &diagnostics,
                elapsed,
            });
        }
        Err(error) => {
            let diagnostic = Diagnostic::error("", 0, 0, "build", error.to_string());
            set(Status::new(*generation, false, &[diagnostic]));
            report(Event::BuildError { error: &error, elapsed });
        }
    }
    // What the build left for later (the open data), now that the pages are served.
    let start = Instant::now();
    match builder.settle() {
        None => {}
        Some(Ok(BuildOutcome::Built { .. })) => report(Event::Settled {
            elapsed: start.elapsed(),
        }),
        Some(Ok(BuildOutcome::Failed(diagnostics))) => {
            set(Status::new(*generation, false, &diagnostics));
            report(Event::Failed {
                diagnostics: &diagnostics,
                elapsed: start.elapsed(),
            });
        }
        Some(Err(error)) => {
            let diagnostic = Diagnostic::error("", 0, 0, "build", error.to_string());
            set(Status::new(*generation, false, &[diagnostic]));
            report(Event::BuildError {
                error: &error,
                elapsed: start.elapsed(),
            });
        }
    }
}

/// Where a browser on this machine reaches a server bound to `bound`.
fn browse_addr(bound: SocketAddr) -> SocketAddr {
    match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::from(([127, 0, 0, 1], bound.port())),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, bound.port())),
        _ => bound,
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Watches each of [`WATCHED_DIRS`] that exists, and forgets those that are gone.
fn sync_watches(
    watcher: &mut notify::RecommendedWatcher,
    root: &Path,
    watched: &mut BTreeSet<String>,
    report: &mut dyn FnMut(Event<'_>),
) {
    for name in WATCHED_DIRS {
        let dir = root.join(name);
        let exists = dir.is_dir();
        if exists && !watched.contains(*name) {
            match watcher.watch(&dir, RecursiveMode::Recursive) {
                Ok(()) => {
                    watched.insert(name.to_string());
                }
                Err(e) => report(Event::WatchError(format!("cannot watch {}: {e}", dir.display()))),
            }
        } else if !exists && watched.remove(*name) {
            let _ = watcher.unwatch(&dir);
        }
    }
}

/// Adds the site-relative paths of a watcher event that matter to `changed`.
fn collect(
    event: notify::Result<notify::Event>,
    root: &Path,
    output: &Path,
    changed: &mut BTreeSet<String>,
    report: &mut dyn FnMut(Event<'_>),
) {
    let event = match event {
        Ok(e) => e,
        Err(e) => {
            report(Event::WatchError(e.to_string()));
            return;
        }
    };
    if !kind_matters(&event.kind) {
        return;
    }
    for path in &event.paths {
        if let Some(relative) = relevant(root, output, path) {
            changed.insert(relative);
        }
    }
}

/// Writes, creations, removals and renames matter; reads (the build's own) and metadata
/// changes (access times) do not.
fn kind_matters(kind: &EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, ModifyKind};
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        _ => true,
    }
}

/// The site-relative path of `path` if a change there can change the site: under one of
/// [`WATCHED_DIRS`] or the configuration, not in the output, not a dot-file or an editor's
/// temporary file.
fn relevant(root: &Path, output: &Path, path: &Path) -> Option<String> {
    if path.starts_with(output) {
        return None;
    }
    let relative = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let (first, name) = (parts.first()?, parts.last()?);
    let top = if parts.len() == 1 {
        first == CONFIG_FILE || WATCHED_DIRS.contains(&first.as_str())
    } else {
        WATCHED_DIRS.contains(&first.as_str())
    };
    let temporary = name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913";
    if !top || temporary || parts.iter().any(|p| p.starts_with('.')) {
        return None;
    }
    Some(parts.join("/"))
}

// ---------------------------------------------------------------------------------------
// HTTP

/// Answers one request.
fn handle(request: Request, output: &Path, status: &RwLock<Status>) {
    let response = match request.method() {
        Method::Get | Method::Head => respond(request.url(), output, status),
        _ => Reply::new(
            405,
            "text/plain; charset=utf-8",
            b"405 Method Not Allowed: only GET and HEAD\n".to_vec(),
        )
        .header("Allow", "GET, HEAD"),
    };
    let _ = request.respond(response.into_response());
}

/// A response being built.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Body,
}

enum Body {
    Bytes(Vec<u8>),
    File(std::fs::File),
}

impl Reply {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type", content_type.to_owned())],
            body: Body::Bytes(body),
        }
    }

    fn text(status: u16, text: &str) -> Reply {
        Reply::new(
            status,
            "text/plain; charset=utf-8",
            format!("{status} {text}\n").into_bytes(),
        )
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    fn into_response(self) -> Response<Box<dyn std::io::Read + Send>> {
        let (reader, length): (Box<dyn std::io::Read + Send>, Option<usize>) = match self.body {
            Body::Bytes(b) => {
                let n = b.len();
                (Box::new(std::io::Cursor::new(b)), Some(n))
            }
            Body::File(f) => {
                let n = f.metadata().ok().and_then(|m| usize::try_from(m.len()).ok());
                (Box::new(f), n)
            }
        };
        let mut headers: Vec<Header> = self
            .headers
            .iter()
            .filter_map(|(name, value)| Header::from_bytes(name.as_bytes(), value.as_bytes()).ok())
            .collect();
        for (name, value) in [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")] {
            headers.extend(Header::from_bytes(name, value).ok());
        }
        // Content-Length whenever the length is known (HEAD answers say how long GET is).
        Response::new(StatusCode(self.status), headers, reader, length, None).with_chunked_threshold(usize::MAX)
    }
}

/// What a request path names.
#[derive(Debug, PartialEq)]
enum Target {
    /// A file under the output folder, by its decoded path segments.
    File(Vec<String>),
    /// A folder requested without its final `/`: redirect (relative links need it).
    Redirect(String),
    Status,
    NotFound,
    BadRequest,
}

/// The response to GET or HEAD `url`.
fn respond(url: &str, output: &Path, status: &RwLock<Status>) -> Reply {
    let generation = status.read().unwrap_or_else(|e| e.into_inner()).generation;
    match resolve(url, output) {
        Target::Status => {
            let json = status.read().unwrap_or_else(|e| e.into_inner()).json.clone();
            Reply::new(200, "application/json", json.into_bytes())
        }
        Target::BadRequest => Reply::text(400, "Bad Request"),
        Target::Redirect(location) => Reply::text(301, "Moved Permanently").header("Location", location),
        Target::NotFound => not_found(output, generation),
        Target::File(segments) => {
            // A rebuild swaps the output folder in two renames; a request that falls between
            // them tries again a moment later.
            for attempt in 0..3 {
                if let Some(reply) = serve_file(output, &segments, generation) {
                    return reply;
                }
                if output.is_dir() || attempt == 2 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            not_found(output, generation)
        }
    }
}

/// Maps a request target to what it names, refusing anything that could leave the output
/// folder.
fn resolve(url: &str, output: &Path) -> Target {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let query = url.find('?').map(|i| &url[i..]).unwrap_or("");
    if !path.starts_with('/') {
        return Target::BadRequest;
    }
    if path == STATUS_PATH {
        return Target::Status;
    }
    let Some(decoded) = percent_decode(path) else {
        return Target::BadRequest;
    };
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        if segment == ".." || segment.contains(['\\', '\0', ':']) {
            return Target::BadRequest;
        }
        if segment.is_empty() || segment == "." {
            continue;
        }
        if segment.starts_with('.') {
            return Target::NotFound;
        }
        segments.push(segment.to_owned());
    }
    if segments.first().is_some_and(|s| s == "__openssc") {
        return Target::NotFound;
    }
    let folder_requested = decoded.ends_with('/');
    let on_disk = segments.iter().fold(output.to_path_buf(), |p, s| p.join(s));
    if on_disk.is_dir() {
        if !folder_requested {
            let encoded: Vec<String> = segments.iter().map(|s| percent_encode(s)).collect();
            return Target::Redirect(format!("/{}/{query}", encoded.join("/")));
        }
        segments.push("index.html".into());
    } else if folder_requested && !segments.is_empty() {
        return Target::NotFound;
    }
    if segments.is_empty() {
        segments.push("index.html".into());
    }
    Target::File(segments)
}

/// The file at `segments` under `output`, if it exists there and truly lies under it.
fn serve_file(output: &Path, segments: &[String], generation: u64) -> Option<Reply> {
    let path = segments.iter().fold(output.to_path_buf(), |p, s| p.join(s));
    let canonical = std::fs::canonicalize(&path).ok()?;
    let base = std::fs::canonicalize(output).ok()?;
    if !canonical.starts_with(&base) || !canonical.is_file() {
        return None;
    }
    let content_type = content_type(&canonical);
    if content_type.starts_with("text/html") {
        let bytes = std::fs::read(&canonical).ok()?;
        Some(Reply::new(200, content_type, inject(&bytes, generation)))
    } else {
        let file = std::fs::File::open(&canonical).ok()?;
        Some(Reply {
            status: 200,
            headers: vec![("Content-Type", content_type.to_owned())],
            body: Body::File(file),
        })
    }
}

/// The site's own 404 page, else a placeholder (no site was built yet), with status 404.
fn not_found(output: &Path, generation: u64) -> Reply {
    let page = std::fs::read(output.join("404.html")).unwrap_or_else(|_| PLACEHOLDER.as_bytes().to_vec());
    Reply::new(404, "text/html; charset=utf-8", inject(&page, generation))
}

const PLACEHOLDER: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Not found - openssc serve</title></head><body><main><h1>Not found</h1>\
<p>There is no such page, or no site was built yet: any problems with the site are listed \
in the terminal and over this page. This page reloads once the site is built.</p></main></body></html>\n";

/// `bytes` with the live-reload script inserted before the last `</body>` (or at the end).
fn inject(bytes: &[u8], generation: u64) -> Vec<u8> {
    let script = LIVE_RELOAD.replace("GENERATION", &generation.to_string());
    let lower = bytes.to_ascii_lowercase();
    let at = lower.windows(7).rposition(|w| w == b"</body>").unwrap_or(bytes.len());
    let mut out = Vec::with_capacity(bytes.len() + script.len());
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(script.as_bytes());
    out.extend_from_slice(&bytes[at..]);
    out
}

/// Polls the status every 500 ms: reloads when a new build is served, shows the
/// diagnostics over the page while the site is invalid. Text goes in with `textContent`.
const LIVE_RELOAD: &str = r#"<script id="openssc-live-reload">
(function () {
  "use strict";
  var served = GENERATION, overlay = null, shown = null, dismissed = null;
  function el(tag, css, text) {
    var e = document.createElement(tag);
    if (css) e.style.cssText = css;
    if (text) e.textContent = text;
    return e;
  }
  function hide() { if (overlay) { overlay.remove(); overlay = null; shown = null; } }
  function show(s) {
    var key = JSON.stringify(s.diagnostics);
    if (key === dismissed) return;
    if (key === shown) return;
    var first = !overlay;
    hide();
    shown = key;
    overlay = el("div", "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:#1b1b1b;color:#fff;font:15px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:1.5rem");
    overlay.setAttribute("role", "alertdialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-labelledby", "openssc-overlay-title");
    var title = el("h2", "margin:0 0 .5rem;font-size:1.25rem;color:#ffb4a8", "The site has problems: the last good build is still shown");
    title.id = "openssc-overlay-title";
    overlay.appendChild(title);
    overlay.appendChild(el("p", "margin:0 0 1rem", "Fix them and save: the page reloads by itself. The terminal shows them too."));
    var list = el("ul", "margin:0;padding-left:1.25rem");
    s.diagnostics.forEach(function (d) {
      var item = el("li", "margin-bottom:.75rem");
      var where = d.file ? d.file + ":" + d.line + ":" + d.column + ": " : "";
      item.appendChild(el("strong", "", where + d.severity + ": "));
      item.appendChild(document.createTextNode(d.message));
      if (d.hint) item.appendChild(el("div", "color:#cfd8dc", "hint: " + d.hint));
      list.appendChild(item);
    });
    overlay.appendChild(list);
    if (s.total > s.diagnostics.length) overlay.appendChild(el("p", "", "... and " + (s.total - s.diagnostics.length) + " more in the terminal."));
    var close = el("button", "margin-top:1rem;font:inherit;padding:.25rem .75rem", "Dismiss");
    close.type = "button";
    close.onclick = function () { dismissed = key; hide(); };
    overlay.appendChild(close);
    document.body.appendChild(overlay);
    if (first) close.focus();
  }
  function poll() {
    fetch("/__openssc/status", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.ok && s.generation !== served) { location.reload(); return; }
        if (s.ok) { dismissed = null; hide(); } else { show(s); }
        setTimeout(poll, 500);
      }, function () { setTimeout(poll, 1000); });
  }
  poll();
})();
</script>
"#;

/// The Content-Type for a file, by extension.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "txt" | "" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "yaml" | "yml" => "text/yaml; charset=utf-8",
        "zip" => "application/zip",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        _ => "application/octet-stream",
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape or text that is not UTF-8.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Escapes every byte of `segment` but the unreserved characters of RFC 3986.
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("projects/x")).unwrap();
        std::fs::write(dir.path().join("index.html"), "<html><body>home</body></html>").unwrap();
        std::fs::write(dir.path().join("projects/x/index.html"), "x").unwrap();
        dir
    }

    fn file(parts: &[&str]) -> Target {
        Target::File(parts.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn resolves_pages_and_folders() {
        let dir = site();
        let out = dir.path();
        assert_eq!(resolve("/", out), file(&["index.html"]));
        assert_eq!(resolve("/?a=1", out), file(&["index.html"]));
        assert_eq!(resolve("/projects/x/", out), file(&["projects", "x", "index.html"]));
        assert_eq!(
            resolve("/projects/x/index.html", out),
            file(&["projects", "x", "index.html"])
        );
        assert_eq!(resolve("/projects/x", out), Target::Redirect("/projects/x/".into()));
        assert_eq!(resolve("/projects?q", out), Target::Redirect("/projects/?q".into()));
        assert_eq!(resolve("/missing/", out), Target::NotFound);
        assert_eq!(resolve(STATUS_PATH, out), Target::Status);
        assert_eq!(resolve("/__openssc/other", out), Target::NotFound);
    }

    #[test]
    fn refuses_paths_that_leave_the_output() {
        let dir = site();
        let out = dir.path();
        for url in [
            "/../Cargo.toml",
            "/%2e%2e/Cargo.toml",
            "/%2E%2E%2fCargo.toml",
            "/projects/../../x",
            "/a%5c..%5cb",
            "/a%00b",
            "/C:/x",
            "/%zz",
            "/%c3",
            "x",
            "*",
            "http://example.org/",
        ] {
            assert_eq!(resolve(url, out), Target::BadRequest, "{url}");
        }
        assert_eq!(resolve("/.openssc-output", out), Target::NotFound);
        // The canonical path must lie under the output folder (symlinks out are refused).
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", out.join("etc")).unwrap();
            assert!(serve_file(out, &["etc".into(), "hostname".into()], 1).is_none());
        }
        assert!(serve_file(out, &["index.html".into()], 1).is_some());
    }

    #[test]
    fn injects_the_script_before_the_body_end() {
        let page = inject(b"<html><BODY>x</BODY></html>", 7);
        let text = String::from_utf8(page).unwrap();
        assert!(text.starts_with("<html><BODY>x<script id=\"openssc-live-reload\">"));
        assert!(text.contains("served = 7,"));
        assert!(text.ends_with("</script>\n</BODY></html>"));
        assert!(
            String::from_utf8(inject(b"no body", 1))
                .unwrap()
                .starts_with("no body<script")
        );
    }

    #[test]
    fn only_site_files_trigger_rebuilds() {
        let root = Path::new("/s");
        let out = Path::new("/s/out");
        let rel = |p: &str| relevant(root, out, Path::new(p));
        assert_eq!(
            rel("/s/content/projects/a.md").as_deref(),
            Some("content/projects/a.md")
        );
        assert_eq!(rel("/s/openssc.toml").as_deref(), Some("openssc.toml"));
        assert_eq!(rel("/s/templates").as_deref(), Some("templates"));
        assert_eq!(rel("/s/static/css/site.css").as_deref(), Some("static/css/site.css"));
        for ignored in [
            "/s/content/projects/.a.md.swp",
            "/s/content/projects/a.md~",
            "/s/content/projects/.#a.md",
            "/s/content/projects/4913",
            "/s/content/.git/x",
            "/s/out/index.html",
            "/s/public/index.html",
            "/s/.out.openssc-new-1",
            "/s/README.md",
            "/elsewhere/content/a.md",
        ] {
            assert_eq!(rel(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn reads_are_not_changes() {
        use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, MetadataKind, ModifyKind};
        assert!(!kind_matters(&EventKind::Access(AccessKind::Read)));
        assert!(!kind_matters(&EventKind::Access(AccessKind::Open(AccessMode::Any))));
        assert!(!kind_matters(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::Any
        ))));
        assert!(kind_matters(&EventKind::Access(AccessKind::Close(AccessMode::Write))));
        assert!(kind_matters(&EventKind::Modify(ModifyKind::Data(DataChange::Any))));
        assert!(kind_matters(&EventKind::Create(CreateKind::File)));
    }

    #[test]
    fn percent_coding() {
        assert_eq!(percent_decode("/a%20b/%C3%A9").as_deref(), Some("/a b/é"));
        assert_eq!(percent_decode("/%4"), None);
        assert_eq!(percent_encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
