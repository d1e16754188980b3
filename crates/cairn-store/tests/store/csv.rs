//! CSV import of contacts: columns, row errors with line numbers, all or
//! nothing by default, updates of existing contacts, and 100,000 rows.

use cairn_model::contact::{ContactStatus, FieldDef, FieldType};
use cairn_store::Store;
use cairn_store::csv_import::{CsvImportOptions, CsvImportReport};
use serde_json::json;

use crate::common::*;

fn import(s: &mut Store, text: &str) -> CsvImportReport {
    s.import_contacts_csv(text.as_bytes(), &CsvImportOptions::default(), t0())
        .unwrap()
}

fn import_skipping(s: &mut Store, text: &str) -> CsvImportReport {
    s.import_contacts_csv(
        text.as_bytes(),
        &CsvImportOptions {
            skip_invalid: true,
            ..Default::default()
        },
        t0(),
    )
    .unwrap()
}

fn import_err(s: &mut Store, text: &str) -> cairn_store::StoreError {
    s.import_contacts_csv(text.as_bytes(), &CsvImportOptions::default(), t0())
        .unwrap_err()
}

fn lines(r: &CsvImportReport) -> Vec<(u64, &str)> {
    r.invalid
        .iter()
        .map(|i| (i.line, i.reason.as_str()))
        .collect()
}

