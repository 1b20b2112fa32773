//! The webhook receiver against a bare axum handler that only reads the body, in the same
//! run; prints the throughput ratio.
//!
//! ```text
//! cargo bench --bench webhooks --features axum
//! ```
//!
//! Both servers run on loopback in this process; one reqwest client posts a batch of
//! 1,000 HMAC-signed Voicebot Studio (Vapi) deliveries with 32 in flight, in two mixes:
//!
//! * `mixed`: what one call sends, 100 times over: three `status-update`s, four
//!   `transcript`s, a `speech-update`, a `conversation-update` and an `end-of-call-report`
//!   with its message-level artifacts (the traffic of a real assistant);
//! * `end_of_call`: 1,000 `end-of-call-report`s in their artifact-only form (about 4 KiB
//!   each), every delivery of the costliest kind to decode (the mix's reports are the
//!   11 KiB form Vapi sends).
//!
//! Criterion times each side in its own 15-second window; the ratio is then printed again
//! from 30 batches of each posted in turns (median of the per-pair ratios), which a busy
//! machine disturbs less.
//!
//! First, without HTTP, the decoding alone: each kind of Vapi-family delivery (and a few of
//! the other vendors') decoded into a `CallEvent` by its codec against
//! `serde_json::from_slice::<Value>` of the same bytes, in turns (median of the per-turn
//! ratios), among them a `conversation-update` of a 30-message call (each update carries
//! the whole conversation so far).
//!
//! The receiver verifies the signature, parses the body into a normalized `CallEvent`
//! (for a report, the call with its transcript, cost and analysis), checks the
//! de-duplication window and hands the event to a handler; the baseline reads the body and
//! answers 204. The in-turns pass also posts each batch to a third server, the floor: it
//! checks the signature and reads the body through serde_json without building anything,
//! the least any receiver that verifies and parses must do.

mod estimates;
mod loopback;
// The webhook bench reads the fixtures through it, and builds none of its pages.
#[allow(dead_code)]
mod payloads;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Utc;
use criterion::{Criterion, Throughput};
use futures::StreamExt;
use serde::de::IgnoredAny;
use serde_json::Value;
use voiceport::ProviderKind;
use voiceport::webhooks::{Receiver, Verifier, WebhookConfig};

const BATCH: usize = 1_000;
/// The signing tolerance of the bench's webhook table: an hour (the most a table takes),
/// longer than any run.
const TOLERANCE_SECS: u64 = 60 * 60;
const IN_FLIGHT: usize = 32;
const SECRET: &str = "bench-hmac-secret";

/// A Voicebot Studio (Vapi) delivery from the fixtures.
fn fixture(name: &str) -> Value {
    payloads::fixture(&format!("voicebot/{name}.json"))
}

/// Delivery number `n`, about call number `call`: its call id (wherever the delivery has
/// one) and its timestamp made distinct, as every real delivery is.
fn for_call(mut body: Value, call: usize, n: usize) -> Vec<u8> {
    let id = Value::String(format!("0194e6c2-0000-7000-8000-{call:012}"));
    for pointer in ["/message/call/id", "/call/id"] {
        if let Some(slot) = body.pointer_mut(pointer) {
            *slot = id.clone();
        }
    }
    if let Some(message) = body.get_mut("message").and_then(Value::as_object_mut) {
        message.insert(
            "timestamp".into(),
            Value::from(1_780_000_000_000u64 + n as u64),
        );
    }
    serde_json::to_vec(&body).unwrap()
}

/// 1,000 end-of-call reports, each a distinct call.
fn end_of_call() -> Vec<Vec<u8>> {
    let report = fixture("webhook_end_of_call_report");
    (0..BATCH)
        .map(|call| for_call(report.clone(), call, call))
        .collect()
}

