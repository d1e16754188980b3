//! One test per validation rule: a minimal workflow that breaks exactly that
//! rule, and the one issue it must produce (code, severity, node). A clean
//! workflow produces none.

use cairn_model::account::AccountKind;
use cairn_model::contact::FieldType;
use cairn_model::file;
use cairn_model::validate::{Catalog, Severity, validate};
use cairn_model::workflow::WorkflowDef;
use serde_json::{Value, json};

use Severity::{Error, Warning};

/// What the user's database holds in these tests.
fn catalog() -> Catalog {
    let mut cat = Catalog::default();
    cat.add_account("Gmail", AccountKind::Smtp);
    cat.add_account("Team Slack", AccountKind::Slack);
    cat.add_account("Hooks", AccountKind::Webhook);
    // Reports opens and clicks (see engagement_needs_an_account_that_reports_it).
    cat.add_account("Mailgun", AccountKind::Mailgun);
    cat.add_tag("vip");
    cat.add_field("birthday", FieldType::Date);
    cat.add_field("score", FieldType::Number);
    cat.add_field("country", FieldType::Text);
    cat.add_pipeline("Sales", vec!["Lead".into(), "Won".into()]);
    cat.add_course("Program A");
    cat.add_workflow("Onboarding");
    cat
}

fn node(id: &str, kind: &str, config: Value) -> Value {
    json!({"id": id, "position": {"x": 0, "y": 0}, "kind": kind, "config": config})
}

fn edge(from: &str, exit: &str, to: &str) -> Value {
    json!({"from": from, "exit": exit, "to": to})
}

fn manual(id: &str) -> Value {
    node(id, "trigger.manual", json!({}))
}

fn end(id: &str) -> Value {
    node(id, "end", json!({}))
}

/// A workflow read through the file reader, as the app would get it.
fn workflow(nodes: Vec<Value>, edges: Vec<Value>, extra: Value) -> WorkflowDef {
    let mut v = json!({"format": "cairn.workflow", "version": 1, "name": "Test", "nodes": nodes, "edges": edges});
    if let Value::Object(extra) = extra {
        v.as_object_mut().unwrap().extend(extra);
    }
    file::parse_value(v).unwrap_or_else(|e| panic!("the test workflow does not parse: {e}"))
}

/// A manual trigger `t` leading to `nodes[0]`, and the given nodes and edges.
fn after_trigger(nodes: Vec<Value>, edges: Vec<Value>) -> WorkflowDef {
    let first = nodes[0]["id"].as_str().unwrap().to_string();
    let mut all = vec![manual("t")];
    all.extend(nodes);
    let mut es = vec![edge("t", "next", &first)];
    es.extend(edges);
    workflow(all, es, json!({}))
}

type Found = (Severity, String, Option<String>);

fn issues(def: &WorkflowDef) -> Vec<Found> {
    validate(def, &catalog())
        .issues
        .into_iter()
        .map(|i| (i.severity, i.code, i.node))
        .collect()
}

/// Asserts that the workflow has exactly these issues.
#[track_caller]
fn assert_issues(def: &WorkflowDef, expected: &[(Severity, &str, Option<&str>)]) {
    let report = validate(def, &catalog());
    let found: Vec<Found> = report
        .issues
        .iter()
        .map(|i| (i.severity, i.code.clone(), i.node.clone()))
        .collect();
    let mut want: Vec<Found> = expected
        .iter()
        .map(|(s, c, n)| (*s, c.to_string(), n.map(String::from)))
        .collect();
    want.sort();
    let mut got = found.clone();
    got.sort();
    assert_eq!(got, want, "issues: {:#?}", report.issues);
}

