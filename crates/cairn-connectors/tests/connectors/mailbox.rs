//! The sending mailbox against a real IMAP server: Dovecot from the
//! distribution's packages (`dovecot-imapd`), started by the test with its
//! own configuration in a temporary folder, on loopback. The test appends
//! what a coach's inbox receives — a mailto unsubscribe with the contact's
//! token, one with a forged token, a hard bounce (RFC 3464) matched by the
//! returned Message-ID, a soft bounce known only by its recipient, an abuse
//! report (ARF, RFC 5965), a reply, an out-of-office answer and ordinary
//! mail — and checks the events, the contacts, the flags, and that reading
//! again changes nothing.

// Dovecot from the distribution's packages, Unix users and permissions:
// Linux only.
#![cfg(target_os = "linux")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use cairn_connectors::SyncOutcome;
use cairn_connectors::mailbox::PROCESSED_KEYWORD;
use cairn_engine::Engine;
use cairn_model::Sensitive;
use cairn_model::account::AccountKind;
use cairn_model::effect::Effect;
use cairn_model::event::NewEvent;
use cairn_store::Store;
use cairn_store::workflows::WorkflowStatus;
use futures_util::TryStreamExt;
use serde_json::{Value, json};

use crate::common::*;

const USER: &str = "coach@coach.test";
const PASSWORD: &str = "imap-pw-0123456789";

/// A Dovecot of the test's own, killed (by its PID) when dropped.
struct Dovecot {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dovecot_binary() -> PathBuf {
    for p in ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "dovecot is not installed: `apt-get install dovecot-imapd` (scripts/lib/setup.sh installs it)"
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

impl Dovecot {
    fn start() -> Dovecot {
        let bin = dovecot_binary();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let run_as = current_user();
        // imap-login refuses to run as root: as root the server's own
        // unprivileged users serve, as anyone else that user does.
        let (internal, login, mail_user) = if run_as == "root" {
            ("dovecot", "dovenull", "dovecot")
        } else {
            (run_as.as_str(), run_as.as_str(), run_as.as_str())
        };
        let home = root.join("home");
        std::fs::create_dir_all(home.join("Maildir")).unwrap();
        for d in ["run", "state"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        if run_as == "root" {
            let st = Command::new("chown")
                .args(["-R", "dovecot:dovecot"])
                .arg(&home)
                .status()
                .unwrap();
            assert!(st.success());
        }
        let users = root.join("users");
        std::fs::write(
            &users,
            format!("{USER}:{{PLAIN}}{PASSWORD}::::{}::\n", home.display()),
        )
        .unwrap();
        std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o644)).unwrap();
        let port = free_port();
        let conf = root.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                r#"protocols = imap
listen = 127.0.0.1
base_dir = {run}
state_dir = {state}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
mail_uid = {mail_user}
mail_gid = {mail_user}
first_valid_uid = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"#,
                run = root.join("run").display(),
                state = root.join("state").display(),
                root = root.display(),
                users = users.display(),
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .arg("-F")
            .spawn()
            .unwrap();
        let mut d = Dovecot {
            child,
            port,
            _dir: dir,
        };
        // Ready when it accepts connections (a startup wait, not logic
        // under test).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if let Ok(Some(st)) = d.child.try_wait() {
                let log =
                    std::fs::read_to_string(d._dir.path().join("dovecot.log")).unwrap_or_default();
                panic!("dovecot exited ({st}): {log}");
            }
            assert!(Instant::now() < deadline, "dovecot did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        d
    }

    async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap().unwrap();
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }

    /// Delivers messages the way the mail server would: APPEND to INBOX.
    async fn append(&self, messages: &[String]) {
        let mut s = self.session().await;
        for m in messages {
            s.append("INBOX", None, None, m.replace('\n', "\r\n"))
                .await
                .unwrap();
        }
        s.logout().await.unwrap();
    }

