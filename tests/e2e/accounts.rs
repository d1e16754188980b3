//! The Accounts screen of the real app: an SMTP account added through the
//! form, its password stored in the real Secret Service (the test runs in a
//! private D-Bus session with an unlocked gnome-keyring, see
//! ./scripts/test) and in no byte of the database; tested (no server
//! listens, so it needs attention, with the reason), then removed with its
//! keyring entry.

use cairn_vault::Vault;
use fantoccini::Locator;

use crate::contacts::choose;
use crate::harness::{App, Launch};

/// Types `text` into the field `css` (cleared first).
pub(crate) async fn type_into(app: &App, css: &str, text: &str) {
    app.wait_until(&format!("{css} to be present"), || async {
        app.client().find(Locator::Css(css)).await.is_ok()
    })
    .await;
    let el = app.client().find(Locator::Css(css)).await.unwrap();
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// Every byte of the database: the file and its write-ahead log.
fn database_bytes(app: &App) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut p = app.db_path().into_os_string();
        p.push(suffix);
        if let Ok(b) = std::fs::read(&p) {
            all.extend(b);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_account_added_in_the_form_keeps_its_password_in_the_keyring_only() {
    let launch = Launch::new("accounts_smtp");
    let name = format!("e2e-mail-{}", std::process::id());
    let password = format!("pw-{}-Zq8!x", std::process::id());
    // No port is listening here: the connection test must fail, honestly.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let app = launch.launch().await;
    app.click("nav a[href='#/accounts']").await;
    app.wait_for_text("[data-testid=accounts-empty]", "No accounts connected")
        .await;
    app.screenshot("accounts_empty").await.unwrap();

    app.click("[data-testid=add-account]").await;
    app.wait_for_text("[data-testid=add-account-dialog]", "Connect an account")
        .await;
    // A login without its password is caught before anything is sent.
    type_into(&app, "[data-testid=account-name]", &name).await;
    type_into(&app, "[data-testid=account-host]", "127.0.0.1").await;
    type_into(&app, "[data-testid=account-port]", &port.to_string()).await;
    choose(&app, "#acct-security", "none").await;
    type_into(&app, "[data-testid=account-username]", "ada").await;
    type_into(
        &app,
        "[data-testid=account-from]",
        "Ada Coach <ada@example.com>",
    )
    .await;
    type_into(&app, "[data-testid=account-rate_per_day]", "200").await;
    app.click("[data-testid=save-account]").await;
    app.wait_for_text("[data-testid=error-acct-secret]", "needs its password")
        .await;
    type_into(&app, "[data-testid=account-secret]", &password).await;
    app.screenshot("accounts_add_smtp").await.unwrap();
    app.click("[data-testid=save-account]").await;

    let card = app.wait_for_text("[data-testid=account]", &name).await;
    assert!(card.contains("SMTP"), "{card}");
    assert!(card.contains("in the keyring"), "{card}");
    assert!(card.contains("200/day"), "{card}");
    assert!(
        !card.contains(&password),
        "the password is never shown: {card}"
    );
    assert!(
        !app.page_text().await.contains(&password),
        "the password left the page once sent"
    );

    // The real Secret Service holds it; the database does not.
    let vault = Vault::os_keyring();
    assert_eq!(vault.get(&name).unwrap().expose(), &password);
    let stored = app.store().account(&name).unwrap();
    assert_eq!(stored.settings["username"], "ada");
    assert_eq!(stored.settings["rate_per_day"], 200);
    let bytes = database_bytes(&app);
    assert!(!bytes.is_empty());
    assert!(
        !contains(&bytes, password.as_bytes()),
        "the password is somewhere in the database file"
    );
    app.screenshot("accounts_listed").await.unwrap();

    // Test connection: nothing listens on that port.
    app.click("[data-testid=test-account]").await;
    let result = app
        .wait_for_text("[data-testid=account-result]", &name)
        .await;
    assert!(!result.contains(&password), "{result}");
    app.wait_for_text("[data-testid=account-status]", "needs attention")
        .await;
    let stored = app.store().account(&name).unwrap();
    assert_eq!(
        stored.status,
        cairn_store::accounts::AccountStatus::NeedsAttention
    );
    app.screenshot("accounts_test_failed").await.unwrap();

    // Remove: the row and the keyring entry go.
    app.click("[data-testid=remove-account]").await;
    app.click("[data-testid=confirm-remove]").await;
    app.wait_for_text("[data-testid=accounts-empty]", "No accounts connected")
        .await;
    assert!(
        vault.find(&name).unwrap().is_none(),
        "the keyring entry is gone"
    );
    assert!(app.store().accounts().unwrap().is_empty());
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keyring_the_screen_shows_the_vaults_advice_and_stores_nothing() {
    // A session bus that does not exist: no Secret Service can answer.
    let launch = Launch::new("accounts_no_keyring").env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/cairn-e2e-bus",
    );
    let app = launch.launch().await;
    app.click("nav a[href='#/accounts']").await;
    let panel = app
        .wait_for_text(
            "[data-testid=vault-problem]",
            "OS keyring cannot be reached",
        )
        .await;
    assert!(
        panel.contains("CAIRN_SECRETS_FILE"),
        "the message says what to do: {panel}"
    );
    let code = app
        .client()
        .find(Locator::Css(
            "[data-testid=vault-problem] [data-testid=error-panel]",
        ))
        .await
        .unwrap()
        .attr("data-code")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(code.starts_with("keyring_"), "{code}");
    app.screenshot("accounts_no_keyring").await.unwrap();

    // Adding a Slack account fails with the same advice, and leaves no row.
    app.click("[data-testid=add-account]").await;
    choose(&app, "[data-testid=account-kind]", "slack").await;
    type_into(&app, "[data-testid=account-name]", "team").await;
    type_into(
        &app,
        "[data-testid=account-secret]",
        "https://hooks.slack.com/services/T000/B000/XXXX",
    )
    .await;
    app.click("[data-testid=save-account]").await;
    app.wait_for_text(
        "[data-testid=add-account-dialog] [data-testid=error-panel]",
        "keyring",
    )
    .await;
    app.screenshot("accounts_no_keyring_add").await.unwrap();
    assert!(app.store().accounts().unwrap().is_empty());
    app.close().await;
}

/// A JSON feed on this machine: answers every request with one order whose
/// time is the moment of the request (a feed only counts events from when
/// the account was connected), and counts the requests.
fn serve_feed() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            // The request line and headers, up to the blank line.
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let body = serde_json::json!({"data": [{
                "id": "ord_1001",
                "created_at": chrono::Utc::now().to_rfc3339(),
                "type": "order.created",
                "customer": {"email": "buyer@example.com"},
                "total": 120
            }]})
            .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_feed_added_in_the_form_syncs_now_without_doubling_events() {
    let (port, hits) = serve_feed();
    let launch = Launch::new("accounts_feed");
    let app = launch.launch().await;
    app.click("nav a[href='#/accounts']").await;
    app.click("[data-testid=add-account]").await;
    choose(&app, "[data-testid=account-kind]", "json_feed").await;
    type_into(&app, "[data-testid=account-name]", "shop feed").await;
    type_into(
        &app,
        "[data-testid=account-url]",
        &format!("http://127.0.0.1:{port}/orders.json"),
    )
    .await;
    type_into(&app, "[data-testid=account-items]", "/data").await;
    type_into(&app, "[data-testid=account-id]", "/id").await;
    type_into(&app, "[data-testid=account-time]", "/created_at").await;
    type_into(&app, "[data-testid=account-type]", "/type").await;
    type_into(&app, "[data-testid=account-email]", "/customer/email").await;
    app.screenshot("accounts_add_feed").await.unwrap();
    app.click("[data-testid=save-account]").await;
    app.wait_for_text("[data-testid=source-accounts]", "shop feed")
        .await;

    app.click("[data-testid=test-account]").await;
    app.wait_for_text("[data-testid=account-result]", "answered with 1 items")
        .await;
    app.click("[data-testid=sync-account]").await;
    app.wait_for_text("[data-testid=account-result]", "Synced")
        .await;
    app.wait_until("the card to show how far the sync read", || async {
        app.text_of("[data-testid=account-cursor]")
            .await
            .is_some_and(|t| t.contains("ago") || t == "just now")
    })
    .await;
    // Once more: the same order is already known.
    app.click("[data-testid=sync-account]").await;
    app.wait_for_text("[data-testid=account-result]", "1 already known")
        .await;
    app.screenshot("accounts_feed_synced").await.unwrap();

    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 3);
    let store = app.store();
    let buyer = store.require_contact("buyer@example.com").unwrap();
    let events = store.events_of_contact(buyer.id, 10).unwrap();
    let orders: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "order.created")
        .collect();
    assert_eq!(orders.len(), 1, "{events:?}");
    assert_eq!(orders[0].external_id.as_deref(), Some("ord_1001"));
    let account = store.account("shop feed").unwrap();
    assert!(account.last_poll_at.is_some());
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_course_is_linked_to_a_thinkific_account_on_its_card() {
    let launch = Launch::new("accounts_course_links");
    let app = launch.launch().await;
    app.click("nav a[href='#/accounts']").await;
    app.click("[data-testid=add-account]").await;
    choose(&app, "[data-testid=account-kind]", "thinkific").await;
    type_into(&app, "[data-testid=account-name]", "School").await;
    type_into(&app, "[data-testid=account-subdomain]", "coach").await;
    type_into(&app, "[data-testid=account-secret]", "thinkific-key-e2e").await;
    app.click("[data-testid=save-account]").await;
    app.wait_for_text("[data-testid=source-accounts]", "School")
        .await;
    app.wait_for_text("[data-testid=course-links]", "No course is linked yet")
        .await;

    // An id with markup is refused, with the reason, and nothing is linked.
    type_into(&app, "[data-testid=link-course-name]", "Program A").await;
    type_into(&app, "[data-testid=link-course-id]", "88<b>01").await;
    app.click("[data-testid=link-course]").await;
    app.wait_for_text("[data-testid=course-links]", "may hold only letters")
        .await;
    assert!(app.store().linked_courses("School").unwrap().is_empty());

    type_into(&app, "[data-testid=link-course-id]", "8801").await;
    app.click("[data-testid=link-course]").await;
    app.wait_for_text("[data-testid=linked-course]", "course id 8801")
        .await;
    app.screenshot("accounts_course_linked").await.unwrap();
    let linked = app.store().linked_courses("School").unwrap();
    assert_eq!(linked.len(), 1, "{linked:?}");
    assert_eq!(linked[0].course, "Program A");
    assert_eq!(linked[0].platform_course_id, "8801");

    app.click("[data-testid=unlink-course]").await;
    app.wait_until("the course to be local again", || async {
        app.store().linked_courses("School").unwrap().is_empty()
    })
    .await;
    app.wait_for_text("[data-testid=course-links]", "No course is linked yet")
        .await;
    // The course stays, local again.
    assert!(
        app.store()
            .courses()
            .unwrap()
            .contains(&"Program A".to_string())
    );
    app.close().await;
}
