//! `cairn account`: connected accounts — add, list, test, re-key, remove.
//!
//! Settings go to the database; the secret part (SMTP password, Slack
//! webhook URL, webhook signing secret, a source's API key or token) is read
//! from standard input, never from an argument (arguments show in `ps` and
//! in shell history), and goes straight to the vault: the OS keyring, or —
//! only when the user opts in with `CAIRN_SECRETS_FILE` — a 0600 secrets
//! file. All the work is done by `cairn_effects::accounts` (accounts that
//! send) and `cairn_connectors::accounts` (accounts polled for events), the
//! same functions the app calls.

use std::io::{Read, Write};
use std::path::PathBuf;

use cairn_connectors::SourceSettings;
use cairn_connectors::json_feed::FeedSettings;
use cairn_connectors::mailgun::{MailgunSettings, Region};
use cairn_connectors::shopify::{self, ShopifySettings};
use cairn_connectors::stripe::{PurchasesFrom, StripeSettings};
use cairn_connectors::tally::TallySettings;
use cairn_connectors::teachable::TeachableSettings;
use cairn_connectors::thinkific::ThinkificSettings;
use cairn_connectors::typeform::TypeformSettings;
use cairn_effects::accounts::{self as core, SecretState};
use cairn_effects::settings::{self, SmtpSecurity};
use cairn_effects::{EffectsError, Vault};
use cairn_model::Sensitive;
use cairn_model::account::AccountKind;
use cairn_store::accounts::{Account, AccountStatus};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Connect an account (its secret is read from standard input).
    #[command(subcommand)]
    Add(AddCommand),
    /// List connected accounts, their status and whether their secret is stored.
    List,
    /// Check an account: SMTP connects and logs in; Slack and webhook
    /// accounts read their secret back and check it; an account polled for
    /// events makes one request to its provider (and, when it works, is
    /// polled again if it needed attention).
    Test { name: String },
    /// Replace an account's secret, read from standard input (an account
    /// that needed attention is polled again).
    Secret { name: String },
    /// Change how an account sends: an SMTP account's connection pool and
    /// rate limits, a webhook or Slack account's rate limits. What is not
    /// given stays as it is; the running executor uses the new values for
    /// the next sends.
    Update(UpdateArgs),
    /// Remove an account and its secret.
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum AddCommand {
    /// An SMTP server to send email through.
    Smtp(Box<SmtpArgs>),
    /// A signing secret for outgoing webhooks (HMAC-SHA256).
    Webhook {
        name: String,
        /// Read the signing secret from standard input.
        #[arg(long)]
        signing_secret_stdin: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// A Slack incoming webhook.
    Slack {
        name: String,
        /// Read the webhook URL from standard input (it is the secret).
        #[arg(long, required = true)]
        webhook_url_stdin: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Stripe: purchases and refunds from the Events API (a secret or
    /// restricted key with read access to events).
    Stripe {
        #[command(flatten)]
        source: SourceArgs,
        /// Which Stripe events are purchases: Checkout Sessions (Checkout and
        /// Payment Links), charges, or both (one purchase per PaymentIntent).
        #[arg(long, value_enum, default_value = "checkout")]
        purchases_from: PurchasesFromArg,
    },
    /// Shopify: orders created, fulfilled and delivered (a custom app's
    /// Admin API access token with read_orders).
    Shopify {
        #[command(flatten)]
        source: SourceArgs,
        /// The shop: my-store or my-store.myshopify.com.
        #[arg(long)]
        shop: String,
        /// The REST Admin API version.
        #[arg(long, default_value = shopify::DEFAULT_API_VERSION)]
        api_version: String,
    },
    /// Typeform: a form's responses (a personal access token with
    /// responses:read).
    Typeform {
        #[command(flatten)]
        source: SourceArgs,
        /// The form id, the last part of the form's URL.
        #[arg(long)]
        form_id: String,
    },
    /// Tally: a form's completed submissions (an API key from Tally's
    /// Settings → API keys).
    Tally {
        #[command(flatten)]
        source: SourceArgs,
        /// The form id, the last part of the form's URL (tally.so/r/ID).
        #[arg(long)]
        form_id: String,
    },
    /// Thinkific: enrolls and unenrolls contacts in linked courses (`cairn
    /// course link`) and brings in their progress (an Admin API key).
    Thinkific {
        #[command(flatten)]
        source: SourceArgs,
        /// The school's subdomain (coach for coach.thinkific.com).
        #[arg(long)]
        subdomain: String,
    },
    /// Teachable: enrolls and unenrolls contacts in linked courses (`cairn
    /// course link`) and brings in their progress (a public API key).
    Teachable {
        #[command(flatten)]
        source: SourceArgs,
    },
    /// Mailgun: delivered, opened, clicked, bounced and complained events
    /// of mail Cairn sent through Mailgun (a private API key).
    Mailgun {
        #[command(flatten)]
        source: SourceArgs,
        /// The sending domain, e.g. mg.example.com.
        #[arg(long)]
        domain: String,
        #[arg(long, value_enum, default_value = "us")]
        region: RegionArg,
    },
    /// Postmark: bounces, spam complaints, opens, clicks and unsubscribes
    /// of mail Cairn sent through Postmark's SMTP (the server token).
    Postmark {
        #[command(flatten)]
        source: SourceArgs,
        /// The message stream Cairn's mail goes through.
        #[arg(long, default_value = cairn_connectors::postmark::DEFAULT_STREAM)]
        message_stream: String,
    },
    /// Any HTTP endpoint that lists events as JSON; where things are is
    /// given as JSON pointers (/data/0/id).
    #[command(name = "json-feed")]
    JsonFeed(Box<FeedArgs>),
}

/// The rate limits of a webhook or Slack account (a webhook counts against
/// the account that signs it). Slack takes about one message a second per
/// incoming webhook.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Sends allowed per second; 0 for no limit.
    #[arg(long, default_value_t = 0)]
    per_second: u32,
    /// Sends allowed per rolling 24 hours; 0 for no limit.
    #[arg(long, default_value_t = 0)]
    per_day: u32,
}

/// `account update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    name: String,
    /// An SMTP account's messages sent at a time, each over a kept-open
    /// connection (1–64; default 4). Ask the provider how many it allows.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(settings::MAX_POOL_SIZE)))]
    pool_size: Option<u32>,
    /// Sends allowed per second; 0 for no limit.
    #[arg(long)]
    per_second: Option<u32>,
    /// Sends allowed per rolling 24 hours; 0 for no limit.
    #[arg(long)]
    per_day: Option<u32>,
}

/// What every account polled for events takes.
#[derive(Debug, Args)]
pub struct SourceArgs {
    name: String,
    /// How often to poll, such as 5m (default: the provider's; 30s to 7d).
    #[arg(long, value_name = "DURATION")]
    poll_every: Option<String>,
    /// Read the API key or access token from standard input.
    #[arg(long, visible_aliases = ["access-token-stdin", "token-stdin", "secret-stdin"])]
    api_key_stdin: bool,
    /// The provider's address instead of its public API (default: the
    /// provider's own), for a local test server or a proxy; plain HTTP only
    /// to this machine.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PurchasesFromArg {
    Checkout,
    Charges,
    Both,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RegionArg {
    Us,
    Eu,
}

#[derive(Debug, Args)]
pub struct FeedArgs {
    #[command(flatten)]
    source: SourceArgs,
    #[arg(long)]
    url: String,
    /// A header whose value (read from standard input with
    /// --api-key-stdin) authenticates, such as Authorization.
    #[arg(long)]
    auth_header: Option<String>,
    /// Pointer to the array of events in a page (default: the page itself).
    #[arg(long, default_value = "")]
    items: String,
    /// Pointer to an event's id, within an item.
    #[arg(long)]
    id: String,
    /// Pointer to an event's time (RFC 3339, or epoch seconds/milliseconds).
    #[arg(long)]
    time: String,
    /// Pointer to an event's type.
    #[arg(long = "type", required_unless_present = "event_type")]
    type_pointer: Option<String>,
    /// One event type for every item (or the fallback when --type finds none).
    #[arg(long)]
    event_type: Option<String>,
    /// Pointer to the contact's email.
    #[arg(long)]
    email: Option<String>,
    /// Pointer to the payload (default: the whole item).
    #[arg(long)]
    payload: Option<String>,
    /// Pointer to the next page's cursor (with --cursor-param) or URL.
    #[arg(long)]
    next: Option<String>,
    /// The query parameter that takes the next page's cursor.
    #[arg(long)]
    cursor_param: Option<String>,
    /// Page by time: the query parameter that takes "since" (RFC 3339).
    #[arg(long)]
    since_param: Option<String>,
    /// How long the feed keeps events, for the "unpolled too long" warning.
    #[arg(long)]
    retention_days: Option<i64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SecurityArg {
    None,
    Starttls,
    Tls,
}

impl From<SecurityArg> for SmtpSecurity {
    fn from(s: SecurityArg) -> Self {
        match s {
            SecurityArg::None => SmtpSecurity::None,
            SecurityArg::Starttls => SmtpSecurity::Starttls,
            SecurityArg::Tls => SmtpSecurity::Tls,
        }
    }
}

#[derive(Debug, Args)]
pub struct SmtpArgs {
    name: String,
    #[arg(long)]
    host: String,
    #[arg(long)]
    port: u16,
    #[arg(long, value_enum)]
    security: SecurityArg,
    /// `"Name <address>"` or `address`.
    #[arg(long)]
    from: String,
    #[arg(long)]
    username: Option<String>,
    #[arg(long)]
    reply_to: Option<String>,
    /// Where "email the owner" goes (default: the From address).
    #[arg(long)]
    owner: Option<String>,
    /// Emails allowed per second; 0 for no limit.
    #[arg(long, default_value_t = settings::DEFAULT_RATE_PER_SECOND)]
    per_second: u32,
    /// Emails allowed per rolling 24 hours; 0 for no limit (Gmail: about
    /// 500 for a personal account, 2000 for Google Workspace).
    #[arg(long, default_value_t = settings::DEFAULT_RATE_PER_DAY)]
    per_day: u32,
    /// A PEM file of a certificate authority to trust besides the system's
    /// (a server with a private or self-signed certificate).
    #[arg(long, value_name = "PEM")]
    extra_root_certificate: Option<PathBuf>,
    /// Seconds to wait for the server.
    #[arg(long, default_value_t = settings::DEFAULT_TIMEOUT_SECS)]
    timeout: u64,
    /// Messages sent at a time, each over a kept-open connection (1–64;
    /// default 4). Ask the provider how many it allows.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(settings::MAX_POOL_SIZE)))]
    pool_size: Option<u32>,
    /// Read the password from standard input.
    #[arg(long)]
    password_stdin: bool,
    /// The From address's mailbox, read over IMAP for replies, bounces,
    /// complaints and mailto unsubscribes (docs/accounts.md).
    #[arg(long)]
    imap_host: Option<String>,
    #[arg(long, default_value_t = 993, requires = "imap_host")]
    imap_port: u16,
    #[arg(long, value_enum, default_value = "tls", requires = "imap_host")]
    imap_security: SecurityArg,
    /// The mailbox's login (default: --username).
    #[arg(long, requires = "imap_host")]
    imap_username: Option<String>,
    /// The folder read (default: INBOX).
    #[arg(long, requires = "imap_host")]
    imap_folder: Option<String>,
    /// The mailbox has its own password, read from standard input (after
    /// the SMTP password's line when --password-stdin is given too);
    /// without it the mailbox logs in with the SMTP password.
    #[arg(long, requires = "imap_host")]
    imap_password_stdin: bool,
    /// Who handles unsubscribes: mailto (read back from the mailbox),
    /// postmark or mailgun (the provider's one-click link and headers).
    #[arg(long, value_enum, default_value = "mailto")]
    unsubscribe_via: UnsubscribeViaArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum UnsubscribeViaArg {
    Mailto,
    Postmark,
    Mailgun,
}

fn rejected(e: EffectsError) -> CliError {
    CliError::Rejected {
        code: e.code(),
        message: e.to_string(),
    }
}

fn rejected_source(e: cairn_connectors::ConnectorError) -> CliError {
    CliError::Rejected {
        code: e.code(),
        message: e.to_string(),
    }
}

/// The poll interval in seconds from `--poll-every` (its bounds, 30s to
/// 7d, are checked by `cairn_connectors::accounts::add`).
fn poll_every(a: &SourceArgs) -> Result<Option<i64>, CliError> {
    use cairn_model::duration::DurationParseError;
    let Some(text) = a.poll_every.as_deref() else {
        return Ok(None);
    };
    match cairn_model::Duration::parse(text) {
        Ok(d) => Ok(Some(d.secs())),
        Err(DurationParseError::TooLong { .. }) => Err(CliError::Usage(format!(
            "--poll-every: {text:?} is longer than the longest interval, {}",
            cairn_model::Duration::from_secs(cairn_connectors::provider::MAX_POLL_SECS)
        ))),
        Err(e) => Err(CliError::Usage(format!("--poll-every: {e}"))),
    }
}

/// Adds an account polled for events (see `cairn_connectors::accounts`).
fn add_source(
    ctx: &mut Ctx,
    vault: &Vault,
    a: &SourceArgs,
    settings: SourceSettings,
) -> Result<(Account, bool), CliError> {
    let every = poll_every(a)?;
    // Check the settings before asking for (and reading) a secret.
    settings.check(&a.name).map_err(rejected_source)?;
    let secret = if a.api_key_stdin {
        Some(read_secret("secret")?)
    } else {
        None
    };
    let has = secret.is_some();
    let now = ctx.now();
    let account = cairn_connectors::accounts::add(
        ctx.store()?,
        vault,
        &a.name,
        &settings,
        every,
        secret,
        now,
    )
    .map_err(rejected_source)?;
    Ok((account, has))
}

fn vault() -> Result<Vault, CliError> {
    Vault::from_env().map_err(|e| rejected(e.into()))
}

/// The secret on standard input, without its final line break.
fn read_secret(what: &str) -> Result<Sensitive<String>, CliError> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| CliError::Usage(format!("cannot read the {what} from standard input: {e}")))?;
    let s = s.strip_suffix('\n').unwrap_or(&s);
    let s = s.strip_suffix('\r').unwrap_or(s);
    if s.is_empty() {
        return Err(CliError::Usage(format!(
            "no {what} on standard input; pipe it in, e.g. `secret-tool lookup … | cairn account add …`"
        )));
    }
    Ok(Sensitive::new(s.to_string()))
}

/// `account add` result.
#[derive(Debug, Serialize)]
pub struct AccountAdded {
    pub name: String,
    pub kind: AccountKind,
    /// Where its secret was stored, if it has one.
    pub secret_stored_in: Option<String>,
}

impl Render for AccountAdded {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match &self.secret_stored_in {
            Some(s) => writeln!(
                out,
                "account {} ({}) added; its secret is in {s}",
                self.name, self.kind
            ),
            None => writeln!(out, "account {} ({}) added", self.name, self.kind),
        }
    }
}

/// One row of `account list`.
#[derive(Debug, Serialize)]
pub struct AccountRow {
    #[serde(flatten)]
    pub account: Account,
    pub secret: RowSecret,
    /// For an account polled for events: where its sync stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncState>,
    /// For an SMTP account: messages sent at a time (its `pool_size`
    /// setting, or the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<u32>,
}

/// Whether an account's secret is stored, for `account list`: the vault's
/// answer, or `not_needed` for an account that has none (a JSON feed
/// without an auth header), whose row never asks the vault.
#[derive(Debug, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum RowSecret {
    Stored,
    Missing,
    NotNeeded,
    /// The vault could not be asked (the reason says why).
    Unknown(String),
}

