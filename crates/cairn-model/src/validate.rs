//! Workflow validation: errors block activation, warnings are shown.
//!
//! Every issue names the node it belongs to (when it belongs to one), so the
//! canvas can mark the node and the problems list can jump to it. The
//! [`Catalog`] says what exists in the database (tags, fields, accounts,
//! pipelines, courses, workflows); what the workflow itself declares under
//! `requires` counts as existing too.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::account::AccountKind;
use crate::condition::{Condition, Filter, Op};
use crate::contact::{BUILTIN_FIELDS, FieldType};
use crate::template;
use crate::time::parse_tz;
use crate::workflow::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Issue {
    pub severity: Severity,
    /// Stable identifier, such as `no_trigger` or `unknown_template`.
    pub code: String,
    /// The node the issue belongs to, if any.
    pub node: Option<String>,
    pub message: String,
}

/// What exists outside the workflow. Names compare case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub tags: BTreeSet<String>,
    pub fields: BTreeMap<String, FieldType>,
    pub accounts: BTreeMap<String, AccountKind>,
    pub pipelines: BTreeMap<String, Vec<String>>,
    pub courses: BTreeSet<String>,
    pub workflows: BTreeSet<String>,
}

impl Catalog {
    fn key(s: &str) -> String {
        s.trim().to_lowercase()
    }
    pub fn add_tag(&mut self, t: &str) {
        self.tags.insert(Self::key(t));
    }
    pub fn add_field(&mut self, name: &str, t: FieldType) {
        self.fields.insert(Self::key(name), t);
    }
    pub fn add_account(&mut self, name: &str, k: AccountKind) {
        self.accounts.insert(Self::key(name), k);
    }
    pub fn add_pipeline(&mut self, name: &str, stages: Vec<String>) {
        self.pipelines.insert(
            Self::key(name),
            stages.iter().map(|s| Self::key(s)).collect(),
        );
    }
    pub fn add_course(&mut self, c: &str) {
        self.courses.insert(Self::key(c));
    }
    pub fn add_workflow(&mut self, w: &str) {
        self.workflows.insert(Self::key(w));
    }
    pub fn field(&self, name: &str) -> Option<FieldType> {
        self.fields.get(&Self::key(name)).copied()
    }
}

/// The result of validating a workflow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Report {
    pub issues: Vec<Issue>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
    }
    pub fn for_node<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Issue> {
        self.issues
            .iter()
            .filter(move |i| i.node.as_deref() == Some(id))
    }
}

struct Checker<'a> {
    def: &'a WorkflowDef,
    cat: Catalog,
    issues: Vec<Issue>,
}

impl Checker<'_> {
    fn push(&mut self, sev: Severity, code: &str, node: Option<&str>, msg: String) {
        self.issues.push(Issue {
            severity: sev,
            code: code.into(),
            node: node.map(Into::into),
            message: msg,
        });
    }
    fn err(&mut self, code: &str, node: Option<&str>, msg: String) {
        self.push(Severity::Error, code, node, msg)
    }
    fn warn(&mut self, code: &str, node: Option<&str>, msg: String) {
        self.push(Severity::Warning, code, node, msg)
    }
    fn require(&mut self, node: &str, what: &str, value: &str) -> bool {
        if value.trim().is_empty() {
            self.err("missing_setting", Some(node), format!("{what} is not set"));
            false
        } else {
            true
        }
    }
}

/// Validates a workflow against what exists.
pub fn validate(def: &WorkflowDef, catalog: &Catalog) -> Report {
    let mut cat = catalog.clone();
    for f in &def.requires.fields {
        cat.add_field(&f.name, f.field_type);
    }
    for p in &def.requires.pipelines {
        cat.add_pipeline(&p.name, p.stages.clone());
    }
    for c in &def.requires.courses {
        cat.add_course(c);
    }
    cat.add_workflow(&def.name);
    // Tags this workflow adds count as known.
    for n in &def.nodes {
        if let NodeSpec::AddTag(t) = &n.spec {
            cat.add_tag(&t.tag);
        }
    }
    let mut c = Checker {
        def,
        cat,
        issues: vec![],
    };
    check_workflow(&mut c);
    check_on_run_failure(&mut c);
    check_graph(&mut c);
    for n in &def.nodes {
        check_node(&mut c, n);
    }
    check_engagement_source(&mut c);
    c.issues.sort_by(|a, b| {
        (a.severity, &a.node, &a.code, &a.message).cmp(&(b.severity, &b.node, &b.code, &b.message))
    });
    c.issues.dedup();
    Report { issues: c.issues }
}

