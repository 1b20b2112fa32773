//! Tables for people, JSON for machines.

use std::io::Write;

use serde::Serialize;
use voiceport::{Call, Transcript};

use crate::{Failure, Outcome};

/// Prints `value` as pretty JSON on standard output.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Outcome {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Usage(format!("cannot print JSON: {e}")))?;
    line(&text)
}

/// Prints one line on standard output (a closed pipe ends the program quietly).
pub(crate) fn line(text: &str) -> Outcome {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        result => result.map_err(|e| Failure::Io("standard output".into(), e)),
    }
}

/// Left-aligned columns, as wide as their widest cell.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> Outcome {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let render = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    line(&render(headers.to_vec()))?;
    for row in rows {
        line(&render(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

fn or_dash(value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "-".into())
}

/// One call as a table row.
pub(crate) fn call_row(call: &Call) -> Vec<String> {
    vec![
        call.id.to_string(),
        call.status.to_string(),
        or_dash(call.vendor_status.clone()),
        or_dash(call.direction.map(|d| d.as_str().to_owned())),
        or_dash(call.from.clone()),
        or_dash(call.to.clone()),
        or_dash(
            call.created_at
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
        ),
        or_dash(call.duration_secs.map(|d| format!("{d:.0}s"))),
    ]
}

pub(crate) const CALL_HEADERS: [&str; 8] = [
    "ID",
    "STATUS",
    "VENDOR STATUS",
    "DIR",
    "FROM",
    "TO",
    "CREATED",
    "DURATION",
];

/// Prints calls as a table, or as a JSON array.
pub(crate) fn calls(calls: &[Call], as_json: bool) -> Outcome {
    if as_json {
        return json(calls);
    }
    let rows: Vec<Vec<String>> = calls.iter().map(call_row).collect();
    table(&CALL_HEADERS, &rows)
}

/// `customer_hung_up (customer-ended-call)`: the category as in JSON, then the vendor's words.
fn end_reason(reason: &voiceport::EndReason) -> String {
    let category = serde_json::to_value(reason.category)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    match &reason.vendor {
        Some(vendor) => format!("{category} ({vendor})"),
        None => category,
    }
}

/// Prints one call as `field: value` lines, or as JSON.
pub(crate) fn call(call: &Call, as_json: bool) -> Outcome {
    if as_json {
        return json(call);
    }
    let fields: Vec<(&str, String)> = vec![
        ("id", call.id.to_string()),
        ("provider", call.provider.to_string()),
        (
            "status",
            format!("{} ({})", call.status, or_dash(call.vendor_status.clone())),
        ),
        (
            "end reason",
            or_dash(call.end_reason.as_ref().map(end_reason)),
        ),
        ("kind", call.kind.to_string()),
        (
            "direction",
            or_dash(call.direction.map(|d| d.as_str().to_owned())),
        ),
        ("from", or_dash(call.from.clone())),
        ("to", or_dash(call.to.clone())),
        (
            "agent",
            or_dash(call.agent.as_ref().map(|a| {
                format!(
                    "{} {}",
                    a.name.clone().unwrap_or_default(),
                    a.id.as_ref().map(|i| format!("({i})")).unwrap_or_default()
                )
                .trim()
                .to_owned()
            })),
        ),
        ("created", or_dash(call.created_at.map(|t| t.to_rfc3339()))),
        ("started", or_dash(call.started_at.map(|t| t.to_rfc3339()))),
        ("ended", or_dash(call.ended_at.map(|t| t.to_rfc3339()))),
        (
            "duration",
            or_dash(call.duration_secs.map(|d| format!("{d:.1}s"))),
        ),
        ("summary", or_dash(call.analysis.summary.clone())),
        ("tags", or_dash(Some(call.tags.join(", ")))),
        ("notes", call.notes.len().to_string()),
        (
            "cost",
            or_dash(call.cost.as_ref().and_then(|c| c.total).map(|t| {
                format!(
                    "{t:.4} {}",
                    call.cost
                        .as_ref()
                        .and_then(|c| c.currency.clone())
                        .unwrap_or_default()
                )
                .trim()
                .to_owned()
            })),
        ),
        (
            "metadata",
            if call.metadata.is_empty() {
                "-".into()
            } else {
                serde_json::to_string(&call.metadata).unwrap_or_default()
            },
        ),
    ];
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in fields {
        line(&format!("{key:<width$}  {value}"))?;
    }
    for note in &call.notes {
        line(&format!(
            "  note {}{}: {}",
            note.id,
            if note.flagged { " [flagged]" } else { "" },
            note.content
        ))?;
    }
    Ok(())
}

/// Prints a transcript as `[offset] speaker: text` lines, or as JSON.
pub(crate) fn transcript(transcript: &Transcript, as_json: bool) -> Outcome {
    if as_json {
        return json(transcript);
    }
    if transcript.utterances.is_empty() {
        return line(transcript.text.as_deref().unwrap_or("(no transcript)"));
    }
    for utterance in &transcript.utterances {
        let at = utterance
            .start_secs
            .map(|s| format!("[{s:>6.1}s] "))
            .unwrap_or_default();
        let tools: Vec<String> = utterance
            .tool_calls
            .iter()
            .map(|t| {
                format!(
                    "{}({})",
                    t.name.clone().unwrap_or_default(),
                    t.arguments.clone().unwrap_or_default()
                )
            })
            .collect();
        let text = utterance
            .text
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| tools.join(", "));
        line(&format!("{at}{}: {text}", utterance.speaker))?;
    }
    Ok(())
}
