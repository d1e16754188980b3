//! Proptest strategies for workflows (feature `testing`).
//!
//! Property tests in several crates need the same thing: any workflow a user
//! could save, with every node kind, random settings, edges (some dangling)
//! and email templates. Keeping the generator here, beside the types, means
//! a new node kind or setting is generated as soon as it exists. It is a
//! feature so that release builds do not compile proptest.
//!
//! What it generates is any *well-formed* workflow (one the file reader
//! accepts: unique, non-empty node ids), not only valid ones: validation
//! errors are part of what a file may carry.

use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::Value;

use crate::Duration;
use crate::condition::{Condition, Engagement, Filter, Op};
use crate::contact::{FieldDef, FieldType};
use crate::time::{TimeOfDay, TimezoneRef, Weekday};
use crate::workflow::*;

/// Time zones the generator picks from (all valid IANA names).
pub const ZONES: [&str; 6] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
];

/// Short readable text, or now and then any Unicode at all (quotes,
/// control characters, astral planes) to exercise JSON escaping.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z][a-zA-Z0-9 _.-]{0,10}",
        1 => any::<String>(),
    ]
}

/// A name the store accepts for a field, pipeline or course: non-empty,
/// not a built-in field, no separators.
pub fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_]{0,8}".prop_filter("not a built-in field", |n| {
        !crate::contact::BUILTIN_FIELDS.contains(&n.to_lowercase().as_str())
    })
}

pub fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![Just(0i64), 1i64..100_000_000].prop_map(Duration::from_secs)
}

pub fn time_of_day() -> impl Strategy<Value = TimeOfDay> {
    (0u8..24, 0u8..60).prop_map(|(h, m)| TimeOfDay::new(h, m).expect("in range"))
}

pub fn weekdays() -> impl Strategy<Value = Vec<Weekday>> {
    vec(proptest::sample::select(Weekday::ALL.to_vec()), 0..4)
}

pub fn timezone_ref() -> impl Strategy<Value = TimezoneRef> {
    prop_oneof![
        Just(TimezoneRef::Workflow),
        Just(TimezoneRef::Contact),
        proptest::sample::select(ZONES.to_vec()).prop_map(|z| TimezoneRef::Named(z.into())),
    ]
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-100_000i32..100_000).prop_map(f64::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ]
}

fn non_negative() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        (0u32..100_000).prop_map(|c| f64::from(c) / 100.0)
    ]
}

/// Any JSON value, as found in payloads and compared by filters.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec(("[a-z_]{1,6}", inner), 0..4).prop_map(|kv| {
                let mut m = serde_json::Map::new();
                for (k, v) in kv {
                    m.insert(k, v);
                }
                Value::Object(m)
            }),
        ]
    })
}

pub fn op() -> impl Strategy<Value = Op> {
    proptest::sample::select(vec![
        Op::Eq,
        Op::Ne,
        Op::Contains,
        Op::NotContains,
        Op::StartsWith,
        Op::Gt,
        Op::Gte,
        Op::Lt,
        Op::Lte,
        Op::IsSet,
        Op::IsNotSet,
        Op::Before,
        Op::After,
    ])
}

pub fn filter() -> impl Strategy<Value = Filter> {
    (
        "[a-z_]{1,8}(\\.[a-z0-9_]{1,5}){0,2}",
        op(),
        option::of(json_value()),
    )
        .prop_map(|(path, op, value)| Filter { path, op, value })
}

pub fn filters() -> impl Strategy<Value = Vec<Filter>> {
    vec(filter(), 0..3)
}

pub fn condition() -> impl Strategy<Value = Condition> {
    let leaf =
        prop_oneof![
            (text(), op(), option::of(json_value()))
                .prop_map(|(field, op, value)| Condition::Field { field, op, value }),
            text().prop_map(Condition::HasTag),
            text().prop_map(Condition::LacksTag),
            (text(), op(), option::of(json_value()))
                .prop_map(|(path, op, value)| Condition::Payload { path, op, value }),
            (
                prop_oneof![Just(Engagement::Opened), Just(Engagement::Clicked)],
                option::of(text()),
                duration()
            )
                .prop_map(|(action, email, within)| Condition::Engagement {
                    action,
                    email,
                    within
                }),
            (text(), option::of(duration()), filters()).prop_map(
                |(event_type, within, filters)| {
                    Condition::HadEvent {
                        event_type,
                        within,
                        filters,
                    }
                }
            ),
            any::<u8>().prop_map(|percent| Condition::RandomSplit { percent }),
            (weekdays(), time_of_day(), time_of_day(), timezone_ref()).prop_map(
                |(weekdays, from, to, timezone)| Condition::TimeWindow {
                    weekdays,
                    from,
                    to,
                    timezone
                }
            ),
        ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Condition::All),
            vec(inner.clone(), 0..3).prop_map(Condition::Any),
            inner.prop_map(|c| Condition::Not(Box::new(c))),
        ]
    })
}

