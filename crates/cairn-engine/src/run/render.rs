//! Rendering: the merge context of a run, and the effect an external action
//! produces from it (escaped for where each value lands).

use cairn_model::contact::Contact;
use cairn_model::effect::{
    DesktopNotice, Effect, EmailMessage, RunMode, SlackMessage, WebhookRequest,
};
use cairn_model::template::{self, Escape};
use cairn_model::workflow::{EmailKind, HeaderValue, Node, NodeSpec, NotifyChannel};
use cairn_store::runs;
use rusqlite::Connection;
use serde_json::{Value, json};

use super::{Batch, OpenRun};
use crate::error::Result;

/// The merge context: `contact`, `trigger`, `workflow`, `unsubscribe_url`,
/// and `event` — the payload of the event a wait-for-event of this run last
/// received (`{{ event.tracking_number }}` after "wait until fulfilled").
pub(super) fn merge_ctx(
    batch: &Batch<'_>,
    run: &OpenRun,
    c: &Contact,
    unsubscribe: &str,
) -> Result<Value> {
    let mut ctx = template::context(c, &run.trigger, &run.workflow, unsubscribe);
    let waits_for_events = run
        .def
        .nodes
        .iter()
        .any(|n| matches!(n.spec, NodeSpec::WaitForEvent(_)));
    let event = if waits_for_events {
        runs::arrived_event_payload_using(batch.tx, run.id)?.unwrap_or_else(|| json!({}))
    } else {
        json!({})
    };
    ctx["event"] = event;
    Ok(ctx)
}

fn account_settings(c: &Connection, name: &str) -> Result<Option<Value>> {
    Ok(cairn_store::accounts::settings_using(c, name)?)
}

/// The bare address in `"Name <addr>"` or `addr`.
fn bare_address(from: &str) -> &str {
    match (from.find('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => from[a + 1..b].trim(),
        _ => from.trim(),
    }
}

/// The unsubscribe link of a marketing email to `c` sent from `from`, used
/// in the body (`{{ unsubscribe_url }}`, or the footer `render_email` adds)
/// and in `List-Unsubscribe`. The one place that decides how a contact
/// unsubscribes.
fn unsubscribe_link(
    batch: &Batch<'_>,
    from: &str,
    c: &Contact,
) -> std::result::Result<String, String> {
    // The contact's own token: a request read back from the sending
    // mailbox unsubscribes only the contact it was given to.
    cairn_store::unsubscribe::mailto_using(batch.tx, from, &c.email).map_err(|e| e.to_string())
}

/// The bare sending address and the owner address of SMTP account `account`.
fn sender_of(c: &Connection, account: &str) -> std::result::Result<(String, String), String> {
    let settings = account_settings(c, account)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("there is no account named {account:?}"))?;
    let from = settings
        .get("from")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_default();
    let owner = settings
        .get("owner")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| bare_address(&from).to_string());
    Ok((bare_address(&from).to_string(), owner))
}

fn domain_of(addr: &str) -> String {
    addr.rsplit('@')
        .next()
        .filter(|d| !d.is_empty())
        .unwrap_or("cairn.local")
        .to_string()
}

/// A notice to the team on `channel`: `text` (rendered for that channel,
/// see [`notice_escape`]) under `title`. An email goes to the owner of the
/// SMTP account, or to `to` when given (a test run's contact). Used by the
/// notify action and by the workflow's error path alike.
pub(super) fn notice_effect(
    c: &Connection,
    channel: &NotifyChannel,
    title: &str,
    text: String,
    key: &str,
    to: Option<&str>,
) -> std::result::Result<Effect, String> {
    Ok(match channel {
        NotifyChannel::Slack { account } => Effect::Slack(SlackMessage {
            account: account.clone(),
            text,
        }),
        NotifyChannel::Desktop => Effect::Desktop(DesktopNotice {
            title: title.to_string(),
            body: text,
        }),
        NotifyChannel::EmailOwner { account } => {
            let (from, owner) = sender_of(c, account)?;
            let html = format!("<p>{}</p>", cairn_model::template::html_escape(&text));
            Effect::Email(EmailMessage {
                account: account.clone(),
                to: to.map_or(owner, str::to_string),
                to_name: None,
                subject: format!("[Cairn] {title}"),
                html,
                text,
                message_id: format!("<{key}@{}>", domain_of(&from)),
                list_unsubscribe: None,
                template: String::new(),
                contact_id: None,
            })
        }
    })
}