fn check_workflow(c: &mut Checker) {
    let def = c.def;
    if def.name.trim().is_empty() {
        c.err("missing_setting", None, "the workflow has no name".into());
    }
    if parse_tz(&def.settings.timezone).is_none() {
        c.err(
            "invalid_timezone",
            None,
            format!(
                "settings.timezone {:?} is not an IANA time zone such as \"Europe/Berlin\"",
                def.settings.timezone
            ),
        );
    }
    if let Some(w) = &def.settings.send_window
        && w.from == w.to
    {
        c.err(
            "missing_setting",
            None,
            format!(
                "the send window opens and closes at the same time ({})",
                w.from
            ),
        );
    }
    if def.settings.manual_minutes_per_run < 0.0 || def.settings.hourly_rate < 0.0 {
        c.err(
            "bad_value",
            None,
            "manual minutes per run and hourly rate cannot be negative".into(),
        );
    }
    if !def.nodes.iter().any(|n| n.spec.is_trigger()) {
        c.err(
            "no_trigger",
            None,
            "the workflow has no trigger; add one so runs can start".into(),
        );
    }
    if def
        .settings
        .experience_event
        .as_deref()
        .is_some_and(|e| e.trim().is_empty())
    {
        c.err(
            "missing_setting",
            None,
            "settings.experience_event: the event type is empty; name one (refund.issued) or remove it".into(),
        );
    }
    for g in &def.goals {
        if g.name.trim().is_empty() || g.event_type.trim().is_empty() {
            c.err(
                "missing_setting",
                None,
                "a goal needs a name and an event type".into(),
            );
        }
        check_filters(c, None, &g.filters);
    }
    let mut seen = HashSet::new();
    for t in &def.email_templates {
        if !seen.insert(t.name.to_lowercase()) {
            c.err(
                "duplicate_template",
                None,
                format!("two email templates are named {:?}", t.name),
            );
        }
        // A template's problems show on the nodes that send it (the canvas
        // marks them); an unused template's problems belong to the workflow.
        let senders: Vec<Option<&str>> = def
            .nodes
            .iter()
            .filter(|n| matches!(&n.spec, NodeSpec::SendEmail(s) if s.template == t.name))
            .map(|n| Some(n.id.as_str()))
            .collect();
        let senders = if senders.is_empty() {
            vec![None]
        } else {
            senders
        };
        let parts = [
            ("subject", Some(&t.subject)),
            ("body", Some(&t.body)),
            ("preheader", t.preheader.as_ref()),
        ];
        for node in senders {
            for (what, src) in parts.iter().filter_map(|(w, s)| s.map(|s| (w, s))) {
                check_template(c, node, &format!("email template {:?} {what}", t.name), src);
            }
            if t.subject.trim().is_empty() {
                c.err(
                    "missing_setting",
                    node,
                    format!("email template {:?} has no subject", t.name),
                );
            }
            if t.kind == EmailKind::Transactional
                && parts.iter().any(|(_, src)| {
                    src.is_some_and(|s| {
                        template::merge_fields(s).is_ok_and(|f| f.contains("unsubscribe_url"))
                    })
                })
            {
                c.err(
                    "unsubscribe_in_transactional",
                    node,
                    format!(
                        "email template {:?} is transactional, so it carries no unsubscribe link; remove {{{{ unsubscribe_url }}}} or make it a marketing email",
                        t.name
                    ),
                );
            }
        }
    }
}

fn check_graph(c: &mut Checker) {
    let def = c.def;
    let mut ids = HashSet::new();
    for n in &def.nodes {
        if n.id.trim().is_empty() {
            c.err("missing_setting", None, "a node has an empty id".into());
        } else if !ids.insert(n.id.as_str()) {
            c.err(
                "duplicate_node_id",
                Some(&n.id),
                format!("two nodes have the id {:?}", n.id),
            );
        }
    }
    let by_id: HashMap<&str, &Node> = def.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut used: HashSet<(&str, &str)> = HashSet::new();
    for e in &def.edges {
        let Some(from) = by_id.get(e.from.as_str()) else {
            c.err(
                "dangling_edge",
                None,
                format!("an edge starts at {:?}, which is not a node", e.from),
            );
            continue;
        };
        // The exit counts as connected even when the edge is broken, so a
        // broken edge is reported once, not also as an unconnected exit.
        if !used.insert((e.from.as_str(), e.exit.as_str())) {
            c.err(
                "duplicate_exit",
                Some(&e.from),
                format!("exit {:?} is connected more than once", e.exit),
            );
        }
        if !from.spec.exits().contains(&e.exit) {
            c.err(
                "dangling_edge",
                Some(&e.from),
                format!(
                    "this node has no exit {:?} (its exits: {})",
                    e.exit,
                    list(&from.spec.exits())
                ),
            );
        }
        match by_id.get(e.to.as_str()) {
            None => c.err(
                "dangling_edge",
                Some(&e.from),
                format!("exit {:?} leads to {:?}, which is not a node", e.exit, e.to),
            ),
            Some(to) if to.spec.is_trigger() => c.err(
                "dangling_edge",
                Some(&e.to),
                "a trigger cannot be the target of an edge".into(),
            ),
            Some(_) => {}
        }
    }
    // Unconnected exits.
    for n in &def.nodes {
        for exit in n.spec.exits() {
            if used.contains(&(n.id.as_str(), exit.as_str())) {
                continue;
            }
            if n.spec.is_trigger() {
                c.err(
                    "unconnected_exit",
                    Some(&n.id),
                    "the trigger is not connected to anything".into(),
                );
            } else if matches!(n.spec, NodeSpec::Split(_)) {
                // A variant that leads nowhere ends its share of the runs at
                // once: the test would compare against nothing.
                c.err(
                    "unconnected_exit",
                    Some(&n.id),
                    format!(
                        "split variant {exit:?} is not connected; every variant needs its own path"
                    ),
                );
            } else if exit != exits::NEXT {
                c.warn(
                    "unconnected_exit",
                    Some(&n.id),
                    format!("exit {exit:?} is not connected; runs that take it end here"),
                );
            }
        }
    }
    // Reachability from triggers.
    let mut adj: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in &def.edges {
        if by_id.contains_key(e.to.as_str()) {
            adj.entry(e.from.as_str()).or_default().push(e.to.as_str());
        }
    }
    let mut reached: HashSet<&str> = HashSet::new();
    let mut stack: Vec<&str> = def.triggers().map(|n| n.id.as_str()).collect();
    while let Some(id) = stack.pop() {
        if reached.insert(id) {
            stack.extend(adj.get(id).into_iter().flatten().copied());
        }
    }
    for n in &def.nodes {
        if !reached.contains(n.id.as_str()) && !n.spec.is_trigger() {
            c.warn(
                "unreachable_node",
                Some(&n.id),
                "no trigger leads to this node".into(),
            );
        }
    }
    // Cycles without a wait: strongly connected components (Tarjan).
    for comp in sccs(&def.nodes, &adj) {
        let cyclic = comp.len() > 1 || adj.get(comp[0]).is_some_and(|t| t.contains(&comp[0]));
        if !cyclic {
            continue;
        }
        let has_wait = comp
            .iter()
            .any(|id| by_id[id].spec.family() == NodeFamily::Wait);
        if !has_wait {
            let mut names: Vec<&str> = comp.clone();
            names.sort();
            for id in &names {
                c.err(
                    "cycle_without_wait",
                    Some(id),
                    format!(
                        "this node is in a loop with no wait ({}); a run would spin forever",
                        names.join(" → ")
                    ),
                );
            }
        }
    }
}

