//! Reading back what criterion measured, to print ratios at the end of a bench run.

use serde_json::Value;

/// Criterion's typical time for the benchmark stored under `criterion/{dir}` (the slope
/// estimate where it has one, else the mean, as criterion itself reports), in
/// nanoseconds; `None` when it was not measured in this run.
pub fn typical_ns(dir: &str) -> Option<f64> {
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| format!("{}/target", env!("CARGO_MANIFEST_DIR")));
    let text =
        std::fs::read_to_string(format!("{target}/criterion/{dir}/new/estimates.json")).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| value["mean"]["point_estimate"].as_f64())
}
