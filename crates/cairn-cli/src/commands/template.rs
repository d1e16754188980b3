//! `cairn template`: the built-in templates — list them, print one's
//! workflow file, or import one into the database.
//!
//! `use` is `workflow import` of the template's text: the same parse, the
//! same all-or-nothing import, arriving paused, a clashing name becoming a
//! copy. Only `--name` differs, and it renames the parsed workflow before
//! the import, so the file that is stored is still canonical.

use std::io::Write;
use std::path::PathBuf;

use cairn_model::builtin::{self, AccountUse, Builtin, TemplateInfo};
use cairn_model::file;
use cairn_model::validate::Severity;
use cairn_store::workflows::ImportOutcome;
use clap::Subcommand;
use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// List the built-in templates.
    List,
    /// Print a template's workflow file (stdout, or -o FILE), e.g. to edit it
    /// or to try it with `cairn simulate`.
    Show {
        slug: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Import a template; it arrives paused. A clashing name imports as a copy.
    Use {
        slug: String,
        /// The workflow's name (default: the template's).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
}

pub fn run(ctx: &mut Ctx, cmd: TemplateCommand) -> Result<(), CliError> {
    match cmd {
        TemplateCommand::List => {
            let templates = builtin::list().map_err(broken)?;
            ctx.print(&TemplateList { templates })
        }
        TemplateCommand::Show { slug, output } => {
            let t = find(&slug)?;
            match output {
                None => {
                    // The file itself is JSON, so --json prints it as is.
                    let mut out = std::io::stdout().lock();
                    out.write_all(t.text.as_bytes())
                        .and_then(|()| out.flush())
                        .or_else(|e| {
                            if e.kind() == std::io::ErrorKind::BrokenPipe {
                                Ok(())
                            } else {
                                Err(e)
                            }
                        })
                        .map_err(|e| CliError::Output(e.to_string()))
                }
                Some(path) => {
                    std::fs::write(&path, t.text).map_err(|e| CliError::io("write", &path, e))?;
                    ctx.print(&Written {
                        template: t.slug.to_string(),
                        file: path.display().to_string(),
                        bytes: t.text.len(),
                    })
                }
            }
        }
        TemplateCommand::Use { slug, name } => {
            let t = find(&slug)?;
            let text = match name {
                None => t.text.to_string(),
                Some(n) => {
                    if n.trim().is_empty() {
                        return Err(CliError::Usage("--name must not be empty".into()));
                    }
                    let mut def = t.def().map_err(broken)?;
                    def.name = n.trim().to_string();
                    file::to_canonical_json(&def)
                }
            };
            let now = ctx.now();
            let outcome = ctx.store()?.import_workflow(&text, false, now)?;
            let accounts = builtin::accounts_used(&t.def().map_err(broken)?);
            ctx.print(&Used {
                template: t.slug.to_string(),
                outcome,
                accounts,
            })
        }
    }
}

fn find(slug: &str) -> Result<&'static Builtin, CliError> {
    builtin::get(slug).ok_or_else(|| CliError::Rejected {
        code: "not_found",
        message: format!(
            "there is no built-in template {slug:?}; the templates are: {}",
            builtin::TEMPLATES
                .iter()
                .map(|t| t.slug)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// A built-in template that does not read is a bug in this build, not the
/// user's mistake; the tests keep it from shipping.
fn broken(e: file::FileError) -> CliError {
    CliError::Rejected {
        code: "broken_template",
        message: format!("a built-in template does not read: {e}"),
    }
}

/// `template list` result.
#[derive(Debug, Serialize)]
pub struct TemplateList {
    pub templates: Vec<TemplateInfo>,
}

impl Render for TemplateList {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for (i, t) in self.templates.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            writeln!(out, "{}  {}", t.slug, t.name)?;
            writeln!(out, "  starts on: {}", t.triggers.join("; "))?;
            writeln!(
                out,
                "  {} nodes, {} email{}{}",
                t.nodes,
                t.emails,
                if t.emails == 1 { "" } else { "s" },
                if t.goals.is_empty() {
                    String::new()
                } else {
                    format!(", goals: {}", t.goals.join(", "))
                }
            )?;
            writeln!(out, "  needs accounts: {}", accounts_line(&t.accounts))?;
        }
        writeln!(
            out,
            "\nimport one with `cairn template use SLUG`; see its file with `cairn template show SLUG`"
        )
    }
}

fn accounts_line(a: &[AccountUse]) -> String {
    a.iter()
        .map(|a| format!("{:?} ({})", a.name, a.kind.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `template show -o FILE` result.
#[derive(Debug, Serialize)]
pub struct Written {
    pub template: String,
    pub file: String,
    pub bytes: usize,
}

impl Render for Written {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "wrote template {} to {} ({} bytes)",
            self.template, self.file, self.bytes
        )
    }
}

/// `template use` result: the import's outcome plus the accounts the
/// workflow sends through (they hold secrets, so no import creates them).
#[derive(Debug, Serialize)]
pub struct Used {
    pub template: String,
    #[serde(flatten)]
    pub outcome: ImportOutcome,
    pub accounts: Vec<AccountUse>,
}

impl Render for Used {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let o = &self.outcome;
        match &o.renamed_from {
            Some(from) => writeln!(
                out,
                "imported template {} as {:?} (a workflow named {from:?} already exists), paused",
                self.template, o.name
            )?,
            None => writeln!(
                out,
                "imported template {} as {:?}, paused",
                self.template, o.name
            )?,
        }
        let missing = o.report.issues.iter().any(|i| i.code == "unknown_account");
        for i in &o.report.issues {
            if i.code == "unknown_account" {
                continue;
            }
            let sev = match i.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            match &i.node {
                Some(n) => writeln!(out, "{sev}: node {n}: {} [{}]", i.message, i.code)?,
                None => writeln!(out, "{sev}: {} [{}]", i.message, i.code)?,
            }
        }
        if missing {
            writeln!(
                out,
                "before activating, add the accounts it sends through: {}",
                accounts_line(&self.accounts)
            )?;
            writeln!(
                out,
                "  (cairn account add smtp|slack NAME …; then cairn workflow activate {:?})",
                o.name
            )?;
        } else if !o.report.has_errors() {
            writeln!(out, "ready: cairn workflow activate {:?}", o.name)?;
        }
        Ok(())
    }
}
