//! What exists in the database, for workflow validation.

use cairn_model::account::AccountKind;
use cairn_model::contact::FieldType;
use cairn_model::validate::Catalog;

use crate::Result;

/// Reads tags, fields, accounts, pipelines, courses and workflow names.
pub fn catalog_using(c: &rusqlite::Connection) -> Result<Catalog> {
    let mut cat = Catalog::default();
    let mut st = c.prepare_cached("SELECT name FROM tags")?;
    for t in st.query_map([], |r| r.get::<_, String>(0))? {
        cat.add_tag(&t?);
    }
    let mut st = c.prepare_cached("SELECT name, type FROM fields")?;
    for f in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (n, t) = f?;
        cat.add_field(&n, FieldType::parse(&t).unwrap_or(FieldType::Text));
    }
    let mut st = c.prepare_cached("SELECT name, kind FROM accounts")?;
    for a in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (n, k) = a?;
        if let Some(k) = AccountKind::parse(&k) {
            cat.add_account(&n, k);
        }
    }
    let mut st = c.prepare_cached(
        "SELECT p.name, s.name FROM pipelines p LEFT JOIN stages s ON s.pipeline_id = p.id ORDER BY p.id, s.position",
    )?;
    let mut pipes: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for p in st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })? {
        let (p, s) = p?;
        let e = pipes.entry(p).or_default();
        if let Some(s) = s {
            e.push(s);
        }
    }
    for (p, s) in pipes {
        cat.add_pipeline(&p, s);
    }
    let mut st = c.prepare_cached("SELECT name FROM courses")?;
    for x in st.query_map([], |r| r.get::<_, String>(0))? {
        cat.add_course(&x?);
    }
    let mut st = c.prepare_cached("SELECT name FROM workflows")?;
    for x in st.query_map([], |r| r.get::<_, String>(0))? {
        cat.add_workflow(&x?);
    }
    Ok(cat)
}

/// A connected account as a picker shows it: its name and kind, never its
/// settings or secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct AccountRef {
    pub name: String,
    pub kind: AccountKind,
}

/// What exists in the database, by name, for the editor's pickers: tags,
/// custom fields with their types, accounts with their kinds, pipelines
/// with their stages, courses and workflows. Each list is sorted by name.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct CatalogNames {
    pub tags: Vec<String>,
    pub fields: Vec<cairn_model::contact::FieldDef>,
    pub accounts: Vec<AccountRef>,
    pub pipelines: Vec<cairn_model::workflow::PipelineDecl>,
    pub courses: Vec<String>,
    pub workflows: Vec<String>,
}

impl crate::Store {
    /// Everything a workflow can refer to by name, in one read.
    pub fn catalog_names(&self) -> Result<CatalogNames> {
        Ok(CatalogNames {
            tags: self.tags()?,
            fields: self.fields()?,
            accounts: self
                .accounts()?
                .into_iter()
                .map(|a| AccountRef {
                    name: a.name,
                    kind: a.kind,
                })
                .collect(),
            pipelines: self
                .pipelines()?
                .into_iter()
                .map(|p| cairn_model::workflow::PipelineDecl {
                    name: p.name,
                    stages: p.stages,
                })
                .collect(),
            courses: self.courses()?,
            workflows: self.workflows()?.into_iter().map(|w| w.name).collect(),
        })
    }
}
