//! voiceport against raw baselines, measured in the same run; prints the ratios.
//!
//! ```text
//! cargo bench --bench voiceport
//! ```
//!
//! 1. normalize: decode + normalize one large list page per vendor (keeping every call's
//!    vendor JSON: copied, and shared with the body as `Codec::decode_shared` does),
//!    against `serde_json::from_slice::<Value>` of the same bytes.
//! 2. growth: normalization time per call at 100, 1,000 and 10,000 calls per page.
//! 3. paging: stream all 12,993 seeded HappyRobot calls from the sandbox at the largest
//!    page size, against a plain reqwest loop parsing each page to a `Value`; and the peak
//!    memory of the walk at 1,000, 4,000 and 12,993 calls (and at pages of 500).
//! 4. concurrency: 10,000 `get_call` with 64 in flight, against the same with reqwest.

mod estimates;
mod loopback;
mod payloads;
mod peak_alloc;

use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use tokio::runtime::Runtime;
use voiceport::{CallId, CallQuery, ProviderKind, VoiceProvider, VoiceProviderExt};
use voiceport_sandbox::{HAPPYROBOT_DOCS_CALL_COUNT, Sandbox};

#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc::new();

const GETS: usize = 10_000;
const IN_FLIGHT: usize = 64;

/// How many calls `kind`'s codec decodes from a list body.
fn decode_page(kind: ProviderKind, bytes: &[u8], query: &CallQuery) -> usize {
    voiceport::codec(kind)
        .and_then(|codec| codec.decode_page(bytes, query))
        .map(|page| page.calls.len())
        .unwrap_or(0)
}

fn normalize(c: &mut Criterion) {
    let query = CallQuery::default();
    let pages = [
        (
            ProviderKind::HappyRobot,
            2_000,
            payloads::happyrobot_page(2_000),
        ),
        (
            ProviderKind::Voicebot,
            1_000,
            payloads::voicebot_page(1_000),
        ),
        (ProviderKind::Rounded, 1_000, payloads::rounded_page(1_000)),
        (ProviderKind::Retell, 1_000, payloads::retell_page(1_000)),
    ];
    let mut group = c.benchmark_group("normalize");
    // One estimator for both sides (see `growth`).
    group.sampling_mode(criterion::SamplingMode::Flat);
    for (kind, calls, bytes) in &pages {
        let vendor = kind.as_str();
        let decode = |bytes: &[u8], query: &CallQuery| decode_page(*kind, bytes, query);
        // A page that stopped decoding would make the ratio meaningless: fail loudly, saying why.
        if let Err(error) =
            voiceport::codec(*kind).and_then(|codec| codec.decode_page(bytes, &query))
        {
            panic!("{vendor}: the bench page does not decode: {error}");
        }
        // A decoder that dropped calls would look faster.
        assert_eq!(decode(bytes, &query), *calls, "{vendor}: calls decoded");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("voiceport", vendor), bytes, |b, bytes| {
            b.iter(|| decode(bytes, &query))
        });
        // The same, the payloads sharing the body (`Codec::decode_shared`) instead of each
        // copying its part.
        let shared = voiceport::Bytes::from(bytes.clone());
        group.bench_with_input(
            BenchmarkId::new("voiceport_shared", vendor),
            &shared,
            |b, shared| b.iter(|| voiceport::sharing_body(shared, || decode(shared, &query))),
        );
        group.bench_with_input(
            BenchmarkId::new("serde_json_value", vendor),
            bytes,
            |b, bytes| {
                b.iter(|| {
                    serde_json::from_slice::<Value>(bytes)
                        .map(|v| v.is_object())
                        .unwrap_or(false)
                })
            },
        );
    }
    group.finish();
}

fn growth(c: &mut Criterion) {
    let query = CallQuery::default();
    let mut group = c.benchmark_group("growth");
    // One estimator for every row: in its automatic mode criterion takes a slope for a
    // fast routine and a mean for a slow one, and the two sides of a row fall either way.
    group.sampling_mode(criterion::SamplingMode::Flat);
    for n in [100usize, 1_000, 10_000] {
        let bytes = payloads::happyrobot_page(n);
        // A page that stopped decoding would time the error path (`decode_page` counts 0).
        assert_eq!(decode_page(ProviderKind::HappyRobot, &bytes, &query), n);
        group.throughput(Throughput::Elements(n as u64));
        if n == 10_000 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::new("happyrobot", n), &bytes, |b, bytes| {
            b.iter(|| decode_page(ProviderKind::HappyRobot, bytes, &query))
        });
        // The baseline's growth on the same pages: what memory and caches alone cost.
        group.bench_with_input(
            BenchmarkId::new("serde_json_value", n),
            &bytes,
            |b, bytes| b.iter(|| serde_json::from_slice::<Value>(bytes).map(|v| v.is_object())),
        );
    }
    group.finish();
}