/// How values are escaped in a notice's text: Slack reads `<!channel>`
/// and `<@U…>` in text, so values are escaped there; elsewhere the text is
/// plain.
pub(super) fn notice_escape(channel: &NotifyChannel) -> Escape {
    match channel {
        NotifyChannel::Slack { .. } => Escape::Slack,
        _ => Escape::Plain,
    }
}

pub(super) fn render_effect(
    batch: &Batch<'_>,
    run: &OpenRun,
    node: &Node,
    c: &Contact,
    key: &str,
) -> std::result::Result<Effect, String> {
    match &node.spec {
        NodeSpec::SendEmail(s) => {
            let tpl = run.def.template(&s.template).ok_or_else(|| {
                format!("this workflow has no email template named {:?}", s.template)
            })?;
            let (from, _) = sender_of(batch.tx, &s.account)?;
            // Transactional mail carries no unsubscribe link or header.
            let unsubscribe = match tpl.kind {
                EmailKind::Marketing => Some(unsubscribe_link(batch, &from, c)?),
                EmailKind::Transactional => None,
            };
            let ctx = merge_ctx(batch, run, c, unsubscribe.as_deref().unwrap_or(""))
                .map_err(|e| e.to_string())?;
            let r = template::render_email(tpl, &ctx)
                .map_err(|e| format!("email template {:?}: {e}", s.template))?;
            Ok(Effect::Email(EmailMessage {
                account: s.account.clone(),
                to: c.email.clone(),
                to_name: c.name.clone(),
                subject: r.subject,
                html: r.html,
                text: r.text,
                message_id: format!("<{key}@{}>", domain_of(&from)),
                list_unsubscribe: unsubscribe,
                template: s.template.clone(),
                contact_id: Some(c.id),
            }))
        }
        NodeSpec::Webhook(w) => {
            let ctx = merge_ctx(batch, run, c, "").map_err(|e| e.to_string())?;
            let url =
                template::render(&w.url, &ctx, Escape::Url).map_err(|e| format!("the URL: {e}"))?;
            let mut headers = std::collections::BTreeMap::new();
            let mut secret_headers = std::collections::BTreeMap::new();
            for (k, v) in &w.headers {
                match v {
                    HeaderValue::Text(t) => {
                        headers.insert(
                            k.clone(),
                            template::render(t, &ctx, Escape::Plain)
                                .map_err(|e| format!("header {k:?}: {e}"))?,
                        );
                    }
                    // Only the reference goes into the outbox.
                    HeaderValue::Secret(r) => {
                        secret_headers.insert(k.clone(), r.clone());
                    }
                }
            }
            let body = match &w.body {
                Some(b) => {
                    let text = template::render(b, &ctx, Escape::Json)
                        .map_err(|e| format!("the body: {e}"))?;
                    serde_json::from_str::<Value>(&text)
                        .map_err(|e| format!("the body is not valid JSON after merging: {e}"))?;
                    Some(text)
                }
                None => None,
            };
            Ok(Effect::Webhook(WebhookRequest {
                method: w.method,
                url,
                headers,
                secret_headers,
                body,
                signing_account: w.account.clone(),
                timeout_secs: w.timeout.map(|t| t.secs().max(1) as u64).unwrap_or(10),
            }))
        }
        NodeSpec::Notify(n) => {
            let ctx = merge_ctx(batch, run, c, "").map_err(|e| e.to_string())?;
            let text = template::render(&n.message, &ctx, notice_escape(&n.channel))
                .map_err(|e| format!("the message: {e}"))?;
            // In a test run, mail goes to the test contact only.
            let to = (run.mode == RunMode::Test).then_some(c.email.as_str());
            notice_effect(batch.tx, &n.channel, &run.workflow, text, key, to)
        }
        other => Err(format!("{} is not an external action", other.kind())),
    }
}
