//! In-memory state: one store of simulated calls per vendor, seeded deterministically.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};
use voiceport_core::Direction;

use crate::common::{read, write};
use crate::content::seed_with_tool;
use crate::faults::Faults;
use crate::rng::Rng;
use crate::sim::{Lifecycle, Outcome, Phase, SimCall, Timing};
use crate::vendor::{PerVendor, Vendor};
use crate::webhooks::Hooks;

/// The calls of one vendor, oldest first.
#[derive(Debug, Default)]
pub(crate) struct VendorStore {
    pub(crate) calls: Vec<SimCall>,
    index: HashMap<String, usize>,
    /// Calls created through the dial endpoint.
    pub(crate) dialed: usize,
}

impl VendorStore {
    pub(crate) fn insert(&mut self, call: SimCall) {
        self.index.insert(call.id.clone(), self.calls.len());
        self.calls.push(call);
    }

    pub(crate) fn get(&self, id: &str) -> Option<&SimCall> {
        self.index
            .get(id)
            .map(|&i| &self.calls[i])
            .filter(|c| !c.deleted)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut SimCall> {
        match self.index.get(id) {
            Some(&i) if !self.calls[i].deleted => Some(&mut self.calls[i]),
            _ => None,
        }
    }

    /// The calls that exist, newest first.
    pub(crate) fn newest_first(&self) -> impl Iterator<Item = &SimCall> {
        self.calls.iter().rev().filter(|c| !c.deleted)
    }

    pub(crate) fn len(&self) -> usize {
        self.calls.iter().filter(|c| !c.deleted).count()
    }
}

/// Everything the sandbox holds.
#[derive(Debug)]
pub(crate) struct State {
    /// One store per emulated vendor.
    stores: PerVendor<RwLock<VendorStore>>,
    pub(crate) timing: Timing,
    pub(crate) faults: Faults,
    /// Webhook targets and the record of deliveries.
    pub(crate) hooks: Hooks,
    seed: u64,
    /// Per vendor, how many notes were added: each note's id is drawn from its number.
    notes_added: PerVendor<AtomicU64>,
    /// The creation time of the last call dialed, in epoch milliseconds.
    last_dialed_ms: AtomicI64,
    /// `http://{address}` of the server, set once it listens: Vapi's calls carry URLs of
    /// their own (`monitor.controlUrl`) that point back at it.
    origin: OnceLock<String>,
}

impl State {
    pub(crate) fn new(seed: u64, histories: PerVendor<History>, timing: Timing) -> Self {
        let anchor: DateTime<Utc> = ANCHOR.parse().unwrap_or_default();
        let stores = PerVendor::from_fn(|vendor| {
            let mut store = VendorStore::default();
            for call in seed_calls(vendor, seed, histories[vendor], anchor) {
                store.insert(call);
            }
            RwLock::new(store)
        });
        State {
            stores,
            timing,
            faults: Faults::default(),
            hooks: Hooks::default(),
            seed,
            notes_added: PerVendor::from_fn(|_| AtomicU64::new(0)),
            last_dialed_ms: AtomicI64::new(i64::MIN),
            origin: OnceLock::new(),
        }
    }

    /// Records where the server listens (once).
    pub(crate) fn set_origin(&self, origin: String) {
        let _ = self.origin.set(origin);
    }

    /// `http://{address}` of the server (loopback before it listens, which no request sees).
    pub(crate) fn origin(&self) -> &str {
        self.origin.get().map_or("http://127.0.0.1", String::as_str)
    }

    /// The vendor's calls, to read.
    pub(crate) fn calls(&self, vendor: Vendor) -> RwLockReadGuard<'_, VendorStore> {
        read(&self.stores[vendor])
    }

