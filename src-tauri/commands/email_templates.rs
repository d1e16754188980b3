//! Commands behind the Email templates screen.
//!
//! Templates live inside their workflow (`WorkflowDef::email_templates`), so
//! they travel with its file. The screen lists every workflow's templates,
//! saves an edited one by saving its workflow (`Store::save_workflow`, which
//! makes a new version when the current one has runs), and previews one
//! rendered for a contact with `cairn_model::template::render_email`: the
//! same function the engine sends with.

use cairn_model::ErrorCode;
use std::collections::BTreeMap;

use cairn_model::contact::{Contact, ContactStatus, FieldDef, FieldType};
use cairn_model::template::{self, RenderedEmail};
use cairn_model::workflow::{EmailKind, EmailTemplate, NodeSpec, WorkflowDef};
use cairn_model::{Clock, SystemClock, Timestamp};
use cairn_store::Store;
use cairn_store::workflows::{SaveOutcome, WorkflowStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tauri::State;
use ts_rs::TS;

use crate::{AppState, CommandError};

/// One template and the workflow holding it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TemplateEntry {
    #[ts(type = "number")]
    pub workflow_id: i64,
    pub workflow: String,
    pub status: WorkflowStatus,
    pub version: u32,
    pub template: EmailTemplate,
    /// The send-email nodes using it: `(node id, SMTP account)`.
    pub senders: Vec<TemplateSender>,
}

/// A send-email node that uses a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TemplateSender {
    pub node: String,
    pub label: Option<String>,
    pub account: String,
}

/// The templates of one workflow definition, in the order it declares them.
pub fn entries_of(
    workflow_id: i64,
    status: WorkflowStatus,
    version: u32,
    def: &WorkflowDef,
) -> Vec<TemplateEntry> {
    def.email_templates
        .iter()
        .map(|t| TemplateEntry {
            workflow_id,
            workflow: def.name.clone(),
            status,
            version,
            template: t.clone(),
            senders: def
                .nodes
                .iter()
                .filter_map(|n| match &n.spec {
                    NodeSpec::SendEmail(s) if s.template == t.name => Some(TemplateSender {
                        node: n.id.clone(),
                        label: n.label.clone(),
                        account: s.account.clone(),
                    }),
                    _ => None,
                })
                .collect(),
        })
        .collect()
}

/// Every email template of every workflow, by workflow name.
#[tauri::command]
pub async fn list_email_templates(
    state: State<'_, AppState>,
) -> Result<Vec<TemplateEntry>, CommandError> {
    state.database().with_store(|s| all_templates(s)).await
}

/// The body of [`list_email_templates`].
pub fn all_templates(store: &Store) -> Result<Vec<TemplateEntry>, CommandError> {
    let mut out = vec![];
    for w in store.workflows()? {
        let (w, def) = store.workflow_def(&w.name)?;
        out.extend(entries_of(w.id, w.status, w.version, &def));
    }
    Ok(out)
}

/// Replaces the template named `template.name` in `def`; a missing one is
/// `not_found`.
pub fn replace_template(
    def: &mut WorkflowDef,
    template: EmailTemplate,
) -> Result<(), CommandError> {
    let slot = def
        .email_templates
        .iter_mut()
        .find(|t| t.name == template.name)
        .ok_or_else(|| {
            CommandError::new(
                ErrorCode::NotFound,
                format!(
                    "workflow {:?} has no email template named {:?}",
                    def.name, template.name
                ),
            )
        })?;
    *slot = template;
    Ok(())
}

/// Saves an edited template (subject, body, preheader) into its workflow.
#[tauri::command]
pub async fn save_email_template(
    state: State<'_, AppState>,
    workflow_id: i64,
    template: EmailTemplate,
) -> Result<SaveOutcome, CommandError> {
    state
        .database()
        .with_store(move |s| save_template(s, workflow_id, template, SystemClock.now()))
        .await
}

