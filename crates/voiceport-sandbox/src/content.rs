//! What seeded and dialed calls say: deterministic conversations, summaries, extracted data
//! and costs, derived from a per-call seed.

use serde_json::{Map, Value, json};

use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    Agent,
    Customer,
    ToolCall,
    ToolResult,
}

#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub(crate) who: Who,
    pub(crate) text: String,
    pub(crate) start: f64,
    pub(crate) end: f64,
    /// For tool lines: the tool's name and the call id linking call and result.
    pub(crate) tool: Option<(&'static str, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Conversation {
    /// The agent's prompt (the system message), naming the agent who speaks.
    pub(crate) prompt: &'static str,
    pub(crate) lines: Vec<Line>,
    pub(crate) summary: String,
    pub(crate) extracted: Map<String, Value>,
    pub(crate) classification: (&'static str, &'static str),
    pub(crate) success: bool,
}

struct Script {
    /// The agent's prompt, naming the agent its first line introduces.
    prompt: &'static str,
    lines: &'static [(Who, &'static str)],
    tool: &'static str,
    tool_args: &'static str,
    tool_result: &'static str,
    summary: &'static str,
    classification: (&'static str, &'static str),
}

const SCRIPTS: [Script; 3] = [
    Script {
        prompt: "You are Kate, a friendly phone agent for Northwind Dental.",
        lines: &[
            (
                Who::Agent,
                "Hi, this is Kate from Northwind Dental, calling about your appointment tomorrow at 10 am.",
            ),
            (Who::Customer, "Oh right, thanks for the reminder."),
            (Who::Agent, "Can you confirm you'll be able to make it?"),
            (
                Who::Customer,
                "Actually, could we move it to the afternoon?",
            ),
            (
                Who::Agent,
                "I have 2:30 pm or 4 pm available. Which works better?",
            ),
            (Who::Customer, "2:30 is great."),
            (
                Who::Agent,
                "Done, you're booked for 2:30 pm tomorrow. Anything else?",
            ),
            (Who::Customer, "No, that's all. Bye."),
        ],
        tool: "reschedule_appointment",
        tool_args: r#"{"slot":"14:30"}"#,
        tool_result: r#"{"ok":true}"#,
        summary: "The patient confirmed and moved tomorrow's appointment from 10:00 to 14:30.",
        classification: (
            "rescheduled",
            "The customer asked for a later slot and accepted 2:30 pm.",
        ),
    },
    Script {
        prompt: "You are Max, a friendly phone agent for Acme Logistics.",
        lines: &[
            (
                Who::Agent,
                "Hello, this is Max from Acme Logistics about load 48213 from Dallas to Atlanta.",
            ),
            (Who::Customer, "Yes, I saw it. What's the rate?"),
            (
                Who::Agent,
                "We're offering 1,850 dollars, pickup Thursday morning.",
            ),
            (Who::Customer, "Can you do 2,000?"),
            (Who::Agent, "I can go to 1,925 if you can confirm today."),
            (Who::Customer, "Deal, book it under Blue Ridge Freight."),
            (
                Who::Agent,
                "Booked. You'll get the rate confirmation by email.",
            ),
        ],
        tool: "book_load",
        tool_args: r#"{"load_id":"48213","rate":1925}"#,
        tool_result: r#"{"booking":"BK-77120"}"#,
        summary: "The carrier booked load 48213 at $1,925 after negotiating from $1,850.",
        classification: (
            "booked",
            "Rate agreed at 1,925 and the carrier confirmed the booking.",
        ),
    },
    Script {
        prompt: "You are Sam, a friendly phone agent for Contoso Store.",
        lines: &[
            (
                Who::Agent,
                "Hi, I'm Sam from Contoso Store. I'm calling about order ORD-7781.",
            ),
            (Who::Customer, "Is it delayed again?"),
            (Who::Agent, "It ships today and should arrive on Friday."),
            (Who::Customer, "Okay, can you send me the tracking number?"),
            (Who::Agent, "Sure, I've texted it to this number."),
            (Who::Customer, "Got it, thanks."),
        ],
        tool: "send_tracking_sms",
        tool_args: r#"{"order_id":"ORD-7781"}"#,
        tool_result: r#"{"sent":true}"#,
        summary: "The customer was told order ORD-7781 ships today and received the tracking number by SMS.",
        classification: ("informed", "The customer acknowledged the delivery date."),
    },
];

