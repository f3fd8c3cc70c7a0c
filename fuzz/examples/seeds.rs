//! Writes the seed corpus: real profiles made by recording events (`profile_bytes`), their
//! payloads (`profile_fields`), the default model's header (`model_header`) and the tokens of a
//! profile, as text and as the bytes before their checksum (`token_text`).
//!
//! `cargo +nightly run --manifest-path fuzz/Cargo.toml --example seeds` (from the repository root).

use std::fs;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use tastebud::{Profile, ProfileConfig, Ranker};
use tastebud_fuzz::{busy_profile, payload, small_profile, DEFAULT_MODEL, MODEL};

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
    let mut ranker = Ranker::new(MODEL.clone());
    for (name, epsilon) in [("exact", f64::INFINITY), ("noised", 8.0)] {
        let text = ranker
            .token(&small_profile(), 1_700_000_000_000, epsilon, &[7; 32])?
            .encode();
        let bytes = URL_SAFE_NO_PAD.decode(&text)?;
        let dir = corpus.join("token_text");
        write(&dir, &format!("{name}-text"), text.as_bytes())?;
        write(&dir, &format!("{name}-bytes"), &bytes[..bytes.len() - 4])?;
    }
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::write(dir.join(name), bytes)
}
