//! The `cairn` binary, run as a user or a script would run it: a real
//! database file in a temporary folder, stdout, `--json` shapes, exit codes
//! and the one-line reason on stderr.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

const NOW: &str = "2026-01-05T09:00:00Z";

struct Db {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cairn.db");
        Db { dir, path }
    }

    /// A database made with `cairn init`.
    fn init() -> Db {
        let db = Db::new();
        db.ok(&["init"]);
        db
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn run(&self, args: &[&str]) -> Out {
        run_with(args, |c| {
            c.arg("--db").arg(&self.path).current_dir(self.dir.path());
        })
    }

    /// Runs and expects success with nothing on stderr.
    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(o.code, 0, "cairn {args:?} failed: {}", o.stderr);
        assert_eq!(o.stderr, "", "cairn {args:?} wrote to stderr");
        o.stdout
    }

    /// Runs with `--json` and expects success.
    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.ok(&a);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("cairn {args:?}: not JSON ({e}): {out}"))
    }

    /// Runs and expects failure; returns the one line on stderr.
    fn fails(&self, args: &[&str]) -> Out {
        let o = self.run(args);
        assert_eq!(o.code, 1, "cairn {args:?} should fail: {o:?}");
        assert_eq!(
            o.stderr.lines().count(),
            1,
            "one line on stderr: {:?}",
            o.stderr
        );
        o
    }
}

#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_with(args: &[&str], setup: impl FnOnce(&mut Command)) -> Out {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cairn"));
    c.env_remove("CAIRN_DB")
        .env_remove("RUST_LOG")
        .env("CAIRN_NOW", NOW);
    setup(&mut c);
    c.args(args);
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

const WELCOME: &str = r#"{"format":"cairn.workflow","version":1,"name":"Welcome","nodes":[
 {"id":"start","position":{"x":0,"y":0},"kind":"trigger.manual","config":{}},
 {"id":"tag","position":{"x":0,"y":100},"kind":"action.add_tag","config":{"tag":"welcomed"}},
 {"id":"end","position":{"x":0,"y":200},"kind":"end","config":{}}],
 "edges":[{"from":"start","to":"tag"},{"from":"tag","to":"end"}]}"#;

const NO_TRIGGER: &str = r#"{"format":"cairn.workflow","version":1,"name":"Broken","nodes":[
 {"id":"lonely","position":{"x":0,"y":0},"kind":"end","config":{}}]}"#;

// ---------------------------------------------------------------- init, db

#[test]
fn init_creates_the_database_and_says_where() {
    let db = Db::new();
    let out = db.ok(&["init"]);
    assert_eq!(
        out,
        format!(
            "database created: {} (schema version {})\n",
            db.path.display(),
            cairn_store::SCHEMA_VERSION
        )
    );
    assert!(db.path.exists());
    let again = db.json(&["init"]);
    assert_eq!(
        again,
        json!({"db": db.path.display().to_string(), "created": false, "schema_version": cairn_store::SCHEMA_VERSION})
    );
}

#[test]
fn cairn_db_names_the_database_when_db_is_not_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("from-env.db");
    let o = run_with(&["--json", "init"], |c| {
        c.env("CAIRN_DB", &path);
    });
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(path.exists());
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["db"], json!(path.display().to_string()));
}

#[test]
fn without_init_a_command_refuses_and_creates_nothing() {
    let db = Db::new();
    let o = db.fails(&["contact", "list"]);
    assert_eq!(
        o.stderr,
        format!(
            "error: no database at {}; run `cairn init` first, or pass --db PATH\n",
            db.path.display()
        )
    );
    assert_eq!(o.stdout, "");
    assert!(!db.path.exists());
}

#[test]
fn a_database_from_a_newer_cairn_is_refused() {
    let db = Db::init();
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let o = db.fails(&["contact", "list"]);
    assert!(
        o.stderr.contains("written by a newer version of Cairn"),
        "{}",
        o.stderr
    );
    let o = db.fails(&["--json", "contact", "list"]);
    let e: Value = serde_json::from_str(&o.stderr).unwrap();
    assert_eq!(e["error"]["code"], json!("newer_database"));
}

#[test]
fn a_bad_cairn_now_is_named() {
    let db = Db::init();
    let o = run_with(
        &["--db", db.path.to_str().unwrap(), "contact", "list"],
        |c| {
            c.env("CAIRN_NOW", "tomorrow");
        },
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .starts_with("error: CAIRN_NOW=\"tomorrow\" is not an RFC 3339 time"),
        "{}",
        o.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    let db = Db::init();
    let o = db.run(&["field", "add", "x", "--type", "colour"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("invalid value 'colour'"), "{}", o.stderr);
    let o = db.run(&["contact"]);
    assert_eq!(o.code, 2);
}

#[test]
fn logs_go_to_stderr_filtered_by_rust_log_and_stdout_stays_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cairn.db");
    let o = run_with(&["--json", "--db", path.to_str().unwrap(), "init"], |c| {
        c.env("RUST_LOG", "info");
    });
    assert_eq!(o.code, 0);
    assert!(
        o.stderr.contains("upgrading database schema"),
        "{}",
        o.stderr
    );
    let _: Value = serde_json::from_str(&o.stdout).expect("stdout is only the JSON");
    // Unlike the app, the command line writes no log file (README, docs/cli.md).
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("cairn.db"))
        .collect();
    assert_eq!(beside, Vec::<String>::new(), "no logs/ beside the database");
    // The default filter (warn) keeps a normal run quiet.
    let db = Db::new();
    assert_eq!(db.run(&["init"]).stderr, "");
}

// ---------------------------------------------------------------- fields

#[test]
fn fields_are_added_and_listed() {
    let db = Db::init();
    assert_eq!(
        db.ok(&["field", "add", "birthday", "--type", "date"]),
        "field birthday (date) added\n"
    );
    assert_eq!(
        db.json(&["field", "add", "birthday", "--type", "date"]),
        json!({"name": "birthday", "type": "date", "created": false})
    );
    db.ok(&["field", "add", "score", "--type", "number"]);
    assert_eq!(
        db.ok(&["field", "list"]),
        "birthday  date\nscore     number\n"
    );
    assert_eq!(
        db.json(&["field", "list"]),
        json!({"fields": [{"name": "birthday", "type": "date"}, {"name": "score", "type": "number"}]})
    );
    let o = db.fails(&["field", "add", "birthday", "--type", "text"]);
    assert_eq!(
        o.stderr,
        "error: field \"birthday\" already exists as a date field, not text\n"
    );
    let o = db.fails(&["field", "add", "email", "--type", "text"]);
    assert!(o.stderr.contains("built-in field"), "{}", o.stderr);
}

// ---------------------------------------------------------------- contacts