/// The body of [`save_email_template`].
pub fn save_template(
    store: &mut Store,
    workflow_id: i64,
    template: EmailTemplate,
    now: Timestamp,
) -> Result<SaveOutcome, CommandError> {
    let w = store.workflow_by_id(workflow_id)?;
    let (_, mut def) = store.workflow_def(&w.name)?;
    replace_template(&mut def, template)?;
    Ok(store.save_workflow(workflow_id, &def, now)?)
}

/// A made-up contact for previews when the user picks none: a name, an
/// email and a plausible value for every declared custom field.
pub fn sample_contact(fields: &[FieldDef], now: Timestamp) -> Contact {
    let mut values = BTreeMap::new();
    for f in fields {
        let v = match f.field_type {
            FieldType::Text => json!(format!("Sample {}", f.name)),
            FieldType::Number => json!(42),
            FieldType::Date => json!(now.format("%Y-%m-%d").to_string()),
            FieldType::Boolean => json!(true),
        };
        values.insert(f.name.clone(), v);
    }
    Contact {
        id: 0,
        email: "ada@example.com".into(),
        name: Some("Ada Lovelace".into()),
        status: ContactStatus::Subscribed,
        timezone: Some("Europe/London".into()),
        fields: values,
        tags: vec!["sample".into()],
        is_test: true,
        created_at: now,
        updated_at: now,
    }
}

/// The trigger payload of a preview: each `trigger.*` path the template
/// reads, set to a placeholder that names it, since no event started this
/// run. (An empty payload would make every such field an error.)
pub fn sample_trigger(t: &EmailTemplate) -> Value {
    let mut root = serde_json::Map::new();
    let sources = [Some(&t.subject), Some(&t.body), t.preheader.as_ref()];
    for src in sources.into_iter().flatten() {
        let Ok(paths) = template::merge_fields(src) else {
            continue;
        };
        for p in paths {
            let mut parts = p.split('.');
            if parts.next() != Some("trigger") {
                continue;
            }
            let parts: Vec<&str> = parts.collect();
            if parts.is_empty() {
                continue;
            }
            let mut node = &mut root;
            for (i, part) in parts.iter().enumerate() {
                if i + 1 == parts.len() {
                    node.entry(part.to_string())
                        .or_insert_with(|| json!(format!("[{p}]")));
                } else {
                    let next = node.entry(part.to_string()).or_insert_with(|| json!({}));
                    if !next.is_object() {
                        *next = json!({});
                    }
                    node = next.as_object_mut().expect("just made an object");
                }
            }
        }
    }
    Value::Object(root)
}

/// Where a preview's unsubscribe link points: the From address of the SMTP
/// account the template is sent through, as the engine does.
fn unsubscribe_url(store: &Store, account: Option<&str>) -> String {
    let from = account
        .and_then(|a| store.account(a).ok())
        .and_then(|a| a.owner_address())
        .unwrap_or_else(|| "you@example.com".into());
    format!("mailto:{from}?subject=unsubscribe")
}

/// Renders a template (as edited, not necessarily saved) for the contact
/// `contact_id`, or for a made-up one. Merge-field errors come back as the
/// `template` error with the field and line.
#[tauri::command]
pub async fn preview_email(
    state: State<'_, AppState>,
    workflow: String,
    template: EmailTemplate,
    contact_id: Option<i64>,
    account: Option<String>,
) -> Result<RenderedEmail, CommandError> {
    state
        .database()
        .with_store(move |s| {
            preview(
                s,
                &workflow,
                &template,
                contact_id,
                account.as_deref(),
                SystemClock.now(),
            )
        })
        .await
}

