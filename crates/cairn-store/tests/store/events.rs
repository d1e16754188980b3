//! The event log: append-only, deduplicated by (source, external id).

use cairn_model::event::{Appended, NewEvent};
use serde_json::json;

use crate::common::*;

fn purchase(email: &str, source: &str, id: Option<&str>) -> NewEvent {
    NewEvent {
        event_type: "purchase.completed".into(),
        contact_email: Some(email.into()),
        payload: json!({"product": "Program A", "amount": 100}),
        occurred_at: t0() - chrono::Duration::hours(1),
        source: source.into(),
        external_id: id.map(Into::into),
    }
}

#[test]
fn the_same_source_and_external_id_is_stored_once_and_says_so() {
    let (_d, mut s) = fresh();
    let first = s
        .emit(&purchase("ada@example.com", "stripe", Some("evt_1")), t0())
        .unwrap();
    let Appended::Stored { id } = first else {
        panic!("first emit must store: {first:?}")
    };
    // A re-poll, even with another payload or contact spelling, changes nothing.
    let mut again = purchase("ADA@example.com", "stripe", Some("evt_1"));
    again.payload = json!({"amount": 999});
    assert_eq!(
        s.emit(&again, t0()).unwrap(),
        Appended::Duplicate { existing_id: id }
    );
    assert_eq!(events_of_type(&s, "purchase.completed").len(), 1);
    let stored = s.event(id).unwrap().unwrap();
    assert_eq!(
        stored.payload,
        json!({"product": "Program A", "amount": 100})
    );
    assert_eq!(stored.occurred_at, t0() - chrono::Duration::hours(1));
    assert_eq!(stored.recorded_at, t0());
    assert_eq!(stored.source, "stripe");
    assert_eq!(stored.external_id.as_deref(), Some("evt_1"));

    // The same id from another source is another event; no id never dedupes.
    assert!(matches!(
        s.emit(&purchase("ada@example.com", "shopify", Some("evt_1")), t0())
            .unwrap(),
        Appended::Stored { .. }
    ));
    for _ in 0..2 {
        assert!(matches!(
            s.emit(&purchase("ada@example.com", "manual", None), t0())
                .unwrap(),
            Appended::Stored { .. }
        ));
    }
    assert_eq!(events_of_type(&s, "purchase.completed").len(), 4);
}

#[test]
fn an_event_for_a_new_email_creates_the_contact_first() {
    let (_d, mut s) = fresh();
    s.emit(&purchase("new@example.com", "stripe", Some("evt_9")), t0())
        .unwrap();
    let c = s.require_contact("new@example.com").unwrap();
    let created = events_of_type(&s, "contact.created");
    assert_eq!(
        created,
        vec![(
            Some(c.id),
            json!({"email": "new@example.com", "name": null, "status": "subscribed", "source": "stripe"})
        )]
    );
    let evs = s.events_of_contact(c.id, 10).unwrap();
    assert_eq!(evs.len(), 2);
    assert_eq!(
        evs[0].event_type, "contact.created",
        "newest first: created at t0, purchase an hour before"
    );
}

#[test]
fn a_bad_event_is_refused_and_stores_nothing() {
    let (_d, mut s) = fresh();
    let e = s
        .emit(&purchase("not-an-email", "stripe", Some("x")), t0())
        .unwrap_err();
    assert_eq!(e.code(), "invalid_email");
    let mut blank = purchase("ada@example.com", "stripe", None);
    blank.event_type = " ".into();
    assert!(
        s.emit(&blank, t0())
            .unwrap_err()
            .to_string()
            .contains("needs a type")
    );
    let mut spaced = purchase("ada@example.com", "stripe", None);
    spaced.event_type = "purchase completed".into();
    assert!(
        s.emit(&spaced, t0())
            .unwrap_err()
            .to_string()
            .contains("contains a space")
    );
    assert_eq!(count(&s, "events"), 0);
    assert_eq!(count(&s, "contacts"), 0);
}

#[test]
fn a_batch_is_all_or_nothing() {
    let (_d, mut s) = fresh();
    let batch = vec![
        purchase("ada@example.com", "stripe", Some("evt_1")),
        purchase("bad address", "stripe", Some("evt_2")),
    ];
    assert!(s.emit_batch(&batch, t0()).is_err());
    assert_eq!(count(&s, "events"), 0);
    assert_eq!(count(&s, "contacts"), 0);

    let batch = vec![
        purchase("ada@example.com", "stripe", Some("evt_1")),
        purchase("bob@example.com", "stripe", Some("evt_2")),
        purchase("ada@example.com", "stripe", Some("evt_1")),
    ];
    let out = s.emit_batch(&batch, t0()).unwrap();
    assert!(matches!(out[0], Appended::Stored { .. }));
    assert!(matches!(out[1], Appended::Stored { .. }));
    let Appended::Stored { id } = out[0] else {
        unreachable!()
    };
    assert_eq!(out[2], Appended::Duplicate { existing_id: id });
    assert_eq!(events_of_type(&s, "purchase.completed").len(), 2);
}
