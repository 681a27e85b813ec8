//! The documentation that must not drift: the pipeline files of `docs/publishing/` parse as
//! YAML, have the expected structure and run exactly the commands the README documents for
//! CI; the editors' guide names every value of every vocabulary.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses with the crate's own YAML parser (YAML 1.2 core schema: `on:` stays a key).
fn yaml(path: &str) -> Value {
    openssc::yaml::parse(&read(path), 0)
        .unwrap_or_else(|e| panic!("{path} does not parse: {e:?}"))
        .0
}

/// The commands of the README's "Publishing" section: the lines of its `sh` block.
fn readme_ci_commands() -> Vec<String> {
    let readme = read("README.md");
    let section = readme
        .split("\n## Publishing\n")
        .nth(1)
        .expect("README has a Publishing section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the Publishing section has a sh block");
    let commands: Vec<String> = block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    assert!(commands.len() >= 3, "{commands:?}");
    commands
}

/// Every `run:` (GitHub) or script line (GitLab) of a workflow, one command per line.
fn commands(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("run", Value::String(s)) => out.extend(s.lines().flat_map(|l| l.split(" && ")).map(str::to_owned)),
                    ("script" | "before_script", Value::Array(lines)) => {
                        out.extend(lines.iter().filter_map(Value::as_str).map(str::to_owned))
                    }
                    _ => commands(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| commands(i, out)),
        _ => {}
    }
}

const INSTALL: &str = r#"cargo install --locked --git "$OPENSSC_GIT" openssc"#;

#[test]
fn github_workflow_checks_pull_requests_and_deploys_main_to_pages() {
    let w = yaml("docs/publishing/github-pages.yml");
    assert!(w["on"].get("pull_request").is_some(), "runs on pull requests");
    assert_eq!(w["on"]["push"]["branches"], serde_json::json!(["main"]));
    assert!(
        w["env"]["OPENSSC_GIT"].as_str().is_some(),
        "the openssc repository is a variable"
    );
    let jobs = &w["jobs"];
    assert_eq!(jobs["check"]["if"], "github.event_name == 'pull_request'");
    assert_eq!(jobs["build"]["if"], "github.event_name != 'pull_request'");
    assert_eq!(jobs["deploy"]["needs"], "build");
    assert_eq!(jobs["deploy"]["permissions"]["pages"], "write");
    assert_eq!(jobs["deploy"]["permissions"]["id-token"], "write");
    assert_eq!(jobs["deploy"]["environment"]["name"], "github-pages");

    let uses = |job: &str| -> Vec<String> {
        jobs[job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["uses"].as_str())
            .map(|u| u.split('@').next().unwrap().to_owned())
            .collect()
    };
    assert!(uses("check").contains(&"actions/checkout".to_owned()));
    // Both jobs restore the openssc an earlier run installed before installing (cargo
    // install then skips the compile when openssc has not changed).
    for job in ["check", "build"] {
        let steps = jobs[job]["steps"].as_array().unwrap();
        let cache = steps
            .iter()
            .position(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/cache@")))
            .unwrap_or_else(|| panic!("{job} caches the installed openssc"));
        let install = steps.iter().position(|s| s["run"].as_str() == Some(INSTALL)).unwrap();
        assert!(cache < install, "{job}: the cache is restored before the install");
        let paths = steps[cache]["with"]["path"].as_str().unwrap();
        assert!(paths.contains("~/.cargo/bin/openssc") && paths.contains("~/.cargo/.crates2.json"));
    }
    assert!(uses("build").contains(&"actions/upload-pages-artifact".to_owned()));
    assert!(uses("deploy").contains(&"actions/deploy-pages".to_owned()));
    let artifact = jobs["build"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-pages-artifact"))
        })
        .unwrap();
    assert_eq!(artifact["with"]["path"], "public");

    let mut check = Vec::new();
    commands(&jobs["check"], &mut check);
    let mut build = Vec::new();
    commands(&jobs["build"], &mut build);
    assert!(check.contains(&INSTALL.to_owned()), "{check:?}");
    assert!(check.contains(&"openssc check --format github".to_owned()), "{check:?}");
    assert!(build.contains(&INSTALL.to_owned()), "{build:?}");
    assert!(build.contains(&"openssc build --strict".to_owned()), "{build:?}");
}