#[test]
fn a_clean_workflow_has_no_issues() {
    let def = workflow(
        vec![
            node(
                "paid",
                "trigger.purchase_completed",
                json!({"filters": [{"path": "amount", "op": "gte", "value": 100}]}),
            ),
            node("tag", "action.add_tag", json!({"tag": "customer"})),
            node("wait", "wait.duration", json!({"duration": "2d"})),
            node(
                "vip",
                "condition",
                json!({"condition": {"field": {"field": "score", "op": "gt", "value": 10}}}),
            ),
            node(
                "mail",
                "action.send_email",
                json!({"template": "Thanks", "account": "Gmail"}),
            ),
            end("end"),
        ],
        vec![
            edge("paid", "next", "tag"),
            edge("tag", "next", "wait"),
            edge("wait", "next", "vip"),
            edge("vip", "yes", "mail"),
            edge("vip", "no", "end"),
            edge("mail", "next", "end"),
        ],
        json!({"email_templates": [{"name": "Thanks", "subject": "Thanks {{ contact.first_name }}", "body": "Your score: {{ contact.score }}"}]}),
    );
    assert_issues(&def, &[]);
}

#[test]
fn no_trigger() {
    assert_issues(
        &workflow(vec![], vec![], json!({})),
        &[(Error, "no_trigger", None)],
    );
}

#[test]
fn unreachable_node() {
    let def = after_trigger(vec![end("e"), end("island")], vec![]);
    assert_issues(&def, &[(Warning, "unreachable_node", Some("island"))]);
}

#[test]
fn dangling_edge_to_a_missing_node() {
    let def = workflow(
        vec![manual("t")],
        vec![edge("t", "next", "ghost")],
        json!({}),
    );
    assert_issues(&def, &[(Error, "dangling_edge", Some("t"))]);
}

#[test]
fn dangling_edge_from_a_missing_node() {
    let def = after_trigger(vec![end("e")], vec![edge("ghost", "next", "e")]);
    assert_issues(&def, &[(Error, "dangling_edge", None)]);
}

#[test]
fn dangling_edge_from_an_exit_the_node_lacks() {
    let def = after_trigger(
        vec![
            node("w", "wait.duration", json!({"duration": "1h"})),
            end("e"),
        ],
        vec![edge("w", "next", "e"), edge("w", "yes", "e")],
    );
    assert_issues(&def, &[(Error, "dangling_edge", Some("w"))]);
}

#[test]
fn dangling_edge_into_a_trigger() {
    let def = workflow(
        vec![manual("t"), manual("u"), end("e")],
        vec![edge("t", "next", "u"), edge("u", "next", "e")],
        json!({}),
    );
    assert_issues(&def, &[(Error, "dangling_edge", Some("u"))]);
}

#[test]
fn an_exit_connected_twice() {
    let def = after_trigger(
        vec![
            node("w", "wait.duration", json!({"duration": "1h"})),
            end("a"),
            end("b"),
        ],
        vec![edge("w", "next", "a"), edge("w", "next", "b")],
    );
    assert_issues(&def, &[(Error, "duplicate_exit", Some("w"))]);
}

#[test]
fn unconnected_trigger() {
    let def = workflow(vec![manual("t")], vec![], json!({}));
    assert_issues(&def, &[(Error, "unconnected_exit", Some("t"))]);
}

#[test]
fn unconnected_exit_of_a_condition() {
    let def = after_trigger(
        vec![
            node("c", "condition", json!({"condition": {"has_tag": "vip"}})),
            end("e"),
        ],
        vec![edge("c", "yes", "e")],
    );
    assert_issues(&def, &[(Warning, "unconnected_exit", Some("c"))]);
}

#[test]
fn unconnected_error_exit_of_an_action() {
    let def = after_trigger(
        vec![node(
            "h",
            "action.webhook",
            json!({"url": "https://x.example/h", "on_error": {"then": "error_exit"}}),
        )],
        vec![],
    );
    assert_issues(&def, &[(Warning, "unconnected_exit", Some("h"))]);
}

#[test]
fn unconnected_exits_of_a_wait_for_event() {
    let def = after_trigger(
        vec![
            node(
                "w",
                "wait.for_event",
                json!({"event_type": "order.fulfilled", "timeout": "7d"}),
            ),
            end("e"),
        ],
        vec![edge("w", "arrived", "e")],
    );
    assert_issues(&def, &[(Warning, "unconnected_exit", Some("w"))]);
}

#[test]
fn missing_setting_zero_wait() {
    let def = after_trigger(
        vec![node("w", "wait.duration", json!({"duration": "0"}))],
        vec![],
    );
    assert_issues(&def, &[(Error, "missing_setting", Some("w"))]);
}

