//! The editor's test run panel and run counts in the real app: a dry run for
//! a new test contact lights the canvas up step by step, shows the email the
//! run rendered, skips the two-day wait and ends with the tag in the
//! database; the canvas's run counts show the live run that was already
//! waiting, and leave the test run out.
//!
//! The live run is made before launch through the engine, as the executor
//! would make it, on the system clock (the app runs on the system clock, so
//! its two-day wait must still be ahead when the window opens).

use cairn_engine::{Engine, SendOutcome};
use cairn_model::account::AccountKind;
use cairn_model::effect::RunMode;
use cairn_model::{Clock, SystemClock};
use cairn_store::contacts::ContactInput;
use cairn_store::runs::{RunQuery, RunStatus, StepStatus};
use cairn_store::workflows::WorkflowStatus;
use fantoccini::Locator;

use crate::editor::{contents_of, fill, wait_for_content, wait_for_node_count};
use crate::harness::{App, Launch};

/// A purchase sends a receipt, waits two days, then tags the buyer.
const RECEIPTS: &str = r#"{
  "format": "cairn.workflow",
  "version": 1,
  "name": "Receipts",
  "settings": {"timezone": "UTC"},
  "nodes": [
    {"id": "paid", "kind": "trigger.purchase_completed", "position": {"x": 0, "y": 0},
     "config": {"filters": [{"path": "product", "op": "eq", "value": "Program A"}]}},
    {"id": "receipt", "kind": "action.send_email", "position": {"x": 0, "y": 150},
     "config": {"template": "Receipt", "account": "Gmail"}},
    {"id": "later", "kind": "wait.duration", "position": {"x": 0, "y": 300}, "config": {"duration": "2d"}},
    {"id": "thank", "kind": "action.add_tag", "position": {"x": 0, "y": 450}, "config": {"tag": "buyer"}}
  ],
  "edges": [
    {"from": "paid", "exit": "next", "to": "receipt"},
    {"from": "receipt", "exit": "next", "to": "later"},
    {"from": "later", "exit": "next", "to": "thank"}
  ],
  "email_templates": [
    {"name": "Receipt", "subject": "Your {{ trigger.product }} receipt, {{ contact.first_name }}",
     "body": "Hi {{ contact.first_name }},\n\nthank you for buying **{{ trigger.product }}**."}
  ]
}"#;

/// The `data-trace` of the canvas node `id` (how the test run marked it).
async fn trace_of(app: &App, id: &str) -> Option<String> {
    let css = format!("[data-testid=canvas-node][data-node-id='{id}']");
    let el = app.client().find(Locator::Css(&css)).await.ok()?;
    el.attr("data-trace").await.ok().flatten()
}

async fn wait_for_trace(app: &App, id: &str, status: &str) {
    app.wait_until(&format!("node {id} to be marked {status:?}"), || async {
        trace_of(app, id).await.as_deref() == Some(status)
    })
    .await;
}

