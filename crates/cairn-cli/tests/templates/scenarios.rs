//! Each template through `cairn simulate`: a scripted life for one contact
//! and the timeline it must produce. Offsets are from the simulation's
//! start, Monday 2026-01-05 10:00 in New York, unless a test says otherwise.

use crate::common::*;

// ---------------------------------------------------------------------------
// Welcome series
// ---------------------------------------------------------------------------

#[test]
fn welcome_series_sends_four_emails_over_the_first_week() {
    // The contact's creation (the signup) is the trigger.
    let t = scenario("welcome-series").lasting("10d").run();
    assert_eq!(
        t.emails(),
        emails(&[
            (0, "Welcome, Dana! Here's what happens next"),
            (2 * D, "The 15-minute habit my clients swear by"),
            (5 * D, "My best free resources, in one place"),
            (7 * D, "Can I ask you something?"),
        ])
    );
    assert_eq!(t.step("welcomed")["offset_secs"], 7 * D);
    assert_eq!(t.run()["status"], "completed");
    assert_eq!(t.ended_after(t.run()), 7 * D);
    assert_eq!(t.tags(), set(&["welcome-complete"]));
}

#[test]
fn welcome_series_greets_a_contact_without_a_name() {
    let t = scenario("welcome-series").nameless().lasting("1h").run();
    assert_eq!(
        t.emails(),
        emails(&[(0, "Welcome! Here's what happens next")])
    );
}

