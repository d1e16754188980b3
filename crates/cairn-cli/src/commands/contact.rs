//! `cairn contact`: add, import, show, list, tag and untag contacts; erase
//! (`delete`) and export one contact's data.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use cairn_model::contact::{Contact, FieldType};
use cairn_model::event::Event;
use cairn_store::consent::{Consent, ConsentEntry};
use cairn_store::contacts::{ContactInput, ContactQuery};
use cairn_store::csv_import::{CsvImportOptions, CsvImportReport};
use cairn_store::privacy::{ContactExport, ErasureReport};
use clap::Subcommand;
use serde::Serialize;

use crate::output::{Render, cell, when};
use crate::{CliError, Ctx};

/// How many of a contact's latest events `contact show` lists.
const SHOWN_EVENTS: usize = 50;

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Add a new contact (an existing email is an error).
    Add {
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// A custom field value; the field must be declared (`cairn field add`).
        #[arg(long = "field", value_name = "KEY=VALUE")]
        fields: Vec<String>,
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// An IANA time zone such as Europe/Berlin.
        #[arg(long)]
        timezone: Option<String>,
        /// Add a contact that was erased earlier as subscribed (without it,
        /// an erased contact comes back unsubscribed).
        #[arg(long)]
        resubscribe_erased: bool,
    },
    /// Import contacts from a CSV file (see docs/cli.md for the columns).
    Import {
        file: PathBuf,
        /// Import the valid rows even when some rows are invalid.
        #[arg(long)]
        skip_invalid: bool,
        /// Contacts erased earlier come back with the file's status
        /// (without it, they come back unsubscribed).
        #[arg(long)]
        resubscribe_erased: bool,
        /// Read column COLUMN as FIELD: a built-in column (email, name, …),
        /// an existing field, or FIELD:TYPE to create one.
        #[arg(long = "map", value_name = "COLUMN=FIELD[:TYPE]")]
        map: Vec<String>,
        /// Leave column COL out.
        #[arg(long = "skip-column", value_name = "COL")]
        skip_columns: Vec<String>,
        /// Create every other unknown column as a field of this type.
        #[arg(long = "new-fields", value_name = "TYPE")]
        new_fields: Option<String>,
    },
    /// Show one contact with its fields, tags and latest events.
    Show { email: String },
    /// List contacts, optionally by tag or matching a text.
    List {
        #[arg(long)]
        tag: Option<String>,
        /// Matches email or name, case-insensitively.
        #[arg(long)]
        search: Option<String>,
    },
    /// Add a tag to a contact.
    Tag { email: String, tag: String },
    /// Remove a tag from a contact.
    Untag { email: String, tag: String },
    /// Erase a contact and everything held about them (without --yes, only
    /// says what would go).
    Delete {
        email: String,
        /// Erase without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Write everything held about a contact as one JSON document.
    Export {
        email: String,
        /// Write to FILE (created readable by you only) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn run(ctx: &mut Ctx, cmd: ContactCommand) -> Result<(), CliError> {
    match cmd {
        ContactCommand::Add {
            email,
            name,
            fields,
            tags,
            timezone,
            resubscribe_erased,
        } => {
            let input = ContactInput {
                email,
                name,
                timezone,
                fields: parse_field_args(&fields)?,
                tags,
                ..ContactInput::default()
            };
            let now = ctx.now();
            let store = ctx.store()?;
            let erased_at = store.erased_at(&input.email)?;
            let how = Consent {
                resubscribe_erased,
                ..Consent::manual()
            };
            let contact = store.add_contact_as(&input, &how, now)?;
            ctx.print(&ContactAdded {
                contact,
                erased_at: erased_at.map(|t| (t, resubscribe_erased)),
            })
        }
        ContactCommand::Import {
            file,
            skip_invalid,
            resubscribe_erased,
            map,
            skip_columns,
            new_fields,
        } => {
            let mut opts = CsvImportOptions {
                skip_invalid,
                file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
                resubscribe_erased,
                skip_columns,
                ..Default::default()
            };
            for m in &map {
                let (col, target) = m
                    .split_once('=')
                    .filter(|(c, t)| !c.trim().is_empty() && !t.trim().is_empty())
                    .ok_or_else(|| {
                        CliError::Usage(format!("--map expects COLUMN=FIELD[:TYPE], got {m:?}"))
                    })?;
                if opts
                    .map
                    .insert(col.trim().to_string(), target.trim().to_string())
                    .is_some()
                {
                    return Err(CliError::Usage(format!(
                        "--map {} is given twice",
                        col.trim()
                    )));
                }
            }
            if let Some(t) = new_fields {
                opts.new_fields = Some(FieldType::parse(&t).ok_or_else(|| {
                    CliError::Usage(format!(
                        "--new-fields {t:?}: expected text, number, date or boolean"
                    ))
                })?);
            }
            import(ctx, file, opts)
        }
        ContactCommand::Delete { email, yes } => {
            if !yes {
                let preview = ctx.store()?.erasure_preview(&email)?;
                ctx.print(&ErasureView {
                    email: email.trim().to_string(),
                    erased: false,
                    report: preview,
                })?;
                return Err(CliError::Rejected {
                    code: "confirmation_required",
                    message: format!(
                        "nothing was erased; run `cairn contact delete {} --yes` to erase this contact",
                        email.trim()
                    ),
                });
            }
            let now = ctx.now();
            let report = ctx.store()?.erase_contact(&email, now)?;
            ctx.print(&ErasureView {
                email: email.trim().to_string(),
                erased: true,
                report,
            })
        }
        ContactCommand::Export { email, output } => {
            let now = ctx.now();
            let export = ctx.store()?.export_contact(&email, now)?;
            match output {
                None => ctx.print(&ExportView {
                    export: &export,
                    file: None,
                }),
                Some(path) => {
                    let text = serde_json::to_string_pretty(&export)
                        .map_err(|e| CliError::Output(e.to_string()))?;
                    cairn_store::private_file::write_new(&path, text.as_bytes())
                        .map_err(|e| CliError::io("write", &path, e))?;
                    ctx.print(&ExportView {
                        export: &export,
                        file: Some(path.display().to_string()),
                    })
                }
            }
        }
        ContactCommand::Show { email } => {
            let store = ctx.store()?;
            let contact = store.require_contact(&email)?;
            let consent = store.consent_history(contact.id)?;
            let events = store.events_of_contact(contact.id, SHOWN_EVENTS)?;
            let runs = store
                .runs(&cairn_store::runs::RunQuery {
                    contact_id: Some(contact.id),
                    limit: Some(SHOWN_EVENTS as i64),
                    ..Default::default()
                })?
                .into_iter()
                .map(|run| {
                    let steps = Some(store.steps(run.id)?);
                    Ok(super::runs::RunWithSteps { run, steps })
                })
                .collect::<Result<Vec<_>, CliError>>()?;
            ctx.print(&ContactView {
                contact,
                consent,
                events,
                runs,
            })
        }
        ContactCommand::List { tag, search } => {
            let q = ContactQuery {
                tag,
                search,
                sort: Some(cairn_store::contacts::ContactSort::Email),
                ..ContactQuery::default()
            };
            let contacts = ctx.store()?.contacts(&q)?;
            ctx.print(&ContactList {
                count: contacts.len(),
                contacts,
            })
        }
        ContactCommand::Tag { email, tag } => {
            let now = ctx.now();
            let changed = ctx.store()?.tag_contact(&email, &tag, now)?;
            ctx.print(&TagChange {
                email: email.trim().to_string(),
                tag: tag.trim().to_string(),
                action: "tag",
                changed,
            })
        }
        ContactCommand::Untag { email, tag } => {
            let now = ctx.now();
            let changed = ctx.store()?.untag_contact(&email, &tag, now)?;
            ctx.print(&TagChange {
                email: email.trim().to_string(),
                tag: tag.trim().to_string(),
                action: "untag",
                changed,
            })
        }
    }
}

/// `--field KEY=VALUE` arguments, by key.
fn parse_field_args(args: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    let mut out = BTreeMap::new();
    for a in args {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("--field expects KEY=VALUE, got {a:?}")))?;
        let k = k.trim();
        if k.is_empty() {
            return Err(CliError::Usage(format!(
                "--field {a:?} has no field name before '='"
            )));
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(CliError::Usage(format!("--field {k} is given twice")));
        }
    }
    Ok(out)
}

