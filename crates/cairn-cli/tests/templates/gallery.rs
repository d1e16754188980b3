//! The templates as files and as imports: canonical, readable on the
//! canvas, paused on arrival, clean once their accounts exist.

use std::collections::BTreeSet;

use cairn_model::account::AccountKind;
use cairn_model::builtin::{self, TEMPLATES};
use cairn_model::file;
use cairn_model::validate::Severity;
use cairn_model::workflow::{EmailKind, NodeSpec};
use cairn_store::Store;
use chrono::{TimeZone, Utc};
use serde_json::json;

use crate::common::*;

/// The box a node takes on the canvas, for the overlap check (the editor's
/// `NODE_SIZE` in ui/src/core/editor/layout.ts).
const NODE_W: f64 = 248.0;
const NODE_H: f64 = 88.0;

#[test]
fn every_template_is_a_canonical_workflow_file() {
    assert_eq!(TEMPLATES.len(), 8);
    for t in TEMPLATES {
        assert_eq!(t.text, asset(t.slug), "{} is the committed file", t.slug);
        let def = file::parse(t.text).unwrap_or_else(|e| panic!("{}: {e}", t.slug));
        assert_eq!(
            file::to_canonical_json(&def),
            t.text,
            "{} is not canonical: export would change it",
            t.slug
        );
    }
}

#[test]
fn every_template_reads_top_down_without_overlaps() {
    for t in TEMPLATES {
        let def = t.def().unwrap();
        for (i, a) in def.nodes.iter().enumerate() {
            for b in &def.nodes[i + 1..] {
                let apart = (a.position.x - b.position.x).abs() >= NODE_W
                    || (a.position.y - b.position.y).abs() >= NODE_H;
                assert!(apart, "{}: {} and {} overlap", t.slug, a.id, b.id);
            }
        }
        for e in &def.edges {
            let (from, to) = (def.node(&e.from).unwrap(), def.node(&e.to).unwrap());
            // Down the canvas, as the editor's ports (in on top, out at the
            // bottom) and its auto-layout draw a flow.
            let forward = to.position.y > from.position.y
                || (to.position.y == from.position.y && to.position.x > from.position.x);
            assert!(
                forward,
                "{}: edge {} → {} goes backwards on the canvas",
                t.slug, e.from, e.to
            );
        }
        let triggers: Vec<_> = def.triggers().collect();
        assert!(
            triggers.iter().all(|n| n.position.y == 0.0),
            "{}: triggers sit at the top",
            t.slug
        );
        assert!(
            def.nodes.iter().all(|n| n.label.is_some()
                || matches!(n.spec, NodeSpec::End(_) | NodeSpec::WaitDuration(_))),
            "{}: every node but ends and plain waits has a label",
            t.slug
        );
    }
}

fn store_with(dir: &tempfile::TempDir, accounts: bool) -> Store {
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap();
    let mut s = Store::open(dir.path().join("cairn.db")).unwrap();
    if accounts {
        s.add_account(
            "Email",
            AccountKind::Smtp,
            &json!({"from": "Sam Coach <sam@example.com>"}),
            None,
            now,
        )
        .unwrap();
        s.add_account("Team Slack", AccountKind::Slack, &json!({}), None, now)
            .unwrap();
        // Reports opens and clicks, which two templates read.
        s.add_account("Mailgun", AccountKind::Mailgun, &json!({}), Some(300), now)
            .unwrap();
    }
    s
}

#[test]
fn every_template_validates_cleanly_once_its_accounts_exist() {
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap();
    for t in TEMPLATES {
        // A fresh database each time: what `requires` declares must be enough.
        let dir = tempfile::tempdir().unwrap();
        let mut s = store_with(&dir, true);
        let o = s.import_workflow(t.text, false, now).unwrap();
        assert!(
            o.report.issues.is_empty(),
            "{}: {:#?}",
            t.slug,
            o.report.issues
        );
        // And it can be switched on.
        s.set_workflow_status(&o.name, cairn_store::workflows::WorkflowStatus::Active, now)
            .unwrap();
    }
}

