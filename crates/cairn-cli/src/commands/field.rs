//! `cairn field`: declare custom contact fields, so `--field KEY=VALUE` and
//! CSV columns know each value's type.

use std::io::Write;

use cairn_model::contact::{FieldDef, FieldType};
use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

#[derive(Debug, Subcommand)]
pub enum FieldCommand {
    /// Declare a field (doing nothing if it exists with the same type).
    Add {
        name: String,
        #[arg(long = "type", value_enum)]
        field_type: FieldTypeArg,
    },
    /// List declared fields.
    List,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FieldTypeArg {
    Text,
    Number,
    Date,
    Boolean,
}

impl From<FieldTypeArg> for FieldType {
    fn from(t: FieldTypeArg) -> Self {
        match t {
            FieldTypeArg::Text => FieldType::Text,
            FieldTypeArg::Number => FieldType::Number,
            FieldTypeArg::Date => FieldType::Date,
            FieldTypeArg::Boolean => FieldType::Boolean,
        }
    }
}

/// `field add` result.
#[derive(Debug, Serialize)]
pub struct FieldAdded {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// False when the field already existed with this type.
    pub created: bool,
}

impl Render for FieldAdded {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.created {
            writeln!(out, "field {} ({}) added", self.name, self.field_type)
        } else {
            writeln!(
                out,
                "field {} ({}) already exists",
                self.name, self.field_type
            )
        }
    }
}

/// `field list` result.
#[derive(Debug, Serialize)]
pub struct FieldList {
    pub fields: Vec<FieldDef>,
}

impl Render for FieldList {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.fields.is_empty() {
            return writeln!(
                out,
                "no custom fields; add one with `cairn field add NAME --type TYPE`"
            );
        }
        let w = self
            .fields
            .iter()
            .map(|f| f.name.chars().count())
            .max()
            .unwrap_or(0);
        for f in &self.fields {
            writeln!(out, "{:<w$}  {}", f.name, f.field_type)?;
        }
        Ok(())
    }
}

pub fn run(ctx: &mut Ctx, cmd: FieldCommand) -> Result<(), CliError> {
    match cmd {
        FieldCommand::Add { name, field_type } => {
            let now = ctx.now();
            let def = FieldDef {
                name: name.trim().to_string(),
                field_type: field_type.into(),
            };
            let created = ctx.store()?.define_field(&def, now)?;
            ctx.print(&FieldAdded {
                name: def.name,
                field_type: def.field_type,
                created,
            })
        }
        FieldCommand::List => {
            let fields = ctx.store()?.fields()?;
            ctx.print(&FieldList { fields })
        }
    }
}