impl From<SecretState> for RowSecret {
    fn from(s: SecretState) -> Self {
        match s {
            SecretState::Stored => RowSecret::Stored,
            SecretState::Missing => RowSecret::Missing,
            SecretState::Unknown(why) => RowSecret::Unknown(why),
        }
    }
}

/// Where an account's sync stands, for `account list`.
#[derive(Debug, Serialize)]
pub struct SyncState {
    pub last_poll_at: Option<cairn_model::Timestamp>,
    /// Everything up to this instant has been read.
    pub cursor_at: Option<cairn_model::Timestamp>,
    pub cursor_age_secs: Option<i64>,
    pub next_poll_at: Option<cairn_model::Timestamp>,
    pub poll_every_secs: i64,
}

fn sync_state(a: &Account, now: cairn_model::Timestamp) -> Option<SyncState> {
    let p = cairn_connectors::provider::of_account(a)?;
    let cursor_at = cairn_connectors::batch::Cursor::parse(a.cursor.as_deref(), &a.name).at;
    Some(SyncState {
        last_poll_at: a.last_poll_at,
        cursor_at,
        cursor_age_secs: cursor_at.map(|t| (now - t).num_seconds()),
        next_poll_at: a.next_poll_at,
        poll_every_secs: cairn_connectors::sync::interval_of(a, p).num_seconds(),
    })
}