pub fn error_policy() -> impl Strategy<Value = ErrorPolicy> {
    prop_oneof![
        2 => Just(ErrorPolicy::default()),
        1 => (
            0u32..10,
            duration(),
            prop_oneof![Just(OnFailure::Fail), Just(OnFailure::ErrorExit)]
        )
            .prop_map(|(max_attempts, backoff, then)| ErrorPolicy {
                max_attempts,
                backoff,
                then
            }),
    ]
}

pub fn late_policy() -> impl Strategy<Value = LatePolicy> {
    option::of(duration()).prop_map(|skip_if_late_by| LatePolicy { skip_if_late_by })
}

fn date() -> impl Strategy<Value = chrono::NaiveDate> {
    (1900i32..2200, 1u32..13, 1u32..29)
        .prop_map(|(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("valid date"))
}

/// The settings of one node kind; one arm per kind, so every kind is drawn.
pub fn node_spec() -> impl Strategy<Value = NodeSpec> {
    let event = || filters().prop_map(|filters| EventTrigger { filters });
    let tag_trigger = || (text(), filters()).prop_map(|(tag, filters)| TagTrigger { tag, filters });
    let tag_action =
        || (text(), error_policy()).prop_map(|(tag, on_error)| TagAction { tag, on_error });
    let deal = || {
        (
            text(),
            text(),
            option::of(text()),
            option::of(text()),
            error_policy(),
        )
            .prop_map(|(pipeline, stage, title, value, on_error)| DealAction {
                pipeline,
                stage,
                title,
                value,
                on_error,
            })
    };
    let course = || {
        (text(), error_policy()).prop_map(|(course, on_error)| CourseAction { course, on_error })
    };
    let workflow = || {
        (text(), error_policy())
            .prop_map(|(workflow, on_error)| WorkflowAction { workflow, on_error })
    };
    let arms: Vec<BoxedStrategy<NodeSpec>> = vec![
        event().prop_map(NodeSpec::TriggerContactCreated).boxed(),
        (option::of(text()), filters())
            .prop_map(|(form, filters)| {
                NodeSpec::TriggerFormSubmitted(FormTrigger { form, filters })
            })
            .boxed(),
        event().prop_map(NodeSpec::TriggerPurchaseCompleted).boxed(),
        event().prop_map(NodeSpec::TriggerRefundIssued).boxed(),
        tag_trigger().prop_map(NodeSpec::TriggerTagAdded).boxed(),
        tag_trigger().prop_map(NodeSpec::TriggerTagRemoved).boxed(),
        (option::of(text()), option::of(text()), filters())
            .prop_map(|(url_contains, email, filters)| {
                NodeSpec::TriggerLinkClicked(LinkTrigger {
                    url_contains,
                    email,
                    filters,
                })
            })
            .boxed(),
        (option::of(text()), filters())
            .prop_map(|(email, filters)| {
                NodeSpec::TriggerEmailOpened(EmailEngagementTrigger { email, filters })
            })
            .boxed(),
        (option::of(text()), filters())
            .prop_map(|(email, filters)| {
                NodeSpec::TriggerEmailReplied(EmailEngagementTrigger { email, filters })
            })
            .boxed(),
        (text(), any::<u8>(), filters())
            .prop_map(|(course, at_least_percent, filters)| {
                NodeSpec::TriggerCourseProgress(CourseProgressTrigger {
                    course,
                    at_least_percent,
                    filters,
                })
            })
            .boxed(),
        (text(), filters())
            .prop_map(|(course, filters)| {
                NodeSpec::TriggerCourseCompleted(CourseTrigger { course, filters })
            })
            .boxed(),
        (text(), option::of(text()), filters())
            .prop_map(|(pipeline, stage, filters)| {
                NodeSpec::TriggerDealStageChanged(DealStageTrigger {
                    pipeline,
                    stage,
                    filters,
                })
            })
            .boxed(),
        (
            option::of(text()),
            any::<i32>(),
            any::<bool>(),
            option::of(date()),
            time_of_day(),
            timezone_ref(),
            option::of(condition()),
        )
            .prop_map(
                |(field, offset_days, yearly, date, time, timezone, audience)| {
                    NodeSpec::TriggerDate(DateTrigger {
                        field,
                        offset_days,
                        yearly,
                        date,
                        time,
                        timezone,
                        audience,
                    })
                },
            )
            .boxed(),
        (
            prop_oneof![Just(Every::Day), Just(Every::Week)],
            weekdays(),
            time_of_day(),
            timezone_ref(),
            option::of(condition()),
        )
            .prop_map(|(every, weekdays, time, timezone, audience)| {
                NodeSpec::TriggerSchedule(ScheduleTrigger {
                    every,
                    weekdays,
                    time,
                    timezone,
                    audience,
                })
            })
            .boxed(),
        Just(NodeSpec::TriggerManual(ManualTrigger {})).boxed(),
        (text(), filters())
            .prop_map(|(event_type, filters)| {
                NodeSpec::TriggerEvent(CustomEventTrigger {
                    event_type,
                    filters,
                })
            })
            .boxed(),
        event().prop_map(NodeSpec::TriggerWorkflowFailed).boxed(),
        condition()
            .prop_map(|condition| NodeSpec::Condition(ConditionNode { condition }))
            .boxed(),
        vec((text(), condition()), 0..4)
            .prop_map(|paths| {
                NodeSpec::Branch(BranchNode {
                    paths: paths
                        .into_iter()
                        .map(|(name, condition)| BranchPath { name, condition })
                        .collect(),
                })
            })
            .boxed(),
        (vec((text(), any::<u32>()), 0..4), option::of(text()))
            .prop_map(|(variants, winner)| {
                NodeSpec::Split(SplitNode {
                    variants: variants
                        .into_iter()
                        .map(|(name, weight)| SplitVariant { name, weight })
                        .collect(),
                    winner,
                })
            })
            .boxed(),
        (duration(), late_policy())
            .prop_map(|(duration, late)| NodeSpec::WaitDuration(WaitDuration { duration, late }))
            .boxed(),
        (weekdays(), time_of_day(), timezone_ref(), late_policy())
            .prop_map(|(weekdays, time, timezone, late)| {
                NodeSpec::WaitUntilTime(WaitUntilTime {
                    weekdays,
                    time,
                    timezone,
                    late,
                })
            })
            .boxed(),
        (
            text(),
            any::<i32>(),
            time_of_day(),
            timezone_ref(),
            late_policy(),
        )
            .prop_map(|(field, offset_days, time, timezone, late)| {
                NodeSpec::WaitUntilDate(WaitUntilDate {
                    field,
                    offset_days,
                    time,
                    timezone,
                    late,
                })
            })
            .boxed(),
        (
            text(),
            vec(text(), 0..3),
            filters(),
            duration(),
            late_policy(),
        )
            .prop_map(|(event_type, correlate, filters, timeout, late)| {
                NodeSpec::WaitForEvent(WaitForEvent {
                    event_type,
                    correlate,
                    filters,
                    timeout,
                    late,
                })
            })
            .boxed(),
        Just(NodeSpec::End(EndNode {})).boxed(),
        (text(), text(), error_policy())
            .prop_map(|(template, account, on_error)| {
                NodeSpec::SendEmail(SendEmail {
                    template,
                    account,
                    on_error,
                })
            })
            .boxed(),
        tag_action().prop_map(NodeSpec::AddTag).boxed(),
        tag_action().prop_map(NodeSpec::RemoveTag).boxed(),
        (text(), text(), error_policy())
            .prop_map(|(field, value, on_error)| {
                NodeSpec::SetField(SetField {
                    field,
                    value,
                    on_error,
                })
            })
            .boxed(),
        deal().prop_map(NodeSpec::CreateDeal).boxed(),
        deal().prop_map(NodeSpec::MoveDeal).boxed(),
        course().prop_map(NodeSpec::EnrollCourse).boxed(),
        course().prop_map(NodeSpec::UnenrollCourse).boxed(),
        workflow().prop_map(NodeSpec::StartWorkflow).boxed(),
        workflow().prop_map(NodeSpec::RemoveFromWorkflow).boxed(),
        (
            proptest::sample::select(vec![
                HttpMethod::Get,
                HttpMethod::Post,
                HttpMethod::Put,
                HttpMethod::Patch,
                HttpMethod::Delete,
            ]),
            text(),
            btree_map(
                "[A-Za-z-]{1,12}",
                prop_oneof![
                    text().prop_map(HeaderValue::Text),
                    (text(), text()).prop_map(|(secret, prefix)| HeaderValue::Secret(
                        HeaderSecret { secret, prefix }
                    )),
                ],
                0..3,
            ),
            option::of(text()),
            option::of(text()),
            option::of(duration()),
            error_policy(),
        )
            .prop_map(|(method, url, headers, body, account, timeout, on_error)| {
                NodeSpec::Webhook(Webhook {
                    method,
                    url,
                    headers,
                    body,
                    account,
                    timeout,
                    on_error,
                })
            })
            .boxed(),
        (notify_channel(), text(), error_policy())
            .prop_map(|(channel, message, on_error)| {
                NodeSpec::Notify(Notify {
                    channel,
                    message,
                    on_error,
                })
            })
            .boxed(),
        error_policy()
            .prop_map(|on_error| NodeSpec::Unsubscribe(Unsubscribe { on_error }))
            .boxed(),
    ];
    debug_assert_eq!(arms.len(), NodeSpec::KINDS.len());
    Union::new(arms)
}

pub fn notify_channel() -> impl Strategy<Value = NotifyChannel> {
    prop_oneof![
        text().prop_map(|account| NotifyChannel::Slack { account }),
        Just(NotifyChannel::Desktop),
        text().prop_map(|account| NotifyChannel::EmailOwner { account }),
    ]
}

pub fn on_run_failure() -> impl Strategy<Value = OnRunFailure> {
    (vec(notify_channel(), 0..3), option::of(text())).prop_map(|(notify, start_workflow)| {
        OnRunFailure {
            notify,
            start_workflow,
        }
    })
}

pub fn settings() -> impl Strategy<Value = Settings> {
    let window = (weekdays(), time_of_day(), time_of_day(), timezone_ref()).prop_map(
        |(days, from, to, timezone)| SendWindow {
            days,
            from,
            to,
            timezone,
        },
    );
    (
        proptest::sample::select(ZONES.to_vec()),
        proptest::sample::select(vec![Reentry::Once, Reentry::OneAtATime, Reentry::Always]),
        option::of(window),
        non_negative(),
        non_negative(),
        on_run_failure(),
        option::of(text()),
    )
        .prop_map(
            |(
                timezone,
                reentry,
                send_window,
                manual_minutes_per_run,
                hourly_rate,
                on_run_failure,
                experience_event,
            )| {
                Settings {
                    timezone: timezone.into(),
                    reentry,
                    send_window,
                    manual_minutes_per_run,
                    hourly_rate,
                    on_run_failure,
                    experience_event,
                }
            },
        )
}

pub fn goal() -> impl Strategy<Value = Goal> {
    (text(), text(), filters(), any::<bool>()).prop_map(
        |(name, event_type, filters, conversion)| Goal {
            name,
            event_type,
            filters,
            conversion,
        },
    )
}

pub fn email_template() -> impl Strategy<Value = EmailTemplate> {
    (
        text(),
        text(),
        text(),
        option::of(text()),
        proptest::bool::ANY,
    )
        .prop_map(
            |(name, subject, body, preheader, transactional)| EmailTemplate {
                name,
                subject,
                body,
                preheader,
                kind: if transactional {
                    EmailKind::Transactional
                } else {
                    EmailKind::Marketing
                },
            },
        )
}

pub fn requires() -> impl Strategy<Value = Requires> {
    let field_type = proptest::sample::select(vec![
        FieldType::Text,
        FieldType::Number,
        FieldType::Date,
        FieldType::Boolean,
    ]);
    (
        vec((name(), field_type), 0..3),
        vec((name(), vec(name(), 0..4)), 0..2),
        vec(name(), 0..2),
    )
        .prop_map(|(fields, pipelines, courses)| {
            // The store keeps one type per field name (case-insensitively).
            let mut seen = BTreeSet::new();
            Requires {
                fields: fields
                    .into_iter()
                    .filter(|(n, _)| seen.insert(n.to_lowercase()))
                    .map(|(name, field_type)| FieldDef { name, field_type })
                    .collect(),
                pipelines: pipelines
                    .into_iter()
                    .map(|(name, stages)| PipelineDecl { name, stages })
                    .collect(),
                courses,
            }
        })
}

/// A node with a generated id: unique, as the reader requires.
fn nodes() -> impl Strategy<Value = Vec<Node>> {
    vec(
        (
            option::of(text()),
            finite(),
            finite(),
            node_spec(),
            "[a-z]{0,3}",
        ),
        1..10,
    )
    .prop_map(|drawn| {
        drawn
            .into_iter()
            .enumerate()
            .map(|(i, (label, x, y, spec, prefix))| Node {
                id: format!("{prefix}{i}"),
                label,
                position: Position { x, y },
                spec,
            })
            .collect()
    })
}

/// Edges between the nodes, from their real exits and now and then from a
/// made-up exit or to a node that does not exist (a draft may be broken).
fn edges(nodes: &[Node]) -> impl Strategy<Value = Vec<Edge>> + use<> {
    let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    let exits: BTreeMap<String, Vec<String>> = nodes
        .iter()
        .map(|n| {
            let mut e = n.spec.exits();
            e.push("next".into());
            (n.id.clone(), e)
        })
        .collect();
    let to = prop_oneof![
        8 => proptest::sample::select(ids.clone()),
        1 => Just("missing".to_string()),
    ];
    vec(
        (
            proptest::sample::select(ids),
            any::<proptest::sample::Index>(),
            to,
        ),
        0..12,
    )
    .prop_map(move |drawn| {
        drawn
            .into_iter()
            .map(|(from, exit, to)| {
                let options = &exits[&from];
                Edge {
                    exit: exit.get(options).clone(),
                    from,
                    to,
                }
            })
            .collect()
    })
}

/// Any well-formed workflow.
pub fn workflow() -> impl Strategy<Value = WorkflowDef> {
    (
        "[A-Z][A-Za-z0-9 ]{0,15}[A-Za-z0-9]",
        prop_oneof![Just(String::new()), text()],
        settings(),
        vec(goal(), 0..3),
        nodes(),
        vec(email_template(), 0..3),
        requires(),
    )
        .prop_flat_map(
            |(name, description, settings, goals, nodes, email_templates, requires)| {
                let edges = edges(&nodes);
                (
                    Just(WorkflowDef {
                        description,
                        settings,
                        goals,
                        nodes,
                        email_templates,
                        requires,
                        ..WorkflowDef::new(name)
                    }),
                    edges,
                )
            },
        )
        .prop_map(|(mut def, edges)| {
            def.edges = edges;
            def
        })
}

/// Setting this environment variable to `1` makes the generated-file checks
/// rewrite the committed files instead of failing.
pub const UPDATE_ENV: &str = "CAIRN_UPDATE_GENERATED";

fn updating() -> bool {
    std::env::var(UPDATE_ENV).is_ok_and(|v| v == "1")
}

/// Fails when the committed file at `path` differs from `fresh`, telling the
/// reader the `command` that regenerates it; with `CAIRN_UPDATE_GENERATED=1`
/// writes `fresh` there instead.
pub fn check_generated_file(path: &std::path::Path, fresh: &str, command: &str) {
    let committed = std::fs::read_to_string(path).ok();
    if committed.as_deref() == Some(fresh) {
        return;
    }
    if updating() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the directory of a generated file");
        }
        std::fs::write(path, fresh).expect("write a generated file");
        return;
    }
    let why = if committed.is_some() {
        "is stale"
    } else {
        "is missing"
    };
    panic!(
        "{} {why}: it no longer matches the Rust types it is generated from.\nRegenerate it with:\n    {command}\nand commit the result.",
        path.display()
    );
}

