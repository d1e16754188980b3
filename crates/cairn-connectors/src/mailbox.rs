//! The sending mailbox: what comes back to an SMTP account's From address,
//! read by polling its IMAP mailbox (the account's `imap` setting,
//! [`MailboxSettings`]).
//!
//! Each poll logs in, selects the folder (`INBOX`), and reads the messages
//! after its cursor — the folder's UIDVALIDITY and the last UID read, kept
//! as the cursor's token `"<uidvalidity>:<uid>"`. The first poll (and one
//! after the server renumbered the folder) reads what arrived since the
//! account was connected (`UID SEARCH SINCE`, then the INTERNALDATE). At
//! most [`MAX_MESSAGES`] a poll; the next poll goes on from there.
//!
//! What becomes what (the rest is left alone, for the coach to read):
//! - a message whose subject is `unsubscribe <token>` (the mailto link's
//!   subject, maybe after `Re:`) from the address the token was made for
//!   (`cairn_store::unsubscribe`) → `contact.unsubscribed`, and the contact
//!   is unsubscribed. A token that is not the sender's does nothing.
//! - a delivery status notification (RFC 3464: `multipart/report;
//!   report-type=delivery-status`) with a failed or delayed recipient →
//!   `email.bounced`, `"bounce": "hard"` for a 5.x.x status (the contact is
//!   marked bounced), `"soft"` for 4.x.x. It is matched to the send by the
//!   Message-ID in the returned headers, else by the recipient
//!   (`Original-Recipient`, `Final-Recipient`): the latest email Cairn sent
//!   to that address.
//! - an abuse report (ARF, RFC 5965: `multipart/report;
//!   report-type=feedback-report`) → `email.complained`, and the contact is
//!   unsubscribed.
//! - a reply (`In-Reply-To` or `References` naming a Message-ID Cairn
//!   sent) → `email.replied`. Automatic answers (`Auto-Submitted` other
//!   than `no`: out-of-office notices) are not replies.
//!
//! Messages are fetched with `BODY.PEEK[]` (they stay unread for the coach)
//! and those turned into events get the keyword `$CairnProcessed`; nothing
//! is ever deleted or moved. The keyword is informative: the cursor, which
//! moves only in the transaction that stores the events, decides what is
//! read again, and the event log's `(source, external id)` key (the
//! message's Message-ID) drops what was stored before.
//!
//! Outside mail is hostile: a message larger than [`MAX_MESSAGE_BYTES`] or
//! nested deeper than [`MAX_PARTS`] parts is skipped (a note), one that
//! does not parse fails only itself.

use std::fmt;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_imap::Client;
use cairn_model::account::{MailSecurity, MailboxSettings};
use cairn_model::event::types;
use cairn_model::{Sensitive, Timestamp};
use futures_util::TryStreamExt;
use mailparse::{MailHeaderMap, ParsedMail};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::batch::{Batch, ContactEffect, Cursor, Incoming, Window};
use crate::error::ConnectorError;
use crate::map;

/// The keyword set on the messages Cairn turned into events.
pub const PROCESSED_KEYWORD: &str = "$CairnProcessed";
/// Messages read in one poll at most.
pub const MAX_MESSAGES: usize = 200;
/// Larger messages are not fetched (a DSN or a reply is a few kilobytes).
pub const MAX_MESSAGE_BYTES: u32 = 2 * 1024 * 1024;
/// Messages with more MIME parts than this are skipped.
pub const MAX_PARTS: usize = 64;
/// The longest a whole poll may take.
pub const TIMEOUT_SECS: u64 = 60;
/// The provider name in messages.
pub const NAME: &str = "the mailbox";

trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}
type Session = async_imap::Session<Box<dyn Io>>;

fn unreachable(account: &str, reason: impl fmt::Display) -> ConnectorError {
    ConnectorError::Unreachable {
        account: account.trim().to_string(),
        provider: NAME,
        reason: reason.to_string(),
    }
}