struct Live {
    runtime: Runtime,
    sandbox: Sandbox,
    provider: Arc<dyn VoiceProvider>,
    client: reqwest::Client,
}

fn live(calls: usize) -> Live {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sandbox = runtime
        .block_on(
            Sandbox::builder()
                .calls(ProviderKind::HappyRobot, calls)
                .calls(ProviderKind::Voicebot, 0)
                .calls(ProviderKind::Rounded, 0)
                .start(),
        )
        .unwrap();
    let provider = voiceport::connect(&sandbox.provider_config(ProviderKind::HappyRobot)).unwrap();
    Live {
        runtime,
        sandbox,
        provider,
        client: loopback::client(),
    }
}

/// Every call through voiceport's lazy stream at the largest page size; returns how many.
async fn walk_voiceport(provider: &dyn VoiceProvider) -> usize {
    walk_pages(provider, provider.capabilities().max_page_size).await
}

async fn walk_pages(provider: &dyn VoiceProvider, page_size: u32) -> usize {
    let query = CallQuery {
        page_size: Some(page_size),
        ..CallQuery::default()
    };
    provider
        .calls(query)
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap()
}

/// The baseline: a plain reqwest loop over the same pages, each parsed to a `Value`.
async fn walk_reqwest(client: &reqwest::Client, sandbox: &Sandbox, page_size: u32) -> usize {
    let base = sandbox.base_url(ProviderKind::HappyRobot);
    let auth = format!("Bearer {}", sandbox.api_key(ProviderKind::HappyRobot));
    let (mut skip, mut seen) = (0usize, 0usize);
    loop {
        let body = client
            .get(format!("{base}/calls"))
            .query(&[("limit", page_size.to_string()), ("skip", skip.to_string())])
            .header("authorization", &auth)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: Value = serde_json::from_slice(&body).unwrap();
        let returned = page["calls"].as_array().map_or(0, Vec::len);
        seen += returned;
        skip += returned;
        if returned == 0 || skip as u64 >= page["count"].as_u64().unwrap_or(0) {
            return seen;
        }
    }
}

fn paging(c: &mut Criterion) {
    let live = live(HAPPYROBOT_DOCS_CALL_COUNT);
    let page_size = live.provider.capabilities().max_page_size;
    assert_eq!(
        live.runtime
            .block_on(walk_voiceport(live.provider.as_ref())),
        HAPPYROBOT_DOCS_CALL_COUNT
    );
    assert_eq!(
        live.runtime
            .block_on(walk_reqwest(&live.client, &live.sandbox, page_size)),
        HAPPYROBOT_DOCS_CALL_COUNT
    );
    let mut group = c.benchmark_group("paging");
    // One estimator for both sides (see `growth`): a mean, at every speed.
    group.sampling_mode(criterion::SamplingMode::Flat);
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(HAPPYROBOT_DOCS_CALL_COUNT as u64));
    group.bench_function("voiceport", |b| {
        b.to_async(&live.runtime)
            .iter(|| walk_voiceport(live.provider.as_ref()))
    });
    group.bench_function("reqwest_value", |b| {
        b.to_async(&live.runtime)
            .iter(|| walk_reqwest(&live.client, &live.sandbox, page_size))
    });
    group.finish();
}

