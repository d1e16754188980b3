//! Hostile values in workflow files: spans no one means (a 20-year wait,
//! `99999999999d`, a day offset of two billion) and control characters in
//! names. Each is refused, with the node or the JSON path named, and none
//! panics.

use cairn_model::file;
use cairn_model::validate::{Catalog, Severity, validate};
use cairn_model::workflow::WorkflowDef;
use serde_json::{Value, json};

fn node(id: &str, kind: &str, config: Value) -> Value {
    json!({"id": id, "position": {"x": 0, "y": 0}, "kind": kind, "config": config})
}

/// A manual trigger `t` followed by `n`.
fn file_with(n: Value) -> Value {
    let id = n["id"].clone();
    json!({"format": "cairn.workflow", "version": 1, "name": "Bounds",
        "nodes": [node("t", "trigger.manual", json!({})), n],
        "edges": [{"from": "t", "to": id}]})
}

fn parsed(v: Value) -> WorkflowDef {
    file::parse(&v.to_string()).unwrap_or_else(|e| panic!("does not parse: {e}"))
}

/// The errors of code `out_of_range`, as (node, message).
fn out_of_range(def: &WorkflowDef) -> Vec<(Option<String>, String)> {
    let mut cat = Catalog::default();
    cat.add_field("renewal", cairn_model::contact::FieldType::Date);
    validate(def, &cat)
        .issues
        .into_iter()
        .filter(|i| i.code == "out_of_range")
        .inspect(|i| assert_eq!(i.severity, Severity::Error))
        .map(|i| (i.node, i.message))
        .collect()
}

#[test]
fn a_twenty_year_wait_is_refused_naming_the_node() {
    let def = parsed(file_with(node(
        "forever",
        "wait.duration",
        json!({"duration": "7305d"}),
    )));
    let found = out_of_range(&def);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0.as_deref(), Some("forever"));
    assert!(
        found[0]
            .1
            .contains("the wait is 7305d; at most 3653d (10 years)"),
        "{}",
        found[0].1
    );
    // Ten years exactly is allowed.
    let def = parsed(file_with(node(
        "ok",
        "wait.duration",
        json!({"duration": "3653d"}),
    )));
    assert!(out_of_range(&def).is_empty());
}

#[test]
fn every_span_and_offset_of_the_format_is_bounded() {
    let long = "5000d";
    for (n, what) in [
        (
            node(
                "w",
                "wait.for_event",
                json!({"event_type": "x", "timeout": long}),
            ),
            "the timeout",
        ),
        (
            node(
                "w",
                "wait.duration",
                json!({"duration": "1d", "late": {"skip_if_late_by": long}}),
            ),
            "\"skip when later than\"",
        ),
        (
            node(
                "w",
                "wait.until_date",
                json!({"field": "renewal", "offset_days": 4000, "time": "09:00"}),
            ),
            "the day offset is 4000",
        ),
        (
            node(
                "w",
                "condition",
                json!({"condition": {"engagement": {"action": "opened", "within": long}}}),
            ),
            "\"within\"",
        ),
        (
            node(
                "w",
                "condition",
                json!({"condition": {"any": [{"had_event": {"event_type": "x", "within": long}}]}}),
            ),
            "\"within\"",
        ),
        (
            node(
                "w",
                "action.add_tag",
                json!({"tag": "t", "on_error": {"backoff": long}}),
            ),
            "the retry backoff",
        ),
    ] {
        let def = parsed(file_with(n));
        let found = out_of_range(&def);
        assert_eq!(found.len(), 1, "{what}: {found:?}");
        assert_eq!(found[0].0.as_deref(), Some("w"));
        assert!(found[0].1.contains(what), "{what}: {}", found[0].1);
    }
    // A date trigger's offset, before the date.
    let v = json!({"format": "cairn.workflow", "version": 1, "name": "Bounds",
        "nodes": [node("d", "trigger.date", json!({"field": "renewal", "offset_days": -4000, "time": "09:00"})),
                  node("e", "end", json!({}))],
        "edges": [{"from": "d", "to": "e"}]});
    let found = out_of_range(&parsed(v));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0.as_deref(), Some("d"));
}

#[test]
fn huge_numbers_are_refused_with_their_path_not_a_panic() {
    for (config, path, words) in [
        (
            json!({"duration": "99999999999d"}),
            "nodes[1].config.duration",
            "at most 36600d (100 years)",
        ),
        (
            json!({"duration": "999999999999999999999999s"}),
            "nodes[1].config.duration",
            "at most 36600d (100 years)",
        ),
    ] {
        let e =
            file::parse(&file_with(node("w", "wait.duration", config)).to_string()).unwrap_err();
        assert_eq!(e.path, path);
        assert!(e.message.contains(words), "{e}");
    }
    // A day offset beyond any whole number the format takes.
    let text = file_with(node(
        "w",
        "wait.until_date",
        json!({"field": "renewal", "time": "09:00"}),
    ))
    .to_string()
    .replace(
        "\"field\":\"renewal\"",
        "\"field\":\"renewal\",\"offset_days\":99999999999999999999999",
    );
    let e = file::parse(&text).unwrap_err();
    assert_eq!(e.path, "nodes[1].config.offset_days", "{e}");
    // The largest offset that parses is refused by validation.
    let def = parsed(file_with(node(
        "w",
        "wait.until_date",
        json!({"field": "renewal", "offset_days": i32::MAX, "time": "09:00"}),
    )));
    assert_eq!(out_of_range(&def).len(), 1);
    // Attempts and percentages past their types.
    let e = file::parse(
        &file_with(node(
            "w",
            "action.add_tag",
            json!({"tag": "t", "on_error": {"max_attempts": 1e300}}),
        ))
        .to_string(),
    )
    .unwrap_err();
    assert_eq!(e.path, "nodes[1].config.on_error.max_attempts", "{e}");
}

