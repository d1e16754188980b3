//! Workflow files through a real store: the good fixtures import paused and
//! export byte for byte; every bad fixture is refused with its JSON path and
//! reason and leaves the database exactly as it was; the size limits hold;
//! and any generated workflow survives import → export unchanged.

use std::path::{Path, PathBuf};

use cairn_model::Timestamp;
use cairn_model::file::{self, MAX_FILE_BYTES, MAX_NODES, to_canonical_json};
use cairn_model::testing;
use cairn_store::workflows::WorkflowStatus;
use cairn_store::{Store, StoreError};
use chrono::TimeZone;
use proptest::prelude::*;
use rusqlite::types::Value as Sql;
use serde_json::{Value, json};

fn t0() -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
}

fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("cairn.db")).unwrap();
    (dir, store)
}

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/workflows")
        .join(kind)
}

/// `(file name, text)` of every `.json` file in a fixture folder, sorted.
fn read_fixtures(kind: &str) -> Vec<(String, String)> {
    let dir = fixtures(kind);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Everything the database holds: its schema, its user version and every
/// row of every table. Two equal snapshots mean nothing was written.
fn snapshot(store: &Store) -> Vec<String> {
    let c = store.conn();
    let mut out = vec![format!(
        "user_version {}",
        c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .unwrap()
    )];
    let tables: Vec<(String, String)> = c
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (table, sql) in tables {
        out.push(sql);
        let mut st = c.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let cells: Vec<Sql> = (0..n)
                    .map(|i| r.get::<_, Sql>(i))
                    .collect::<Result<_, _>>()?;
                Ok(format!("{table}: {cells:?}"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.extend(rows);
    }
    out
}

/// What a bad fixture's `.expect` file says the error must be.
struct Expected {
    code: String,
    path: String,
    message: String,
}

fn expected(name: &str) -> Expected {
    let path = fixtures("bad").join(name.replace(".json", ".expect"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{name} has no .expect file beside it ({}): {e}",
            path.display()
        )
    });
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let field = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{}: \"{k}\" must be a string", path.display()))
            .to_string()
    };
    Expected {
        code: field("code"),
        path: field("path"),
        message: field("message"),
    }
}

/// A trigger and enough nodes to pass `count`.
fn file_with_nodes(count: usize) -> String {
    let nodes: Vec<Value> = (0..count)
        .map(|i| {
            let kind = if i == 0 { "trigger.manual" } else { "end" };
            json!({"id": format!("n{i}"), "position": {"x": 0, "y": 0}, "kind": kind, "config": {}})
        })
        .collect();
    json!({"format": "cairn.workflow", "version": 1, "name": "Broken", "nodes": nodes}).to_string()
}

/// A well-formed file of exactly `bytes` bytes (its description pads it).
fn file_of_size(bytes: usize) -> String {
    let head = r#"{"format":"cairn.workflow","version":1,"name":"Broken","description":""#;
    let tail = r#"","nodes":[{"id":"t","kind":"trigger.manual","config":{}}]}"#;
    let pad = bytes - head.len() - tail.len();
    let text = format!("{head}{}{tail}", "x".repeat(pad));
    assert_eq!(text.len(), bytes);
    text
}

const BROKEN: &str = r#"{"format":"cairn.workflow","version":1,"name":"Broken","nodes":[
 {"id":"start","position":{"x":0,"y":0},"kind":"trigger.manual","config":{}},
 {"id":"end","position":{"x":0,"y":100},"kind":"end","config":{}}],
 "edges":[{"from":"start","to":"end"}]}"#;

