//! The outbox (engine).