#[test]
fn contact_add_prints_the_contact_and_refuses_a_duplicate() {
    let db = Db::init();
    db.ok(&["field", "add", "score", "--type", "number"]);
    assert_eq!(
        db.ok(&[
            "contact",
            "add",
            "Ada@Example.com",
            "--name",
            "Ada Lovelace",
            "--field",
            "score=42",
            "--tag",
            "vip",
            "--tag",
            "lead",
            "--timezone",
            "Europe/London"
        ]),
        "added contact Ada@Example.com (#1)\n"
    );
    let v = db.json(&["contact", "add", "bob@example.com"]);
    assert_eq!(
        v,
        json!({
            "id": 2, "email": "bob@example.com", "name": null, "status": "subscribed",
            "timezone": null, "fields": {}, "tags": [], "is_test": false,
            "created_at": "2026-01-05T09:00:00Z", "updated_at": "2026-01-05T09:00:00Z"
        })
    );
    let o = db.fails(&["contact", "add", "ada@example.com"]);
    assert_eq!(
        o.stderr,
        "error: a contact with email \"Ada@Example.com\" already exists\n"
    );
    let o = db.fails(&["--json", "contact", "add", "ada@example.com"]);
    assert_eq!(
        serde_json::from_str::<Value>(&o.stderr).unwrap(),
        json!({"error": {"code": "conflict", "message": "a contact with email \"Ada@Example.com\" already exists"}})
    );
}

#[test]
fn contact_add_names_what_is_wrong() {
    let db = Db::init();
    db.ok(&["field", "add", "score", "--type", "number"]);
    let o = db.fails(&["contact", "add", "not-an-email"]);
    assert!(
        o.stderr
            .starts_with("error: invalid email address \"not-an-email\""),
        "{}",
        o.stderr
    );
    let o = db.fails(&["contact", "add", "ada@example.com", "--field", "score"]);
    assert_eq!(
        o.stderr,
        "error: --field expects KEY=VALUE, got \"score\"\n"
    );
    let o = db.fails(&["contact", "add", "ada@example.com", "--field", "score=many"]);
    assert_eq!(
        o.stderr,
        "error: invalid value for field \"score\": \"many\" is not a number\n"
    );
    let o = db.fails(&["contact", "add", "ada@example.com", "--field", "shoe=42"]);
    assert!(
        o.stderr.contains("\"shoe\": there is no such field"),
        "{}",
        o.stderr
    );
    let o = db.fails(&["contact", "add", "ada@example.com", "--timezone", "Berlin"]);
    assert!(
        o.stderr.contains("unknown time zone \"Berlin\""),
        "{}",
        o.stderr
    );
    assert_eq!(db.json(&["contact", "list"])["count"], json!(0));
}

#[test]
fn contact_show_lists_fields_tags_and_events() {
    let db = Db::init();
    db.ok(&["field", "add", "plan", "--type", "text"]);
    db.ok(&[
        "contact",
        "add",
        "ada@example.com",
        "--name",
        "Ada",
        "--field",
        "plan=Gold",
        "--tag",
        "vip",
    ]);
    let out = db.ok(&["contact", "show", "ADA@example.com"]);
    for want in [
        "ada@example.com\n",
        "  name:     Ada\n",
        "  tags:     vip\n",
        "  plan: Gold\n",
        "tag.added",
        "contact.created",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let v = db.json(&["contact", "show", "ada@example.com"]);
    assert_eq!(v["contact"]["fields"], json!({"plan": "Gold"}));
    let types: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["tag.added", "contact.created"]);
    assert_eq!(v["events"][0]["payload"], json!({"tag": "vip"}));
    let o = db.fails(&["contact", "show", "nobody@example.com"]);
    assert_eq!(o.stderr, "error: no contact named \"nobody@example.com\"\n");
}

#[test]
fn contact_list_filters_by_tag_and_search() {
    let db = Db::init();
    db.ok(&[
        "contact",
        "add",
        "zoe@example.com",
        "--name",
        "Zoe",
        "--tag",
        "vip",
    ]);
    db.ok(&[
        "contact",
        "add",
        "ada@example.com",
        "--name",
        "Ada Lovelace",
        "--tag",
        "vip",
    ]);
    db.ok(&["contact", "add", "bob@example.org", "--name", "Bob"]);
    let out = db.ok(&["contact", "list", "--tag", "VIP"]);
    assert_eq!(
        out,
        "EMAIL            NAME          STATUS        TAGS\n\
         ada@example.com  Ada Lovelace  subscribed    vip\n\
         zoe@example.com  Zoe           subscribed    vip\n\
         2 contacts\n"
    );
    let v = db.json(&["contact", "list", "--search", "LOVE"]);
    assert_eq!(v["count"], json!(1));
    assert_eq!(v["contacts"][0]["email"], json!("ada@example.com"));
    assert_eq!(
        db.ok(&["contact", "list", "--search", "nobody"]),
        "no contacts\n"
    );
}

#[test]
fn contact_tag_and_untag_say_whether_anything_changed() {
    let db = Db::init();
    db.ok(&["contact", "add", "ada@example.com"]);
    assert_eq!(
        db.ok(&["contact", "tag", "ada@example.com", "customer"]),
        "tagged ada@example.com with customer\n"
    );
    assert_eq!(
        db.json(&["contact", "tag", "ada@example.com", "Customer"]),
        json!({"email": "ada@example.com", "tag": "Customer", "changed": false})
    );
    assert_eq!(
        db.ok(&["contact", "untag", "ada@example.com", "customer"]),
        "removed tag customer from ada@example.com\n"
    );
    assert_eq!(
        db.json(&["contact", "untag", "ada@example.com", "customer"]),
        json!({"email": "ada@example.com", "tag": "customer", "changed": false})
    );
    let events = db.json(&["contact", "show", "ada@example.com"])["events"].clone();
    let types: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["tag.removed", "tag.added", "contact.created"]);
    db.fails(&["contact", "tag", "nobody@example.com", "x"]);
}

