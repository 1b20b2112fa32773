//! The decoder fuzz run: at least 100,000 generated inputs per decoder of every vendor's
//! codec (the codecs `voiceport normalize` and the clients use), outside the normal test
//! run. Run it with:
//!
//! ```sh
//! cargo test --release -p voiceport-cli --test fuzz -- --ignored --nocapture
//! ```
//!
//! `VOICEPORT_FUZZ_CASES` sets the inputs per vendor (default 100,000) and
//! `VOICEPORT_FUZZ_SEED` the seed (default 2026), so a failure can be replayed.
//!
//! Inputs come from `voiceport_core::testing`: every fixture of the vendor and thousands of
//! mutants of each (nodes replaced with arbitrary JSON — numbers of every class: negative,
//! fractional, epoch seconds and milliseconds, ±1e15 to ±1e307, tiny and subnormal, `-0.0`,
//! the `i64` and `u64` limits (a JSON value holds no non-finite number); impossible dates,
//! control characters — removed or emptied, the structure around them kept so they reach
//! deep into the mappers), arbitrary JSON planted where the vendors' decoders look, random
//! bytes and near-misses, and truncated bodies. Every input goes to every decoder: call,
//! page (with and without filters), transcript, webhook, dial, ack, and whatever `detect`
//! picks.
//!
//! What must hold, whatever the input:
//! - no panic;
//! - an error names this vendor, and a decode error says where (a JSON path);
//! - a decoded call is this vendor's and serializes;
//! - no impossible value is accepted silently: a duration or cost is finite and not
//!   negative, a call does not end before it starts, an id it names is not blank, and a
//!   blank call id comes with a warning (the mappings drop such values with the core
//!   helpers `read_amount`, `read_id` and `check_call`). The run goes on past such a
//!   finding, then prints each kind of problem (a count, the first input) and fails.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use serde_json::{Value, json};
use voiceport::{Call, CallEvent, CallQuery, CallStatus, Codec, Direction, Error, ProviderKind};
use voiceport_core::testing::corpus;

/// Every vendor the fuzz run covers.
const VENDORS: [ProviderKind; 5] = [
    ProviderKind::HappyRobot,
    ProviderKind::Rounded,
    ProviderKind::Voicebot,
    ProviderKind::Vapi,
    ProviderKind::Retell,
];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one vendor's run found that breaks the impossible-value rule: how many inputs,
/// and per kind of problem a count and the first example (with its input).
#[derive(Default)]
struct Findings {
    cases: u64,
    kinds: std::collections::BTreeMap<String, (u64, String)>,
}

impl Findings {
    /// Notes that the input `body` (described by `what`) was accepted with `problem`.
    fn note(&mut self, what: &str, problem: &str, body: &[u8]) {
        // `cost.total -132726` → kind `cost.total`; `a blank call id …` → itself.
        let kind = match problem.split_once(' ') {
            Some((head, _)) if !head.starts_with('a') => head.to_owned(),
            _ => problem.to_owned(),
        };
        let entry = self.kinds.entry(kind).or_insert_with(|| {
            let input = String::from_utf8_lossy(body);
            (0, format!("{what}: {problem}\n    input: {input}"))
        });
        entry.0 += 1;
    }

    /// How many inputs were accepted with an impossible value.
    fn accepted(&self) -> u64 {
        self.kinds.values().map(|(n, _)| n).sum()
    }

    /// Each kind of problem: its count and first example, a line each.
    fn summary(&self) -> String {
        (self.kinds.iter())
            .map(|(problem, (count, example))| format!("  {problem}: {count} (first: {example})\n"))
            .collect()
    }
}

/// Why `call` holds an impossible value, if it does.
fn impossible(call: &Call) -> Option<String> {
    let bad_amount = |v: f64| !v.is_finite() || v < 0.0;
    if let Some(d) = call.duration_secs.filter(|d| bad_amount(*d)) {
        return Some(format!("duration_secs {d}"));
    }
    if let Some(cost) = &call.cost {
        if let Some(t) = cost.total.filter(|t| bad_amount(*t)) {
            return Some(format!("cost.total {t}"));
        }
        if let Some(item) = cost.breakdown.iter().find(|i| bad_amount(i.amount)) {
            return Some(format!("cost {} {}", item.component, item.amount));
        }
    }
    if let (Some(start), Some(end)) = (call.started_at, call.ended_at)
        && end < start
    {
        return Some(format!("ended_at {end} before started_at {start}"));
    }
    if call.id.as_str().trim().is_empty() && call.warnings.is_empty() {
        return Some("a blank call id without a warning".into());
    }
    let blank = |id: Option<&str>| id.is_some_and(|id| id.trim().is_empty());
    let ids = [
        (
            "parent_call_id",
            call.parent_call_id.as_ref().map(|i| i.as_str()),
        ),
        ("campaign_id", call.campaign_id.as_ref().map(|i| i.as_str())),
        (
            "organization_id",
            call.organization_id.as_ref().map(|i| i.as_str()),
        ),
        (
            "agent.id",
            call.agent
                .as_ref()
                .and_then(|a| a.id.as_ref())
                .map(|i| i.as_str()),
        ),
    ];
    if let Some((field, _)) = ids.iter().find(|(_, id)| blank(*id)) {
        return Some(format!("a blank {field}"));
    }
    None
}

