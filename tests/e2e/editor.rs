//! The canvas editor of the real app: building a workflow from the palette,
//! configuring it in the inspector, saving, and finding it intact after a
//! restart; validation on the nodes; undo, copy and paste; the guard against
//! losing changes.
//!
//! The helpers at the top are shared with `workflows.rs`.

use std::path::{Path, PathBuf};

use fantoccini::Locator;
use fantoccini::key::Key;

use crate::harness::{App, Launch};

/// The repository's shared test files.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn now() -> cairn_model::Timestamp {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// Queues the path the next native file dialog "returns": WebDriver cannot
/// click inside a GTK dialog, so the page's picker takes a path queued in
/// `window.__cairnPickedPaths` instead of opening one (see
/// ui/src/api/dialog.ts). Everything after the dialog is the real path.
pub async fn queue_picked_path(app: &App, path: &Path) {
    app.client()
        .execute(
            "(window.__cairnPickedPaths ??= []).push(arguments[0]);",
            vec![serde_json::Value::String(path.display().to_string())],
        )
        .await
        .expect("queue a picked path");
}

/// The text content of every element matching `css`. WebDriver's "visible
/// text" leaves out text inside `overflow: hidden` boxes with an ellipsis
/// (titles that may be cut short), so reads go through `textContent`.
pub async fn contents_of(app: &App, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for el in app
        .client()
        .find_all(Locator::Css(css))
        .await
        .unwrap_or_default()
    {
        if let Ok(Some(t)) = el.prop("textContent").await {
            out.push(t);
        }
    }
    out
}

/// Waits until an element matching `css` contains `text`; returns its text.
pub async fn wait_for_content(app: &App, css: &str, text: &str) -> String {
    let found = std::cell::RefCell::new(String::new());
    app.wait_until(&format!("{css} to contain {text:?}"), || async {
        match contents_of(app, css)
            .await
            .into_iter()
            .find(|t| t.contains(text))
        {
            Some(t) => {
                *found.borrow_mut() = t;
                true
            }
            None => false,
        }
    })
    .await;
    found.into_inner()
}

/// Replaces the text of the input matching `css` with `text`, typing it as
/// a user would (select all, then type), so React sees every keystroke.
pub async fn fill(app: &App, css: &str, text: &str) {
    app.wait_until(&format!("{css} to be present"), || async {
        app.client().find(Locator::Css(css)).await.is_ok()
    })
    .await;
    let el = app.client().find(Locator::Css(css)).await.unwrap();
    el.click()
        .await
        .unwrap_or_else(|e| panic!("cannot focus {css}: {e}"));
    let control = char::from(Key::Control);
    let typed = if text.is_empty() {
        format!("{control}a{control}{}", char::from(Key::Backspace))
    } else {
        format!("{control}a{control}{text}")
    };
    el.send_keys(&typed)
        .await
        .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    app.wait_until(&format!("{css} to hold {text:?}"), || async {
        match app.client().find(Locator::Css(css)).await {
            Ok(el) => el.prop("value").await.ok().flatten().as_deref() == Some(text),
            Err(_) => false,
        }
    })
    .await;
}

/// Picks the option with `value` in the select matching `css`.
pub async fn choose(app: &App, css: &str, value: &str) {
    app.wait_until(&format!("{css} to offer {value:?}"), || async {
        match app.client().find(Locator::Css(css)).await {
            Ok(el) => el
                .find(Locator::Css(&format!("option[value=\"{value}\"]")))
                .await
                .is_ok(),
            Err(_) => false,
        }
    })
    .await;
    app.client()
        .find(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("cannot choose {value:?} in {css}: {e}"));
}

/// Presses Ctrl + `key` on whatever has focus.
pub async fn ctrl(app: &App, key: char) {
    let keys = format!(
        "{}{key}{}",
        char::from(Key::Control),
        char::from(Key::Control)
    );
    app.client()
        .active_element()
        .await
        .unwrap()
        .send_keys(&keys)
        .await
        .unwrap_or_else(|e| panic!("cannot press Ctrl+{key}: {e}"));
}