#[test]
fn missing_setting_empty_template_name() {
    let def = after_trigger(
        vec![node(
            "m",
            "action.send_email",
            json!({"template": "", "account": "Gmail"}),
        )],
        vec![],
    );
    assert_issues(&def, &[(Error, "missing_setting", Some("m"))]);
}

#[test]
fn missing_setting_wait_for_event_without_type() {
    let def = after_trigger(
        vec![
            node(
                "w",
                "wait.for_event",
                json!({"event_type": " ", "timeout": "1d"}),
            ),
            end("e"),
        ],
        vec![edge("w", "arrived", "e"), edge("w", "timed_out", "e")],
    );
    assert_issues(&def, &[(Error, "missing_setting", Some("w"))]);
}

#[test]
fn missing_setting_weekly_schedule_without_days() {
    let def = workflow(
        vec![
            node(
                "s",
                "trigger.schedule",
                json!({"every": "week", "time": "08:00"}),
            ),
            end("e"),
        ],
        vec![edge("s", "next", "e")],
        json!({}),
    );
    assert_issues(&def, &[(Error, "missing_setting", Some("s"))]);
}

#[test]
fn missing_setting_filter_without_value() {
    let def = workflow(
        vec![
            node(
                "p",
                "trigger.purchase_completed",
                json!({"filters": [{"path": "product", "op": "eq"}]}),
            ),
            end("e"),
        ],
        vec![edge("p", "next", "e")],
        json!({}),
    );
    assert_issues(&def, &[(Error, "missing_setting", Some("p"))]);
}

#[test]
fn missing_setting_goal_without_event() {
    let def = after_trigger(vec![end("e")], vec![]);
    let def = WorkflowDef {
        goals: vec![cairn_model::workflow::Goal {
            name: "Bought".into(),
            event_type: "".into(),
            filters: vec![],
            conversion: true,
        }],
        ..def
    };
    assert_issues(&def, &[(Error, "missing_setting", None)]);
}

#[test]
fn missing_setting_date_trigger_without_date() {
    let def = workflow(
        vec![
            node("d", "trigger.date", json!({"time": "09:00"})),
            end("e"),
        ],
        vec![edge("d", "next", "e")],
        json!({}),
    );
    assert_issues(&def, &[(Error, "missing_setting", Some("d"))]);
}

#[test]
fn cycle_without_a_wait() {
    let def = after_trigger(
        vec![
            node("a", "action.add_tag", json!({"tag": "loop"})),
            node("b", "action.add_tag", json!({"tag": "loop2"})),
        ],
        vec![edge("a", "next", "b"), edge("b", "next", "a")],
    );
    assert_issues(
        &def,
        &[
            (Error, "cycle_without_wait", Some("a")),
            (Error, "cycle_without_wait", Some("b")),
        ],
    );
}

#[test]
fn a_node_looping_on_itself() {
    let def = after_trigger(
        vec![
            node("c", "condition", json!({"condition": {"has_tag": "vip"}})),
            end("e"),
        ],
        vec![edge("c", "yes", "c"), edge("c", "no", "e")],
    );
    assert_issues(&def, &[(Error, "cycle_without_wait", Some("c"))]);
}

#[test]
fn a_cycle_through_a_wait_is_fine() {
    let def = after_trigger(
        vec![
            node("a", "action.add_tag", json!({"tag": "nudged"})),
            node("w", "wait.duration", json!({"duration": "7d"})),
            node("c", "condition", json!({"condition": {"has_tag": "vip"}})),
            end("e"),
        ],
        vec![
            edge("a", "next", "w"),
            edge("w", "next", "c"),
            edge("c", "no", "a"),
            edge("c", "yes", "e"),
        ],
    );
    assert_issues(&def, &[]);
}

#[test]
fn unknown_tag() {
    let def = after_trigger(
        vec![node("r", "action.remove_tag", json!({"tag": "ghost"}))],
        vec![],
    );
    assert_issues(&def, &[(Warning, "unknown_tag", Some("r"))]);
    let def = after_trigger(
        vec![
            node(
                "c",
                "condition",
                json!({"condition": {"not": {"lacks_tag": "ghost"}}}),
            ),
            end("e"),
        ],
        vec![edge("c", "yes", "e"), edge("c", "no", "e")],
    );
    assert_issues(&def, &[(Warning, "unknown_tag", Some("c"))]);
}

