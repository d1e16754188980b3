//! Running the binary and reading a simulation's timeline.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What `CAIRN_NOW` pins "now" to in every test.
pub const NOW: &str = "2026-01-05T15:00:00Z";
/// Monday 2026-01-05, 10:00 in New York (every template's time zone).
pub const MONDAY_10AM: &str = "2026-01-05T15:00:00Z";

pub const M: i64 = 60;
pub const H: i64 = 3600;
pub const D: i64 = 86_400;

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cairn` in `dir` with a pinned clock and no inherited database.
pub fn cairn(dir: &Path, args: &[&str]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .current_dir(dir)
        .env_remove("CAIRN_DB")
        .env_remove("RUST_LOG")
        .env("CAIRN_NOW", NOW)
        .output()
        .expect("run cairn");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

/// Runs and expects success with nothing on stderr.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let o = cairn(dir, args);
    assert_eq!(o.code, 0, "cairn {args:?} failed: {}", o.stderr);
    assert_eq!(o.stderr, "", "cairn {args:?} wrote to stderr");
    o.stdout
}

/// Runs with `--json` and expects success.
pub fn json(dir: &Path, args: &[&str]) -> Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let out = ok(dir, &a);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("cairn {args:?}: not JSON ({e}): {out}"))
}

/// The template's file as committed in `assets/templates/`.
pub fn asset(slug: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/templates")
        .join(format!("{slug}.json"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A temporary folder holding a database path (not created until `init`).
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("cairn.db")
    }
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

/// A scenario: the template's file written by `cairn template show -o`,
/// then `cairn simulate` with a script of events, for the contact Dana Reyes.
pub struct Scenario {
    slug: &'static str,
    script: String,
    duration: String,
    start: String,
    args: Vec<String>,
}

pub fn scenario(slug: &'static str) -> Scenario {
    Scenario {
        slug,
        script: String::new(),
        duration: "1d".into(),
        start: MONDAY_10AM.into(),
        args: vec!["--name".into(), "Dana Reyes".into()],
    }
}

impl Scenario {
    /// Adds a line to the events script (`+3d type {json}`).
    pub fn event(mut self, line: &str) -> Self {
        self.script.push_str(line);
        self.script.push('\n');
        self
    }
    pub fn lasting(mut self, d: &str) -> Self {
        self.duration = d.into();
        self
    }
    pub fn starting(mut self, rfc3339: &str) -> Self {
        self.start = rfc3339.into();
        self
    }
    pub fn arg(mut self, a: &str) -> Self {
        self.args.push(a.into());
        self
    }
    /// No name: `contact.first_name` is empty.
    pub fn nameless(mut self) -> Self {
        self.args.retain(|a| a != "--name" && a != "Dana Reyes");
        self
    }

    pub fn run(self) -> Timeline {
        let w = Workdir::new();
        let file = w.path().join(format!("{}.json", self.slug));
        ok(
            w.path(),
            &["template", "show", self.slug, "-o", file.to_str().unwrap()],
        );
        let script = w.file("events.txt", &self.script);
        let mut args: Vec<&str> = vec![
            "--json",
            "simulate",
            file.to_str().unwrap(),
            "--contact",
            "dana@example.com",
            "--for",
            &self.duration,
            "--start",
            &self.start,
            "--events",
            script.to_str().unwrap(),
        ];
        args.extend(self.args.iter().map(String::as_str));
        let out = ok(w.path(), &args);
        Timeline(serde_json::from_str(&out).unwrap())
    }
}

/// `cairn simulate --json` output.
#[derive(Debug)]
pub struct Timeline(pub Value);

impl Timeline {
    pub fn entries(&self) -> &Vec<Value> {
        self.0["entries"].as_array().unwrap()
    }

    /// Emails that went out (in the simulation: were rendered and
    /// recorded), as (seconds since the start, subject).
    pub fn emails(&self) -> Vec<(i64, String)> {
        self.entries()
            .iter()
            .filter(|e| e["kind"] == "action.send_email" && e["status"] == "ok")
            .map(|e| {
                (
                    e["offset_secs"].as_i64().unwrap(),
                    e["subject"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// (offset, node) of every step, in timeline order.
    pub fn steps(&self) -> Vec<(i64, String)> {
        self.entries()
            .iter()
            .map(|e| {
                (
                    e["offset_secs"].as_i64().unwrap(),
                    e["node"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// The nodes that ran at this offset, in order.
    pub fn nodes_at(&self, offset: i64) -> Vec<String> {
        self.steps()
            .into_iter()
            .filter(|(o, _)| *o == offset)
            .map(|(_, n)| n)
            .collect()
    }

    /// The one step at `node` (panics when there is none or several).
    pub fn step(&self, node: &str) -> &Value {
        let found: Vec<&Value> = self
            .entries()
            .iter()
            .filter(|e| e["node"] == node)
            .collect();
        assert_eq!(found.len(), 1, "steps at {node}: {found:#?}");
        found[0]
    }

    pub fn ran(&self, node: &str) -> bool {
        self.entries().iter().any(|e| e["node"] == node)
    }

    pub fn runs(&self) -> &Vec<Value> {
        self.0["runs"].as_array().unwrap()
    }

    /// The only run.
    pub fn run(&self) -> &Value {
        assert_eq!(self.runs().len(), 1, "{:#?}", self.runs());
        &self.runs()[0]
    }

    /// Seconds from the start to the run's end.
    pub fn ended_after(&self, run: &Value) -> i64 {
        let at = |v: &Value| {
            chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
                .unwrap()
                .timestamp()
        };
        at(&run["ended_at"]) - at(&self.0["start"])
    }

    pub fn tags(&self) -> BTreeSet<String> {
        self.0["contact"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    }

    pub fn contact_status(&self) -> &str {
        self.0["contact"]["status"].as_str().unwrap()
    }
}

pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

pub fn emails(items: &[(i64, &str)]) -> Vec<(i64, String)> {
    items.iter().map(|(o, s)| (*o, s.to_string())).collect()
}
