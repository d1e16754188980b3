//! Erasure, export, consent and the erased list, on real database files:
//! the erased contact's email and values must be nowhere in the bytes of
//! the database or its WAL afterwards.

use cairn_model::contact::{ContactStatus, FieldDef, FieldType};
use cairn_model::effect::RunMode;
use cairn_model::event::NewEvent;
use cairn_store::consent::{Consent, ConsentVia};
use cairn_store::contacts::ContactInput;
use cairn_store::csv_import::CsvImportOptions;
use cairn_store::runs::{
    NewRun, NewStep, RunStatus, StepStatus, end_run_using, insert_run_using, insert_step_using,
    set_run_position_using,
};
use cairn_store::{Store, StoreError, deals, ms};
use chrono::Duration;
use serde_json::json;

use crate::common::{count, fresh, t0};

const EMAIL: &str = "Ada.Lovelace@Example.com";
const NAME: &str = "Augusta Ada King";
const STREET: &str = "12 Rue Secrete Unique";
const DEAL: &str = "Analytical Engine coaching";
const SUBJECT: &str = "Your receipt, Augusta";
const SECRET_ORDER: &str = "order-7f3a9c-private";

const FLOW: &str = r#"{"format": "cairn.workflow", "version": 1, "name": "Receipt",
  "settings": {"timezone": "UTC"},
  "nodes": [
    {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.event", "config": {"event_type": "purchase.completed"}},
    {"id": "mail", "position": {"x": 280, "y": 0}, "kind": "action.webhook", "config": {"url": "https://example.com/hook"}},
    {"id": "end", "position": {"x": 560, "y": 0}, "kind": "end", "config": {}}],
  "edges": [{"from": "t", "to": "mail"}, {"from": "mail", "to": "end"}]}"#;