/// The `conversation-update` of a call 30 messages in (its `messages` and
/// `messagesOpenAIFormatted` each the fixture's turns over and over, times moving on).
fn long_conversation() -> Value {
    let mut update = fixture("webhook_conversation_update");
    for list in ["messages", "messagesOpenAIFormatted"] {
        let Some(Value::Array(turns)) = update.pointer_mut(&format!("/message/{list}")) else {
            panic!("the fixture has no message.{list}");
        };
        let first = turns.clone();
        *turns = (0..30)
            .map(|i| {
                let mut turn = first[i % first.len()].clone();
                if let Some(time) = turn.get_mut("time") {
                    *time = Value::from(1_773_940_807_746u64 + 2_000 * i as u64);
                }
                turn
            })
            .collect();
    }
    update
}

/// One delivery of each kind the decoding is timed on, with the vendor that sends it: the
/// Vapi family's (through Voicebot Studio's codec), then a few of the other vendors'.
fn one_of_each() -> Vec<(ProviderKind, &'static str, Vec<u8>)> {
    let vapi_family = [
        ("transcript", fixture("webhook_transcript")),
        ("status_update", fixture("webhook_status_update")),
        (
            "conversation_update",
            fixture("webhook_conversation_update"),
        ),
        ("conversation_update_30", long_conversation()),
        ("end_of_call_report", fixture("webhook_end_of_call_report")),
        (
            "end_of_call_report_full",
            fixture("webhook_end_of_call_report_message_level"),
        ),
    ]
    .map(|(name, body)| (ProviderKind::Voicebot, name, for_call(body, 0, 0)));
    // Each from `fixtures/<kind>/`.
    let others = [
        (ProviderKind::HappyRobot, "hr_end", "webhook_end"),
        (
            ProviderKind::Retell,
            "retell_call_started",
            "webhook_call_started",
        ),
        (
            ProviderKind::Retell,
            "retell_call_ended",
            "webhook_call_ended",
        ),
        (
            ProviderKind::Retell,
            "retell_unknown_event",
            "webhook_unknown_event",
        ),
        (
            ProviderKind::Rounded,
            "rounded_status_updated",
            "webhook_call_status_updated",
        ),
        (
            ProviderKind::Rounded,
            "rounded_call_ended",
            "webhook_phone_call_ended",
        ),
    ]
    .map(|(kind, name, file)| {
        let delivery = payloads::fixture(&format!("{kind}/{file}.json"));
        (kind, name, serde_json::to_vec(&delivery).unwrap())
    });
    vapi_family.into_iter().chain(others).collect()
}

/// 100 calls' worth of deliveries, ten per call.
fn mixed() -> Vec<Vec<u8>> {
    let per_call = [
        "webhook_status_update",
        "webhook_transcript",
        "webhook_other",
        "webhook_transcript_partial",
        "webhook_status_update_forwarding",
        "webhook_transcript_final_type",
        "webhook_conversation_update",
        "webhook_transcript",
        "webhook_status_update_ended_stale_call",
        "webhook_end_of_call_report_message_level",
    ]
    .map(fixture);
    (0..BATCH / per_call.len())
        .flat_map(|call| {
            let first = call * per_call.len();
            let bodies = per_call.iter().enumerate();
            bodies.map(move |(i, body)| for_call(body.clone(), call, first + i))
        })
        .collect()
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/webhooks/support")
}

/// Posts every delivery, `IN_FLIGHT` at a time; returns how many were answered 2xx.
async fn post_all(client: &reqwest::Client, url: &str, batch: &[(HeaderMap, Bytes)]) -> usize {
    futures::stream::iter(batch)
        .map(|(headers, body)| {
            client
                .post(url)
                .headers(headers.clone())
                .body(body.clone())
                .send()
        })
        .buffer_unordered(IN_FLIGHT)
        .filter(|r| std::future::ready(r.as_ref().is_ok_and(|r| r.status().is_success())))
        .count()
        .await
}