fn sccs<'a>(nodes: &'a [Node], adj: &HashMap<&'a str, Vec<&'a str>>) -> Vec<Vec<&'a str>> {
    struct T<'a, 'b> {
        adj: &'b HashMap<&'a str, Vec<&'a str>>,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        on: HashSet<&'a str>,
        stack: Vec<&'a str>,
        next: usize,
        out: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(t: &mut T<'a, '_>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        let succ: Vec<&'a str> = t.adj.get(v).cloned().unwrap_or_default();
        for w in succ {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = vec![];
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w);
                if w == v {
                    break;
                }
            }
            t.out.push(comp);
        }
    }
    let mut t = T {
        adj,
        index: HashMap::new(),
        low: HashMap::new(),
        on: HashSet::new(),
        stack: vec![],
        next: 0,
        out: vec![],
    };
    for n in nodes {
        if !t.index.contains_key(n.id.as_str()) {
            visit(&mut t, n.id.as_str());
        }
    }
    t.out
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

fn check_template(c: &mut Checker, node: Option<&str>, what: &str, src: &str) {
    let fields = match template::merge_fields(src) {
        Ok(f) => f,
        Err(e) => {
            c.err(
                "invalid_template",
                node,
                format!("{what} is not a valid template: {e}"),
            );
            return;
        }
    };
    for f in fields {
        let mut parts = f.splitn(2, '.');
        let root = parts.next().unwrap_or_default();
        let rest = parts.next();
        match root {
            "trigger" | "unsubscribe_url" | "event" => {}
            "workflow" if matches!(rest, None | Some("name")) => {}
            "contact" => {
                let Some(field) = rest.map(|r| r.split('.').next().unwrap_or(r)) else {
                    continue;
                };
                if !BUILTIN_FIELDS.contains(&field) && c.cat.field(field).is_none() {
                    c.err(
                        "unknown_merge_field",
                        node,
                        format!(
                            "{what} uses {{{{ {f} }}}}, but contacts have no field {field:?}"
                        ),
                    );
                }
            }
            _ => c.err(
                "unknown_merge_field",
                node,
                format!(
                    "{what} uses {{{{ {f} }}}}; merge fields start with contact., trigger., event. or workflow."
                ),
            ),
        }
    }
}

fn check_filters(c: &mut Checker, node: Option<&str>, filters: &[Filter]) {
    for f in filters {
        if f.path.trim().is_empty() {
            c.err(
                "missing_setting",
                node,
                "a filter has no payload key".into(),
            );
        }
        if f.op.needs_value() && f.value.is_none() {
            c.err(
                "missing_setting",
                node,
                format!("the filter on {:?} has no value to compare with", f.path),
            );
        }
    }
}

fn check_tag(c: &mut Checker, node: &str, tag: &str, strict: bool) {
    if !c.require(node, "the tag", tag) {
        return;
    }
    if strict && !c.cat.tags.contains(&Catalog::key(tag)) {
        c.warn(
            "unknown_tag",
            Some(node),
            format!("no contact has ever had the tag {tag:?} and no workflow adds it"),
        );
    }
}

fn check_field(c: &mut Checker, node: &str, field: &str, want: Option<FieldType>) {
    if !c.require(node, "the field", field) {
        return;
    }
    if BUILTIN_FIELDS.contains(&field) {
        if want == Some(FieldType::Date) {
            c.err(
                "bad_value",
                Some(node),
                format!("{field:?} is not a date field"),
            );
        }
        return;
    }
    match c.cat.field(field) {
        None => c.err(
            "unknown_field",
            Some(node),
            format!(
                "contacts have no field {field:?}; create it or declare it under requires.fields"
            ),
        ),
        Some(t) if want.is_some_and(|w| w != t) => c.err(
            "bad_value",
            Some(node),
            format!(
                "field {field:?} is a {t} field; a {} field is needed here",
                want.map(|w| w.as_str()).unwrap_or_default()
            ),
        ),
        _ => {}
    }
}

fn check_account(c: &mut Checker, node: &str, name: &str, kinds: &[AccountKind]) {
    if !c.require(node, "the account", name) {
        return;
    }
    if let Some(msg) = account_problem(&c.cat, name, kinds) {
        c.err("unknown_account", Some(node), msg);
    }
}