/// A contact with a value of every kind, plus another contact who must be
/// left alone. Returns (Ada's id, the workflow id).
fn ada_with_everything(s: &mut Store) -> (i64, i64) {
    let now = t0();
    s.define_field(
        &FieldDef {
            name: "street".into(),
            field_type: FieldType::Text,
        },
        now,
    )
    .unwrap();
    let ada = s
        .add_contact(
            &ContactInput {
                email: EMAIL.into(),
                name: Some("Ada".into()),
                timezone: Some("Europe/London".into()),
                fields: [("street".to_string(), STREET.to_string())].into(),
                tags: vec!["vip-coaching".into()],
                ..Default::default()
            },
            now,
        )
        .unwrap();
    // A later edit leaves the old name behind in freed space, unless
    // secure_delete zeroes it.
    s.upsert_contact(
        &ContactInput {
            email: EMAIL.into(),
            name: Some(NAME.into()),
            ..Default::default()
        },
        now + Duration::minutes(1),
    )
    .unwrap();
    s.set_contact_status(
        EMAIL,
        ContactStatus::Unsubscribed,
        now + Duration::minutes(2),
    )
    .unwrap();
    s.set_contact_status(EMAIL, ContactStatus::Subscribed, now + Duration::minutes(3))
        .unwrap();
    s.add_contact(
        &ContactInput {
            email: "grace@example.com".into(),
            name: Some("Grace".into()),
            ..Default::default()
        },
        now,
    )
    .unwrap();
    s.emit(
        &NewEvent {
            event_type: "purchase.completed".into(),
            contact_email: Some(EMAIL.into()),
            payload: json!({"order_id": SECRET_ORDER, "email": EMAIL, "name": NAME, "amount": 49}),
            occurred_at: now + Duration::minutes(4),
            source: "stripe".into(),
            external_id: None,
        },
        now + Duration::minutes(4),
    )
    .unwrap();
    s.ensure_pipeline("Coaching", &["Lead".into(), "Won".into()], now)
        .unwrap();
    s.ensure_course("Engines 101", now).unwrap();
    let wf = s.import_workflow(FLOW, false, now).unwrap().id;
    let id = ada.id;
    s.write(|tx| {
        deals::create_deal_using(tx, id, "Coaching", "Lead", DEAL, Some(900.0), now)?;
        deals::enroll_using(tx, id, "Engines 101", now)?;
        // A finished run whose steps recorded what was sent.
        let at = now + Duration::minutes(5);
        let run = insert_run_using(tx, &NewRun { workflow_id: wf, version: 1, contact_id: id, trigger_node: "t", trigger_event_id: None, trigger_payload: &json!({"order_id": SECRET_ORDER, "email": EMAIL}), mode: RunMode::Live }, at)?;
        insert_step_using(tx, &NewStep { run_id: run, workflow_id: wf, node_id: "t", kind: "trigger.event", status: StepStatus::Ok, exit: None, detail: None }, at)?;
        let step = insert_step_using(tx, &NewStep { run_id: run, workflow_id: wf, node_id: "mail", kind: "action.webhook", status: StepStatus::Ok, exit: None, detail: Some(&json!({"to": EMAIL, "subject": SUBJECT, "body": format!("Dear {NAME}")})) }, at)?;
        insert_step_using(tx, &NewStep { run_id: run, workflow_id: wf, node_id: "end", kind: "end", status: StepStatus::Ok, exit: None, detail: None }, at)?;
        end_run_using(tx, run, RunStatus::Completed, None, None, false, at)?;
        tx.execute(
            "INSERT INTO outbox (run_id, step_id, kind, account, idempotency_key, payload, status,
                                 max_attempts, backoff_secs, next_attempt_at, created_at, updated_at, sent_at)
             VALUES (?1, ?2, 'email', 'smtp', 'k-sent', ?3, 'sent', 5, 60, ?4, ?4, ?4, ?4)",
            rusqlite::params![
                run,
                step,
                json!({"kind": "email", "account": "smtp", "to": EMAIL, "to_name": NAME,
                       "subject": SUBJECT, "html": format!("<p>Dear {NAME}</p>"), "text": format!("Dear {NAME}"),
                       "message_id": "m1", "list_unsubscribe": null, "template": "receipt", "contact_id": id})
                .to_string(),
                ms(at)
            ],
        )?;
        Ok::<_, StoreError>(())
    })
    .unwrap();
    (id, wf)
}

/// Adds an open run of Ada's waiting on a pending send.
fn open_run_with_pending_send(s: &mut Store, id: i64, wf: i64) -> i64 {
    let at = t0() + Duration::minutes(6);
    s.write(|tx| {
        let run = insert_run_using(tx, &NewRun { workflow_id: wf, version: 1, contact_id: id, trigger_node: "t", trigger_event_id: None, trigger_payload: &json!({}), mode: RunMode::Live }, at)?;
        insert_step_using(tx, &NewStep { run_id: run, workflow_id: wf, node_id: "t", kind: "trigger.event", status: StepStatus::Ok, exit: None, detail: None }, at)?;
        let step = insert_step_using(tx, &NewStep { run_id: run, workflow_id: wf, node_id: "mail", kind: "action.webhook", status: StepStatus::Pending, exit: None, detail: Some(&json!({"to": EMAIL})) }, at)?;
        set_run_position_using(tx, run, RunStatus::Waiting, Some("mail"), at)?;
        tx.execute(
            "INSERT INTO outbox (run_id, step_id, kind, account, idempotency_key, payload, status,
                                 max_attempts, backoff_secs, next_attempt_at, created_at, updated_at)
             VALUES (?1, ?2, 'email', 'smtp', 'k-pending', ?3, 'pending', 5, 60, ?4, ?4, ?4)",
            rusqlite::params![
                run,
                step,
                json!({"kind": "email", "to": EMAIL, "subject": SUBJECT, "template": "receipt"}).to_string(),
                ms(at)
            ],
        )?;
        Ok::<_, StoreError>(run)
    })
    .unwrap()
}

