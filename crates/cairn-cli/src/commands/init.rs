//! `cairn init`: create the database, or upgrade an older one in place.

use std::io::Write;

use serde::Serialize;

use crate::output::Render;
use crate::{CliError, Ctx};

/// What `init` found or did.
#[derive(Debug, Serialize)]
pub struct InitReport {
    pub db: String,
    /// True when the file did not exist before.
    pub created: bool,
    pub schema_version: u32,
}

impl Render for InitReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let verb = if self.created { "created" } else { "ready" };
        writeln!(
            out,
            "database {verb}: {} (schema version {})",
            self.db, self.schema_version
        )
    }
}

pub fn run(ctx: &mut Ctx) -> Result<(), CliError> {
    let (_, created) = ctx.create_store()?;
    let report = InitReport {
        db: ctx.db_path().display().to_string(),
        created,
        schema_version: cairn_store::SCHEMA_VERSION,
    };
    ctx.print(&report)
}