fn import(ctx: &mut Ctx, file: PathBuf, opts: CsvImportOptions) -> Result<(), CliError> {
    let reader = std::fs::File::open(&file).map_err(|e| CliError::io("read", &file, e))?;
    let now = ctx.now();
    let resubscribe_erased = opts.resubscribe_erased;
    let report = ctx.store()?.import_contacts_csv(reader, &opts, now)?;
    ctx.print(&ImportView {
        file: file.display().to_string(),
        report: &report,
        resubscribe_erased,
    })?;
    if !report.imported {
        let n = report.invalid.len();
        return Err(CliError::Rejected {
            code: "invalid_rows",
            message: format!(
                "{n} invalid row{} in {}; nothing was imported (fix them, or pass --skip-invalid to import the valid rows)",
                if n == 1 { "" } else { "s" },
                file.display()
            ),
        });
    }
    Ok(())
}

/// `contact add` result: the contact as stored.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct ContactAdded {
    pub contact: Contact,
    /// When the email had been erased before, and whether it was added
    /// back subscribed on purpose.
    #[serde(skip)]
    pub erased_at: Option<(cairn_model::Timestamp, bool)>,
}

impl Render for ContactAdded {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "added contact {} (#{})",
            self.contact.email, self.contact.id
        )?;
        match self.erased_at {
            Some((at, false)) => writeln!(
                out,
                "note: this contact was erased on {}; they were added back unsubscribed (pass --resubscribe-erased to subscribe them on purpose)",
                when(at)
            ),
            Some((at, true)) => writeln!(
                out,
                "note: this contact was erased on {}; added back {} on purpose",
                when(at),
                self.contact.status
            ),
            None => Ok(()),
        }
    }
}