#[test]
fn gitlab_pipeline_checks_merge_requests_and_publishes_pages() {
    let w = yaml("docs/publishing/gitlab-ci.yml");
    assert!(w["variables"]["OPENSSC_GIT"].as_str().is_some());
    let mut install = Vec::new();
    commands(&w["default"], &mut install);
    assert_eq!(install.last().map(String::as_str), Some(INSTALL), "{install:?}");
    // The install is cached: into the project folder (GitLab caches only there), on PATH.
    assert_eq!(w["variables"]["CARGO_INSTALL_ROOT"], "$CI_PROJECT_DIR/.openssc");
    assert_eq!(w["default"]["cache"]["paths"], serde_json::json!([".openssc/"]));
    assert!(install.contains(&r#"export PATH="$CARGO_INSTALL_ROOT/bin:$PATH""#.to_owned()));
    assert_eq!(
        w["check"]["rules"][0]["if"],
        "$CI_PIPELINE_SOURCE == \"merge_request_event\""
    );
    assert_eq!(w["check"]["script"], serde_json::json!(["openssc check"]));
    assert_eq!(w["pages"]["rules"][0]["if"], "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH");
    assert_eq!(w["pages"]["script"], serde_json::json!(["openssc build --strict"]));
    assert_eq!(w["pages"]["artifacts"]["paths"], serde_json::json!(["public"]));
}

#[test]
fn workflows_run_exactly_the_commands_the_readme_documents() {
    let documented = readme_ci_commands();
    let mut used = Vec::new();
    for file in ["docs/publishing/github-pages.yml", "docs/publishing/gitlab-ci.yml"] {
        let mut here = Vec::new();
        commands(&yaml(file), &mut here);
        for command in &here {
            if command.starts_with("openssc ") || command.starts_with("cargo install") {
                assert!(
                    documented.contains(command),
                    "{file} runs `{command}`, which README.md's Publishing section does not document"
                );
            }
        }
        used.extend(here);
    }
    for command in &documented {
        assert!(
            used.contains(command),
            "README documents `{command}` for CI, but no workflow runs it"
        );
    }
    // The README's install section and the publishing guide use the same install command.
    assert!(read("README.md").contains(&format!("```sh\n{INSTALL}\n```")));
    let guide = read("docs/publishing/README.md");
    for command in &documented {
        assert!(
            guide.contains(command.as_str()),
            "docs/publishing/README.md lacks `{command}`"
        );
    }
    assert!(guide.contains("sha256sum -c data/SHA256SUMS"));
}

#[test]
fn the_editors_guide_explains_every_vocabulary_value() {
    let guide = read("docs/editors.md");
    let schemas = openssc::schema::SchemaSet::load(Path::new("/nonexistent")).unwrap();
    let mut names: Vec<&str> = schemas.vocabularies.names().collect();
    names.sort_unstable();
    assert!(names.len() >= 20);
    for name in names {
        // The section `#### Title (`name`)`, up to the next heading.
        let heading = format!("(`{name}`)\n");
        let start = guide
            .find(&heading)
            .unwrap_or_else(|| panic!("docs/editors.md has no section for vocabulary `{name}`"));
        let section = &guide[start..];
        let section = &section[..section[heading.len()..]
            .find("\n#")
            .map_or(section.len(), |i| i + heading.len())];
        for entry in schemas.vocabularies.values(name) {
            assert!(
                section.contains(&format!("- `{}`: ", entry.id)),
                "docs/editors.md does not explain `{}` of vocabulary `{name}`",
                entry.id
            );
        }
    }
    for command in [
        "openssc new project",
        "openssc new actor",
        "openssc new fund",
        "openssc check",
        "openssc serve",
    ] {
        assert!(guide.contains(command), "{command}");
    }
    assert!(guide.contains("http://127.0.0.1:1111/"));
    assert!(guide.contains("data-dictionary/index.html"));
    assert!(!guide.contains("ERROR_EXAMPLE"), "the error example is pasted");
}