    /// Every message's UID and flags.
    async fn flags(&self) -> Vec<(u32, Vec<String>)> {
        let mut s = self.session().await;
        s.select("INBOX").await.unwrap();
        let mut out: Vec<(u32, Vec<String>)> = s
            .uid_fetch("1:*", "(UID FLAGS)")
            .await
            .unwrap()
            .map_ok(|f| {
                (
                    f.uid.unwrap(),
                    f.flags().map(|fl| format!("{fl:?}")).collect(),
                )
            })
            .try_collect()
            .await
            .unwrap();
        s.logout().await.unwrap();
        out.sort();
        out
    }
}

fn node(id: &str, kind: &str, config: Value) -> Value {
    json!({"id": id, "position": {"x": 0, "y": 0}, "kind": kind, "config": config})
}

fn workflow(name: &str, nodes: Vec<Value>, edges: Vec<(&str, &str)>, extra: Value) -> String {
    let mut w = json!({
        "format": "cairn.workflow",
        "version": 1,
        "name": name,
        "nodes": nodes,
        "edges": edges.iter().map(|(a, b)| json!({"from": a, "exit": "next", "to": b})).collect::<Vec<_>>(),
    });
    if let (Some(w), Value::Object(extra)) = (w.as_object_mut(), extra) {
        w.extend(extra);
    }
    w.to_string()
}

const CONTACTS: [&str; 5] = [
    "ada@example.com",
    "cy@example.com",
    "dee@example.com",
    "eve@example.com",
    "fay@example.com",
];