#[test]
fn contact_import_reports_rows_and_refuses_a_file_with_bad_rows() {
    let db = Db::init();
    let good = db.file("good.csv", "\u{feff}email,name,tags,birthday:date\r\nada@example.com,\"Lovelace, Ada\",vip;lead,1815-12-10\r\nbob@example.com,Bob,,\r\n");
    let out = db.ok(&["contact", "import", good.to_str().unwrap()]);
    assert_eq!(
        out,
        "created field birthday (date)\nimported 2 rows: 2 created, 0 updated, 0 unchanged\n"
    );
    let ada = db.json(&["contact", "show", "ada@example.com"]);
    assert_eq!(ada["contact"]["name"], json!("Lovelace, Ada"));
    assert_eq!(ada["contact"]["tags"], json!(["lead", "vip"]));

    let mixed = db.file(
        "mixed.csv",
        "email,name\nada@example.com,Ada L\nnope,Nobody\ncy@example.com,Cy\n",
    );
    let o = db.fails(&["contact", "import", "mixed.csv"]);
    assert_eq!(
        o.stdout,
        "mixed.csv:3: invalid email address \"nope\": Missing separator character '@'.\nnothing imported: 1 of 3 rows are invalid\n"
    );
    assert_eq!(
        o.stderr,
        "error: 1 invalid row in mixed.csv; nothing was imported (fix them, or pass --skip-invalid to import the valid rows)\n"
    );
    assert_eq!(db.json(&["contact", "list"])["count"], json!(2));

    let v = {
        let o = db.run(&[
            "--json",
            "contact",
            "import",
            mixed.to_str().unwrap(),
            "--skip-invalid",
        ]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        serde_json::from_str::<Value>(&o.stdout).unwrap()
    };
    assert_eq!(
        v,
        json!({
            "file": mixed.display().to_string(),
            "rows": 3, "imported": true, "created": 1, "updated": 1, "unchanged": 0, "skipped": 1,
            "returned_erased": 0, "fields_created": [],
            "invalid": [{"line": 3, "email": "nope", "reason": "invalid email address \"nope\": Missing separator character '@'."}]
        })
    );
    assert_eq!(
        db.json(&["contact", "show", "ada@example.com"])["contact"]["name"],
        json!("Ada L")
    );

    let o = db.fails(&["contact", "import", "missing.csv"]);
    assert!(
        o.stderr.starts_with("error: cannot read missing.csv: "),
        "{}",
        o.stderr
    );
    let bad_header = db.file("bad.csv", "email,hat\nada@example.com,x\n");
    let o = db.fails(&["contact", "import", bad_header.to_str().unwrap()]);
    assert!(
        o.stderr
            .starts_with("error: CSV line 1: unknown column \"hat\" (column 2)"),
        "{}",
        o.stderr
    );
}

// ---------------------------------------------------------------- events

#[test]
fn event_emit_stores_once_per_source_and_id() {
    let db = Db::init();
    let args = [
        "event",
        "emit",
        "purchase.completed",
        "--contact",
        "ada@example.com",
        "--data",
        r#"{"product":"Program A","amount":100}"#,
        "--at",
        "2026-01-04T10:00:00+01:00",
        "--source",
        "stripe",
        "--id",
        "evt_1",
    ];
    assert_eq!(
        db.ok(&args),
        "stored event #2: purchase.completed for ada@example.com\n"
    );
    let mut j = vec!["--json"];
    j.extend_from_slice(&args);
    let o = db.run(&j);
    assert_eq!(o.code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&o.stdout).unwrap(),
        json!({"outcome": "duplicate", "existing_id": 2, "type": "purchase.completed", "contact": "ada@example.com", "source": "stripe", "external_id": "evt_1"})
    );
    assert_eq!(
        db.ok(&args),
        "already stored as event #2 (stripe evt_1); nothing changed\n"
    );
    let shown = db.json(&["contact", "show", "ada@example.com"]);
    let events = shown["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        2,
        "the contact was created, then one purchase: {events:?}"
    );
    let purchase = events
        .iter()
        .find(|e| e["type"] == json!("purchase.completed"))
        .unwrap();
    assert_eq!(purchase["occurred_at"], json!("2026-01-04T09:00:00Z"));
    assert_eq!(purchase["recorded_at"], json!(NOW));
    assert_eq!(
        purchase["payload"],
        json!({"product": "Program A", "amount": 100})
    );

    let v = db.json(&[
        "event",
        "emit",
        "note.added",
        "--contact",
        "ada@example.com",
    ]);
    assert_eq!(v["outcome"], json!("stored"));
    assert_eq!(v["source"], json!("manual"));
}

#[test]
fn event_emit_names_bad_input() {
    let db = Db::init();
    let o = db.fails(&[
        "event",
        "emit",
        "x",
        "--contact",
        "ada@example.com",
        "--data",
        "{oops",
    ]);
    assert!(
        o.stderr.starts_with("error: --data is not valid JSON"),
        "{}",
        o.stderr
    );
    let o = db.fails(&[
        "event",
        "emit",
        "x",
        "--contact",
        "ada@example.com",
        "--data",
        "[1,2]",
    ]);
    assert!(
        o.stderr.starts_with("error: --data must be a JSON object"),
        "{}",
        o.stderr
    );
    let o = db.fails(&[
        "event",
        "emit",
        "x",
        "--contact",
        "ada@example.com",
        "--at",
        "yesterday",
    ]);
    assert!(
        o.stderr
            .starts_with("error: --at \"yesterday\" is not an RFC 3339 time"),
        "{}",
        o.stderr
    );
    let o = db.fails(&["event", "emit", "bought it", "--contact", "ada@example.com"]);
    assert!(o.stderr.contains("contains a space"), "{}", o.stderr);
    let o = db.fails(&["event", "emit", "x", "--contact", "ada"]);
    assert!(
        o.stderr.contains("invalid email address \"ada\""),
        "{}",
        o.stderr
    );
    assert_eq!(db.json(&["contact", "list"])["count"], json!(0));
}

// ---------------------------------------------------------------- workflows

fn insert_run(db: &Path, workflow: &str, version: u32) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute(
        "INSERT INTO contacts (email, email_key, created_at, updated_at) VALUES ('r@example.com', 'r@example.com', 0, 0) ON CONFLICT DO NOTHING",
        [],
    )
    .unwrap();
    c.execute(
        "INSERT INTO runs (workflow_id, version, contact_id, trigger_node, status, started_at, updated_at)
         VALUES ((SELECT id FROM workflows WHERE name = ?1), ?2, (SELECT id FROM contacts WHERE email_key = 'r@example.com'), 'start', 'waiting', 0, 0)",
        rusqlite::params![workflow, version],
    )
    .unwrap();
}