#[test]
fn a_tag_this_workflow_adds_is_known() {
    let def = after_trigger(
        vec![
            node("a", "action.add_tag", json!({"tag": "fresh"})),
            node("r", "action.remove_tag", json!({"tag": "FRESH"})),
        ],
        vec![edge("a", "next", "r")],
    );
    assert_issues(&def, &[]);
}

#[test]
fn unknown_field() {
    let def = after_trigger(
        vec![node(
            "s",
            "action.set_field",
            json!({"field": "shoe_size", "value": "42"}),
        )],
        vec![],
    );
    assert_issues(&def, &[(Error, "unknown_field", Some("s"))]);
}

#[test]
fn a_declared_field_is_known() {
    let def = workflow(
        vec![
            manual("t"),
            node(
                "s",
                "action.set_field",
                json!({"field": "shoe_size", "value": "42"}),
            ),
        ],
        vec![edge("t", "next", "s")],
        json!({"requires": {"fields": [{"name": "shoe_size", "type": "number"}]}}),
    );
    assert_issues(&def, &[]);
}

#[test]
fn unknown_field_in_a_wait_until_date() {
    let def = after_trigger(
        vec![node(
            "w",
            "wait.until_date",
            json!({"field": "anniversary", "time": "09:00"}),
        )],
        vec![],
    );
    assert_issues(&def, &[(Error, "unknown_field", Some("w"))]);
}

#[test]
fn unknown_template() {
    let def = after_trigger(
        vec![node(
            "m",
            "action.send_email",
            json!({"template": "Welcome", "account": "Gmail"}),
        )],
        vec![],
    );
    assert_issues(&def, &[(Error, "unknown_template", Some("m"))]);
}

#[test]
fn unknown_template_in_an_engagement_condition_is_a_warning() {
    let def = after_trigger(
        vec![
            node(
                "c",
                "condition",
                json!({"condition": {"engagement": {"action": "opened", "email": "Other", "within": "3d"}}}),
            ),
            end("e"),
        ],
        vec![edge("c", "yes", "e"), edge("c", "no", "e")],
    );
    assert_issues(&def, &[(Warning, "unknown_template", Some("c"))]);
}

#[test]
fn unknown_account() {
    let mail = |account: &str| {
        workflow(
            vec![
                manual("t"),
                node(
                    "m",
                    "action.send_email",
                    json!({"template": "Hi", "account": account}),
                ),
            ],
            vec![edge("t", "next", "m")],
            json!({"email_templates": [{"name": "Hi", "subject": "Hi", "body": "Hello"}]}),
        )
    };
    assert_issues(&mail("Gmail"), &[]);
    assert_issues(&mail("Outlook"), &[(Error, "unknown_account", Some("m"))]);
    // An account of the wrong kind is no better.
    assert_issues(
        &mail("Team Slack"),
        &[(Error, "unknown_account", Some("m"))],
    );
}

#[test]
fn unknown_account_for_a_notification() {
    let def = after_trigger(
        vec![node(
            "n",
            "action.notify",
            json!({"channel": {"slack": {"account": "Gmail"}}, "message": "hi"}),
        )],
        vec![],
    );
    assert_issues(&def, &[(Error, "unknown_account", Some("n"))]);
}

#[test]
fn unknown_pipeline_stage_course_and_workflow() {
    let one = |n: Value| after_trigger(vec![n], vec![]);
    assert_issues(
        &one(node(
            "d",
            "action.create_deal",
            json!({"pipeline": "Support", "stage": "Lead"}),
        )),
        &[(Error, "unknown_pipeline", Some("d"))],
    );
    assert_issues(
        &one(node(
            "d",
            "action.move_deal",
            json!({"pipeline": "Sales", "stage": "Closed"}),
        )),
        &[(Error, "unknown_stage", Some("d"))],
    );
    assert_issues(
        &one(node(
            "c",
            "action.enroll_course",
            json!({"course": "Program B"}),
        )),
        &[(Error, "unknown_course", Some("c"))],
    );
    assert_issues(
        &one(node(
            "w",
            "action.start_workflow",
            json!({"workflow": "Nurture"}),
        )),
        &[(Error, "unknown_workflow", Some("w"))],
    );
}