fn file_bytes(p: &std::path::Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn an_erased_contact_is_in_neither_the_database_file_nor_its_wal() {
    let (dir, mut s) = fresh();
    let (id, wf) = ada_with_everything(&mut s);
    let stats = |s: &Store| {
        serde_json::to_value(
            s.workflow_stats("Receipt", None, t0() + Duration::days(1))
                .unwrap(),
        )
        .unwrap()
    };
    let counts = |s: &Store| {
        serde_json::to_value(s.node_counts("Receipt", t0() + Duration::days(1)).unwrap()).unwrap()
    };
    let (before, counts_before) = (stats(&s), counts(&s));
    let db = dir.path().join("cairn.db");
    let wal = dir.path().join("cairn.db-wal");
    // The values are there to find before (the test looks in the right place).
    let mut all = file_bytes(&db);
    all.extend(file_bytes(&wal));
    for needle in [
        EMAIL,
        "ada.lovelace@example.com",
        STREET,
        DEAL,
        SUBJECT,
        SECRET_ORDER,
    ] {
        assert!(
            contains(&all, needle),
            "{needle} should be in the files before"
        );
    }

    let preview = s.erasure_preview(EMAIL).unwrap();
    assert_eq!(
        (preview.fields, preview.tags, preview.deals, preview.courses),
        (1, 1, 1, 1)
    );
    let report = s.erase_contact(EMAIL, t0() + Duration::hours(1)).unwrap();
    assert_eq!(report.runs, 1);
    assert_eq!(report.events, preview.events);
    assert!(report.wal_cleared);

    // Analytics count the same rows as before.
    assert_eq!(stats(&s), before);
    assert_eq!(counts(&s), counts_before);
    assert_eq!(count(&s, "runs"), 1);
    assert_eq!(count(&s, "steps"), 3);
    // Gone from every read, and the other contact untouched.
    assert!(s.contact_by_email(EMAIL).unwrap().is_none());
    assert!(s.contact(id).unwrap().is_none());
    assert_eq!(s.count_contacts(&Default::default()).unwrap(), 1);
    assert_eq!(
        s.contacts(&Default::default()).unwrap()[0].email,
        "grace@example.com"
    );
    for table in ["contact_fields", "contact_tags", "deals", "enrollments"] {
        assert_eq!(count(&s, table), 0, "{table}");
    }
    assert_eq!(s.erased_at(EMAIL).unwrap(), Some(t0() + Duration::hours(1)));
    drop(s);

    let mut all = file_bytes(&db);
    all.extend(file_bytes(&wal));
    for needle in [
        EMAIL,
        "ada.lovelace@example.com",
        "Ada.Lovelace",
        NAME,
        STREET,
        DEAL,
        SUBJECT,
        SECRET_ORDER,
        "Europe/London",
    ] {
        assert!(!contains(&all, needle), "{needle} is still in the files");
    }
    // Only digests are kept, never the email.
    let s = Store::open(&db).unwrap();
    let digest: String = s
        .conn()
        .query_row("SELECT digest FROM erased_emails", [], |r| r.get(0))
        .unwrap();
    assert_eq!(digest.len(), 64);
    let _ = wf;
}

#[test]
fn erasing_ends_open_runs_and_cancels_their_sends() {
    let (_dir, mut s) = fresh();
    let (id, wf) = ada_with_everything(&mut s);
    let run = open_run_with_pending_send(&mut s, id, wf);
    let report = s.erase_contact(EMAIL, t0() + Duration::hours(1)).unwrap();
    assert_eq!((report.runs_ended, report.sends_cancelled), (1, 1));
    let r = s.run(run).unwrap();
    assert_eq!(r.status, RunStatus::Exited);
    assert_eq!(r.exit_reason.as_deref(), Some("contact erased"));
    assert_eq!(r.contact_email, cairn_store::privacy::ERASED_EMAIL);
    let (status, payload, err): (String, String, Option<String>) = s
        .conn()
        .query_row(
            "SELECT status, payload, last_error FROM outbox WHERE idempotency_key = 'k-pending'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), payload.as_str()), ("skipped", "{}"));
    assert_eq!(err.as_deref(), Some("contact erased"));
    let steps = s.steps(run).unwrap();
    assert_eq!(steps[1].status, StepStatus::Skipped);
    assert!(steps.iter().all(|st| st.detail.is_null()));
    // Erasing twice: the contact is not found any more.
    assert_eq!(
        s.erase_contact(EMAIL, t0()).unwrap_err().code(),
        "not_found"
    );
}

#[test]
fn an_erased_email_comes_back_unsubscribed_unless_on_purpose() {
    let (_dir, mut s) = fresh();
    ada_with_everything(&mut s);
    s.erase_contact(EMAIL, t0() + Duration::hours(1)).unwrap();
    let later = t0() + Duration::days(2);

    // A CSV import of an old list: back, but unsubscribed, and said so.
    let rep = s
        .import_contacts_csv(
            format!("email,status\n{EMAIL},subscribed\nnew@example.com,subscribed\n").as_bytes(),
            &CsvImportOptions {
                file_name: Some("old-list.csv".into()),
                ..Default::default()
            },
            later,
        )
        .unwrap();
    assert_eq!((rep.created, rep.returned_erased), (2, 1));
    let back = s.require_contact(EMAIL).unwrap();
    assert_eq!(back.status, ContactStatus::Unsubscribed);
    let consent = s.consent_history(back.id).unwrap();
    assert_eq!(consent.len(), 1, "the old history went with the erasure");
    assert_eq!(consent[0].via, ConsentVia::Import);
    let detail = consent[0].detail.as_deref().unwrap();
    assert!(
        detail.starts_with("old-list.csv; erased on 2026-01-05"),
        "{detail}"
    );
    assert_eq!(
        s.require_contact("new@example.com").unwrap().status,
        ContactStatus::Subscribed
    );

    // Erased again; a sync (an event) brings them back unsubscribed too.
    s.erase_contact(EMAIL, later).unwrap();
    s.emit(
        &NewEvent {
            event_type: "purchase.completed".into(),
            contact_email: Some(EMAIL.to_lowercase()),
            payload: json!({}),
            occurred_at: later,
            source: "stripe".into(),
            external_id: Some("ch_2".into()),
        },
        later,
    )
    .unwrap();
    let back = s.require_contact(EMAIL).unwrap();
    assert_eq!(back.status, ContactStatus::Unsubscribed);
    assert_eq!(
        s.consent_history(back.id).unwrap()[0].via,
        ConsentVia::Purchase
    );

    // Erased again; added back on purpose: subscribed, off the list.
    s.erase_contact(EMAIL, later).unwrap();
    let back = s
        .add_contact_as(
            &ContactInput {
                email: EMAIL.into(),
                ..Default::default()
            },
            &Consent {
                resubscribe_erased: true,
                ..Consent::manual()
            },
            later,
        )
        .unwrap();
    assert_eq!(back.status, ContactStatus::Subscribed);
    assert!(s.erased_at(EMAIL).unwrap().is_none());
    let c = &s.consent_history(back.id).unwrap()[0];
    assert!(
        c.detail
            .as_deref()
            .unwrap()
            .starts_with("added again on purpose"),
        "{c:?}"
    );
}

#[test]
fn consent_records_how_each_status_began_and_ended() {
    let (_dir, mut s) = fresh();
    let (id, _) = ada_with_everything(&mut s);
    let h = s.consent_history(id).unwrap();
    let got: Vec<(ContactStatus, ConsentVia)> = h.iter().map(|c| (c.status, c.via)).collect();
    assert_eq!(
        got,
        [
            (ContactStatus::Subscribed, ConsentVia::Manual),
            (ContactStatus::Unsubscribed, ConsentVia::Manual),
            (ContactStatus::Subscribed, ConsentVia::Manual),
        ]
    );
    assert_eq!(h[1].at, t0() + Duration::minutes(2));
    // A bounce reported by an account, as connectors and the dispatcher record it.
    s.write(|tx| {
        cairn_store::contacts::set_status_as_using(
            tx,
            id,
            ContactStatus::Bounced,
            &Consent::new(ConsentVia::Bounce, Some("mailgun".into())),
            t0() + Duration::hours(2),
        )
    })
    .unwrap();
    let last = s.consent_history(id).unwrap().pop().unwrap();
    assert_eq!(
        (last.status, last.via, last.detail.as_deref()),
        (ContactStatus::Bounced, ConsentVia::Bounce, Some("mailgun"))
    );
    // A form submission creates a contact whose consent says "form".
    s.emit(
        &NewEvent {
            event_type: "form.submitted".into(),
            contact_email: Some("form@example.com".into()),
            payload: json!({}),
            occurred_at: t0(),
            source: "typeform".into(),
            external_id: None,
        },
        t0(),
    )
    .unwrap();
    let f = s.require_contact("form@example.com").unwrap();
    let c = &s.consent_history(f.id).unwrap()[0];
    assert_eq!(
        (c.via, c.detail.as_deref()),
        (ConsentVia::Form, Some("typeform"))
    );
}

#[test]
fn an_export_holds_every_kind_of_record() {
    let (_dir, mut s) = fresh();
    let (id, wf) = ada_with_everything(&mut s);
    open_run_with_pending_send(&mut s, id, wf);
    let now = t0() + Duration::hours(3);
    let x = s.export_contact(&EMAIL.to_uppercase(), now).unwrap();
    let v = serde_json::to_value(&x).unwrap();
    assert_eq!(v["format"], "cairn.contact-export");
    assert_eq!(v["version"], 1);
    assert_eq!(v["contact"]["email"], EMAIL);
    assert_eq!(v["contact"]["name"], NAME);
    assert_eq!(v["contact"]["status"], "subscribed");
    assert_eq!(v["contact"]["timezone"], "Europe/London");
    assert_eq!(v["contact"]["fields"]["street"], STREET);
    assert_eq!(v["contact"]["tags"], json!(["vip-coaching"]));
    assert_eq!(v["tags"][0]["name"], "vip-coaching");
    assert_eq!(v["consent"].as_array().unwrap().len(), 3);
    assert_eq!(v["consent"][1]["status"], "unsubscribed");
    assert_eq!(v["consent"][1]["via"], "manual");
    assert_eq!(v["deals"][0]["title"], DEAL);
    assert_eq!(v["deals"][0]["pipeline"], "Coaching");
    assert_eq!(v["deals"][0]["stage"], "Lead");
    assert_eq!(v["deals"][0]["value"], 900.0);
    assert_eq!(v["courses"][0]["course"], "Engines 101");
    let types: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[0], "contact.created", "oldest first: {types:?}");
    assert!(types.contains(&"purchase.completed"));
    assert!(types.contains(&"status.changed"));
    let purchase = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "purchase.completed")
        .unwrap();
    assert_eq!(purchase["payload"]["order_id"], SECRET_ORDER);
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
    assert_eq!(v["runs"][0]["workflow"], "Receipt");
    assert_eq!(v["runs"][0]["status"], "completed");
    assert_eq!(v["runs"][0]["trigger_payload"]["order_id"], SECRET_ORDER);
    assert_eq!(v["runs"][0]["steps"].as_array().unwrap().len(), 3);
    assert_eq!(v["runs"][0]["steps"][1]["detail"]["subject"], SUBJECT);
    assert_eq!(v["runs"][1]["status"], "waiting");
    let emails = v["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2);
    assert_eq!(emails[0]["subject"], SUBJECT);
    assert_eq!(emails[0]["template"], "receipt");
    assert_eq!(emails[0]["status"], "sent");
    assert_eq!(emails[0]["workflow"], "Receipt");
    assert!(emails[0]["sent_at"].is_string());
    assert_eq!(emails[1]["status"], "pending");
    assert!(emails[1]["sent_at"].is_null());
    // Nothing of the other contact.
    assert!(!v.to_string().contains("grace@example.com"));
    assert_eq!(
        s.export_contact("nobody@example.com", now)
            .unwrap_err()
            .code(),
        "not_found"
    );
}

#[test]
fn control_characters_are_refused_at_every_door() {
    let (_dir, mut s) = fresh();
    s.define_field(
        &FieldDef {
            name: "city".into(),
            field_type: FieldType::Text,
        },
        t0(),
    )
    .unwrap();
    let add = |s: &mut Store, input: ContactInput| s.add_contact(&input, t0()).unwrap_err();
    for (input, what) in [
        (
            ContactInput {
                email: "a@example.com".into(),
                name: Some("Ada\r\nBcc: everyone@example.com".into()),
                ..Default::default()
            },
            "the name",
        ),
        (
            ContactInput {
                email: "a@example.com".into(),
                fields: [("city".to_string(), "Paris\nLondon".to_string())].into(),
                ..Default::default()
            },
            "the field \"city\"",
        ),
        (
            ContactInput {
                email: "a@example.com".into(),
                tags: vec!["vip\u{7}".into()],
                ..Default::default()
            },
            "the tag",
        ),
        (
            ContactInput {
                email: "\"a\tb\"@example.com".into(),
                ..Default::default()
            },
            "the email",
        ),
    ] {
        let e = add(&mut s, input);
        assert_eq!(e.code(), "invalid", "{e}");
        assert!(e.to_string().contains(what), "{e}");
        assert!(e.to_string().contains("control character"), "{e}");
    }
    assert_eq!(count(&s, "contacts"), 0);
    // The store's other doors: a field set by a workflow action, a tag, an event.
    s.add_contact(
        &ContactInput {
            email: "a@example.com".into(),
            ..Default::default()
        },
        t0(),
    )
    .unwrap();
    let id = s.require_contact("a@example.com").unwrap().id;
    let e = s
        .write(|tx| cairn_store::contacts::set_field_using(tx, id, "name", json!("A\nB"), t0()))
        .unwrap_err();
    assert!(e.to_string().contains("line feed"), "{e}");
    let e = s
        .write(|tx| cairn_store::contacts::set_field_using(tx, id, "city", json!("X\u{0}"), t0()))
        .unwrap_err();
    assert!(e.to_string().contains("NUL"), "{e}");
    assert!(s.tag_contact("a@example.com", "a\rb", t0()).is_err());
    // Surrounding white space is trimmed as before, not refused.
    s.tag_contact("a@example.com", " vip\n", t0()).unwrap();
    // The CSV import names the line of each bad row and imports nothing.
    let rep = s
        .import_contacts_csv(
            "email,name,city\nok@example.com,Ok,Rome\nbad@example.com,\"Bad\nName\",Rome\nb2@example.com,B,\"Ro\rme\"\n"
                .as_bytes(),
            &CsvImportOptions::default(),
            t0(),
        )
        .unwrap();
    assert!(!rep.imported);
    let lines: Vec<u64> = rep.invalid.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 5]);
    assert!(
        rep.invalid[0].reason.contains("the name"),
        "{:?}",
        rep.invalid
    );
    assert!(
        rep.invalid[1].reason.contains("carriage return"),
        "{:?}",
        rep.invalid
    );
    assert!(s.contact_by_email("ok@example.com").unwrap().is_none());
}

