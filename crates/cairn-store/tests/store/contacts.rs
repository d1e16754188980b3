//! Contacts: unique emails, typed fields, tags, status, time zones, and the
//! events every change records.

use cairn_model::contact::{ContactStatus, FieldDef, FieldType};
use cairn_store::contacts::{ContactInput, ContactQuery, ContactSort};
use serde_json::json;

use crate::common::*;

fn input(email: &str) -> ContactInput {
    ContactInput {
        email: email.into(),
        ..Default::default()
    }
}

fn field(name: &str, t: FieldType) -> FieldDef {
    FieldDef {
        name: name.into(),
        field_type: t,
    }
}

#[test]
fn email_is_unique_ignoring_case_and_kept_as_written() {
    let (_d, mut s) = fresh();
    let c = s.add_contact(&input("  Ada@Example.COM "), t0()).unwrap();
    assert_eq!(c.email, "Ada@Example.COM");
    let e = s.add_contact(&input("ada@example.com"), t0()).unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert!(
        e.to_string().contains("\"Ada@Example.COM\" already exists"),
        "{e}"
    );
    assert_eq!(count(&s, "contacts"), 1);
    assert_eq!(s.require_contact("ADA@EXAMPLE.com").unwrap().id, c.id);
}

#[test]
fn an_invalid_email_is_refused_with_the_reason() {
    let (_d, mut s) = fresh();
    for bad in [
        "ada",
        "ada@",
        "a b@example.com",
        "ada@example",
        "Ada <ada@example.com>",
    ] {
        let e = s.add_contact(&input(bad), t0()).unwrap_err();
        assert_eq!(e.code(), "invalid_email", "{bad}");
        assert!(e.to_string().contains(bad.trim()), "{e}");
    }
    assert_eq!(count(&s, "contacts"), 0);
    assert_eq!(count(&s, "events"), 0);
}

#[test]
fn custom_fields_keep_their_declared_type() {
    let (_d, mut s) = fresh();
    assert!(
        s.define_field(&field("plan", FieldType::Text), t0())
            .unwrap()
    );
    assert!(
        s.define_field(&field("score", FieldType::Number), t0())
            .unwrap()
    );
    assert!(
        s.define_field(&field("birthday", FieldType::Date), t0())
            .unwrap()
    );
    assert!(
        s.define_field(&field("vip", FieldType::Boolean), t0())
            .unwrap()
    );
    // Declaring again with the same type does nothing; another type is refused.
    assert!(
        !s.define_field(&field("Score", FieldType::Number), t0())
            .unwrap()
    );
    let e = s
        .define_field(&field("score", FieldType::Date), t0())
        .unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert!(
        e.to_string().contains("already exists as a number field"),
        "{e}"
    );

    let mut i = input("ada@example.com");
    for (k, v) in [
        ("plan", "Gold"),
        ("SCORE", "42"),
        ("birthday", "1990-12-10"),
        ("vip", "yes"),
    ] {
        i.fields.insert(k.into(), v.into());
    }
    let c = s.add_contact(&i, t0()).unwrap();
    assert_eq!(c.fields["plan"], json!("Gold"));
    assert_eq!(c.fields["score"], json!(42));
    assert_eq!(c.fields["birthday"], json!("1990-12-10"));
    assert_eq!(c.fields["vip"], json!(true));
    assert_eq!(s.fields().unwrap().len(), 4);
}

#[test]
fn a_bad_field_value_names_the_field_and_writes_nothing() {
    let (_d, mut s) = fresh();
    s.define_field(&field("score", FieldType::Number), t0())
        .unwrap();
    s.define_field(&field("birthday", FieldType::Date), t0())
        .unwrap();
    let mut i = input("ada@example.com");
    i.fields.insert("score".into(), "lots".into());
    i.fields.insert("birthday".into(), "10/12/1990".into());
    i.tags = vec!["vip".into()];
    let e = s.add_contact(&i, t0()).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("\"score\"") && msg.contains("\"lots\" is not a number"),
        "{msg}"
    );
    assert!(
        msg.contains("\"birthday\"") && msg.contains("not a date"),
        "{msg}"
    );
    assert_eq!(count(&s, "contacts"), 0);
    assert_eq!(count(&s, "tags"), 0);

    let mut i = input("ada@example.com");
    i.fields.insert("shoe_size".into(), "42".into());
    let e = s.add_contact(&i, t0()).unwrap_err();
    assert!(
        e.to_string()
            .contains("\"shoe_size\": there is no such field"),
        "{e}"
    );
}

