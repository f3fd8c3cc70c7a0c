//! A profile configuration as a page hands it over (JSON) → `wire::profile_config_from_json`:
//! never panics; `Profile::new` and `set_config` agree on whether it is valid; applied to a busy
//! profile, an accepted one keeps the export round-tripping, also after recording more events
//! under its weights, and the profile ranks, explains, summarises and exports JSON; a rejected
//! one leaves the export as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tastebud::{wire, Event, EventKind, Item, Profile};
use tastebud_fuzz::{check_change, check_profile, check_round_trip, BUSY_PROFILE};

fuzz_target!(|json: &[u8]| {
    let Ok(config) = wire::profile_config_from_json(json) else {
        return;
    };
    let fresh = Profile::new(config.clone());
    if let Ok(fresh) = &fresh {
        check_round_trip(fresh);
    }
    let mut profile = BUSY_PROFILE.clone();
    let before = profile.to_bytes();
    let accepted = profile.set_config(config).is_ok();
    assert_eq!(
        fresh.is_ok(),
        accepted,
        "Profile::new and set_config disagree"
    );
    check_change(&profile, &before, accepted);
    if !accepted {
        return;
    }
    let t = 1_700_000_200_000;
    for (kind, dwell_ms, ts_ms) in [
        (EventKind::Dwell, u32::MAX, t),
        (EventKind::Purchase, 0, t + 1),
        (EventKind::Impression, 0, i64::MAX),
    ] {
        let event = Event::Item {
            kind,
            item: Item::new("sku-1"),
            ts_ms,
            dwell_ms,
        };
        let before = profile.to_bytes();
        let accepted = profile.record(event).is_ok();
        check_change(&profile, &before, accepted);
    }
    check_profile(profile, json.len());
});