#[test]
fn a_good_file_imports_every_column() {
    let (_d, mut s) = fresh();
    s.define_field(
        &FieldDef {
            name: "Plan".into(),
            field_type: FieldType::Text,
        },
        t0(),
    )
    .unwrap();
    let text = "email,name,status,timezone,tags,plan,birthday:date,score:number\n\
                ada@example.com,Ada Lovelace,subscribed,Europe/London,vip; customer ;,Gold,1815-12-10,42\n\
                bob@example.com,,unsubscribed,,,,,\n";
    let r = import(&mut s, text);
    assert!(r.imported);
    assert_eq!(
        (r.rows, r.created, r.updated, r.unchanged, r.skipped),
        (2, 2, 0, 0, 0)
    );
    assert!(r.invalid.is_empty());
    assert_eq!(
        r.fields_created,
        vec![
            FieldDef {
                name: "birthday".into(),
                field_type: FieldType::Date
            },
            FieldDef {
                name: "score".into(),
                field_type: FieldType::Number
            },
        ]
    );
    let ada = s.require_contact("ada@example.com").unwrap();
    assert_eq!(ada.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(ada.timezone.as_deref(), Some("Europe/London"));
    assert_eq!(ada.tags, vec!["customer".to_string(), "vip".to_string()]);
    assert_eq!(ada.fields["Plan"], json!("Gold"));
    assert_eq!(ada.fields["birthday"], json!("1815-12-10"));
    assert_eq!(ada.fields["score"], json!(42));
    let bob = s.require_contact("bob@example.com").unwrap();
    assert_eq!(bob.status, ContactStatus::Unsubscribed);
    assert_eq!(bob.name, None);
    assert!(bob.fields.is_empty() && bob.tags.is_empty());
    // Each new contact records contact.created (source csv) and its tags.
    let created = events_of_type(&s, "contact.created");
    assert_eq!(created.len(), 2);
    assert!(created.iter().all(|(_, p)| p["source"] == json!("csv")));
    assert_eq!(events_of_type(&s, "tag.added").len(), 2);
}

#[test]
fn a_bom_crlf_and_quoted_commas_and_newlines_are_read_right() {
    let (_d, mut s) = fresh();
    let text = "\u{feff}Email,Name,Tags\r\n\
                ada@example.com,\"Lovelace, Ada\",\"vip;a,b\"\r\n\
                bob@example.com,\"Bob \"\"The Builder\"\"\r\nSmith\",\r\n\
                bad-email,x,\r\n";
    let r = import(&mut s, text);
    // The BOM did not hide the email column, and line numbers count the
    // newline inside Bob's quoted name. That line break is itself refused:
    // a name reaches email headers (issue 11).
    let at: Vec<u64> = r.invalid.iter().map(|i| i.line).collect();
    assert_eq!(at, [3, 5], "{:?}", r.invalid);
    assert!(
        r.invalid[0]
            .reason
            .contains("control character (carriage return)"),
        "{:?}",
        r.invalid
    );
    assert!(
        r.invalid[1]
            .reason
            .contains("invalid email address \"bad-email\""),
        "{:?}",
        r.invalid
    );
    assert!(!r.imported);
    let r = import_skipping(&mut s, text);
    assert_eq!((r.created, r.skipped), (1, 2));
    let ada = s.require_contact("ada@example.com").unwrap();
    assert_eq!(ada.name.as_deref(), Some("Lovelace, Ada"));
    assert_eq!(ada.tags, vec!["a,b".to_string(), "vip".to_string()]);
    assert!(s.contact_by_email("bob@example.com").unwrap().is_none());
}

#[test]
fn every_bad_row_is_reported_with_its_line_and_nothing_is_imported() {
    let (_d, mut s) = fresh();
    let text = "email,status,timezone,birthday:date\n\
                not-an-email,subscribed,,\n\
                ada@example.com,asleep,Mars/Base,soon\n\
                ,subscribed,,\n\
                bob@example.com,subscribed\n";
    let r = import(&mut s, text);
    assert!(!r.imported);
    assert_eq!(r.rows, 4);
    let l = lines(&r);
    assert_eq!(l.iter().map(|x| x.0).collect::<Vec<_>>(), vec![2, 3, 4, 5]);
    assert!(
        l[0].1.contains("invalid email address \"not-an-email\""),
        "{}",
        l[0].1
    );
    assert!(l[1].1.contains("unknown status \"asleep\""), "{}", l[1].1);
    assert!(
        l[1].1.contains("unknown time zone \"Mars/Base\""),
        "{}",
        l[1].1
    );
    assert!(
        l[1].1.contains("\"birthday\"") && l[1].1.contains("not a date"),
        "{}",
        l[1].1
    );
    assert!(l[2].1.contains("is empty"), "{}", l[2].1);
    assert_eq!(l[3].1, "the row has 2 cells but the header has 4");
    assert_eq!(r.invalid[1].email.as_deref(), Some("ada@example.com"));
    assert_eq!(count(&s, "contacts"), 0);
    assert_eq!(
        count(&s, "fields"),
        0,
        "not even the birthday field was created"
    );
    assert_eq!(count(&s, "events"), 0);
}

#[test]
fn a_mixed_file_imports_nothing_by_default_and_the_valid_rows_when_asked() {
    let (_d, mut s) = fresh();
    let text = "email,name\nada@example.com,Ada\nnope,Nobody\nbob@example.com,Bob\n";
    let r = import(&mut s, text);
    assert!(!r.imported);
    assert_eq!((r.created, r.skipped), (0, 0));
    assert_eq!(lines(&r).iter().map(|x| x.0).collect::<Vec<_>>(), vec![3]);
    assert_eq!(count(&s, "contacts"), 0);

    let r = import_skipping(&mut s, text);
    assert!(r.imported);
    assert_eq!((r.rows, r.created, r.skipped), (3, 2, 1));
    assert_eq!(r.invalid[0].line, 3);
    assert_eq!(count(&s, "contacts"), 2);
}

#[test]
fn a_row_with_an_existing_email_updates_that_contact() {
    let (_d, mut s) = fresh();
    import(
        &mut s,
        "email,name,tags,plan:text\nAda@Example.com,Ada,vip,Silver\ncy@example.com,Cy,,\n",
    );
    let ada_id = s.require_contact("ada@example.com").unwrap().id;
    let text = "email,name,tags,plan,status\n\
                ada@EXAMPLE.com,Ada Lovelace,customer,Gold,\n\
                cy@example.com,Cy,,,\n\
                dan@example.com,Dan,,,bounced\n";
    let r = import(&mut s, text);
    assert_eq!((r.created, r.updated, r.unchanged), (1, 1, 1));
    let ada = s.require_contact("ada@example.com").unwrap();
    assert_eq!(ada.id, ada_id);
    assert_eq!(ada.email, "Ada@Example.com");
    assert_eq!(ada.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        ada.tags,
        vec!["customer".to_string(), "vip".to_string()],
        "tags are added, not replaced"
    );
    assert_eq!(ada.fields["plan"], json!("Gold"));
    assert_eq!(
        ada.status,
        ContactStatus::Subscribed,
        "an empty cell leaves the value"
    );
    let changes: Vec<_> = events_of_type(&s, "field.changed")
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(
        changes,
        vec![
            json!({"field": "name", "old": "Ada", "new": "Ada Lovelace"}),
            json!({"field": "plan", "old": "Silver", "new": "Gold"}),
        ]
    );
    assert_eq!(
        s.require_contact("dan@example.com").unwrap().status,
        ContactStatus::Bounced
    );
}

#[test]
fn the_same_email_twice_in_a_file_is_reported_on_the_second_line() {
    let (_d, mut s) = fresh();
    let text = "email,name\nada@example.com,Ada\nbob@example.com,Bob\nADA@example.com,Ada again\n";
    let r = import(&mut s, text);
    assert!(!r.imported);
    assert_eq!(
        lines(&r),
        vec![(
            4,
            "the email ADA@example.com is already on line 2 of this file"
        )]
    );
    let r = import_skipping(&mut s, text);
    assert_eq!(r.created, 2);
    assert_eq!(
        s.require_contact("ada@example.com")
            .unwrap()
            .name
            .as_deref(),
        Some("Ada")
    );
}

#[test]
fn first_and_last_name_columns_make_the_name() {
    let (_d, mut s) = fresh();
    import(
        &mut s,
        "First_Name,last_name,email\nAda,Lovelace,ada@example.com\n,Solo,solo@example.com\n",
    );
    assert_eq!(
        s.require_contact("ada@example.com")
            .unwrap()
            .name
            .as_deref(),
        Some("Ada Lovelace")
    );
    assert_eq!(
        s.require_contact("solo@example.com")
            .unwrap()
            .name
            .as_deref(),
        Some("Solo")
    );
}

#[test]
fn header_problems_refuse_the_whole_file_and_name_the_column() {
    let (_d, mut s) = fresh();
    s.define_field(
        &FieldDef {
            name: "score".into(),
            field_type: FieldType::Number,
        },
        t0(),
    )
    .unwrap();
    let cases = [
        (
            "email,shoe size,hat\nada@example.com,42,x\n",
            "unknown columns \"shoe size\" (column 2), \"hat\" (column 3)",
        ),
        (
            "name,tags\nAda,vip\n",
            "the header row has no email column (found: name, tags)",
        ),
        (
            "email,birthday:datetime\n",
            "column 2 \"birthday:datetime\": unknown field type \"datetime\"",
        ),
        (
            "email,score:date\n",
            "the field \"score\" already exists as a number field",
        ),
        ("email,name,Email\n", "column 3 \"Email\" repeats column 1"),
        ("email,,name\n", "column 2 has no name"),
        (
            "email,status:text\n",
            "\"status\" is a built-in column and takes no type",
        ),
        ("", "the file is empty"),
    ];
    for (text, wanted) in cases {
        let e = import_err(&mut s, text);
        assert_eq!(e.code(), "invalid_csv", "{text:?}");
        let msg = e.to_string();
        assert!(msg.starts_with("CSV line 1: "), "{msg}");
        assert!(msg.contains(wanted), "{text:?}: {msg}");
    }
    let e = import_err(&mut s, "email,hat\n");
    assert!(
        e.to_string().contains("NAME:TYPE"),
        "the message says how to create a field: {e}"
    );
    assert_eq!(count(&s, "contacts"), 0);
}

#[test]
fn blank_rows_are_skipped_and_not_counted() {
    let (_d, mut s) = fresh();
    let r = import(&mut s, "email,name\n\nada@example.com,Ada\n,\n  ,  \n");
    assert!(r.imported);
    assert_eq!((r.rows, r.created), (1, 1));
}

#[test]
fn a_hundred_thousand_rows_import_in_one_go() {
    let (_d, mut s) = fresh();
    let mut text = String::from("email,name,tags,plan:text,score:number,joined:date\n");
    for i in 0..100_000 {
        text.push_str(&format!(
            "user{i}@example.com,User {i},{};all,plan{},{},2025-{:02}-{:02}\n",
            if i % 2 == 0 { "even" } else { "odd" },
            i % 3,
            i,
            i % 12 + 1,
            i % 28 + 1
        ));
    }
    let r = import(&mut s, &text);
    assert!(r.imported, "{:?}", r.invalid.first());
    assert_eq!((r.rows, r.created, r.updated), (100_000, 100_000, 0));
    assert_eq!(count(&s, "contacts"), 100_000);
    assert_eq!(count(&s, "contact_tags"), 200_000);
    assert_eq!(count(&s, "contact_fields"), 300_000);
    let c = s.require_contact("user77777@example.com").unwrap();
    assert_eq!(c.name.as_deref(), Some("User 77777"));
    assert_eq!(c.tags, vec!["all".to_string(), "odd".to_string()]);
    assert_eq!(c.fields["score"], json!(77777));
    assert_eq!(c.fields["joined"], json!("2025-06-22"));
    let q = cairn_store::contacts::ContactQuery {
        tag: Some("even".into()),
        ..Default::default()
    };
    assert_eq!(s.count_contacts(&q).unwrap(), 50_000);
}

#[test]
fn a_file_from_another_tool_imports_once_every_column_has_a_meaning() {
    let (_d, mut s) = fresh();
    let text = "Email Address,First Name,city,Member Rating,internal_id\n\
                ada@example.com,Ada,London,4,x1\n\
                bob@example.com,Bob,Paris,2,x2\n";
    // Unmapped columns refuse the file; nothing is written.
    let e = import_err(&mut s, text);
    assert_eq!(e.code(), "invalid_csv");
    assert!(
        e.to_string().contains("\"Email Address\" (column 1)"),
        "{e}"
    );
    assert!(e.to_string().contains("--map"), "{e}");
    assert_eq!(s.fields().unwrap().len(), 0);
    // A mapping naming a column the file lacks is refused too.
    let opts = |map: &[(&str, &str)], skip: &[&str]| CsvImportOptions {
        map: map
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        skip_columns: skip.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
    };
    let e = s
        .import_contacts_csv(
            text.as_bytes(),
            &opts(&[("Phone", "phone:text")], &[]),
            t0(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("\"phone\""), "{e}");
    // Mapped to built-in columns, a new typed field, an inferred new text
    // field, and one column skipped.
    let mut o = opts(
        &[
            ("email address", "email"),
            ("First Name", "first_name"),
            ("Member Rating", "rating:number"),
        ],
        &["internal_id"],
    );
    o.new_fields = Some(cairn_model::contact::FieldType::Text);
    let r = s.import_contacts_csv(text.as_bytes(), &o, t0()).unwrap();
    assert!(r.imported && r.invalid.is_empty(), "{r:?}");
    assert_eq!(r.created, 2);
    let made: Vec<(String, String)> = r
        .fields_created
        .iter()
        .map(|f| (f.name.clone(), f.field_type.to_string()))
        .collect();
    assert_eq!(
        made,
        [
            ("city".to_string(), "text".to_string()),
            ("rating".to_string(), "number".to_string())
        ]
    );
    let ada = s.require_contact("ada@example.com").unwrap();
    assert_eq!(ada.name.as_deref(), Some("Ada"));
    assert_eq!(ada.fields["city"], json!("London"));
    assert_eq!(ada.fields["rating"], json!(4));
    assert!(!ada.fields.contains_key("internal_id"));
}

#[test]
fn a_preview_names_the_columns_that_need_a_mapping() {
    let (_d, mut s) = fresh();
    s.define_field(
        &FieldDef {
            name: "city".into(),
            field_type: FieldType::Text,
        },
        t0(),
    )
    .unwrap();
    let text = "\u{feff}Email,City,Member Rating,joined:date\na@example.com,Rome,4,2025-01-01\nb@example.com,Oslo,2,\nc@example.com,Lima,1,\n";
    let p = s.preview_contacts_csv(text.as_bytes(), 2).unwrap();
    let cols: Vec<(&str, &str)> = p
        .columns
        .iter()
        .map(|c| (c.header.as_str(), c.known.as_str()))
        .collect();
    assert_eq!(
        cols,
        [
            ("Email", "builtin"),
            ("City", "field"),
            ("Member Rating", "unknown"),
            ("joined:date", "field")
        ]
    );
    assert_eq!(
        p.rows,
        [
            ["a@example.com", "Rome", "4", "2025-01-01"],
            ["b@example.com", "Oslo", "2", ""]
        ]
    );
    assert_eq!(
        s.count_contacts(&Default::default()).unwrap(),
        0,
        "a preview writes nothing"
    );
}