fn ago(secs: i64) -> String {
    cairn_engine::human_span(secs.max(0))
}

/// A poll interval: seconds stay seconds (30 s, 1 min 30 s), whole minutes
/// and longer read as spans (2 min, 1 h).
fn interval(secs: i64) -> String {
    let secs = secs.max(0);
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, s) if s != 0 && m < 60 => format!("{m} min {s} s"),
        _ => cairn_engine::human_span(secs),
    }
}

/// `account list` result.
#[derive(Debug, Serialize)]
pub struct AccountList {
    pub accounts: Vec<AccountRow>,
}

fn summary(a: &Account) -> String {
    let s = |k: &str| {
        a.settings
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    match a.kind {
        AccountKind::Smtp => format!(
            "{}:{} {} from {}",
            s("host"),
            a.settings
                .get("port")
                .map(|v| v.to_string())
                .unwrap_or_default(),
            s("security"),
            s("from")
        ),
        k if k.is_source() => SourceSettings::of(a)
            .map(|s| s.summary())
            .unwrap_or_else(|e| format!("settings unreadable: {e}")),
        _ => String::new(),
    }
}

/// [`summary`] and, for an account that sends, how it sends.
fn full_summary(a: &Account) -> String {
    let base = summary(a);
    if !matches!(
        a.kind,
        AccountKind::Smtp | AccountKind::Webhook | AccountKind::Slack
    ) {
        return base;
    }
    let sending = sending_summary(a);
    match (base.is_empty(), sending.is_empty()) {
        (_, true) => base,
        (true, false) => sending,
        (false, false) => format!("{base}; {sending}"),
    }
}

impl Render for AccountList {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.accounts.is_empty() {
            return writeln!(
                out,
                "no connected accounts; add one with `cairn account add smtp|webhook|slack|stripe|shopify|typeform|tally|mailgun|postmark|json-feed|thinkific|teachable NAME …`"
            );
        }
        let w = self
            .accounts
            .iter()
            .map(|r| r.account.name.chars().count())
            .max()
            .unwrap_or(0);
        // A vault that cannot be asked says so in a long message, the same
        // for every account (and often in the status of the last poll too):
        // it is printed once, where it first appears.
        let mut told: Vec<&str> = vec![];
        for r in &self.accounts {
            let a = &r.account;
            let status = match &a.status_message {
                Some(m) => {
                    told.push(m);
                    format!("{}: {m}", a.status.as_str())
                }
                None => a.status.as_str().to_string(),
            };
            let secret = match &r.secret {
                RowSecret::Stored => "secret stored".to_string(),
                RowSecret::Missing => "no secret".to_string(),
                RowSecret::NotNeeded => "no secret needed".to_string(),
                RowSecret::Unknown(why) if told.iter().any(|t| t.contains(why.as_str())) => {
                    "secret unknown (the vault cannot be asked, see above)".to_string()
                }
                RowSecret::Unknown(why) => {
                    told.push(why);
                    format!("secret unknown: {why}")
                }
            };
            let summary = full_summary(a);
            let summary = if summary.is_empty() {
                String::new()
            } else {
                format!("  {summary}")
            };
            writeln!(
                out,
                "{:<w$}  {:<8} {status}; {secret}{summary}",
                a.name,
                a.kind.as_str()
            )?;
            if let Some(s) = &r.sync {
                let last = match s.last_poll_at {
                    Some(t) => format!("last sync {}", crate::output::when(t)),
                    None => "never synced".to_string(),
                };
                let cursor = match s.cursor_age_secs {
                    Some(age) => format!("; read up to {} ago", ago(age)),
                    None => String::new(),
                };
                let next = match s.next_poll_at {
                    Some(t) => format!("; next poll {}", crate::output::when(t)),
                    None if a.status == AccountStatus::NeedsAttention => {
                        "; not polled until fixed".to_string()
                    }
                    None => "; next poll now".to_string(),
                };
                writeln!(
                    out,
                    "{:<w$}  {last}{cursor}{next} (every {})",
                    "",
                    interval(s.poll_every_secs)
                )?;
            }
        }
        Ok(())
    }
}

