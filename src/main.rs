//! The `openssc` command: a thin layer over the library. This is the one place that
//! turns outcomes into messages and exit codes: 0 valid, 1 problems in the site,
//! 2 usage or I/O errors.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use openssc::diagnostics::{self, Format, Severity};

// Loading allocates many small values on both cores; mimalloc handles that far better
// than the system allocator (see docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process (what `MIMALLOC_ALLOW_THP=0` does).
/// mimalloc asks for them; each is zeroed whole when first touched and again after mimalloc
/// hands memory back, and where the kernel must free 2 MiB at once from a busy page cache
/// (a machine that just wrote a build) it reclaims first. Measured (docs/PERFORMANCE.md):
/// a build of 50,000 initiatives spends about 3 s less system time and 1 to 1.6 s less wall
/// time; at 10,000 the same time with less memory.
fn without_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments and only sets a flag of this
    // process; it cannot fail in a way that matters (an old kernel ignores it).
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[derive(Parser)]
#[command(
    name = "openssc",
    version,
    about = "Publishes the open State of South-South Cooperation report from records kept in git"
)]
struct Cli {
    /// The site folder (holding openssc.toml); default: the current directory.
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate every record and report every problem with file, line and column.
    Check {
        /// Treat warnings (such as a record without sources) as errors.
        #[arg(long)]
        strict: bool,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Check the site, then render it into a static website (nothing is written if the check fails).
    Build {
        /// Where to write the site (default: public/ in the site folder).
        #[arg(long, value_name = "DIR")]
        output_dir: Option<PathBuf>,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// Print how long each stage of the build took (and the memory in use at its end).
        #[arg(long)]
        timings: bool,
    },
    /// Create a new site, or a new record with every field explained (never overwrites a file).
    New {
        #[command(subcommand)]
        what: NewCommand,
    },
    /// Build the site, serve it for previewing, rebuild on change and reload the browser.
    Serve {
        /// The port to listen on (0: any free port).
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// The address to listen on; only this machine can connect to the default.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the site in the default browser once it is built.
        #[arg(long)]
        open: bool,
        /// Where to build (default: a temporary folder, removed when serve stops).
        #[arg(long, value_name = "DIR")]
        output_dir: Option<PathBuf>,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Subcommand)]
enum NewCommand {
    /// A new site in DIR (a new or empty folder), with an edition for the current year.
    Site {
        /// The folder to create the site in.
        dir: PathBuf,
    },
    /// content/projects/ID.md: one initiative.
    Project {
        /// The id: the file name without .md (lowercase letters, digits and -).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// content/actors/ID.md: one organization.
    Actor {
        /// The id: the file name without .md (lowercase letters, digits and -).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// content/funds/ID.md: one financing source.
    Fund {
        /// The id: the file name without .md (lowercase letters, digits and -).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// content/exchanges/ID.md: one offer of, or request for, cooperation.
    Exchange {
        /// The id: the file name without .md (lowercase letters, digits and -).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// content/reports/YEAR/ID.md: a chapter of a report edition.
    Chapter {
        /// The id: the file name without .md (lowercase letters, digits and -).
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// The edition (default: the latest edition of the site).
        #[arg(long, value_name = "YEAR")]
        edition: Option<i32>,
    },
    /// content/reports/YEAR/index.md: a new edition of the report.
    Edition {
        /// The year of the edition, e.g. 2026.
        year: i32,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// file:line:col: error: message, with the source line and a hint.
    Human,
    /// One JSON object per line.
    Json,
    /// GitHub Actions annotations.
    Github,
}

/// A panic is a bug (bad input gets a diagnostic), and the release binary then ends at once
/// (`panic = "abort"` in Cargo.toml) without running destructors: after the message, the
/// hook removes the folder of a build that has not finished, as an unwinding build's
/// destructors would.
fn remove_unfinished_builds_on_panic() {
    let print = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        print(info);
        openssc::write::remove_unfinished();
    }));
}

fn main() -> ExitCode {
    without_transparent_huge_pages();
    remove_unfinished_builds_on_panic();
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(|| PathBuf::from("."));
    match cli.command {
        Command::Check { strict, format } => check(&root, strict, format),
        Command::Build {
            output_dir,
            strict,
            format,
            timings,
        } => {
            let output = output_dir.unwrap_or_else(|| root.join("public"));
            build(&root, &output, strict, format, timings)
        }
        Command::New { what } => new(&root, what),
        Command::Serve {
            port,
            bind,
            open,
            output_dir,
            strict,
        } => serve(&root, std::net::SocketAddr::new(bind, port), open, output_dir, strict),
    }
}

/// `openssc new`: 0 written, 1 the site's schemas are broken, 2 nothing written (usage or I/O).
fn new(root: &std::path::Path, what: NewCommand) -> ExitCode {
    use openssc::load::Collection;
    use openssc::scaffold::{self, ScaffoldError};
    let record = |collection, id: &str| scaffold::new_record(root, collection, id).map(|p| vec![p]);
    let result = match &what {
        NewCommand::Site { dir } => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let year = openssc::site::civil_date(now)[..4].parse().unwrap_or(2025);
            scaffold::new_site(dir, year).map(|files| files.iter().map(|f| dir.join(f)).collect())
        }
        NewCommand::Project { id } => record(Collection::Project, id),
        NewCommand::Actor { id } => record(Collection::Actor, id),
        NewCommand::Fund { id } => record(Collection::Fund, id),
        NewCommand::Exchange { id } => record(Collection::Exchange, id),
        NewCommand::Chapter { id, edition } => scaffold::new_chapter(root, id, *edition).map(|p| vec![p]),
        NewCommand::Edition { year } => scaffold::new_edition(root, *year).map(|p| vec![p]),
    };
    match result {
        Ok(files) => {
            for file in &files {
                eprintln!("created {}", file.display());
            }
            match what {
                NewCommand::Site { dir } => eprintln!(
                    "next: cd {}, read README.md, then `openssc new actor ID` and `openssc check`",
                    dir.display()
                ),
                _ => {
                    eprintln!("next: fill in the fields without `#` (explained in the file), then run `openssc check`")
                }
            }
            ExitCode::SUCCESS
        }
        Err(ScaffoldError::Schemas(diags)) => {
            print_diagnostics(&diags, resolve_format(OutputFormat::Human));
            eprintln!("error: the schemas cannot be read; nothing was written");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("  = hint: {hint}");
            }
            ExitCode::from(2)
        }
    }
}

fn resolve_format(format: OutputFormat) -> Format {
    match format {
        OutputFormat::Human => Format::Human {
            color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        },
        OutputFormat::Json => Format::Json,
        OutputFormat::Github => Format::Github,
    }
}

/// Prints diagnostics: machine formats to stdout for piping, human output to stderr.
fn print_diagnostics(diags: &[openssc::diagnostics::Diagnostic], format: Format) {
    let text: String = diags.iter().map(|d| diagnostics::render(d, format)).collect();
    let _ = match format {
        Format::Human { .. } => std::io::stderr().write_all(text.as_bytes()),
        _ => std::io::stdout().write_all(text.as_bytes()),
    };
}

/// What `build` shows while it runs: a progress bar of the pages on a terminal (never in
/// CI, under `NO_COLOR`-style dumb terminals or when stderr is not a terminal), and the time
/// of each stage for `--timings`.
struct BuildProgress {
    bar: Option<indicatif::ProgressBar>,
    timings: std::sync::Mutex<Vec<StageTiming>>,
}

/// A stage's name, time, and the process's resident memory and its peak when it ended.
type StageTiming = (&'static str, std::time::Duration, Option<(u64, u64)>);

impl BuildProgress {
    fn new(show_bar: bool) -> BuildProgress {
        let bar = show_bar.then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} pages ({eta})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        });
        BuildProgress {
            bar,
            timings: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl openssc::site::Progress for BuildProgress {
    fn stage(&self, name: &'static str) {
        if let Some(bar) = &self.bar {
            bar.set_message(name);
        }
    }
    fn stage_done(&self, name: &'static str, elapsed: std::time::Duration) {
        self.timings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((name, elapsed, resident_kib()));
    }
    fn add_pages(&self, pages: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(pages);
        }
    }
    fn page_done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

/// The process's resident memory now (`VmRSS`) and its peak so far (`VmHWM`), in KiB,
/// where the system tells them (Linux); shown by `--timings` to find the stage that sets
/// the peak.
fn resident_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn build(
    root: &std::path::Path,
    output: &std::path::Path,
    strict: bool,
    format: OutputFormat,
    timings: bool,
) -> ExitCode {
    let started = std::time::Instant::now();
    let show_bar = std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
        && matches!(format, OutputFormat::Human);
    let format = resolve_format(format);
    let options = openssc::BuildOptions {
        strict,
        date: openssc::build_date(root),
    };
    let progress = BuildProgress::new(show_bar);
    let outcome = openssc::build_site_with_leftovers(root, output, &options, &progress).map(|(outcome, leftovers)| {
        // The process ends after the build: the system takes back its memory at once,
        // rather than this core freeing every record one by one.
        std::mem::forget(leftovers);
        outcome
    });
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }
    if timings {
        let stages = progress
            .timings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mib = |kib: Option<(u64, u64)>| {
            kib.map_or(String::new(), |(now, peak)| {
                format!(", resident {:6} MiB, peak {:6} MiB", now / 1024, peak / 1024)
            })
        };
        for (name, elapsed, kib) in stages.iter() {
            eprintln!("{name:>14}: {:8.3} s{}", elapsed.as_secs_f64(), mib(*kib));
        }
        eprintln!(
            "{:>14}: {:8.3} s{}",
            "total",
            started.elapsed().as_secs_f64(),
            mib(resident_kib())
        );
    }
    match outcome {
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Ok(openssc::BuildOutcome::Failed(diags)) => {
            print_diagnostics(&diags, format);
            eprintln!("build failed: nothing was written to {}", output.display());
            ExitCode::from(1)
        }
        Ok(openssc::BuildOutcome::Built { files, warnings }) => {
            print_diagnostics(&warnings, format);
            eprintln!("built {files} files into {}", output.display());
            ExitCode::SUCCESS
        }
    }
}

fn serve(
    root: &std::path::Path,
    addr: std::net::SocketAddr,
    open: bool,
    output: Option<PathBuf>,
    strict: bool,
) -> ExitCode {
    use openssc::serve::Event;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let handler = ctrlc::set_handler(move || {
        if flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130); // a second Ctrl-C does not wait for the build in progress
        }
    });
    if let Err(e) = handler {
        eprintln!("error: cannot handle Ctrl-C: {e}");
        return ExitCode::from(2);
    }
    let options = openssc::serve::ServeOptions {
        root: root.to_path_buf(),
        output,
        addr,
        build: openssc::BuildOptions {
            strict,
            date: openssc::build_date(root),
        },
    };
    let format = resolve_format(OutputFormat::Human);
    let mut report = |event: Event<'_>| match event {
        Event::Changed { paths } => {
            let more = match paths.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            // Name a file that exists rather than an editor's or sed's temporary file.
            let shown = paths.iter().find(|p| root.join(p).exists()).unwrap_or(&paths[0]);
            eprintln!("changed: {shown}{more}; rebuilding");
        }
        Event::Built {
            files,
            warnings,
            elapsed,
            ..
        } => {
            print_diagnostics(warnings, format);
            eprintln!("built {files} files in {:.2} s", elapsed.as_secs_f64());
        }
        Event::Failed { diagnostics, elapsed } => {
            print_diagnostics(diagnostics, format);
            let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
            eprintln!(
                "build failed in {:.2} s ({errors} error{}): still serving the last good build",
                elapsed.as_secs_f64(),
                if errors == 1 { "" } else { "s" }
            );
        }
        Event::Settled { elapsed } => eprintln!("data downloads updated in {:.2} s", elapsed.as_secs_f64()),
        Event::BuildError { error, .. } => eprintln!("error: {error}: still serving the last good build"),
        Event::WatchError(e) => eprintln!("warning: {e}"),
        Event::Listening { url, browse_url, .. } => {
            let mut out = std::io::stdout().lock();
            let site = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
            let _ = writeln!(out, "Serving {} at {url} (Ctrl-C to stop)", site.display());
            let _ = out.flush();
            if open && let Err(e) = opener::open(&browse_url) {
                eprintln!("warning: cannot open a browser: {e}");
            }
        }
    };
    match openssc::serve::serve(&options, &stop, &mut report) {
        Ok(()) => {
            eprintln!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn check(root: &std::path::Path, strict: bool, format: OutputFormat) -> ExitCode {
    let outcome = match openssc::check_site(root) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let format = resolve_format(format);
    let diags = outcome.diagnostics();
    print_diagnostics(diags, format);
    let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diags.len() - errors;
    let failed = outcome.failed(strict);
    if let openssc::CheckOutcome::Checked(c) = &outcome {
        eprintln!(
            "checked {} files: {errors} error{}, {warnings} warning{}{}",
            c.files,
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
            if failed && errors == 0 {
                " (warnings fail under --strict)"
            } else {
                ""
            }
        );
    }
    // The process ends here: freeing every record one by one would only cost time.
    std::mem::forget(outcome);
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