/// The body of [`preview_email`].
pub fn preview(
    store: &Store,
    workflow: &str,
    t: &EmailTemplate,
    contact_id: Option<i64>,
    account: Option<&str>,
    now: Timestamp,
) -> Result<RenderedEmail, CommandError> {
    let contact = match contact_id {
        Some(id) => store.contact(id)?.ok_or_else(|| {
            CommandError::from(cairn_store::StoreError::not_found(
                "contact",
                id.to_string(),
            ))
        })?,
        None => sample_contact(&store.fields()?, now),
    };
    // Transactional mail carries no unsubscribe link, as when it is sent.
    let unsubscribe = match t.kind {
        EmailKind::Marketing => unsubscribe_url(store, account),
        EmailKind::Transactional => String::new(),
    };
    let ctx = template::context(&contact, &sample_trigger(t), workflow, &unsubscribe);
    Ok(template::render_email(t, &ctx)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const WELCOME: &str = r#"{"format":"cairn.workflow","version":1,"name":"Welcome series",
      "nodes":[{"id":"t","kind":"trigger.manual","position":{"x":0,"y":0},"config":{}},
               {"id":"mail","kind":"action.send_email","position":{"x":0,"y":100},"config":{"template":"hello","account":"gmail"}}],
      "edges":[{"from":"t","to":"mail"}],
      "email_templates":[{"name":"hello","subject":"Hi {{ contact.first_name }}","body":"Welcome to **{{ workflow.name }}**."}]}"#;

    fn now() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
    }

    #[test]
    fn lists_templates_with_the_nodes_that_send_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
        store.import_workflow(WELCOME, false, now()).unwrap();
        let all = all_templates(&store).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].workflow, "Welcome series");
        assert_eq!(all[0].template.name, "hello");
        assert_eq!(all[0].senders[0].account, "gmail");
    }

    #[test]
    fn saving_changes_the_template_inside_its_workflow() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
        let w = store.import_workflow(WELCOME, false, now()).unwrap();
        let mut t = all_templates(&store).unwrap().remove(0).template;
        t.subject = "Welcome, {{ contact.first_name }}!".into();
        let out = save_template(&mut store, w.id, t, now()).unwrap();
        assert!(!out.unchanged);
        let (_, def) = store.workflow_def("Welcome series").unwrap();
        assert_eq!(
            def.email_templates[0].subject,
            "Welcome, {{ contact.first_name }}!"
        );

        let missing = EmailTemplate {
            name: "nope".into(),
            subject: "x".into(),
            body: "y".into(),
            preheader: None,
            kind: Default::default(),
        };
        let e = save_template(&mut store, w.id, missing, now()).unwrap_err();
        assert_eq!(e.code, "not_found");
    }

    #[test]
    fn previews_for_a_made_up_contact_and_reports_merge_field_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("cairn.db")).unwrap();
        store
            .define_field(
                &FieldDef {
                    name: "plan".into(),
                    field_type: FieldType::Text,
                },
                now(),
            )
            .unwrap();
        let t = EmailTemplate {
            name: "hello".into(),
            subject: "Hi {{ contact.first_name }} ({{ contact.plan }})".into(),
            body: "You bought **{{ trigger.product.name }}**. [Stop]({{ unsubscribe_url }})".into(),
            preheader: None,
            kind: Default::default(),
        };
        let r = preview(&store, "Welcome", &t, None, None, now()).unwrap();
        assert_eq!(r.subject, "Hi Ada (Sample plan)");
        assert!(
            r.html.contains("<strong>[trigger.product.name]</strong>"),
            "{}",
            r.html
        );
        assert!(
            r.text
                .contains("mailto:you@example.com?subject=unsubscribe")
        );

        // A transactional preview shows no unsubscribe link, as it is sent.
        let receipt = EmailTemplate {
            body: "You bought **{{ trigger.product.name }}**.".into(),
            kind: EmailKind::Transactional,
            ..t.clone()
        };
        let r = preview(&store, "Welcome", &receipt, None, None, now()).unwrap();
        assert!(!r.text.to_lowercase().contains("unsubscribe"), "{}", r.text);
        assert!(!r.html.to_lowercase().contains("unsubscribe"), "{}", r.html);

        let bad = EmailTemplate {
            subject: "Hi {{ contact.nickname }}".into(),
            ..t
        };
        let e = preview(&store, "Welcome", &bad, None, None, now()).unwrap_err();
        assert_eq!(e.code, "template");
        assert!(e.message.contains("undefined"), "{}", e.message);
    }
}
