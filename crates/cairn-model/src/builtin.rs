//! The built-in templates: eight ready-made workflows in the templates
//! gallery (`assets/templates/*.json`).
//!
//! They are ordinary workflow files, compiled into the binary with
//! `include_str!` so the gallery works offline and with no install step. They
//! are deliberately *not* a second format: `cairn template use` and the app
//! hand [`Builtin::text`] to the same import a user's file goes through
//! (`file::parse`, then `Store::import_workflow`), so a template arrives
//! paused, clashes become copies, and whatever the import checks, it checks
//! here too. Tests keep each file canonical (export gives the same bytes),
//! valid once its accounts exist, and its scenario true under `cairn
//! simulate`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::account::AccountKind;
use crate::file::{self, FileError};
use crate::validate;
use crate::workflow::{NodeSpec, NotifyChannel, Requires, WorkflowDef};

/// One built-in template: a slug for the command line and the file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    /// Stable, URL-safe name: `cairn template use abandoned-cart`.
    pub slug: &'static str,
    /// The workflow file, exactly as in `assets/templates/<slug>.json`.
    pub text: &'static str,
}

macro_rules! builtins {
    ($($slug:literal),* $(,)?) => {
        /// Every built-in template, in gallery order.
        pub const TEMPLATES: &[Builtin] = &[
            $(Builtin {
                slug: $slug,
                text: include_str!(concat!("../../../assets/templates/", $slug, ".json")),
            },)*
        ];
    };
}

builtins![
    "welcome-series",
    "lead-magnet",
    "post-purchase",
    "abandoned-cart",
    "re-engagement",
    "refund",
    "agency-onboarding",
    "order-status",
];

/// The template with this slug.
pub fn get(slug: &str) -> Option<&'static Builtin> {
    TEMPLATES.iter().find(|t| t.slug == slug.trim())
}

impl Builtin {
    /// Reads the template the way any workflow file is read.
    pub fn def(&self) -> Result<WorkflowDef, FileError> {
        file::parse(self.text)
    }

    /// What the gallery shows about the template.
    pub fn info(&self) -> Result<TemplateInfo, FileError> {
        let def = self.def()?;
        Ok(TemplateInfo {
            slug: self.slug.to_string(),
            name: def.name.clone(),
            description: def.description.clone(),
            triggers: def
                .triggers()
                .map(|n| {
                    n.label
                        .clone()
                        .or_else(|| NodeSpec::title_of(n.spec.kind()).map(str::to_string))
                        .unwrap_or_default()
                })
                .collect(),
            nodes: def.nodes.len() as u32,
            emails: def.email_templates.len() as u32,
            goals: def.goals.iter().map(|g| g.name.clone()).collect(),
            accounts: accounts_used(&def),
            engagement: !validate::engagement_readers(&def).is_empty(),
            requires: def.requires.clone(),
        })
    }
}

/// Every built-in template's gallery card, in gallery order.
pub fn list() -> Result<Vec<TemplateInfo>, FileError> {
    TEMPLATES.iter().map(Builtin::info).collect()
}

/// A template as the gallery lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TemplateInfo {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// What starts a run, in words (the trigger nodes' labels).
    pub triggers: Vec<String>,
    pub nodes: u32,
    /// How many email templates travel inside it.
    pub emails: u32,
    /// Goals: reaching one ends the run (a conversion unless marked otherwise).
    pub goals: Vec<String>,
    /// Connected accounts it sends through, by name. They are not created
    /// on import (they hold secrets): until they exist, validation reports
    /// them and the workflow cannot be activated.
    pub accounts: Vec<AccountUse>,
    /// It reads email opens or clicks, so it cannot be activated until an
    /// account that reports them (Mailgun or Postmark) is connected.
    pub engagement: bool,
    /// Fields, pipelines and courses created on import.
    pub requires: Requires,
}

/// A connected account a workflow refers to, and the kind it must be.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub struct AccountUse {
    pub name: String,
    pub kind: AccountKind,
}

/// The connected accounts a workflow's nodes name, each once, by name.
pub fn accounts_used(def: &WorkflowDef) -> Vec<AccountUse> {
    let mut found: BTreeMap<String, AccountKind> = BTreeMap::new();
    for n in &def.nodes {
        let (name, kind) = match &n.spec {
            NodeSpec::SendEmail(s) => (&s.account, AccountKind::Smtp),
            NodeSpec::Webhook(w) => match &w.account {
                Some(a) => (a, AccountKind::Webhook),
                None => continue,
            },
            NodeSpec::Notify(nf) => match &nf.channel {
                NotifyChannel::Slack { account } => (account, AccountKind::Slack),
                NotifyChannel::EmailOwner { account } => (account, AccountKind::Smtp),
                NotifyChannel::Desktop => continue,
            },
            _ => continue,
        };
        if !name.trim().is_empty() {
            found.entry(name.trim().to_string()).or_insert(kind);
        }
    }
    found
        .into_iter()
        .map(|(name, kind)| AccountUse { name, kind })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_found() {
        let mut slugs: Vec<&str> = TEMPLATES.iter().map(|t| t.slug).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), 8);
        assert_eq!(get(" refund ").map(|t| t.slug), Some("refund"));
        assert!(get("refunds").is_none());
    }

    #[test]
    fn every_template_reads_and_has_a_card() {
        for info in list().unwrap() {
            assert!(!info.name.is_empty(), "{}", info.slug);
            assert!(info.description.len() > 80, "{}: describe it", info.slug);
            assert!(!info.triggers.is_empty(), "{}", info.slug);
            assert!(info.emails > 0, "{}", info.slug);
            // Only the two that read opens or clicks need a tracking account.
            assert_eq!(
                info.engagement,
                ["lead-magnet", "re-engagement"].contains(&info.slug.as_str()),
                "{}",
                info.slug
            );
            assert!(
                info.accounts
                    .iter()
                    .any(|a| a.name == "Email" && a.kind == AccountKind::Smtp),
                "{} sends through the account named Email",
                info.slug
            );
        }
    }
}
