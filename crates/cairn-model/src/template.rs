//! Merge-field templates (MiniJinja, strict, escaped for where they land).
//!
//! Email subjects and bodies, webhook URLs and bodies, notification messages
//! and set-field values are templates over a context of `contact`, `trigger`
//! (the payload of the event that started the run) and `workflow`. Undefined
//! variables are errors: validation finds them before activation, and a
//! render never silently prints an empty string.
//!
//! Merge values are outside data (a contact's name, a form answer), so each
//! render says where its text lands ([`Escape`]) and every value is escaped
//! for that place: entity-escaped for the Markdown email body (a value's
//! `<script>` or `[link](…)` stays text, in the HTML part and in raw HTML
//! the author wrote), JSON in webhook bodies, percent-encoded in webhook
//! URLs, and `&`, `<`, `>` escaped in Slack text (so `<!channel>` pings no
//! one). The escape mode is set on the environment through
//! `set_auto_escape_callback` (one environment per mode) and applied by one
//! formatter; it is never guessed from a template's name or text. A value
//! piped through `|safe` is written as it is: the author's explicit opt-out.
//!
//! Every render runs on a fuel budget ([`FUEL`] instructions): the engine
//! renders inside its write transaction, so a `{% for %}` over a huge range
//! must fail its step quickly instead of holding the database.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use minijinja::value::Value as JinjaValue;
use minijinja::{AutoEscape, Environment, ErrorKind, Output, State, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use crate::contact::Contact;
use crate::workflow::{EmailKind, EmailTemplate};

/// The top-level names a template may use.
pub const ROOTS: [&str; 5] = ["contact", "trigger", "event", "workflow", "unsubscribe_url"];

/// The instructions one render may execute. A receipt with a loop over a
/// hundred order lines uses a few thousand; a runaway loop stops here.
pub const FUEL: u64 = 100_000;

/// Where a rendered template's text lands, which decides how merge values
/// are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Escape {
    /// Values as they are: subjects and preheaders (escaped later as a
    /// whole), plain-text email parts, field values, deal titles, desktop
    /// notices.
    Plain,
    /// The Markdown body of an email, rendered to HTML afterwards: every
    /// character that means something to Markdown or HTML becomes a
    /// character reference, so a value is text wherever it lands.
    Markdown,
    /// A webhook body: every value is written as JSON.
    Json,
    /// A webhook URL: every value is percent-encoded as a URL component
    /// (a value holding a whole URL needs `|safe`).
    Url,
    /// Slack text: `&`, `<` and `>` are escaped, so a value cannot write
    /// `<!channel>`, `<@U123>` or a `<url|label>` link.
    Slack,
}

impl Escape {
    const ALL: [Escape; 5] = [
        Escape::Plain,
        Escape::Markdown,
        Escape::Json,
        Escape::Url,
        Escape::Slack,
    ];

    fn index(self) -> usize {
        self as usize
    }

    fn auto_escape(self) -> AutoEscape {
        match self {
            Escape::Plain => AutoEscape::None,
            Escape::Json => AutoEscape::Json,
            Escape::Markdown => AutoEscape::Custom(MARKDOWN),
            Escape::Url => AutoEscape::Custom(URL),
            Escape::Slack => AutoEscape::Custom(SLACK),
        }
    }
}

const MARKDOWN: &str = "cairn-markdown";
const URL: &str = "cairn-url";
const SLACK: &str = "cairn-slack";

fn env(escape: Escape) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let mode = escape.auto_escape();
    env.set_auto_escape_callback(move |_| mode);
    env.set_formatter(format_value);
    env.set_fuel(Some(FUEL));
    env.add_filter("urlencode", urlencode);
    env
}

/// Writes one `{{ value }}` escaped for the environment's mode.
fn format_value(
    out: &mut Output,
    state: &State,
    value: &JinjaValue,
) -> Result<(), minijinja::Error> {
    let custom = match state.auto_escape() {
        AutoEscape::Custom(name) => name,
        _ => return minijinja::escape_formatter(out, state, value),
    };
    if value.is_safe() {
        return out
            .write_str(value.as_str().unwrap_or_default())
            .map_err(minijinja::Error::from);
    }
    let text = if value.is_none() {
        String::new()
    } else {
        value.to_string()
    };
    let escaped = match custom {
        MARKDOWN => markdown_escape(&text),
        URL => percent_encode(&text),
        SLACK => slack_escape(&text),
        other => {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!("no escaping is defined for {other:?}"),
            ));
        }
    };
    out.write_str(&escaped).map_err(minijinja::Error::from)
}

