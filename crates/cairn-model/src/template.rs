//! Merge-field templates (MiniJinja, strict).
//!
//! Email subjects and bodies, webhook URLs and bodies, notification messages
//! and set-field values are templates over a context of `contact`, `trigger`
//! (the payload of the event that started the run) and `workflow`. Undefined
//! variables are errors: validation finds them before activation, and a
//! render never silently prints an empty string.

use std::collections::BTreeSet;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use crate::contact::Contact;
use crate::workflow::EmailTemplate;

/// The top-level names a template may use.
pub const ROOTS: [&str; 5] = ["contact", "trigger", "event", "workflow", "unsubscribe_url"];

fn env(json_escape: bool) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    if json_escape {
        env.set_auto_escape_callback(|_| AutoEscape::Json);
    }
    env
}

/// A template that failed to parse or render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

fn describe(e: &minijinja::Error) -> String {
    let mut s = e.kind().to_string();
    if let Some(d) = e.detail() {
        s.push_str(": ");
        s.push_str(d);
    }
    if let Some(l) = e.line() {
        s.push_str(&format!(" (line {l})"));
    }
    s
}

/// The variables a template reads, as dotted paths (`contact.first_name`).
pub fn merge_fields(source: &str) -> Result<BTreeSet<String>, TemplateError> {
    let env = env(false);
    let t = env
        .template_from_str(source)
        .map_err(|e| TemplateError(describe(&e)))?;
    Ok(t.undeclared_variables(true).into_iter().collect())
}

/// Renders a template. With `json_escape`, every value is written as JSON
/// (for webhook bodies: `{"email": {{ contact.email }}}`).
pub fn render(source: &str, ctx: &Value, json_escape: bool) -> Result<String, TemplateError> {
    COMPILED.with(|envs| {
        let mut envs = envs.borrow_mut();
        let slot = &mut envs[usize::from(json_escape)];
        if slot.1.get_template(source).is_err() {
            // Bounded: a workflow has a handful of templates; a process that
            // renders thousands of distinct ones starts over now and then.
            if slot.0 >= MAX_COMPILED {
                *slot = (0, env(json_escape));
            }
            slot.1
                .add_template_owned(source.to_string(), source.to_string())
                .map_err(|e| TemplateError(describe(&e)))?;
            slot.0 += 1;
        }
        let t = slot
            .1
            .get_template(source)
            .map_err(|e| TemplateError(describe(&e)))?;
        t.render(ctx).map_err(|e| TemplateError(describe(&e)))
    })
}

/// Templates compiled once per thread, keyed by their source (one
/// environment with JSON escaping, one without). Rendering the same receipt
/// for 100,000 buyers compiles it once.
const MAX_COMPILED: usize = 1_000;

thread_local! {
    static COMPILED: std::cell::RefCell<[(usize, Environment<'static>); 2]> =
        std::cell::RefCell::new([(0, env(false)), (0, env(true))]);
}

/// The merge context for a contact, a trigger payload and a workflow name.
/// Custom fields sit beside the built-ins: `contact.birthday`.
pub fn context(contact: &Contact, trigger: &Value, workflow: &str, unsubscribe_url: &str) -> Value {
    let mut c = serde_json::Map::new();
    for (k, v) in &contact.fields {
        c.insert(k.clone(), v.clone());
    }
    c.insert("email".into(), contact.email.clone().into());
    c.insert(
        "name".into(),
        contact.name.clone().unwrap_or_default().into(),
    );
    c.insert(
        "first_name".into(),
        contact.first_name().unwrap_or_default().into(),
    );
    c.insert("status".into(), contact.status.as_str().into());
    c.insert(
        "timezone".into(),
        contact.timezone.clone().unwrap_or_default().into(),
    );
    c.insert("tags".into(), contact.tags.clone().into());
    json!({
        "contact": Value::Object(c),
        "trigger": trigger,
        "workflow": {"name": workflow},
        "unsubscribe_url": unsubscribe_url,
    })
}

/// An email after merge fields are filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Renders an email template: the subject, the Markdown body as HTML, and
/// the same body as plain text.
pub fn render_email(t: &EmailTemplate, ctx: &Value) -> Result<RenderedEmail, TemplateError> {
    let subject = render(&t.subject, ctx, false)?
        .replace(['\r', '\n'], " ")
        .trim()
        .to_string();
    let markdown = render(&t.body, ctx, false)?;
    let mut body_html = String::new();
    pulldown_cmark::html::push_html(
        &mut body_html,
        pulldown_cmark::Parser::new_ext(&markdown, pulldown_cmark::Options::all()),
    );
    let pre = match &t.preheader {
        Some(p) => format!(
            "<div style=\"display:none;max-height:0;overflow:hidden\">{}</div>\n",
            html_escape(&render(p, ctx, false)?)
        ),
        None => String::new(),
    };
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"font-family:sans-serif;line-height:1.5;max-width:600px\">\n{pre}{body_html}</body></html>\n",
        html_escape(&subject)
    );
    Ok(RenderedEmail {
        subject,
        html,
        text: markdown_to_text(&markdown),
    })
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Markdown is already readable text; only links are rewritten so the URL
/// survives: `[Get it](https://x)` becomes `Get it (https://x)`.
fn markdown_to_text(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut rest = md;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find("](")
            && let Some(end) = after[close + 2..].find(')')
        {
            let label = &after[..close];
            let url = &after[close + 2..close + 2 + end];
            out.push_str(&rest[..open]);
            out.push_str(&format!("{label} ({url})"));
            rest = &after[close + 2 + end + 1..];
            continue;
        }
        out.push_str(&rest[..=open]);
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_and_json_escaped() {
        let ctx = json!({"contact": {"email": "a\"b@x.com"}});
        assert!(render("{{ contact.nope }}", &ctx, false).is_err());
        assert_eq!(
            render("{\"e\": {{ contact.email }}}", &ctx, true).unwrap(),
            "{\"e\": \"a\\\"b@x.com\"}"
        );
        let f = merge_fields("Hi {{ contact.first_name }}, {{ trigger.product }}").unwrap();
        assert!(f.contains("contact.first_name") && f.contains("trigger.product"));
    }

    #[test]
    fn links_survive_in_text() {
        assert_eq!(
            markdown_to_text("Get [the guide](https://x.test/g) now [sic"),
            "Get the guide (https://x.test/g) now [sic"
        );
    }
}