/// The SMTP account "Mail", paired with the Dovecot mailbox; "welcome" sent
/// to every contact through the real engine (so the outbox holds real
/// Message-IDs and unsubscribe links); a workflow on "email replied".
/// Returns each contact's (Message-ID, List-Unsubscribe).
fn queue_welcome_mail(b: &mut Bench, port: u16) -> Vec<(String, String)> {
    let now = b.now();
    b.store
        .add_account(
            "Mail",
            AccountKind::Smtp,
            &json!({
                "host": "127.0.0.1", "port": 2525, "security": "none",
                "from": format!("Coach <{USER}>"),
                "imap": {"host": "127.0.0.1", "port": port, "security": "none", "username": USER},
            }),
            None,
            now,
        )
        .unwrap();
    b.vault
        .set("Mail", &Sensitive::new(PASSWORD.to_string()))
        .unwrap();
    let welcome = workflow(
        "Welcome",
        vec![
            node("t", "trigger.event", json!({"event_type": "go"})),
            node(
                "e",
                "action.send_email",
                json!({"template": "welcome", "account": "Mail"}),
            ),
        ],
        vec![("t", "e")],
        json!({"email_templates": [{"name": "welcome", "subject": "Welcome", "body": "Hello! [Unsubscribe]({{ unsubscribe_url }})"}]}),
    );
    let replied = workflow(
        "Answered",
        vec![
            node("t", "trigger.email_replied", json!({"email": "welcome"})),
            node("a", "action.add_tag", json!({"tag": "answered"})),
        ],
        vec![("t", "a")],
        json!({}),
    );
    for w in [welcome, replied] {
        let out = b.store.import_workflow(&w, false, now).unwrap();
        b.store
            .set_workflow_status(&out.name, WorkflowStatus::Active, now)
            .unwrap();
    }
    for e in CONTACTS {
        b.store
            .emit(
                &NewEvent {
                    event_type: "go".into(),
                    contact_email: Some(e.into()),
                    payload: json!({}),
                    occurred_at: now,
                    source: "test".into(),
                    external_id: None,
                },
                now,
            )
            .unwrap();
    }
    let mut engine = Engine::new(Store::open(&b.path).unwrap());
    while engine.tick(now).unwrap().more {}
    let rows = b.store.outbox(true, 100).unwrap();
    CONTACTS
        .iter()
        .map(|e| {
            rows.iter()
                .find_map(|r| match &r.effect {
                    Effect::Email(m) if m.to == *e => Some((
                        m.message_id.clone(),
                        m.list_unsubscribe.clone().unwrap_or_default(),
                    )),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("no email queued for {e}"))
        })
        .collect()
}

/// The subject a mail client puts on a reply to the mailto link.
fn mailto_subject(link: &str) -> String {
    let q = link.split_once("?subject=").unwrap().1;
    q.replace("%20", " ")
}

fn hard_bounce(to: &str, message_id: &str) -> String {
    format!(
        r#"From: Mail Delivery System <MAILER-DAEMON@mx.coach.test>
To: {USER}
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.coach.test>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY-1"

--BOUNDARY-1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--BOUNDARY-1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.coach.test
Arrival-Date: Mon, 2 Mar 2026 09:00:00 +0000

Final-Recipient: rfc822; {to}
Original-Recipient: rfc822;{to}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{to}>: Recipient address rejected: User unknown <script>alert(1)</script>

--BOUNDARY-1
Content-Type: text/rfc822-headers

From: Coach <{USER}>
To: {to}
Subject: Welcome
Message-ID: {message_id}

--BOUNDARY-1--
"#
    )
}

/// A deferral known only by its recipient (no returned headers).
fn soft_bounce(to: &str) -> String {
    format!(
        r#"From: MAILER-DAEMON@mx.coach.test
To: {USER}
Subject: Delayed Mail (still being retried)
Message-ID: <delay-1@mx.coach.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type="delivery-status"; boundary="B2"

--B2
Content-Type: text/plain

Your message is delayed.

--B2
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.coach.test

Final-Recipient: rfc822; {to}
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--B2--
"#
    )
}

fn complaint(to: &str, message_id: &str) -> String {
    format!(
        r#"From: <abuse@mailbox-provider.example>
To: {USER}
Subject: FW: Welcome
Message-ID: <arf-1@mailbox-provider.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"

This is an email abuse report for an email message received from IP
192.0.2.1 on Mon, 2 Mar 2026 09:05:00 +0000.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <{USER}>
Original-Rcpt-To: <{to}>
Arrival-Date: Mon, 2 Mar 2026 09:00:00 +0000
Reported-Domain: coach.test

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

From: Coach <{USER}>
To: {to}
Subject: Welcome
Message-ID: {message_id}
Date: Mon, 2 Mar 2026 08:00:00 +0000

Hello!

--part1_13d.2e68ed54_boundary--
"#
    )
}

fn reply(from: &str, in_reply_to: &str) -> String {
    format!(
        "From: Dee <{from}>\nTo: {USER}\nSubject: Re: Welcome\nMessage-ID: <reply-1@example.com>\nIn-Reply-To: {in_reply_to}\nReferences: <older@example.com> {in_reply_to}\n\nThanks, when does the program start?\n"
    )
}

#[tokio::test]
async fn unsubscribes_bounces_complaints_and_replies_are_read_from_the_sending_mailbox() {
    let dovecot = Dovecot::start();
    let mut b = Bench::new();
    let sent = queue_welcome_mail(&mut b, dovecot.port);
    let (ada, cy, dee, eve, fay) = (&sent[0], &sent[1], &sent[2], &sent[3], &sent[4]);
    // Each link carries its contact's own token.
    assert!(
        ada.1
            .starts_with(&format!("mailto:{USER}?subject=unsubscribe%20"))
    );
    assert_ne!(ada.1, cy.1);

    dovecot
        .append(&[
            // 1. Ada's mail client answers the List-Unsubscribe mailto.
            format!(
                "From: ada@example.com\nTo: {USER}\nSubject: {}\nMessage-ID: <unsub-ada@example.com>\n\nThis message was automatically generated by Gmail.\n",
                mailto_subject(&ada.1)
            ),
            // 2. Someone sends eve's address with Ada's token, and one with
            //    a made-up token: neither unsubscribes anybody.
            format!(
                "From: eve@example.com\nTo: {USER}\nSubject: {}\nMessage-ID: <forged-1@example.com>\n\nx\n",
                mailto_subject(&ada.1)
            ),
            format!(
                "From: eve@example.com\nTo: {USER}\nSubject: unsubscribe 0123456789abcdef0123456789abcdef\nMessage-ID: <forged-2@example.com>\n\nx\n"
            ),
            // 3. Cy's address does not exist.
            hard_bounce("cy@example.com", &cy.0),
            // 4. Dee's mailbox is full (a deferral), then Dee answers.
            soft_bounce("dee@example.com"),
            reply("dee@example.com", &dee.0),
            // 5. Fay marks the welcome as spam.
            complaint("fay@example.com", &fay.0),
            // 6. Eve is away; and ordinary mail for the coach.
            format!(
                "From: eve@example.com\nTo: {USER}\nSubject: Out of office\nAuto-Submitted: auto-replied\nIn-Reply-To: {}\nMessage-ID: <ooo@example.com>\n\nBack Monday.\n",
                eve.0
            ),
            format!(
                "From: friend@example.org\nTo: {USER}\nSubject: Lunch?\nMessage-ID: <lunch@example.org>\n\nTomorrow?\n"
            ),
        ])
        .await;

    b.clock.set(at(10, 0, 0));
    let r = b.sync("Mail").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!(r.new, 5, "{r:?}");
    assert_eq!(
        r.ignored, 3,
        "two forged unsubscribes, the away notice: {:?}",
        r.notes
    );
    assert!(
        r.notes.iter().any(|n| n.contains("not eve@example.com's")),
        "{:?}",
        r.notes
    );

    let evs = b.events("smtp:mail");
    let id = |email: &str| b.store.contact_by_email(email).unwrap().map(|c| c.id);
    let find = |t: &str, email: &str| {
        evs.iter()
            .find(|e| e.event_type == t && e.contact_id == id(email))
            .unwrap_or_else(|| panic!("no {t} for {email}: {evs:?}"))
            .clone()
    };
    let unsub = find("contact.unsubscribed", "ada@example.com");
    assert_eq!(unsub.payload["via"], "mailto");

    let hard = find("email.bounced", "cy@example.com");
    assert_eq!(hard.payload["bounce"], "hard");
    assert_eq!(hard.payload["status"], "5.1.1");
    assert_eq!(hard.payload["email"], "welcome", "matched to the send");
    assert_eq!(hard.payload["workflow"], "Welcome");
    assert!(
        hard.payload["description"]
            .as_str()
            .unwrap()
            .contains("User unknown")
    );

    let soft = find("email.bounced", "dee@example.com");
    assert_eq!(soft.payload["bounce"], "soft");
    assert_eq!(soft.payload["status"], "4.2.2");
    assert_eq!(
        soft.payload["email"], "welcome",
        "matched by the recipient alone"
    );

    let complained = find("email.complained", "fay@example.com");
    assert_eq!(complained.payload["email"], "welcome");
    assert_eq!(complained.payload["feedback_type"], "abuse");

    let replied = find("email.replied", "dee@example.com");
    assert_eq!(replied.payload["email"], "welcome");
    assert_eq!(replied.payload["workflow"], "Welcome");
    assert_eq!(replied.payload["subject"], "Re: Welcome");
    assert!(
        !evs.iter().any(|e| e.contact_id == id("eve@example.com")),
        "nothing about eve: {evs:?}"
    );

    assert_eq!(b.contact_status("ada@example.com"), "unsubscribed");
    assert_eq!(b.contact_status("cy@example.com"), "bounced");
    assert_eq!(b.contact_status("dee@example.com"), "subscribed");
    assert_eq!(b.contact_status("eve@example.com"), "subscribed");
    assert_eq!(b.contact_status("fay@example.com"), "unsubscribed");
    assert!(
        b.store
            .contact_by_email("friend@example.org")
            .unwrap()
            .is_none()
    );

    // Processed messages carry the keyword; nothing is deleted, nothing
    // is marked read, the coach's own mail is untouched.
    let flags = dovecot.flags().await;
    assert_eq!(flags.len(), 9, "{flags:?}");
    let keyword = format!("Custom({PROCESSED_KEYWORD:?})");
    let flagged: Vec<u32> = flags
        .iter()
        .filter(|(_, f)| f.contains(&keyword))
        .map(|(u, _)| *u)
        .collect();
    assert_eq!(flagged, [1, 4, 5, 6, 7], "{flags:?}");
    for (uid, f) in &flags {
        assert!(
            !f.iter().any(|x| x == "Deleted" || x == "Seen"),
            "{uid}: {f:?}"
        );
    }

    // The reply starts the "email replied" trigger's workflow (its email
    // is the template replied to).
    let mut engine = Engine::new(Store::open(&b.path).unwrap());
    while engine.tick(b.now()).unwrap().more {}
    let dee_c = b
        .store
        .contact_by_email("dee@example.com")
        .unwrap()
        .unwrap();
    assert!(
        dee_c.tags.contains(&"answered".to_string()),
        "{:?}",
        dee_c.tags
    );

    // A second poll reads nothing new and changes nothing.
    b.clock.set(at(10, 10, 0));
    let count = b.count("SELECT COUNT(*) FROM events");
    let r = b.sync("Mail").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    assert_eq!((r.new, r.duplicates, r.ignored), (0, 0, 0), "{r:?}");
    assert_eq!(b.count("SELECT COUNT(*) FROM events"), count);

    // Even a poll that reads everything again (a lost cursor) stores each
    // event at most once.
    b.store
        .conn()
        .execute("UPDATE accounts SET cursor = NULL WHERE name = 'Mail'", [])
        .unwrap();
    let r = b.sync("Mail").await;
    assert_eq!((r.new, r.duplicates), (0, 5), "{r:?}");
    assert_eq!(b.count("SELECT COUNT(*) FROM events"), count);

    // A message arriving later is read by the next poll.
    dovecot
        .append(&[reply("dee@example.com", &dee.0).replace("reply-1@", "reply-2@")])
        .await;
    b.clock.set(at(10, 20, 0));
    let r = b.sync("Mail").await;
    assert_eq!((r.new, r.duplicates), (1, 0), "{r:?}");

    // The sender holds the account (a refused SMTP login) while a mailbox
    // poll is under way: the poll's success does not lift the hold.
    let before = b.account("Mail");
    let now = b.now();
    b.store
        .set_account_status(
            "Mail",
            cairn_store::accounts::AccountStatus::NeedsAttention,
            Some("the SMTP login was refused"),
            now,
        )
        .unwrap();
    b.clock.set(at(10, 30, 0));
    let r = b.syncer.sync(&mut b.store, &before).await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
    let held = b.account("Mail");
    assert_eq!(held.status.as_str(), "needs_attention");
    assert_eq!(
        held.status_message.as_deref(),
        Some("the SMTP login was refused")
    );
}

#[tokio::test]
async fn a_refused_mailbox_login_backs_off_without_holding_the_accounts_mail() {
    let dovecot = Dovecot::start();
    let mut b = Bench::new();
    let now = b.now();
    b.store
        .add_account(
            "Mail",
            AccountKind::Smtp,
            &json!({
                "host": "127.0.0.1", "port": 2525, "security": "none", "from": USER,
                "imap": {"host": "127.0.0.1", "port": dovecot.port, "security": "none", "username": USER, "own_password": true},
            }),
            None,
            now,
        )
        .unwrap();
    // The mailbox's own vault entry holds a wrong password.
    b.vault
        .set("Mail.imap", &Sensitive::new("wrong-password".into()))
        .unwrap();
    let r = b.sync("Mail").await;
    match &r.outcome {
        SyncOutcome::Failed { code, message } => {
            assert_eq!(*code, "mailbox_login_refused");
            assert!(!message.contains("wrong-password"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Retried later, and the account's outgoing mail is not held: only
    // "needs attention" holds it.
    let a = b.account("Mail");
    assert_eq!(a.status.as_str(), "error");
    assert!(r.next_poll_at.is_some_and(|t| t > now), "{r:?}");
    assert!(!cairn_connectors::sync::is_due(&a, b.now()));
    assert!(cairn_connectors::sync::is_due(&a, r.next_poll_at.unwrap()));

    b.vault
        .set("Mail.imap", &Sensitive::new(PASSWORD.into()))
        .unwrap();
    let ok = b.syncer.probe(&b.account("Mail")).await.unwrap();
    assert!(ok.contains("opened INBOX"), "{ok}");
    b.clock.set(r.next_poll_at.unwrap());
    let r = b.sync("Mail").await;
    assert_eq!(r.outcome, SyncOutcome::Synced, "{r:?}");
}