/// `account test` result.
#[derive(Debug, Serialize)]
pub struct AccountTested {
    pub name: String,
    pub kind: AccountKind,
    pub message: String,
}

impl Render for AccountTested {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "account {} ({}) works: {}",
            self.name, self.kind, self.message
        )
    }
}

/// `account update` result.
#[derive(Debug, Serialize)]
pub struct AccountUpdated {
    pub name: String,
    pub kind: AccountKind,
    /// How it sends now ("4 at a time; at most 1 per second, 500 per 24 hours").
    pub sending: String,
}

impl Render for AccountUpdated {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "account {} ({}) updated: {}",
            self.name, self.kind, self.sending
        )
    }
}

/// Stores the rate limits given to `account add webhook|slack` (none by
/// default: the settings are left as added).
fn set_limits(
    ctx: &mut Ctx,
    account: Account,
    limits: &LimitArgs,
    now: cairn_model::Timestamp,
) -> Result<Account, CliError> {
    if limits.per_second == 0 && limits.per_day == 0 {
        return Ok(account);
    }
    let change = settings::SendingChange {
        pool_size: None,
        per_second: Some(limits.per_second),
        per_day: Some(limits.per_day),
    };
    let new = settings::with_change(&account, change).map_err(rejected)?;
    Ok(ctx
        .store()?
        .set_account_settings(&account.name, &new, now)?)
}

