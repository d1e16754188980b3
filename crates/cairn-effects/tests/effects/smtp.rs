//! Email against a real SMTP server on loopback, read back from its Maildir.

use cairn_effects::settings::SmtpSecurity;
use cairn_effects::{accounts, email};
use cairn_engine::SendOutcome;
use cairn_model::contact::{Contact, ContactStatus};
use cairn_model::effect::Effect;
use cairn_model::template;
use cairn_model::workflow::EmailTemplate;

use crate::support::*;

fn rendered_welcome() -> template::RenderedEmail {
    let contact = Contact {
        id: 1,
        email: "bea@client.test".into(),
        name: Some("Bea Client".into()),
        status: ContactStatus::Subscribed,
        timezone: None,
        fields: Default::default(),
        tags: vec![],
        is_test: false,
        created_at: t0(),
        updated_at: t0(),
    };
    let ctx = template::context(
        &contact,
        &serde_json::json!({"product": "Program A"}),
        "Onboarding",
        "https://coach.test/u/abc",
    );
    let t = EmailTemplate {
        name: "welcome".into(),
        subject: "Welcome to {{ trigger.product }}, {{ contact.first_name }}".into(),
        body: "Hi **{{ contact.first_name }}**,\n\nyour [guide](https://coach.test/guide) to {{ trigger.product }} is ready.".into(),
        preheader: None,
        kind: Default::default(),
    };
    template::render_email(&t, &ctx).unwrap()
}

#[tokio::test]
async fn an_email_arrives_with_its_headers_and_both_parts() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    w.add_smtp("Coach Mail", server.port, |_| {}, None);
    let effects = w.effects();

    let r = rendered_welcome();
    let mut m = email("coach mail", "bea@client.test");
    m.subject = r.subject;
    m.html = r.html;
    m.text = r.text;
    m.message_id = "run-7.step-3@cairn".into();
    let out = effects.deliver(&entry(1, Effect::Email(m)), t0()).await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");

    let msgs = server.messages();
    assert_eq!(msgs.len(), 1);
    let mail = mailparse::parse_mail(&msgs[0]).unwrap();
    assert_eq!(header(&mail, "From"), "\"Ada Coach\" <ada@coach.test>");
    assert_eq!(header(&mail, "Reply-To"), "\"Help Desk\" <help@coach.test>");
    assert_eq!(header(&mail, "To"), "\"Bea Client\" <bea@client.test>");
    assert_eq!(header(&mail, "Subject"), "Welcome to Program A, Bea");
    assert_eq!(header(&mail, "Message-ID"), "<run-7.step-3@cairn>");
    assert_eq!(
        header(&mail, "List-Unsubscribe"),
        "<mailto:unsubscribe@coach.test?subject=unsubscribe>"
    );
    assert_eq!(header(&mail, "Date"), "Mon, 02 Mar 2026 09:00:00 +0000");
    assert_eq!(header(&mail, "X-MailFrom"), "ada@coach.test");
    assert_eq!(header(&mail, "X-RcptTo"), "bea@client.test");

    assert_eq!(mail.ctype.mimetype, "multipart/alternative");
    assert_eq!(mail.subparts.len(), 2);
    let (text, html) = (&mail.subparts[0], &mail.subparts[1]);
    assert_eq!(text.ctype.mimetype, "text/plain");
    assert_eq!(html.ctype.mimetype, "text/html");
    let text = text.get_body().unwrap();
    let html = html.get_body().unwrap();
    assert!(
        text.contains("Hi **Bea**")
            && text.contains("guide (https://coach.test/guide) to Program A"),
        "{text}"
    );
    assert!(
        html.contains("<strong>Bea</strong>")
            && html.contains("<a href=\"https://coach.test/guide\">guide</a>"),
        "{html}"
    );
    assert!(!text.contains("{{") && !html.contains("{{"));
}