fn imap_error(account: &str, e: async_imap::error::Error) -> ConnectorError {
    use async_imap::error::Error;
    match e {
        Error::Io(e) => unreachable(account, e),
        Error::ConnectionLost => unreachable(account, "the server closed the connection"),
        Error::No(m) | Error::Bad(m) => ConnectorError::BadResponse {
            account: account.trim().to_string(),
            provider: NAME,
            reason: clip(&m, 300),
        },
        other => ConnectorError::BadResponse {
            account: account.trim().to_string(),
            provider: NAME,
            reason: clip(&other.to_string(), 300),
        },
    }
}

fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_platform_verifier()
        .map_err(|e| e.to_string())?
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

async fn tls(
    account: &str,
    host: &str,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ConnectorError> {
    let cfg = tls_config().map_err(|e| unreachable(account, format!("TLS setup: {e}")))?;
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| ConnectorError::invalid(account, "imap_host", e.to_string()))?;
    tokio_rustls::TlsConnector::from(cfg)
        .connect(name, tcp)
        .await
        .map_err(|e| unreachable(account, format!("TLS with {host}: {e}")))
}

/// Connects and logs in; a refused login needs the user's attention.
async fn login(
    account: &str,
    m: &MailboxSettings,
    password: &Sensitive<String>,
) -> Result<Session, ConnectorError> {
    let host = m.host.trim();
    let tcp = TcpStream::connect((host, m.port))
        .await
        .map_err(|e| unreachable(account, format!("{host}:{}: {e}", m.port)))?;
    let stream: Box<dyn Io> = match m.security {
        MailSecurity::Tls => Box::new(tls(account, host, tcp).await?),
        MailSecurity::None => Box::new(tcp),
        MailSecurity::Starttls => {
            let mut client = Client::new(tcp);
            greeting(account, &mut client).await?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| imap_error(account, e))?;
            Box::new(tls(account, host, client.into_inner()).await?)
        }
    };
    let mut client = Client::new(stream);
    if m.security != MailSecurity::Starttls {
        greeting(account, &mut client).await?;
    }
    client
        .login(m.username.trim(), password.expose())
        .await
        .map_err(|(e, _)| match e {
            async_imap::error::Error::No(reason) => ConnectorError::MailboxLoginRefused {
                account: account.trim().to_string(),
                reason: clip(&scrub(&reason, password), 200),
            },
            other => imap_error(account, other),
        })
}

async fn greeting<T>(account: &str, client: &mut Client<T>) -> Result<(), ConnectorError>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug,
{
    client
        .read_response()
        .await
        .map_err(|e| unreachable(account, e))?
        .ok_or_else(|| unreachable(account, "the server sent no greeting"))?;
    Ok(())
}

async fn select(
    account: &str,
    session: &mut Session,
    m: &MailboxSettings,
) -> Result<async_imap::types::Mailbox, ConnectorError> {
    session.select(m.folder.trim()).await.map_err(|e| match e {
        async_imap::error::Error::No(reason) => ConnectorError::invalid(
            account,
            "imap_folder",
            format!(
                "the server has no folder {:?}: {}",
                m.folder,
                clip(&reason, 200)
            ),
        ),
        other => imap_error(account, other),
    })
}

/// One login and folder selection: proves the mailbox can be read.
pub async fn probe(
    account: &str,
    m: &MailboxSettings,
    password: &Sensitive<String>,
) -> Result<String, ConnectorError> {
    let run = async {
        let mut session = login(account, m, password).await?;
        let mb = select(account, &mut session, m).await?;
        let _ = session.logout().await;
        Ok(format!(
            "logged in to {} as {} and opened {} ({} messages)",
            m.host.trim(),
            m.username.trim(),
            m.folder.trim(),
            mb.exists
        ))
    };
    tokio::time::timeout(StdDuration::from_secs(TIMEOUT_SECS), run)
        .await
        .unwrap_or_else(|_| Err(unreachable(account, "the server did not answer in time")))
}

/// Where the cursor stands in the folder.
fn position(cursor: &Cursor) -> Option<(u32, u32)> {
    let (v, u) = cursor.token.as_deref()?.split_once(':')?;
    Some((v.parse().ok()?, u.parse().ok()?))
}