/// Posts the batch ([`post_all`]) and checks that every delivery was accepted (2xx) and,
/// for the receiver (`handled`: its handler's count), handed to the handler: a delivery
/// refused (401: a signature out of its tolerance) or answered as a duplicate (204 without
/// the handler, 503 while the first is in flight) is answered sooner, and would make its
/// side look faster.
async fn post_checked(
    client: &reqwest::Client,
    url: &str,
    batch: &[(HeaderMap, Bytes)],
    handled: Option<&AtomicUsize>,
) {
    let before = handled.map(|count| count.load(Ordering::Relaxed));
    let accepted = post_all(client, url, batch).await;
    assert_eq!(accepted, batch.len(), "{url}: deliveries refused");
    if let (Some(count), Some(before)) = (handled, before) {
        let grew = count.load(Ordering::Relaxed) - before;
        assert_eq!(
            grew,
            batch.len(),
            "{url}: deliveries not handed to the handler"
        );
    }
}

fn main() {
    estimates::note_start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // Each batch is signed once and replayed for the whole run: a signing tolerance of an
    // hour, the most a configuration takes (not the default five minutes), keeps every
    // signature valid for a run far longer than this one, for the receiver and the floor
    // alike.
    let webhook =
        format!("verify = \"hmac\"\nsecret = \"{SECRET}\"\ntolerance_secs = {TOLERANCE_SECS}\n");
    let registry = voiceport::Registry::from_toml_str(&format!(
        "[providers.support]\nkind = \"voicebot\"\napi_key = \"k\"\n\
         [providers.support.webhook]\n{webhook}"
    ))
    .unwrap();
    let config: WebhookConfig = toml::from_str(&webhook).unwrap();
    let signer = Verifier::from_config(ProviderKind::Voicebot, &config, "bench", None).unwrap();
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let receiver = Receiver::builder(&registry)
        // Every delivery is processed in full, however often the batch is replayed: the
        // window holds at most ten delivered keys (its size times `WINDOW_CEILING`, the
        // signing tolerance keeping them up to that ceiling, whatever its length), besides
        // the 32 in flight, and no event of a batch comes twice within a thousand.
        .dedup_window(1)
        .handler(move |_delivery| {
            counter.fetch_add(1, Ordering::Relaxed);
            async { Ok(()) }
        })
        .unwrap();
    let bare = Router::new().route(
        "/webhooks/{provider}",
        post(|body: Bytes| async move {
            std::hint::black_box(body.len());
            StatusCode::NO_CONTENT
        }),
    );
    // What any receiver that verifies and parses must do at least: check the signature and
    // read the body through serde_json once, building nothing.
    let floor_verifier = Arc::new(signer.clone());
    let floor = Router::new().route(
        "/webhooks/{provider}",
        post(move |headers: HeaderMap, body: Bytes| {
            let verifier = floor_verifier.clone();
            async move {
                let verified = verifier.verify(&headers, &body).is_ok();
                let parsed = serde_json::from_slice::<IgnoredAny>(&body).is_ok();
                if verified && parsed {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::BAD_REQUEST
                }
            }
        }),
    );
    let (receiver_url, bare_url, floor_url) =
        runtime.block_on(async { (serve(receiver).await, serve(bare).await, serve(floor).await) });
    let client = loopback::client();
    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(15));
    let decoded = decode_each(&mut criterion);
    let mut group = criterion.benchmark_group("webhooks");
    // One estimator for every side: in its automatic mode criterion takes a slope for a
    // fast batch and a mean for a slow one, and the sides of a ratio could fall either way.
    group.sampling_mode(criterion::SamplingMode::Flat);
    group.throughput(Throughput::Elements(BATCH as u64));
    let mixes: [(&'static str, _); 2] = [("mixed", mixed()), ("end_of_call", end_of_call())];
    let mut paired: Vec<Paired> = Vec::new();
    for (mix, bodies) in mixes {
        // Signed once per run: the signatures stay within the hour's tolerance.
        // Bodies as `Bytes`: a post clones a handle, not the body (the same for every
        // server, but a fixed cost on both sides pulls every ratio towards 1).
        let batch: Vec<(HeaderMap, Bytes)> = bodies
            .into_iter()
            .map(|body| (signer.sign(&body, Utc::now()), Bytes::from(body)))
            .collect();
        // Once first, each server: a bench delivery refused would fail here, not mid-run.
        for (url, handled) in [
            (&receiver_url, Some(&*received)),
            (&bare_url, None),
            (&floor_url, None),
        ] {
            runtime.block_on(post_checked(&client, url, &batch, handled));
        }
        // Every timed batch is checked as well (a count and an atomic read, next to
        // 1,000 requests).
        group.bench_function(format!("receiver/{mix}"), |b| {
            b.to_async(&runtime)
                .iter(|| post_checked(&client, &receiver_url, &batch, Some(&*received)))
        });
        group.bench_function(format!("bare_axum/{mix}"), |b| {
            b.to_async(&runtime)
                .iter(|| post_checked(&client, &bare_url, &batch, None))
        });
        // The same two, batch by batch in turns: whatever else the machine runs weighs on
        // both alike, which two 15-second windows one after the other do not ensure.
        if timed_in_turns(&mix_ids(mix)) {
            // Wall time, and the CPU time the whole process (client included) spent.
            let time = |url: &str, handled: Option<&AtomicUsize>, cpu: &mut f64| {
                let (start, start_cpu) = (Instant::now(), process_cpu_secs());
                runtime.block_on(post_checked(&client, url, &batch, handled));
                if let (Some(before), Some(after)) = (start_cpu, process_cpu_secs()) {
                    *cpu += after - before;
                }
                start.elapsed().as_secs_f64()
            };
            let urls = [&receiver_url, &bare_url, &floor_url];
            let handled = [Some(&*received), None, None];
            let mut cpu = [0.0; 3];
            let turns: Vec<[f64; 3]> = estimates::in_turns(PAIRS, |side| {
                time(urls[side], handled[side], &mut cpu[side])
            });
            let median_of = |of: fn(&[f64; 3]) -> f64| estimates::median_of(&turns, of);
            let per_delivery = |cpu: f64| cpu / (PAIRS * BATCH) as f64 * 1e6;
            paired.push(Paired {
                mix,
                ours: median_of(|[ours, _, _]| *ours),
                bare: median_of(|[_, bare, _]| *bare),
                floor: median_of(|[_, _, floor]| *floor),
                ratio: median_of(|[ours, bare, _]| bare / ours),
                floor_ratio: median_of(|[_, bare, floor]| bare / floor),
                cpu_us: cpu.map(per_delivery),
            });
        }
    }
    group.finish();
    criterion.final_summary();
    // In test, list or profile mode nothing was measured: no summary.
    if !estimates::benchmark_mode() {
        return;
    }

    // Criterion writes `receiver/mixed` as `receiver_mixed`.
    let typical = |id: &str| estimates::typical_ns(&format!("webhooks/{}", id.replace('/', "_")));
    println!(
        "\n== decoding alone: a delivery into a CallEvent vs into a serde_json::Value, {DECODE_TURNS} turns (median of the per-turn ratios)"
    );
    for row in &decoded {
        println!(
            "{:<24} {:>6} B   voiceport {:>7.2} us vs Value {:>7.2} us   {:.2}x the Value's speed",
            row.name,
            row.bytes,
            row.ours_ns / 1e3,
            row.value_ns / 1e3,
            row.ratio,
        );
    }
    println!("\n== webhooks: deliveries per second (throughput ratio; higher is better)");
    for mix in ["mixed", "end_of_call"] {
        // Criterion's files outlive a run that a filter left them out of.
        let measured = filter_matches(&mix_ids(mix));
        let ours = typical(&format!("receiver/{mix}")).filter(|_| measured);
        let bare = typical(&format!("bare_axum/{mix}")).filter(|_| measured);
        match (ours, bare) {
            (Some(ours), Some(bare)) => {
                let per_sec = |ns: f64| BATCH as f64 / (ns / 1e9);
                println!(
                    "{mix:<12} receiver {:>7.0}/s vs bare axum {:>7.0}/s   ratio {:.2}x   (bar: >= 0.7x)",
                    per_sec(ours),
                    per_sec(bare),
                    bare / ours
                );
            }
            _ => println!("{mix:<12} (not measured in this run)"),
        }
    }
    println!(
        "\n== the same, {PAIRS} batches each in turns (median of the per-turn ratios; steadier on a busy machine)"
    );
    // One line: a server's deliveries per second against bare axum's, and their ratio.
    let row = |p: &Paired, side: &str, seconds: f64, ratio: f64, note: &str| {
        println!(
            "{:<12} {side:<8} {:>7.0}/s vs bare axum {:>7.0}/s   ratio {ratio:.2}x   ({note})",
            p.mix,
            BATCH as f64 / seconds,
            BATCH as f64 / p.bare,
        );
    };
    for p in &paired {
        row(p, "receiver", p.ours, p.ratio, "bar: >= 0.7x");
    }
    println!(
        "\n== the floor: a handler that only checks the signature and reads the body through serde_json"
    );
    for p in &paired {
        row(
            p,
            "floor",
            p.floor,
            p.floor_ratio,
            "the least a verifying parser does",
        );
    }
    println!("\n== CPU time per delivery in those batches (whole process, client included)");
    for p in &paired {
        let [ours, bare, floor] = p.cpu_us;
        println!(
            "{:<12} receiver {ours:>5.1} us, floor {floor:>5.1} us, bare axum {bare:>5.1} us",
            p.mix,
        );
    }
}

/// One mix's batches posted in turns: medians of wall time and ratios, mean CPU time.
struct Paired {
    mix: &'static str,
    ours: f64,
    bare: f64,
    floor: f64,
    /// Bare axum's time over the receiver's.
    ratio: f64,
    /// Bare axum's time over the floor's.
    floor_ratio: f64,
    /// Per delivery: receiver, bare axum, floor.
    cpu_us: [f64; 3],
}

/// The CPU time (user + system) this process has used, in seconds (`getrusage`).
#[cfg(unix)]
fn process_cpu_secs() -> Option<f64> {
    // SAFETY: `rusage` is plain data, for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer is to a live local that `getrusage` fills.
    let done = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (done == 0).then(|| secs(usage.ru_utime) + secs(usage.ru_stime))
}

/// Elsewhere the CPU time is not measured.
#[cfg(not(unix))]
fn process_cpu_secs() -> Option<f64> {
    None
}

/// How many turns (each side decoding `DECODE_REPEAT` times) the decoding is timed in.
const DECODE_TURNS: usize = 30;
const DECODE_REPEAT: usize = 2_000;

/// One kind of delivery decoded: medians over the turns.
struct Decoded {
    name: &'static str,
    bytes: usize,
    /// Per decode, nanoseconds.
    ours_ns: f64,
    value_ns: f64,
    /// The `Value`'s time over ours.
    ratio: f64,
}

/// Times the decoding of each of [`one_of_each`] by its vendor's codec and into a `Value`,
/// in criterion's windows (`webhooks_decode/...`) and then in turns.
fn decode_each(criterion: &mut Criterion) -> Vec<Decoded> {
    let bodies = one_of_each();
    let mut group = criterion.benchmark_group("webhooks_decode");
    // Shorter windows than the HTTP batches' (the sample size is the run's 20).
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_secs(1));
    let value = |body: &[u8]| serde_json::from_slice::<Value>(body).map(|v| v.is_object());
    let mut rows = Vec::new();
    for (kind, name, body) in &bodies {
        let codec = voiceport::codec(*kind).unwrap();
        // As the receiver decodes: the body held as `Bytes`, its vendor payloads sharing it
        // rather than copied.
        let body = &voiceport::Bytes::from(body.clone());
        let ours = |body: &voiceport::Bytes| {
            voiceport::sharing_body(body, || codec.decode_webhook(body))
                .map(|e| e.call_id.is_some())
        };
        // A delivery that stopped decoding would make the ratio meaningless.
        if let Err(error) = ours(body) {
            panic!("{name}: the bench delivery does not decode: {error}");
        }
        group.bench_function(format!("voiceport/{name}"), |b| b.iter(|| ours(body)));
        group.bench_function(format!("serde_json_value/{name}"), |b| {
            b.iter(|| value(body))
        });
        let ids = [
            format!("webhooks_decode/voiceport/{name}"),
            format!("webhooks_decode/serde_json_value/{name}"),
        ];
        if !timed_in_turns(&ids) {
            continue;
        }
        let time = |side: usize| {
            let start = Instant::now();
            for _ in 0..DECODE_REPEAT {
                let decoded = match side {
                    0 => ours(std::hint::black_box(body)).is_ok(),
                    _ => value(std::hint::black_box(body)).is_ok(),
                };
                std::hint::black_box(decoded);
            }
            start.elapsed().as_secs_f64()
        };
        let turns: Vec<[f64; 2]> = estimates::in_turns(DECODE_TURNS, time);
        let per_decode = |seconds: f64| seconds / DECODE_REPEAT as f64 * 1e9;
        rows.push(Decoded {
            name,
            bytes: body.len(),
            ours_ns: per_decode(estimates::median_of(&turns, |[ours, _]| *ours)),
            value_ns: per_decode(estimates::median_of(&turns, |[_, value]| *value)),
            ratio: estimates::median_of(&turns, |[ours, value]| value / ours),
        });
    }
    group.finish();
    rows
}