    /// The vendor's calls, to change.
    pub(crate) fn calls_mut(&self, vendor: Vendor) -> RwLockWriteGuard<'_, VendorStore> {
        write(&self.stores[vendor])
    }

    /// A fresh id for a note, in the vendor's format: the seed's, the vendor's and the
    /// note's number (what the other vendors did does not move it).
    pub(crate) fn note_id(&self, vendor: Vendor) -> String {
        let n = self.notes_added[vendor].fetch_add(1, Ordering::Relaxed);
        vendor_id(
            vendor,
            &mut Rng::for_item(self.seed, stream(0x4E07, vendor), n),
        )
    }

    /// Now, to the millisecond as the vendors write their times, and later than every call
    /// dialed before: a time-keyed cursor (Rounded's, written to the millisecond) then
    /// never falls between two calls, or between two halves of one millisecond. Taken under
    /// the vendor's write lock ([`place_dialed`](Self::place_dialed)), so that the calls are
    /// stored in the order of their times.
    fn dial_time(&self) -> DateTime<Utc> {
        let now = Utc::now().timestamp_millis();
        let previous = self
            .last_dialed_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                Some(now.max(last.saturating_add(1)))
            })
            .unwrap_or(now);
        let at = now.max(previous.saturating_add(1));
        DateTime::from_timestamp_millis(at).unwrap_or_else(Utc::now)
    }

    /// Places a call through a dial endpoint: makes it, stores it (and counts the dial), and
    /// gives a copy of it as stored.
    pub(crate) fn place_dialed(&self, vendor: Vendor, request: DialSpec) -> SimCall {
        let mut store = self.calls_mut(vendor);
        // Made (its creation time taken) under the lock it is stored under: two dials at
        // once are then stored in the order of their times, and newest first by storage is
        // newest first by time, which the vendors' time-keyed paging relies on.
        let call = self.dialed_call(vendor, store.dialed as u64, request);
        store.insert(call.clone());
        store.dialed += 1;
        call
    }

    /// The `n`th call placed through the vendor's dial endpoint, starting its life now. Its
    /// id and conversation are drawn from the seed, the vendor and `n` alone: the same on
    /// every run, whatever was dialed or noted at other vendors before or meanwhile (a
    /// snapshot of a dialed call does not depend on the order tests run in). The first call
    /// (and every other one after it) talks through a tool call, the others not.
    fn dialed_call(&self, vendor: Vendor, n: u64, request: DialSpec) -> SimCall {
        let id = vendor_id(
            vendor,
            &mut Rng::for_item(self.seed, stream(0xD1A1, vendor), n),
        );
        let mut content = Rng::for_item(self.seed, stream(0xC0DE, vendor), n);
        let now = self.dial_time();
        SimCall {
            content_seed: seed_with_tool(&mut content, n.is_multiple_of(2)),
            id,
            direction: Direction::Outbound,
            web: false,
            from: request.from,
            number_id: request.number_id,
            to: Some(request.to.clone()),
            agent_id: (request.agent_id).unwrap_or_else(|| agent_id(vendor, 0).to_owned()),
            agent_name: AGENTS[0].1.to_owned(),
            use_case: request.use_case,
            campaign_id: request.campaign_id,
            created_at: now,
            scheduled_for: request.scheduled_for.filter(|at| *at > now),
            lifecycle: Lifecycle::Live {
                dialed: Instant::now(),
                outcome: capped(
                    outcome_for_number(&request.to),
                    request.max_talk,
                    &self.timing,
                ),
            },
            talk_secs: self.timing.talk.as_secs_f64(),
            ring_secs: self.timing.ringing.as_secs_f64(),
            max_talk: request.max_talk,
            forced: None,
            metadata: request.metadata,
            variables: request.variables,
            tags: Vec::new(),
            notes: Vec::new(),
            ratings: Vec::new(),
            viewed_by: Vec::new(),
            name: request.name,
            deleted: false,
        }
    }
}

/// The random stream `base` for `vendor`'s items: each vendor draws from its own.
fn stream(base: u64, vendor: Vendor) -> u64 {
    base ^ ((vendor as u64 + 1) << 32)
}

