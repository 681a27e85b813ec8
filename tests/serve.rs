//! `openssc serve`, run as a real process on a free port over a copy of the valid fixture
//! site, spoken to with a minimal HTTP/1.1 client.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

const PAGE: &str = "/projects/test-bilateral-project.html";
const RECORD: &str = "content/projects/test-bilateral-project.md";

/// A running `openssc serve`; killed on drop, so a failed assertion leaves no process.
struct Served {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<String>>,
    site: tempfile::TempDir,
}

impl Served {
    fn start() -> Served {
        let site = common::site(None);
        let mut child = Command::new(env!("CARGO_BIN_EXE_openssc"))
            .args(["serve", "--port", "0", "--root"])
            .arg(site.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start openssc serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut served = Served {
            child,
            port: 0,
            stderr,
            site,
        };
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no Serving line; stderr:\n{}", served.stderr()));
        assert!(line.starts_with("Serving "), "{line}");
        assert!(line.ends_with("/ (Ctrl-C to stop)"), "{line}");
        let url = line.split(" at http://").nth(1).unwrap();
        let address = url.split('/').next().unwrap();
        assert!(
            address.starts_with("127.0.0.1:"),
            "binds to 127.0.0.1 by default: {line}"
        );
        served.port = address.rsplit(':').next().unwrap().parse().unwrap();
        served
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends a raw request; returns the status, the header block and the body.
    fn request(&self, method: &str, target: &str) -> (u16, String, Vec<u8>) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        )
        .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read the response");
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header block");
        let head = String::from_utf8(response[..split].to_vec()).unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head, response[split + 4..].to_vec())
    }

    fn get(&self, target: &str) -> (u16, String) {
        let (status, _, body) = self.request("GET", target);
        (status, String::from_utf8(body).unwrap())
    }

    fn status(&self) -> serde_json::Value {
        let (code, body) = self.get("/__openssc/status");
        assert_eq!(code, 200);
        serde_json::from_str(&body).unwrap()
    }

    /// Waits until the status satisfies `done`.
    fn wait_for(&self, what: &str, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let status = self.status();
            if done(&status) {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out waiting for {what}; status {status}; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn edit(&self, path: &str, from: &str, to: &str) {
        let file = self.site.path().join(path);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{path} has no {from}");
        std::fs::write(&file, text.replace(from, to)).unwrap();
    }

    /// Stops the server as Ctrl-C does and returns its exit status.
    fn interrupt(&mut self) -> ExitStatus {
        interrupt(&mut self.child)
    }
}

#[cfg(unix)]
fn interrupt(child: &mut Child) -> ExitStatus {
    let sent = Command::new("kill").arg("-INT").arg(child.id().to_string()).status();
    assert!(sent.is_ok_and(|s| s.success()), "send SIGINT");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("openssc serve did not stop on SIGINT");
}

#[cfg(not(unix))]
fn interrupt(child: &mut Child) -> ExitStatus {
    child.kill().unwrap();
    child.wait().unwrap()
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn serves_pages_and_refuses_everything_else() {
    let mut served = Served::start();
    let (status, head, body) = served.request("GET", "/");
    assert_eq!(status, 200, "{head}");
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.contains("<script id=\"openssc-live-reload\">"),
        "live reload injected"
    );
    assert!(body.contains("</script>\n</body>"), "before </body>");
    assert_eq!(header(&head, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header(&head, "cache-control"), Some("no-store"));
    // The script is only in responses, never in the built files.
    let (_, page) = served.get(PAGE);
    assert!(page.contains("Fixture bilateral project"));

    let (status, head_only, empty) = served.request("HEAD", "/");
    assert_eq!(status, 200);
    assert!(empty.is_empty(), "HEAD has no body");
    assert_eq!(
        header(&head_only, "content-length"),
        Some(body.len().to_string().as_str())
    );

    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let (status, head, _) = served.request(method, "/");
        assert_eq!(status, 405, "{method}");
        assert_eq!(header(&head, "allow"), Some("GET, HEAD"), "{method}");
    }

    for target in [
        "/../Cargo.toml",
        "/../../../../../../etc/passwd",
        "/%2e%2e/%2e%2e/Cargo.toml",
        "/projects/%2E%2E%2F%2E%2E%2F%2E%2E/etc/passwd",
        "/..%5c..%5cCargo.toml",
    ] {
        let (status, body) = served.get(target);
        assert_eq!(status, 400, "{target}: {body}");
    }
    let (status, body) = served.get("/.openssc-output");
    assert_eq!(status, 404);
    assert!(!body.contains("written by openssc build"));

    let (status, body) = served.get("/no/such/page.html");
    assert_eq!(status, 404);
    assert!(body.contains("openssc-live-reload"), "the 404 page reloads too");

    let (status, head, _) = served.request("GET", "/projects");
    assert_eq!(status, 301);
    assert_eq!(header(&head, "location"), Some("/projects/"));

    let (status, head, json) = served.request("GET", "/data/records.json");
    assert_eq!(status, 200);
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    assert!(!String::from_utf8(json).unwrap().contains("openssc-live-reload"));

    let status = served.status();
    assert_eq!(status["ok"], true, "{status}");
    assert_eq!(status["generation"], 1, "{status}");

    let exit = served.interrupt();
    assert!(
        exit.success(),
        "Ctrl-C stops cleanly: {exit:?}; stderr:\n{}",
        served.stderr()
    );
}

#[test]
fn rebuilds_on_change_and_keeps_the_last_good_build() {
    let mut served = Served::start();
    assert_eq!(served.status()["generation"], 1);

    // A change is rebuilt and served.
    served.edit(RECORD, "Fixture bilateral project (test data)", "Edited while serving");
    served.wait_for("the rebuild", |s| s["generation"] == 2 && s["ok"] == true);
    let (status, page) = served.get(PAGE);
    assert_eq!(status, 200);
    assert!(page.contains("Edited while serving"), "the new text is served");

    // An invalid change: the diagnostics are published and printed, the last good build stays.
    served.edit(RECORD, "status: completed", "status: finishedish");
    let failed = served.wait_for("the failed build", |s| s["ok"] == false);
    assert_eq!(failed["generation"], 2, "{failed}");
    let diagnostics = failed["diagnostics"].as_array().unwrap();
    let problem = diagnostics
        .iter()
        .find(|d| d["file"] == RECORD)
        .unwrap_or_else(|| panic!("no diagnostic for {RECORD}: {failed}"));
    assert_eq!(problem["line"], 6, "{problem}");
    assert_eq!(problem["column"], 9, "{problem}");
    assert_eq!(problem["severity"], "error");
    assert!(
        problem["message"].as_str().unwrap().contains("finishedish"),
        "{problem}"
    );
    let (status, page) = served.get(PAGE);
    assert_eq!(status, 200);
    assert!(
        page.contains("Edited while serving"),
        "the last good build is still served"
    );
    let start = Instant::now();
    while !served.stderr().contains("still serving the last good build") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "terminal: {}",
            served.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        served.stderr().contains(&format!("{RECORD}:6:9: error:")),
        "the terminal shows the diagnostic: {}",
        served.stderr()
    );

    // Fixed: a new build is served again.
    served.edit(RECORD, "status: finishedish", "status: completed");
    served.wait_for("the fixed build", |s| s["generation"] == 3 && s["ok"] == true);
    let (_, page) = served.get(PAGE);
    assert!(page.contains("Edited while serving"));

    // Editor temporary files and files outside the watched folders are not changes.
    std::fs::write(served.site.path().join("content/projects/.x.md.swp"), "x").unwrap();
    std::fs::write(served.site.path().join("notes.txt"), "x").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(served.status()["generation"], 3);

    assert!(served.interrupt().success());
    assert!(
        !Path::new(&served.site.path().join("public")).exists(),
        "serve never writes public/"
    );
}
