//! Reading back what criterion measured, to print ratios at the end of a bench run.

use serde_json::Value;

/// When this run started (see [`note_start`]): criterion's files from before it are not
/// this run's.
static STARTED: std::sync::OnceLock<std::time::SystemTime> = std::sync::OnceLock::new();

/// Notes that the run starts now; call it first thing in `main`. Until it is called,
/// [`typical_ns`] reads nothing.
pub fn note_start() {
    STARTED.get_or_init(std::time::SystemTime::now);
}

/// Whether criterion runs in benchmark mode, measuring and writing its estimates: as
/// `cargo bench` starts it (`--bench`), without `--test`, `--list` or `--profile-time`
/// (`cargo test --benches` passes no `--bench`: criterion then only tests). The heavy
/// passes of the benches beside criterion's windows and their summaries run only then.
pub fn benchmark_mode() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |flag: &str| {
        args.iter()
            .any(|arg| arg == flag || arg.starts_with(&format!("{flag}=")))
    };
    has("--bench") && !has("--test") && !has("--list") && !has("--profile-time")
}

/// Criterion's typical time for the benchmark stored under `criterion/{dir}` (the slope
/// estimate where it has one, else the mean, as criterion itself reports), in
/// nanoseconds; `None` when it was not measured in this run: outside benchmark mode, or
/// when the file is older than [`note_start`] (left by an earlier run).
pub fn typical_ns(dir: &str) -> Option<f64> {
    if !benchmark_mode() {
        return None;
    }
    // To the whole second: a file system that keeps coarse times would date a file
    // written in the run's first second before its start.
    let started = STARTED.get()?;
    let since_epoch = started.duration_since(std::time::UNIX_EPOCH).ok()?;
    let started = std::time::UNIX_EPOCH + std::time::Duration::from_secs(since_epoch.as_secs());
    let path = criterion_home().join(format!("{dir}/new/estimates.json"));
    let written = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
    if written < started {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| value["mean"]["point_estimate"].as_f64())
}

/// Where criterion writes, found as criterion finds it: `CRITERION_HOME`, else
/// `CARGO_TARGET_DIR/criterion`, else, under cargo (which sets `CARGO`), the workspace's
/// target directory, else `target/criterion` below the current directory (a bench binary
/// run by hand).
fn criterion_home() -> std::path::PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return std::path::PathBuf::from(target).join("criterion");
    }
    if std::env::var_os("CARGO").is_some() {
        return workspace_target().join("criterion");
    }
    std::path::PathBuf::from("target/criterion")
}

/// `target/` beside the workspace's `Cargo.lock`, from whichever package's bench includes
/// this file (the facade's, or the CLI's two levels down).
fn workspace_target() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(here)
        .join("target")
}

/// Prints one line: `label`, the typical times of the benchmarks `ours` and `baseline` from
/// this run, their ratio and the `bar` it is held to (or that they were not measured).
#[allow(dead_code)] // Each bench file that includes this module uses what it needs.
pub fn print_ratio(label: &str, ours: &str, baseline: &str, bar: &str) {
    match (typical_ns(ours), typical_ns(baseline)) {
        (Some(a), Some(b)) => println!(
            "{label:<44} {:>10.3} ms vs {:>10.3} ms   ratio {:.3}x   (bar: {bar})",
            a / 1e6,
            b / 1e6,
            a / b
        ),
        _ => println!("{label:<44} (not measured in this run)"),
    }
}

/// Times each of `N` sides once per turn (`time(side)`, in seconds), `turns` times, the
/// order going through every permutation of the sides in turn, so that each side goes
/// first, and follows each other side, equally often (for three sides, a rotation alone
/// would put one side right before another in two turns of three): whatever else runs on
/// the machine weighs on all alike, which windows one after another do not ensure. Each
/// turn's `N` times.
#[allow(dead_code)] // Each bench file that includes this module uses what it needs.
pub fn in_turns<const N: usize>(turns: usize, mut time: impl FnMut(usize) -> f64) -> Vec<[f64; N]> {
    let orders = permutations::<N>();
    (0..turns)
        .map(|turn| {
            let mut took = [0.0; N];
            for &side in &orders[turn % orders.len()] {
                took[side] = time(side);
            }
            took
        })
        .collect()
}

/// Every order of `0..N`, lexicographically.
fn permutations<const N: usize>() -> Vec<[usize; N]> {
    let mut order: [usize; N] = std::array::from_fn(|i| i);
    let mut all = vec![order];
    // The next permutation: the longest non-increasing suffix is reversed after swapping
    // the element before it with the smallest larger one in it.
    while let Some(pivot) = (1..N)
        .rev()
        .find(|&i| order[i - 1] < order[i])
        .map(|i| i - 1)
    {
        let successor = (pivot + 1..N)
            .rev()
            .find(|&j| order[j] > order[pivot])
            .unwrap_or(pivot);
        order.swap(pivot, successor);
        order[pivot + 1..].reverse();
        all.push(order);
    }
    all
}

/// The median over `turns` (from [`in_turns`]) of what `of` reads from each turn (a side's
/// time, or a ratio of two): of an even count, the mean of the middle two, favouring
/// neither side of a ratio; NaN for no turns. The benches that time sides in turns report
/// the median of their per-turn ratios.
#[allow(dead_code)] // Each bench file that includes this module uses what it needs.
pub fn median_of<const N: usize>(turns: &[[f64; N]], of: impl Fn(&[f64; N]) -> f64) -> f64 {
    let mut values: Vec<f64> = turns.iter().map(of).collect();
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[middle],
        _ => (values[middle - 1] + values[middle]) / 2.0,
    }
}