#[test]
fn welcome_series_stops_when_the_subscriber_buys() {
    let t = scenario("welcome-series")
        .event(r#"+3d purchase.completed {"product": "Program A", "amount": 497}"#)
        .lasting("10d")
        .run();
    assert_eq!(
        t.emails().iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        [0, 2 * D],
        "nothing after the purchase"
    );
    let r = t.run();
    assert_eq!(r["status"], "exited");
    assert_eq!(r["goal"], "Became a customer");
    assert_eq!(r["converted"], true);
    assert_eq!(t.ended_after(r), 3 * D);
    assert!(t.tags().is_empty());
}

// ---------------------------------------------------------------------------
// Lead magnet delivery
// ---------------------------------------------------------------------------

#[test]
fn lead_magnet_delivers_at_once_and_resends_when_the_link_was_not_clicked() {
    let t = scenario("lead-magnet")
        .event(r#"+0s form.submitted {"form": "Free guide"}"#)
        .lasting("3d")
        .run();
    assert_eq!(
        t.nodes_at(0),
        strings(&["requested", "tag", "deliver"]),
        "tagged, then the guide goes out at once"
    );
    assert_eq!(
        t.emails(),
        emails(&[
            (0, "Here's your free guide"),
            (2 * D, "In case it got buried: your free guide"),
        ])
    );
    assert_eq!(t.step("clicked")["exit"], "no");
    assert!(!t.ran("follow_up"));
    assert_eq!(t.run()["status"], "completed");
    assert_eq!(t.tags(), set(&["guide-requested"]));
}

#[test]
fn lead_magnet_follows_up_with_the_next_step_after_a_click() {
    let t = scenario("lead-magnet")
        .event(r#"+0s form.submitted {"form": "Free guide"}"#)
        .event(r#"+1d link.clicked {"email": "Your free guide", "url": "https://example.com/free-guide.pdf"}"#)
        .lasting("3d")
        .run();
    assert_eq!(t.step("clicked")["exit"], "yes");
    assert_eq!(
        t.emails(),
        emails(&[
            (0, "Here's your free guide"),
            (2 * D, "How's the guide working for you?"),
        ])
    );
    assert!(!t.ran("resend"));
}

#[test]
fn lead_magnet_ignores_other_forms() {
    let t = scenario("lead-magnet")
        .event(r#"+0s form.submitted {"form": "Newsletter"}"#)
        .arg("--no-trigger")
        .lasting("3d")
        .run();
    assert!(t.runs().is_empty(), "{:#?}", t.runs());
    assert!(t.entries().is_empty());
}

// ---------------------------------------------------------------------------
// Post-purchase fulfilment (Program A, $497)
// ---------------------------------------------------------------------------

#[test]
fn post_purchase_performs_all_six_actions_then_onboards_for_14_days() {
    let t = scenario("post-purchase")
        .event(r#"+0s purchase.completed {"product": "Program A", "amount": 497, "order_id": "ch_3PqR"}"#)
        .lasting("15d")
        .run();
    // The six actions, in order, the moment the purchase arrives.
    assert_eq!(
        t.nodes_at(0),
        strings(&[
            "purchase",
            "access",
            "receipt",
            "tag_buyer",
            "onboarding",
            "won",
            "notify_team"
        ])
    );
    let summary = |node: &str| t.step(node)["summary"].as_str().unwrap().to_string();
    assert_eq!(summary("access"), "course Program A");
    assert_eq!(t.step("receipt")["subject"], "Your receipt for Program A");
    assert_eq!(summary("tag_buyer"), "tag buyer-program-A");
    assert_eq!(summary("onboarding"), "tag onboarding-program-A");
    assert_eq!(summary("won"), "deal → Won");
    assert_eq!(
        summary("notify_team"),
        "New sale: Dana Reyes bought Program A ($497). Course access, receipt, tag, onboarding and the deal are done."
    );
    assert_eq!(t.step("notify_team")["kind"], "action.notify");
    // The 14-day onboarding sequence.
    assert_eq!(
        t.emails(),
        emails(&[
            (0, "Your receipt for Program A"),
            (D, "Day 1: start here"),
            (3 * D, "Day 3: your first quick win"),
            (7 * D, "One week in: how's it going?"),
            (14 * D, "Two weeks in: what's next"),
        ])
    );
    assert_eq!(t.step("onboarded")["offset_secs"], 14 * D);
    assert_eq!(t.run()["status"], "completed");
    // Onboarding over: only the buyer tag stays.
    assert_eq!(t.tags(), set(&["buyer-program-A"]));
}

#[test]
fn post_purchase_onboarding_stops_on_a_refund() {
    let t = scenario("post-purchase")
        .event(r#"+0s purchase.completed {"product": "Program A", "amount": 497}"#)
        .event(r#"+4d refund.issued {"product": "Program A", "amount": 497}"#)
        .lasting("15d")
        .run();
    assert_eq!(
        t.emails().iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        [0, D, 3 * D]
    );
    let r = t.run();
    assert_eq!(r["status"], "exited");
    assert_eq!(r["goal"], "Refunded");
    assert_eq!(r["converted"], false, "a refund is not a conversion");
    assert_eq!(t.ended_after(r), 4 * D);
}

#[test]
fn post_purchase_ignores_other_products() {
    let t = scenario("post-purchase")
        .event(r#"+0s purchase.completed {"product": "Program B", "amount": 97}"#)
        .arg("--no-trigger")
        .run();
    assert!(t.runs().is_empty());
}

// ---------------------------------------------------------------------------
// Abandoned cart
// ---------------------------------------------------------------------------

const CART: &str = r#"+0s cart.abandoned {"cart_url": "https://shop.example.com/cart/8812", "product": "Program A"}"#;

#[test]
fn abandoned_cart_sends_three_reminders_when_nobody_buys() {
    let t = scenario("abandoned-cart").event(CART).lasting("5d").run();
    assert_eq!(
        t.emails(),
        emails(&[
            (H, "Did something go wrong at checkout?"),
            (D + H, "Still thinking it over?"),
            (3 * D + H, "Last reminder about your cart"),
        ])
    );
    assert_eq!(t.run()["status"], "completed");
    assert_eq!(t.tags(), set(&["cart-not-recovered"]));
}

#[test]
fn abandoned_cart_stops_the_moment_a_purchase_arrives() {
    let t = scenario("abandoned-cart")
        .event(CART)
        .event(r#"+1d2h purchase.completed {"product": "Program A", "amount": 497}"#)
        .lasting("5d")
        .run();
    assert_eq!(
        t.emails().iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        [H, D + H]
    );
    let r = t.run();
    assert_eq!(r["status"], "exited");
    assert_eq!(r["goal"], "Purchased");
    assert_eq!(r["converted"], true);
    assert_eq!(
        t.ended_after(r),
        D + 2 * H,
        "ended when the purchase arrived"
    );
    let pending = t.step("two_days");
    assert_eq!(pending["status"], "skipped");
    assert_eq!(pending["offset_secs"], D + 2 * H);
    assert!(!t.ran("remind_3") && !t.ran("not_recovered"));
    assert!(t.tags().is_empty());
}

#[test]
fn abandoned_cart_keeps_night_reminders_for_the_morning() {
    // Monday 22:30 in New York: an hour later is outside the 08:00-21:00
    // window, so the first reminder waits for Tuesday 08:00 (9 h 30 m).
    let t = scenario("abandoned-cart")
        .starting("2026-01-06T03:30:00Z")
        .event(CART)
        .lasting("3d")
        .run();
    assert_eq!(
        t.emails().iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        [9 * H + 30 * M, D + 9 * H + 30 * M]
    );
}

// ---------------------------------------------------------------------------
// Re-engagement
// ---------------------------------------------------------------------------

/// Wednesday 2026-01-07, 10:00 in New York. 61 days later is Monday
/// 2026-03-09, after the switch to summer time: 10:00 there is 14:00 UTC,
/// an hour earlier in UTC terms than the start.
const WEDNESDAY_10AM: &str = "2026-01-07T15:00:00Z";
const FIRST_WIN_BACK: i64 = 61 * D - H;

#[test]
fn re_engagement_wins_back_after_60_quiet_days_then_lets_go() {
    // A subscriber who never opens anything. The daily 10:00 check first
    // finds them on day 61 (on day 60 they have been on the list for exactly
    // 60 days, not more).
    let t = scenario("re-engagement")
        .starting(WEDNESDAY_10AM)
        .arg("--no-trigger")
        .lasting("75d")
        .run();
    assert_eq!(
        t.emails(),
        emails(&[
            (FIRST_WIN_BACK, "Is this still useful to you, Dana?"),
            (
                FIRST_WIN_BACK + 3 * D,
                "The three things readers found most helpful this year"
            ),
            (FIRST_WIN_BACK + 7 * D, "Should I stop emailing you?"),
        ])
    );
    assert_eq!(t.step("tag")["offset_secs"], FIRST_WIN_BACK);
    assert_eq!(
        t.step("unsubscribe")["offset_secs"],
        FIRST_WIN_BACK + 14 * D
    );
    assert_eq!(t.run()["status"], "completed", "once only: one run");
    assert_eq!(t.contact_status(), "unsubscribed");
    assert_eq!(t.tags(), set(&["win-back", "cold-subscriber"]));
}

#[test]
fn re_engagement_waits_for_60_days_after_the_last_open() {
    let t = scenario("re-engagement")
        .starting(WEDNESDAY_10AM)
        .event(r#"+30d email.opened {"email": "Newsletter"}"#)
        .arg("--no-trigger")
        .lasting("75d")
        .run();
    assert!(t.runs().is_empty(), "opened 45 days ago: not quiet yet");
}

#[test]
fn re_engagement_ends_as_a_conversion_when_they_open_again() {
    let t = scenario("re-engagement")
        .starting(WEDNESDAY_10AM)
        .event(r#"+62d email.opened {"email": "Win-back 1"}"#)
        .arg("--no-trigger")
        .lasting("75d")
        .run();
    assert_eq!(
        t.emails().iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        [FIRST_WIN_BACK]
    );
    let r = t.run();
    assert_eq!(
        (r["status"].as_str(), r["goal"].as_str()),
        (Some("exited"), Some("Opened again"))
    );
    assert_eq!(r["converted"], true);
    assert_eq!(t.contact_status(), "subscribed");
    assert_eq!(t.tags(), set(&["win-back"]));
}

// ---------------------------------------------------------------------------
// Refund
// ---------------------------------------------------------------------------

#[test]
fn refund_revokes_access_tags_moves_the_deal_confirms_and_notifies() {
    let t = scenario("refund")
        .event(r#"+0s refund.issued {"product": "Program A", "amount": 497}"#)
        .run();
    assert_eq!(
        t.nodes_at(0),
        strings(&[
            "refunded",
            "revoke",
            "tag",
            "lost",
            "confirm",
            "notify_team",
            "end"
        ])
    );
    let summary = |node: &str| t.step(node)["summary"].as_str().unwrap().to_string();
    assert_eq!(t.step("revoke")["kind"], "action.unenroll_course");
    assert_eq!(summary("revoke"), "course Program A");
    assert_eq!(summary("tag"), "tag refunded-program-A");
    assert_eq!(summary("lost"), "deal → Lost");
    assert_eq!(
        t.emails(),
        emails(&[(0, "Your refund for Program A is on its way")])
    );
    assert_eq!(
        summary("notify_team"),
        "Refund: Dana Reyes was refunded for Program A. Course access revoked, tagged refunded-program-A, deal moved to Lost."
    );
    assert_eq!(t.run()["status"], "completed");
    assert_eq!(t.tags(), set(&["refunded-program-A"]));
}

// ---------------------------------------------------------------------------
// Agency client onboarding (21 days)
// ---------------------------------------------------------------------------

const SIGNED: &str = r#"+0s contract.signed {"company": "Acme Studio", "value": 12000}"#;

#[test]
fn agency_onboarding_hits_day_7_14_and_21() {
    let t = scenario("agency-onboarding")
        .event(SIGNED)
        .arg("--field")
        .arg("strategy_doc_url=https://docs.example.com/acme-strategy")
        .arg("--field")
        .arg("first_draft_url=https://docs.example.com/acme-draft-1")
        .arg("--field")
        .arg("account_manager=Priya Shah")
        .lasting("22d")
        .run();
    assert_eq!(
        t.emails(),
        emails(&[
            (0, "Welcome aboard, Acme Studio! Your onboarding packet"),
            (D, "Let's book your kickoff call"),
            (2 * D, "What we need from you: brand assets"),
            (7 * D, "Your strategy document is ready"),
            (14 * D, "Your first draft is ready for review"),
            (21 * D, "Meet Priya Shah"),
        ])
    );
    assert_eq!(t.step("strategy_ready")["exit"], "yes");
    assert_eq!(t.step("draft_ready")["exit"], "yes");
    // The deal moves through the Clients pipeline on the same days.
    let deal = |node: &str| {
        (
            t.step(node)["offset_secs"].as_i64().unwrap(),
            t.step(node)["summary"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(deal("deal"), (0, "deal → Signed".to_string()));
    assert_eq!(deal("deal_kickoff"), (D, "deal → Kickoff".to_string()));
    assert_eq!(
        deal("deal_strategy"),
        (7 * D, "deal → Strategy".to_string())
    );
    assert_eq!(
        deal("deal_production"),
        (14 * D, "deal → Production".to_string())
    );
    assert_eq!(
        deal("deal_am"),
        (21 * D, "deal → Account management".to_string())
    );
    // Day 21: routed to the account manager.
    assert_eq!(t.step("hand_over")["offset_secs"], 21 * D);
    assert_eq!(
        t.step("hand_over")["summary"],
        "Onboarding finished for Acme Studio. Over to Priya Shah from today."
    );
    assert!(!t.ran("strategy_missing") && !t.ran("draft_missing"));
    assert_eq!(t.run()["status"], "completed");
    assert_eq!(t.ended_after(t.run()), 21 * D);
    assert_eq!(t.tags(), set(&["client-active"]));
}

#[test]
fn agency_onboarding_nudges_the_team_when_a_document_is_missing() {
    let t = scenario("agency-onboarding")
        .event(SIGNED)
        .lasting("22d")
        .run();
    assert_eq!(t.step("strategy_ready")["exit"], "no");
    assert_eq!(t.step("strategy_missing")["offset_secs"], 7 * D);
    assert_eq!(
        t.step("strategy_missing")["summary"],
        "Strategy doc for Acme Studio is due today and has no link yet. Set strategy_doc_url on dana@example.com and send it by hand."
    );
    assert_eq!(t.step("draft_missing")["offset_secs"], 14 * D);
    assert!(
        !t.ran("strategy") && !t.ran("draft"),
        "no empty emails to the client"
    );
    assert_eq!(
        t.emails().last().unwrap(),
        &(21 * D, "Meet your account manager".to_string())
    );
    assert_eq!(t.run()["status"], "completed");
}

// ---------------------------------------------------------------------------
// E-commerce order status
// ---------------------------------------------------------------------------

#[test]
fn order_status_follows_its_own_order_to_the_review_request() {
    // Shaped like the Shopify connector's events: `order_id` is the shop's
    // numeric id (the correlation key), `order_name` what customers see.
    let t = scenario("order-status")
        .event(r##"+0s order.created {"order_id": "5123456789", "order_name": "#1001", "amount": 59}"##)
        .event(r##"+1d order.fulfilled {"order_id": "5123450000", "order_name": "#999"}"##)
        .event(r##"+2d order.fulfilled {"order_id": "5123456789", "order_name": "#1001", "tracking_numbers": ["1Z999"]}"##)
        .event(r##"+5d order.delivered {"order_id": "5123456789", "order_name": "#1001"}"##)
        .lasting("13d")
        .run();
    assert_eq!(
        t.emails(),
        emails(&[
            (M, "Thanks for your order! (#1001)"),
            (2 * D, "Your order #1001 is on its way"),
            (5 * D, "Your order #1001 was delivered"),
            (12 * D, "How are you getting on with your order?"),
        ])
    );
    assert!(
        t.nodes_at(D).is_empty(),
        "another order's fulfilment does nothing: {:?}",
        t.nodes_at(D)
    );
    assert_eq!(t.step("await_fulfilled")["exit"], "arrived");
    assert_eq!(t.step("await_fulfilled")["offset_secs"], 2 * D);
    assert_eq!(t.step("await_delivered")["exit"], "arrived");
    assert_eq!(t.run()["status"], "completed");
    assert_eq!(t.ended_after(t.run()), 12 * D);
}

#[test]
fn order_status_keeps_two_orders_of_one_customer_apart() {
    let t = scenario("order-status")
        .event(r#"+0s order.created {"order_id": "1001"}"#)
        .event(r#"+1h order.created {"order_id": "1002"}"#)
        .event(r#"+1d order.fulfilled {"order_id": "1002"}"#)
        .event(r#"+3d order.fulfilled {"order_id": "1001"}"#)
        .lasting("4d")
        .run();
    assert_eq!(t.runs().len(), 2, "one run per order");
    let shipped: Vec<(i64, String)> = t
        .emails()
        .into_iter()
        .filter(|(_, s)| s.ends_with("is on its way"))
        .collect();
    assert_eq!(
        shipped,
        emails(&[
            (D, "Your order #1002 is on its way"),
            (3 * D, "Your order #1001 is on its way"),
        ])
    );
}

#[test]
fn order_status_flags_an_order_that_never_ships() {
    let t = scenario("order-status")
        .event(r#"+0s order.created {"order_id": "1001"}"#)
        .lasting("11d")
        .run();
    let wait = t.step("await_fulfilled");
    assert_eq!(wait["exit"], "timed_out");
    // The 10-day timeout counts from the wait, which began after the
    // one-minute confirmation delay.
    assert_eq!(wait["offset_secs"], 10 * D + M);
    assert_eq!(
        t.step("not_shipped")["summary"],
        "Order #1001 for dana@example.com has not been fulfilled 10 days after it was placed."
    );
    assert!(!t.ran("shipped"));
    assert_eq!(t.run()["status"], "completed");
    assert_eq!(t.run()["current_node"], "end_not_shipped");
}