/// Presses one key on whatever has focus.
pub async fn press(app: &App, key: Key) {
    app.client()
        .active_element()
        .await
        .unwrap()
        .send_keys(&char::from(key).to_string())
        .await
        .unwrap_or_else(|e| panic!("cannot press {key:?}: {e}"));
}

/// The ids of the nodes on the canvas, in DOM order.
pub async fn canvas_nodes(app: &App) -> Vec<String> {
    let mut ids = Vec::new();
    for el in app
        .client()
        .find_all(Locator::Css("[data-testid=canvas-node]"))
        .await
        .unwrap_or_default()
    {
        if let Ok(Some(id)) = el.attr("data-node-id").await {
            ids.push(id);
        }
    }
    ids
}

/// Waits until the canvas shows exactly `n` nodes.
pub async fn wait_for_node_count(app: &App, n: usize) {
    app.wait_until(&format!("{n} nodes on the canvas"), || async {
        canvas_nodes(app).await.len() == n
    })
    .await;
}

/// Clicks the canvas node with `id` (selecting it).
pub async fn click_node(app: &App, id: &str) {
    // The canvas may still be framing the workflow (nodes move) when the
    // editor has just opened, so a click can land where the node was: click
    // again until the inspector shows the node (clicking a selected node
    // keeps it selected).
    let css = format!("[data-testid=canvas-node][data-node-id='{id}']");
    app.wait_until(&format!("a click on node {id} to select it"), || async {
        let shown = match app
            .client()
            .find(Locator::Css("[data-testid=inspector]"))
            .await
        {
            Ok(el) => el.attr("data-node-id").await.ok().flatten().as_deref() == Some(id),
            Err(_) => false,
        };
        if !shown && let Ok(el) = app.client().find(Locator::Css(&css)).await {
            let _ = el.click().await;
        }
        shown
    })
    .await;
}

/// Opens the editor of the workflow named `name` from the Workflows screen.
pub async fn open_workflow(app: &App, name: &str) {
    app.click(&format!(
        "[data-testid=workflow-row][data-workflow='{name}'] [data-testid=workflow-name]"
    ))
    .await;
    wait_for_content(app, "[data-testid=editor-name]", name).await;
}