/// Why `name` cannot serve as an account of one of `kinds`, if it cannot.
fn account_problem(cat: &Catalog, name: &str, kinds: &[AccountKind]) -> Option<String> {
    match cat.accounts.get(&Catalog::key(name)) {
        None => Some(format!(
            "there is no connected account named {name:?}; connect one of kind {} under that name",
            kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        )),
        Some(k) if !kinds.contains(k) => Some(format!(
            "account {name:?} is a {k} account; a {} account is needed here",
            kinds[0]
        )),
        _ => None,
    }
}

/// The error path (`settings.on_run_failure`): its accounts exist and are
/// of the right kind, the workflow it starts exists and is not this one.
fn check_on_run_failure(c: &mut Checker) {
    let f = &c.def.settings.on_run_failure;
    for (i, ch) in f.notify.iter().enumerate() {
        let (account, kind) = match ch {
            NotifyChannel::Slack { account } => (account, AccountKind::Slack),
            NotifyChannel::EmailOwner { account } => (account, AccountKind::Smtp),
            NotifyChannel::Desktop => continue,
        };
        let at = format!("settings.on_run_failure.notify[{i}]");
        if account.trim().is_empty() {
            c.err(
                "missing_setting",
                None,
                format!("{at}: the account is not set"),
            );
        } else if let Some(msg) = account_problem(&c.cat, account, &[kind]) {
            c.err("unknown_account", None, format!("{at}: {msg}"));
        }
    }
    if let Some(w) = &f.start_workflow {
        let at = "settings.on_run_failure.start_workflow";
        if w.trim().is_empty() {
            c.err(
                "missing_setting",
                None,
                format!("{at}: the workflow is not set"),
            );
        } else if Catalog::key(w) == Catalog::key(&c.def.name) {
            c.err(
                "bad_value",
                None,
                format!("{at}: a workflow cannot start itself when one of its runs fails"),
            );
        } else if !c.cat.workflows.contains(&Catalog::key(w)) {
            c.err(
                "unknown_workflow",
                None,
                format!("{at}: there is no workflow named {w:?}"),
            );
        }
    }
}

fn check_pipeline(c: &mut Checker, node: &str, pipeline: &str, stage: Option<&str>) {
    if !c.require(node, "the pipeline", pipeline) {
        return;
    }
    let Some(stages) = c.cat.pipelines.get(&Catalog::key(pipeline)).cloned() else {
        c.err(
            "unknown_pipeline",
            Some(node),
            format!("there is no pipeline named {pipeline:?}"),
        );
        return;
    };
    if let Some(s) = stage
        && c.require(node, "the stage", s)
        && !stages.contains(&Catalog::key(s))
    {
        c.err(
            "unknown_stage",
            Some(node),
            format!("pipeline {pipeline:?} has no stage {s:?}"),
        );
    }
}

fn check_course(c: &mut Checker, node: &str, course: &str) {
    if c.require(node, "the course", course) && !c.cat.courses.contains(&Catalog::key(course)) {
        c.err(
            "unknown_course",
            Some(node),
            format!("there is no course named {course:?}"),
        );
    }
}

fn check_condition(c: &mut Checker, node: &str, cond: &Condition) {
    let mut found: Vec<&Condition> = vec![];
    cond.walk(&mut |x| found.push(x));
    for x in found {
        match x {
            Condition::Field { field, op, value } => {
                check_field(c, node, field, None);
                match value {
                    None if op.needs_value() => c.err(
                        "missing_setting",
                        Some(node),
                        format!("the condition on field {field:?} has no value to compare with"),
                    ),
                    Some(v) => check_compared_value(c, node, field, *op, v),
                    None => {}
                }
            }
            Condition::HasTag(t) | Condition::LacksTag(t) => check_tag(c, node, t, true),
            Condition::Payload { path, op, value } => {
                c.require(node, "the payload key", path);
                if op.needs_value() && value.is_none() {
                    c.err(
                        "missing_setting",
                        Some(node),
                        format!("the condition on {path:?} has no value to compare with"),
                    );
                }
            }
            Condition::Engagement { email, within, .. } => {
                if within.is_zero() {
                    c.err(
                        "missing_setting",
                        Some(node),
                        "the engagement window is zero".into(),
                    );
                }
                check_engaged_email(c, node, email.as_deref());
            }
            Condition::HadEvent {
                event_type,
                filters,
                ..
            } => {
                c.require(node, "the event type", event_type);
                check_filters(c, Some(node), filters);
            }
            Condition::RandomSplit { percent } => {
                if *percent > 100 {
                    c.err(
                        "bad_value",
                        Some(node),
                        format!("a split of {percent} % is more than 100 %"),
                    );
                }
            }
            Condition::TimeWindow { from, to, .. } => {
                if from == to {
                    c.err(
                        "bad_value",
                        Some(node),
                        "the time window opens and closes at the same time".into(),
                    );
                }
            }
            Condition::All(_) | Condition::Any(_) | Condition::Not(_) => {}
        }
    }
}

/// Engagement triggers and conditions may name the email they watch. It is
/// usually one of this workflow's templates; another workflow's is allowed,
/// hence a warning.
fn check_engaged_email(c: &mut Checker, node: &str, email: Option<&str>) {
    if let Some(e) = email
        && c.def.template(e).is_none()
    {
        c.warn(
            "unknown_template",
            Some(node),
            format!("this workflow has no email template named {e:?}"),
        );
    }
}