#[cfg(unix)]
#[test]
fn the_database_its_wal_and_backups_are_the_users_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = dir.path().join("data/cairn/cairn.db");
    let mut s = Store::open(&db).unwrap();
    s.add_contact(
        &ContactInput {
            email: "a@example.com".into(),
            ..Default::default()
        },
        t0(),
    )
    .unwrap();
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&dir.path().join("data/cairn/cairn.db-wal")), 0o600);
    assert_eq!(mode(&dir.path().join("data/cairn/cairn.db-shm")), 0o600);
    assert_eq!(mode(&dir.path().join("data/cairn")), 0o700);
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(
        mode(dir.path()),
        0o755,
        "a folder Cairn did not make is left alone"
    );
    let backup = dir.path().join("backups/monday.cairn");
    s.backup_to(&backup, false).unwrap();
    assert_eq!(mode(&backup), 0o600);
    assert_eq!(mode(&dir.path().join("backups")), 0o700);
    // A backup never overwrites the live database's companions.
    for name in ["cairn.db", "cairn.db-wal", "cairn.db-shm"] {
        let e = s
            .backup_to(&dir.path().join("data/cairn").join(name), true)
            .unwrap_err();
        assert_eq!(e.code(), "conflict", "{name}: {e}");
    }
    assert_eq!(s.count_contacts(&Default::default()).unwrap(), 1);
    drop(s);
    // A database made by an older Cairn under a loose umask is narrowed.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    Store::open(&db).unwrap();
    assert_eq!(mode(&db), 0o600);
}

