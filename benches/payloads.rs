//! Large vendor pages for the benchmarks, built from the committed fixtures (the vendors'
//! own schemas, realistic sizes) with distinct ids.

use serde_json::{Value, json};

/// The repository's `fixtures/` folder, from whichever package's bench includes this file
/// (the facade's, or the CLI's two levels down).
fn fixtures_dir() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .map(|dir| dir.join("fixtures"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| panic!("no fixtures/ folder above {}", here.display()))
}

/// The fixture at `name` (`vendor/file.json`) under `fixtures/`.
pub fn fixture(name: &str) -> Value {
    let file = fixtures_dir().join(name);
    let path = file.display();
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A HappyRobot list page of `n` full calls (the seed's schema).
pub fn happyrobot_page(n: usize) -> Vec<u8> {
    let base = fixture("happyrobot/call_seed.json");
    let calls: Vec<Value> = (0..n)
        .map(|i| {
            let mut call = base.clone();
            call["id"] = json!(format!(
                "{:024x}",
                0x69b0_0000_0000_0000_0000_0000u128 + i as u128
            ));
            call
        })
        .collect();
    serde_json::to_vec(&json!({ "calls": calls, "count": n, "limit": n, "offset": 0 })).unwrap()
}

/// A Voicebot Studio list (a bare array) of `n` calls with 30-message transcripts.
pub fn voicebot_page(n: usize) -> Vec<u8> {
    let mut base = fixture("voicebot/call_tool_calls.json");
    let messages = base["messages"].as_array().cloned().unwrap_or_default();
    let thirty: Vec<Value> = messages
        .iter()
        .cycle()
        .take(30)
        .enumerate()
        .map(|(i, m)| {
            let mut m = m.clone();
            if m.get("secondsFromStart").is_some() {
                m["secondsFromStart"] = json!(i as f64 * 4.2);
            }
            m
        })
        .collect();
    base["messages"] = json!(thirty);
    let calls: Vec<Value> = (0..n)
        .map(|i| {
            let mut call = base.clone();
            call["id"] = json!(format!("019cf72b-2008-72f2-9228-{i:012x}"));
            // Newest first, one second apart, as a list answers: the decoder refuses a page
            // whose calls all share one millisecond (paging could not get past them).
            call["createdAt"] = json!(created_before("2026-03-18T21:37:52.506Z", i));
            call
        })
        .collect();
    serde_json::to_vec(&calls).unwrap()
}

/// The RFC 3339 time `seconds` seconds before `newest`.
fn created_before(newest: &str, seconds: usize) -> String {
    let newest = chrono::DateTime::parse_from_rfc3339(newest).expect("a valid time");
    (newest - chrono::Duration::seconds(seconds as i64))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A Rounded list page (cursor mode) of `n` calls with transcripts and variable values.
pub fn rounded_page(n: usize) -> Vec<u8> {
    let base = fixture("rounded/get_call_transcript_variables.json")["data"].clone();
    let calls: Vec<Value> = (0..n)
        .map(|i| {
            let mut call = base.clone();
            call["id"] = json!(format!("14abe6f5-01bd-4eff-a6ed-{i:012x}"));
            call
        })
        .collect();
    serde_json::to_vec(&json!({
        "data": calls, "message": "Calls retrieved successfully", "error": null, "status": 200,
        "next_cursor": "2026-03-01T10:00:00Z",
    }))
    .unwrap()
}

/// A Retell list page of `n` calls: the fixture page's items (a web call, a phone call with
/// metadata, latency and costs, one that never connected) over and over, newest first.
/// Retell's lists carry no transcripts.
#[allow(dead_code)] // Each bench file that includes this module uses what it needs.
pub fn retell_page(n: usize) -> Vec<u8> {
    let page = fixture("retell/list_page.json");
    let items = page["items"].as_array().cloned().unwrap_or_default();
    let newest: u64 = 1_774_000_000_000;
    let calls: Vec<Value> = (items.iter().cycle().take(n).enumerate())
        .map(|(i, item)| {
            let mut call = item.clone();
            call["call_id"] = json!(format!("call_{i:028x}"));
            if call.get("start_timestamp").is_some() {
                let start = newest - 60_000 * i as u64;
                call["start_timestamp"] = json!(start);
                call["end_timestamp"] = json!(start + 45_000);
            }
            call
        })
        .collect();
    serde_json::to_vec(&json!({ "items": calls, "has_more": true, "pagination_key": "call_next" }))
        .unwrap()
}