#[test]
fn every_bad_file_is_refused_with_its_path_and_leaves_the_database_untouched() {
    let (_d, mut s) = fresh();
    // A workflow with the bad files' name exists, so that an import with
    // `replace` would have something to overwrite.
    s.import_workflow(BROKEN, false, t0()).unwrap();
    let before = snapshot(&s);

    let mut cases: Vec<(String, String, Expected)> = read_fixtures("bad")
        .into_iter()
        .map(|(name, text)| {
            let exp = expected(&name);
            (name, text, exp)
        })
        .collect();
    assert!(cases.len() >= 25, "only {} bad fixtures", cases.len());
    // Too big to commit: generated here.
    cases.push((
        "too many nodes".into(),
        file_with_nodes(MAX_NODES + 1),
        Expected {
            code: "too_many_nodes".into(),
            path: "nodes".into(),
            message: format!(
                "the workflow has {} nodes; at most 5000 are allowed",
                MAX_NODES + 1
            ),
        },
    ));
    cases.push((
        "too large".into(),
        file_of_size(MAX_FILE_BYTES + 1),
        Expected {
            code: "file_too_large".into(),
            path: "".into(),
            message: "workflow files may be at most 10485760 bytes".into(),
        },
    ));

    let mut failures = vec![];
    for (name, text, exp) in &cases {
        for replace in [false, true] {
            match s.import_workflow(text, replace, t0()) {
                Ok(out) => failures.push(format!("{name}: imported as {:?}", out.name)),
                Err(StoreError::File(e)) => {
                    if e.code() != exp.code
                        || e.path != exp.path
                        || !e.message.contains(&exp.message)
                    {
                        failures.push(format!(
                            "{name}: got [{}] {:?}: {}\n    expected [{}] {:?}: …{}…",
                            e.code(),
                            e.path,
                            e.message,
                            exp.code,
                            exp.path,
                            exp.message
                        ));
                    }
                    // What the user reads names the path first.
                    if !exp.path.is_empty()
                        && !e.to_string().starts_with(&format!("{}: ", exp.path))
                    {
                        failures.push(format!(
                            "{name}: the message {:?} does not start with the path",
                            e.to_string()
                        ));
                    }
                }
                Err(other) => failures.push(format!(
                    "{name}: refused without a path: [{}] {other}",
                    other.code()
                )),
            }
            if snapshot(&s) != before {
                failures.push(format!(
                    "{name}: the database changed (replace = {replace})"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad files misbehaved:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_size_limits_are_inclusive() {
    let (_d, mut s) = fresh();
    let out = s
        .import_workflow(&file_with_nodes(MAX_NODES), false, t0())
        .unwrap();
    assert_eq!(s.workflow_def(&out.name).unwrap().1.nodes.len(), MAX_NODES);
    let out = s
        .import_workflow(&file_of_size(MAX_FILE_BYTES), false, t0())
        .unwrap();
    assert_eq!(out.name, "Broken (2)");
}

#[test]
fn good_files_import_paused_and_export_byte_for_byte() {
    let (_d, mut s) = fresh();
    let good = read_fixtures("good");
    assert!(good.len() >= 3);
    for (name, text) in &good {
        let out = s
            .import_workflow(text, false, t0())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.status, WorkflowStatus::Paused, "{name}");
        assert_eq!(
            s.workflow(&out.name).unwrap().status,
            WorkflowStatus::Paused,
            "{name}"
        );
        assert_eq!(
            (out.renamed_from.as_deref(), out.replaced),
            (None, false),
            "{name}"
        );
        assert_eq!(
            &s.export_workflow(&out.name).unwrap(),
            text,
            "{name}: export differs from the file"
        );
    }
}

#[test]
fn a_name_clash_imports_as_a_copy_unless_replace() {
    let (_d, mut s) = fresh();
    let (_, text) = read_fixtures("good")
        .into_iter()
        .find(|(n, _)| n == "post-purchase.json")
        .unwrap();
    let first = s.import_workflow(&text, false, t0()).unwrap();
    let name = first.name.clone();

    let copy = s.import_workflow(&text, false, t0()).unwrap();
    assert_eq!(copy.name, format!("{name} (2)"));
    assert_eq!(copy.renamed_from.as_deref(), Some(name.as_str()));
    assert_ne!(copy.id, first.id);
    let mut renamed = file::parse(&text).unwrap();
    renamed.name = copy.name.clone();
    assert_eq!(
        s.export_workflow(&copy.name).unwrap(),
        to_canonical_json(&renamed)
    );
    let third = s.import_workflow(&text, false, t0()).unwrap();
    assert_eq!(third.name, format!("{name} (3)"));

    // Replace overwrites the original in place, under its own id.
    let changed = text.replace("buyer-program-a", "buyer-program-a-2026");
    let replaced = s.import_workflow(&changed, true, t0()).unwrap();
    assert_eq!(
        (replaced.id, replaced.replaced, replaced.renamed_from),
        (first.id, true, None)
    );
    assert_eq!(s.export_workflow(&name).unwrap(), changed);
    assert_eq!(s.workflows().unwrap().len(), 3);
}

#[test]
fn a_replaced_active_workflow_arrives_paused() {
    let (_d, mut s) = fresh();
    s.import_workflow(BROKEN, false, t0()).unwrap();
    s.set_workflow_status("Broken", WorkflowStatus::Active, t0())
        .unwrap();
    let out = s.import_workflow(BROKEN, true, t0()).unwrap();
    assert_eq!(out.status, WorkflowStatus::Paused);
    assert_eq!(s.workflow("Broken").unwrap().status, WorkflowStatus::Paused);
}

proptest! {
    // Each case opens its own database file; failures are not persisted
    // beside the sources.
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Export, import into a real store, export again: the same bytes.
    #[test]
    fn any_workflow_survives_the_store_byte_for_byte(def in testing::workflow()) {
        let (_d, mut s) = fresh();
        let text = to_canonical_json(&def);
        let out = match s.import_workflow(&text, false, t0()) {
            Ok(out) => out,
            Err(e) => return Err(TestCaseError::fail(format!("import refused: {e}\n{text}"))),
        };
        prop_assert_eq!(out.status, WorkflowStatus::Paused);
        prop_assert_eq!(&out.name, &def.name);
        prop_assert_eq!(s.export_workflow(&out.name).unwrap(), text);
    }
}
