//! The customer-experience number on a real database: who went through the
//! workflow, which of their events count, and the rates worked out by hand.

use cairn_model::Timestamp;
use cairn_model::effect::RunMode;
use cairn_model::event::{Appended, NewEvent};
use cairn_store::contacts::ContactInput;
use cairn_store::runs::{NewRun, insert_run_using};
use cairn_store::{Store, StoreError};
use chrono::Duration;
use serde_json::json;

use crate::common::*;

fn day(n: i64) -> Timestamp {
    t0() + Duration::days(n)
}

fn contact(s: &mut Store, email: &str, is_test: bool, at: Timestamp) -> i64 {
    s.add_contact(
        &ContactInput {
            email: email.into(),
            is_test,
            ..Default::default()
        },
        at,
    )
    .unwrap()
    .id
}

fn event(s: &mut Store, email: &str, kind: &str, at: Timestamp) -> i64 {
    let ev = NewEvent {
        event_type: kind.into(),
        contact_email: Some(email.into()),
        payload: json!({}),
        occurred_at: at,
        source: "test".into(),
        external_id: None,
    };
    match s.emit(&ev, at).unwrap() {
        Appended::Stored { id } => id,
        other => panic!("{other:?}"),
    }
}

fn run(s: &mut Store, wf: i64, contact: i64, trigger: Option<i64>, at: Timestamp) {
    let payload = json!({});
    s.write(|tx| {
        insert_run_using(
            tx,
            &NewRun {
                workflow_id: wf,
                version: 1,
                contact_id: contact,
                trigger_node: "start",
                trigger_event_id: trigger,
                trigger_payload: &payload,
                mode: RunMode::Live,
            },
            at,
        )?;
        Ok::<_, StoreError>(())
    })
    .unwrap();
}

#[test]
fn contacts_through_the_workflow_are_compared_with_the_others() {
    let (_d, mut s) = fresh();
    let flow = |event: Option<&str>| {
        let mut f = json!({"format": "cairn.workflow", "version": 1, "name": "Onboarding", "nodes": [
            {"id": "start", "position": {"x": 0, "y": 0}, "kind": "trigger.manual", "config": {}}],
            "edges": []});
        if let Some(e) = event {
            f["settings"] = json!({"experience_event": e});
        }
        f.to_string()
    };
    let wf = s.import_workflow(&flow(None), false, day(0)).unwrap().id;
    assert_eq!(
        s.workflow_experience(wf, day(0), day(30)).unwrap(),
        None,
        "no event named"
    );
    s.import_workflow(&flow(Some("ticket.opened")), true, day(0))
        .unwrap();

    // Range: day 0 to day 30.
    let ada = contact(&mut s, "ada@example.com", false, day(0));
    let bob = contact(&mut s, "bob@example.com", false, day(0));
    let cy = contact(&mut s, "cy@example.com", false, day(0));
    contact(&mut s, "dee@example.com", false, day(20));
    let tess = contact(&mut s, "tess@example.com", true, day(0));

    // Ada enters on day 10 on a ticket (the trigger: not counted), opens one
    // before entering (not counted) and one after (counted).
    event(&mut s, "ada@example.com", "ticket.opened", day(5));
    let trigger = event(&mut s, "ada@example.com", "ticket.opened", day(10));
    run(&mut s, wf, ada, Some(trigger), day(10));
    event(&mut s, "ada@example.com", "ticket.opened", day(12));
    // Bob enters on day 20 and opens none; a second run does not move his entry.
    run(&mut s, wf, bob, None, day(20));
    run(&mut s, wf, bob, None, day(25));
    // The test contact's run counts nowhere.
    run(&mut s, wf, tess, None, day(1));
    event(&mut s, "tess@example.com", "ticket.opened", day(2));
    // Cy (others, 30 days) opens two tickets and gets a refund (other type);
    // one ticket on day 31 is outside the range.
    event(&mut s, "cy@example.com", "ticket.opened", day(3));
    event(&mut s, "cy@example.com", "ticket.opened", day(29));
    event(&mut s, "cy@example.com", "refund.issued", day(4));
    event(&mut s, "cy@example.com", "ticket.opened", day(31));
    // Dee (others, created day 20: 10 days) opens one.
    event(&mut s, "dee@example.com", "ticket.opened", day(21));
    let _ = cy;

    let n = s.workflow_experience(wf, day(0), day(30)).unwrap().unwrap();
    assert_eq!(n.event_type, "ticket.opened");
    // Through: Ada 20 days, 1 event; Bob 10 days, 0 events.
    let t = &n.through;
    assert_eq!((t.contacts, t.events, t.contacts_with_event), (2, 1, 1));
    assert_eq!(t.contact_days, 30.0);
    assert_eq!(t.per_contact, Some(0.5));
    assert_eq!(t.per_contact_per_30_days, Some(1.0));
    // Others: Cy 30 days, 2 events; Dee 10 days, 1 event.
    let o = &n.others;
    assert_eq!((o.contacts, o.events, o.contacts_with_event), (2, 3, 2));
    assert_eq!(o.contact_days, 40.0);
    assert_eq!(o.per_contact, Some(1.5));
    assert_eq!(o.per_contact_per_30_days, Some(3.0 / 40.0 * 30.0));

    // In a range that ends before Bob entered, Bob is among the others.
    let n = s.workflow_experience(wf, day(0), day(15)).unwrap().unwrap();
    assert_eq!((n.through.contacts, n.through.events), (1, 1));
    assert_eq!(
        (n.others.contacts, n.others.events),
        (2, 1),
        "Bob and Cy; Dee did not exist yet"
    );
}