#[test]
fn unknown_merge_field_in_an_email_belongs_to_its_sender() {
    let def = workflow(
        vec![
            manual("t"),
            node(
                "m",
                "action.send_email",
                json!({"template": "Hi", "account": "Gmail"}),
            ),
        ],
        vec![edge("t", "next", "m")],
        json!({"email_templates": [{"name": "Hi", "subject": "Hi {{ contact.first_name }}", "body": "Size {{ contact.shoe_size }}"}]}),
    );
    assert_issues(&def, &[(Error, "unknown_merge_field", Some("m"))]);
}

#[test]
fn unknown_merge_field_in_an_unused_template_belongs_to_the_workflow() {
    let def = workflow(
        vec![manual("t"), end("e")],
        vec![edge("t", "next", "e")],
        json!({"email_templates": [{"name": "Hi", "subject": "Hi", "body": "{{ contact.shoe_size }}"}]}),
    );
    assert_issues(&def, &[(Error, "unknown_merge_field", None)]);
}

#[test]
fn unknown_merge_root() {
    let def = after_trigger(
        vec![node(
            "n",
            "action.notify",
            json!({"channel": "desktop", "message": "{{ customer.email }}"}),
        )],
        vec![],
    );
    assert_issues(&def, &[(Error, "unknown_merge_field", Some("n"))]);
}

#[test]
fn invalid_template() {
    let def = after_trigger(
        vec![node(
            "n",
            "action.notify",
            json!({"channel": "desktop", "message": "Hi {{ contact.name"}),
        )],
        vec![],
    );
    assert_issues(&def, &[(Error, "invalid_template", Some("n"))]);
}

#[test]
fn duplicate_template() {
    let def = workflow(
        vec![manual("t"), end("e")],
        vec![edge("t", "next", "e")],
        json!({"email_templates": [
            {"name": "Hi", "subject": "Hi", "body": "a"},
            {"name": "hi", "subject": "Hi", "body": "b"}
        ]}),
    );
    assert_issues(&def, &[(Error, "duplicate_template", None)]);
}

#[test]
fn invalid_timezone_in_memory() {
    // The file reader refuses it; a workflow built in memory can still have it.
    let mut def = after_trigger(vec![end("e")], vec![]);
    def.settings.timezone = "Mars/Olympus".into();
    assert_issues(&def, &[(Error, "invalid_timezone", None)]);
}

#[test]
fn duplicate_node_id_in_memory() {
    let mut def = after_trigger(vec![end("e"), end("f")], vec![]);
    def.nodes[2].id = "e".into();
    let found = issues(&def);
    assert!(
        found.contains(&(Error, "duplicate_node_id".into(), Some("e".into()))),
        "{found:?}"
    );
}

#[test]
fn bad_values() {
    let one = |n: Value| after_trigger(vec![n], vec![]);
    let cond = |c: Value| {
        after_trigger(
            vec![node("c", "condition", json!({"condition": c})), end("e")],
            vec![edge("c", "yes", "e"), edge("c", "no", "e")],
        )
    };
    // A split of more than 100 %.
    assert_issues(
        &cond(json!({"random_split": {"percent": 150}})),
        &[(Error, "bad_value", Some("c"))],
    );
    // Comparing a date field with a number, a number field with text.
    assert_issues(
        &cond(json!({"field": {"field": "birthday", "op": "before", "value": 12}})),
        &[(Error, "bad_value", Some("c"))],
    );
    assert_issues(
        &cond(json!({"field": {"field": "score", "op": "eq", "value": "high"}})),
        &[(Error, "bad_value", Some("c"))],
    );
    assert_issues(
        &cond(json!({"field": {"field": "country", "op": "gt", "value": 3}})),
        &[(Error, "bad_value", Some("c"))],
    );
    // A literal that does not fit the field.
    assert_issues(
        &one(node(
            "s",
            "action.set_field",
            json!({"field": "score", "value": "lots"}),
        )),
        &[(Error, "bad_value", Some("s"))],
    );
    // No attempt at all.
    assert_issues(
        &one(node(
            "a",
            "action.add_tag",
            json!({"tag": "x", "on_error": {"max_attempts": 0}}),
        )),
        &[(Error, "bad_value", Some("a"))],
    );
    // A webhook URL that is not HTTP.
    assert_issues(
        &one(node(
            "h",
            "action.webhook",
            json!({"url": "ftp://example.com/x"}),
        )),
        &[(Error, "bad_value", Some("h"))],
    );
    // A branch path named like the fallback exit.
    let def = after_trigger(
        vec![
            node(
                "b",
                "branch",
                json!({"paths": [{"name": "otherwise", "condition": {"has_tag": "vip"}}]}),
            ),
            end("e"),
        ],
        vec![edge("b", "otherwise", "e")],
    );
    assert_issues(&def, &[(Error, "bad_value", Some("b"))]);
}

