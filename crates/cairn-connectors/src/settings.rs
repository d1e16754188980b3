//! A source account's settings: its kind's struct, read from the stored
//! JSON with errors that name the setting, and the one setting every kind
//! has — `base_url`, the provider's address, which only tests and proxies
//! change. Secrets are never here (they are in the vault).

use cairn_model::account::AccountKind;
use cairn_store::accounts::Account;
use reqwest::Url;
use serde::de::DeserializeOwned;

use crate::error::ConnectorError;
use crate::json_feed::FeedSettings;
use crate::mailgun::MailgunSettings;
use crate::postmark::PostmarkSettings;
use crate::shopify::ShopifySettings;
use crate::stripe::StripeSettings;
use crate::tally::TallySettings;
use crate::teachable::TeachableSettings;
use crate::thinkific::ThinkificSettings;
use crate::typeform::TypeformSettings;

/// The settings of a source account, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSettings {
    Stripe(StripeSettings),
    Shopify(ShopifySettings),
    Typeform(TypeformSettings),
    Tally(TallySettings),
    Thinkific(ThinkificSettings),
    Teachable(TeachableSettings),
    Mailgun(MailgunSettings),
    Postmark(PostmarkSettings),
    // Boxed: a feed's settings are four times any other kind's.
    JsonFeed(Box<FeedSettings>),
}

impl SourceSettings {
    /// Reads and checks an account's stored settings.
    pub fn of(account: &Account) -> Result<SourceSettings, ConnectorError> {
        SourceSettings::parse(account.kind, &account.settings, &account.name)
    }

    /// Reads and checks settings of a `kind` given as JSON (as stored, or
    /// as the app's form sends them).
    pub fn parse(
        kind: AccountKind,
        json: &serde_json::Value,
        name: &str,
    ) -> Result<SourceSettings, ConnectorError> {
        let s = match kind {
            AccountKind::Stripe => SourceSettings::Stripe(parse(json, name)?),
            AccountKind::Shopify => SourceSettings::Shopify(parse(json, name)?),
            AccountKind::Typeform => SourceSettings::Typeform(parse(json, name)?),
            AccountKind::Tally => SourceSettings::Tally(parse(json, name)?),
            AccountKind::Thinkific => SourceSettings::Thinkific(parse(json, name)?),
            AccountKind::Teachable => SourceSettings::Teachable(parse(json, name)?),
            AccountKind::Mailgun => SourceSettings::Mailgun(parse(json, name)?),
            AccountKind::Postmark => SourceSettings::Postmark(parse(json, name)?),
            AccountKind::JsonFeed => SourceSettings::JsonFeed(Box::new(parse(json, name)?)),
            other => {
                return Err(ConnectorError::invalid(
                    name,
                    "kind",
                    format!("a {other} account is not polled for events"),
                ));
            }
        };
        s.check(name)?;
        Ok(s)
    }

    /// Checks what serde cannot: required values, URLs, pointers.
    pub fn check(&self, account: &str) -> Result<(), ConnectorError> {
        match self {
            SourceSettings::Stripe(s) => base_url(
                account,
                s.base_url.as_deref(),
                crate::stripe::DEFAULT_BASE_URL,
            )
            .map(|_| ()),
            SourceSettings::Shopify(s) => s.check(account),
            SourceSettings::Typeform(s) => s.check(account),
            SourceSettings::Tally(s) => s.check(account),
            SourceSettings::Thinkific(s) => s.check(account),
            SourceSettings::Teachable(s) => s.check(account),
            SourceSettings::Mailgun(s) => s.check(account),
            SourceSettings::Postmark(s) => s.check(account),
            SourceSettings::JsonFeed(s) => s.check(account),
        }
    }

    pub fn kind(&self) -> AccountKind {
        match self {
            SourceSettings::Stripe(_) => AccountKind::Stripe,
            SourceSettings::Shopify(_) => AccountKind::Shopify,
            SourceSettings::Typeform(_) => AccountKind::Typeform,
            SourceSettings::Tally(_) => AccountKind::Tally,
            SourceSettings::Thinkific(_) => AccountKind::Thinkific,
            SourceSettings::Teachable(_) => AccountKind::Teachable,
            SourceSettings::Mailgun(_) => AccountKind::Mailgun,
            SourceSettings::Postmark(_) => AccountKind::Postmark,
            SourceSettings::JsonFeed(_) => AccountKind::JsonFeed,
        }
    }

    /// Whether the account has a secret in the vault. Every kind does but a
    /// JSON feed without an auth header: its polls never touch the vault.
    pub fn needs_secret(&self) -> bool {
        match self {
            SourceSettings::JsonFeed(f) => f.auth_header.is_some(),
            _ => true,
        }
    }

    /// As stored in the account row.
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            SourceSettings::Stripe(s) => serde_json::to_value(s),
            SourceSettings::Shopify(s) => serde_json::to_value(s),
            SourceSettings::Typeform(s) => serde_json::to_value(s),
            SourceSettings::Tally(s) => serde_json::to_value(s),
            SourceSettings::Thinkific(s) => serde_json::to_value(s),
            SourceSettings::Teachable(s) => serde_json::to_value(s),
            SourceSettings::Mailgun(s) => serde_json::to_value(s),
            SourceSettings::Postmark(s) => serde_json::to_value(s),
            SourceSettings::JsonFeed(s) => serde_json::to_value(s),
        };
        v.unwrap_or_default()
    }

    /// A one-line summary for listings.
    pub fn summary(&self) -> String {
        match self {
            SourceSettings::Stripe(s) => {
                format!("purchases from {:?}", s.purchases_from).to_lowercase()
            }
            SourceSettings::Shopify(s) => format!("shop {}", s.shop),
            SourceSettings::Typeform(s) => format!("form {}", s.form_id),
            SourceSettings::Tally(s) => format!("form {}", s.form_id),
            SourceSettings::Thinkific(s) => format!("school {}", s.subdomain),
            SourceSettings::Teachable(_) => "school".into(),
            SourceSettings::Mailgun(s) => format!("domain {}", s.domain),
            SourceSettings::Postmark(s) => format!("stream {}", s.message_stream),
            SourceSettings::JsonFeed(s) => s.url.clone(),
        }
    }
}

fn parse<T: DeserializeOwned>(json: &serde_json::Value, name: &str) -> Result<T, ConnectorError> {
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        ConnectorError::InvalidSetting {
            account: name.trim().to_string(),
            key: "settings",
            reason: format!(
                "{}: {}",
                if path == "." {
                    "the settings".to_string()
                } else {
                    path
                },
                e.inner()
            ),
        }
    })
}

/// The provider's base URL: the account's `base_url` or the default. It
/// must be HTTPS (plain HTTP only to this machine): requests carry a secret.
pub fn base_url(account: &str, given: Option<&str>, default: &str) -> Result<Url, ConnectorError> {
    let raw = given
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(default);
    let mut url = Url::parse(raw).map_err(|e| {
        ConnectorError::invalid(account, "base_url", format!("{raw:?} is not a URL: {e}"))
    })?;
    crate::http::check_secure_url(&url)
        .map_err(|e| ConnectorError::invalid(account, "base_url", e))?;
    // `join` treats the last segment as a file unless the path ends in '/'.
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}