/// Like [`check_generated_file`] for a directory of generated files with the
/// extension `ext`, keyed by file name: a file that should no longer exist
/// counts as stale too (and is deleted when updating).
pub fn check_generated_dir(
    dir: &std::path::Path,
    ext: &str,
    fresh: &BTreeMap<String, String>,
    command: &str,
) {
    let mut committed = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == ext)
                && let Some(name) = p.file_name().and_then(|n| n.to_str())
            {
                let text = std::fs::read_to_string(&p).expect("read a generated file");
                committed.insert(name.to_string(), text);
            }
        }
    }
    let mut problems = vec![];
    for (name, text) in fresh {
        match committed.get(name) {
            None => problems.push(format!("{name} is missing")),
            Some(old) if old != text => problems.push(format!("{name} is stale")),
            Some(_) => {}
        }
    }
    let extra: Vec<&String> = committed
        .keys()
        .filter(|n| !fresh.contains_key(*n))
        .collect();
    for name in &extra {
        problems.push(format!("{name} is no longer generated"));
    }
    if problems.is_empty() {
        return;
    }
    if updating() {
        std::fs::create_dir_all(dir).expect("create the generated directory");
        for name in extra {
            std::fs::remove_file(dir.join(name)).expect("remove a file no longer generated");
        }
        for (name, text) in fresh {
            std::fs::write(dir.join(name), text).expect("write a generated file");
        }
        return;
    }
    panic!(
        "the generated files in {} no longer match the Rust types:\n  {}\nRegenerate them with:\n    {command}\nand commit the result.",
        dir.display(),
        problems.join("\n  ")
    );
}

/// The command that regenerates every generated file (the JSON Schema and
/// the TypeScript bindings); failure messages quote it.
pub const REGENERATE: &str =
    "CAIRN_UPDATE_GENERATED=1 cargo test -p cairn-model -p cairn-store generated";