#[test]
fn a_template_value_is_not_checked_against_the_field_type() {
    let def = after_trigger(
        vec![node(
            "s",
            "action.set_field",
            json!({"field": "score", "value": "{{ trigger.amount }}"}),
        )],
        vec![],
    );
    assert_issues(&def, &[]);
}

#[test]
fn secrets_in_a_webhook_are_errors() {
    let hook = |config: Value| after_trigger(vec![node("h", "action.webhook", config)], vec![]);
    for literal in [
        json!({"url": "https://api.example.com/x", "headers": {"Authorization": "Bearer sk_live_123"}}),
        json!({"url": "https://api.example.com/x", "headers": {"X-Api-Key": "abc123"}}),
        json!({"url": "https://api.example.com/x", "headers": {"Cookie": "session=abc"}}),
        json!({"url": "https://me:hunter2@api.example.com/x"}),
        json!({"url": "https://api.example.com/x?api_key=abc123"}),
        json!({"url": "https://api.example.com/x?id={{ contact.email }}&token=abc"}),
        json!({"url": "https://api.example.com/x?access_token=abc"}),
        json!({"url": "https://api.example.com/x?key=abc#top"}),
        json!({"url": "https://api.example.com/x?secret=abc"}),
    ] {
        let def = hook(literal.clone());
        assert_issues(&def, &[(Error, "secret_in_workflow", Some("h"))]);
        assert_eq!(
            cairn_model::validate::workflow_credential_issues(&def).len(),
            1,
            "{literal}"
        );
    }
    // Merge fields and a vault reference are not credentials in the file.
    for clean in [
        json!({"url": "https://api.example.com/x?token={{ trigger.token }}", "headers": {"Authorization": "Bearer {{ trigger.token }}"}}),
        json!({"url": "https://api.example.com/x", "headers": {"Authorization": {"secret": "Hooks", "prefix": "Bearer "}}}),
        json!({"url": "https://api.example.com/x?page=2&keyword=a"}),
    ] {
        let def = hook(clean.clone());
        assert_issues(&def, &[]);
        assert!(
            cairn_model::validate::workflow_credential_issues(&def).is_empty(),
            "{clean}"
        );
    }
}

#[test]
fn a_header_secret_names_a_webhook_account() {
    let hook = |account: &str| {
        after_trigger(
            vec![node(
                "h",
                "action.webhook",
                json!({"url": "https://api.example.com/x", "headers": {"Authorization": {"secret": account}}}),
            )],
            vec![],
        )
    };
    assert_issues(&hook("Hooks"), &[]);
    assert_issues(&hook("Nope"), &[(Error, "unknown_account", Some("h"))]);
    assert_issues(&hook("Gmail"), &[(Error, "unknown_account", Some("h"))]);
    // The file keeps the reference, never a value.
    let text = file::to_canonical_json(&hook("Hooks"));
    assert!(
        text.contains("\"Authorization\": {\n            \"secret\": \"Hooks\"\n          }"),
        "{text}"
    );
}