#[test]
fn without_accounts_only_the_missing_accounts_are_reported() {
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap();
    for t in TEMPLATES {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store_with(&dir, false);
        let o = s.import_workflow(t.text, false, now).unwrap();
        assert!(!o.report.issues.is_empty(), "{}", t.slug);
        let (blind, missing): (Vec<_>, Vec<_>) = o
            .report
            .issues
            .iter()
            .partition(|i| i.code == "no_engagement_source");
        // Only the templates that read opens or clicks need a tracking account.
        assert_eq!(
            !blind.is_empty(),
            ["lead-magnet", "re-engagement"].contains(&t.slug),
            "{}: {blind:?}",
            t.slug
        );
        for i in &missing {
            assert_eq!(
                (i.severity, i.code.as_str()),
                (Severity::Error, "unknown_account"),
                "{}: {i:?}",
                t.slug
            );
            assert!(i.node.is_some(), "{}: shown on its node", t.slug);
        }
        let named: BTreeSet<&str> = missing
            .iter()
            .map(|i| i.message.split('"').nth(1).unwrap())
            .collect();
        let used: BTreeSet<String> = builtin::accounts_used(&t.def().unwrap())
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(
            named,
            used.iter().map(String::as_str).collect(),
            "{}",
            t.slug
        );
    }
}

#[test]
fn re_engagement_cannot_run_blind() {
    // With SMTP and Slack but nothing that reports opens, every subscriber
    // would look quiet and be unsubscribed: activation is refused, naming
    // the node, through the CLI as in the app.
    let w = Workdir::new();
    let db = w.db();
    let db = db.to_str().unwrap();
    ok(w.path(), &["--db", db, "init"]);
    ok(w.path(), &["--db", db, "template", "use", "re-engagement"]);
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap();
    let mut s = Store::open(w.db()).unwrap();
    s.add_account(
        "Email",
        AccountKind::Smtp,
        &json!({"from": "Sam Coach <sam@example.com>"}),
        None,
        now,
    )
    .unwrap();
    let activate = [
        "--db",
        db,
        "workflow",
        "activate",
        "Re-engagement: 60 days quiet",
    ];
    let out = cairn(w.path(), &activate);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("node \"quiet\" reads email opens or clicks")
            && out.stderr.contains("Mailgun or Postmark"),
        "{}",
        out.stderr
    );
    let report = s.workflow_report("Re-engagement: 60 days quiet").unwrap();
    let blind: Vec<(&str, Option<&str>)> = report
        .errors()
        .map(|i| (i.code.as_str(), i.node.as_deref()))
        .collect();
    assert_eq!(
        blind,
        [
            ("no_engagement_source", None),
            ("no_engagement_source", None),
            ("no_engagement_source", Some("quiet")),
        ]
    );
    // A Postmark (or Mailgun) account reports them: now it activates.
    s.add_account(
        "Postmark",
        AccountKind::Postmark,
        &json!({}),
        Some(300),
        now,
    )
    .unwrap();
    ok(w.path(), &activate);
}

#[test]
fn receipts_and_access_emails_are_transactional_the_rest_marketing() {
    // Transactional: mail the contact is owed because they bought or signed
    // (receipts, program access, order updates, client onboarding). It has
    // no unsubscribe link; every marketing email places one itself.
    let transactional: &[(&str, &[&str])] = &[
        ("post-purchase", &["*"]),
        ("refund", &["*"]),
        ("agency-onboarding", &["*"]),
        (
            "order-status",
            &[
                "Order confirmation",
                "Shipping notice",
                "Delivery confirmation",
            ],
        ),
    ];
    for b in builtin::TEMPLATES {
        let def = b.def().unwrap();
        let names = transactional
            .iter()
            .find(|(slug, _)| *slug == b.slug)
            .map(|(_, names)| *names)
            .unwrap_or(&[]);
        for t in &def.email_templates {
            let is_transactional = names.contains(&"*") || names.contains(&t.name.as_str());
            let want = if is_transactional {
                EmailKind::Transactional
            } else {
                EmailKind::Marketing
            };
            assert_eq!(t.kind, want, "{}: {:?}", b.slug, t.name);
            assert_eq!(
                t.body.contains("{{ unsubscribe_url }}"),
                !is_transactional,
                "{}: {:?} (marketing places the link, transactional has none)",
                b.slug,
                t.name
            );
        }
    }
}