struct Run {
    kind: ProviderKind,
    codec: &'static dyn Codec,
    queries: Vec<CallQuery>,
    findings: Findings,
    /// The first impossible value a decoder accepted from the current input.
    problem: Option<String>,
}

impl Run {
    fn error(&self, err: &Error, what: &str) {
        assert_eq!(err.provider(), Some(self.kind), "{what}: {err:?}");
        if let Error::Decode { path, .. } = err {
            assert!(!path.is_empty(), "{what}: a decode error without a path");
        }
        // Displaying an error never panics either.
        let _ = err.to_string();
    }

    fn call(&mut self, call: &Call, what: &str) {
        assert_eq!(call.provider, self.kind, "{what}");
        assert!(
            serde_json::to_string(call).is_ok(),
            "{what}: does not serialize"
        );
        // One finding per input, however many decoders accepted it.
        if self.problem.is_none() {
            self.problem = impossible(call);
        }
    }

    fn event(&mut self, event: &CallEvent, what: &str) {
        assert!(
            serde_json::to_string(event).is_ok(),
            "{what}: does not serialize"
        );
        if let Some(call) = event.call() {
            self.call(call, what);
        }
    }

    /// Every decoder on `body`.
    fn feed(&mut self, body: &[u8], what: &str) {
        self.findings.cases += 1;
        self.problem = None;
        let codec = self.codec;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            match codec.decode_call(body) {
                Ok(call) => self.call(&call, what),
                Err(err) => self.error(&err, what),
            }
            for query in self.queries.clone() {
                match codec.decode_page(body, &query) {
                    Ok(page) => page.calls.iter().for_each(|c| self.call(c, what)),
                    Err(err) => self.error(&err, what),
                }
            }
            if let Err(err) = codec.decode_transcript(body) {
                self.error(&err, what);
            }
            match codec.decode_webhook(body) {
                Ok(event) => self.event(&event, what),
                Err(err) => self.error(&err, what),
            }
            match codec.decode_dial(body) {
                Ok(outcome) => outcome.call.iter().for_each(|c| self.call(c, what)),
                Err(err) => self.error(&err, what),
            }
            if let Err(err) = codec.decode_ack(body) {
                self.error(&err, what);
            }
            if let Err(err) = codec.decode(codec.detect(body), body) {
                self.error(&err, what);
            }
        }));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!(
                "{} {what}: {message}\ninput: {}",
                self.kind,
                String::from_utf8_lossy(body)
            );
        }
        if let Some(problem) = self.problem.take() {
            self.findings.note(what, &problem, body);
        }
    }
}

/// Where the vendors' decoders look, for an arbitrary `value`: call fields under the
/// names the vendors use, list items, and webhook envelopes.
fn shapes(value: &Value) -> Vec<Value> {
    let call = json!({
        "id": "c1", "call_id": "c1", "status": value, "duration": value,
        "duration_seconds": value, "duration_ms": value, "cost": value,
        "costs": {"total_costs": value}, "started": value, "start_time": value,
        "end_time": value, "startedAt": value, "endedAt": value, "createdAt": value,
        "start_timestamp": value, "end_timestamp": value, "agent_id": value,
        "parent_call_id": value, "metadata": value, "transcript": value, "messages": value
    });
    vec![
        call.clone(),
        json!({"id": value, "call_id": value, "status": "completed"}),
        json!({"data": [call.clone(), value], "calls": [call.clone()], "results": [value],
               "next_cursor": value, "count": value}),
        json!({"data": call.clone(), "status": 200}),
        json!({"message": {"type": "end-of-call-report", "call": call.clone(),
                           "endedReason": value, "artifact": value}}),
        json!({"event": value, "type": "call_ended", "call": call.clone(), "data": call}),
    ]
}

fn fixtures_dir(kind: ProviderKind) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures")).join(kind.as_str())
}