/// `|urlencode`: the value as one URL component (`a b&c` → `a%20b%26c`),
/// marked safe so no context escapes it twice.
fn urlencode(value: &JinjaValue) -> JinjaValue {
    let text = if value.is_none() || value.is_undefined() {
        String::new()
    } else {
        value.to_string()
    };
    JinjaValue::from_safe_string(percent_encode(&text))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Escapes a value for a Markdown body that becomes HTML. Character
/// references (not backslashes) are used because they mean the same in
/// Markdown text, link destinations and the raw HTML an author may write
/// around a value (`<a href="{{ … }}">`); CommonMark treats them as literal
/// text, never as markup.
pub fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' | '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-'
            | '.' | '!' | '|' | '~' | '$' | '^' | '=' | ':' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Slack's own escaping: the three characters of its control sequences.
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A template that failed to parse or render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

fn describe(e: &minijinja::Error) -> String {
    if e.kind() == ErrorKind::OutOfFuel {
        return format!(
            "the template was stopped after {FUEL} steps (a loop over too many items?); nothing was sent"
        );
    }
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
    let env = env(Escape::Plain);
    let t = env
        .template_from_str(source)
        .map_err(|e| TemplateError(describe(&e)))?;
    Ok(t.undeclared_variables(true).into_iter().collect())
}

/// Renders a template, its merge values escaped for `escape`.
pub fn render(source: &str, ctx: &Value, escape: Escape) -> Result<String, TemplateError> {
    COMPILED.with(|envs| {
        let mut envs = envs.borrow_mut();
        let slot = &mut envs[escape.index()];
        if slot.1.get_template(source).is_err() {
            // Bounded: a workflow has a handful of templates; a process that
            // renders thousands of distinct ones starts over now and then.
            if slot.0 >= MAX_COMPILED {
                *slot = (0, env(escape));
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
/// environment per escape mode). Rendering the same receipt for 100,000
/// buyers compiles it once.
const MAX_COMPILED: usize = 1_000;

thread_local! {
    static COMPILED: std::cell::RefCell<[(usize, Environment<'static>); 5]> =
        std::cell::RefCell::new(Escape::ALL.map(|e| (0, env(e))));
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

/// Renders an email template: the subject, the Markdown body as HTML (merge
/// values escaped, [`Escape::Markdown`]), and the same body as plain text
/// (values as they are). A marketing email whose body has no
/// `{{ unsubscribe_url }}` gets an unsubscribe footer, so every marketing
/// email carries the link; a transactional one never does.
pub fn render_email(t: &EmailTemplate, ctx: &Value) -> Result<RenderedEmail, TemplateError> {
    let subject = render(&t.subject, ctx, Escape::Plain)?
        .replace(['\r', '\n'], " ")
        .trim()
        .to_string();
    let markdown = render(&t.body, ctx, Escape::Markdown)?;
    let mut body_html = String::new();
    pulldown_cmark::html::push_html(
        &mut body_html,
        pulldown_cmark::Parser::new_ext(&markdown, pulldown_cmark::Options::all()),
    );
    let mut text = markdown_to_text(&render(&t.body, ctx, Escape::Plain)?);
    let unsubscribe = ctx
        .get("unsubscribe_url")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or_default();
    if t.kind == EmailKind::Marketing
        && !unsubscribe.is_empty()
        && !merge_fields(&t.body)?.contains("unsubscribe_url")
    {
        body_html.push_str(&format!(
            "<hr>\n<p style=\"font-size:small;color:#666\"><a href=\"{}\">Unsubscribe</a></p>\n",
            html_escape(unsubscribe)
        ));
        text = format!("{}\n\n--\nUnsubscribe: {unsubscribe}\n", text.trim_end());
    }
    let pre = match &t.preheader {
        Some(p) => format!(
            "<div style=\"display:none;max-height:0;overflow:hidden\">{}</div>\n",
            html_escape(&render(p, ctx, Escape::Plain)?)
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
        text,
    })
}

/// Escapes text for HTML: element content and quoted attribute values.
pub fn html_escape(s: &str) -> String {
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

    fn tpl(body: &str, kind: EmailKind) -> EmailTemplate {
        EmailTemplate {
            name: "T".into(),
            subject: "Hi {{ contact.name }}".into(),
            body: body.into(),
            preheader: None,
            kind,
        }
    }

    #[test]
    fn strict_and_json_escaped() {
        let ctx = json!({"contact": {"email": "a\"b@x.com"}});
        assert!(render("{{ contact.nope }}", &ctx, Escape::Plain).is_err());
        assert_eq!(
            render("{\"e\": {{ contact.email }}}", &ctx, Escape::Json).unwrap(),
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

    #[test]
    fn markup_in_a_value_stays_text_in_the_html_body() {
        let ctx = json!({
            "contact": {"name": "<script>alert(1)</script>"},
            "trigger": {"answer": "<img src=x onerror=alert(2)> [Reset](https://evil.test) **bold** # h"},
            "unsubscribe_url": "",
        });
        let r = render_email(
            &tpl(
                "Hello {{ contact.name }}\n\n{{ trigger.answer }}\n\n<p title=\"{{ trigger.answer }}\">raw</p>",
                EmailKind::Transactional,
            ),
            &ctx,
        )
        .unwrap();
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(!r.html.contains("<img"), "{}", r.html);
        assert!(!r.html.contains("href=\"https://evil.test"), "{}", r.html);
        assert!(!r.html.contains("<strong>"), "{}", r.html);
        assert!(!r.html.contains("<h1>"), "{}", r.html);
        assert!(
            r.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{}",
            r.html
        );
        // Inside the author's raw HTML the value cannot close the attribute.
        assert!(r.html.contains("<p title=\"&lt;img"), "{}", r.html);
        // The plain-text part keeps the value as written.
        assert!(
            r.text.contains("Hello <script>alert(1)</script>"),
            "{}",
            r.text
        );
        assert!(r.text.contains("**bold**"), "{}", r.text);
    }

    #[test]
    fn safe_opts_out_and_urls_survive_in_links() {
        let ctx = json!({
            "contact": {"name": "A"},
            "trigger": {"html": "<b>yes</b>", "link": "https://x.test/a?b=1&c=2"},
            "unsubscribe_url": "",
        });
        let r = render_email(
            &tpl(
                "{{ trigger.html|safe }} [Open]({{ trigger.link }}) [Q](https://x.test/?q={{ trigger.html|urlencode }})",
                EmailKind::Transactional,
            ),
            &ctx,
        )
        .unwrap();
        assert!(r.html.contains("<b>yes</b>"), "{}", r.html);
        assert!(
            r.html
                .contains("<a href=\"https://x.test/a?b=1&amp;c=2\">Open</a>"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("href=\"https://x.test/?q=%3Cb%3Eyes%3C%2Fb%3E\""),
            "{}",
            r.html
        );
    }

    #[test]
    fn url_and_slack_contexts() {
        let ctx = json!({"contact": {"email": "a+b@x.com", "name": "<!channel> & <@U1>"}, "trigger": {"u": "https://x.test/h"}});
        assert_eq!(
            render(
                "https://h.test/c/{{ contact.email }}?n={{ contact.name }}",
                &ctx,
                Escape::Url
            )
            .unwrap(),
            "https://h.test/c/a%2Bb%40x.com?n=%3C%21channel%3E%20%26%20%3C%40U1%3E"
        );
        assert_eq!(
            render("{{ trigger.u|safe }}", &ctx, Escape::Url).unwrap(),
            "https://x.test/h"
        );
        assert_eq!(
            render("New: {{ contact.name }} <!here>", &ctx, Escape::Slack).unwrap(),
            "New: &lt;!channel&gt; &amp; &lt;@U1&gt; <!here>"
        );
        assert_eq!(
            render("{{ contact.name }}", &ctx, Escape::Plain).unwrap(),
            "<!channel> & <@U1>"
        );
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel() {
        let e = render(
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
            &json!({}),
            Escape::Plain,
        )
        .unwrap_err();
        assert!(e.0.contains("stopped after"), "{e}");
        // An ordinary loop is far below the limit.
        let ok = render(
            "{% for t in range(200) %}{{ t }},{% endfor %}",
            &json!({}),
            Escape::Plain,
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn the_unsubscribe_link_reaches_the_html_byte_for_byte() {
        // The sender swaps this exact text for a provider's one-click link
        // (cairn-effects email.rs), so escaping must give it back unchanged.
        let url = "mailto:coach@coach.test?subject=unsubscribe%200123456789abcdef";
        let ctx = json!({"contact": {"name": "A"}, "unsubscribe_url": url});
        let r = render_email(
            &tpl("News. [Stop]({{ unsubscribe_url }})", EmailKind::Marketing),
            &ctx,
        )
        .unwrap();
        assert!(r.html.contains(&format!("href=\"{url}\"")), "{}", r.html);
        assert!(r.text.contains(url), "{}", r.text);
    }

    #[test]
    fn marketing_always_carries_the_unsubscribe_link_transactional_never() {
        let ctx = json!({"contact": {"name": "A"}, "unsubscribe_url": "mailto:me@x.test?subject=unsubscribe"});
        let m = render_email(&tpl("Hello", EmailKind::Marketing), &ctx).unwrap();
        assert!(
            m.html
                .contains("href=\"mailto:me@x.test?subject=unsubscribe\">Unsubscribe</a>"),
            "{}",
            m.html
        );
        assert!(
            m.text
                .ends_with("Unsubscribe: mailto:me@x.test?subject=unsubscribe\n"),
            "{}",
            m.text
        );
        // A body that places the link itself gets no second one.
        let own = render_email(
            &tpl("[Leave]({{ unsubscribe_url }})", EmailKind::Marketing),
            &ctx,
        )
        .unwrap();
        assert_eq!(own.html.matches("mailto:").count(), 1, "{}", own.html);
        let t = render_email(
            &tpl("Receipt", EmailKind::Transactional),
            &json!({"contact": {"name": "A"}, "unsubscribe_url": ""}),
        )
        .unwrap();
        assert!(!t.html.contains("Unsubscribe") && !t.text.contains("Unsubscribe"));
    }
}