#[test]
fn built_in_names_and_separators_cannot_be_custom_fields() {
    let (_d, mut s) = fresh();
    for bad in ["email", "Name", "tags", "", "a:b"] {
        let e = s
            .define_field(&field(bad, FieldType::Text), t0())
            .unwrap_err();
        assert_eq!(e.code(), "invalid", "{bad}: {e}");
    }
}

#[test]
fn a_time_zone_must_be_an_iana_name() {
    let (_d, mut s) = fresh();
    let mut i = input("ada@example.com");
    i.timezone = Some("Mars/Olympus".into());
    let e = s.add_contact(&i, t0()).unwrap_err();
    assert_eq!(e.code(), "invalid_timezone");
    assert!(e.to_string().contains("Mars/Olympus"));
    i.timezone = Some("Europe/Berlin".into());
    let c = s.add_contact(&i, t0()).unwrap();
    assert_eq!(c.timezone.as_deref(), Some("Europe/Berlin"));
}

#[test]
fn creating_records_contact_created_and_initial_tags_but_no_field_changes() {
    let (_d, mut s) = fresh();
    let mut i = input("ada@example.com");
    i.name = Some("Ada".into());
    i.tags = vec!["vip".into(), "VIP".into(), "lead".into()];
    let c = s.add_contact(&i, t0()).unwrap();
    assert_eq!(c.tags, vec!["lead".to_string(), "vip".to_string()]);
    let created = events_of_type(&s, "contact.created");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].0, Some(c.id));
    assert_eq!(created[0].1["email"], json!("ada@example.com"));
    assert_eq!(created[0].1["name"], json!("Ada"));
    assert_eq!(events_of_type(&s, "tag.added").len(), 2);
    assert!(events_of_type(&s, "field.changed").is_empty());
}

#[test]
fn changes_record_their_own_events_only_when_something_changed() {
    let (_d, mut s) = fresh();
    s.define_field(&field("score", FieldType::Number), t0())
        .unwrap();
    let c = s.add_contact(&input("ada@example.com"), t0()).unwrap();

    let mut i = input("ADA@example.com");
    i.name = Some("Ada Lovelace".into());
    i.timezone = Some("Europe/London".into());
    i.status = Some(ContactStatus::Unsubscribed);
    i.fields.insert("score".into(), "7".into());
    let updated = s.upsert_contact(&i, t0()).unwrap();
    assert_eq!(updated.id, c.id);
    assert_eq!(
        updated.email, "ada@example.com",
        "the email keeps its first spelling"
    );
    assert_eq!(updated.status, ContactStatus::Unsubscribed);

    let changes: Vec<serde_json::Value> = events_of_type(&s, "field.changed")
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(
        changes,
        vec![
            json!({"field": "name", "old": null, "new": "Ada Lovelace"}),
            json!({"field": "timezone", "old": null, "new": "Europe/London"}),
            json!({"field": "score", "old": null, "new": 7}),
        ]
    );
    assert_eq!(
        events_of_type(&s, "status.changed")[0].1,
        json!({"old": "subscribed", "new": "unsubscribed"})
    );
    // The same values again change nothing and record nothing.
    let before = count(&s, "events");
    s.upsert_contact(&i, t0()).unwrap();
    assert_eq!(count(&s, "events"), before);
    // Clearing a field is a change.
    let mut clear = input("ada@example.com");
    clear.fields.insert("score".into(), "".into());
    let c = s.upsert_contact(&clear, t0()).unwrap();
    assert!(!c.fields.contains_key("score"));
    assert_eq!(
        events_of_type(&s, "field.changed").last().unwrap().1,
        json!({"field": "score", "old": 7, "new": null})
    );
}