/// How many turns (a batch to each server) the in-turns measurement times.
const PAIRS: usize = 30;

/// Criterion's options that take a value (the value is not a filter), as criterion 0.8
/// declares them, short forms included (`--opt=value` is one argument).
const OPTIONS_WITH_VALUES: [&str; 20] = [
    "-c",
    "--color",
    "--colour",
    "-s",
    "-b",
    "--format",
    "--plotting-backend",
    "--output-format",
    "--measurement-time",
    "--warm-up-time",
    "--sample-size",
    "--save-baseline",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--profile-time",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--nresamples",
];

/// A mix's two criterion benchmarks: the receiver's and bare axum's.
fn mix_ids(mix: &str) -> [String; 2] {
    [
        format!("webhooks/receiver/{mix}"),
        format!("webhooks/bare_axum/{mix}"),
    ]
}

/// Whether the benchmarks `ids` are also timed in turns: when the filter selects them, and
/// criterion runs in benchmark mode (not `--test` or `--list`, where nothing is reported,
/// nor `--profile-time`, which profiles one side alone).
fn timed_in_turns(ids: &[String]) -> bool {
    estimates::benchmark_mode() && filter_matches(ids)
}

/// Whether the command line's filter (if any) selects one of the benchmarks `ids`. The
/// filter is read as a plain substring (criterion reads it as a regular expression: give
/// a plain name, such as `hr_end` or `receiver/mixed`, for the summaries to follow it).
fn filter_matches(ids: &[String]) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter = args.iter().enumerate().find_map(|(i, arg)| {
        let value_of_option = i
            .checked_sub(1)
            .and_then(|before| args.get(before))
            .is_some_and(|before| OPTIONS_WITH_VALUES.contains(&before.as_str()));
        (!arg.starts_with('-') && !value_of_option).then_some(arg)
    });
    // `--ignored` runs nothing; `--exact` selects by the whole name.
    let exact = args.iter().any(|arg| arg == "--exact");
    let selects = |id: &String, f: &String| match exact {
        true => id == f,
        false => id.contains(f.as_str()),
    };
    !args.iter().any(|arg| arg == "--ignored")
        && filter.is_none_or(|f| ids.iter().any(|id| selects(id, f)))
}
