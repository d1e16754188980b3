//! Workflows: import arrives paused, clashes become copies, and a changed
//! workflow that has runs gets a new version while the old one is kept.

use cairn_model::file;
use cairn_store::workflows::{WorkflowStatus, definition_using};
use rusqlite::params;

use crate::common::*;

const WELCOME: &str = r#"{"format":"cairn.workflow","version":1,"name":"Welcome","nodes":[
 {"id":"start","position":{"x":0,"y":0},"kind":"trigger.manual","config":{}},
 {"id":"tag","position":{"x":0,"y":100},"kind":"action.add_tag","config":{"tag":"welcomed"}},
 {"id":"end","position":{"x":0,"y":200},"kind":"end","config":{}}],
 "edges":[{"from":"start","to":"tag"},{"from":"tag","to":"end"}]}"#;

/// Simulates "the workflow has runs" with a row written directly.
fn insert_run(s: &cairn_store::Store, workflow_id: i64, version: u32) {
    s.conn()
        .execute(
            "INSERT INTO contacts (email, email_key, created_at, updated_at) VALUES ('r@example.com', 'r@example.com', 0, 0)
             ON CONFLICT DO NOTHING",
            [],
        )
        .unwrap();
    s.conn()
        .execute(
            "INSERT INTO runs (workflow_id, version, contact_id, trigger_node, status, started_at, updated_at)
             VALUES (?1, ?2, (SELECT id FROM contacts WHERE email_key = 'r@example.com'), 'start', 'waiting', 0, 0)",
            params![workflow_id, version],
        )
        .unwrap();
}

fn renamed_tag(s: &cairn_store::Store, tag: &str) -> cairn_model::workflow::WorkflowDef {
    let text = s
        .export_workflow("Welcome")
        .unwrap()
        .replace("welcomed", tag);
    file::parse(&text).unwrap()
}

#[test]
fn a_changed_workflow_without_runs_is_saved_in_place() {
    let (_d, mut s) = fresh();
    let imported = s.import_workflow(WELCOME, false, t0()).unwrap();
    let out = s
        .save_workflow(imported.id, &renamed_tag(&s, "greeted"), t0())
        .unwrap();
    assert_eq!(
        (out.version, out.new_version, out.unchanged),
        (1, false, false)
    );
    assert_eq!(s.workflow_versions("Welcome").unwrap().len(), 1);
    assert!(s.export_workflow("Welcome").unwrap().contains("greeted"));
}

#[test]
fn a_changed_workflow_with_runs_gets_a_new_version_and_keeps_the_old() {
    let (_d, mut s) = fresh();
    let imported = s.import_workflow(WELCOME, false, t0()).unwrap();
    insert_run(&s, imported.id, 1);

    // Saving the same definition changes nothing.
    let same = file::parse(&s.export_workflow("Welcome").unwrap()).unwrap();
    let out = s.save_workflow(imported.id, &same, t0()).unwrap();
    assert!(out.unchanged);
    assert_eq!(out.version, 1);

    let later = t0() + chrono::Duration::days(1);
    let out = s
        .save_workflow(imported.id, &renamed_tag(&s, "greeted"), later)
        .unwrap();
    assert_eq!((out.version, out.new_version), (2, true));
    assert_eq!(s.workflow("Welcome").unwrap().version, 2);

    let versions = s.workflow_versions("Welcome").unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        (versions[0].version, versions[0].runs, versions[0].current),
        (1, 1, false)
    );
    assert_eq!(
        (versions[1].version, versions[1].runs, versions[1].current),
        (2, 0, true)
    );
    assert_eq!(versions[0].created_at, t0());
    assert_eq!(versions[1].created_at, later);
    // The run's version still reads as it was.
    let v1 = definition_using(s.conn(), imported.id, 1).unwrap();
    assert!(file::to_canonical_json(&v1).contains("welcomed"));
    assert!(s.export_workflow("Welcome").unwrap().contains("greeted"));

    // Without runs on version 2, the next change updates it in place.
    let out = s
        .save_workflow(imported.id, &renamed_tag(&s, "hello"), later)
        .unwrap();
    assert_eq!((out.version, out.new_version), (2, false));
    assert_eq!(s.workflow_versions("Welcome").unwrap().len(), 2);
}

#[test]
fn importing_with_replace_over_a_workflow_with_runs_makes_a_version_and_pauses() {
    let (_d, mut s) = fresh();
    let imported = s.import_workflow(WELCOME, false, t0()).unwrap();
    s.set_workflow_status("Welcome", WorkflowStatus::Active, t0())
        .unwrap();
    insert_run(&s, imported.id, 1);
    let changed = WELCOME.replace("welcomed", "greeted");
    let out = s.import_workflow(&changed, true, t0()).unwrap();
    assert!(out.replaced);
    assert_eq!(
        (out.id, out.version, out.status),
        (imported.id, 2, WorkflowStatus::Paused)
    );
    assert_eq!(
        s.workflow("Welcome").unwrap().status,
        WorkflowStatus::Paused
    );
    assert_eq!(s.workflow_versions("Welcome").unwrap().len(), 2);
}

#[test]
fn imports_arrive_paused_and_a_clash_becomes_a_copy() {
    let (_d, mut s) = fresh();
    let a = s.import_workflow(WELCOME, false, t0()).unwrap();
    assert_eq!(
        (a.name.as_str(), a.status),
        ("Welcome", WorkflowStatus::Paused)
    );
    let b = s.import_workflow(WELCOME, false, t0()).unwrap();
    assert_eq!(b.name, "Welcome (2)");
    assert_eq!(b.renamed_from.as_deref(), Some("Welcome"));
    assert_eq!(s.workflows().unwrap().len(), 2);
}

#[test]
fn a_workflow_with_errors_cannot_be_activated() {
    let (_d, mut s) = fresh();
    let no_trigger = r#"{"format":"cairn.workflow","version":1,"name":"Broken","nodes":[
      {"id":"end","position":{"x":0,"y":0},"kind":"end","config":{}}]}"#;
    s.import_workflow(no_trigger, false, t0()).unwrap();
    let e = s
        .set_workflow_status("Broken", WorkflowStatus::Active, t0())
        .unwrap_err();
    assert_eq!(e.code(), "validation_failed");
    assert!(e.to_string().contains("no trigger"), "{e}");
    assert_eq!(s.workflow("Broken").unwrap().status, WorkflowStatus::Paused);
}