/// A comparison with a custom field must compare like with like: "amount >
/// abc" or "signup_date before 12" can never hold.
fn check_compared_value(
    c: &mut Checker,
    node: &str,
    field: &str,
    op: Op,
    value: &serde_json::Value,
) {
    let Some(t) = c.cat.field(field) else {
        return;
    };
    let op_name = serde_json::to_value(op)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let problem = match op {
        Op::Before | Op::After if t != FieldType::Date => Some(format!(
            "{op_name:?} compares dates, but field {field:?} is a {t} field"
        )),
        Op::Gt | Op::Gte | Op::Lt | Op::Lte
            if !matches!(t, FieldType::Number | FieldType::Date) =>
        {
            Some(format!(
                "{op_name:?} compares numbers or dates, but field {field:?} is a {t} field"
            ))
        }
        Op::Contains | Op::NotContains | Op::StartsWith | Op::IsSet | Op::IsNotSet => None,
        _ => t
            .check_json(value)
            .err()
            .map(|why| format!("field {field:?} is a {t} field: {why}")),
    };
    if let Some(p) = problem {
        c.err("bad_value", Some(node), p);
    }
}

/// Header names that carry credentials by convention.
fn looks_secret(header: &str) -> bool {
    let h = header.to_ascii_lowercase();
    matches!(
        h.as_str(),
        "authorization" | "proxy-authorization" | "cookie"
    ) || [
        "api-key", "apikey", "api_key", "token", "secret", "password", "auth",
    ]
    .iter()
    .any(|w| h.contains(w))
}

/// Query parameters that carry credentials by convention.
const SECRET_PARAMS: [&str; 10] = [
    "api_key",
    "apikey",
    "api-key",
    "key",
    "token",
    "access_token",
    "auth",
    "secret",
    "password",
    "client_secret",
];