/// What a poll needs besides the mailbox: the unsubscribe tokens' key.
pub struct Context<'a> {
    pub account: &'a str,
    pub unsubscribe_key: &'a [u8],
}

/// Reads the new messages of the folder and maps them (see module docs).
pub async fn fetch(
    cx: &Context<'_>,
    m: &MailboxSettings,
    password: &Sensitive<String>,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    tokio::time::timeout(
        StdDuration::from_secs(TIMEOUT_SECS),
        fetch_inner(cx, m, password, w),
    )
    .await
    .unwrap_or_else(|_| Err(unreachable(cx.account, "the server did not answer in time")))
}

async fn fetch_inner(
    cx: &Context<'_>,
    m: &MailboxSettings,
    password: &Sensitive<String>,
    w: &Window,
) -> Result<Batch, ConnectorError> {
    let account = cx.account;
    let mut session = login(account, m, password).await?;
    let mb = select(account, &mut session, m).await?;
    let validity = mb.uid_validity.unwrap_or(0);
    let after = match position(&w.cursor) {
        Some((v, uid)) if v == validity => Some(uid),
        Some(_) => {
            tracing::warn!(
                account,
                "the mailbox folder was renumbered (UIDVALIDITY changed); reading it again from the account's start"
            );
            None
        }
        None => None,
    };
    let query = match after {
        Some(uid) => format!("UID {}:*", uid.saturating_add(1)),
        None => format!("SINCE {}", w.start.format("%-d-%b-%Y")),
    };
    let mut uids: Vec<u32> = session
        .uid_search(&query)
        .await
        .map_err(|e| imap_error(account, e))?
        .into_iter()
        .filter(|u| after.is_none_or(|a| *u > a))
        .collect();
    uids.sort_unstable();
    uids.truncate(MAX_MESSAGES);
    let mut batch = Batch::default();
    let mut last = after.unwrap_or(0);
    let mut processed = vec![];
    if !uids.is_empty() {
        let set = uid_set(&uids);
        // Sizes and dates first: only what is small enough is fetched whole.
        let metas: Vec<(u32, Option<u32>, Option<Timestamp>)> = session
            .uid_fetch(&set, "(UID RFC822.SIZE INTERNALDATE)")
            .await
            .map_err(|e| imap_error(account, e))?
            .map_ok(|f| {
                (
                    f.uid.unwrap_or(0),
                    f.size,
                    f.internal_date().map(|d| d.with_timezone(&chrono::Utc)),
                )
            })
            .try_collect()
            .await
            .map_err(|e| imap_error(account, e))?;
        let mut wanted = vec![];
        let mut dates = std::collections::HashMap::new();
        for (uid, size, date) in metas {
            if uid == 0 || !uids.contains(&uid) {
                continue;
            }
            last = last.max(uid);
            if after.is_none() && date.is_some_and(|d| d < w.start) {
                continue;
            }
            if size.is_some_and(|s| s > MAX_MESSAGE_BYTES) {
                batch.ignored.push(format!(
                    "message {uid}: larger than {} MB, not read",
                    MAX_MESSAGE_BYTES / (1024 * 1024)
                ));
                continue;
            }
            dates.insert(uid, date);
            wanted.push(uid);
        }
        if !wanted.is_empty() {
            let bodies: Vec<(u32, Vec<u8>)> = session
                .uid_fetch(uid_set(&wanted), "(UID BODY.PEEK[])")
                .await
                .map_err(|e| imap_error(account, e))?
                .map_ok(|f| (f.uid.unwrap_or(0), f.body().unwrap_or_default().to_vec()))
                .try_collect()
                .await
                .map_err(|e| imap_error(account, e))?;
            for (uid, raw) in bodies {
                if !wanted.contains(&uid) {
                    continue;
                }
                let at = dates.get(&uid).copied().flatten().unwrap_or(w.now);
                let fallback_id = format!("imap:{validity}:{uid}");
                match classify(&raw, cx.unsubscribe_key) {
                    Ok(items) => {
                        for item in items {
                            batch.items.push(item.into_incoming(at, w, &fallback_id));
                        }
                        processed.push(uid);
                    }
                    Err(Skip::NotOurs) => {}
                    Err(Skip::Why(why)) => batch.ignored.push(format!("message {uid}: {why}")),
                }
            }
        }
        let keyword_allowed = mb.permanent_flags.iter().any(|f| {
            matches!(f, async_imap::types::Flag::MayCreate)
                || matches!(f, async_imap::types::Flag::Custom(c) if c == PROCESSED_KEYWORD)
        });
        if !processed.is_empty() && keyword_allowed {
            let flagged: Result<Vec<_>, _> = match session
                .uid_store(
                    uid_set(&processed),
                    format!("+FLAGS.SILENT ({PROCESSED_KEYWORD})"),
                )
                .await
            {
                Ok(s) => s.try_collect().await,
                Err(e) => Err(e),
            };
            if let Err(e) = flagged {
                tracing::warn!(account, error = %e, "could not flag the processed messages");
            }
        }
    }
    let _ = session.logout().await;
    batch.cursor = Cursor {
        at: Some(w.now),
        token: Some(format!("{validity}:{last}")),
    };
    Ok(batch)
}

