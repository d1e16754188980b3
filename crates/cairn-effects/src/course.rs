//! Course access on a course platform (Thinkific, Teachable): the sender's
//! side of `Effect::Course`.
//!
//! The platform's API is the connector's (`cairn_connectors::thinkific`,
//! `::teachable`: find or create the user by email, then enroll unless an
//! active enrollment exists, so a resend after a crash enrolls no one
//! twice). Here its answer becomes an honest [`SendOutcome`]: the
//! platform's words on the step, a refused key holds the account's queue,
//! a 429 or 5xx is retried, no network keeps the entry queued. The
//! platform's user and enrollment ids are written to the contact's local
//! enrollment row once the platform has answered.

use cairn_connectors::ConnectorError;
use cairn_connectors::SourceSettings;
use cairn_connectors::course_progress::AccessChange;
use cairn_connectors::http::Api;
use cairn_connectors::pace::Pacer;
use cairn_connectors::provider;
use cairn_engine::SendOutcome;
use cairn_model::effect::CourseAccess;
use cairn_model::{Sensitive, Timestamp, VirtualClock};
use cairn_store::accounts::Account;

/// Asks the platform of `account` to grant or revoke `access`.
pub async fn deliver(
    client: &reqwest::Client,
    account: &Account,
    secret: &Sensitive<String>,
    access: &CourseAccess,
    now: Timestamp,
) -> Result<AccessChange, SendOutcome> {
    let settings = SourceSettings::of(account).map_err(|e| outcome(&account.name, e))?;
    let Some(p) = provider::of(account.kind).filter(|_| account.kind.is_course_platform()) else {
        return Err(SendOutcome::Failed {
            error: format!(
                "account {:?} is a {} account, not a course platform (thinkific, teachable)",
                account.name, account.kind
            ),
        });
    };
    // One enrollment is a few requests in a row; the outbox lane sends one
    // at a time per account, so no pacing is needed inside it.
    let clock = VirtualClock::new(now);
    let timer = cairn_connectors::VirtualTimer::new(clock.clone());
    let pacer = Pacer::default();
    let mut api = Api {
        account: &account.name,
        provider: p.name,
        client,
        secret,
        spacing: chrono::Duration::zero(),
        pacer: &pacer,
        timer: &timer,
        clock: &clock,
        requests: 0,
    };
    let r = match &settings {
        SourceSettings::Thinkific(s) => {
            cairn_connectors::thinkific::set_access(&mut api, s, access, now).await
        }
        SourceSettings::Teachable(s) => {
            cairn_connectors::teachable::set_access(&mut api, s, access, now).await
        }
        _ => unreachable!("checked to be a course platform above"),
    };
    r.map_err(|e| outcome(&account.name, e))
}

/// What a platform's failure means for the outbox entry.
fn outcome(account: &str, e: ConnectorError) -> SendOutcome {
    let error = e.to_string();
    match e {
        ConnectorError::Unauthorized { .. } | ConnectorError::InvalidSetting { .. } => {
            SendOutcome::AccountFault {
                account: account.to_string(),
                error,
            }
        }
        ConnectorError::RateLimited { retry_after, .. } => {
            SendOutcome::Retry { error, retry_after }
        }
        ConnectorError::Unavailable { .. } => SendOutcome::Retry {
            error,
            retry_after: None,
        },
        ConnectorError::Unreachable { .. } => SendOutcome::Unreachable { error },
        ConnectorError::Store(s) if s.is_retryable() => SendOutcome::Retry {
            error,
            retry_after: None,
        },
        ConnectorError::Vault(v) if v.is_retryable() => SendOutcome::Retry {
            error,
            retry_after: None,
        },
        _ => SendOutcome::Failed { error },
    }
}