/// The literal text of a template: what is left without its `{{ … }}` and
/// `{% … %}` parts (merge values come from contacts and events, not from
/// the file).
fn literal_part(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(i) = rest.find(['{']) {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let close = if after.starts_with("{{") {
            "}}"
        } else if after.starts_with("{%") {
            "%}"
        } else if after.starts_with("{#") {
            "#}"
        } else {
            out.push('{');
            rest = &after[1..];
            continue;
        };
        match after.find(close) {
            Some(j) => rest = &after[j + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// Whether a credential header's text holds a credential written into
/// the file: anything but an auth scheme (`Bearer`) and merge fields.
fn literal_credential(value: &str) -> bool {
    let lit = literal_part(value);
    let lit = lit.trim();
    let rest = match lit.split_once(char::is_whitespace) {
        Some((scheme, rest))
            if ["bearer", "basic", "token", "digest"]
                .contains(&scheme.to_ascii_lowercase().as_str()) =>
        {
            rest.trim()
        }
        _ if ["bearer", "basic", "token", "digest"]
            .contains(&lit.to_ascii_lowercase().as_str()) =>
        {
            ""
        }
        _ => lit,
    };
    !rest.is_empty()
}

/// `https://user:password@host/...`
fn url_has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// The credential query parameters a URL template writes literally
/// (`?api_key=abc`); a parameter whose value is a merge field is not one.
fn url_secret_params(url: &str) -> Vec<String> {
    let Some((_, query)) = url.split_once('?') else {
        return vec![];
    };
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let name = k.trim().to_ascii_lowercase();
            (SECRET_PARAMS.contains(&name.as_str()) && !literal_part(v).trim().is_empty())
                .then(|| k.trim().to_string())
        })
        .collect()
}

/// Credentials written into a webhook node (a header such as
/// `Authorization` with a literal value, a password in the URL, a query
/// parameter such as `api_key=`): errors, because workflow files are
/// exported, shared and kept in every version. Activation and export both
/// refuse them; a header can name a webhook account's secret instead.
pub fn credential_issues(n: &Node) -> Vec<Issue> {
    let NodeSpec::Webhook(w) = &n.spec else {
        return vec![];
    };
    let issue = |message: String| Issue {
        severity: Severity::Error,
        code: "secret_in_workflow".into(),
        node: Some(n.id.clone()),
        message,
    };
    let mut out = vec![];
    for (k, v) in &w.headers {
        if let HeaderValue::Text(t) = v
            && looks_secret(k)
            && literal_credential(t)
        {
            out.push(issue(format!(
                "header {k:?} holds a credential written into the workflow, which travels in exports, backups and every version; store it as a webhook account's secret and set the header to {{\"secret\": \"<account>\"}}"
            )));
        }
    }
    if url_has_password(&w.url) {
        out.push(issue(
            "the URL carries a password, which travels in exports, backups and every version; put the credential in a header that names a webhook account's secret".into(),
        ));
    }
    for p in url_secret_params(&w.url) {
        out.push(issue(format!(
            "the URL's {p:?} parameter holds a credential written into the workflow; put it in a header that names a webhook account's secret"
        )));
    }
    out
}

/// Every credential issue of a workflow (see [`credential_issues`]): what
/// export refuses.
pub fn workflow_credential_issues(def: &WorkflowDef) -> Vec<Issue> {
    def.nodes.iter().flat_map(credential_issues).collect()
}

/// The event types only an account that tracks engagement reports.
pub const ENGAGEMENT_EVENTS: [&str; 2] = [
    crate::event::types::EMAIL_OPENED,
    crate::event::types::LINK_CLICKED,
];

/// The account kinds that report email opens and clicks.
pub const ENGAGEMENT_SOURCES: [AccountKind; 2] = [AccountKind::Mailgun, AccountKind::Postmark];

fn is_engagement_event(t: &str) -> bool {
    ENGAGEMENT_EVENTS.contains(&t.trim())
}

fn condition_reads_engagement(cond: &Condition) -> bool {
    let mut yes = false;
    cond.walk(&mut |x| match x {
        Condition::Engagement { .. } => yes = true,
        Condition::HadEvent { event_type, .. } if is_engagement_event(event_type) => yes = true,
        _ => {}
    });
    yes
}

/// What in a workflow reads email opens or clicks: nodes by id, goals by
/// name. Without an account that reports them, such a workflow runs blind:
/// no contact ever opens anything, so "no open in 60 days" holds for all.
pub fn engagement_readers(def: &WorkflowDef) -> Vec<EngagementReader> {
    let mut out = vec![];
    for n in &def.nodes {
        let reads = match &n.spec {
            NodeSpec::TriggerEmailOpened(_) | NodeSpec::TriggerLinkClicked(_) => true,
            NodeSpec::TriggerEvent(t) => is_engagement_event(&t.event_type),
            NodeSpec::WaitForEvent(w) => is_engagement_event(&w.event_type),
            NodeSpec::TriggerDate(t) => t.audience.as_ref().is_some_and(condition_reads_engagement),
            NodeSpec::TriggerSchedule(t) => {
                t.audience.as_ref().is_some_and(condition_reads_engagement)
            }
            NodeSpec::Condition(k) => condition_reads_engagement(&k.condition),
            NodeSpec::Branch(b) => b
                .paths
                .iter()
                .any(|p| condition_reads_engagement(&p.condition)),
            _ => false,
        };
        if reads {
            out.push(EngagementReader::Node(n.id.clone()));
        }
    }
    for g in &def.goals {
        if is_engagement_event(&g.event_type) {
            out.push(EngagementReader::Goal(g.name.clone()));
        }
    }
    out
}

/// A part of a workflow that reads email engagement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngagementReader {
    Node(String),
    Goal(String),
}

fn check_engagement_source(c: &mut Checker) {
    if c.cat
        .accounts
        .values()
        .any(|k| ENGAGEMENT_SOURCES.contains(k))
    {
        return;
    }
    const WHY: &str = "but no connected account reports them (connect a Mailgun or Postmark account); SMTP alone never learns of an open or a click, so every contact would look unengaged";
    for r in engagement_readers(c.def) {
        match r {
            EngagementReader::Node(id) => c.err(
                "no_engagement_source",
                Some(&id),
                format!("node {id:?} reads email opens or clicks, {WHY}"),
            ),
            EngagementReader::Goal(g) => c.err(
                "no_engagement_source",
                None,
                format!("goal {g:?} waits for an email open or click, {WHY}"),
            ),
        }
    }
}

/// The largest weight of a split variant. Weights are proportions (`1`/`3`,
/// `50`/`50`, `90`/`10`); anything bigger is a typo, and the bound keeps the
/// total far from overflowing.
pub const MAX_SPLIT_WEIGHT: u32 = 10_000;

fn check_split(c: &mut Checker, id: &str, s: &SplitNode) {
    if s.variants.len() < 2 {
        c.err(
            "missing_setting",
            Some(id),
            "a split needs at least two variants".into(),
        );
    }
    let mut names = HashSet::new();
    for v in &s.variants {
        if v.name.trim().is_empty() {
            c.err(
                "missing_setting",
                Some(id),
                "a split variant has no name".into(),
            );
        } else if !names.insert(v.name.as_str()) {
            c.err(
                "bad_value",
                Some(id),
                format!("split variant name {:?} is used twice", v.name),
            );
        }
        if v.weight == 0 || v.weight > MAX_SPLIT_WEIGHT {
            c.err(
                "out_of_range",
                Some(id),
                format!(
                    "variant {:?} has weight {}; a weight is a whole number from 1 to {MAX_SPLIT_WEIGHT}",
                    v.name, v.weight
                ),
            );
        }
    }
    if let Some(w) = &s.winner
        && !s.variants.iter().any(|v| &v.name == w)
    {
        c.err(
            "bad_value",
            Some(id),
            format!("the winner {w:?} is not one of the split's variants"),
        );
    }
}

/// The longest span a workflow may name, in days: 10 years. A wait, a
/// timeout, a lateness limit, a retry backoff, an engagement window or a
/// date offset beyond it is a typo (`3650d` for `365d`), and refusing it
/// here keeps every `instant + span` the engine computes far from chrono's
/// limits.
pub const MAX_SPAN_DAYS: i64 = 3_653;

/// [`MAX_SPAN_DAYS`] as a duration.
pub fn max_span() -> crate::Duration {
    crate::Duration::from_days(MAX_SPAN_DAYS)
}

fn check_span(c: &mut Checker, node: &str, what: &str, d: crate::Duration) {
    if d > max_span() {
        c.err(
            "out_of_range",
            Some(node),
            format!("{what} is {d}; at most {MAX_SPAN_DAYS}d (10 years) is allowed"),
        );
    }
}

fn check_offset_days(c: &mut Checker, node: &str, days: i32) {
    if i64::from(days).abs() > MAX_SPAN_DAYS {
        c.err(
            "out_of_range",
            Some(node),
            format!(
                "the day offset is {days}; at most {MAX_SPAN_DAYS} days (10 years) before or after is allowed"
            ),
        );
    }
}

/// Every span and day offset a node names, against [`MAX_SPAN_DAYS`].
fn check_spans(c: &mut Checker, n: &Node) {
    let id = n.id.as_str();
    match &n.spec {
        NodeSpec::WaitDuration(w) => check_span(c, id, "the wait", w.duration),
        NodeSpec::WaitForEvent(w) => check_span(c, id, "the timeout", w.timeout),
        NodeSpec::WaitUntilDate(w) => check_offset_days(c, id, w.offset_days),
        NodeSpec::TriggerDate(t) => check_offset_days(c, id, t.offset_days),
        NodeSpec::Webhook(w) => {
            if let Some(t) = w.timeout {
                check_span(c, id, "the timeout", t);
            }
        }
        _ => {}
    }
    if let Some(limit) = n.spec.late_policy().and_then(|p| p.skip_if_late_by) {
        check_span(c, id, "\"skip when later than\"", limit);
    }
    if let Some(p) = n.spec.error_policy() {
        check_span(c, id, "the retry backoff", p.backoff);
    }
    let mut conditions: Vec<&Condition> = vec![];
    match &n.spec {
        NodeSpec::Condition(k) => conditions.push(&k.condition),
        NodeSpec::Branch(b) => conditions.extend(b.paths.iter().map(|p| &p.condition)),
        NodeSpec::TriggerDate(t) => conditions.extend(t.audience.as_ref()),
        NodeSpec::TriggerSchedule(t) => conditions.extend(t.audience.as_ref()),
        _ => {}
    }
    let mut windows = vec![];
    for cond in conditions {
        cond.walk(&mut |x| match x {
            Condition::Engagement { within, .. } => windows.push(*within),
            Condition::HadEvent {
                within: Some(w), ..
            } => windows.push(*w),
            _ => {}
        });
    }
    for w in windows {
        check_span(c, id, "the condition's \"within\" window", w);
    }
}

fn check_node(c: &mut Checker, n: &Node) {
    let id = n.id.as_str();
    check_spans(c, n);
    match &n.spec {
        NodeSpec::TriggerContactCreated(t)
        | NodeSpec::TriggerPurchaseCompleted(t)
        | NodeSpec::TriggerRefundIssued(t)
        | NodeSpec::TriggerWorkflowFailed(t) => check_filters(c, Some(id), &t.filters),
        NodeSpec::TriggerFormSubmitted(t) => check_filters(c, Some(id), &t.filters),
        NodeSpec::TriggerTagAdded(t) | NodeSpec::TriggerTagRemoved(t) => {
            check_tag(c, id, &t.tag, false);
            check_filters(c, Some(id), &t.filters);
        }
        NodeSpec::TriggerLinkClicked(t) => {
            check_engaged_email(c, id, t.email.as_deref());
            check_filters(c, Some(id), &t.filters);
        }
        NodeSpec::TriggerEmailOpened(t) | NodeSpec::TriggerEmailReplied(t) => {
            check_engaged_email(c, id, t.email.as_deref());
            check_filters(c, Some(id), &t.filters);
        }
        NodeSpec::TriggerCourseProgress(t) => {
            check_course(c, id, &t.course);
            if t.at_least_percent == 0 || t.at_least_percent > 100 {
                c.err(
                    "bad_value",
                    Some(id),
                    format!(
                        "progress must be between 1 and 100 %, not {}",
                        t.at_least_percent
                    ),
                );
            }
            check_filters(c, Some(id), &t.filters);
        }
        NodeSpec::TriggerCourseCompleted(t) => {
            check_course(c, id, &t.course);
            check_filters(c, Some(id), &t.filters);
        }
        NodeSpec::TriggerDealStageChanged(t) => {
            check_pipeline(c, id, &t.pipeline, t.stage.as_deref());
            check_filters(c, Some(id), &t.filters);
        }
        NodeSpec::TriggerDate(t) => {
            match (&t.field, &t.date) {
                (Some(f), None) => check_field(c, id, f, Some(FieldType::Date)),
                (None, Some(_)) => {
                    if t.yearly || t.offset_days != 0 {
                        c.warn(
                            "bad_value",
                            Some(id),
                            "a fixed date ignores the day offset and yearly settings".into(),
                        );
                    }
                }
                (None, None) => c.err(
                    "missing_setting",
                    Some(id),
                    "choose a contact date field or a fixed date".into(),
                ),
                (Some(_), Some(_)) => c.err(
                    "bad_value",
                    Some(id),
                    "set either a contact date field or a fixed date, not both".into(),
                ),
            }
            if let Some(a) = &t.audience {
                check_condition(c, id, a);
            }
        }
        NodeSpec::TriggerSchedule(t) => {
            if t.every == Every::Week && t.weekdays.is_empty() {
                c.err(
                    "missing_setting",
                    Some(id),
                    "a weekly schedule needs at least one weekday".into(),
                );
            }
            if let Some(a) = &t.audience {
                check_condition(c, id, a);
            }
        }
        NodeSpec::TriggerManual(_) => {}
        NodeSpec::TriggerEvent(t) => {
            c.require(id, "the event type", &t.event_type);
            check_filters(c, Some(id), &t.filters);
        }
        NodeSpec::Condition(k) => check_condition(c, id, &k.condition),
        NodeSpec::Branch(b) => {
            if b.paths.is_empty() {
                c.err(
                    "missing_setting",
                    Some(id),
                    "the branch has no paths".into(),
                );
            }
            let mut names = HashSet::new();
            for p in &b.paths {
                if p.name.trim().is_empty() {
                    c.err(
                        "missing_setting",
                        Some(id),
                        "a branch path has no name".into(),
                    );
                } else if p.name == exits::OTHERWISE || !names.insert(p.name.as_str()) {
                    c.err(
                        "bad_value",
                        Some(id),
                        format!("branch path name {:?} is used twice", p.name),
                    );
                }
                check_condition(c, id, &p.condition);
            }
        }
        NodeSpec::Split(s) => check_split(c, id, s),
        NodeSpec::WaitDuration(w) => {
            if w.duration.is_zero() {
                c.err(
                    "missing_setting",
                    Some(id),
                    "the wait has no duration".into(),
                );
            }
        }
        NodeSpec::WaitUntilTime(_) => {}
        NodeSpec::WaitUntilDate(w) => check_field(c, id, &w.field, Some(FieldType::Date)),
        NodeSpec::WaitForEvent(w) => {
            c.require(id, "the event type", &w.event_type);
            if w.timeout.is_zero() {
                c.err(
                    "missing_setting",
                    Some(id),
                    "the wait has no timeout".into(),
                );
            }
            check_filters(c, Some(id), &w.filters);
            for k in &w.correlate {
                c.require(id, "the correlation key", k);
            }
        }
        NodeSpec::End(_) => {}
        NodeSpec::SendEmail(s) => {
            if c.require(id, "the email template", &s.template)
                && c.def.template(&s.template).is_none()
            {
                c.err(
                    "unknown_template",
                    Some(id),
                    format!("this workflow has no email template named {:?}", s.template),
                );
            }
            check_account(c, id, &s.account, &[AccountKind::Smtp]);
        }
        NodeSpec::AddTag(t) => check_tag(c, id, &t.tag, false),
        NodeSpec::RemoveTag(t) => check_tag(c, id, &t.tag, true),
        NodeSpec::SetField(s) => {
            check_field(c, id, &s.field, None);
            if BUILTIN_FIELDS.contains(&s.field.as_str()) && s.field != "name" {
                c.err(
                    "bad_value",
                    Some(id),
                    format!("{:?} cannot be set by a workflow", s.field),
                );
            }
            check_template(c, Some(id), "the value", &s.value);
            if let Some(t) = c.cat.field(&s.field)
                && !s.value.contains("{{")
                && !s.value.contains("{%")
                && let Err(why) = t.check_json(&serde_json::Value::String(s.value.clone()))
            {
                c.err(
                    "bad_value",
                    Some(id),
                    format!("field {:?} is a {t} field: {why}", s.field),
                );
            }
        }
        NodeSpec::CreateDeal(d) | NodeSpec::MoveDeal(d) => {
            check_pipeline(c, id, &d.pipeline, Some(&d.stage));
            if let Some(t) = &d.title {
                check_template(c, Some(id), "the deal title", t);
            }
            if let Some(v) = &d.value {
                check_template(c, Some(id), "the deal value", v);
            }
        }
        NodeSpec::EnrollCourse(k) | NodeSpec::UnenrollCourse(k) => check_course(c, id, &k.course),
        NodeSpec::StartWorkflow(w) | NodeSpec::RemoveFromWorkflow(w) => {
            if c.require(id, "the workflow", &w.workflow)
                && !c.cat.workflows.contains(&Catalog::key(&w.workflow))
            {
                c.err(
                    "unknown_workflow",
                    Some(id),
                    format!("there is no workflow named {:?}", w.workflow),
                );
            }
        }
        NodeSpec::Webhook(w) => {
            if c.require(id, "the URL", &w.url) {
                check_template(c, Some(id), "the URL", &w.url);
                let head = w.url.trim_start();
                if !(head.starts_with("https://")
                    || head.starts_with("http://")
                    || head.starts_with("{{"))
                {
                    c.err(
                        "bad_value",
                        Some(id),
                        format!("the URL {:?} must start with https:// or http://", w.url),
                    );
                }
            }
            for (k, v) in &w.headers {
                match v {
                    HeaderValue::Text(t) => {
                        check_template(c, Some(id), &format!("header {k:?}"), t)
                    }
                    HeaderValue::Secret(r) => {
                        check_account(c, id, &r.secret, &[AccountKind::Webhook]);
                        if r.prefix.chars().any(char::is_control) {
                            c.err(
                                "bad_value",
                                Some(id),
                                format!("the prefix of header {k:?} contains a control character"),
                            );
                        }
                    }
                }
            }
            for i in credential_issues(n) {
                c.issues.push(i);
            }
            if w.timeout.is_some_and(|t| t.is_zero()) {
                c.err("bad_value", Some(id), "the webhook timeout is zero".into());
            }
            if let Some(b) = &w.body {
                check_template(c, Some(id), "the body", b);
            }
            if let Some(a) = &w.account {
                check_account(c, id, a, &[AccountKind::Webhook]);
            }
        }
        NodeSpec::Notify(nf) => {
            c.require(id, "the message", &nf.message);
            check_template(c, Some(id), "the message", &nf.message);
            match &nf.channel {
                NotifyChannel::Slack { account } => {
                    check_account(c, id, account, &[AccountKind::Slack])
                }
                NotifyChannel::EmailOwner { account } => {
                    check_account(c, id, account, &[AccountKind::Smtp])
                }
                NotifyChannel::Desktop => {}
            }
        }
        NodeSpec::Unsubscribe(_) => {}
    }
    if let Some(p) = n.spec.error_policy()
        && p.max_attempts == 0
    {
        c.err(
            "bad_value",
            Some(id),
            "max_attempts must be at least 1".into(),
        );
    }
}
