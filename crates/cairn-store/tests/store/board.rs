//! The pipeline board: editing pipelines and stages, the board's deal
//! query with its filters, and moving a deal through the contact page's path.

use cairn_store::board::BoardQuery;
use cairn_store::contacts::ContactInput;
use cairn_store::{Store, StoreError};
use chrono::Duration;

use crate::common::{events_of_type, fresh, t0};

fn stages(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// A contact with a name and tags, and one deal of `pipeline` at `stage`.
fn deal(s: &mut Store, email: &str, name: &str, tags: &[&str], stage: &str, title: &str) -> i64 {
    let c = s
        .add_contact(
            &ContactInput {
                email: email.into(),
                name: Some(name.into()),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            },
            t0(),
        )
        .unwrap();
    s.write(|tx| {
        cairn_store::deals::create_deal_using(tx, c.id, "Sales", stage, title, Some(100.0), t0())
    })
    .unwrap()
}

fn sales(s: &mut Store) {
    s.add_pipeline("Sales", &stages(&["Lead", "Call", "Won"]), t0())
        .unwrap();
}

#[test]
fn pipelines_are_created_renamed_and_their_stages_reordered() {
    let (_d, mut s) = fresh();
    let p = s
        .add_pipeline(" Sales ", &stages(&["Lead", "Call", "Won"]), t0())
        .unwrap();
    assert_eq!((p.name.as_str(), p.stages.len()), ("Sales", 3));
    let dup = s.add_pipeline("sales", &[], t0()).unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup}");

    let p = s.rename_pipeline("Sales", "Coaching").unwrap();
    assert_eq!(p.name, "Coaching");
    assert!(matches!(
        s.rename_pipeline("Sales", "X").unwrap_err(),
        StoreError::NotFound { .. }
    ));

    let p = s.add_stage("Coaching", "Proposal", t0()).unwrap();
    assert_eq!(p.stages, stages(&["Lead", "Call", "Won", "Proposal"]));
    let p = s.move_stage("Coaching", "Proposal", 2).unwrap();
    assert_eq!(p.stages, stages(&["Lead", "Call", "Proposal", "Won"]));
    let p = s.move_stage("Coaching", "lead", 99).unwrap();
    assert_eq!(p.stages, stages(&["Call", "Proposal", "Won", "Lead"]));
    let p = s
        .rename_stage("Coaching", "Call", "Discovery call")
        .unwrap();
    assert_eq!(
        p.stages,
        stages(&["Discovery call", "Proposal", "Won", "Lead"])
    );
    assert!(matches!(
        s.rename_stage("Coaching", "Won", "proposal").unwrap_err(),
        StoreError::Conflict(_)
    ));
    assert!(matches!(
        s.add_stage("Coaching", "WON", t0()).unwrap_err(),
        StoreError::Conflict(_)
    ));
    let bad = s.rename_pipeline("Coaching", "Sales\nX").unwrap_err();
    assert!(bad.to_string().contains("control character"), "{bad}");
    assert!(s.add_pipeline("  ", &[], t0()).is_err());
}

#[test]
fn a_stage_in_use_is_not_deleted_until_its_deals_move() {
    let (_d, mut s) = fresh();
    sales(&mut s);
    let id = deal(&mut s, "a@x.test", "Ann", &[], "Call", "Coaching");
    let err = s.delete_stage("Sales", "Call").unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    assert!(
        err.to_string()
            .contains("holds 1 deal; move them to another stage"),
        "{err}"
    );
    s.set_deal_stage(id, "Lead", t0()).unwrap();
    let p = s.delete_stage("Sales", "Call").unwrap();
    assert_eq!(p.stages, stages(&["Lead", "Won"]));
    // Positions stay dense: a new stage lands last.
    let p = s.add_stage("Sales", "Lost", t0()).unwrap();
    assert_eq!(p.stages, stages(&["Lead", "Won", "Lost"]));
}

#[test]
fn the_board_lists_deals_in_stage_order_with_filters() {
    let (_d, mut s) = fresh();
    sales(&mut s);
    s.add_pipeline("Other", &stages(&["Open"]), t0()).unwrap();
    let won = deal(&mut s, "ann@x.test", "Ann", &["vip"], "Won", "Mentoring");
    let call = deal(&mut s, "bob@x.test", "Bob", &[], "Call", "Course 50%_off");
    let lead = deal(&mut s, "cy@x.test", "Cy", &["vip"], "Lead", "Workshop");

    let all = s
        .board_deals(&BoardQuery {
            pipeline: Some("sales".into()),
            ..Default::default()
        })
        .unwrap();
    let ids: Vec<i64> = all.iter().map(|d| d.id).collect();
    assert_eq!(ids, vec![lead, call, won], "stage order");
    assert_eq!(all[2].contact_name.as_deref(), Some("Ann"));
    assert_eq!(all[2].contact_email, "ann@x.test");
    assert_eq!(all[2].stage_since, t0());

    let q = |stage: Option<&str>, tag: Option<&str>, search: Option<&str>| BoardQuery {
        pipeline: Some("Sales".into()),
        stage: stage.map(Into::into),
        tag: tag.map(Into::into),
        search: search.map(Into::into),
    };
    let ids =
        |q: BoardQuery| -> Vec<i64> { s.board_deals(&q).unwrap().iter().map(|d| d.id).collect() };
    assert_eq!(ids(q(Some("won"), None, None)), vec![won]);
    assert_eq!(ids(q(None, Some("VIP"), None)), vec![lead, won]);
    // Within a stage, the latest to arrive first.
    let late = s
        .write(|tx| {
            cairn_store::deals::create_deal_using(
                tx,
                1,
                "Sales",
                "Won",
                "Late",
                None,
                t0() + Duration::hours(1),
            )
        })
        .unwrap();
    let ids =
        |q: BoardQuery| -> Vec<i64> { s.board_deals(&q).unwrap().iter().map(|d| d.id).collect() };
    assert_eq!(ids(q(Some("Won"), None, None)), vec![late, won]);
    assert_eq!(ids(q(None, None, Some("BOB"))), vec![call], "by name");
    assert_eq!(ids(q(None, None, Some("workshop"))), vec![lead], "by title");
    // LIKE wildcards are literal: "%_" matches only the title that has them.
    assert_eq!(ids(q(None, None, Some("%_"))), vec![call]);
    assert_eq!(ids(q(None, Some("vip"), Some("ann"))), vec![late, won]);

    assert!(matches!(
        s.board_deals(&q(Some("Nope"), None, None)).unwrap_err(),
        StoreError::NotFound { what: "stage", .. }
    ));
    assert!(matches!(
        s.board_deals(&BoardQuery {
            pipeline: Some("Missing".into()),
            ..Default::default()
        })
        .unwrap_err(),
        StoreError::NotFound {
            what: "pipeline",
            ..
        }
    ));
    assert!(
        s.board_deals(&BoardQuery {
            stage: Some("Won".into()),
            ..Default::default()
        })
        .is_err(),
        "a stage without its pipeline is ambiguous"
    );
}

