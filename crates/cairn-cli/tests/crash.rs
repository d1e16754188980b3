//! The crash test: the real `cairn run` process over a prepared workload,
//! killed with SIGKILL at random moments and restarted each time.
//!
//! Afterwards: no event is lost (all processed), no internal action happened
//! twice (tag events are counted), every run ends exactly as in an
//! uninterrupted reference run, and no outbox entry is lost (every webhook
//! was delivered; any duplicate delivery is one the step log flags).
//!
//! Kill points are chosen by progress, not by time: the process prints one
//! line per committed change, and the test kills it after a random number of
//! lines (sometimes zero, i.e. during start-up). `CAIRN_CRASH_KILLS=5000`
//! runs the long mode.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration as StdDuration;

use cairn_engine::{Engine, SendOutcome};
use cairn_model::event::NewEvent;
use cairn_model::{Clock, VirtualClock};
use cairn_store::Store;
use cairn_store::runs::RunQuery;
use cairn_store::workflows::WorkflowStatus;
use chrono::{TimeZone, Utc};
use rand::{Rng, SeedableRng};
use serde_json::json;

const CONTACTS: usize = 120;

fn workflows(hook: &str) -> Vec<String> {
    let main = json!({
        "format": "cairn.workflow", "version": 1, "name": "Crash",
        "nodes": [
            {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.event", "config": {"event_type": "go"}},
            {"id": "a", "position": {"x": 0, "y": 0}, "kind": "action.add_tag", "config": {"tag": "a"}},
            {"id": "w", "position": {"x": 0, "y": 0}, "kind": "wait.duration", "config": {"duration": "1s"}},
            {"id": "c", "position": {"x": 0, "y": 0}, "kind": "condition", "config": {"condition": {"payload": {"path": "v", "op": "eq", "value": 1}}}},
            {"id": "h", "position": {"x": 0, "y": 0}, "kind": "action.webhook", "config": {"url": hook, "body": "{\"email\": {{ contact.email }}}"}},
            {"id": "b", "position": {"x": 0, "y": 0}, "kind": "action.add_tag", "config": {"tag": "b"}},
            {"id": "n", "position": {"x": 0, "y": 0}, "kind": "action.add_tag", "config": {"tag": "c"}}
        ],
        "edges": [
            {"from": "t", "exit": "next", "to": "a"}, {"from": "a", "exit": "next", "to": "w"},
            {"from": "w", "exit": "next", "to": "c"}, {"from": "c", "exit": "yes", "to": "h"},
            {"from": "h", "exit": "next", "to": "b"}, {"from": "c", "exit": "no", "to": "n"}
        ]
    });
    let chained = json!({
        "format": "cairn.workflow", "version": 1, "name": "Chained",
        "nodes": [
            {"id": "t", "position": {"x": 0, "y": 0}, "kind": "trigger.tag_added", "config": {"tag": "b"}},
            {"id": "d", "position": {"x": 0, "y": 0}, "kind": "action.add_tag", "config": {"tag": "d"}}
        ],
        "edges": [{"from": "t", "exit": "next", "to": "d"}]
    });
    vec![main.to_string(), chained.to_string()]
}

/// Prepares a database with the workflows, the contacts and their events.
fn prepare(path: &Path, hook: &str, now: chrono::DateTime<Utc>) {
    let mut s = Store::open(path).unwrap();
    for w in workflows(hook) {
        let out = s.import_workflow(&w, false, now).unwrap();
        s.set_workflow_status(&out.name, WorkflowStatus::Active, now)
            .unwrap();
    }
    let evs: Vec<NewEvent> = (0..CONTACTS)
        .map(|i| NewEvent {
            event_type: "go".into(),
            contact_email: Some(format!("c{i}@x.com")),
            payload: json!({"v": i % 2}),
            occurred_at: now,
            source: "crash-test".into(),
            external_id: Some(format!("go-{i}")),
        })
        .collect();
    s.emit_batch(&evs, now).unwrap();
}

/// Starts `cairn run`; its stdout lines (one per committed change) arrive
/// on the returned channel.
fn spawn(db: &Path) -> (Child, mpsc::Receiver<String>) {
    spawn_with_secrets(db, None)
}

/// `cairn run` over `db`; `secrets` is the 0600 secrets file its vault
/// reads (course platform keys), when the workload needs one.
fn spawn_with_secrets(db: &Path, secrets: Option<&Path>) -> (Child, mpsc::Receiver<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cairn"));
    if let Some(f) = secrets {
        cmd.env("CAIRN_SECRETS_FILE", f);
    }
    let mut child = cmd
        .args(["--db", db.to_str().unwrap(), "--json", "run"])
        .env_remove("CAIRN_NOW")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cairn run starts");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(l) = line else { break };
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Waits for the next change line. `None` when the process has gone quiet
/// for a while (an idle executor prints nothing) or exited.
fn next_line(rx: &mpsc::Receiver<String>) -> Option<String> {
    rx.recv_timeout(StdDuration::from_secs(3)).ok()
}

fn open_work(db: &Path) -> i64 {
    let s = Store::open(db).unwrap();
    s.conn()
        .query_row(
            "SELECT (SELECT COUNT(*) FROM runs WHERE status IN ('running', 'waiting'))
                  + (SELECT COUNT(*) FROM events WHERE processed_at IS NULL)
                  + (SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending'))",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

/// (workflow, contact) → step trail, for comparing outcomes.
fn trails(path: &Path) -> BTreeMap<(String, String), Vec<String>> {
    let s = Store::open(path).unwrap();
    let mut out = BTreeMap::new();
    for r in s.runs(&RunQuery::default()).unwrap() {
        let steps: Vec<String> = s
            .steps(r.id)
            .unwrap()
            .into_iter()
            .map(|st| {
                format!(
                    "{}:{}:{}",
                    st.node_id,
                    st.status.as_str(),
                    st.exit.unwrap_or_default()
                )
            })
            .collect();
        let prev = out.insert((r.workflow.clone(), r.contact_email.clone()), steps);
        assert!(
            prev.is_none(),
            "two runs of {} for {}",
            r.workflow,
            r.contact_email
        );
    }
    out
}

/// The same workload, uninterrupted, in process on a virtual clock.
fn reference(dir: &Path, hook: &str) -> BTreeMap<(String, String), Vec<String>> {
    let path = dir.join("reference.db");
    let clock = VirtualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap());
    prepare(&path, hook, clock.now());
    let mut e = Engine::new(Store::open(&path).unwrap());
    for _ in 0..20 {
        e.tick(clock.now()).unwrap();
        loop {
            let due = e.take_due(clock.now(), 100).unwrap();
            if due.is_empty() {
                break;
            }
            for d in due {
                e.record_outcome(d.id, &SendOutcome::Sent { detail: None }, clock.now())
                    .unwrap();
            }
            e.tick(clock.now()).unwrap();
        }
        clock.advance(chrono::Duration::seconds(1));
    }
    trails(&path)
}

#[test]
fn sigkill_at_random_moments_loses_and_doubles_nothing() {
    let kills: usize = std::env::var("CAIRN_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(wiremock::MockServer::start());
    rt.block_on(
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .respond_with(wiremock::ResponseTemplate::new(200))
            .mount(&server),
    );
    let hook = format!("{}/hook", server.uri());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cairn.db");
    prepare(&db, &hook, Utc::now());
    let expected = reference(dir.path(), &hook);

    let mut rng = rand::rngs::StdRng::seed_from_u64(kills as u64);
    let mut killed = 0;
    while killed < kills {
        let (mut child, lines) = spawn(&db);
        let stop_after: usize = if rng.random_bool(0.1) {
            0
        } else {
            rng.random_range(1..40)
        };
        let mut seen = 0;
        // Once the work is done the process goes quiet: then kill it at once.
        while seen < stop_after && open_work(&db) > 0 && next_line(&lines).is_some() {
            seen += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        killed += 1;
    }
    // Let it finish in peace: until the work is done and the process is quiet.
    let (mut child, lines) = spawn(&db);
    let deadline = std::time::Instant::now() + StdDuration::from_secs(180);
    while open_work(&db) > 0 && std::time::Instant::now() < deadline {
        next_line(&lines);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(open_work(&db), 0, "all work finished");

    let s = Store::open(&db).unwrap();
    let q = |sql: &str| -> i64 { s.conn().query_row(sql, [], |r| r.get(0)).unwrap() };
    // No event lost.
    assert_eq!(
        q("SELECT COUNT(*) FROM events WHERE type = 'go'"),
        CONTACTS as i64
    );
    assert_eq!(
        q("SELECT COUNT(*) FROM events WHERE processed_at IS NULL"),
        0
    );
    // No internal action twice: one tag event per tag and contact.
    let per_tag = q(
        "SELECT COUNT(*) FROM (SELECT contact_id, payload FROM events WHERE type = 'tag.added' GROUP BY contact_id, payload HAVING COUNT(*) > 1)",
    );
    assert_eq!(per_tag, 0, "a tag was added twice");
    let half = (CONTACTS / 2) as i64;
    assert_eq!(
        q("SELECT COUNT(*) FROM events WHERE type = 'tag.added'"),
        CONTACTS as i64 + half * 3
    );
    // Every run ends as in the reference run.
    assert_eq!(trails(&db), expected);
    // No outbox entry lost; every delivery beyond one per entry is flagged.
    assert_eq!(q("SELECT COUNT(*) FROM outbox WHERE status = 'sent'"), half);
    let requests = rt.block_on(server.received_requests()).unwrap();
    let mut per_key: BTreeMap<String, usize> = BTreeMap::new();
    for r in &requests {
        let key = r
            .headers
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap().to_string())
            .expect("Idempotency-Key header");
        *per_key.entry(key).or_default() += 1;
    }
    assert_eq!(per_key.len() as i64, half, "every entry reached the server");
    for (key, n) in per_key {
        if n > 1 {
            let flagged: bool = s
                .conn()
                .query_row(
                    "SELECT possibly_duplicated FROM outbox WHERE idempotency_key = ?1",
                    [&key],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(
                flagged,
                "{key} was delivered {n} times but not flagged possibly duplicated"
            );
        }
    }
    eprintln!("{killed} kills");
}

/// The outbox row of the course effect: (status, possibly_duplicated).
fn course_entry(db: &Path) -> Option<(String, bool)> {
    let s = Store::open(db).unwrap();
    s.conn()
        .query_row(
            "SELECT status, possibly_duplicated FROM outbox WHERE kind = 'course'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok()
}

/// Waits for `cond` with a deadline (checking every 20 ms); the wait is for
/// another process, not for time to pass.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + StdDuration::from_secs(60);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(StdDuration::from_millis(20));
    }
}

#[test]
fn sigkill_between_an_enrollment_and_its_record_enrolls_the_buyer_once() {
    use cairn_connectors::SourceSettings;
    use cairn_connectors::testing::{FakeThinkific, THINKIFIC_KEY, THINKIFIC_SUBDOMAIN};
    use cairn_model::Sensitive;
    use cairn_model::account::AccountKind;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let school = rt.block_on(FakeThinkific::start());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cairn.db");
    let secrets = dir.path().join("secrets.json");
    let now = Utc::now();
    {
        let mut s = Store::open(&db).unwrap();
        let template = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/templates/post-purchase.json"),
        )
        .unwrap();
        let vault = cairn_effects::Vault::secrets_file(&secrets).unwrap();
        // The template's other accounts. Its receipt goes to a closed
        // loopback port and waits there (unreachable: kept queued), so the
        // run never gets as far as Slack and nothing leaves the machine.
        use cairn_effects::accounts;
        let smtp = accounts::smtp_settings(
            "127.0.0.1",
            1,
            cairn_effects::settings::SmtpSecurity::None,
            "Coach <coach@example.com>",
        );
        accounts::add_smtp(&mut s, &vault, "Email", smtp, None, now).unwrap();
        accounts::add_slack(
            &mut s,
            &vault,
            "Team Slack",
            Sensitive::new("https://hooks.slack.com/services/T0/B0/crashtest".into()),
            now,
        )
        .unwrap();
        let settings = SourceSettings::parse(
            AccountKind::Thinkific,
            &json!({"subdomain": THINKIFIC_SUBDOMAIN, "base_url": school.uri()}),
            "School",
        )
        .unwrap();
        cairn_connectors::accounts::add(
            &mut s,
            &vault,
            "School",
            &settings,
            None,
            Some(Sensitive::new(THINKIFIC_KEY.to_string())),
            now,
        )
        .unwrap();
        s.link_course("Program A", Some(("School", "8801")), now)
            .unwrap();
        let out = s.import_workflow(&template, false, now).unwrap();
        s.set_workflow_status(&out.name, WorkflowStatus::Active, now)
            .unwrap();
        s.emit(
            &NewEvent {
                event_type: "purchase.completed".into(),
                contact_email: Some("buyer@example.com".into()),
                payload: json!({"product": "Program A", "amount": 497, "order_id": "o-1"}),
                occurred_at: now,
                source: "crash-test".into(),
                external_id: Some("purchase-1".into()),
            },
            now,
        )
        .unwrap();
    }

    // The school takes the enrollment and does not answer: kill -9 then,
    // between the send and its record.
    school.hold_enrollments(true);
    let (mut child, _lines) = spawn_with_secrets(&db, Some(&secrets));
    wait_for("the enrollment to reach the school", || {
        school.posted_enrollments() == 1
    });
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        course_entry(&db),
        Some(("sending".to_string(), false)),
        "killed after the send, before its record"
    );
    assert_eq!(
        school.enrollments().len(),
        1,
        "the school has the enrollment"
    );

    // Restarted, the interrupted entry is sent again: the school already
    // has the enrollment, so nothing is posted twice.
    school.hold_enrollments(false);
    let (mut child, _lines) = spawn_with_secrets(&db, Some(&secrets));
    wait_for("the enrollment to be recorded", || {
        course_entry(&db).is_some_and(|(status, _)| status == "sent")
    });
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(school.posted_enrollments(), 1, "one POST /enrollments");
    assert_eq!(school.users().len(), 1, "one user, made by email");
    let enrollments = school.enrollments();
    assert_eq!(enrollments.len(), 1, "enrolled exactly once");
    assert_eq!(enrollments[0].course_id, 8801);
    assert_eq!(course_entry(&db), Some(("sent".to_string(), true)));

    let s = Store::open(&db).unwrap();
    let buyer = s.contact_by_email("buyer@example.com").unwrap().unwrap();
    // The local row: enrolled once (one course.enrolled event), with the
    // platform's ids.
    let enrolled: i64 = s
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM events WHERE type = 'course.enrolled' AND contact_id = ?1",
            [buyer.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(enrolled, 1);
    assert_eq!(
        s.platform_ids(buyer.id, "Program A").unwrap(),
        Some((
            Some(school.users()[0].id.to_string()),
            Some(enrollments[0].id.to_string())
        ))
    );
    // The step shows the platform's answer and says it may have gone twice.
    let run = &s.runs(&RunQuery::default()).unwrap()[0];
    let access = s
        .steps(run.id)
        .unwrap()
        .into_iter()
        .find(|st| st.node_id == "access")
        .expect("the access step");
    assert_eq!(access.status.as_str(), "ok", "{:?}", access.detail);
    let response = access.detail["response"].as_str().unwrap_or_default();
    assert!(
        response.starts_with("Thinkific: already enrolled, enrollment "),
        "{}",
        access.detail
    );
    assert_eq!(
        access.detail["possibly_duplicated"], true,
        "{}",
        access.detail
    );
}