/// The number of edges drawn on the canvas.
pub async fn edge_count(app: &App) -> usize {
    app.client()
        .find_all(Locator::Css(".react-flow__edge"))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

/// Waits for the toolbar's status line to say `text`.
pub async fn wait_for_status(app: &App, text: &str) -> String {
    wait_for_content(app, "[data-testid=save-status]", text).await
}

/// Waits until the problems list has checked the current draft.
pub async fn wait_until_checked(app: &App) {
    app.wait_until("the draft to be checked", || async {
        app.client()
            .find(Locator::Css("[data-testid=problems-checking]"))
            .await
            .is_err()
    })
    .await;
}

/// Adds a node from the palette by clicking it (the keyboard-friendly way;
/// a click adds after the selected node and connects it) and waits until
/// the inspector shows the new node.
pub async fn add_from_palette(app: &App, kind: &str, expect_id: &str) {
    app.click(&format!("[data-testid='palette-{kind}']")).await;
    app.wait_until(&format!("{expect_id} to be added and selected"), || async {
        match app
            .client()
            .find(Locator::Css("[data-testid=inspector]"))
            .await
        {
            Ok(el) => el.attr("data-node-id").await.ok().flatten().as_deref() == Some(expect_id),
            Err(_) => false,
        }
    })
    .await;
}

/// A database in a directory the test owns, so two launches of the app
/// (before and after a restart) open the same file.
struct Data {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

impl Data {
    fn new() -> Data {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cairn.db");
        Data { _dir: dir, db }
    }
    fn store(&self) -> cairn_store::Store {
        cairn_store::Store::open(&self.db).unwrap()
    }
    fn launch(&self, name: &str) -> Launch {
        Launch::new(name).env("CAIRN_DB", &self.db.display().to_string())
    }
}

/// What the coach's post-purchase workflow refers to: the course, the
/// pipeline, the SMTP and Slack accounts and the onboarding workflow.
fn seed_coach(store: &mut cairn_store::Store) {
    use cairn_model::account::AccountKind;
    store.ensure_course("Program A", now()).unwrap();
    store
        .ensure_pipeline(
            "Sales",
            &[
                "Lead".into(),
                "Call booked".into(),
                "Won".into(),
                "Lost".into(),
            ],
            now(),
        )
        .unwrap();
    store
        .add_account(
            "Gmail",
            AccountKind::Smtp,
            &serde_json::json!({}),
            None,
            now(),
        )
        .unwrap();
    store
        .add_account(
            "Team Slack",
            AccountKind::Slack,
            &serde_json::json!({}),
            None,
            now(),
        )
        .unwrap();
    store
        .create_workflow(
            &cairn_model::workflow::WorkflowDef::new("Onboarding"),
            now(),
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_the_post_purchase_workflow_from_the_palette_and_finds_it_after_a_restart() {
    let data = Data::new();
    seed_coach(&mut data.store());
    let name = "Program A post-purchase";

    let app = data.launch("editor_build").launch().await;
    app.click("[data-testid=new-workflow]").await;
    fill(&app, "[data-testid=new-workflow-name]", name).await;
    app.click("[data-testid=new-workflow-create]").await;
    wait_for_content(&app, "[data-testid=editor-name]", name).await;
    app.wait_for_text("[data-testid=empty-canvas]", "Start with a trigger")
        .await;
    app.screenshot("editor_empty").await.unwrap();

    // The trigger: a purchase of Program A.
    add_from_palette(&app, "trigger.purchase_completed", "purchase_completed_1").await;
    app.click("[data-testid=add-filter]").await;
    fill(&app, "[data-testid=filter-path]", "product").await;
    choose(&app, "[data-testid=filter-op]", "eq").await;
    fill(&app, "[data-testid=filter-value]", "Program A").await;

    // Six actions, each added after the previous one and configured.
    add_from_palette(&app, "action.enroll_course", "enroll_course_1").await;
    fill(&app, "[data-testid=config-course]", "Program A").await;

    add_from_palette(&app, "action.send_email", "send_email_1").await;
    app.click("[data-testid=new-template]").await;
    fill(&app, "[data-testid=template-name]", "Receipt").await;
    fill(
        &app,
        "[data-testid=template-subject]",
        "Your receipt for {{ trigger.product }}",
    )
    .await;
    fill(
        &app,
        "[data-testid=template-body]",
        "Hi {{ contact.first_name }}, thank you for buying **{{ trigger.product }}**.",
    )
    .await;
    choose(&app, "[data-testid=config-account]", "Gmail").await;

    add_from_palette(&app, "action.add_tag", "add_tag_1").await;
    fill(&app, "[data-testid=config-tag]", "buyer-program-A").await;

    add_from_palette(&app, "action.start_workflow", "start_workflow_1").await;
    choose(&app, "[data-testid=config-workflow]", "Onboarding").await;

    add_from_palette(&app, "action.move_deal", "move_deal_1").await;
    choose(&app, "[data-testid=config-pipeline]", "Sales").await;
    choose(&app, "[data-testid=config-stage]", "Won").await;

    add_from_palette(&app, "action.notify", "notify_1").await;
    choose(&app, "[data-testid=config-channel]", "slack").await;
    choose(&app, "[data-testid=config-account]", "Team Slack").await;
    fill(
        &app,
        "[data-testid=config-message]",
        "New sale: {{ contact.email }} bought {{ trigger.product }}",
    )
    .await;

    wait_for_node_count(&app, 7).await;
    assert_eq!(
        edge_count(&app).await,
        6,
        "each node follows the one before"
    );
    wait_until_checked(&app).await;
    wait_for_content(&app, "[data-testid=problems]", "Ready to activate").await;
    app.screenshot("editor_built").await.unwrap();

    app.click("[data-testid=editor-save]").await;
    wait_for_status(&app, "Saved (version 1)").await;
    let saved = data.store().workflow_def(name).unwrap().1;
    assert_eq!(saved.nodes.len(), 7);
    app.close().await;

    // Quit and start again: the workflow is there, node for node.
    let app = data.launch("editor_build_restart").launch().await;
    open_workflow(&app, name).await;
    wait_for_node_count(&app, 7).await;
    assert_eq!(
        canvas_nodes(&app).await,
        [
            "purchase_completed_1",
            "enroll_course_1",
            "send_email_1",
            "add_tag_1",
            "start_workflow_1",
            "move_deal_1",
            "notify_1"
        ]
    );
    let out = data.db.with_file_name("exported.json");
    queue_picked_path(&app, &out).await;
    app.click("[data-testid=tool-export]").await;
    wait_for_status(&app, "Exported to").await;
    app.screenshot("editor_reopened").await.unwrap();
    app.close().await;

    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let nodes: Vec<(String, String, serde_json::Value)> = file["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_string(),
                n["kind"].as_str().unwrap().to_string(),
                n["config"].clone(),
            )
        })
        .collect();
    use serde_json::json;
    let expected = vec![
        (
            "purchase_completed_1",
            "trigger.purchase_completed",
            json!({"filters": [{"path": "product", "op": "eq", "value": "Program A"}]}),
        ),
        (
            "enroll_course_1",
            "action.enroll_course",
            json!({"course": "Program A"}),
        ),
        (
            "send_email_1",
            "action.send_email",
            json!({"template": "Receipt", "account": "Gmail"}),
        ),
        (
            "add_tag_1",
            "action.add_tag",
            json!({"tag": "buyer-program-A"}),
        ),
        (
            "start_workflow_1",
            "action.start_workflow",
            json!({"workflow": "Onboarding"}),
        ),
        (
            "move_deal_1",
            "action.move_deal",
            json!({"pipeline": "Sales", "stage": "Won"}),
        ),
        (
            "notify_1",
            "action.notify",
            json!({"channel": {"slack": {"account": "Team Slack"}},
                   "message": "New sale: {{ contact.email }} bought {{ trigger.product }}"}),
        ),
    ];
    let expected: Vec<(String, String, serde_json::Value)> = expected
        .into_iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c))
        .collect();
    assert_eq!(nodes, expected);
    let edges: Vec<(String, String, String)> = file["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().into(),
                e["exit"].as_str().unwrap().into(),
                e["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    let chain: Vec<(String, String, String)> = expected
        .windows(2)
        .map(|w| (w[0].0.clone(), "next".to_string(), w[1].0.clone()))
        .collect();
    assert_eq!(edges, chain);
    assert_eq!(
        file["email_templates"],
        json!([{"name": "Receipt", "subject": "Your receipt for {{ trigger.product }}",
                "body": "Hi {{ contact.first_name }}, thank you for buying **{{ trigger.product }}**."}])
    );
    // Positions are saved too: every node sits below the one before it.
    let ys: Vec<f64> = file["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["position"]["y"].as_f64().unwrap())
        .collect();
    assert!(ys.windows(2).all(|w| w[1] > w[0]), "{ys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validation_error_shows_on_its_node_and_activation_is_refused() {
    let launch = Launch::new("editor_validation");
    let text = std::fs::read_to_string(fixtures().join("ui/missing-tag.json")).unwrap();
    launch.store().import_workflow(&text, false, now()).unwrap();
    let app = launch.launch().await;
    open_workflow(&app, "Unfinished").await;

    let node = "[data-testid=canvas-node][data-node-id=vip]";
    app.wait_until("node vip to be marked with an error", || async {
        match app.client().find(Locator::Css(node)).await {
            Ok(el) => el.attr("data-severity").await.ok().flatten().as_deref() == Some("error"),
            Err(_) => false,
        }
    })
    .await;
    wait_for_content(
        &app,
        &format!("{node} [data-testid=node-issue]"),
        "the tag is not set",
    )
    .await;
    let row = wait_for_content(
        &app,
        "[data-testid=problem-row][data-node=vip]",
        "the tag is not set",
    )
    .await;
    assert!(row.contains("Add tag (vip)"), "{row}");

    // The problems list jumps to the node.
    click_node(&app, "start").await;
    app.click("[data-testid=problem-row][data-node=vip]").await;
    wait_for_content(&app, "[data-testid=inspector-issues]", "the tag is not set").await;
    app.screenshot("editor_validation").await.unwrap();

    // Activation is refused while the error remains.
    app.click("[data-testid=editor-activate]").await;
    wait_for_status(&app, "Activation refused").await;
    let status = app.store().workflow("Unfinished").unwrap().status;
    assert_eq!(status, cairn_store::workflows::WorkflowStatus::Paused);
    app.screenshot("editor_activation_refused").await.unwrap();

    // Fixed, it activates (saved first).
    fill(&app, "[data-testid=config-tag]", "vip").await;
    app.wait_until("node vip to be clear", || async {
        match app.client().find(Locator::Css(node)).await {
            Ok(el) => el.attr("data-severity").await.ok().flatten().as_deref() == Some("none"),
            Err(_) => false,
        }
    })
    .await;
    app.click("[data-testid=editor-activate]").await;
    // The activation dialog shows the forecast first.
    app.wait_for_text("[data-testid=forecast]", "Runs started")
        .await;
    app.click("[data-testid=activate-confirm]").await;
    wait_for_content(&app, "[data-testid=editor-status]", "Active").await;
    let w = app.store().workflow("Unfinished").unwrap();
    assert_eq!(w.status, cairn_store::workflows::WorkflowStatus::Active);
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_restores_a_deleted_node_and_copy_paste_and_the_leave_guard_work() {
    let launch = Launch::new("editor_undo");
    let text =
        std::fs::read_to_string(fixtures().join("workflows/good/post-purchase.json")).unwrap();
    launch.store().import_workflow(&text, false, now()).unwrap();
    let app = launch.launch().await;
    open_workflow(&app, "Program A post-purchase").await;
    wait_for_node_count(&app, 10).await;
    app.wait_until("10 edges", || async { edge_count(&app).await == 10 })
        .await;

    // Delete a node with the keyboard: it goes with its three edges.
    click_node(&app, "tag").await;
    press(&app, Key::Delete).await;
    wait_for_node_count(&app, 9).await;
    assert!(!canvas_nodes(&app).await.contains(&"tag".to_string()));
    assert_eq!(edge_count(&app).await, 7);

    // Undo brings it back, edges and all; redo and the toolbar work too.
    ctrl(&app, 'z').await;
    wait_for_node_count(&app, 10).await;
    assert!(canvas_nodes(&app).await.contains(&"tag".to_string()));
    app.wait_until("the 10 edges back", || async {
        edge_count(&app).await == 10
    })
    .await;
    ctrl(&app, 'y').await;
    wait_for_node_count(&app, 9).await;
    app.click("[data-testid=tool-undo]").await;
    wait_for_node_count(&app, 10).await;

    // Copy and paste: a new node with a fresh readable id.
    click_node(&app, "won").await;
    ctrl(&app, 'c').await;
    wait_for_status(&app, "Copied 1 node").await;
    ctrl(&app, 'v').await;
    wait_for_node_count(&app, 11).await;
    assert!(
        canvas_nodes(&app)
            .await
            .contains(&"move_deal_1".to_string())
    );

    // The shortcut sheet.
    press(&app, Key::Escape).await;
    app.client()
        .active_element()
        .await
        .unwrap()
        .send_keys("?")
        .await
        .unwrap();
    app.wait_for_text("[data-testid=shortcut-sheet]", "Keyboard shortcuts")
        .await;
    app.screenshot("editor_shortcuts").await.unwrap();
    app.click("[data-testid=shortcut-sheet] button[aria-label=Close]")
        .await;

    // Leaving with unsaved changes asks first.
    app.click("[data-testid=editor-back]").await;
    app.wait_for_text("[data-testid=leave-dialog]", "Leave without saving?")
        .await;
    app.click("[data-testid=leave-stay]").await;
    wait_for_node_count(&app, 11).await;

    // The unsaved draft is kept aside: a page that goes away (a quit, a
    // crash) gets it offered back.
    let id = app.store().workflow("Program A post-purchase").unwrap().id;
    let key = format!("cairn.editor.draft.{id}");
    app.wait_until("the draft to be kept aside", || async {
        let kept = app
            .client()
            .execute(
                "return localStorage.getItem(arguments[0]) || '';",
                vec![serde_json::Value::String(key.clone())],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        kept.contains("move_deal_1")
    })
    .await;
    app.client()
        .execute("location.reload();", vec![])
        .await
        .unwrap();
    app.wait_for_text("[data-testid=recovery-banner]", "never saved")
        .await;
    wait_for_node_count(&app, 10).await;
    app.screenshot("editor_recovery").await.unwrap();
    app.click("[data-testid=recovery-restore]").await;
    wait_for_node_count(&app, 11).await;
    assert!(
        canvas_nodes(&app)
            .await
            .contains(&"move_deal_1".to_string())
    );

    // Discarding on the way out keeps the database as it was.
    app.click("[data-testid=editor-back]").await;
    app.click("[data-testid=leave-discard]").await;
    app.wait_for_text("[data-testid=workflow-row]", "Program A post-purchase")
        .await;
    let (_, def) = app.store().workflow_def("Program A post-purchase").unwrap();
    assert_eq!(def.nodes.len(), 10, "nothing was saved");
    let kept = app
        .client()
        .execute(
            "return localStorage.getItem(arguments[0]);",
            vec![serde_json::Value::String(key)],
        )
        .await
        .unwrap();
    assert!(kept.is_null(), "a discarded draft is not kept: {kept}");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_palette_item_dropped_on_the_canvas_becomes_a_node() {
    let launch = Launch::new("editor_drop");
    launch
        .store()
        .create_workflow(&cairn_model::workflow::WorkflowDef::new("Dropped"), now())
        .unwrap();
    let app = launch.launch().await;
    open_workflow(&app, "Dropped").await;
    app.wait_for_text("[data-testid=empty-canvas]", "Start with a trigger")
        .await;
    // WebDriver has no HTML drag and drop; the page's own DragEvents carry
    // the palette item's data to the canvas as a drag would.
    app.client()
        .execute(
            "const item = document.querySelector(\"[data-testid='palette-trigger.tag_added']\");
             const pane = document.querySelector('[data-testid=canvas]');
             const box = pane.getBoundingClientRect();
             const at = { clientX: box.left + box.width / 2, clientY: box.top + 120, bubbles: true, cancelable: true };
             const dt = new DataTransfer();
             item.dispatchEvent(new DragEvent('dragstart', { dataTransfer: dt, bubbles: true }));
             pane.dispatchEvent(new DragEvent('dragover', { ...at, dataTransfer: dt }));
             pane.dispatchEvent(new DragEvent('drop', { ...at, dataTransfer: dt }));",
            vec![],
        )
        .await
        .unwrap();
    wait_for_node_count(&app, 1).await;
    assert_eq!(canvas_nodes(&app).await, ["tag_added_1"]);
    wait_for_content(&app, "[data-testid=inspector-title]", "Tag added").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_an_active_workflow_with_runs_makes_a_new_version() {
    let launch = Launch::new("editor_new_version");
    {
        let mut store = launch.store();
        let text = std::fs::read_to_string(fixtures().join("ui/welcome.json")).unwrap();
        let id = store.import_workflow(&text, false, now()).unwrap().id;
        store
            .set_workflow_status(
                "Welcome",
                cairn_store::workflows::WorkflowStatus::Active,
                now(),
            )
            .unwrap();
        // A run on version 1: its version must not change under it.
        let contact = store
            .add_contact(
                &cairn_store::contacts::ContactInput {
                    email: "ada@example.com".into(),
                    ..Default::default()
                },
                now(),
            )
            .unwrap()
            .id;
        store
            .write(|tx| {
                cairn_store::runs::insert_run_using(
                    tx,
                    &cairn_store::runs::NewRun {
                        workflow_id: id,
                        version: 1,
                        contact_id: contact,
                        trigger_node: "start",
                        trigger_event_id: None,
                        trigger_payload: &serde_json::json!({}),
                        mode: cairn_model::effect::RunMode::Live,
                    },
                    now(),
                )
            })
            .unwrap();
    }
    let app = launch.launch().await;
    open_workflow(&app, "Welcome").await;
    click_node(&app, "vip").await;
    fill(&app, "[data-testid=config-label]", "Mark as VIP").await;
    wait_for_content(
        &app,
        "[data-testid=canvas-node][data-node-id=vip]",
        "Mark as VIP",
    )
    .await;
    ctrl(&app, 's').await;
    // Saving changes to an active workflow shows the new version's
    // forecast first.
    app.wait_for_text("[data-testid=activate-dialog]", "Save the changes")
        .await;
    app.wait_for_text("[data-testid=forecast]", "Runs started")
        .await;
    app.click("[data-testid=activate-confirm]").await;
    let said = wait_for_status(&app, "Version 2 saved").await;
    assert!(said.contains("stay on version 1"), "{said}");
    wait_for_content(&app, "[data-testid=editor-status]", "Active").await;
    let versions = app.store().workflow_versions("Welcome").unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.runs))
            .collect::<Vec<_>>(),
        [(1, 1), (2, 0)]
    );
    let (_, def) = app.store().workflow_def("Welcome").unwrap();
    assert_eq!(def.nodes[1].label.as_deref(), Some("Mark as VIP"));
    app.close().await;
}

/// Selects a node the way a click does (React Flow selects on `click`),
/// wherever it sits: for sweeping over every node of a big workflow, where
/// some lie under the minimap or outside the view.
async fn select_node(app: &App, id: &str) {
    app.client()
        .execute(
            "document.querySelector(`.react-flow__node[data-id='${arguments[0]}']`).click();",
            vec![serde_json::Value::String(id.into())],
        )
        .await
        .unwrap_or_else(|e| panic!("cannot select {id}: {e}"));
    app.wait_until(&format!("the inspector to show {id}"), || async {
        match app
            .client()
            .find(Locator::Css("[data-testid=inspector]"))
            .await
        {
            Ok(el) => el.attr("data-node-id").await.ok().flatten().as_deref() == Some(id),
            Err(_) => false,
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_of_the_fixtures_opens_its_settings_form() {
    let launch = Launch::new("editor_forms");
    let mut names = Vec::new();
    {
        let mut store = launch.store();
        for file in [
            "abandoned-cart",
            "lead-capture",
            "lifecycle",
            "order-status",
            "refund",
        ] {
            let text =
                std::fs::read_to_string(fixtures().join(format!("workflows/good/{file}.json")))
                    .unwrap();
            let def = cairn_model::file::parse(&text).unwrap();
            store.import_workflow(&text, false, now()).unwrap();
            names.push((
                def.name.clone(),
                def.nodes
                    .iter()
                    .map(|n| (n.id.clone(), n.spec.kind()))
                    .collect::<Vec<_>>(),
            ));
        }
    }
    let app = launch.launch().await;
    let mut kinds = std::collections::BTreeSet::new();
    for (name, nodes) in &names {
        open_workflow(&app, name).await;
        wait_for_node_count(&app, nodes.len()).await;
        for (id, kind) in nodes {
            select_node(&app, id).await;
            let title = cairn_model::workflow::NodeSpec::title_of(kind).unwrap();
            wait_for_content(&app, "[data-testid=inspector-title]", title).await;
            assert!(
                app.client()
                    .find(Locator::Css("[data-testid=inspector-crash]"))
                    .await
                    .is_err(),
                "the form of {name}/{id} ({kind}) failed to draw"
            );
            kinds.insert(*kind);
            let shot = match (name.as_str(), id.as_str()) {
                ("Abandoned cart", "engaged") => Some("editor_branch"),
                ("Lead capture", "office_hours") => Some("editor_condition"),
                ("Lead capture", "crm") => Some("editor_webhook"),
                ("Customer lifecycle", "birthday") => Some("editor_date_trigger"),
                _ => None,
            };
            if let Some(shot) = shot {
                app.screenshot(shot).await.unwrap();
            }
        }
        // Looking changes nothing: leaving asks no question.
        app.click("[data-testid=editor-back]").await;
        app.wait_for_text("[data-testid=workflow-row]", name).await;
    }
    assert!(
        kinds.len() >= 30,
        "the fixtures cover most kinds: {kinds:?}"
    );
    app.close().await;
}