/// What a dial asked for, in vendor-neutral terms.
#[derive(Debug, Default)]
pub(crate) struct DialSpec {
    pub(crate) to: String,
    pub(crate) from: Option<String>,
    /// Vapi: the id of the number to call from (`phoneNumberId`), when the dial names one.
    pub(crate) number_id: Option<String>,
    pub(crate) agent_id: Option<String>,
    /// HappyRobot: the use case asked for.
    pub(crate) use_case: Option<String>,
    pub(crate) campaign_id: Option<String>,
    pub(crate) scheduled_for: Option<DateTime<Utc>>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) variables: Map<String, Value>,
    pub(crate) name: Option<String>,
    /// The longest the call may talk, when the dial says.
    pub(crate) max_talk: Option<Duration>,
}

/// How a dialed call with a maximum duration of `max_talk` ends: a conversation longer than
/// that is ended by it, as the vendor ends it.
fn capped(outcome: Outcome, max_talk: Option<Duration>, timing: &Timing) -> Outcome {
    let cut = max_talk.is_some_and(|max| max < timing.talk);
    match outcome.answered() && cut {
        true => Outcome::MaxDuration,
        false => outcome,
    }
}

/// How a dialed call ends, by the last digit of the number called: 0 no answer, 1 busy,
/// 2 voicemail, 3 failed, 4 ended by the agent, 5 transferred, 6 a conversation that lasts
/// until it is ended (else the maximum duration ends it), anything else a conversation the
/// customer ends.
pub(crate) fn outcome_for_number(number: &str) -> Outcome {
    match number.chars().last() {
        Some('0') => Outcome::NoAnswer,
        Some('1') => Outcome::Busy,
        Some('2') => Outcome::Voicemail,
        Some('3') => Outcome::Failed,
        Some('4') => Outcome::AgentEnded,
        Some('5') => Outcome::Transferred,
        Some('6') => Outcome::MaxDuration,
        _ => Outcome::CustomerEnded,
    }
}

/// Seeded history ends here, so that it reads the same on every day it is generated.
const ANCHOR: &str = "2026-11-01T00:00:00Z";

pub(crate) const AGENTS: [(&str, &str); 3] = [
    ("6650c0ffee0123456789ab01", "Kate"),
    ("6650c0ffee0123456789ab02", "Max"),
    ("6650c0ffee0123456789ab03", "Sam"),
];

/// The same three agents as Vapi assistants (UUIDs, Vapi's `assistantId` format).
pub(crate) const VAPI_ASSISTANTS: [&str; 3] = [
    "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e01",
    "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e02",
    "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e03",
];

/// The same three agents as Retell agents (`agent_` and 26 hex digits, as Retell's
/// examples show them).
pub(crate) const RETELL_AGENTS: [&str; 3] = [
    "agent_6b0e2d94c17a5f38e21d09c4a6",
    "agent_9d4f71a2e8c05b63f17a2e90d8",
    "agent_e2a85c3f0b719d46a85f2c1e37",
];

/// The numbers Rounded's and Retell's accounts own and dial from: a dial from any other
/// is refused, as both vendors refuse a `from_number` the account does not have.
pub(crate) const ROUNDED_FROM_NUMBER: &str = "+16285550142";
pub(crate) const RETELL_FROM_NUMBER: &str = "+16285550143";

/// The same three agents as Rounded agents (UUIDs, as Rounded's ids are); the first is
/// the one the sandbox's configuration dials with.
pub(crate) const ROUNDED_AGENTS: [&str; 3] = [
    "123e4567-e89b-12d3-a456-426614174002",
    "123e4567-e89b-12d3-a456-426614174003",
    "123e4567-e89b-12d3-a456-426614174004",
];

/// The id of agent `index` (of [`AGENTS`]) as `vendor` spells agent ids: a call listed by
/// an emulator names an agent its dial takes again.
pub(crate) fn agent_id(vendor: Vendor, index: usize) -> &'static str {
    let index = index % AGENTS.len();
    match vendor {
        Vendor::HappyRobot => AGENTS[index].0,
        Vendor::Voicebot | Vendor::Vapi => VAPI_ASSISTANTS[index],
        Vendor::Rounded => ROUNDED_AGENTS[index],
        Vendor::Retell => RETELL_AGENTS[index],
    }
}