/// `contact delete` result: what was (or would be) erased.
#[derive(Debug, Serialize)]
pub struct ErasureView {
    pub email: String,
    pub erased: bool,
    #[serde(flatten)]
    pub report: ErasureReport,
}

impl Render for ErasureView {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let r = &self.report;
        let n = |k: u64, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        writeln!(
            out,
            "{} {}: the contact, {}, {}, {}, {}; the details of {} and {} (their rows stay counted in analytics); {}",
            if self.erased {
                "erased"
            } else {
                "erasing would remove"
            },
            self.email,
            n(r.fields, "field value", "field values"),
            n(r.tags, "tag", "tags"),
            n(r.deals, "deal", "deals"),
            n(r.courses, "course enrolment", "course enrolments"),
            n(r.events, "event", "events"),
            n(r.runs, "run", "runs"),
            n(r.messages, "message", "messages"),
        )?;
        if r.runs_ended > 0 || r.sends_cancelled > 0 {
            writeln!(
                out,
                "{} {} ended as exited (\"contact erased\"), {} cancelled",
                if self.erased { "" } else { "would be:" },
                n(r.runs_ended, "open run", "open runs"),
                n(r.sends_cancelled, "pending send", "pending sends"),
            )?;
        }
        if self.erased && !r.wal_cleared {
            writeln!(
                out,
                "note: another program is reading the database; the erased data leaves its WAL file at the next checkpoint (`cairn db maintain`)"
            )?;
        }
        Ok(())
    }
}

/// `contact export` result: the document on stdout, or where it went.
#[derive(Debug)]
pub struct ExportView<'a> {
    pub export: &'a ContactExport,
    pub file: Option<String>,
}

impl Serialize for ExportView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.file {
            None => self.export.serialize(s),
            Some(f) => {
                serde_json::json!({"file": f, "email": self.export.contact.email}).serialize(s)
            }
        }
    }
}

impl Render for ExportView<'_> {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match &self.file {
            None => writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(self.export).map_err(std::io::Error::other)?
            ),
            Some(f) => writeln!(
                out,
                "wrote everything held about {} to {f}",
                self.export.contact.email
            ),
        }
    }
}

/// `contact show` result.
#[derive(Debug, Serialize)]
pub struct ContactView {
    pub contact: Contact,
    /// How the subscription started and changed, oldest first.
    pub consent: Vec<ConsentEntry>,
    /// The latest events, newest first.
    pub events: Vec<Event>,
    /// The latest runs, newest first, each with its steps.
    pub runs: Vec<super::runs::RunWithSteps>,
}