#[test]
fn engagement_needs_an_account_that_reports_it() {
    let reads_opens = || {
        workflow(
            vec![
                node("opened", "trigger.email_opened", json!({})),
                node(
                    "c",
                    "condition",
                    json!({"condition": {"engagement": {"action": "clicked", "within": "3d"}}}),
                ),
                node(
                    "w",
                    "wait.for_event",
                    json!({"event_type": "link.clicked", "timeout": "1d"}),
                ),
                end("e"),
            ],
            vec![
                edge("opened", "next", "c"),
                edge("c", "yes", "w"),
                edge("c", "no", "e"),
                edge("w", "arrived", "e"),
                edge("w", "timed_out", "e"),
            ],
            json!({"goals": [{"name": "Opened", "event_type": "email.opened"}]}),
        )
    };
    let def = reads_opens();
    let mut smtp_only = catalog();
    smtp_only.accounts.retain(|_, k| *k != AccountKind::Mailgun);
    let report = validate(&def, &smtp_only);
    let found: Vec<(Severity, &str, Option<&str>)> = report
        .issues
        .iter()
        .map(|i| (i.severity, i.code.as_str(), i.node.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            (Error, "no_engagement_source", None),
            (Error, "no_engagement_source", Some("c")),
            (Error, "no_engagement_source", Some("opened")),
            (Error, "no_engagement_source", Some("w")),
        ]
    );
    assert!(
        report.issues[1].message.contains("\"c\""),
        "{:?}",
        report.issues[1]
    );
    assert!(report.issues[0].message.contains("\"Opened\""));
    // Mailgun or Postmark reports them.
    assert_issues(&def, &[]);
    let mut postmark = smtp_only.clone();
    postmark.add_account("Mail", AccountKind::Postmark);
    assert!(validate(&def, &postmark).issues.is_empty());
}

#[test]
fn a_transactional_email_has_no_unsubscribe_link() {
    let mail = |kind: &str, body: &str| {
        workflow(
            vec![
                manual("t"),
                node(
                    "m",
                    "action.send_email",
                    json!({"template": "Receipt", "account": "Gmail"}),
                ),
            ],
            vec![edge("t", "next", "m")],
            json!({"email_templates": [{"name": "Receipt", "subject": "Thanks", "body": body, "kind": kind}]}),
        )
    };
    assert_issues(
        &mail("transactional", "Paid. [Stop]({{ unsubscribe_url }})"),
        &[(Error, "unsubscribe_in_transactional", Some("m"))],
    );
    assert_issues(&mail("transactional", "Paid."), &[]);
    assert_issues(
        &mail("marketing", "News. [Stop]({{ unsubscribe_url }})"),
        &[],
    );
}

#[test]
fn a_plain_header_and_a_signing_account_are_clean() {
    let hook = |config: Value| after_trigger(vec![node("h", "action.webhook", config)], vec![]);
    assert_issues(
        &hook(
            json!({"url": "https://api.example.com/x", "headers": {"X-Source": "cairn"}, "account": "Hooks"}),
        ),
        &[],
    );
}

#[test]
fn issue_messages_name_what_is_wrong() {
    let def = after_trigger(
        vec![node(
            "m",
            "action.send_email",
            json!({"template": "Welcome", "account": "Outlook"}),
        )],
        vec![],
    );
    let report = validate(&def, &catalog());
    let text: Vec<&str> = report.issues.iter().map(|i| i.message.as_str()).collect();
    assert!(text.iter().any(|m| m.contains("\"Welcome\"")), "{text:?}");
    assert!(
        text.iter()
            .any(|m| m.contains("\"Outlook\"") && m.contains("smtp")),
        "{text:?}"
    );
    assert!(report.has_errors());
    assert_eq!(report.for_node("m").count(), 2);
}

/// A manual trigger to an end, with `settings.on_run_failure` as given.
fn with_error_path(on_run_failure: Value) -> WorkflowDef {
    workflow(
        vec![manual("t"), end("e")],
        vec![edge("t", "next", "e")],
        json!({"settings": {"on_run_failure": on_run_failure}}),
    )
}

