//! The vault against a real Secret Service (gnome-keyring on a D-Bus
//! session bus). Without a session bus this test fails and says how to run
//! it; it never skips.

use std::process::Command;

use cairn_vault::{Sensitive, Vault};

fn require_session_bus() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!(
            "this test needs a real Secret Service on a D-Bus session bus, and DBUS_SESSION_BUS_ADDRESS is not set. Run it as:\n\
             dbus-run-session -- bash -c 'export XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d); \
             echo -n testpw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test -p cairn-vault'\n\
             (packages: gnome-keyring libsecret-tools dbus)"
        );
    }
}

/// What the Secret Service itself holds for an entry, read by libsecret's
/// own tool: proof the secret left this process for the real store.
fn secret_tool_lookup(service: &str, user: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", user])
        .output()
        .expect("secret-tool (package libsecret-tools) must be installed for this test");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn secrets_round_trip_through_the_secret_service() {
    require_session_bus();
    let service = format!("cairn-test-{}", std::process::id());
    let vault = Vault::os_keyring_for(&service);
    vault
        .check()
        .unwrap_or_else(|e| panic!("the keyring is not usable: {e}"));

    assert!(vault.find("Gmail").unwrap().is_none());
    vault
        .set("Gmail", &Sensitive::new("app-password-1".to_string()))
        .unwrap();
    assert_eq!(vault.get("gmail").unwrap().expose(), "app-password-1");
    assert_eq!(
        secret_tool_lookup(&service, "gmail").as_deref(),
        Some("app-password-1")
    );

    // A second vault value (another process would do the same) sees it.
    let again = Vault::os_keyring_for(&service);
    again
        .set("gmail", &Sensitive::new("app-password-2".to_string()))
        .unwrap();
    assert_eq!(vault.get("GMAIL").unwrap().expose(), "app-password-2");

    assert!(vault.delete("gmail").unwrap());
    assert!(!vault.delete("gmail").unwrap());
    assert_eq!(vault.get("gmail").unwrap_err().code(), "secret_not_found");
    assert_eq!(secret_tool_lookup(&service, "gmail"), None);
}