fn fuzz(kind: ProviderKind) {
    let target = env_number("VOICEPORT_FUZZ_CASES", 100_000);
    let seed = env_number("VOICEPORT_FUZZ_SEED", 2026);
    let codec = voiceport::codec(kind).expect("the codec is built in");
    let fixtures = corpus::fixture_files(&fixtures_dir(kind));
    assert!(!fixtures.is_empty(), "{kind}: no fixtures");
    let mut run = Run {
        kind,
        codec,
        queries: vec![
            CallQuery::default(),
            CallQuery {
                direction: Some(Direction::Outbound),
                statuses: vec![CallStatus::Completed, CallStatus::NoAnswer],
                since: "2026-01-01T00:00:00Z".parse().ok(),
                page_size: Some(3),
                ..CallQuery::default()
            },
        ],
        findings: Findings::default(),
        problem: None,
    };
    // Most of the budget on mutants (they reach deepest), then the rest.
    let per_fixture = (target as usize * 7 / 10).div_ceil(fixtures.len());
    corpus::each_mutant(&fixtures, seed, per_fixture, |body, what| {
        run.feed(body, what)
    });
    let arbitrary = (target as usize / 10).div_ceil(1 + shapes(&Value::Null).len());
    corpus::each_arbitrary(seed, arbitrary, shapes, |body, what| run.feed(body, what));
    corpus::each_truncation(&fixtures, |body, what| run.feed(body, what));
    let mut round = 0;
    while run.findings.cases < target {
        corpus::each_garbage(seed.wrapping_add(round), 5_000, |body, what| {
            run.feed(body, what)
        });
        round += 1;
    }
    let findings = &run.findings;
    let accepted = findings.accepted();
    eprintln!(
        "{kind}: {} inputs (seed {seed}), each through every decoder; {accepted} accepted an impossible value",
        findings.cases
    );
    eprint!("{}", findings.summary());
    assert!(findings.cases >= target);
    assert_eq!(
        accepted,
        0,
        "{kind}: inputs accepted with an impossible value, not dropped with a warning:\n{}",
        findings.summary()
    );
}

#[test]
#[ignore = "a long fuzz run: see the module docs for the command"]
fn fuzz_happyrobot() {
    fuzz(ProviderKind::HappyRobot);
}

#[test]
#[ignore = "a long fuzz run: see the module docs for the command"]
fn fuzz_rounded() {
    fuzz(ProviderKind::Rounded);
}

#[test]
#[ignore = "a long fuzz run: see the module docs for the command"]
fn fuzz_voicebot() {
    fuzz(ProviderKind::Voicebot);
}

#[test]
#[ignore = "a long fuzz run: see the module docs for the command"]
fn fuzz_vapi() {
    fuzz(ProviderKind::Vapi);
}

#[test]
#[ignore = "a long fuzz run: see the module docs for the command"]
fn fuzz_retell() {
    fuzz(ProviderKind::Retell);
}

/// A small run in the normal test suite, so the harness itself cannot rot.
#[test]
fn the_fuzz_harness_runs() {
    for kind in VENDORS {
        let codec = voiceport::codec(kind).unwrap();
        let fixtures = corpus::fixture_files_at_least(&fixtures_dir(kind), 5);
        let mut run = Run {
            kind,
            codec,
            queries: vec![CallQuery::default()],
            findings: Findings::default(),
            problem: None,
        };
        corpus::each_mutant(&fixtures, 7, 5, |body, what| run.feed(body, what));
        corpus::each_arbitrary(7, 20, shapes, |body, what| run.feed(body, what));
        corpus::each_garbage(7, 20, |body, what| run.feed(body, what));
        assert!(run.findings.cases > 100);
        let summary = run.findings.summary();
        assert_eq!(run.findings.accepted(), 0, "{kind}:\n{summary}");
    }
    let mut call = Call::new(voiceport::CallId::new("c1"), ProviderKind::Rounded);
    assert_eq!(impossible(&call), None);
    call.duration_secs = Some(-1.0);
    assert!(impossible(&call).is_some());
    // A finding is counted once per input, by kind, with the input that showed it.
    let mut findings = Findings::default();
    findings.note("a.json mutant 1", "cost.total -1", b"{\"cost\": -1}");
    findings.note("a.json mutant 2", "cost.total -2", b"{}");
    findings.note(
        "a.json mutant 3",
        "a blank call id without a warning",
        b"{}",
    );
    assert_eq!(findings.accepted(), 3);
    let summary = findings.summary();
    assert!(
        summary.contains(
            "  cost.total: 2 (first: a.json mutant 1: cost.total -1\n    input: {\"cost\": -1})"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("  a blank call id without a warning: 1"),
        "{summary}"
    );
}