#[test]
fn moving_a_deal_records_the_stage_change_and_restarts_days_in_stage() {
    let (_d, mut s) = fresh();
    sales(&mut s);
    let id = deal(&mut s, "ann@x.test", "Ann", &[], "Lead", "Mentoring");
    let later = t0() + Duration::days(3);
    s.set_deal_stage(id, "Won", later).unwrap();
    let d = &s.board_deals(&BoardQuery::default()).unwrap()[0];
    assert_eq!((d.stage.as_str(), d.stage_since), ("Won", later));
    let evs = events_of_type(&s, "deal.stage_changed");
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].1["stage"], "Won");
    assert_eq!(evs[0].1["old_stage"], "Lead");
    assert_eq!(evs[0].1["deal_id"], id);
}

#[test]
fn ten_thousand_deals_are_read_in_one_query() {
    let (_d, mut s) = fresh();
    sales(&mut s);
    s.write(|tx| {
        for i in 0..10_000 {
            tx.execute(
                "INSERT INTO contacts (email, email_key, created_at, updated_at) VALUES (?1, ?1, 0, 0)",
                [format!("c{i}@x.test")],
            )?;
            let c = tx.last_insert_rowid();
            cairn_store::deals::create_deal_using(tx, c, "Sales", ["Lead", "Call", "Won"][i % 3], "Deal", Some(1.0), t0())?;
        }
        Ok::<_, StoreError>(())
    })
    .unwrap();
    let all = s
        .board_deals(&BoardQuery {
            pipeline: Some("Sales".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 10_000);
    assert_eq!(all.iter().filter(|d| d.stage == "Won").count(), 3333);
}

/// A workflow that moves deals of `pipeline` to `stage` when a deal of it
/// enters `trigger_stage`.
fn deal_flow(s: &mut Store, name: &str, pipeline: &str, trigger_stage: Option<&str>, stage: &str) {
    let mut trigger = serde_json::json!({"pipeline": pipeline});
    if let Some(t) = trigger_stage {
        trigger["stage"] = t.into();
    }
    let text = serde_json::json!({"format": "cairn.workflow", "version": 1, "name": name, "nodes": [
        {"id": "start", "position": {"x": 0, "y": 0}, "kind": "trigger.deal_stage_changed", "config": trigger},
        {"id": "move", "position": {"x": 0, "y": 100}, "kind": "action.move_deal",
         "config": {"pipeline": pipeline, "stage": stage}}],
        "edges": [{"from": "start", "to": "move"}]});
    s.import_workflow(&text.to_string(), false, t0()).unwrap();
}

#[test]
fn the_workflows_naming_each_stage_are_listed_even_after_a_rename() {
    let (_d, mut s) = fresh();
    sales(&mut s);
    s.add_pipeline("Support", &stages(&["Open"]), t0()).unwrap();
    deal_flow(&mut s, "Follow up", "Sales", Some("Call"), "Won");
    // Names compare as the database does: "won" is the stage "Won".
    deal_flow(&mut s, "Upsell", "sales", None, "won");
    deal_flow(&mut s, "Tickets", "Support", Some("Open"), "Open");

    let uses = |s: &Store| {
        s.pipeline_usage("Sales")
            .unwrap()
            .into_iter()
            .map(|u| (u.stage, u.workflows))
            .collect::<Vec<_>>()
    };
    let named = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        uses(&s),
        vec![
            (Some("Call".to_string()), named(&["Follow up"])),
            (Some("Won".to_string()), named(&["Follow up", "Upsell"])),
            (None, named(&["Upsell"])),
        ]
    );

    // After a rename the workflows still name "Won", which no stage is now:
    // the screen shows them beside no stage, as a warning.
    let p = s.rename_stage("Sales", "Won", "Closed won").unwrap();
    assert!(!p.stages.iter().any(|st| st == "Won"), "{p:?}");
    assert!(
        uses(&s).contains(&(Some("Won".to_string()), named(&["Follow up", "Upsell"]))),
        "{:?}",
        uses(&s)
    );
    assert!(s.pipeline_usage("Nowhere").unwrap().is_empty());
}
