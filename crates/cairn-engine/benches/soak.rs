//! The soak: a million steps through the engine on a virtual clock (six
//! months of purchases, about 550 a day), with the executor's upkeep —
//! a checkpoint after every hour of purchases, retention (90 days) and
//! space reclaimed daily — on its own connection, as in production. It
//! prints the database and WAL size before and after, the largest WAL seen,
//! and the growth per step. Goals: under 2 KB per step, WAL under 64 MB.
//!
//! `cargo bench -p cairn-engine --bench soak` (a million steps; add
//! `-- 200000` for another count). The test suite runs the same code for
//! 20,000 steps (`a_short_soak_stays_within_the_size_bounds`). Numbers go
//! in docs/BENCHMARKS.md ("Soak").

#[path = "../tests/soak/mod.rs"]
mod soak;

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1_048_576.0)
}

fn main() {
    let steps: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let r = soak::soak(
        dir.path(),
        &soak::SoakConfig {
            steps,
            days: 180,
            retention_days: 90,
            batch_every: chrono::Duration::hours(1),
        },
    );
    println!(
        "soak: {} steps ({} runs, {} purchases) over {:.0} virtual days in {:.0} s ({:.0} steps/s; upkeep {:.1} s in {} checkpoints and {} maintenances)",
        r.steps,
        r.runs,
        r.purchases,
        r.days,
        r.elapsed.as_secs_f64(),
        r.steps as f64 / r.elapsed.as_secs_f64(),
        r.upkeep.as_secs_f64(),
        r.checkpoints,
        r.maintenances
    );
    println!(
        "  database {} + WAL {} before; {} + WAL {} after; largest WAL {}",
        mb(r.db_bytes_before),
        mb(r.wal_bytes_before),
        mb(r.db_bytes_after),
        mb(r.wal_bytes_after),
        mb(r.max_wal_bytes)
    );
    println!(
        "  {:.0} bytes per step; retention blanked {} runs and {} events",
        r.bytes_per_step(),
        r.runs_pruned,
        r.events_pruned
    );
    let ok_size = r.bytes_per_step() < 2048.0;
    let ok_wal = r.max_wal_bytes < 64 * 1024 * 1024;
    println!(
        "  goals: under 2 KB per step {}; WAL under 64 MB {}",
        if ok_size { "met" } else { "MISSED" },
        if ok_wal { "met" } else { "MISSED" }
    );
}
