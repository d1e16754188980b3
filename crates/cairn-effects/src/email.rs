//! Email over SMTP, through lettre.
//!
//! The message is the engine's rendered [`EmailMessage`] plus what the
//! account says: From and Reply-To from its settings, the Message-ID from the
//! entry (derived from run and step, so a re-send after a crash is the same
//! message), a `List-Unsubscribe` header when the message has a target
//! (marketing mail; transactional mail has none), and both bodies as
//! `multipart/alternative` (text first, HTML preferred by clients). The Date
//! header is the `now` the engine passed, never the wall clock.
//!
//! SMTP replies become send outcomes: a 4xx reply, a timeout or a lost
//! connection is temporary (retry); a 5xx reply is permanent (failed); a
//! 5xx whose enhanced status code says the recipient address is bad
//! (5.1.x, except 5.1.7/5.1.8, which are about the sender) is a bounce.
//! A failure of the account rather than of the message ([`account_fault`]:
//! the login refused, no AUTH mechanism in common, TLS that does not match,
//! the provider's account suspended) holds the account's queue instead of
//! failing the message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use cairn_engine::SendOutcome;
use cairn_model::effect::EmailMessage;
use cairn_model::{Sensitive, Timestamp};
use lettre::Message;
use lettre::message::header::{self, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, TlsParameters};

use crate::EffectsError;
use crate::settings::{SmtpSecurity, SmtpSettings};
use crate::smtp::{Security, SmtpClient, SmtpError};

/// The `List-Unsubscribe` header (RFC 2369): lettre has no typed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUnsubscribe(pub String);

impl header::Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(
            s.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string(),
        ))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// Builds the message to send. Errors name the field that is wrong.
pub fn build_message(
    account: &str,
    settings: &SmtpSettings,
    msg: &EmailMessage,
    now: Timestamp,
) -> Result<Message, String> {
    let from = settings.from_mailbox(account).map_err(|e| e.to_string())?;
    let to_addr = msg
        .to
        .trim()
        .parse()
        .map_err(|e| format!("to: {:?} is not an email address ({e})", msg.to))?;
    let to_name = msg.to_name.clone().filter(|n| !n.trim().is_empty());
    if let Some(n) = &to_name
        && n.chars().any(char::is_control)
    {
        // lettre cannot write such a name into the To header (it panics):
        // refuse it here, naming the field, so this one email fails alone.
        return Err(format!(
            "to_name: the contact's name {n:?} holds a line break or another control character, which cannot go into an email header; correct the contact's name"
        ));
    }
    if msg.subject.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "subject: {:?} holds a line break or another control character, which cannot go into an email header",
            msg.subject
        ));
    }
    let to = Mailbox::new(to_name, to_addr);
    let mut b = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(msg.subject.clone())
        .date(now.into())
        .message_id(Some(message_id(&msg.message_id, &from)?))
        .user_agent(format!("Cairn/{}", env!("CARGO_PKG_VERSION")));
    if let Some(r) = settings
        .reply_to_mailbox(account)
        .map_err(|e| e.to_string())?
    {
        b = b.reply_to(r);
    }
    let (mut text, mut html) = (msg.text.clone(), msg.html.clone());
    if let Some(u) = msg
        .list_unsubscribe
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        if !u.is_ascii()
            || u.chars()
                .any(|c| c.is_control() || c == '<' || c == '>' || c == ' ')
        {
            return Err(format!(
                "list_unsubscribe: {u:?} is not a URL such as mailto:unsubscribe@example.com"
            ));
        }
        match settings.unsubscribe_via.placeholder() {
            // The provider handles it (RFC 8058 one-click): its own link in
            // the body, and it adds both List-Unsubscribe headers.
            Some(link) => {
                text = text.replace(u, link);
                html = html.replace(u, link);
            }
            None => b = b.header(ListUnsubscribe(u.to_string())),
        }
    }
    b.multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// `<id@domain>`: the engine's id as given, wrapped in angle brackets, with
