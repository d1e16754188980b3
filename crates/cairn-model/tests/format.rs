//! The workflow file format, end to end at the model level: the committed
//! JSON Schema is what the types generate, canonical text survives a round
//! trip for any workflow, and the good fixtures are canonical, schema-valid,
//! clean and cover every node kind.
//!
//! The bad fixtures are run through a real store, in
//! `crates/cairn-store/tests/workflow_files.rs`, so that the same test can
//! check nothing was written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use cairn_model::account::AccountKind;
use cairn_model::file::{self, json_schema, to_canonical_json};
use cairn_model::testing::{self, REGENERATE};
use cairn_model::validate::{Catalog, validate};
use cairn_model::workflow::NodeSpec;
use proptest::prelude::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schema_path() -> PathBuf {
    repo().join("assets/schema/workflow.v1.schema.json")
}

/// The committed schema, compiled once.
static SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let text = std::fs::read_to_string(schema_path()).expect("the committed schema exists");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
});

fn schema_errors(text: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(text).expect("canonical text is JSON");
    SCHEMA
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn generated_schema_is_fresh() {
    testing::check_generated_file(&schema_path(), &json_schema(), REGENERATE);
}

#[test]
fn the_schema_refuses_what_the_reader_refuses() {
    let good = r#"{"format":"cairn.workflow","version":1,"name":"W","nodes":[
        {"id":"t","position":{"x":0,"y":0},"kind":"trigger.manual","config":{}}]}"#;
    assert_eq!(schema_errors(good), Vec::<String>::new());
    for bad in [
        // a newer version
        r#"{"format":"cairn.workflow","version":2,"name":"W","nodes":[]}"#,
        // another format
        r#"{"format":"zapier","version":1,"name":"W","nodes":[]}"#,
        // an unknown key on a node
        r#"{"format":"cairn.workflow","version":1,"name":"W","nodes":[
            {"id":"t","kind":"trigger.manual","config":{},"colour":"red"}]}"#,
        // an unknown kind
        r#"{"format":"cairn.workflow","version":1,"name":"W","nodes":[
            {"id":"t","kind":"action.teleport","config":{}}]}"#,
        // a config of another kind
        r#"{"format":"cairn.workflow","version":1,"name":"W","nodes":[
            {"id":"t","kind":"wait.duration","config":{"tag":"x"}}]}"#,
        // a bad duration and a bad time of day
        r#"{"format":"cairn.workflow","version":1,"name":"W","nodes":[
            {"id":"w","kind":"wait.duration","config":{"duration":"soon"}}]}"#,
        r#"{"format":"cairn.workflow","version":1,"name":"W","nodes":[
            {"id":"w","kind":"wait.until_time","config":{"time":"25:00"}}]}"#,
    ] {
        assert!(!schema_errors(bad).is_empty(), "the schema accepted {bad}");
        assert!(file::parse(bad).is_err(), "the reader accepted {bad}");
    }
}

proptest! {
    // Failures are not persisted beside the sources: a failing case found
    // here becomes a named unit test in the model instead.
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Export, import, export gives the same bytes, and the schema accepts
    /// every file Cairn writes.
    #[test]
    fn canonical_text_survives_a_round_trip(def in testing::workflow()) {
        let first = to_canonical_json(&def);
        let read = match file::parse(&first) {
            Ok(d) => d,
            Err(e) => return Err(TestCaseError::fail(format!("Cairn cannot read its own file: {e}\n{first}"))),
        };
        let second = to_canonical_json(&read);
        prop_assert_eq!(&first, &second);
        let errors = schema_errors(&first);
        prop_assert!(errors.is_empty(), "the schema refuses a file Cairn wrote: {:?}\n{}", errors, first);
    }
}

fn good_fixtures() -> Vec<(String, String)> {
    let dir = repo().join("tests/fixtures/workflows/good");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 3,
        "expected good fixtures in {}",
        dir.display()
    );
    out
}

/// What the good fixtures expect to exist in the user's database.
fn fixture_catalog() -> Catalog {
    let mut cat = Catalog::default();
    cat.add_account("Gmail", AccountKind::Smtp);
    cat.add_account("Team Slack", AccountKind::Slack);
    cat.add_account("Hooks", AccountKind::Webhook);
    cat.add_account("CRM key", AccountKind::Webhook);
    // Reports opens and clicks, which some fixtures read.
    cat.add_account("Mailgun", AccountKind::Mailgun);
    for t in ["vip", "customer", "lead"] {
        cat.add_tag(t);
    }
    cat.add_workflow("Onboarding");
    cat
}

#[test]
fn good_fixtures_are_canonical_schema_valid_and_clean() {
    let cat = fixture_catalog();
    for (name, text) in good_fixtures() {
        let def = file::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            to_canonical_json(&def),
            text,
            "{name} is not in canonical form (write it with to_canonical_json)"
        );
        assert_eq!(schema_errors(&text), Vec::<String>::new(), "{name}");
        let report = validate(&def, &cat);
        assert_eq!(report.issues, vec![], "{name} has validation issues");
    }
}

#[test]
fn good_fixtures_cover_every_node_kind() {
    let mut seen = BTreeSet::new();
    for (_, text) in good_fixtures() {
        for n in file::parse(&text).unwrap().nodes {
            seen.insert(n.spec.kind());
        }
    }
    let missing: Vec<&&str> = NodeSpec::KINDS
        .iter()
        .filter(|k| !seen.contains(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "no good fixture has a node of kind {missing:?}"
    );
}

#[test]
fn the_format_doc_names_every_node_kind() {
    let doc = std::fs::read_to_string(repo().join("docs/workflow-format.md")).unwrap();
    let missing: Vec<&&str> = NodeSpec::KINDS
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/workflow-format.md does not list {missing:?}"
    );
}