#[test]
fn error_path_accounts_and_workflow_must_exist() {
    assert_issues(
        &with_error_path(json!({
            "notify": ["desktop", {"slack": {"account": "Team Slack"}}, {"email_owner": {"account": "Gmail"}}],
            "start_workflow": "Onboarding"
        })),
        &[],
    );
    let def = with_error_path(json!({
        "notify": [{"slack": {"account": "Gmail"}}, {"email_owner": {"account": "Nope"}}, {"slack": {"account": " "}}],
        "start_workflow": "Nowhere"
    }));
    assert_issues(
        &def,
        &[
            (Error, "unknown_account", None),
            (Error, "unknown_account", None),
            (Error, "missing_setting", None),
            (Error, "unknown_workflow", None),
        ],
    );
    let messages: Vec<String> = validate(&def, &catalog())
        .issues
        .into_iter()
        .map(|i| i.message)
        .collect();
    for at in [
        "settings.on_run_failure.notify[0]: account \"Gmail\" is a smtp account; a slack account is needed here",
        "settings.on_run_failure.notify[1]: there is no connected account named \"Nope\"",
        "settings.on_run_failure.notify[2]: the account is not set",
        "settings.on_run_failure.start_workflow: there is no workflow named \"Nowhere\"",
    ] {
        assert!(
            messages.iter().any(|m| m.starts_with(at)),
            "{at}: {messages:#?}"
        );
    }
}

#[test]
fn a_workflow_cannot_start_itself_when_it_fails() {
    let def = with_error_path(json!({"start_workflow": "test"}));
    assert_issues(&def, &[(Error, "bad_value", None)]);
}

#[test]
fn an_unknown_key_in_the_error_path_is_refused_with_its_path() {
    let v = json!({"format": "cairn.workflow", "version": 1, "name": "T", "nodes": [],
        "settings": {"on_run_failure": {"notify": ["desktop"], "retry": true}}});
    let e = file::parse(&v.to_string()).unwrap_err().to_string();
    assert!(e.contains("settings.on_run_failure"), "{e}");
}

#[test]
fn a_split_needs_two_named_weighted_connected_variants() {
    let split = |variants: Value, edges: Vec<Value>| {
        after_trigger(
            vec![
                node("ab", "split", json!({"variants": variants})),
                end("e"),
                end("f"),
            ],
            edges,
        )
    };
    let both = || vec![edge("ab", "A", "e"), edge("ab", "B", "f")];
    // Clean: two variants, each wired.
    assert_issues(
        &split(
            json!([{"name": "A", "weight": 1}, {"name": "B", "weight": 3}]),
            both(),
        ),
        &[],
    );
    // One variant is not a test.
    assert_issues(
        &after_trigger(
            vec![
                node(
                    "ab",
                    "split",
                    json!({"variants": [{"name": "A", "weight": 1}]}),
                ),
                end("e"),
            ],
            vec![edge("ab", "A", "e")],
        ),
        &[(Error, "missing_setting", Some("ab"))],
    );
    // A name used twice, and an empty one.
    assert_issues(
        &split(
            json!([{"name": "A", "weight": 1}, {"name": "A", "weight": 1}, {"name": " ", "weight": 1}]),
            vec![edge("ab", "A", "e"), edge("ab", " ", "f")],
        ),
        &[
            (Error, "bad_value", Some("ab")),
            (Error, "missing_setting", Some("ab")),
        ],
    );
    // A weight of 0, and one beyond the bound.
    assert_issues(
        &split(
            json!([{"name": "A", "weight": 0}, {"name": "B", "weight": 10_001}]),
            both(),
        ),
        &[
            (Error, "out_of_range", Some("ab")),
            (Error, "out_of_range", Some("ab")),
        ],
    );
    // A variant that leads nowhere is an error, naming the split.
    let def = after_trigger(
        vec![
            node(
                "ab",
                "split",
                json!({"variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}]}),
            ),
            end("e"),
        ],
        vec![edge("ab", "A", "e")],
    );
    assert_issues(&def, &[(Error, "unconnected_exit", Some("ab"))]);
    let report = validate(&def, &catalog());
    assert!(
        report.issues[0].message.contains("\"B\""),
        "{:?}",
        report.issues
    );
    // A winner that is not a variant.
    let def = after_trigger(
        vec![
            node(
                "ab",
                "split",
                json!({"variants": [{"name": "A", "weight": 1}, {"name": "B", "weight": 1}], "winner": "C"}),
            ),
            end("e"),
            end("f"),
        ],
        both(),
    );
    assert_issues(&def, &[(Error, "bad_value", Some("ab"))]);
}