#[test]
fn tags_ignore_case_and_record_added_and_removed() {
    let (_d, mut s) = fresh();
    s.add_contact(&input("ada@example.com"), t0()).unwrap();
    assert!(s.tag_contact("ada@example.com", "Customer", t0()).unwrap());
    assert!(!s.tag_contact("ADA@example.com", "customer", t0()).unwrap());
    assert_eq!(s.tags().unwrap(), vec!["Customer".to_string()]);
    assert_eq!(events_of_type(&s, "tag.added").len(), 1);
    assert!(
        s.untag_contact("ada@example.com", "CUSTOMER", t0())
            .unwrap()
    );
    assert!(
        !s.untag_contact("ada@example.com", "customer", t0())
            .unwrap()
    );
    assert!(
        !s.untag_contact("ada@example.com", "never-made", t0())
            .unwrap()
    );
    let removed = events_of_type(&s, "tag.removed");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].1, json!({"tag": "Customer"}));
    assert!(
        s.require_contact("ada@example.com")
            .unwrap()
            .tags
            .is_empty()
    );
    let e = s.tag_contact("nobody@example.com", "x", t0()).unwrap_err();
    assert_eq!(e.code(), "not_found");
    assert!(e.to_string().contains("nobody@example.com"));
}

#[test]
fn status_changes_are_recorded() {
    let (_d, mut s) = fresh();
    s.add_contact(&input("ada@example.com"), t0()).unwrap();
    assert!(
        s.set_contact_status("ada@example.com", ContactStatus::Bounced, t0())
            .unwrap()
    );
    assert!(
        !s.set_contact_status("ada@example.com", ContactStatus::Bounced, t0())
            .unwrap()
    );
    assert_eq!(events_of_type(&s, "status.changed").len(), 1);
    assert_eq!(
        s.require_contact("ada@example.com").unwrap().status,
        ContactStatus::Bounced
    );
}

#[test]
fn listing_filters_by_tag_and_text_and_sorts() {
    let (_d, mut s) = fresh();
    for (email, name, tag) in [
        ("zoe@example.com", Some("Zoë Zed"), Some("vip")),
        ("ada@example.com", Some("ada lovelace"), Some("VIP")),
        ("bob_1@example.org", Some("Bob 100%"), None),
        ("nameless@example.net", None, Some("lead")),
    ] {
        let mut i = input(email);
        i.name = name.map(Into::into);
        i.tags = tag.into_iter().map(Into::into).collect();
        s.add_contact(&i, t0()).unwrap();
    }
    let emails = |q: ContactQuery| -> Vec<String> {
        s.contacts(&q)
            .unwrap()
            .into_iter()
            .map(|c| c.email)
            .collect()
    };
    let by_email = |q: ContactQuery| ContactQuery {
        sort: Some(ContactSort::Email),
        ..q
    };
    assert_eq!(
        emails(by_email(ContactQuery {
            tag: Some("vip".into()),
            ..Default::default()
        })),
        vec!["ada@example.com", "zoe@example.com"]
    );
    assert_eq!(
        emails(by_email(ContactQuery {
            search: Some("LOVE".into()),
            ..Default::default()
        })),
        vec!["ada@example.com"]
    );
    // LIKE wildcards in the search text are taken literally.
    assert_eq!(
        emails(ContactQuery {
            search: Some("_1@".into()),
            ..Default::default()
        }),
        vec!["bob_1@example.org"]
    );
    assert_eq!(
        emails(ContactQuery {
            search: Some("100%".into()),
            ..Default::default()
        }),
        vec!["bob_1@example.org"]
    );
    assert!(
        emails(ContactQuery {
            search: Some("%".into()),
            ..Default::default()
        })
        .len()
            == 1
    );
    assert_eq!(
        emails(ContactQuery {
            sort: Some(ContactSort::Name),
            ..Default::default()
        }),
        vec![
            "nameless@example.net",
            "ada@example.com",
            "bob_1@example.org",
            "zoe@example.com"
        ]
    );
    let page = ContactQuery {
        sort: Some(ContactSort::Email),
        descending: true,
        limit: Some(2),
        offset: Some(1),
        ..Default::default()
    };
    assert_eq!(
        emails(page.clone()),
        vec!["nameless@example.net", "bob_1@example.org"]
    );
    assert_eq!(s.count_contacts(&page).unwrap(), 4);
}
