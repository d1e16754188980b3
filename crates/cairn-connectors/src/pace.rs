//! Staying within a provider's rate budget.
//!
//! Every provider documents how many requests it accepts (Stripe 25 per
//! second per endpoint, Shopify a leaky bucket draining 2 per second,
//! Typeform 2 per second, …). Cairn spends at most half of it, so that the
//! user's other tools using the same key keep their share: a [`Pacer`] keeps,
//! for each account, the earliest instant its next request may leave, and a
//! request waits for it.
//!
//! Waiting goes through a [`Timer`] so that time stays an argument: the app
//! and `cairn run` use [`ClockTimer`], which sleeps; tests use
//! [`VirtualTimer`], which moves a `VirtualClock` forward instead and writes
//! down every wait, so a test can assert the spacing without sleeping.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use cairn_model::{Clock, Timestamp, VirtualClock};

/// A future returned by a [`Timer`].
pub type Wait<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Waits until an instant of the injected clock.
pub trait Timer: Send + Sync + 'static {
    fn sleep_until(&self, at: Timestamp) -> Wait<'_>;
}

/// Sleeps (on tokio's timer) until the clock says `at`.
pub struct ClockTimer {
    clock: Arc<dyn Clock>,
}

impl ClockTimer {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        ClockTimer { clock }
    }
}

impl Timer for ClockTimer {
    fn sleep_until(&self, at: Timestamp) -> Wait<'_> {
        let left = (at - self.clock.now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(left))
    }
}

/// Moves a virtual clock forward instead of sleeping, and records each wait.
#[derive(Clone)]
pub struct VirtualTimer {
    clock: VirtualClock,
    waits: Arc<Mutex<Vec<Timestamp>>>,
}

impl VirtualTimer {
    pub fn new(clock: VirtualClock) -> Self {
        VirtualTimer {
            clock,
            waits: Arc::default(),
        }
    }

    /// The instants waited for, in order.
    pub fn waits(&self) -> Vec<Timestamp> {
        self.waits.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Timer for VirtualTimer {
    fn sleep_until(&self, at: Timestamp) -> Wait<'_> {
        self.waits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(at);
        if self.clock.now() < at {
            self.clock.set(at);
        }
        Box::pin(std::future::ready(()))
    }
}

/// The earliest instant of each account's next request.
#[derive(Default)]
pub struct Pacer {
    next: Mutex<HashMap<String, Timestamp>>,
}

impl Pacer {
    /// When the account's next request may leave (if it must wait at all).
    pub fn not_before(&self, account: &str) -> Option<Timestamp> {
        self.next
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&account.to_lowercase())
            .copied()
    }

    /// Records that a request left at `at`: the next waits `spacing`.
    pub fn sent(&self, account: &str, at: Timestamp, spacing: chrono::Duration) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let slot = next.entry(account.to_lowercase()).or_insert(at);
        *slot = (*slot).max(at + spacing);
    }

    /// Pushes the account's next request back to at least `until` (a
    /// provider said its budget is running low).
    pub fn hold(&self, account: &str, until: Timestamp) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let slot = next.entry(account.to_lowercase()).or_insert(until);
        *slot = (*slot).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[tokio::test]
    async fn a_virtual_timer_moves_the_clock_and_remembers() {
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let clock = VirtualClock::new(t0);
        let timer = VirtualTimer::new(clock.clone());
        timer.sleep_until(t0 + chrono::Duration::seconds(2)).await;
        assert_eq!(clock.now(), t0 + chrono::Duration::seconds(2));
        // An instant already past does not move the clock back.
        timer.sleep_until(t0).await;
        assert_eq!(clock.now(), t0 + chrono::Duration::seconds(2));
        assert_eq!(timer.waits().len(), 2);
    }

    #[test]
    fn spacing_accumulates_per_account() {
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let p = Pacer::default();
        assert_eq!(p.not_before("Shop"), None);
        p.sent("Shop", t0, chrono::Duration::seconds(1));
        assert_eq!(
            p.not_before("shop"),
            Some(t0 + chrono::Duration::seconds(1))
        );
        p.hold("shop", t0 + chrono::Duration::seconds(5));
        assert_eq!(
            p.not_before("SHOP"),
            Some(t0 + chrono::Duration::seconds(5))
        );
        assert_eq!(p.not_before("other"), None);
    }
}