/// Whether `id` names one of `vendor`'s agents (as [`agent_id`] spells them): what its
/// dial takes.
pub(crate) fn has_agent(vendor: Vendor, id: &str) -> bool {
    (0..AGENTS.len()).any(|index| agent_id(vendor, index) == id)
}

const TAGS: [&str; 5] = ["vip", "renewal", "follow-up", "spanish", "escalated"];

fn vendor_id(vendor: Vendor, rng: &mut Rng) -> String {
    match vendor {
        Vendor::HappyRobot => rng.hex(24),
        Vendor::Voicebot | Vendor::Rounded | Vendor::Vapi => rng.uuid(),
        // Retell's ids are opaque; its examples show `call_` and 28 hex digits.
        Vendor::Retell => format!("call_{}", rng.hex(28)),
    }
}

fn phone(rng: &mut Rng) -> String {
    format!("+1415555{:04}", rng.below(10_000))
}

/// What a vendor's seeded history holds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct History {
    /// How many calls.
    pub(crate) count: usize,
    /// How many calls in a row share one creation millisecond (1: none do).
    pub(crate) burst: usize,
}

impl Default for History {
    fn default() -> Self {
        History {
            count: 200,
            burst: 1,
        }
    }
}

/// `history.count` calls spread over the 90 days before `anchor`, oldest first; each run of
/// `history.burst` calls created in the millisecond of the run's first.
fn seed_calls(vendor: Vendor, seed: u64, history: History, anchor: DateTime<Utc>) -> Vec<SimCall> {
    let span_ms = 90 * 24 * 3600 * 1000i64;
    let step = span_ms / (history.count.max(1) as i64);
    let burst = history.burst.max(1);
    let item_rng = |i: usize| Rng::for_item(seed, vendor as u64 + 1, i as u64);
    // The first draw of a call's stream places it.
    let placed = |i: usize, rng: &mut Rng| {
        let jitter = rng.below(step.max(1) as u64) as i64;
        anchor - TimeDelta::milliseconds(span_ms)
            + TimeDelta::milliseconds(step * i as i64 + jitter)
    };
    (0..history.count)
        .map(|i| {
            let mut rng = item_rng(i);
            // Drawn by every call, so that the rest of its stream is the same in a burst.
            let own_place = placed(i, &mut rng);
            let first = i - i % burst;
            let created_at = match first == i {
                true => own_place,
                false => placed(first, &mut item_rng(first)),
            };
            let roll = rng.below(100);
            let phase = match roll {
                0..=39 => Phase::Ended(Outcome::CustomerEnded),
                40..=59 => Phase::Ended(Outcome::AgentEnded),
                60..=63 => Phase::Ended(Outcome::Transferred),
                64..=65 => Phase::Ended(Outcome::Silence),
                66..=67 => Phase::Ended(Outcome::MaxDuration),
                68..=75 => Phase::Ended(Outcome::NoAnswer),
                76..=80 => Phase::Ended(Outcome::Busy),
                81..=86 => Phase::Ended(Outcome::Voicemail),
                87..=90 => Phase::Ended(Outcome::Failed),
                91..=93 => Phase::Canceled,
                94..=96 => Phase::Scheduled,
                97 => Phase::Queued,
                _ => Phase::InProgress,
            };
            let direction = if rng.below(10) < 6 {
                Direction::Outbound
            } else {
                Direction::Inbound
            };
            let web = rng.below(10) == 0;
            let customer = phone(&mut rng);
            let ours = format!("+1628555{:04}", rng.below(10_000));
            let (from, to) = match (web, direction) {
                (true, _) => (None, None),
                (false, Direction::Outbound) => (Some(ours), Some(customer)),
                (false, Direction::Inbound) => (Some(customer), Some(ours)),
            };
            // As `rng.pick(&AGENTS)`, keeping the index for the vendor's spelling.
            let agent_index = rng.below(AGENTS.len() as u64) as usize;
            let agent = AGENTS[agent_index];
            let mut tags = Vec::new();
            if rng.below(3) == 0 {
                tags.push((*rng.pick(&TAGS)).to_owned());
            }
            let mut metadata = Map::new();
            if rng.below(2) == 0 {
                metadata.insert(
                    "crm_id".into(),
                    json!(format!("CRM-{}", 10_000 + rng.below(90_000))),
                );
            }
            SimCall {
                id: vendor_id(vendor, &mut rng),
                direction,
                web,
                from,
                number_id: None,
                to,
                agent_id: agent_id(vendor, agent_index).to_owned(),
                agent_name: agent.1.to_owned(),
                use_case: None,
                campaign_id: (rng.below(4) == 0).then(|| format!("camp-{}", 1 + rng.below(3))),
                scheduled_for: (phase == Phase::Scheduled)
                    .then(|| anchor + TimeDelta::days(1 + rng.below(14) as i64)),
                created_at,
                lifecycle: Lifecycle::Fixed(phase),
                talk_secs: 20.0 + rng.below(400) as f64 + rng.below(100) as f64 / 100.0,
                ring_secs: 3.0 + rng.below(20) as f64,
                max_talk: None,
                forced: None,
                metadata,
                variables: Map::new(),
                tags,
                notes: Vec::new(),
                ratings: Vec::new(),
                viewed_by: Vec::new(),
                name: None,
                content_seed: rng.next_u64(),
                deleted: false,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_dial_outcomes_are_the_emulators() {
        use crate::sim::Outcome;
        let label = |outcome: Outcome| match outcome {
            Outcome::NoAnswer => "no answer",
            Outcome::Busy => "busy",
            Outcome::Voicemail => "voicemail",
            Outcome::Failed => "failed",
            Outcome::AgentEnded => "completed: the agent ends the conversation",
            Outcome::Transferred => "transferred",
            Outcome::CustomerEnded => "completed: the customer ends the conversation",
            Outcome::MaxDuration => {
                "in progress until ended through the API, else by the maximum duration (the dial's, or 10 minutes)"
            }
            other => panic!("no dial ends as {other:?}"),
        };
        for digit in '0'..='9' {
            let printed = crate::DIAL_OUTCOMES
                .iter()
                .find(|(digits, _)| digits.contains(digit) || (*digits == "7-9" && digit >= '7'))
                .map(|(_, what)| *what);
            let number = format!("+1415555018{digit}");
            assert_eq!(
                printed,
                Some(label(outcome_for_number(&number))),
                "{number}"
            );
        }
    }

    fn history(count: usize) -> History {
        History { count, burst: 1 }
    }

    /// A dial's maximum duration ends the call as the vendor would: a call that lasts until
    /// it is ended talks that long (not the 10 minutes), and a conversation longer than
    /// the maximum is cut by it, with the maximum duration as its end.
    #[test]
    fn a_dial_s_maximum_duration_ends_the_call() {
        let timing = Timing {
            talk: Duration::from_secs(120),
            ..Timing::default()
        };
        let state = State::new(7, PerVendor::from_fn(|_| history(0)), timing);
        let ended = |to: &str, max_talk: Option<Duration>| {
            let spec = DialSpec {
                to: to.into(),
                max_talk,
                ..DialSpec::default()
            };
            let call = state.place_dialed(Vendor::Vapi, spec);
            let Lifecycle::Live { dialed, .. } = call.lifecycle else {
                panic!("not live")
            };
            let view = call.view(dialed + Duration::from_secs(3_600), &state.timing);
            (view.phase, view.duration_secs)
        };
        let minute = Some(Duration::from_secs(60));
        let max = Phase::Ended(Outcome::MaxDuration);
        assert_eq!(ended("+14155550186", minute), (max, Some(60.0)));
        assert_eq!(ended("+14155550186", None).1, Some(600.0));
        assert_eq!(ended("+14155550187", minute), (max, Some(60.0)));
        let longer = Some(Duration::from_secs(300));
        let customer_ended = Phase::Ended(Outcome::CustomerEnded);
        assert_eq!(ended("+14155550187", longer), (customer_ended, Some(120.0)));
        // Nobody answered: nothing to cut.
        assert_eq!(ended("+14155550181", minute).0, Phase::Ended(Outcome::Busy));
    }

    /// A dialed call's id and conversation depend on the seed, the vendor and how many
    /// calls that vendor placed before, not on what happened at the others: a snapshot of
    /// a Vapi call is the same whether a HappyRobot call was dialed and noted first or not.
    #[test]
    fn a_dialed_call_is_drawn_from_its_own_vendor_s_stream() {
        let state = || State::new(7, PerVendor::from_fn(|_| history(0)), Timing::default());
        let dial = |state: &State, vendor| {
            let to = "+14155550187".to_owned();
            let call = state.place_dialed(
                vendor,
                DialSpec {
                    to,
                    ..DialSpec::default()
                },
            );
            (call.id, call.content_seed)
        };
        let alone = state();
        let first = dial(&alone, Vendor::Vapi);
        let second = dial(&alone, Vendor::Vapi);
        let busy = state();
        dial(&busy, Vendor::HappyRobot);
        busy.note_id(Vendor::HappyRobot);
        dial(&busy, Vendor::Voicebot);
        assert_eq!(dial(&busy, Vendor::Vapi), first);
        assert_eq!(dial(&busy, Vendor::Vapi), second);
        assert_ne!(first, second);
        // The first talks through a tool call, the second not.
        let tool = |seed| {
            crate::content::conversation(seed, 60.0)
                .lines
                .iter()
                .any(|l| l.tool.is_some())
        };
        assert_eq!((tool(first.1), tool(second.1)), (true, false));
        // Each vendor its own stream: Voicebot Studio's first call (a UUID too) is not Vapi's.
        assert_ne!(dial(&state(), Vendor::Voicebot).0, first.0);
    }

    /// Bursts share their first call's millisecond and change nothing else: the same ids,
    /// outcomes and numbers, and every other call where it was.
    #[test]
    fn a_burst_shares_one_creation_time() {
        let anchor: DateTime<Utc> = ANCHOR.parse().unwrap();
        let alone = seed_calls(Vendor::Vapi, 7, history(20), anchor);
        let bursts = seed_calls(
            Vendor::Vapi,
            7,
            History {
                count: 20,
                burst: 6,
            },
            anchor,
        );
        for (i, (one, other)) in alone.iter().zip(&bursts).enumerate() {
            let first = i - i % 6;
            assert_eq!(other.created_at, alone[first].created_at, "call {i}");
            assert_eq!(
                (&one.id, &one.to, one.direction),
                (&other.id, &other.to, other.direction)
            );
        }
        let times: std::collections::BTreeSet<_> = bursts.iter().map(|c| c.created_at).collect();
        assert_eq!(times.len(), 4);
    }

    #[test]
    fn seeding_is_deterministic_and_ordered() {
        let anchor: DateTime<Utc> = ANCHOR.parse().unwrap();
        let a = seed_calls(Vendor::HappyRobot, 7, history(500), anchor);
        let b = seed_calls(Vendor::HappyRobot, 7, history(500), anchor);
        assert_eq!(
            a.iter().map(|c| &c.id).collect::<Vec<_>>(),
            b.iter().map(|c| &c.id).collect::<Vec<_>>()
        );
        assert!(a.windows(2).all(|w| w[0].created_at < w[1].created_at));
        let ids: std::collections::HashSet<&String> = a.iter().map(|c| &c.id).collect();
        assert_eq!(ids.len(), 500);
        assert!(a.iter().all(|c| c.id.len() == 24));
        let c = seed_calls(Vendor::Rounded, 7, history(3), anchor);
        assert!(c.iter().all(|c| c.id.len() == 36));
        let v = seed_calls(Vendor::Vapi, 7, history(20), anchor);
        assert!(v.iter().all(|c| c.id.len() == 36));
        assert!(
            v.iter()
                .all(|c| VAPI_ASSISTANTS.contains(&c.agent_id.as_str()))
        );
        let r = seed_calls(Vendor::Retell, 7, history(20), anchor);
        assert!(
            r.iter()
                .all(|c| c.id.len() == 33 && c.id.starts_with("call_"))
        );
        assert!(
            r.iter()
                .all(|c| RETELL_AGENTS.contains(&c.agent_id.as_str()))
        );
    }

    /// Dials from many threads at once, then a walk of the list by creation time, a few
    /// calls a page, as Vapi's `createdAtLt` paging walks it: every call once, newest
    /// first. A dial that took its time outside the store's lock could be stored after a
    /// later one, and a page boundary between the two would skip it.
    #[test]
    fn concurrent_dials_are_walked_by_time_each_once_newest_first() {
        const THREADS: usize = 4;
        const DIALS: usize = 300;
        // No seeded history: its times are fixed, whatever the clock says.
        let state = State::new(
            5,
            PerVendor::from_fn(|_| History { count: 0, burst: 1 }),
            Timing::default(),
        );
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for _ in 0..DIALS {
                        let spec = DialSpec {
                            to: "+14155550199".into(),
                            ..DialSpec::default()
                        };
                        state.place_dialed(Vendor::Vapi, spec);
                    }
                });
            }
        });
        let store = state.calls(Vendor::Vapi);
        let mut walked: Vec<(String, DateTime<Utc>)> = Vec::new();
        let mut before: Option<DateTime<Utc>> = None;
        loop {
            let page: Vec<(String, DateTime<Utc>)> = store
                .newest_first()
                .filter(|c| before.is_none_or(|t| c.created_at < t))
                .take(3)
                .map(|c| (c.id.clone(), c.created_at))
                .collect();
            let Some(last) = page.last() else { break };
            before = Some(last.1);
            walked.extend(page);
        }
        assert_eq!(walked.len(), THREADS * DIALS);
        assert!(walked.windows(2).all(|w| w[0].1 > w[1].1), "out of order");
        let ids: std::collections::HashSet<&String> = walked.iter().map(|(id, _)| id).collect();
        assert_eq!(ids.len(), walked.len());
        assert_eq!(store.dialed, THREADS * DIALS);
    }

    /// One call of each of the first three vendors' seeded histories (seed 42), as the
    /// sandbox generated them before Vapi and Retell were added (the agent ids since
    /// spelt as each vendor spells them: Voicebot Studio's and Rounded's are UUIDs).
    const PINNED: [&str; 3] = [
        "50ce6d95bea8a37cfc82819b 6650c0ffee0123456789ab01 2026-08-11T01:05:35.913Z",
        "54e1ec2a-ebd8-45b4-a5ef-16384b48d0a7 7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e02 2026-08-10T23:12:38.580Z",
        "b05e5c9d-bad5-4e9e-abc8-b384e585b28f 123e4567-e89b-12d3-a456-426614174002 2026-08-11T00:56:46.630Z",
    ];

    /// The first three vendors' histories, pinned: a vendor added later must not move them
    /// (its seed stream is its own number).
    #[test]
    fn the_first_three_histories_do_not_move() {
        let anchor: DateTime<Utc> = ANCHOR.parse().unwrap();
        let first = |vendor| {
            let calls = seed_calls(vendor, 42, History::default(), anchor);
            let call = &calls[17];
            format!(
                "{} {} {}",
                call.id,
                call.agent_id,
                crate::common::iso(call.created_at)
            )
        };
        assert_eq!(first(Vendor::HappyRobot), PINNED[0]);
        assert_eq!(first(Vendor::Voicebot), PINNED[1]);
        assert_eq!(first(Vendor::Rounded), PINNED[2]);
    }
}
