//! The `openssc` binary on the fixture sites: exit codes, output formats, color.

mod common;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `openssc check --root <root> <args>`, with `NO_COLOR` unset unless `env` sets it.
fn run(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_openssc"));
    cmd.arg("check")
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run openssc")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("openssc exits with a code")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("openssc prints UTF-8")
}

#[test]
fn valid_site_exits_0() {
    let site = common::site(None);
    for strict in [&[][..], &["--strict"][..]] {
        let out = run(site.path(), strict, &[]);
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "");
        assert_eq!(text(&out.stderr), "checked 16 files: 0 errors, 0 warnings\n");
    }
}

#[test]
fn invalid_site_exits_1_with_located_errors_on_stderr() {
    let site = common::site(Some("unknown_actor_reference"));
    let out = run(site.path(), &[], &[]);
    assert_eq!(code(&out), 1);
    assert_eq!(text(&out.stdout), "", "human output goes to stderr");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "content/projects/test-regional-project.md:13:12: error: there is no actor with id `test-regional-bodie`\n"
        ),
        "{stderr}"
    );
    assert!(stderr.ends_with("checked 16 files: 1 error, 0 warnings\n"), "{stderr}");
}

#[test]
fn unreadable_site_config_exits_1() {
    let site = common::site(Some("config_unknown_key"));
    let out = run(site.path(), &[], &[]);
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr).starts_with("openssc.toml:6:1: error: unknown field `theme`"));
}

#[test]
fn warnings_fail_only_under_strict() {
    let site = common::site(Some("record_without_sources"));
    let out = run(site.path(), &[], &[]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("warning: the record cites no sources"));
    assert!(text(&out.stderr).ends_with("checked 16 files: 0 errors, 1 warning\n"));

    let out = run(site.path(), &["--strict"], &[]);
    assert_eq!(code(&out), 1);
    assert!(
        text(&out.stderr).ends_with("checked 16 files: 0 errors, 1 warning (warnings fail under --strict)\n"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn strict_in_the_site_config_counts_too() {
    let site = common::site(Some("record_without_sources"));
    let config = site.path().join("openssc.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("strict = true\n");
    std::fs::write(&config, toml).unwrap();
    assert_eq!(code(&run(site.path(), &[], &[])), 1);
}

#[test]
fn missing_site_exits_2() {
    let out = run(Path::new("/nonexistent"), &[], &[]);
    assert_eq!(code(&out), 2);
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).starts_with("error: "), "{}", text(&out.stderr));
}

#[test]
fn site_without_content_exits_2() {
    let site = common::site(None);
    std::fs::remove_dir_all(site.path().join("content")).unwrap();
    let out = run(site.path(), &[], &[]);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
}

#[test]
fn bad_arguments_exit_2() {
    let site = common::site(None);
    let out = run(site.path(), &["--format", "xml"], &[]);
    assert_eq!(code(&out), 2);
}

#[test]
fn json_format_prints_one_object_per_line_on_stdout() {
    // Two problems in two files, so there are two lines.
    let site = common::site(Some("unknown_actor_reference"));
    std::fs::write(site.path().join("content/notes.md"), "---\ntitle: stray\n---\n").unwrap();
    let out = run(site.path(), &["--format", "json"], &[]);
    assert_eq!(code(&out), 1);
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for key in ["file", "line", "column", "severity", "message", "rule"] {
            assert!(v.get(key).is_some(), "{key} missing in {line}");
        }
    }
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["file"], "content/notes.md");
    assert_eq!(first["rule"], "unknown-file");
    let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(second["file"], "content/projects/test-regional-project.md");
    assert_eq!(second["line"], 13);
    assert_eq!(second["column"], 12);
    assert_eq!(second["severity"], "error");
    assert_eq!(second["rule"], "reference");
    assert_eq!(second["message"], "there is no actor with id `test-regional-bodie`");
    assert_eq!(second["hint"], "did you mean `test-regional-body`?");
    // The summary stays on stderr, so stdout is pure JSON lines.
    assert!(text(&out.stderr).starts_with("checked "));
}

#[test]
fn github_format_prints_workflow_commands() {
    let site = common::site(Some("record_without_sources"));
    let out = run(site.path(), &["--format", "github"], &[]);
    assert_eq!(
        text(&out.stdout),
        "::warning file=content/actors/test-regional-body.md,line=1,col=1,title=openssc sources::the record cites no sources \
         (hint: add `sources:` with at least `- title: ...` for the document the record comes from)\n"
    );
    let site = common::site(Some("missing_exchange_rate"));
    let out = run(site.path(), &["--format", "github"], &[]);
    assert_eq!(code(&out), 1);
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(
            "::error file=content/projects/test-bilateral-project.md,line=30,col=39,title=openssc exchange-rate::no exchange rate for MXN in 2012"
        ),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1);
}

#[test]
fn no_escape_codes_when_not_a_terminal_or_with_no_color() {
    let site = common::site(Some("unknown_actor_reference"));
    for env in [&[][..], &[("NO_COLOR", "1")][..]] {
        let out = run(site.path(), &[], env);
        assert_eq!(code(&out), 1);
        assert!(!out.stderr.contains(&0x1b), "escape codes with env {env:?}");
        assert!(!out.stdout.contains(&0x1b));
    }
}

#[test]
fn build_timings_list_every_stage_and_no_progress_bar_off_a_terminal() {
    let site = common::site(None);
    let out_dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_openssc"))
        .args(["build", "--timings", "--root"])
        .arg(site.path())
        .arg("--output-dir")
        .arg(out_dir.path().join("out"))
        .output()
        .expect("run openssc");
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for stage in [
        "check",
        "index",
        "open data",
        "plan",
        "render",
        "links",
        "write data",
        "checksums",
        "total",
    ] {
        // `<stage>: <seconds> s`, then where the system tells it the memory at its end.
        let timed = |l: &str| {
            let Some(rest) = l.trim_start().strip_prefix(&format!("{stage}:")) else {
                return false;
            };
            let time = rest.split(',').next().unwrap_or_default().trim();
            let memory = cfg!(target_os = "linux").then_some(", resident ");
            time.strip_suffix(" s").is_some_and(|t| t.parse::<f64>().is_ok())
                && memory.is_none_or(|m| rest.contains(m) && rest.ends_with(" MiB"))
        };
        assert!(stderr.lines().any(timed), "no timing for {stage}:\n{stderr}");
    }
    // stderr is a pipe here: no progress bar, no escape codes.
    assert!(!stderr.contains("pages ("), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(stderr.ends_with(&format!(
        "built {} files into {}\n",
        stderr_files(&stderr),
        out_dir.path().join("out").display()
    )));
}

fn stderr_files(stderr: &str) -> String {
    stderr
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("built "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or_default()
        .to_owned()
}

/// Regression: a build that could not write its output said "cannot read" the folder it
/// was writing.
#[test]
fn a_build_that_cannot_write_its_output_says_so_and_exits_2() {
    let site = common::site(None);
    let parent = tempfile::tempdir().unwrap();
    let not_a_folder = parent.path().join("a-file");
    std::fs::write(&not_a_folder, "a file where the output's folder should be\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_openssc"))
        .args(["build", "--root"])
        .arg(site.path())
        .arg("--output-dir")
        .arg(not_a_folder.join("out"))
        .output()
        .expect("run openssc");
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: cannot write {}: ", not_a_folder.display())),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&not_a_folder).unwrap(),
        "a file where the output's folder should be\n"
    );
}