#[test]
fn workflow_import_arrives_paused_and_a_clash_is_a_copy() {
    let db = Db::init();
    db.file("welcome.json", WELCOME);
    assert_eq!(
        db.ok(&["workflow", "import", "welcome.json"]),
        "imported \"Welcome\", paused, version 1\n"
    );
    let v = db.json(&["workflow", "import", "welcome.json"]);
    assert_eq!(v["name"], json!("Welcome (2)"));
    assert_eq!(v["renamed_from"], json!("Welcome"));
    assert_eq!(v["status"], json!("paused"));
    assert_eq!(v["replaced"], json!(false));
    assert_eq!(v["report"], json!({"issues": []}));
    let list = db.json(&["workflow", "list"]);
    let names: Vec<&str> = list["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Welcome", "Welcome (2)"]);
    assert!(
        list["workflows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["status"] == json!("paused"))
    );
    let out = db.ok(&["workflow", "list"]);
    assert!(out.starts_with("NAME         STATUS   VERSION  UPDATED\nWelcome      paused   1        2026-01-05 09:00:00 UTC\n"), "{out}");

    let o = db.fails(&["workflow", "import", "missing.json"]);
    assert!(
        o.stderr.starts_with("error: cannot read missing.json"),
        "{}",
        o.stderr
    );
    db.file("bad.json", r#"{"format":"cairn.workflow","version":1,"name":"X","nodes":[{"id":"w","kind":"wait.duration","position":{"x":0,"y":0},"config":{"duration":"soon"}}]}"#);
    let o = db.fails(&["workflow", "import", "bad.json"]);
    assert!(
        o.stderr
            .starts_with("error: bad.json: nodes[0].config.duration: expected a duration"),
        "{}",
        o.stderr
    );
    assert_eq!(
        db.json(&["workflow", "list"])["workflows"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn workflow_export_gives_the_same_bytes_after_a_round_trip() {
    let db = Db::init();
    db.file("welcome.json", WELCOME);
    db.ok(&["workflow", "import", "welcome.json"]);
    let exported = db.ok(&["workflow", "export", "Welcome"]);
    assert!(
        exported.starts_with(
            "{\n  \"format\": \"cairn.workflow\",\n  \"version\": 1,\n  \"name\": \"Welcome\""
        ),
        "{exported}"
    );
    let v = db.json(&["workflow", "export", "Welcome", "-o", "out.json"]);
    assert_eq!(
        v,
        json!({"name": "Welcome", "file": "out.json", "bytes": exported.len()})
    );
    assert_eq!(
        std::fs::read_to_string(db.dir.path().join("out.json")).unwrap(),
        exported
    );
    db.ok(&["workflow", "import", "out.json", "--replace"]);
    assert_eq!(db.ok(&["workflow", "export", "Welcome"]), exported);
    let o = db.fails(&["workflow", "export", "Nope"]);
    assert_eq!(o.stderr, "error: no workflow named \"Nope\"\n");
}

#[test]
fn workflow_validate_prints_issues_with_node_ids_and_fails_on_errors() {
    let db = Db::init();
    db.file("welcome.json", WELCOME);
    assert_eq!(
        db.ok(&["workflow", "validate", "welcome.json"]),
        "welcome.json: 0 errors, 0 warnings\n"
    );
    db.file("broken.json", NO_TRIGGER);
    let o = db.fails(&["workflow", "validate", "broken.json"]);
    assert!(
        o.stdout.contains("error: the workflow has no trigger"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("[no_trigger]"), "{}", o.stdout);
    assert!(o.stdout.contains("warning: node lonely: "), "{}", o.stdout);
    assert!(
        o.stdout.ends_with("broken.json: 1 error, 1 warning\n"),
        "{}",
        o.stdout
    );
    assert_eq!(
        o.stderr,
        "error: broken.json has 1 error; fix it before activating\n"
    );

    let o = db.fails(&["--json", "workflow", "validate", "broken.json"]);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["valid"], json!(false));
    assert_eq!(v["errors"][0]["code"], json!("no_trigger"));
    assert_eq!(v["warnings"][0]["node"], json!("lonely"));
    let e: Value = serde_json::from_str(&o.stderr).unwrap();
    assert_eq!(e["error"]["code"], json!("validation_failed"));

    // The database's catalog counts: a field the database lacks is an
    // error naming the node; once declared, the same file is valid.
    db.file(
        "set-plan.json",
        &WELCOME.replace(
            r#""kind":"action.add_tag","config":{"tag":"welcomed"}"#,
            r#""kind":"action.set_field","config":{"field":"plan","value":"gold"}"#,
        ),
    );
    let o = db.fails(&["--json", "workflow", "validate", "set-plan.json"]);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["errors"][0]["code"], json!("unknown_field"));
    assert_eq!(v["errors"][0]["node"], json!("tag"));
    db.ok(&["field", "add", "plan", "--type", "text"]);
    assert_eq!(
        db.json(&["workflow", "validate", "set-plan.json"])["valid"],
        json!(true)
    );

    db.file("json-error.json", "{\"format\": \"cairn.workflow\", ");
    let o = db.fails(&["workflow", "validate", "json-error.json"]);
    assert!(
        o.stderr
            .starts_with("error: json-error.json: not valid JSON at line 1"),
        "{}",
        o.stderr
    );
    db.file(
        "newer.json",
        r#"{"format":"cairn.workflow","version":99,"name":"X","nodes":[]}"#,
    );
    let o = db.fails(&["--json", "workflow", "validate", "newer.json"]);
    let e: Value = serde_json::from_str(&o.stderr).unwrap();
    assert_eq!(e["error"]["code"], json!("newer_format"));
}

#[test]
fn workflow_validate_checks_a_file_without_a_database() {
    let db = Db::new();
    // What only a database can confirm (a contact field, another workflow)
    // is reported as not checked, not as an error.
    db.file(
        "set-plan.json",
        &WELCOME.replace(
            r#""kind":"action.add_tag","config":{"tag":"welcomed"}"#,
            r#""kind":"action.set_field","config":{"field":"plan","value":"gold"}"#,
        ),
    );
    let out = db.ok(&["workflow", "validate", "set-plan.json"]);
    assert!(
        out.contains("not checked: no database: node tag: contacts have no field \"plan\""),
        "{out}"
    );
    assert!(
        out.ends_with("set-plan.json: 0 errors, 0 warnings; accounts, fields, tags, pipelines, courses and other workflows not checked: no database\n"),
        "{out}"
    );
    let v = db.json(&["workflow", "validate", "set-plan.json"]);
    assert_eq!(v["valid"], json!(true));
    assert_eq!(v["database"], json!(false));
    assert_eq!(v["errors"], json!([]));
    assert_eq!(v["not_checked"][0]["code"], json!("unknown_field"));
    assert_eq!(v["not_checked"][0]["node"], json!("tag"));

    // What the file gets wrong by itself is still an error.
    db.file("broken.json", NO_TRIGGER);
    let o = db.fails(&["--json", "workflow", "validate", "broken.json"]);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["errors"][0]["code"], json!("no_trigger"));
    assert!(!db.path.exists(), "validate created a database");

    // With a database, its catalog decides.
    db.ok(&["init"]);
    let v = db.fails(&["--json", "workflow", "validate", "set-plan.json"]);
    let v: Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(v["database"], json!(true));
    assert_eq!(v["errors"][0]["code"], json!("unknown_field"));
    assert_eq!(v["not_checked"], json!([]));
}

#[test]
fn workflow_show_lists_nodes_and_problems() {
    let db = Db::init();
    db.file("welcome.json", WELCOME);
    db.ok(&["workflow", "import", "welcome.json"]);
    let out = db.ok(&["workflow", "show", "welcome"]);
    assert!(
        out.starts_with("Welcome (paused, version 1)\nnodes (3, 2 edges):\n"),
        "{out}"
    );
    assert!(out.contains("start  trigger.manual"), "{out}");
    assert!(out.ends_with("no problems found\n"), "{out}");
    let v = db.json(&["workflow", "show", "Welcome"]);
    assert_eq!(v["workflow"]["name"], json!("Welcome"));
    assert_eq!(
        v["nodes"][1],
        json!({"id": "tag", "kind": "action.add_tag", "label": null})
    );
    assert_eq!(v["edges"], json!(2));
}

#[test]
fn workflow_versions_grow_when_a_workflow_with_runs_changes() {
    let db = Db::init();
    db.file("welcome.json", WELCOME);
    db.ok(&["workflow", "import", "welcome.json"]);
    insert_run(&db.path, "Welcome", 1);
    db.file("changed.json", &WELCOME.replace("welcomed", "greeted"));
    let v = db.json(&["workflow", "import", "changed.json", "--replace"]);
    assert_eq!(
        (v["version"].clone(), v["replaced"].clone()),
        (json!(2), json!(true))
    );
    let out = db.ok(&["workflow", "versions", "Welcome"]);
    assert_eq!(
        out,
        "VERSION  CREATED                  NODES  RUNS\n\
         1        2026-01-05 09:00:00 UTC  3      1\n\
         2        2026-01-05 09:00:00 UTC  3      0  (current)\n"
    );
    let v = db.json(&["workflow", "versions", "Welcome"]);
    assert_eq!(v["workflow"], json!("Welcome"));
    assert_eq!(
        v["versions"],
        json!([
            {"version": 1, "created_at": NOW, "current": false, "runs": 1, "nodes": 3},
            {"version": 2, "created_at": NOW, "current": true, "runs": 0, "nodes": 3}
        ])
    );
}

#[test]
fn workflow_activate_refuses_errors_and_pause_pauses() {
    let db = Db::init();
    db.file("welcome.json", WELCOME);
    db.file("broken.json", NO_TRIGGER);
    db.ok(&["workflow", "import", "welcome.json"]);
    db.ok(&["workflow", "import", "broken.json"]);
    assert_eq!(
        db.ok(&["workflow", "activate", "Welcome"]),
        "Welcome is now active\n"
    );
    assert_eq!(
        db.json(&["workflow", "show", "Welcome"])["workflow"]["status"],
        json!("active")
    );
    let v = db.json(&["workflow", "pause", "Welcome"]);
    assert_eq!(v["status"], json!("paused"));
    assert_eq!(v["name"], json!("Welcome"));
    let o = db.fails(&["workflow", "activate", "Broken"]);
    assert!(
        o.stderr
            .starts_with("error: the workflow has 1 error: the workflow has no trigger"),
        "{}",
        o.stderr
    );
    let o = db.fails(&["--json", "workflow", "activate", "Broken"]);
    let e: Value = serde_json::from_str(&o.stderr).unwrap();
    assert_eq!(e["error"]["code"], json!("validation_failed"));
    assert_eq!(
        db.json(&["workflow", "show", "Broken"])["workflow"]["status"],
        json!("paused")
    );
    db.fails(&["workflow", "pause", "Nope"]);
}

/// `cairn --json contact list | head` closes the pipe early: that is how the
/// reader said "enough", not a failure, in either output mode.
#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    use std::process::Stdio;

    let db = Db::init();
    let mut csv = String::from("email,name\n");
    for i in 0..3000 {
        csv.push_str(&format!("person{i}@example.com,Person {i}\n"));
    }
    let file = db.file("people.csv", &csv);
    db.ok(&["contact", "import", file.to_str().unwrap()]);
    for json in [true, false] {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cairn"));
        c.env_remove("RUST_LOG").env("CAIRN_NOW", NOW);
        c.arg("--db").arg(&db.path);
        if json {
            c.arg("--json");
        }
        let mut child = c
            .args(["contact", "list"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The read end is dropped here: the rest of the output meets a closed pipe.
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8(o.stderr).unwrap();
        assert_eq!(stderr, "", "json={json}: nothing on stderr");
        assert!(o.status.success(), "json={json}: {:?}", o.status);
    }
}

// ---------------------------------------------------------------- docs

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `NAME.md` the README, ARCHITECTURE.md and docs/ cite is a file of
/// the repository (beside the citing file, at the root, or in docs/).
#[test]
fn docs_cite_only_files_in_the_repository() {
    let root = repo_root();
    let mut docs = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            docs.push(p);
        }
    }
    let mut missing = vec![];
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || "_./-".contains(c)));
        for w in words.filter(|w| w.ends_with(".md") && w.len() > 3 && !w.contains("//")) {
            let w = w.trim_start_matches("./");
            let found = [
                doc.parent().unwrap().join(w),
                root.join(w),
                root.join("docs").join(w),
            ]
            .iter()
            .any(|p| p.exists());
            if !found {
                missing.push(format!("{} cites {w}", doc.display()));
            }
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

/// Every option of `cairn account add <source>` shows in its help (none is
/// hidden) and is described in docs/connectors.md.
#[test]
fn source_account_options_are_shown_and_documented() {
    let docs = std::fs::read_to_string(repo_root().join("docs/connectors.md")).unwrap();
    let db = Db::new();
    for kind in ["stripe", "shopify", "typeform", "mailgun", "json-feed"] {
        let help = db.ok(&["account", "add", kind, "--help"]);
        let flags: Vec<&str> = help
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .filter(|w| !["--help", "--json", "--db"].contains(w))
            .collect();
        assert!(flags.contains(&"--poll-every"), "{kind}: {help}");
        if kind != "json-feed" {
            assert!(flags.contains(&"--base-url"), "{kind}: {help}");
        }
        for f in flags {
            assert!(
                docs.contains(&format!("`{f}")) || docs.contains(&format!(" {f} ")),
                "cairn account add {kind}: {f} is not in docs/connectors.md"
            );
        }
    }
    // A feed's address is its --url.
    let db = Db::init();
    let o = db.fails(&[
        "account",
        "add",
        "json-feed",
        "Feed",
        "--url",
        "https://feed.example/e",
        "--id",
        "/id",
        "--time",
        "/t",
        "--event-type",
        "x.y",
        "--base-url",
        "http://127.0.0.1:1",
    ]);
    assert!(o.stderr.contains("its --url"), "{}", o.stderr);
}

// ---------------------------------------------------------------- erase, export, consent

#[test]
fn contact_delete_asks_first_then_erases_and_an_erased_email_comes_back_unsubscribed() {
    let db = Db::init();
    db.ok(&["field", "add", "city", "--type", "text"]);
    db.ok(&[
        "contact",
        "add",
        "Ada@Example.com",
        "--name",
        "Ada Lovelace",
        "--field",
        "city=Marylebone",
        "--tag",
        "vip",
    ]);
    db.ok(&[
        "event",
        "emit",
        "purchase.completed",
        "--contact",
        "ada@example.com",
        "--data",
        r#"{"product":"Program A"}"#,
    ]);
    // Without --yes: what would go, and nothing erased.
    let o = db.fails(&["contact", "delete", "ada@example.com"]);
    assert!(
        o.stdout.starts_with(
            "erasing would remove ada@example.com: the contact, 1 field value, 1 tag, 0 deals"
        ),
        "{}",
        o.stdout
    );
    assert_eq!(
        o.stderr,
        "error: nothing was erased; run `cairn contact delete ada@example.com --yes` to erase this contact\n"
    );
    let o = db.fails(&["--json", "contact", "delete", "ada@example.com"]);
    assert_eq!(
        serde_json::from_str::<Value>(&o.stderr).unwrap()["error"]["code"],
        "confirmation_required"
    );
    assert_eq!(
        db.json(&["contact", "show", "ada@example.com"])["contact"]["name"],
        "Ada Lovelace"
    );

    let v = db.json(&["contact", "delete", "ada@example.com", "--yes"]);
    assert_eq!(v["erased"], true);
    assert_eq!(
        (v["fields"].as_u64(), v["tags"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["wal_cleared"], true);
    let o = db.fails(&["contact", "show", "ada@example.com"]);
    assert_eq!(o.stderr, "error: no contact named \"ada@example.com\"\n");
    let bytes = std::fs::read(&db.path).unwrap();
    let wal = std::fs::read(db.path.with_extension("db-wal")).unwrap_or_default();
    for needle in [
        "Ada@Example.com",
        "ada@example.com",
        "Marylebone",
        "Program A",
    ] {
        let n = needle.as_bytes();
        assert!(
            !bytes.windows(n.len()).any(|w| w == n) && !wal.windows(n.len()).any(|w| w == n),
            "{needle} is still in the database files"
        );
    }

    // Added again by hand: unsubscribed, and the output says why.
    assert_eq!(
        db.ok(&["contact", "add", "ada@example.com"]),
        "added contact ada@example.com (#2)\nnote: this contact was erased on 2026-01-05 09:00:00 UTC; they were added back unsubscribed (pass --resubscribe-erased to subscribe them on purpose)\n"
    );
    let shown = db.json(&["contact", "show", "ada@example.com"]);
    assert_eq!(shown["contact"]["status"], "unsubscribed");
    assert_eq!(shown["consent"][0]["via"], "manual");
    db.ok(&["contact", "delete", "ada@example.com", "--yes"]);
    // An old list brings them back unsubscribed too, unless asked.
    let csv = db.file("old-list.csv", "email,name\nada@example.com,Ada\n");
    let out = db.ok(&["contact", "import", csv.to_str().unwrap()]);
    assert!(
        out.contains("note: 1 of them had been erased earlier and came back unsubscribed"),
        "{out}"
    );
    let shown = db.json(&["contact", "show", "ada@example.com"]);
    assert_eq!(shown["contact"]["status"], "unsubscribed");
    assert_eq!(shown["consent"][0]["via"], "import");
    assert!(
        shown["consent"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("old-list.csv; erased on")
    );
    db.ok(&["contact", "delete", "ada@example.com", "--yes"]);
    let out = db.ok(&["contact", "add", "ada@example.com", "--resubscribe-erased"]);
    assert!(out.contains("added back subscribed on purpose"), "{out}");
    assert_eq!(
        db.json(&["contact", "show", "ada@example.com"])["contact"]["status"],
        "subscribed"
    );
}

#[test]
fn contact_export_writes_everything_to_a_file_only_the_user_can_read() {
    let db = Db::init();
    db.ok(&["field", "add", "city", "--type", "text"]);
    db.ok(&[
        "contact",
        "add",
        "ada@example.com",
        "--field",
        "city=Paris",
        "--tag",
        "vip",
    ]);
    db.ok(&[
        "event",
        "emit",
        "purchase.completed",
        "--contact",
        "ada@example.com",
        "--data",
        r#"{"product":"Program A"}"#,
    ]);
    let out = db.dir.path().join("ada.json");
    assert_eq!(
        db.ok(&[
            "contact",
            "export",
            "ada@example.com",
            "-o",
            out.to_str().unwrap()
        ]),
        format!(
            "wrote everything held about ada@example.com to {}\n",
            out.display()
        )
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["format"], "cairn.contact-export");
    assert_eq!(v["contact"]["fields"]["city"], "Paris");
    assert_eq!(v["tags"][0]["name"], "vip");
    assert_eq!(v["consent"][0]["status"], "subscribed");
    let types: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["contact.created", "tag.added", "purchase.completed"]
    );
    assert_eq!(v["events"][2]["payload"]["product"], "Program A");
    // Without -o, the same document on stdout.
    let stdout = db.json(&["contact", "export", "ada@example.com"]);
    assert_eq!(stdout["contact"], v["contact"]);
    let o = db.fails(&["contact", "export", "nobody@example.com"]);
    assert_eq!(o.stderr, "error: no contact named \"nobody@example.com\"\n");
}

#[test]
fn contact_add_refuses_control_characters() {
    let db = Db::init();
    let o = db.fails(&[
        "contact",
        "add",
        "a@example.com",
        "--name",
        "Ada\r\nBcc: x@example.com",
    ]);
    assert!(
        o.stderr.contains("the name") && o.stderr.contains("control character (carriage return)"),
        "{}",
        o.stderr
    );
    let o = db.fails(&["contact", "add", "a@example.com", "--tag", "a\u{1b}[31m"]);
    assert!(o.stderr.contains("U+001B"), "{}", o.stderr);
    assert_eq!(db.json(&["contact", "list"])["count"], 0);
}

#[test]
fn contact_import_maps_skips_and_creates_columns_of_another_tools_file() {
    let db = Db::init();
    let csv = db.file(
        "kit.csv",
        "Email Address,First Name,city,Tags,internal_id\nada@example.com,Ada,London,vip,x1\n",
    );
    let f = csv.to_str().unwrap();
    let o = db.fails(&["contact", "import", f]);
    assert!(
        o.stderr
            .contains("unknown columns \"Email Address\" (column 1)"),
        "{}",
        o.stderr
    );
    let o = db.fails(&["contact", "import", f, "--map", "nonsense"]);
    assert_eq!(
        o.stderr,
        "error: --map expects COLUMN=FIELD[:TYPE], got \"nonsense\"\n"
    );
    let out = db.ok(&[
        "contact",
        "import",
        f,
        "--map",
        "Email Address=email",
        "--map",
        "first name=name",
        "--skip-column",
        "internal_id",
        "--new-fields",
        "text",
    ]);
    assert!(out.contains("created field city (text)"), "{out}");
    let v = db.json(&["contact", "show", "ada@example.com"]);
    assert_eq!(v["contact"]["name"], "Ada");
    assert_eq!(v["contact"]["fields"], json!({"city": "London"}));
    assert_eq!(v["contact"]["tags"], json!(["vip"]));
    assert_eq!(v["consent"][0]["detail"], "kit.csv");
}

// ------------------------------------------------------- pipelines, deals

#[test]
fn pipelines_are_added_listed_and_renamed() {
    let db = Db::init();
    let p = db.json(&[
        "pipeline", "add", "Sales", "--stage", "Lead", "--stage", "Call", "--stage", "Won",
    ]);
    assert_eq!(p["name"], "Sales");
    assert_eq!(p["stages"], json!(["Lead", "Call", "Won"]));
    assert_eq!(db.ok(&["pipeline", "list"]), "Sales: Lead → Call → Won\n");

    let o = db.fails(&["--json", "pipeline", "add", "sales"]);
    let e: Value = serde_json::from_str(&o.stderr).unwrap();
    assert_eq!(e["error"]["code"], "conflict");

    let p = db.json(&["pipeline", "rename", "Sales", "Coaching"]);
    assert_eq!(p["name"], "Coaching");
    let list = db.json(&["pipeline", "list"]);
    assert_eq!(list["pipelines"][0]["name"], "Coaching");
    assert_eq!(list["pipelines"].as_array().unwrap().len(), 1);
    let o = db.fails(&["pipeline", "rename", "Sales", "X"]);
    assert!(
        o.stderr.contains("no pipeline named \"Sales\""),
        "{}",
        o.stderr
    );
}

#[test]
fn deals_are_listed_by_pipeline_and_stage_and_moved() {
    let db = Db::init();
    db.ok(&[
        "pipeline", "add", "Sales", "--stage", "Lead", "--stage", "Won",
    ]);
    db.ok(&[
        "contact",
        "add",
        "ada@example.com",
        "--name",
        "Ada",
        "--tag",
        "vip",
    ]);
    db.ok(&["contact", "add", "bob@example.com"]);
    let a = db.json(&[
        "deal",
        "add",
        "--contact",
        "ada@example.com",
        "--pipeline",
        "Sales",
        "--stage",
        "Lead",
        "--title",
        "Mentoring",
        "--value",
        "1200",
    ])["id"]
        .as_i64()
        .unwrap();
    db.ok(&[
        "deal",
        "add",
        "--contact",
        "bob@example.com",
        "--pipeline",
        "Sales",
        "--stage",
        "Won",
        "--title",
        "Course",
    ]);

    let out = db.ok(&["deal", "list", "--pipeline", "Sales"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("ID  PIPELINE  STAGE"), "{out}");
    assert!(
        lines[1].contains("Lead")
            && lines[1].contains("1200.00")
            && lines[1].contains("ada@example.com")
    );
    assert_eq!(lines[3], "2 deals");

    let won = db.json(&["deal", "list", "--pipeline", "Sales", "--stage", "won"]);
    assert_eq!(won["count"], 1);
    assert_eq!(won["deals"][0]["contact_email"], "bob@example.com");
    let vip = db.json(&["deal", "list", "--tag", "vip"]);
    assert_eq!(vip["deals"][0]["title"], "Mentoring");
    assert_eq!(vip["deals"][0]["stage_since"], "2026-01-05T09:00:00Z");

    let moved = db.json(&["deal", "move", &a.to_string(), "Won"]);
    assert_eq!(moved, json!({"id": a, "stage": "Won"}));
    let won = db.json(&["deal", "list", "--pipeline", "Sales", "--stage", "Won"]);
    assert_eq!(won["count"], 2);
    let shown = db.ok(&["contact", "show", "ada@example.com"]);
    assert!(shown.contains("deal.stage_changed"), "{shown}");

    let o = db.fails(&["deal", "move", &a.to_string(), "Lost"]);
    assert!(o.stderr.contains("no stage named \"Lost\""), "{}", o.stderr);
    assert_eq!(
        db.run(&["deal", "list", "--stage", "Won"]).code,
        2,
        "a stage needs its pipeline"
    );
}

// ---------------------------------------------------------------- runs retry

/// "Main" tags the contact, then starts "Later"; "Later" is renamed away
/// before the event, so the run fails at `start`. Returns the run's id.
fn failed_run_of_main(db: &Db) -> i64 {
    use cairn_model::event::NewEvent;
    use cairn_store::workflows::WorkflowStatus;
    let now: cairn_model::Timestamp = NOW.parse().unwrap();
    let mut store = cairn_store::Store::open(&db.path).unwrap();
    for def in [
        json!({"format": "cairn.workflow", "version": 1, "name": "Later", "nodes": [
            {"id": "m", "position": {"x": 0, "y": 0}, "kind": "trigger.manual", "config": {}},
            {"id": "t", "position": {"x": 0, "y": 0}, "kind": "action.add_tag", "config": {"tag": "later"}}],
            "edges": [{"from": "m", "to": "t"}]}),
        json!({"format": "cairn.workflow", "version": 1, "name": "Main", "nodes": [
            {"id": "go", "position": {"x": 0, "y": 0}, "kind": "trigger.event", "config": {"event_type": "go"}},
            {"id": "first", "position": {"x": 0, "y": 0}, "kind": "action.add_tag", "config": {"tag": "first"}},
            {"id": "start", "position": {"x": 0, "y": 0}, "kind": "action.start_workflow", "config": {"workflow": "Later"}}],
            "edges": [{"from": "go", "to": "first"}, {"from": "first", "to": "start"}]}),
    ] {
        let name = store
            .import_workflow(&def.to_string(), false, now)
            .unwrap()
            .name;
        store
            .set_workflow_status(&name, WorkflowStatus::Active, now)
            .unwrap();
    }
    store
        .conn()
        .execute(
            "UPDATE workflows SET name = 'Renamed' WHERE name = 'Later'",
            [],
        )
        .unwrap();
    store
        .emit(
            &NewEvent {
                event_type: "go".into(),
                contact_email: Some("ada@example.com".into()),
                payload: json!({}),
                occurred_at: now,
                source: "test".into(),
                external_id: None,
            },
            now,
        )
        .unwrap();
    let mut engine = cairn_engine::Engine::new(store);
    engine.tick(now).unwrap();
    engine
        .store()
        .conn()
        .execute(
            "UPDATE workflows SET name = 'Later' WHERE name = 'Renamed'",
            [],
        )
        .unwrap();
    let runs = engine
        .store()
        .failed_runs("Main", &Default::default())
        .unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].id
}

#[test]
fn runs_retry_takes_a_failed_run_up_again_from_its_failed_step() {
    let db = Db::init();
    let id = failed_run_of_main(&db);
    let v = db.json(&["runs", "Main", "--status", "failed"]);
    assert!(
        v["runs"][0]["exit_reason"]
            .as_str()
            .unwrap()
            .contains("no workflow named \"Later\""),
        "{v}"
    );

    // Nothing matches: nothing is retried.
    let v = db.json(&["runs", "retry", "Main", "--failed", "--node", "first"]);
    assert_eq!(v["runs"], json!([]));
    let v = db.json(&[
        "runs",
        "retry",
        "Main",
        "--failed",
        "--node",
        "start",
        "--error",
        "NO WORKFLOW",
    ]);
    assert_eq!(
        v,
        json!({"workflow": "Main", "from": "failed_step", "runs": [
            {"run_id": id, "retried": true, "carried_on_by": id, "reason": null}]})
    );
    let v = db.json(&["runs", "Main", "--steps"]);
    let run = &v["runs"][0];
    assert_eq!(run["status"], "completed", "{v}");
    assert_eq!(run["retries"], 1);
    let nodes: Vec<(&str, &str)> = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["node_id"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        nodes,
        vec![
            ("go", "ok"),
            ("first", "ok"),
            ("start", "failed"),
            ("start", "ok")
        ],
        "the tag before the failure is not added again"
    );
    assert_eq!(
        db.json(&["runs", "Later"])["runs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let out = db.ok(&["runs", "Main"]);
    assert!(out.contains("completed  retried 1 time\n"), "{out}");

    let out = db.ok(&["runs", "retry", "Main", "--run", &id.to_string()]);
    assert_eq!(
        out,
        format!(
            "run {id}  not retried: it is completed, not failed\n0 of 1 run retried; a running executor (the app, cairn run) carries them on\n"
        )
    );
    let o = db.run(&["runs", "retry", "Main", "--node", "start"]);
    assert_eq!(o.code, 2, "{o:?}");
    let o = db.fails(&["runs", "retry", "Later", "--run", &id.to_string()]);
    assert_eq!(
        o.stderr,
        format!("error: run {id} is a run of \"Main\", not of \"Later\"\n")
    );
}

#[test]
fn runs_retry_from_start_makes_a_new_run() {
    let db = Db::init();
    let id = failed_run_of_main(&db);
    let v = db.json(&[
        "runs",
        "retry",
        "Main",
        "--run",
        &id.to_string(),
        "--from-start",
    ]);
    let new = v["runs"][0]["carried_on_by"].as_i64().unwrap();
    assert_ne!(new, id);
    assert_eq!(v["from"], "start");
    let v = db.json(&["runs", "Main"]);
    assert_eq!(v["runs"][0]["id"], new);
    assert_eq!(v["runs"][0]["status"], "completed");
    assert_eq!(v["runs"][0]["restarted_from"], id);
    assert_eq!(v["runs"][1]["status"], "failed");
    let out = db.ok(&["runs", "retry", "Main", "--failed"]);
    assert_eq!(out, "\"Main\" has no failed runs to retry\n");
    let out = db.ok(&["runs", "Main"]);
    assert!(
        out.contains(&format!("completed  restarts run {id}\n")),
        "{out}"
    );
}

/// A daily newsletter to every subscribed contact at 10:00.
const DAILY: &str = r#"{"format": "cairn.workflow", "version": 1, "name": "Daily",
  "nodes": [
    {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.schedule", "config": {"every": "day", "time": "10:00"}},
    {"id": "e", "position": {"x": 0, "y": 0}, "kind": "action.send_email", "config": {"template": "news", "account": "Mail"}}
  ],
  "edges": [{"from": "t", "exit": "next", "to": "e"}],
  "email_templates": [{"name": "news", "subject": "News", "body": "Hi"}]}"#;

#[test]
fn workflow_forecast_and_activation_that_needs_yes() {
    let db = Db::init();
    for e in ["a@x.com", "b@x.com", "c@x.com"] {
        db.ok(&["contact", "add", e]);
    }
    // An SMTP account's row (its password would be in the keyring; a
    // forecast never reads it).
    cairn_store::Store::open(&db.path)
        .unwrap()
        .add_account(
            "Mail",
            cairn_model::account::AccountKind::Smtp,
            &json!({"from": "Me <me@x.com>"}),
            None,
            chrono::DateTime::parse_from_rfc3339(NOW).unwrap().into(),
        )
        .unwrap();
    db.file("daily.json", DAILY);
    db.ok(&["workflow", "import", "daily.json"]);
    let before = std::fs::read(&db.path).unwrap();
    let v = db.json(&["workflow", "forecast", "Daily", "--for", "7d"]);
    assert_eq!(v["days"], json!(7));
    assert_eq!(v["active"], json!(false));
    let spans: Vec<_> = v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["days"].clone(), w["counts"]["emails"]["news"].clone()))
        .collect();
    assert_eq!(spans, [(json!(1), json!(3)), (json!(7), json!(21))]);
    assert_eq!(v["confirm"][0]["code"], json!("mass_email"));
    let out = db.ok(&["workflow", "forecast", "Daily", "--for", "2d"]);
    assert!(
        out.starts_with(
            "Forecast of \"Daily\" (version 1) if activated at 2026-01-05 09:00:00 UTC, over 2 days"
        ),
        "{out}"
    );
    assert!(
        out.contains("\n    email \"news\"         3         6\n"),
        "{out}"
    );
    assert!(out.contains("needs confirmation: on day 1 it would send 3 emails at once: 100 % of the 3 subscribed contacts"), "{out}");
    // Bounded, with a clear error.
    let o = db.fails(&["workflow", "forecast", "Daily", "--for", "400d"]);
    assert_eq!(
        o.stderr,
        "error: --for: a forecast covers 1 to 366 days (such as 30d), not 400\n"
    );
    let o = db.fails(&["workflow", "forecast", "Daily", "--for", "36h"]);
    assert!(o.stderr.contains("whole days"), "{}", o.stderr);
    // Activation looks at the forecast first and refuses without --yes.
    let o = db.fails(&["--json", "workflow", "activate", "Daily"]);
    let e: Value = serde_json::from_str(&o.stderr).unwrap();
    assert_eq!(e["error"]["code"], json!("confirmation_required"));
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("activate with --yes to go ahead"),
        "{e}"
    );
    let shown: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(shown["days"], json!(30), "the forecast is printed");
    assert_eq!(
        db.json(&["workflow", "show", "Daily"])["workflow"]["status"],
        json!("paused")
    );
    assert_eq!(
        std::fs::read(&db.path).unwrap(),
        before,
        "forecasts wrote nothing"
    );
    assert_eq!(
        db.ok(&["workflow", "activate", "Daily", "--yes"]),
        "Daily is now active\n"
    );
}

// ---------------------------------------------------------------- A/B splits

/// The workflow "Offer" (a split A / B, a one-day wait on each path, the
/// goal "Bought"), active, with 80 runs through it: in A every 8th contact
/// buys, in B every 2nd; the rest complete a day later.
fn offer_runs(db: &Db) {
    use cairn_model::event::NewEvent;
    use cairn_store::workflows::WorkflowStatus;
    let t0: cairn_model::Timestamp = "2026-01-03T09:00:00Z".parse().unwrap();
    let mut store = cairn_store::Store::open(&db.path).unwrap();
    let node = |id: &str, kind: &str, config: Value| json!({"id": id, "position": {"x": 0, "y": 0}, "kind": kind, "config": config});
    let def = json!({"format": "cairn.workflow", "version": 1, "name": "Offer",
        "goals": [{"name": "Bought", "event_type": "purchase.completed"}],
        "nodes": [node("t", "trigger.event", json!({"event_type": "signup"})),
            node("ab", "split", json!({"variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}]})),
            node("wa", "wait.duration", json!({"duration": "1d"})),
            node("wb", "wait.duration", json!({"duration": "1d"})),
            node("end", "end", json!({}))],
        "edges": [{"from": "t", "to": "ab"}, {"from": "ab", "exit": "A", "to": "wa"}, {"from": "ab", "exit": "B", "to": "wb"},
            {"from": "wa", "to": "end"}, {"from": "wb", "to": "end"}]});
    store.import_workflow(&def.to_string(), false, t0).unwrap();
    store
        .set_workflow_status("Offer", WorkflowStatus::Active, t0)
        .unwrap();
    let emit = |store: &mut cairn_store::Store, t: &str, email: &str| {
        store
            .emit(
                &NewEvent {
                    event_type: t.into(),
                    contact_email: Some(email.into()),
                    payload: json!({}),
                    occurred_at: t0,
                    source: "test".into(),
                    external_id: None,
                },
                t0,
            )
            .unwrap();
    };
    for i in 0..80 {
        emit(&mut store, "signup", &format!("c{i}@x.com"));
    }
    let mut engine = cairn_engine::Engine::new(store);
    engine.tick(t0).unwrap();
    let took: Vec<(String, String)> = engine
        .store()
        .conn()
        .prepare("SELECT c.email, s.exit FROM steps s JOIN runs r ON r.id = s.run_id JOIN contacts c ON c.id = r.contact_id WHERE s.node_id = 'ab' ORDER BY r.id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let (mut na, mut nb) = (0, 0);
    for (email, exit) in took {
        let buys = if exit == "A" {
            na += 1;
            na % 8 == 1
        } else {
            nb += 1;
            nb % 2 == 1
        };
        if buys {
            emit(engine.store_mut(), "purchase.completed", &email);
        }
    }
    engine.tick(t0).unwrap();
    engine.tick(t0 + chrono::Duration::days(1)).unwrap();
}

#[test]
fn stats_show_each_split_variant_and_split_winner_saves_a_version() {
    let db = Db::init();
    offer_runs(&db);
    let out = db.ok(&["stats", "Offer"]);
    assert!(
        out.contains("A/B split ab, compared on conversion rate:"),
        "{out}"
    );
    assert!(out.contains("  left by: A "), "{out}");
    let a_line = out.lines().find(|l| l.starts_with("  A  ")).unwrap();
    assert!(a_line.ends_with("control"), "{a_line}");
    let b_line = out.lines().find(|l| l.starts_with("  B  ")).unwrap();
    assert!(
        b_line.contains("B converts ") && b_line.contains(" pts better than A"),
        "{b_line}"
    );

    let v = db.json(&["stats", "Offer"]);
    let variants = &v["splits"][0]["variants"];
    assert_eq!(variants[0]["variant"], "A");
    assert_eq!(
        variants[0]["runs"].as_u64().unwrap() + variants[1]["runs"].as_u64().unwrap(),
        80
    );
    assert!(variants[1]["comparison"]["verdict"].is_string());

    let out = db.ok(&[
        "workflow",
        "split-winner",
        "Offer",
        "--node",
        "ab",
        "--variant",
        "B",
    ]);
    assert_eq!(
        out,
        "\"B\" wins split \"ab\" of \"Offer\": version 2 saved; every new run takes it, runs already going stay on version 1\n"
    );
    let v = db.json(&["workflow", "export", "Offer"]);
    assert_eq!(v["nodes"][1]["config"]["winner"], "B");
    let o = db.fails(&[
        "workflow",
        "split-winner",
        "Offer",
        "--node",
        "ab",
        "--variant",
        "Z",
    ]);
    assert_eq!(o.stderr, "error: no variant named \"Z\"\n");
    let o = db.fails(&[
        "workflow",
        "split-winner",
        "Offer",
        "--node",
        "wa",
        "--variant",
        "A",
    ]);
    assert!(o.stderr.contains("not a split"), "{}", o.stderr);
}