#[test]
fn template_list_shows_all_eight_with_what_they_need() {
    let w = Workdir::new();
    let v = json(w.path(), &["template", "list"]);
    let list = v["templates"].as_array().unwrap();
    let slugs: Vec<&str> = list.iter().map(|t| t["slug"].as_str().unwrap()).collect();
    assert_eq!(
        slugs,
        [
            "welcome-series",
            "lead-magnet",
            "post-purchase",
            "abandoned-cart",
            "re-engagement",
            "refund",
            "agency-onboarding",
            "order-status"
        ]
    );
    let post = &list[2];
    assert_eq!(post["name"], "Post-purchase: Program A");
    assert_eq!(
        post["accounts"],
        json!([{"name": "Email", "kind": "smtp"}, {"name": "Team Slack", "kind": "slack"}])
    );
    assert_eq!(post["requires"]["courses"], json!(["Program A"]));
    assert_eq!(post["goals"], json!(["Refunded"]));
    let human = ok(w.path(), &["template", "list"]);
    for s in slugs {
        assert!(human.contains(s), "{human}");
    }
    assert!(
        human.contains("needs accounts: \"Email\" (smtp), \"Team Slack\" (slack)"),
        "{human}"
    );
}

#[test]
fn template_show_prints_the_file_as_committed() {
    let w = Workdir::new();
    assert_eq!(
        ok(w.path(), &["template", "show", "order-status"]),
        asset("order-status")
    );
    let o = cairn(w.path(), &["template", "show", "order-state"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("there is no built-in template \"order-state\"")
            && o.stderr.contains("order-status"),
        "{}",
        o.stderr
    );
}

#[test]
fn template_use_imports_paused_and_a_clash_becomes_a_copy() {
    let w = Workdir::new();
    let db = w.db();
    let db = db.to_str().unwrap();
    ok(w.path(), &["--db", db, "init"]);
    let first = json(w.path(), &["--db", db, "template", "use", "abandoned-cart"]);
    assert_eq!(first["template"], "abandoned-cart");
    assert_eq!(first["name"], "Abandoned cart");
    assert_eq!(first["status"], "paused");
    assert!(first["renamed_from"].is_null());
    assert!(
        first["report"]["issues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["code"] == "unknown_account")
    );
    let second = json(w.path(), &["--db", db, "template", "use", "abandoned-cart"]);
    assert_eq!(second["name"], "Abandoned cart (2)");
    assert_eq!(second["renamed_from"], "Abandoned cart");
    let named = ok(
        w.path(),
        &[
            "--db",
            db,
            "template",
            "use",
            "abandoned-cart",
            "--name",
            "Spring sale cart",
        ],
    );
    assert!(
        named.starts_with("imported template abandoned-cart as \"Spring sale cart\", paused"),
        "{named}"
    );
    assert!(
        named.contains("add the accounts it sends through: \"Email\" (smtp)"),
        "{named}"
    );
    let list = json(w.path(), &["--db", db, "workflow", "list"]);
    let got: Vec<(String, String)> = list["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["name"].as_str().unwrap().to_string(),
                w["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Abandoned cart".to_string(), "paused".to_string()),
            ("Abandoned cart (2)".to_string(), "paused".to_string()),
            ("Spring sale cart".to_string(), "paused".to_string()),
        ]
    );
    // The stored file is the template's, renamed and still canonical.
    let exported = ok(
        w.path(),
        &["--db", db, "workflow", "export", "Spring sale cart"],
    );
    let mut def = builtin::get("abandoned-cart").unwrap().def().unwrap();
    def.name = "Spring sale cart".into();
    assert_eq!(exported, file::to_canonical_json(&def));
    // Requirements arrive with it: the Clients pipeline and its fields.
    json(
        w.path(),
        &["--db", db, "template", "use", "agency-onboarding"],
    );
    let fields = json(w.path(), &["--db", db, "field", "list"]);
    let names: BTreeSet<&str> = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        ["strategy_doc_url", "first_draft_url", "account_manager"]
            .iter()
            .all(|f| names.contains(f)),
        "{fields}"
    );
}

#[test]
fn template_use_needs_a_database_and_a_known_slug() {
    let w = Workdir::new();
    let db = w.db();
    let db = db.to_str().unwrap();
    let o = cairn(w.path(), &["--db", db, "template", "use", "refund"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("no database"), "{}", o.stderr);
    ok(w.path(), &["--db", db, "init"]);
    let o = cairn(
        w.path(),
        &["--db", db, "--json", "template", "use", "refunds"],
    );
    assert_eq!(o.code, 1);
    let e: serde_json::Value = serde_json::from_str(&o.stderr).unwrap();
    assert_eq!(e["error"]["code"], "not_found");
}