/// `1,3,4` as an IMAP sequence set.
fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn clip(s: &str, max: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= max {
        clean.trim().to_string()
    } else {
        let mut t: String = clean.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn scrub(text: &str, secret: &Sensitive<String>) -> String {
    let s = secret.expose();
    if s.is_empty() {
        text.to_string()
    } else {
        text.replace(s.as_str(), "<redacted>")
    }
}

/// Why a message was not turned into an event.
#[derive(Debug, PartialEq)]
pub enum Skip {
    /// Ordinary mail: left alone without a note.
    NotOurs,
    /// Looked like ours but was not usable.
    Why(String),
}

/// One event read from a message, before it is dated and keyed.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub event_type: &'static str,
    pub email: Option<String>,
    pub payload: Value,
    pub effect: Option<ContactEffect>,
    /// The idempotency key of the email Cairn sent that this is about.
    pub sent_message: Option<String>,
    /// Else: the address Cairn sent to (its latest email there).
    pub sent_to: Option<String>,
    /// The message's own Message-ID (the dedupe key), with a suffix when a
    /// message yields several events (a DSN about two recipients).
    pub external_id: Option<String>,
}

impl Item {
    fn into_incoming(self, at: Timestamp, w: &Window, fallback_id: &str) -> Incoming {
        let id = self
            .external_id
            .map(|id| format!("{}:{id}", self.event_type))
            .unwrap_or_else(|| format!("{}:{fallback_id}", self.event_type));
        let mut payload = self.payload;
        if let Some(p) = payload.as_object_mut() {
            p.retain(|_, v| !v.is_null());
        }
        Incoming {
            event: map::event(self.event_type, self.email, payload, at, &w.source, id),
            effect: self.effect,
            sent_message: self.sent_message,
            sent_to: self.sent_to,
        }
    }
}

fn header(mail: &ParsedMail<'_>, name: &str) -> Option<String> {
    mail.headers
        .get_first_value(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The address of a `From:`-like header value.
fn address(value: &str) -> Option<String> {
    let list = mailparse::addrparse(value).ok()?;
    let first = list.extract_single_info()?;
    map::email([Some(first.addr.as_str())])
}

/// `<a@b>` → `a@b`, at most 250 characters, no controls.
fn msg_id(value: &str) -> Option<String> {
    let ids = mailparse::msgidparse(value).ok()?;
    let id = ids.first()?.trim().to_string();
    (!id.is_empty() && id.len() <= 250 && !id.chars().any(char::is_control)).then_some(id)
}

/// The outbox key of a Message-ID Cairn made (`cairn-…@domain`).
fn cairn_key(id: &str) -> Option<String> {
    crate::mailgun::message_key(id).filter(|k| k.starts_with("cairn-"))
}

fn count_parts(mail: &ParsedMail<'_>) -> usize {
    1 + mail.subparts.iter().map(count_parts).sum::<usize>()
}

/// Reads one message (see the module docs). Several items for a DSN about
/// several recipients.
pub fn classify(raw: &[u8], unsubscribe_key: &[u8]) -> Result<Vec<Item>, Skip> {
    // mailparse recurses into multiparts: refuse absurd nesting before it.
    let boundaries = raw
        .windows(9)
        .filter(|w| w.eq_ignore_ascii_case(b"boundary="))
        .count();
    if boundaries > MAX_PARTS {
        return Err(Skip::Why(format!(
            "more than {MAX_PARTS} MIME parts, not read"
        )));
    }
    let mail = mailparse::parse_mail(raw).map_err(|e| {
        Skip::Why(format!(
            "not a readable message: {}",
            clip(&e.to_string(), 200)
        ))
    })?;
    if count_parts(&mail) > MAX_PARTS {
        return Err(Skip::Why(format!(
            "more than {MAX_PARTS} MIME parts, not read"
        )));
    }
    let own_id = header(&mail, "Message-ID").and_then(|v| msg_id(&v));
    let subject = header(&mail, "Subject").map(|s| clip(&s, 300));
    let from = header(&mail, "From").and_then(|f| address(&f));

    // 1. A mailto unsubscribe.
    if let Some(token) = subject
        .as_deref()
        .and_then(cairn_store::unsubscribe::token_in_subject)
    {
        let Some(from) = from else {
            return Err(Skip::Why("an unsubscribe request without a sender".into()));
        };
        if !cairn_store::unsubscribe::verify(unsubscribe_key, &from, &token) {
            return Err(Skip::Why(format!(
                "an unsubscribe request whose token is not {from}'s; ignored"
            )));
        }
        return Ok(vec![Item {
            event_type: types::CONTACT_UNSUBSCRIBED,
            email: Some(from),
            payload: json!({"via": "mailto", "message_id": own_id}),
            effect: Some(ContactEffect::Unsubscribed),
            sent_message: None,
            sent_to: None,
            external_id: own_id,
        }]);
    }

    // 2. Reports.
    if mail.ctype.mimetype == "multipart/report" {
        let report_type = mail
            .ctype
            .params
            .get("report-type")
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default();
        return match report_type.as_str() {
            "delivery-status" => dsn(&mail, own_id),
            "feedback-report" => arf(&mail, own_id),
            other => Err(Skip::Why(format!(
                "a report of type {:?}, not one Cairn reads",
                clip(other, 40)
            ))),
        };
    }

    // 3. A reply to mail Cairn sent.
    let mut refs = vec![];
    if let Some(v) = header(&mail, "In-Reply-To") {
        refs.extend(
            mailparse::msgidparse(&v)
                .map(|l| l.to_vec())
                .unwrap_or_default(),
        );
    }
    if let Some(v) = header(&mail, "References") {
        let mut r = mailparse::msgidparse(&v)
            .map(|l| l.to_vec())
            .unwrap_or_default();
        r.reverse();
        refs.extend(r);
    }
    let Some((key, replied_to)) = refs
        .iter()
        .find_map(|id| cairn_key(id).map(|k| (k, id.clone())))
    else {
        return Err(Skip::NotOurs);
    };
    if let Some(auto) = header(&mail, "Auto-Submitted")
        && !auto.eq_ignore_ascii_case("no")
    {
        return Err(Skip::Why(format!(
            "an automatic answer (Auto-Submitted: {}), not a reply",
            clip(&auto, 40)
        )));
    }
    let Some(from) = from else {
        return Err(Skip::Why("a reply without a sender address".into()));
    };
    Ok(vec![Item {
        event_type: types::EMAIL_REPLIED,
        email: Some(from),
        payload: json!({
            "subject": subject,
            "message_id": own_id,
            "in_reply_to": replied_to,
        }),
        effect: None,
        sent_message: Some(key),
        sent_to: None,
        external_id: own_id,
    }])
}

fn parts<'a, 'b>(mail: &'b ParsedMail<'a>) -> Vec<&'b ParsedMail<'a>> {
    let mut out = vec![mail];
    for p in &mail.subparts {
        out.extend(parts(p));
    }
    out
}

/// The headers of the returned message in a report (a `message/rfc822`
/// or `text/rfc822-headers` part).
fn returned_headers(mail: &ParsedMail<'_>) -> Option<Vec<(String, String)>> {
    let part = parts(mail).into_iter().find(|p| {
        matches!(
            p.ctype.mimetype.as_str(),
            "message/rfc822" | "text/rfc822-headers" | "message/global" | "message/global-headers"
        )
    })?;
    let body = part.get_body_raw().ok()?;
    let (headers, _) = mailparse::parse_headers(&body).ok()?;
    Some(
        headers
            .iter()
            .map(|h| (h.get_key().to_ascii_lowercase(), h.get_value()))
            .collect(),
    )
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The blocks of a `message/delivery-status` or `message/feedback-report`
/// body: header fields separated by blank lines.
fn field_blocks(mail: &ParsedMail<'_>, mimetypes: &[&str]) -> Option<Vec<Vec<(String, String)>>> {
    let part = parts(mail)
        .into_iter()
        .find(|p| mimetypes.contains(&p.ctype.mimetype.as_str()))?;
    let body = part.get_body_raw().ok()?;
    let text = String::from_utf8_lossy(&body).replace("\r\n", "\n");
    let mut blocks = vec![];
    for block in text.split("\n\n") {
        let block = block.trim_matches('\n');
        if block.is_empty() {
            continue;
        }
        let with_end = format!("{block}\n\n");
        let Ok((headers, _)) = mailparse::parse_headers(with_end.as_bytes()) else {
            continue;
        };
        blocks.push(
            headers
                .iter()
                .map(|h| (h.get_key().to_ascii_lowercase(), h.get_value()))
                .collect(),
        );
    }
    Some(blocks)
}

/// `rfc822; ada@example.com` → the address.
fn typed_address(value: &str) -> Option<String> {
    let addr = value.split_once(';').map_or(value, |(_, a)| a).trim();
    map::email([Some(addr.trim_matches(|c| c == '<' || c == '>'))])
}

/// A status code `X.Y.Z` (RFC 3463), checked.
fn status_code(value: &str) -> Option<String> {
    let code = value.split_whitespace().next()?;
    let mut it = code.split('.');
    let class = it.next()?;
    let (subject, detail) = (it.next()?, it.next()?);
    let ok = matches!(class, "2" | "4" | "5")
        && it.next().is_none()
        && [subject, detail]
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| code.to_string())
}

fn dsn(mail: &ParsedMail<'_>, own_id: Option<String>) -> Result<Vec<Item>, Skip> {
    let blocks = field_blocks(
        mail,
        &["message/delivery-status", "message/global-delivery-status"],
    )
    .ok_or_else(|| Skip::Why("a delivery report without its delivery-status part".into()))?;
    let returned = returned_headers(mail).unwrap_or_default();
    let sent = field(&returned, "message-id")
        .and_then(msg_id)
        .and_then(|id| cairn_key(&id));
    let mut items = vec![];
    // The first block is about the message; the rest, one per recipient.
    for (i, rcpt) in blocks.iter().enumerate().skip(1) {
        let action = field(rcpt, "action").unwrap_or("").to_ascii_lowercase();
        if !matches!(action.as_str(), "failed" | "delayed") {
            continue;
        }
        let Some(status) = field(rcpt, "status").and_then(status_code) else {
            continue;
        };
        let hard = status.starts_with('5');
        if !hard && !status.starts_with('4') {
            continue;
        }
        let recipient = field(rcpt, "original-recipient")
            .and_then(typed_address)
            .or_else(|| field(rcpt, "final-recipient").and_then(typed_address));
        let Some(recipient) = recipient else {
            continue;
        };
        let diagnostic = field(rcpt, "diagnostic-code").map(|d| clip(d, 300));
        items.push(Item {
            event_type: types::EMAIL_BOUNCED,
            email: Some(recipient.clone()),
            payload: json!({
                "bounce": if hard { "hard" } else { "soft" },
                "status": status,
                "action": action,
                "recipient": recipient,
                "description": diagnostic,
                "message_id": own_id,
            }),
            effect: hard.then_some(ContactEffect::Bounced),
            sent_message: sent.clone(),
            sent_to: if sent.is_none() {
                Some(recipient)
            } else {
                None
            },
            external_id: own_id.as_ref().map(|id| format!("{id}#{i}")),
        });
    }
    if items.is_empty() {
        return Err(Skip::Why(
            "a delivery report with no failed or delayed recipient Cairn can read".into(),
        ));
    }
    Ok(items)
}

fn arf(mail: &ParsedMail<'_>, own_id: Option<String>) -> Result<Vec<Item>, Skip> {
    let blocks = field_blocks(mail, &["message/feedback-report"])
        .ok_or_else(|| Skip::Why("an abuse report without its feedback-report part".into()))?;
    let fields: Vec<(String, String)> = blocks.into_iter().flatten().collect();
    let feedback = field(&fields, "feedback-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if feedback != "abuse" {
        return Err(Skip::Why(format!(
            "a feedback report of type {:?}, not a complaint",
            clip(&feedback, 40)
        )));
    }
    let returned = returned_headers(mail).unwrap_or_default();
    let sent = field(&returned, "message-id")
        .and_then(msg_id)
        .and_then(|id| cairn_key(&id));
    let recipient = field(&fields, "original-rcpt-to")
        .and_then(|v| map::email([Some(v.trim_matches(|c| c == '<' || c == '>'))]))
        .or_else(|| field(&returned, "to").and_then(address));
    let Some(recipient) = recipient else {
        return Err(Skip::Why(
            "an abuse report that names no recipient (redacted?)".into(),
        ));
    };
    Ok(vec![Item {
        event_type: types::EMAIL_COMPLAINED,
        email: Some(recipient.clone()),
        payload: json!({
            "feedback_type": feedback,
            "recipient": recipient,
            "user_agent": field(&fields, "user-agent").map(|u| clip(u, 100)),
            "message_id": own_id,
        }),
        effect: Some(ContactEffect::Unsubscribed),
        sent_message: sent.clone(),
        sent_to: if sent.is_none() {
            Some(recipient)
        } else {
            None
        },
        external_id: own_id,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    fn crlf(s: &str) -> Vec<u8> {
        s.replace('\n', "\r\n").into_bytes()
    }

    #[test]
    fn status_codes_and_typed_addresses() {
        assert_eq!(status_code("5.1.1 (bad)").as_deref(), Some("5.1.1"));
        assert_eq!(status_code("4.2.2").as_deref(), Some("4.2.2"));
        assert_eq!(status_code("9.9.9"), None);
        assert_eq!(status_code("5.1"), None);
        assert_eq!(status_code("5.1.99999999999999999999"), None);
        assert_eq!(
            typed_address("rfc822; <Ada@Example.com>").as_deref(),
            Some("Ada@Example.com")
        );
        assert_eq!(typed_address("rfc822; not an address"), None);
    }

    #[test]
    fn ordinary_mail_is_left_alone() {
        let m = crlf("From: a@example.com\nSubject: hello\nMessage-ID: <x@y>\n\nhi\n");
        assert_eq!(classify(&m, &KEY), Err(Skip::NotOurs));
        let reply_elsewhere =
            crlf("From: a@example.com\nIn-Reply-To: <abc@gmail.com>\nSubject: Re: x\n\nhi\n");
        assert_eq!(classify(&reply_elsewhere, &KEY), Err(Skip::NotOurs));
    }

    #[test]
    fn an_out_of_office_answer_is_not_a_reply() {
        let m = crlf(
            "From: a@example.com\nIn-Reply-To: <cairn-1-0-2-3@coach.test>\nAuto-Submitted: auto-replied\nSubject: Away\n\nback monday\n",
        );
        assert!(matches!(classify(&m, &KEY), Err(Skip::Why(w)) if w.contains("automatic")));
    }

    #[test]
    fn absurd_nesting_is_refused_before_parsing() {
        let mut m = String::from("From: a@example.com\n");
        for i in 0..200 {
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n"
            ));
        }
        assert!(
            matches!(classify(m.as_bytes(), &KEY), Err(Skip::Why(w)) if w.contains("MIME parts"))
        );
    }
}