fn concurrency(c: &mut Criterion) {
    let live = live(GETS);
    let ids: Vec<CallId> = live.runtime.block_on(async {
        let query = CallQuery {
            page_size: Some(2_000),
            ..CallQuery::default()
        };
        live.provider
            .calls(query)
            .map_ok(|call| call.id)
            .try_collect()
            .await
            .unwrap()
    });
    assert_eq!(ids.len(), GETS);
    let base = live.sandbox.base_url(ProviderKind::HappyRobot);
    let auth = format!("Bearer {}", live.sandbox.api_key(ProviderKind::HappyRobot));
    let mut group = c.benchmark_group("concurrency");
    // One estimator for both sides (see `growth`): a mean, at every speed.
    group.sampling_mode(criterion::SamplingMode::Flat);
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(GETS as u64));
    group.bench_function("voiceport", |b| {
        b.to_async(&live.runtime).iter(|| async {
            futures::stream::iter(&ids)
                .map(|id| live.provider.get_call(id))
                .buffer_unordered(IN_FLIGHT)
                .try_fold(0usize, |n, _| async move { Ok(n + 1) })
                .await
                .unwrap()
        })
    });
    group.bench_function("reqwest_value", |b| {
        b.to_async(&live.runtime).iter(|| async {
            futures::stream::iter(&ids)
                .map(|id| {
                    let request = live
                        .client
                        .get(format!("{base}/calls/{id}"))
                        .header("authorization", &auth);
                    async move {
                        // A refused request would time an error body: the status is checked,
                        // as voiceport's `get_call` does.
                        let response = request.send().await.unwrap();
                        let status = response.status();
                        assert!(status.is_success(), "reqwest baseline answered {status}");
                        let body = response.bytes().await.unwrap();
                        serde_json::from_slice::<Value>(&body).unwrap()
                    }
                })
                .buffer_unordered(IN_FLIGHT)
                .fold(0usize, |n, _| async move { n + 1 })
                .await
        })
    });
    group.finish();
}

/// Peak bytes allocated during a walk, above what was live before it (the seeded sandbox
/// state is allocated before the walk starts; the sandbox's own page rendering, in this
/// process, is included).
fn walk_peak(calls: usize, page_size: u32) -> usize {
    let live = live(calls);
    ALLOC.start();
    let seen = live
        .runtime
        .block_on(walk_pages(live.provider.as_ref(), page_size));
    let peak = ALLOC.stop();
    assert_eq!(seen, calls);
    peak
}

fn main() {
    estimates::note_start();
    let mut criterion = Criterion::default().configure_from_args();
    normalize(&mut criterion);
    growth(&mut criterion);
    paging(&mut criterion);
    concurrency(&mut criterion);
    criterion.final_summary();
    // In test, list or profile mode nothing was measured: no summary, no memory walks.
    if !estimates::benchmark_mode() {
        return;
    }

    println!("\n== voiceport / baseline (time ratios; lower is better)");
    for vendor in ["happyrobot", "voicebot", "rounded", "retell"] {
        estimates::print_ratio(
            &format!("normalize {vendor}"),
            &format!("normalize/voiceport/{vendor}"),
            &format!("normalize/serde_json_value/{vendor}"),
            "<= 0.30x",
        );
        estimates::print_ratio(
            &format!("normalize {vendor}, shared payloads"),
            &format!("normalize/voiceport_shared/{vendor}"),
            &format!("normalize/serde_json_value/{vendor}"),
            "<= 0.30x",
        );
    }
    estimates::print_ratio(
        "paging 12,993 HappyRobot calls",
        "paging/voiceport",
        "paging/reqwest_value",
        "<= 1.2x",
    );
    estimates::print_ratio(
        "10,000 get_call, 64 in flight",
        "concurrency/voiceport",
        "concurrency/reqwest_value",
        "<= 1.25x time, i.e. >= 0.8x throughput",
    );
    println!("\n== normalization time per call (HappyRobot page)");
    for n in [100usize, 1_000, 10_000] {
        let per_call = |id: &str| {
            estimates::typical_ns(&format!("growth/{id}/{n}")).map(|ns| ns / n as f64 / 1e3)
        };
        match (per_call("happyrobot"), per_call("serde_json_value")) {
            (Some(ours), Some(value)) => println!(
                "{n:>6} calls per page: {ours:>8.2} µs per call (Value parse: {value:>8.2} µs)"
            ),
            _ => println!("{n:>6} calls per page: (not measured in this run)"),
        }
    }
    println!("\n== peak memory of the voiceport walk (client and in-process sandbox together)");
    for (calls, page_size) in [
        (1_000, 2_000),
        (4_000, 2_000),
        (HAPPYROBOT_DOCS_CALL_COUNT, 2_000),
        (1_000, 500),
        (HAPPYROBOT_DOCS_CALL_COUNT, 500),
    ] {
        let mib = walk_peak(calls, page_size) as f64 / (1024.0 * 1024.0);
        println!("{calls:>6} calls, page size {page_size:>5}: {mib:>7.1} MiB");
    }
}
