//! `cairn account`: connected accounts — add, list, test, remove.
//!
//! Settings go to the database; the secret part (SMTP password, Slack
//! webhook URL, webhook signing secret) is read from standard input, never
//! from an argument (arguments show in `ps` and in shell history), and goes
//! straight to the vault: the OS keyring, or — only when the user opts in
//! with `CAIRN_SECRETS_FILE` — a 0600 secrets file. All the work is done by
//! `cairn_effects::accounts`, the same functions the app calls.

use std::io::{Read, Write};
use std::path::PathBuf;

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
    /// accounts read their secret back and check it.
    Test { name: String },
    /// Remove an account and its secret.
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum AddCommand {
    /// An SMTP server to send email through.
    Smtp(SmtpArgs),
    /// A signing secret for outgoing webhooks (HMAC-SHA256).
    Webhook {
        name: String,
        /// Read the signing secret from standard input.
        #[arg(long)]
        signing_secret_stdin: bool,
    },
    /// A Slack incoming webhook.
    Slack {
        name: String,
        /// Read the webhook URL from standard input (it is the secret).
        #[arg(long, required = true)]
        webhook_url_stdin: bool,
    },
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
    /// Read the password from standard input.
    #[arg(long)]
    password_stdin: bool,
}

fn rejected(e: EffectsError) -> CliError {
    CliError::Rejected {
        code: e.code(),
        message: e.to_string(),
    }
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
    pub secret: SecretState,
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
        _ => String::new(),
    }
}

impl Render for AccountList {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.accounts.is_empty() {
            return writeln!(
                out,
                "no connected accounts; add one with `cairn account add smtp|webhook|slack NAME …`"
            );
        }
        let w = self
            .accounts
            .iter()
            .map(|r| r.account.name.chars().count())
            .max()
            .unwrap_or(0);
        for r in &self.accounts {
            let a = &r.account;
            let secret = match &r.secret {
                SecretState::Stored => "secret stored".to_string(),
                SecretState::Missing => "no secret".to_string(),
                SecretState::Unknown(why) => format!("secret unknown: {why}"),
            };
            let status = match &a.status_message {
                Some(m) => format!("{}: {m}", a.status.as_str()),
                None => a.status.as_str().to_string(),
            };
            let summary = summary(a);
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
                    let password = if a.password_stdin {
                        Some(read_secret("password")?)
                    } else {
                        None
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
                    let has = password.is_some();
                    (
                        core::add_smtp(ctx.store()?, &vault, &a.name, s, password, now)
                            .map_err(rejected)?,
                        has,
                    )
                }
                AddCommand::Webhook {
                    name,
                    signing_secret_stdin,
                } => {
                    let secret = if signing_secret_stdin {
                        Some(read_secret("signing secret")?)
                    } else {
                        None
                    };
                    let has = secret.is_some();
                    (
                        core::add_webhook(ctx.store()?, &vault, &name, secret, now)
                            .map_err(rejected)?,
                        has,
                    )
                }
                AddCommand::Slack { name, .. } => {
                    let url = read_secret("Slack webhook URL")?;
                    (
                        core::add_slack(ctx.store()?, &vault, &name, url, now).map_err(rejected)?,
                        true,
                    )
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
                    let secret = match &vault {
                        Ok(v) => core::secret_state(v, &account.name),
                        Err(e) => SecretState::Unknown(e.to_string()),
                    };
                    AccountRow { account, secret }
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
            let result = rt.block_on(core::test(&account, &vault));
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
                        AccountStatus::NeedsAttention,
                        Some(&e.to_string()),
                        now,
                    )?;
                    Err(rejected(e))
                }
            }
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