#[test]
fn bulk_actions_apply_to_the_filtered_contacts_only_and_export_safe_csv() {
    use cairn_store::bulk::BulkAction;
    use cairn_store::contacts::ContactQuery;
    let (_dir, mut s) = fresh();
    s.define_field(
        &FieldDef {
            name: "note".into(),
            field_type: FieldType::Text,
        },
        t0(),
    )
    .unwrap();
    for (email, tag, note) in [
        ("a@example.com", "lead", "=HYPERLINK(\"http://evil\")"),
        ("b@example.com", "lead", "+1 555"),
        ("c@example.com", "customer", "plain"),
    ] {
        s.add_contact(
            &ContactInput {
                email: email.into(),
                name: Some("@admin".into()),
                tags: vec![tag.into()],
                fields: [("note".to_string(), note.to_string())].into(),
                ..Default::default()
            },
            t0(),
        )
        .unwrap();
    }
    let leads = ContactQuery {
        tag: Some("lead".into()),
        limit: Some(1),
        ..Default::default()
    };
    let r = s
        .bulk_contacts(&leads, &BulkAction::Tag { tag: "q1".into() }, t0())
        .unwrap();
    assert_eq!((r.selected, r.changed), (2, 2), "paging is ignored");
    let r = s
        .bulk_contacts(&leads, &BulkAction::Unsubscribe, t0())
        .unwrap();
    assert_eq!(r.changed, 2);
    let a = s.require_contact("a@example.com").unwrap();
    assert_eq!(a.status, ContactStatus::Unsubscribed);
    assert!(a.tags.contains(&"q1".to_string()));
    assert_eq!(
        s.consent_history(a.id).unwrap().last().unwrap().via,
        ConsentVia::Manual
    );
    assert_eq!(
        s.require_contact("c@example.com").unwrap().status,
        ContactStatus::Subscribed
    );
    let r = s
        .bulk_contacts(&leads, &BulkAction::Untag { tag: "q1".into() }, t0())
        .unwrap();
    assert_eq!(r.changed, 2);

    let mut out = vec![];
    assert_eq!(
        s.export_contacts_csv(&ContactQuery::default(), &mut out)
            .unwrap(),
        3
    );
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "email,name,status,timezone,tags,note:text");
    assert!(text.contains("'=HYPERLINK(\"\"http://evil\"\")"), "{text}");
    assert!(text.contains("'+1 555"), "{text}");
    assert!(text.contains("'@admin"), "{text}");
    assert!(!text.lines().skip(1).any(|l| l.starts_with('=')), "{text}");

    let r = s.bulk_contacts(&leads, &BulkAction::Erase, t0()).unwrap();
    assert_eq!((r.selected, r.changed), (2, 2));
    assert_eq!(s.count_contacts(&ContactQuery::default()).unwrap(), 1);
    assert!(s.erased_at("b@example.com").unwrap().is_some());
}
