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

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// file:line:col: error: message, with the source line and a hint.
    Human,
    /// One JSON object per line.
    Json,
    /// GitHub Actions annotations.
    Github,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(|| PathBuf::from("."));
    match cli.command {
        Command::Check { strict, format } => check(&root, strict, format),
        Command::Build {
            output_dir,
            strict,
            format,
        } => {
            let output = output_dir.unwrap_or_else(|| root.join("public"));
            build(&root, &output, strict, format)
        }
        Command::Serve {
            port,
            bind,
            open,
            output_dir,
            strict,
        } => serve(&root, std::net::SocketAddr::new(bind, port), open, output_dir, strict),
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

fn build(root: &std::path::Path, output: &std::path::Path, strict: bool, format: OutputFormat) -> ExitCode {
    let format = resolve_format(format);
    let options = openssc::BuildOptions {
        strict,
        date: openssc::build_date(root),
    };
    match openssc::build_site(root, output, &options) {
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