/// Which of [`SCRIPTS`] a conversation follows, and whether the agent calls its tool;
/// `rng` left to draw the rest.
fn script_and_tool(rng: &mut Rng) -> (usize, bool) {
    let index = rng.below(SCRIPTS.len() as u64) as usize;
    (index, rng.below(2) == 0)
}

/// A conversation seed, drawn from `rng`, whose agent calls its tool (`with_tool`) or not:
/// dialed calls take turns, so that a test (or the demo) that dials once sees a tool call.
pub(crate) fn seed_with_tool(rng: &mut Rng, with_tool: bool) -> u64 {
    loop {
        let seed = rng.next_u64();
        if script_and_tool(&mut Rng::new(seed)).1 == with_tool {
            return seed;
        }
    }
}

/// The conversation of a call whose talk lasted `talk_secs`: every line within it, however
/// short (a dialed sandbox call talks for half a second by default).
pub(crate) fn conversation(seed: u64, talk_secs: f64) -> Conversation {
    let mut rng = Rng::new(seed);
    let (index, with_tool) = script_and_tool(&mut rng);
    let script = &SCRIPTS[index];
    let turns = script.lines.len() + if with_tool { 2 } else { 0 };
    let span = talk_secs.max(0.0);
    let slot = span / turns as f64;
    // Times are given to the hundredth, and none past the end: one rounded up past it is
    // the end itself (which may fall between hundredths).
    let time = |seconds: f64| round(seconds).min(span);
    let mut lines = Vec::with_capacity(turns);
    let mut at = 0.0;
    let tool_id = format!("call_{}", rng.hex(12));
    for (position, (who, text)) in script.lines.iter().enumerate() {
        let length = slot * (0.6 + 0.3 * rng.unit());
        lines.push(Line {
            who: *who,
            text: (*text).to_owned(),
            start: time(at),
            end: time(at + length),
            tool: None,
        });
        at += slot;
        if with_tool && position == script.lines.len() / 2 {
            lines.push(Line {
                who: Who::ToolCall,
                text: script.tool_args.to_owned(),
                start: time(at),
                end: time(at + slot * 0.1),
                tool: Some((script.tool, tool_id.clone())),
            });
            lines.push(Line {
                who: Who::ToolResult,
                text: script.tool_result.to_owned(),
                // Within the two slots the tool takes, however short the call.
                start: time(at + slot * 0.4),
                end: time(at + slot * 0.5),
                tool: Some((script.tool, tool_id.clone())),
            });
            at += slot * 2.0;
        }
    }
    let extracted = match index {
        0 => json!({"confirmed": true, "new_time": "14:30"}),
        1 => json!({"load_id": "48213", "agreed_rate": 1925, "carrier": "Blue Ridge Freight"}),
        _ => json!({"order_id": "ORD-7781", "tracking_sent": true}),
    };
    Conversation {
        prompt: script.prompt,
        lines,
        summary: script.summary.to_owned(),
        extracted: match extracted {
            Value::Object(map) => map,
            _ => Map::new(),
        },
        classification: script.classification,
        success: rng.below(5) != 0,
    }
}

fn round(seconds: f64) -> f64 {
    (seconds * 100.0).round() / 100.0
}