/// the From domain added when it has none.
fn message_id(id: &str, from: &Mailbox) -> Result<String, String> {
    let core = id.trim().trim_start_matches('<').trim_end_matches('>');
    if core.is_empty()
        || !core.is_ascii()
        || core
            .chars()
            .any(|c| c.is_ascii_control() || c.is_ascii_whitespace() || c == '<' || c == '>')
    {
        return Err(format!(
            "message_id: {id:?} is not a Message-ID such as <run-1.step-2@cairn>"
        ));
    }
    if core.contains('@') {
        Ok(format!("<{core}>"))
    } else {
        Ok(format!("<{core}@{}>", from.email.domain()))
    }
}

/// What a transport was built from: a change of either builds a new one.
#[derive(PartialEq, Eq)]
struct TransportKey {
    settings: SmtpSettings,
    password: Option<Sensitive<String>>,
}

/// SMTP clients with their open connections, one per account, rebuilt
/// when the account's settings or password change.
#[derive(Default)]
pub struct Transports {
    by_account: Mutex<HashMap<String, (TransportKey, Arc<SmtpClient>)>>,
}

impl Transports {
    pub fn get(
        &self,
        account: &str,
        settings: &SmtpSettings,
        password: Option<Sensitive<String>>,
    ) -> Result<Arc<SmtpClient>, EffectsError> {
        let key = TransportKey {
            settings: settings.clone(),
            password,
        };
        let name = account.trim().to_lowercase();
        let mut map = self.by_account.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((k, t)) = map.get(&name)
            && *k == key
        {
            return Ok(t.clone());
        }
        let t = Arc::new(transport(account, &key.settings, key.password.as_ref())?);
        map.insert(name, (key, t.clone()));
        Ok(t)
    }
}

/// The client of an account: its server, login and timeout, and as many
/// kept-open connections as the dispatcher sends at a time through it (its
/// lane, the account's pool size).
pub fn transport(
    account: &str,
    s: &SmtpSettings,
    password: Option<&Sensitive<String>>,
) -> Result<SmtpClient, EffectsError> {
    let security = match s.security {
        SmtpSecurity::None => Security::Plain,
        SmtpSecurity::Starttls => Security::Starttls(tls_parameters(account, s)?),
        SmtpSecurity::Tls => Security::Implicit(tls_parameters(account, s)?),
    };
    let credentials = match &s.username {
        Some(user) => {
            let pw = password.ok_or_else(|| {
                EffectsError::invalid(
                    account,
                    "username",
                    "a login is set but no password is stored; add the account again with --password-stdin",
                )
            })?;
            Some(Credentials::new(user.clone(), pw.expose().clone()))
        }
        None => None,
    };
    Ok(SmtpClient::new(
        s.host.trim().to_string(),
        s.port,
        security,
        credentials,
        StdDuration::from_secs(s.timeout_secs),
        s.pool_size() as usize,
    ))
}