/// How an account sends, for `account list` and `account update`: an SMTP
/// account's messages at a time and every sending account's rate limits.
fn sending_summary(a: &Account) -> String {
    let limits = match cairn_effects::limit::limits_of(a) {
        Ok(l) => l,
        Err(_) => return String::new(),
    };
    let mut parts = vec![];
    if a.kind == AccountKind::Smtp
        && let Ok(s) = settings::SmtpSettings::of(a)
    {
        parts.push(format!("{} at a time", s.pool_size()));
    }
    let rate = match (limits.per_second, limits.per_day) {
        (0, 0) => "no send limit".to_string(),
        (s, 0) => format!("at most {s} per second"),
        (0, d) => format!("at most {d} per 24 hours"),
        (s, d) => format!("at most {s} per second, {d} per 24 hours"),
    };
    parts.push(rate);
    parts.join("; ")
}

/// `account remove` result.
#[derive(Debug, Serialize)]
pub struct AccountRemoved {
    pub name: String,
    pub kind: AccountKind,
}

impl Render for AccountRemoved {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "account {} ({}) removed, with its secret",
            self.name, self.kind
        )
    }
}

pub fn run(ctx: &mut Ctx, cmd: AccountCommand) -> Result<(), CliError> {
    let now = ctx.now();
    match cmd {
        AccountCommand::Add(add) => {
            // Check the database before asking for (and reading) a secret.
            ctx.store()?;
            let vault = vault()?;
            let (account, secret) = match add {
                AddCommand::Smtp(a) => {
                    let (password, imap_password) = match (a.password_stdin, a.imap_password_stdin)
                    {
                        (true, true) => {
                            let both = read_secret("SMTP and IMAP passwords")?;
                            let (smtp, imap) = both.expose().split_once('\n').ok_or_else(|| {
                                CliError::Usage(
                                    "--password-stdin with --imap-password-stdin reads two lines: the SMTP password, then the mailbox's".into(),
                                )
                            })?;
                            let imap = imap.trim_end_matches(['\r', '\n']);
                            if imap.is_empty() {
                                return Err(CliError::Usage(
                                    "no mailbox password on the second line of standard input"
                                        .into(),
                                ));
                            }
                            (
                                Some(Sensitive::new(smtp.trim_end_matches('\r').to_string())),
                                Some(Sensitive::new(imap.to_string())),
                            )
                        }
                        (true, false) => (Some(read_secret("password")?), None),
                        (false, true) => (None, Some(read_secret("mailbox password")?)),
                        (false, false) => (None, None),
                    };
                    let mut s = core::smtp_settings(&a.host, a.port, a.security.into(), &a.from);
                    s.username = a
                        .username
                        .map(|u| u.trim().to_string())
                        .filter(|u| !u.is_empty());
                    s.reply_to = a.reply_to;
                    s.owner = a.owner;
                    s.rate_per_second = a.per_second;
                    s.rate_per_day = a.per_day;
                    s.extra_root_certificate = a.extra_root_certificate;
                    s.timeout_secs = a.timeout;
                    s.pool_size = a.pool_size;
                    s.unsubscribe_via = match a.unsubscribe_via {
                        UnsubscribeViaArg::Mailto => settings::UnsubscribeVia::Mailto,
                        UnsubscribeViaArg::Postmark => settings::UnsubscribeVia::Postmark,
                        UnsubscribeViaArg::Mailgun => settings::UnsubscribeVia::Mailgun,
                    };
                    if let Some(host) = &a.imap_host {
                        let username = a
                            .imap_username
                            .clone()
                            .or_else(|| s.username.clone())
                            .ok_or_else(|| {
                                CliError::Usage(
                                    "the mailbox needs a login: --imap-username (or --username)"
                                        .into(),
                                )
                            })?;
                        s.imap = Some(cairn_model::account::MailboxSettings {
                            host: host.trim().to_string(),
                            port: a.imap_port,
                            security: match a.imap_security {
                                SecurityArg::None => cairn_model::account::MailSecurity::None,
                                SecurityArg::Starttls => {
                                    cairn_model::account::MailSecurity::Starttls
                                }
                                SecurityArg::Tls => cairn_model::account::MailSecurity::Tls,
                            },
                            username: username.trim().to_string(),
                            folder: a.imap_folder.clone().unwrap_or_else(|| "INBOX".into()),
                            own_password: imap_password.is_some(),
                        });
                    }
                    let has = password.is_some();
                    let account = core::add_smtp(ctx.store()?, &vault, &a.name, s, password, now)
                        .map_err(rejected)?;
                    if let Some(pw) = &imap_password
                        && let Err(e) = core::set_mailbox_password(&vault, &account.name, pw)
                    {
                        let _ = core::remove(ctx.store()?, &vault, &account.name);
                        return Err(rejected(e));
                    }
                    (account, has || imap_password.is_some())
                }
                AddCommand::Webhook {
                    name,
                    signing_secret_stdin,
                    limits,
                } => {
                    let secret = if signing_secret_stdin {
                        Some(read_secret("signing secret")?)
                    } else {
                        None
                    };
                    let has = secret.is_some();
                    let a = core::add_webhook(ctx.store()?, &vault, &name, secret, now)
                        .map_err(rejected)?;
                    (set_limits(ctx, a, &limits, now)?, has)
                }
                AddCommand::Slack { name, limits, .. } => {
                    let url = read_secret("Slack webhook URL")?;
                    let a =
                        core::add_slack(ctx.store()?, &vault, &name, url, now).map_err(rejected)?;
                    (set_limits(ctx, a, &limits, now)?, true)
                }
                AddCommand::Stripe {
                    source,
                    purchases_from,
                } => {
                    let s = SourceSettings::Stripe(StripeSettings {
                        base_url: source.base_url.clone(),
                        purchases_from: match purchases_from {
                            PurchasesFromArg::Checkout => PurchasesFrom::Checkout,
                            PurchasesFromArg::Charges => PurchasesFrom::Charges,
                            PurchasesFromArg::Both => PurchasesFrom::Both,
                        },
                    });
                    add_source(ctx, &vault, &source, s)?
                }
                AddCommand::Shopify {
                    source,
                    shop,
                    api_version,
                } => {
                    let s = SourceSettings::Shopify(ShopifySettings {
                        shop: shopify::normalize_shop(&shop),
                        api_version: api_version.trim().to_string(),
                        base_url: source.base_url.clone(),
                    });
                    add_source(ctx, &vault, &source, s)?
                }
                AddCommand::Typeform { source, form_id } => {
                    let s = SourceSettings::Typeform(TypeformSettings {
                        form_id: form_id.trim().to_string(),
                        base_url: source.base_url.clone(),
                    });
                    add_source(ctx, &vault, &source, s)?
                }
                AddCommand::Thinkific { source, subdomain } => {
                    let s = SourceSettings::Thinkific(ThinkificSettings {
                        subdomain: subdomain.trim().to_ascii_lowercase(),
                        base_url: source.base_url.clone(),
                    });
                    add_source(ctx, &vault, &source, s)?
                }
                AddCommand::Teachable { source } => {
                    let s = SourceSettings::Teachable(TeachableSettings {
                        base_url: source.base_url.clone(),
                    });
                    add_source(ctx, &vault, &source, s)?
                }
                AddCommand::Tally { source, form_id } => {
                    let s = SourceSettings::Tally(TallySettings {
                        form_id: form_id.trim().to_string(),
                        base_url: source.base_url.clone(),
                    });
                    add_source(ctx, &vault, &source, s)?
                }
                AddCommand::Mailgun {
                    source,
                    domain,
                    region,
                } => {
                    let s = SourceSettings::Mailgun(MailgunSettings {
                        domain: domain.trim().to_ascii_lowercase(),
                        region: match region {
                            RegionArg::Us => Region::Us,
                            RegionArg::Eu => Region::Eu,
                        },
                        base_url: source.base_url.clone(),
                    });
                    add_source(ctx, &vault, &source, s)?
                }
                AddCommand::Postmark {
                    source,
                    message_stream,
                } => {
                    let s =
                        SourceSettings::Postmark(cairn_connectors::postmark::PostmarkSettings {
                            message_stream: message_stream.trim().to_string(),
                            base_url: source.base_url.clone(),
                        });
                    add_source(ctx, &vault, &source, s)?
                }
                AddCommand::JsonFeed(f) => {
                    let f = *f;
                    if f.source.base_url.is_some() {
                        return Err(CliError::Usage(
                            "a JSON feed's address is its --url; --base-url is for the providers Cairn knows (Stripe, Shopify, …)".into(),
                        ));
                    }
                    let s = SourceSettings::JsonFeed(Box::new(FeedSettings {
                        url: f.url.trim().to_string(),
                        auth_header: f.auth_header,
                        items: f.items,
                        id: f.id,
                        time: f.time,
                        type_pointer: f.type_pointer,
                        event_type: f.event_type,
                        email: f.email,
                        payload: f.payload,
                        next: f.next,
                        cursor_param: f.cursor_param,
                        since_param: f.since_param,
                        retention_days: f.retention_days,
                    }));
                    add_source(ctx, &vault, &f.source, s)?
                }
            };
            ctx.print(&AccountAdded {
                name: account.name,
                kind: account.kind,
                secret_stored_in: secret.then(|| vault.describe()),
            })
        }
        AccountCommand::List => {
            let accounts = ctx.store()?.accounts()?;
            let vault = Vault::from_env();
            let accounts = accounts
                .into_iter()
                .map(|account| {
                    let needs_secret = !account.kind.is_source()
                        || SourceSettings::of(&account).is_ok_and(|s| s.needs_secret());
                    let secret = match &vault {
                        _ if !needs_secret => RowSecret::NotNeeded,
                        Ok(v) => core::secret_state(v, &account.name).into(),
                        Err(e) => RowSecret::Unknown(e.to_string()),
                    };
                    let sync = sync_state(&account, now);
                    let pool_size = settings::SmtpSettings::of(&account)
                        .ok()
                        .map(|s| s.pool_size());
                    AccountRow {
                        account,
                        secret,
                        sync,
                        pool_size,
                    }
                })
                .collect();
            ctx.print(&AccountList { accounts })
        }
        AccountCommand::Test { name } => {
            let account = ctx.store()?.account(&name)?;
            let vault = vault()?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| CliError::Output(format!("cannot start the runtime: {e}")))?;
            // A mailbox that cannot be read leaves the account in "error",
            // not "needs attention", which would hold its outgoing mail.
            let mut mailbox_failed = false;
            let result = if cairn_connectors::provider::of(account.kind).is_some() {
                rt.block_on(cairn_connectors::accounts::test(
                    &account,
                    &vault,
                    ctx.clock(),
                ))
                .map_err(rejected_source)
            } else {
                let sent = rt.block_on(core::test(&account, &vault)).map_err(rejected);
                // An SMTP account's mailbox is tested with it.
                match sent {
                    Ok(m) if cairn_connectors::provider::of_account(&account).is_some() => rt
                        .block_on(cairn_connectors::accounts::test(
                            &account,
                            &vault,
                            ctx.clock(),
                        ))
                        .map(|read| format!("{m}; mailbox: {read}"))
                        .map_err(|e| {
                            mailbox_failed = true;
                            rejected_source(e)
                        }),
                    other => other,
                }
            };
            let store = ctx.store()?;
            match result {
                Ok(message) => {
                    store.set_account_status(&account.name, AccountStatus::Ok, None, now)?;
                    ctx.print(&AccountTested {
                        name: account.name,
                        kind: account.kind,
                        message,
                    })
                }
                Err(e) => {
                    store.set_account_status(
                        &account.name,
                        if mailbox_failed {
                            AccountStatus::Error
                        } else {
                            AccountStatus::NeedsAttention
                        },
                        Some(&e.to_string()),
                        now,
                    )?;
                    Err(e)
                }
            }
        }
        AccountCommand::Secret { name } => {
            let account = ctx.store()?.account(&name)?;
            let vault = vault()?;
            let secret = read_secret("secret")?;
            let a = cairn_connectors::accounts::replace_secret(
                ctx.store()?,
                &vault,
                &account.name,
                &secret,
                now,
            )
            .map_err(rejected_source)?;
            ctx.print(&AccountAdded {
                name: a.name,
                kind: a.kind,
                secret_stored_in: Some(vault.describe()),
            })
        }
        AccountCommand::Update(u) => {
            let account = ctx.store()?.account(&u.name)?;
            let change = settings::SendingChange {
                pool_size: u.pool_size,
                per_second: u.per_second,
                per_day: u.per_day,
            };
            if change == settings::SendingChange::default() {
                return Err(CliError::Usage(
                    "nothing to change: give --pool-size, --per-second or --per-day".into(),
                ));
            }
            let new = settings::with_change(&account, change).map_err(rejected)?;
            let a = ctx
                .store()?
                .set_account_settings(&account.name, &new, now)?;
            ctx.print(&AccountUpdated {
                sending: sending_summary(&a),
                name: a.name,
                kind: a.kind,
            })
        }
        AccountCommand::Remove { name } => {
            let vault = vault()?;
            let a = core::remove(ctx.store()?, &vault, &name).map_err(rejected)?;
            ctx.print(&AccountRemoved {
                name: a.name,
                kind: a.kind,
            })
        }
    }
}