/// The whole conversation as `Agent: …` / `User: …` lines.
pub(crate) fn transcript_text(lines: &[Line], agent: &str, user: &str) -> String {
    lines
        .iter()
        .filter_map(|line| match line.who {
            Who::Agent => Some(format!("{agent}: {}", line.text)),
            Who::Customer => Some(format!("{user}: {}", line.text)),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A plain recording URL, unsigned (the host never resolves): what a vendor that signs
/// only on request gives when not asked to (Retell without `opt_in_signed_url`).
pub(crate) fn unsigned_recording_url(vendor: &str, id: &str, stereo: bool) -> String {
    let kind = if stereo { "stereo" } else { "mono" };
    format!("https://recordings.sandbox.voiceport.invalid/{vendor}/{id}-{kind}.wav")
}

/// A pre-signed-looking recording URL (the host never resolves).
pub(crate) fn recording_url(vendor: &str, id: &str, stereo: bool) -> String {
    let mut rng = Rng::new(
        id.bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))),
    );
    format!(
        "{}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature={}",
        unsigned_recording_url(vendor, id, stereo),
        rng.hex(64)
    )
}

/// Per-minute cost components (USD).
pub(crate) fn cost(talk_secs: f64) -> [(&'static str, f64); 4] {
    let minutes = talk_secs / 60.0;
    [
        ("voip", four_places(minutes * 0.014)),
        ("transcriber", four_places(minutes * 0.01)),
        ("llm", four_places(minutes * 0.02)),
        ("tts", four_places(minutes * 0.036)),
    ]
}

/// `value` to four decimal places, as the vendors write amounts and minutes.
pub(crate) fn four_places(value: f64) -> f64 {
    voiceport_core::adapter::round_to(value, 1e4)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transcript's prompt names the agent who then introduces themselves (it named the
    /// call's agent, whom another script's speaker contradicted).
    #[test]
    fn the_prompt_names_the_agent_who_speaks() {
        for seed in 0..60 {
            let talk = conversation(seed, 40.0);
            let name = talk.prompt.split([' ', ',']).nth(2).unwrap_or_default();
            let first = &talk.lines[0];
            assert_eq!(first.who, Who::Agent);
            assert!(
                first.text.contains(&format!("{name} from")),
                "{}: {}",
                talk.prompt,
                first.text
            );
        }
    }

    /// The vendors that sign keep their pre-signed shape: the plain URL, signed.
    #[test]
    fn signed_recording_urls_are_the_plain_ones_signed() {
        let plain = unsigned_recording_url("rounded", "c1", true);
        assert_eq!(
            plain,
            "https://recordings.sandbox.voiceport.invalid/rounded/c1-stereo.wav"
        );
        let signed = recording_url("rounded", "c1", true);
        let query = signed
            .strip_prefix(&format!("{plain}?"))
            .unwrap_or_default();
        let signature = query
            .strip_prefix("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=")
            .unwrap_or_default();
        assert_eq!(signature.len(), 64, "{signed}");
        assert_eq!(signed, recording_url("rounded", "c1", true));
    }

    #[test]
    fn conversations_are_deterministic_and_ordered() {
        let a = conversation(42, 90.0);
        let b = conversation(42, 90.0);
        assert_eq!(a.summary, b.summary);
        assert_eq!(a.lines.len(), b.lines.len());
        assert!(a.lines.windows(2).all(|w| w[0].start <= w[1].start));
        assert!(a.lines.last().is_some_and(|l| l.end <= 90.0));
    }

    /// Every line starts and ends within the talk, however short: a transcript does not
    /// run past the call's duration.
    #[test]
    fn every_line_is_within_the_talk() {
        for seed in 0..64 {
            for talk in [0.0, 0.057, 0.5, 1.0, 5.0, 42.5] {
                let c = conversation(seed, talk);
                for line in &c.lines {
                    assert!(
                        0.0 <= line.start && line.start <= line.end && line.end <= talk,
                        "seed {seed}, talk {talk}: {} to {}",
                        line.start,
                        line.end
                    );
                }
            }
        }
    }

    #[test]
    fn short_calls_stay_ordered_with_a_tool_call() {
        // A dialed sandbox call may talk for 60 ms; the tool's two lines must still fit
        // in their slots.
        for seed in 0..64 {
            for talk in [0.06, 1.0, 5.0] {
                let c = conversation(seed, talk);
                assert!(
                    c.lines.windows(2).all(|w| w[0].start <= w[1].start),
                    "seed {seed}, talk {talk}"
                );
            }
        }
    }
}
