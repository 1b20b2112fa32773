//! The registry's merged walk over four accounts against walking them one after another,
//! in the same run; prints the time ratio and the peak memory of each.
//!
//! ```text
//! cargo bench --bench registry
//! ```
//!
//! Four sandbox accounts (HappyRobot twice, Voicebot Studio, Rounded), 1,500 calls each,
//! walked at 100 calls per page: `sequential` streams each provider's calls to the end in
//! turn (`VoiceProviderExt::calls`); `merged` is one `Registry::calls` stream over the four,
//! newest first, fetching each provider's next page while the current ones are merged.

mod estimates;
mod peak_alloc;

use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use futures::TryStreamExt;
use voiceport::{
    CallQuery, MergeOptions, ProviderKind, ProvidersFile, Registry, Selection, VoiceProviderExt,
};
use voiceport_sandbox::Sandbox;

#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc::new();

const CALLS: usize = 1_500;
const PAGE: u32 = 100;

fn query() -> CallQuery {
    CallQuery {
        page_size: Some(PAGE),
        ..CallQuery::default()
    }
}

async fn sequential(registry: &Registry) -> usize {
    let mut total = 0;
    for name in registry.names() {
        let provider = registry.connect(name).unwrap();
        total += provider
            .calls(query())
            .try_fold(0, |n, _| async move { Ok(n + 1) })
            .await
            .unwrap();
    }
    total
}

async fn merged(registry: &Registry) -> usize {
    registry
        .calls(&Selection::All, query(), MergeOptions::default())
        .unwrap()
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap()
}

fn main() {
    estimates::note_start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (main, second) = runtime.block_on(async {
        let main = Sandbox::builder()
            .calls(ProviderKind::HappyRobot, CALLS)
            .calls(ProviderKind::Voicebot, CALLS)
            .calls(ProviderKind::Rounded, CALLS)
            .start()
            .await
            .unwrap();
        let second = Sandbox::builder()
            .seed(2)
            .calls(ProviderKind::HappyRobot, CALLS)
            .calls(ProviderKind::Voicebot, 0)
            .calls(ProviderKind::Rounded, 0)
            .start()
            .await
            .unwrap();
        (main, second)
    });
    let providers = BTreeMap::from([
        (
            "hr".to_owned(),
            main.provider_config(ProviderKind::HappyRobot),
        ),
        (
            "hr2".to_owned(),
            second.provider_config(ProviderKind::HappyRobot),
        ),
        (
            "studio".to_owned(),
            main.provider_config(ProviderKind::Voicebot),
        ),
        (
            "support".to_owned(),
            main.provider_config(ProviderKind::Rounded),
        ),
    ]);
    let registry = Registry::from_file(ProvidersFile::new(None, providers, BTreeMap::new()))
        .expect("the sandbox's providers");
    let total = 4 * CALLS;
    assert_eq!(runtime.block_on(sequential(&registry)), total);
    assert_eq!(runtime.block_on(merged(&registry)), total);

    // Walks measured outside criterion: only when it runs in benchmark mode (not in
    // `--test` or `--list`, where nothing is reported).
    let benchmark_mode = estimates::benchmark_mode();
    let mut peaks = Vec::new();
    for (label, merge) in [("sequential", false), ("merged", true)]
        .into_iter()
        .filter(|_| benchmark_mode)
    {
        ALLOC.start();
        let seen = runtime.block_on(async {
            if merge {
                merged(&registry).await
            } else {
                sequential(&registry).await
            }
        });
        let peak = ALLOC.stop();
        assert_eq!(seen, total);
        peaks.push((label, peak));
    }

    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    let mut group = criterion.benchmark_group("registry");
    // One estimator for both sides: in its automatic mode criterion takes a slope for a
    // fast routine and a mean for a slow one, and the two could fall either way.
    group.sampling_mode(criterion::SamplingMode::Flat);
    group.throughput(Throughput::Elements(total as u64));
    // Every timed walk must see every call: one cut short would look faster.
    group.bench_function("sequential", |b| {
        b.to_async(&runtime)
            .iter(|| async { assert_eq!(sequential(&registry).await, total) })
    });
    group.bench_function("merged", |b| {
        b.to_async(&runtime)
            .iter(|| async { assert_eq!(merged(&registry).await, total) })
    });
    group.finish();
    criterion.final_summary();
    if !benchmark_mode {
        return;
    }

    let typical = |id: &str| estimates::typical_ns(&format!("registry/{id}"));
    println!("\n== registry: {total} calls over four accounts, {PAGE} per page");
    if let (Some(merged), Some(sequential)) = (typical("merged"), typical("sequential")) {
        println!(
            "merged {:.1} ms vs sequential {:.1} ms   ratio {:.2}x   (bar: <= 0.8x)",
            merged / 1e6,
            sequential / 1e6,
            merged / sequential
        );
    }
    for (label, peak) in peaks {
        println!(
            "peak memory, {label:<10} {:>6.1} MiB",
            peak as f64 / (1024.0 * 1024.0)
        );
    }
}