#[tokio::test]
async fn starttls_and_login_against_a_private_ca() {
    let certs = tempfile::tempdir().unwrap();
    let (ca, chain, key) = certificates(certs.path());
    let server = SmtpServer::start(SmtpOptions {
        tls: Some((chain, key)),
        login: Some(("ada".into(), "app-pw-1".into())),
        ..Default::default()
    });
    let mut w = World::new();
    let port = server.port;
    w.add_smtp(
        "secure",
        port,
        |s| {
            s.security = cairn_effects::settings::SmtpSecurity::Starttls;
            s.username = Some("ada".into());
            s.extra_root_certificate = Some(ca.clone());
        },
        Some("app-pw-1"),
    );
    let account = w.store.account("secure").unwrap();
    let proven = accounts::test(&account, &w.vault).await.unwrap();
    assert!(
        proven.contains("starttls") && proven.contains("logged in as ada"),
        "{proven}"
    );

    let effects = w.effects();
    let out = effects
        .deliver(
            &entry(1, Effect::Email(email("secure", "bea@client.test"))),
            t0(),
        )
        .await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    assert_eq!(server.messages().len(), 1);

    // Without trusting the private CA, the certificate is refused: a
    // configuration problem, not something a retry fixes.
    w.add_smtp(
        "untrusted",
        port,
        |s| {
            s.security = cairn_effects::settings::SmtpSecurity::Starttls;
            s.username = Some("ada".into());
        },
        Some("app-pw-1"),
    );
    let out = effects
        .deliver(
            &entry(2, Effect::Email(email("untrusted", "bea@client.test"))),
            t0(),
        )
        .await;
    // A certificate the account does not trust is the account's fault.
    match out {
        SendOutcome::AccountFault { account, error } => {
            assert_eq!(account, "untrusted");
            assert!(error.contains("certificate"), "{error}")
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn smtps_with_tls_from_the_first_byte_and_login_against_a_private_ca() {
    let certs = tempfile::tempdir().unwrap();
    let (ca, chain, key) = certificates(certs.path());
    let server = SmtpServer::start(SmtpOptions {
        tls: Some((chain, key)),
        implicit_tls: true,
        login: Some(("ada".into(), "app-pw-1".into())),
    });
    let mut w = World::new();
    w.add_smtp(
        "smtps",
        server.port,
        |s| {
            s.security = SmtpSecurity::Tls;
            s.username = Some("ada".into());
            s.extra_root_certificate = Some(ca.clone());
        },
        Some("app-pw-1"),
    );
    let account = w.store.account("smtps").unwrap();
    let proven = accounts::test(&account, &w.vault).await.unwrap();
    assert!(
        proven.contains("(tls)") && proven.contains("logged in as ada"),
        "{proven}"
    );
    let effects = w.effects();
    // A minute apart: the account's rate limit (1 a second) is not the point.
    for (i, to) in ["bea@client.test", "carl@client.test"].iter().enumerate() {
        let (id, at) = (i as i64 + 1, t0() + chrono::Duration::minutes(i as i64));
        let out = effects
            .deliver(&entry(id, Effect::Email(email("smtps", to))), at)
            .await;
        assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    }
    let peers = peers(&server);
    assert_eq!(peers.len(), 2);
    assert_eq!(
        peers[0], peers[1],
        "the second message reuses the connection"
    );
}

/// Each received message's client address and port (aiosmtpd's X-Peer),
/// oldest first: messages over one connection share it.
fn peers(server: &SmtpServer) -> Vec<String> {
    server
        .messages()
        .iter()
        .map(|m| header(&mailparse::parse_mail(m).unwrap(), "X-Peer"))
        .collect()
}

#[tokio::test]
async fn messages_share_a_kept_open_connection_and_one_the_server_closed_is_replaced() {
    let server = SmtpServer::start(SmtpOptions::default());
    let settings = accounts::smtp_settings(
        "127.0.0.1",
        server.port,
        SmtpSecurity::None,
        "Ada Coach <ada@coach.test>",
    );
    let client = email::transport("m", &settings, None).unwrap();
    // The server closes the connection after the "hangup" message; the
    // next message finds it closed at MAIL FROM and takes a new one.
    for to in [
        "bea@client.test",
        "hangup@client.test",
        "carl@client.test",
        "dora@client.test",
    ] {
        let msg = email::build_message("m", &settings, &email("m", to), t0()).unwrap();
        let out = email::deliver("m", &client, msg).await;
        assert!(matches!(out, SendOutcome::Sent { .. }), "{to}: {out:?}");
    }
    let peers = peers(&server);
    assert_eq!(peers.len(), 4, "each message arrived once");
    assert_eq!(peers[0], peers[1], "one connection for the first two");
    assert_ne!(peers[1], peers[2], "a new one after the server hung up");
    assert_eq!(peers[2], peers[3], "which is kept for the next");
}

/// The kernel completes the TCP handshake for a listener that never
/// accepts, so the client connects and then hears nothing, not even a
/// greeting: the account's timeout gives up, on tokio's paused clock.
#[tokio::test(start_paused = true)]
async fn a_server_that_connects_and_never_answers_is_given_up_after_the_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut settings = accounts::smtp_settings(
        "127.0.0.1",
        silent.local_addr().unwrap().port(),
        SmtpSecurity::None,
        "Ada Coach <ada@coach.test>",
    );
    settings.timeout_secs = 20;
    let client = email::transport("m", &settings, None).unwrap();
    let msg = email::build_message("m", &settings, &email("m", "bea@client.test"), t0()).unwrap();
    match email::deliver("m", &client, msg).await {
        // Stays queued: the server may answer again later.
        SendOutcome::Unreachable { error } => assert!(
            error.contains("no answer within 20 s while connecting"),
            "{error}"
        ),
        other => panic!("expected the message to stay queued, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_password_fails_the_test_and_flags_the_account() {
    let server = SmtpServer::start(SmtpOptions {
        tls: None,
        login: Some(("ada".into(), "right".into())),
        ..Default::default()
    });
    let mut w = World::new();
    w.add_smtp(
        "m",
        server.port,
        |s| s.username = Some("ada".into()),
        Some("wrong"),
    );
    let account = w.store.account("m").unwrap();
    let e = accounts::test(&account, &w.vault).await.unwrap_err();
    assert_eq!(e.code(), "account_unreachable");
    assert!(e.to_string().contains("535"), "{e}");

    let out = w
        .effects()
        .deliver(
            &entry(1, Effect::Email(email("m", "bea@client.test"))),
            t0(),
        )
        .await;
    // The account's fault, not the message's: the engine holds the
    // account's queue and marks it (see dispatch.rs for the whole path).
    match out {
        SendOutcome::AccountFault { account, error } => {
            assert_eq!(account, "m");
            assert!(error.contains("535"), "{error}");
            assert!(error.contains("refused the login"), "{error}");
        }
        other => panic!("expected an authentication failure, got {other:?}"),
    }
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_451_is_retried_and_the_retry_is_delivered_once() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    w.add_smtp("m", server.port, |_| {}, None);
    let effects = w.effects();
    let e = entry(1, Effect::Email(email("m", "flaky@client.test")));

    match effects.deliver(&e, t0()).await {
        SendOutcome::Retry { error, retry_after } => {
            assert!(error.contains("451") && error.contains("4.3.0"), "{error}");
            assert_eq!(retry_after, None);
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    assert!(server.messages().is_empty());
    let retry = cairn_engine::OutboxEntry { attempt: 2, ..e };
    let out = effects
        .deliver(&retry, t0() + chrono::Duration::minutes(1))
        .await;
    assert!(matches!(out, SendOutcome::Sent { .. }), "{out:?}");
    let msgs = server.messages();
    assert_eq!(msgs.len(), 1);
    let mail = mailparse::parse_mail(&msgs[0]).unwrap();
    assert_eq!(header(&mail, "Message-ID"), "<run-1.step-17@cairn.test>");
}

#[tokio::test]
async fn an_unknown_recipient_bounces() {
    let server = SmtpServer::start(SmtpOptions::default());
    let mut w = World::new();
    w.add_smtp("m", server.port, |_| {}, None);
    let out = w
        .effects()
        .deliver(
            &entry(1, Effect::Email(email("m", "nobody@client.test"))),
            t0(),
        )
        .await;
    match out {
        SendOutcome::Bounced { error } => assert!(error.contains("5.1.1"), "{error}"),
        other => panic!("expected a bounce, got {other:?}"),
    }
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_server_that_is_down_means_retry_later() {
    // A port that was free a moment ago and has no listener now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut w = World::new();
    w.add_smtp("m", port, |_| {}, None);
    match w
        .effects()
        .deliver(
            &entry(1, Effect::Email(email("m", "bea@client.test"))),
            t0(),
        )
        .await
    {
        SendOutcome::Unreachable { error } => assert!(error.starts_with("SMTP:"), "{error}"),
        other => panic!("expected the message to stay queued, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_account_or_a_wrong_kind_fails_clearly() {
    let mut w = World::new();
    accounts::add_webhook(&mut w.store, &w.vault, "hooks", None, t0()).unwrap();
    let effects = w.effects();
    match effects
        .deliver(
            &entry(1, Effect::Email(email("nope", "bea@client.test"))),
            t0(),
        )
        .await
    {
        SendOutcome::Failed { error } => assert!(
            error.contains("no connected account named \"nope\""),
            "{error}"
        ),
        other => panic!("{other:?}"),
    }
    match effects
        .deliver(
            &entry(2, Effect::Email(email("hooks", "bea@client.test"))),
            t0(),
        )
        .await
    {
        SendOutcome::Failed { error } => {
            assert!(
                error.contains("\"hooks\" is a webhook account; it cannot send email"),
                "{error}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_owner_address_defaults_to_the_from_address() {
    let mut w = World::new();
    w.add_smtp("a", 2525, |_| {}, None);
    w.add_smtp(
        "b",
        2525,
        |s| s.owner = Some("boss@coach.test".into()),
        None,
    );
    assert_eq!(
        w.store.account("a").unwrap().owner_address().as_deref(),
        Some("ada@coach.test")
    );
    assert_eq!(
        w.store.account("a").unwrap().settings["owner"],
        "ada@coach.test"
    );
    assert_eq!(
        w.store.account("b").unwrap().owner_address().as_deref(),
        Some("boss@coach.test")
    );
    // A login without a password is refused before anything is stored.
    let mut s = accounts::smtp_settings(
        "smtp.example.com",
        587,
        cairn_effects::settings::SmtpSecurity::Starttls,
        "a@b.test",
    );
    s.username = Some("me".into());
    let e = accounts::add_smtp(&mut w.store, &w.vault, "c", s, None, t0()).unwrap_err();
    assert!(
        e.to_string().contains("a login needs a password")
            && e.to_string().contains("CAIRN_SECRET_C"),
        "{e}"
    );
    assert_eq!(w.store.account("c").unwrap_err().code(), "not_found");
}
