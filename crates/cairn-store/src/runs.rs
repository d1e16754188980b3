//! Runs and steps (engine).