fn tls_parameters(account: &str, s: &SmtpSettings) -> Result<TlsParameters, EffectsError> {
    let mut b = TlsParameters::builder(s.host.trim().to_string());
    if let Some(path) = &s.extra_root_certificate {
        let pem = std::fs::read(path).map_err(|e| {
            EffectsError::invalid(
                account,
                "extra_root_certificate",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|e| {
            EffectsError::invalid(
                account,
                "extra_root_certificate",
                format!("{} is not a PEM certificate: {e}", path.display()),
            )
        })?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls()
        .map_err(|e| EffectsError::invalid(account, "security", format!("cannot set up TLS: {e}")))
}

/// Sends one message through `account` and says what became of it.
pub async fn deliver(account: &str, client: &SmtpClient, message: Message) -> SendOutcome {
    match client.send(&message).await {
        Ok(response) => SendOutcome::Sent {
            detail: Some(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
        },
        Err(SmtpError::Smtp(e)) => match account_fault(&e) {
            Some(error) => SendOutcome::AccountFault {
                account: account.to_string(),
                error,
            },
            None => classify(&e),
        },
        // Not reached, or no answer: the message stays queued until the
        // server answers again, without spending the action's attempts.
        Err(e @ (SmtpError::Connect(_) | SmtpError::TimedOut { .. })) => SendOutcome::Unreachable {
            error: format!("SMTP: {e}"),
        },
    }
}

/// Whether an SMTP failure is the account's rather than the message's, and
/// what to tell the user: waiting or another recipient will not help, a
/// change to the account will.
pub fn account_fault(e: &lettre::transport::smtp::Error) -> Option<String> {
    let text = format!("SMTP: {e}");
    let lower = text.to_lowercase();
    let code = e.status().map(u16::from);
    let enhanced = enhanced_status(&text);
    if matches!(code, Some(530 | 534 | 535 | 538))
        || matches!(enhanced, Some((5, 7, 0 | 8 | 9 | 11 | 14)))
    {
        return Some(format!("the SMTP server refused the login: {text}"));
    }
    if (e.is_permanent() || e.is_transient())
        && [
            "suspended",
            "disabled",
            "deactivated",
            "account locked",
            "blocked your account",
        ]
        .iter()
        .any(|w| lower.contains(w))
    {
        return Some(format!("the provider refuses this account: {text}"));
    }
    if lower.contains("no compatible authentication mechanism") {
        return Some(format!(
            "{text} (the server offers no login method Cairn can use over this connection; check the account's security setting)"
        ));
    }
    if lower.contains("starttls is not supported") {
        return Some(format!(
            "{text} (the account requires STARTTLS but the server does not offer it; check the account's port and security setting)"
        ));
    }
    if e.is_tls() || is_certificate_problem(e) {
        return Some(format!(
            "{text} (check the account's security setting and the server's certificate)"
        ));
    }
    None
}

/// An SMTP failure as a send outcome.
pub fn classify(e: &lettre::transport::smtp::Error) -> SendOutcome {
    let error = format!("SMTP: {e}");
    if e.is_permanent() {
        match enhanced_status(&error) {
            Some((5, 1, detail)) if detail != 7 && detail != 8 => SendOutcome::Bounced { error },
            _ => SendOutcome::Failed { error },
        }
    } else if e.is_transient() {
        SendOutcome::Retry {
            error,
            retry_after: None,
        }
    } else if e.is_tls() || is_certificate_problem(e) {
        SendOutcome::Failed {
            error: format!(
                "{error} (check the account's security setting and the server's certificate)"
            ),
        }
    } else if e.is_client() {
        SendOutcome::Failed { error }
    } else {
        // Network, connection, a timeout, a pool shut down: the server was
        // not reached or dropped us; the message stays queued until the
        // network comes back, without spending the action's attempts.
        SendOutcome::Unreachable { error }
    }
}

/// Whether the server's certificate was refused (unknown issuer, wrong
/// name, expired). lettre reports that as a connection error, with rustls'
/// "invalid peer certificate" inside; waiting will not fix it.
fn is_certificate_problem(e: &lettre::transport::smtp::Error) -> bool {
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = cur {
        if err.to_string().contains("invalid peer certificate") {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The first RFC 3463 enhanced status code (`5.1.1`) in a reply text.
pub fn enhanced_status(text: &str) -> Option<(u8, u16, u16)> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|w| {
            let mut parts = w.split('.');
            let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some()
                || a.len() != 1
                || b.is_empty()
                || b.len() > 3
                || c.is_empty()
                || c.len() > 3
            {
                return None;
            }
            let class: u8 = a.parse().ok()?;
            if !matches!(class, 2 | 4 | 5) {
                return None;
            }
            Some((class, b.parse().ok()?, c.parse().ok()?))
        })
        .next()
}

/// Connects, says hello, starts TLS and logs in, then hangs up: what
/// `cairn account test` does for SMTP.
pub async fn check_connection(
    account: &str,
    settings: &SmtpSettings,
    password: Option<&Sensitive<String>>,
) -> Result<String, EffectsError> {
    let client = transport(account, settings, password)?;
    match client.check().await {
        Ok(()) => Ok(format!(
            "connected to {}:{} ({}){}",
            settings.host,
            settings.port,
            settings.security.as_str(),
            match &settings.username {
                Some(u) => format!(" and logged in as {u}"),
                None => String::new(),
            }
        )),
        Err(e) => Err(EffectsError::Unreachable {
            account: account.to_string(),
            reason: format!("{}:{}: {e}", settings.host, settings.port),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsubscribe_mail(via: crate::settings::UnsubscribeVia) -> String {
        let settings: SmtpSettings = serde_json::from_value(serde_json::json!({
            "host": "smtp-broadcasts.postmarkapp.com", "port": 587, "security": "starttls",
            "from": "Coach <coach@coach.test>", "unsubscribe_via": via,
        }))
        .unwrap();
        let link = "mailto:coach@coach.test?subject=unsubscribe%200123456789abcdef0123456789abcdef";
        let msg = EmailMessage {
            account: "Mail".into(),
            to: "ada@example.com".into(),
            to_name: None,
            subject: "News".into(),
            html: format!("<p>Hi</p><p><a href=\"{link}\">Unsubscribe</a></p>"),
            text: format!("Hi\n\nUnsubscribe: {link}"),
            message_id: "<cairn-1@coach.test>".into(),
            list_unsubscribe: Some(link.into()),
            template: "news".into(),
            contact_id: None,
        };
        let m = build_message("Mail", &settings, &msg, chrono::Utc::now()).unwrap();
        String::from_utf8(m.formatted()).unwrap()
    }

    #[test]
    fn a_provider_that_handles_unsubscribes_gets_its_own_link_and_headers() {
        use crate::settings::UnsubscribeVia;
        let mailto = unsubscribe_mail(UnsubscribeVia::Mailto);
        assert!(
            mailto.contains("List-Unsubscribe: <mailto:coach@coach.test?subject=unsubscribe%20"),
            "{mailto}"
        );
        let pm = unsubscribe_mail(UnsubscribeVia::Postmark);
        assert!(
            !pm.contains("List-Unsubscribe:"),
            "Postmark adds its own: {pm}"
        );
        assert!(!pm.contains("mailto:"), "{pm}");
        assert_eq!(pm.matches("{{{ pm:unsubscribe }}}").count(), 2, "{pm}");
        let mg = unsubscribe_mail(UnsubscribeVia::Mailgun);
        assert!(!mg.contains("List-Unsubscribe:"), "{mg}");
        assert_eq!(mg.matches("%unsubscribe_url%").count(), 2, "{mg}");
    }

    #[test]
    fn finds_enhanced_status_codes() {
        assert_eq!(
            enhanced_status(
                "SMTP: permanent error (550): 5.1.1 <nobody@x.test>: Recipient address rejected"
            ),
            Some((5, 1, 1))
        );
        assert_eq!(
            enhanced_status("transient error (451): 4.3.0 Try again"),
            Some((4, 3, 0))
        );
        assert_eq!(
            enhanced_status("permanent error (554): Transaction failed 10.0.0.1"),
            None
        );
        assert_eq!(enhanced_status("permanent error (550): no code here"), None);
    }

    #[test]
    fn message_ids_are_wrapped_and_get_a_domain() {
        let from: Mailbox = "Ada <ada@example.com>".parse().unwrap();
        assert_eq!(
            message_id("run-1.step-2@cairn", &from).unwrap(),
            "<run-1.step-2@cairn>"
        );
        assert_eq!(
            message_id("<run-1.step-2>", &from).unwrap(),
            "<run-1.step-2@example.com>"
        );
        assert!(message_id("a\r\nBcc: x@y", &from).is_err());
    }
}
