// Types that cross the IPC boundary.
//
// They come from the bindings generated from the Rust types (ts-rs) into
// ui/src/bindings/; screens import them from "@/api" so this module stays
// the one door. `CommandError` is the shell's own error (cairn_app, which
// the generator in crates/cairn-store cannot see), so it is declared here;
// src-tauri/error.rs has a test pinning the same shape on the Rust side.

export type { WorkflowStatus, WorkflowSummary } from "@/bindings";

/** cairn_app::CommandError: what every failed command rejects with. */
export type CommandError = { code: string; message: string };