#[test]
fn control_characters_in_names_are_refused_with_their_path() {
    let base = |name: &str| {
        json!({"format": "cairn.workflow", "version": 1, "name": name,
            "nodes": [node("t", "trigger.manual", json!({}))]})
    };
    for bad in [
        "Welcome\u{0}",
        "Wel\ncome",
        "Wel\rcome",
        "Wel\tcome",
        "A\u{1b}[31m",
        "A\u{7f}",
        "A\u{85}",
    ] {
        let e = file::parse(&base(bad).to_string()).unwrap_err();
        assert_eq!(
            (e.code(), e.path.as_str()),
            ("invalid_field", "name"),
            "{bad:?}: {e}"
        );
        assert!(e.message.contains("control character"), "{e}");
    }
    // The same through the app's path (an already-decoded value).
    let e = file::parse_value(base("W\u{0}")).unwrap_err();
    assert_eq!(e.path, "name");

    let cases = [
        (
            json!({"id": "t", "label": "Start\nhere", "position": {"x": 0, "y": 0}, "kind": "trigger.manual", "config": {}}),
            "nodes[0].label",
        ),
        (
            node("t", "trigger.tag_added", json!({"tag": "vip\u{0}"})),
            "nodes[0].config.tag",
        ),
        (
            node(
                "t",
                "trigger.date",
                json!({"field": "renew\tal", "time": "09:00"}),
            ),
            "nodes[0].config.field",
        ),
        (node("t\r", "trigger.manual", json!({})), "nodes[0].id"),
    ];
    for (n, path) in cases {
        let v = json!({"format": "cairn.workflow", "version": 1, "name": "W", "nodes": [n]});
        let e = file::parse(&v.to_string()).unwrap_err();
        assert_eq!(e.path, path, "{e}");
    }
    // Template names and subjects (they become headers) too.
    let with_template = |t: Value| {
        json!({"format": "cairn.workflow", "version": 1, "name": "W",
            "nodes": [node("t", "trigger.manual", json!({}))], "email_templates": [t]})
    };
    let e = file::parse(
        &with_template(json!({"name": "Hi\u{0}", "subject": "S", "body": "B"})).to_string(),
    )
    .unwrap_err();
    assert_eq!(e.path, "email_templates[0].name");
    let e = file::parse(
        &with_template(json!({"name": "Hi", "subject": "S\r\nBcc: x@y", "body": "B"})).to_string(),
    )
    .unwrap_err();
    assert_eq!(e.path, "email_templates[0].subject");
    // A requires.fields name.
    let v = json!({"format": "cairn.workflow", "version": 1, "name": "W",
        "nodes": [node("t", "trigger.manual", json!({}))],
        "requires": {"fields": [{"name": "plan\u{0}", "type": "text"}]}});
    assert_eq!(
        file::parse(&v.to_string()).unwrap_err().path,
        "requires.fields[0].name"
    );
    // A header name or value of a webhook.
    let hook = |headers: Value| {
        json!({"format": "cairn.workflow", "version": 1, "name": "W",
            "nodes": [node("h", "action.webhook", json!({"url": "https://example.com", "headers": headers}))]})
    };
    let e = file::parse(&hook(json!({"X-A\n": "1"})).to_string()).unwrap_err();
    assert!(e.path.starts_with("nodes[0].config.headers."), "{e}");
    let e = file::parse(&hook(json!({"X-A": "1\r\nX-B: 2"})).to_string()).unwrap_err();
    assert_eq!(e.path, "nodes[0].config.headers.X-A", "{e}");
}

#[test]
fn prose_keeps_its_line_breaks_but_not_other_control_characters() {
    let v = json!({"format": "cairn.workflow", "version": 1, "name": "W",
        "description": "Line one\nLine two\ttabbed\r\n",
        "nodes": [node("t", "trigger.manual", json!({}))],
        "email_templates": [{"name": "Hi", "subject": "S", "body": "# Hello\n\nText\twith a tab"}]});
    let def = file::parse(&v.to_string()).unwrap();
    assert!(def.email_templates[0].body.contains('\n'));
    let mut bad = v.clone();
    bad["email_templates"][0]["body"] = json!("Hello\u{0}");
    let e = file::parse(&bad.to_string()).unwrap_err();
    assert_eq!(e.path, "email_templates[0].body");
    assert!(e.message.contains("only line breaks and tabs"), "{e}");
}