/// The `data-*` attribute `name` of the counts badge on node `id`.
async fn count_on(app: &App, id: &str, name: &str) -> Option<String> {
    let css = format!("[data-testid=canvas-node][data-node-id='{id}'] [data-testid=node-counts]");
    let el = app.client().find(Locator::Css(&css)).await.ok()?;
    el.attr(name).await.ok().flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_lights_the_steps_shows_the_email_and_skips_the_wait() {
    let launch = Launch::new("testrun");
    let now = SystemClock.now();
    {
        let mut s = launch.store();
        s.add_account(
            "Gmail",
            AccountKind::Smtp,
            &serde_json::json!({"from": "Coach <coach@example.com>"}),
            None,
            now,
        )
        .unwrap();
        s.import_workflow(RECEIPTS, false, now).unwrap();
        s.set_workflow_status("Receipts", WorkflowStatus::Active, now)
            .unwrap();
        s.add_contact(
            &ContactInput {
                email: "lee@example.com".into(),
                name: Some("Lee Live".into()),
                ..Default::default()
            },
            now,
        )
        .unwrap();
    }
    // One live run: its receipt went out and it waits at "later" for two days.
    {
        let mut engine = Engine::new(launch.store());
        let live = engine
            .start_run(
                "Receipts",
                "lee@example.com",
                None,
                &serde_json::json!({"product": "Program A"}),
                RunMode::Live,
                now,
            )
            .unwrap()
            .expect("the live run starts");
        let due = engine.take_due(now, 10).unwrap();
        assert_eq!(due.len(), 1, "the receipt is queued");
        engine
            .record_outcome(due[0].id, &SendOutcome::Sent { detail: None }, now)
            .unwrap();
        assert_eq!(engine.store().run(live).unwrap().status, RunStatus::Waiting);
        // Tests run in a paused workflow too; paused, the live run stays put.
        engine
            .store_mut()
            .set_workflow_status("Receipts", WorkflowStatus::Paused, now)
            .unwrap();
    }

    let app = launch.launch().await;
    app.click("[data-testid=workflow-row][data-workflow='Receipts'] [data-testid=workflow-name]")
        .await;
    wait_for_content(&app, "[data-testid=editor-name]", "Receipts").await;
    wait_for_node_count(&app, 4).await;

    // The live run's counts: through the trigger and the email, waiting at the wait.
    app.click("[data-testid=tool-counts]").await;
    app.wait_until("the counts badges", || async {
        count_on(&app, "later", "data-waiting").await.as_deref() == Some("1")
    })
    .await;
    assert_eq!(
        count_on(&app, "receipt", "data-passed").await.as_deref(),
        Some("1")
    );
    assert_eq!(
        count_on(&app, "thank", "data-passed").await.as_deref(),
        Some("0")
    );
    app.screenshot("testrun_counts").await.unwrap();

    // A dry run for a new test contact, the product typed in the payload form.
    app.click("[data-testid=editor-test]").await;
    app.wait_for_text("[data-testid=test-run-panel]", "Dry run")
        .await;
    fill(&app, "[data-testid=test-email]", "tess@example.com").await;
    fill(&app, "[data-testid=test-name]", "Tess Tester").await;
    fill(&app, "[data-testid='payload-product']", "Program A").await;
    app.screenshot("testrun_form").await.unwrap();
    app.click("[data-testid=test-run-start]").await;

    // The email step lights up, with the rendered subject in the panel.
    wait_for_trace(&app, "receipt", "ok").await;
    wait_for_trace(&app, "later", "waiting").await;
    wait_for_content(
        &app,
        "[data-testid=test-email-subject]",
        "Your Program A receipt, Tess",
    )
    .await;
    assert_eq!(trace_of(&app, "thank").await.as_deref(), Some("none"));
    app.wait_for_text("[data-testid=test-run-status]", "Waiting")
        .await;
    app.screenshot("testrun_waiting").await.unwrap();

    let store = app.store();
    let tess = store
        .contact_by_email("tess@example.com")
        .unwrap()
        .expect("the test contact was added");
    assert!(
        tess.is_test,
        "a contact made in the panel is a test contact"
    );
    let runs = store
        .runs(&RunQuery {
            contact_id: Some(tess.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].mode, RunMode::DryRun);
    let run = runs[0].id;
    // Nothing was queued to send: the dry run only recorded the email.
    let email = store
        .steps(run)
        .unwrap()
        .into_iter()
        .find(|s| s.node_id == "receipt")
        .unwrap();
    assert_eq!(email.status, StepStatus::Ok);
    assert_eq!(email.detail["sent"], serde_json::json!(false));
    assert_eq!(email.detail["effect"]["to"], "tess@example.com");

    // Time travel: the two-day wait is skipped, the tag is added, the run ends.
    app.click("[data-testid=test-run-skip]").await;
    app.wait_for_text("[data-testid=test-run-status]", "Completed")
        .await;
    wait_for_trace(&app, "thank", "ok").await;
    wait_for_trace(&app, "later", "ok").await;
    let shown = contents_of(&app, "[data-testid=test-step]").await;
    assert_eq!(shown.len(), 4, "one row per step: {shown:?}");
    assert!(shown[3].contains("Tag “buyer”"), "{shown:?}");
    app.screenshot("testrun_completed").await.unwrap();

    assert_eq!(store.run(run).unwrap().status, RunStatus::Completed);
    let tess = store.contact_by_email("tess@example.com").unwrap().unwrap();
    assert!(tess.tags.contains(&"buyer".to_string()), "{:?}", tess.tags);

    // The counts are the live runs': the test run is not among them.
    assert_eq!(
        count_on(&app, "thank", "data-passed").await.as_deref(),
        Some("0")
    );
    assert_eq!(
        count_on(&app, "later", "data-waiting").await.as_deref(),
        Some("1")
    );
    app.close().await;
}

/// Issue 7's case: the built-in post-purchase template, fired for a new test
/// contact in dry run from the editor. All six actions complete (course
/// access, receipt, two tags, the deal moved to Won, the Slack notice), the
/// receipt is rendered in the panel, and the run then waits for day 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_post_purchase_template_in_dry_run_completes_its_six_actions() {
    let launch = Launch::new("testrun_purchase");
    let now = SystemClock.now();
    let name = {
        let mut s = launch.store();
        s.add_account(
            "Email",
            AccountKind::Smtp,
            &serde_json::json!({"from": "Coach <coach@example.com>"}),
            None,
            now,
        )
        .unwrap();
        s.add_account(
            "Team Slack",
            AccountKind::Slack,
            &serde_json::json!({}),
            None,
            now,
        )
        .unwrap();
        let template = cairn_model::builtin::get("post-purchase").unwrap();
        s.import_workflow(template.text, false, now).unwrap().name
    };

    let app = launch.launch().await;
    app.click(&format!(
        "[data-testid=workflow-row][data-workflow='{name}'] [data-testid=workflow-name]"
    ))
    .await;
    wait_for_content(&app, "[data-testid=editor-name]", &name).await;
    wait_for_node_count(&app, 17).await;

    app.click("[data-testid=editor-test]").await;
    app.wait_for_text("[data-testid=test-run-panel]", "Dry run")
        .await;
    fill(&app, "[data-testid=test-email]", "ada@example.com").await;
    fill(&app, "[data-testid=test-name]", "Ada Lovelace").await;
    fill(&app, "[data-testid='payload-product']", "Program A").await;
    app.click("[data-testid=test-run-start]").await;

    let six = [
        "access",
        "receipt",
        "tag_buyer",
        "onboarding",
        "won",
        "notify_team",
    ];
    for id in six {
        wait_for_trace(&app, id, "ok").await;
    }
    wait_for_trace(&app, "day_1", "waiting").await;
    app.wait_for_text("[data-testid=test-run-status]", "Waiting")
        .await;
    wait_for_content(
        &app,
        "[data-testid=test-email-subject]",
        "Your receipt for Program A",
    )
    .await;
    // The receipt's HTML part is shown as the contact would see it.
    let html = app
        .client()
        .find(Locator::Css("[data-testid=test-email-html]"))
        .await
        .expect("the receipt's HTML is shown")
        .attr("srcdoc")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(html.contains("<strong>Program A</strong>"), "{html}");
    app.screenshot("testrun_post_purchase").await.unwrap();

    // What the six actions did, read from the database.
    let store = app.store();
    let ada = store.contact_by_email("ada@example.com").unwrap().unwrap();
    for tag in ["buyer-program-A", "onboarding-program-A"] {
        assert!(ada.tags.iter().any(|t| t == tag), "{tag}: {:?}", ada.tags);
    }
    let courses = store.enrollments_of_contact(ada.id).unwrap();
    assert!(
        courses
            .iter()
            .any(|e| e.course == "Program A" && e.revoked_at.is_none()),
        "{courses:?}"
    );
    let deals = store.deals_of_contact(ada.id).unwrap();
    assert!(
        deals
            .iter()
            .any(|d| d.pipeline == "Sales" && d.stage == "Won"),
        "{deals:?}"
    );
    let runs = store
        .runs(&RunQuery {
            contact_id: Some(ada.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].mode, RunMode::DryRun);
    let steps = store.steps(runs[0].id).unwrap();
    for id in six {
        let step = steps.iter().find(|s| s.node_id == id).unwrap();
        assert_eq!(step.status, StepStatus::Ok, "{id}: {:?}", step.detail);
    }
    // Dry run: the receipt and the Slack notice were rendered, not sent.
    let receipt = steps.iter().find(|s| s.node_id == "receipt").unwrap();
    assert_eq!(receipt.detail["sent"], serde_json::json!(false));
    assert_eq!(receipt.detail["effect"]["to"], "ada@example.com");
    let slack = steps.iter().find(|s| s.node_id == "notify_team").unwrap();
    assert_eq!(slack.detail["sent"], serde_json::json!(false));
    app.close().await;
}

/// An SMTP server on loopback (aiosmtpd, the effects tests' fixture) that
/// writes what it accepts to a Maildir; it stops when its stdin closes.
pub(crate) struct SmtpServer {
    _child: std::process::Child,
    pub(crate) port: u16,
    maildir: std::path::PathBuf,
}

impl SmtpServer {
    pub(crate) fn start(dir: &std::path::Path) -> SmtpServer {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates/cairn-effects/tests/fixtures/smtp_server.py");
        let maildir = dir.join("Maildir");
        // Debian's python3 has python3-aiosmtpd; a pyenv shim on PATH may not.
        let python = std::env::var("CAIRN_TEST_PYTHON").unwrap_or_else(|_| {
            let debian = std::path::Path::new("/usr/bin/python3");
            if debian.exists() {
                debian.display().to_string()
            } else {
                "python3".into()
            }
        });
        let mut child = Command::new(python)
            .arg(&script)
            .arg(&maildir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd (./scripts/test installs python3-aiosmtpd)");
        // It prints its port once it listens: reading that line is the wait.
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP fixture did not start: {line:?}"));
        SmtpServer {
            _child: child,
            port,
            maildir,
        }
    }

    /// Every message accepted so far, as text.
    pub(crate) fn messages(&self) -> Vec<String> {
        std::fs::read_dir(self.maildir.join("new"))
            .map(|rd| {
                rd.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// "Send to the test contact": the receipt really leaves over SMTP, to the
/// test contact's address and no one else's, and the step says it was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_to_the_test_contact_delivers_the_email_to_them_only() {
    let launch = Launch::new("testrun_send");
    let smtp = SmtpServer::start(launch.db_path().parent().unwrap().parent().unwrap());
    let now = SystemClock.now();
    {
        let mut s = launch.store();
        s.add_account(
            "Gmail",
            AccountKind::Smtp,
            &serde_json::json!({
                "host": "127.0.0.1",
                "port": smtp.port,
                "security": "none",
                "from": "Coach <coach@example.com>"
            }),
            None,
            now,
        )
        .unwrap();
        s.import_workflow(RECEIPTS, false, now).unwrap();
        // A real subscriber, who must receive nothing from a test.
        s.add_contact(
            &ContactInput {
                email: "lee@example.com".into(),
                name: Some("Lee Live".into()),
                ..Default::default()
            },
            now,
        )
        .unwrap();
    }

    let app = launch.launch().await;
    app.click("[data-testid=workflow-row][data-workflow='Receipts'] [data-testid=workflow-name]")
        .await;
    wait_for_content(&app, "[data-testid=editor-name]", "Receipts").await;
    app.click("[data-testid=editor-test]").await;
    app.wait_for_text("[data-testid=test-run-panel]", "Send to the test contact")
        .await;
    app.click("[data-testid=test-mode-test]").await;
    fill(&app, "[data-testid=test-email]", "tess@example.com").await;
    fill(&app, "[data-testid=test-name]", "Tess Tester").await;
    fill(&app, "[data-testid='payload-product']", "Program A").await;
    app.click("[data-testid=test-run-start]").await;

    // The executor's dispatcher sends it; the step turns done when it has.
    wait_for_trace(&app, "receipt", "ok").await;
    wait_for_trace(&app, "later", "waiting").await;
    app.wait_until("the SMTP server to hold the receipt", || async {
        !smtp.messages().is_empty()
    })
    .await;
    app.screenshot("testrun_sent").await.unwrap();
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "one email in all: {messages:?}");
    let m = &messages[0];
    assert!(m.contains("X-RcptTo: tess@example.com"), "{m}");
    assert!(!m.contains("lee@example.com"), "{m}");
    assert!(m.contains("Subject: Your Program A receipt, Tess"), "{m}");

    let store = app.store();
    let tess = store.contact_by_email("tess@example.com").unwrap().unwrap();
    let runs = store
        .runs(&RunQuery {
            contact_id: Some(tess.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].mode, RunMode::Test);
    app.close().await;
}
