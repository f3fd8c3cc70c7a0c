//! Writes the seed corpus: real profiles made by recording events (`profile_bytes`), their
//! payloads (`profile_fields`) and the default model's header (`model_header`).
//!
//! `cargo +nightly run --manifest-path fuzz/Cargo.toml --example seeds` (from the repository root).

use std::fs;
use std::path::Path;

use tastebud::{Profile, ProfileConfig};
use tastebud_fuzz::{busy_profile, payload, small_profile, DEFAULT_MODEL};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let profiles = [
        ("empty", Profile::default()),
        ("small", small_profile()),
        ("busy", busy_profile(ProfileConfig::default())?),
        (
            "tight",
            busy_profile(ProfileConfig {
                recent_events: 3,
                max_items: 4,
                recent_queries: 1,
                max_interests: 2,
                half_life_days: 0.5,
                ..ProfileConfig::default()
            })?,
        ),
    ];
    for (name, profile) in profiles {
        let bytes = profile.to_bytes();
        write(&corpus.join("profile_bytes"), name, &bytes)?;
        write(&corpus.join("profile_fields"), name, payload(&bytes))?;
    }
    let len = u64::from_le_bytes(DEFAULT_MODEL[..8].try_into()?) as usize;
    write(
        &corpus.join("model_header"),
        "default",
        &DEFAULT_MODEL[8..8 + len],
    )?;
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::write(dir.join(name), bytes)
}
