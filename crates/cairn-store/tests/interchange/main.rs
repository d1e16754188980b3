//! What crosses the store's edges: workflow files (import and export, with
//! the bad-file corpus under `tests/fixtures/workflows/`) and the TypeScript
//! bindings of the types the UI sees. Real SQLite files in temporary folders.

mod generated;
mod workflow_files;