impl Render for ContactView {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let c = &self.contact;
        writeln!(out, "{}", c.email)?;
        writeln!(out, "  name:     {}", c.name.as_deref().unwrap_or("-"))?;
        writeln!(out, "  status:   {}", c.status)?;
        writeln!(out, "  timezone: {}", c.timezone.as_deref().unwrap_or("-"))?;
        writeln!(
            out,
            "  tags:     {}",
            if c.tags.is_empty() {
                "-".to_string()
            } else {
                c.tags.join(", ")
            }
        )?;
        writeln!(out, "  created:  {}", when(c.created_at))?;
        if !self.consent.is_empty() {
            writeln!(out, "consent:")?;
            for e in &self.consent {
                writeln!(
                    out,
                    "  {}  {:<12} via {}{}",
                    when(e.at),
                    e.status.as_str(),
                    e.via.as_str(),
                    e.detail
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                )?;
            }
        }
        if !c.fields.is_empty() {
            writeln!(out, "fields:")?;
            for (k, v) in &c.fields {
                writeln!(out, "  {k}: {}", cell(v))?;
            }
        }
        writeln!(out, "events (latest first):")?;
        if self.events.is_empty() {
            writeln!(out, "  none")?;
        }
        for e in &self.events {
            writeln!(
                out,
                "  {}  {:<20} {}  {}",
                when(e.occurred_at),
                e.event_type,
                e.source,
                e.payload
            )?;
        }
        writeln!(out, "runs (latest first):")?;
        if self.runs.is_empty() {
            writeln!(out, "  none")?;
        }
        for r in &self.runs {
            let run = &r.run;
            let reason = run
                .exit_reason
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            writeln!(
                out,
                "  run {}  {}  {:?} v{}  {}{}",
                run.id,
                when(run.started_at),
                run.workflow,
                run.version,
                run.status.as_str(),
                reason
            )?;
            if let Some(steps) = &r.steps {
                super::runs::write_steps(out, steps, "      ")?;
            }
        }
        Ok(())
    }
}

/// `contact list` result.
#[derive(Debug, Serialize)]
pub struct ContactList {
    pub count: usize,
    pub contacts: Vec<Contact>,
}

impl Render for ContactList {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.contacts.is_empty() {
            return writeln!(out, "no contacts");
        }
        let we = self
            .contacts
            .iter()
            .map(|c| c.email.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        let wn = self
            .contacts
            .iter()
            .map(|c| c.name.as_deref().unwrap_or("").chars().count())
            .max()
            .unwrap_or(0)
            .max(4);
        writeln!(
            out,
            "{:<we$}  {:<wn$}  {:<12}  TAGS",
            "EMAIL", "NAME", "STATUS"
        )?;
        for c in &self.contacts {
            writeln!(
                out,
                "{:<we$}  {:<wn$}  {:<12}  {}",
                c.email,
                c.name.as_deref().unwrap_or(""),
                c.status.as_str(),
                c.tags.join(", ")
            )?;
        }
        writeln!(
            out,
            "{} contact{}",
            self.count,
            if self.count == 1 { "" } else { "s" }
        )
    }
}

/// `contact tag` / `contact untag` result.
#[derive(Debug, Serialize)]
pub struct TagChange {
    pub email: String,
    pub tag: String,
    #[serde(skip)]
    pub action: &'static str,
    /// False when the contact already had (or already lacked) the tag.
    pub changed: bool,
}

impl Render for TagChange {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match (self.action, self.changed) {
            ("tag", true) => writeln!(out, "tagged {} with {}", self.email, self.tag),
            ("tag", false) => writeln!(out, "{} already has tag {}", self.email, self.tag),
            (_, true) => writeln!(out, "removed tag {} from {}", self.tag, self.email),
            (_, false) => writeln!(out, "{} does not have tag {}", self.email, self.tag),
        }
    }
}

/// `contact import` result.
#[derive(Debug, Serialize)]
pub struct ImportView<'a> {
    pub file: String,
    #[serde(flatten)]
    pub report: &'a CsvImportReport,
    #[serde(skip)]
    pub resubscribe_erased: bool,
}

impl Render for ImportView<'_> {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let r = self.report;
        for bad in &r.invalid {
            writeln!(out, "{}:{}: {}", self.file, bad.line, bad.reason)?;
        }
        for f in &r.fields_created {
            writeln!(out, "created field {} ({})", f.name, f.field_type)?;
        }
        if r.imported {
            writeln!(
                out,
                "imported {} row{}: {} created, {} updated, {} unchanged{}",
                r.rows - r.skipped,
                if r.rows - r.skipped == 1 { "" } else { "s" },
                r.created,
                r.updated,
                r.unchanged,
                if r.skipped > 0 {
                    format!("; {} invalid skipped", r.skipped)
                } else {
                    String::new()
                }
            )?;
            if r.returned_erased > 0 {
                let n = r.returned_erased;
                if self.resubscribe_erased {
                    writeln!(
                        out,
                        "note: {n} of them had been erased earlier and came back as the file says, on purpose"
                    )?;
                } else {
                    writeln!(
                        out,
                        "note: {n} of them had been erased earlier and came back unsubscribed (pass --resubscribe-erased to subscribe them on purpose)"
                    )?;
                }
            }
            Ok(())
        } else {
            writeln!(
                out,
                "nothing imported: {} of {} rows are invalid",
                r.invalid.len(),
                r.rows
            )
        }
    }
}
