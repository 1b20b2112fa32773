//! Parsing command-line values: `key=value` pairs, times, statuses.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use voiceport::{CallKind, CallQuery, CallStatus, Direction, SortOrder};

use crate::Failure;
use crate::cli::{FilterArgs, SortArg};

/// `error` as the command line says it: a refusal of the cursor given
/// (`Error::InvalidArgument` of the `cursor`, a token that is no cursor or a cursor of
/// another walk) names the flag
/// `--cursor`, a usage error; any other error is the library's.
pub(crate) fn cursor_refused(error: voiceport::Error) -> Failure {
    match error {
        voiceport::Error::InvalidArgument {
            argument, message, ..
        } if argument == "cursor" => Failure::Usage(format!("--cursor: {message}")),
        other => Failure::Voice(other),
    }
}

/// `key=value` pairs; a value that is valid JSON (`3`, `true`, `{"a":1}`) is kept as JSON,
/// anything else as a string, and so is a whole number too large for 64 bits
/// (`123456789012345678901`, a CRM id), which JSON would round. With `keep_spelling`
/// (free-form values: metadata, prompt variables), also a number whose spelling JSON
/// loses (`1.10`, a version, would be sent as `1.1`; `1e3` as `1000.0`); without it (the
/// vendor's own typed fields, `--extra`), such a value is the number it spells.
/// A key given twice is refused: which of its values was meant is not known.
pub(crate) fn pairs(
    items: &[String],
    flag: &str,
    keep_spelling: bool,
) -> Result<BTreeMap<String, Value>, Failure> {
    let mut pairs = BTreeMap::new();
    for item in items {
        let (key, value) = item
            .split_once('=')
            .filter(|(key, _)| !key.is_empty())
            .ok_or_else(|| Failure::Usage(format!("{flag} {item:?}: expected KEY=VALUE")))?;
        let value = match serde_json::from_str::<Value>(value) {
            Ok(Value::Number(n))
                if n.to_string() != value && (keep_spelling || is_whole_number(value)) =>
            {
                Value::String(value.to_owned())
            }
            Ok(json) => json,
            Err(_) => Value::String(value.to_owned()),
        };
        if pairs.insert(key.to_owned(), value).is_some() {
            return Err(Failure::Usage(format!(
                "{flag} {key:?} is given twice: give each key once"
            )));
        }
    }
    Ok(pairs)
}

/// `-?digits`: a number written without a fraction or an exponent.
fn is_whole_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// RFC 3339, or a date (midnight UTC).
pub(crate) fn time(text: &str, flag: &str) -> Result<DateTime<Utc>, Failure> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| {
            Failure::Usage(format!(
                "{flag} {text:?}: expected RFC 3339 (2026-11-22T10:00:00Z) or YYYY-MM-DD"
            ))
        })
}

/// Every direction, for `--direction`'s help (read by `Direction`'s `str::parse`).
pub(crate) const DIRECTIONS: [Direction; 2] = [Direction::Inbound, Direction::Outbound];

/// The kinds `--kind` takes, exactly as written (a vendor's own kind, `CallKind::Other`, is
/// no filter). Its help offers these.
pub(crate) static KINDS: [CallKind; 3] = [CallKind::Phone, CallKind::Web, CallKind::Chat];

pub(crate) fn query(filters: &FilterArgs) -> Result<CallQuery, Failure> {
    let statuses = filters
        .statuses
        .iter()
        .map(|s| {
            s.parse::<CallStatus>()
                .map_err(|e| Failure::Usage(format!("--status: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let direction = filters
        .direction
        .as_deref()
        .map(|d| {
            d.parse::<Direction>()
                .map_err(|e| Failure::Usage(format!("--direction: {e}")))
        })
        .transpose()?;
    let kind = match filters.kind.as_deref() {
        None => None,
        Some(text) => match KINDS.iter().find(|kind| kind.as_str() == text) {
            Some(kind) => Some(kind.clone()),
            None => {
                let [rest @ .., last] = KINDS.each_ref().map(CallKind::as_str);
                return Err(Failure::Usage(format!(
                    "--kind {text:?}: expected {} or {last}",
                    rest.join(", ")
                )));
            }
        },
    };
    let since = (filters.since.as_deref())
        .map(|t| time(t, "--since"))
        .transpose()?;
    let until = (filters.until.as_deref())
        .map(|t| time(t, "--until"))
        .transpose()?;
    // Said by the flags (the library's own refusal names its fields), with what a date
    // means: `--since D --until D` is an empty range.
    if let (Some(since), Some(until)) = (since, until)
        && until <= since
    {
        return Err(Failure::Usage(format!(
            "--until {} is not after --since {}: no call can be in the range (a date is its 00:00 UTC and --until leaves it out: --since 2026-03-01 --until 2026-03-02 is March 1st)",
            until.to_rfc3339(),
            since.to_rfc3339()
        )));
    }
    Ok(CallQuery {
        direction,
        kind,
        statuses,
        since,
        until,
        agent_id: filters.agent.clone().map(Into::into),
        campaign_id: filters.campaign.clone().map(Into::into),
        tags: filters.tags.clone(),
        search: filters.search.clone(),
        from_number: number_filter(filters.from_number.as_deref(), "--from")?,
        to_number: number_filter(filters.to_number.as_deref(), "--to")?,
        sort: filters.sort.map(|sort| match sort {
            SortArg::Newest => SortOrder::Descending,
            SortArg::Oldest => SortOrder::Ascending,
        }),
        ..CallQuery::default()
    })
}

/// A number to filter on. Vendors store phone numbers in E.164 and compare them as text: a
/// number without `+` (`4155550187`), or one that is no E.164 number however written
/// (`+0155`), would match nothing, and is refused rather than answered with an empty page.
/// One written with spaces or dashes after its `+` is passed on, the library sending it as
/// E.164 (as a dial does); anything else (a SIP URI, a vendor's `anonymous`) as it is.
fn number_filter(text: Option<&str>, flag: &str) -> Result<Option<String>, Failure> {
    let Some(text) = text else {
        return Ok(None);
    };
    let as_sent = voiceport_core::adapter::dial_number(text);
    if written_otherwise(text) && !crate::cli::is_e164(&as_sent) {
        return Err(Failure::Usage(format!(
            "{flag} {text:?}: vendors store numbers in E.164 and compare them as written: \
             give `+`, the country code and the number (+14155550187)"
        )));
    }
    Ok(Some(text.to_owned()))
}

pub(crate) use voiceport_core::adapter::written_otherwise_than_e164 as written_otherwise;

#[cfg(test)]
mod tests {
    use super::*;

    /// The filters of `calls list ARGS`, as the command line reads them.
    fn listed(args: &[&str]) -> FilterArgs {
        use clap::Parser;
        let argv = [&["voiceport", "calls", "list"][..], args].concat();
        match crate::cli::Cli::try_parse_from(argv).map(|cli| cli.command) {
            Ok(crate::cli::Command::Calls(crate::cli::CallsCommand::List(list))) => list.filters,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn statuses_come_repeated_or_separated_by_commas() {
        for args in [
            &["--status", "completed,busy"][..],
            &["--status", "completed", "--status", "busy"],
        ] {
            let query = query(&listed(args)).map_err(|f| format!("{f:?}"));
            let statuses = query.map(|q| q.statuses);
            assert_eq!(statuses, Ok(vec![CallStatus::Completed, CallStatus::Busy]));
        }
    }

    /// The filters read what they read before their values were offered in help: a status
    /// or a direction in any case, `-` for `_`, spaces around; a kind exactly. What they
    /// refuse is refused naming every value.
    #[test]
    fn filters_read_what_they_always_read_and_name_every_value_they_refuse() {
        let read = query(&listed(&[
            "--status",
            "No-Answer, busy",
            "--status",
            "IN_PROGRESS",
            "--direction",
            " OUT",
            "--kind",
            "web",
        ]))
        .map_err(|f| format!("{f:?}"))
        .unwrap();
        let statuses = [
            CallStatus::NoAnswer,
            CallStatus::Busy,
            CallStatus::InProgress,
        ];
        assert_eq!(read.statuses, statuses);
        assert_eq!(read.direction, Some(Direction::Outbound));
        assert_eq!(read.kind, Some(CallKind::Web));
        let inbound = query(&listed(&["--direction", "in"])).map(|q| q.direction);
        assert!(matches!(inbound, Ok(Some(Direction::Inbound))));
        let refused = |args: &[&str]| match query(&listed(args)) {
            Err(Failure::Usage(message)) => message,
            other => panic!("{args:?}: {other:?}"),
        };
        let every_status = CallStatus::ALL.iter().map(|s| s.as_str());
        let said = refused(&["--status", "completed,bogus"]);
        assert!(
            said.starts_with("--status: unknown call status \"bogus\""),
            "{said}"
        );
        assert!(
            every_status.clone().all(|name| said.contains(name)),
            "{said}"
        );
        let said = refused(&["--direction", "sideways"]);
        assert!(said.ends_with("expected inbound or outbound"), "{said}");
        for kind in ["PHONE", "sms", ""] {
            let said = refused(&["--kind", kind]);
            assert!(said.ends_with(": expected phone, web or chat"), "{said}");
        }
    }

    /// A range that holds no time is refused by its flags, saying what a date means.
    #[test]
    fn an_empty_time_range_is_said_by_its_flags() {
        let day = listed(&["--since", "2026-03-01", "--until", "2026-03-01"]);
        let said = query(&day).map(|_| ()).map_err(|f| format!("{f:?}"));
        let said = said.expect_err("an empty range was taken");
        assert!(
            said.contains("--until") && said.contains("--since"),
            "{said}"
        );
        assert!(said.contains("00:00 UTC"), "{said}");
        let march_first = listed(&["--since", "2026-03-01", "--until", "2026-03-02"]);
        assert!(query(&march_first).is_ok());
    }

    #[test]
    fn a_phone_number_filter_is_e164_or_refused() {
        let kept = [
            "+14155550187",
            "+1 (415) 555-0187",
            "sip:agent@pbx.example.com",
            "anonymous",
        ];
        for kept in kept {
            let read = number_filter(Some(kept), "--to").map_err(|f| format!("{f:?}"));
            assert_eq!(read, Ok(Some(kept.to_owned())), "{kept}");
        }
        for refused in ["4155550187", "14155550187", "+0155", "415.555.0187"] {
            let read = number_filter(Some(refused), "--to").map_err(|f| format!("{f:?}"));
            assert!(read.is_err_and(|e| e.contains("E.164")), "{refused}");
        }
        assert!(matches!(number_filter(None, "--to"), Ok(None)));
    }

    #[test]
    fn pairs_keep_json_and_never_round_a_number() {
        let items = [
            "n=3",
            "big=123456789012345678901",
            "negative=-123456789012345678901",
            "max=18446744073709551615",
            "ratio=0.25",
            "flag=true",
            "name=Dana",
            "nested={\"a\":1}",
            "version=1.10",
            "thousand=1e3",
            "zero=-0",
            "spaced= 7",
        ]
        .map(String::from);
        let read = pairs(&items, "--metadata", true).unwrap();
        assert_eq!(read["n"], Value::from(3));
        assert_eq!(read["big"], Value::from("123456789012345678901"));
        assert_eq!(read["negative"], Value::from("-123456789012345678901"));
        assert_eq!(read["max"], Value::from(u64::MAX));
        assert_eq!(read["ratio"], Value::from(0.25));
        assert_eq!(read["flag"], Value::from(true));
        assert_eq!(read["name"], Value::from("Dana"));
        assert_eq!(read["nested"]["a"], Value::from(1));
        // Numbers that would be sent spelt otherwise stay as written.
        assert_eq!(read["version"], Value::from("1.10"));
        assert_eq!(read["thousand"], Value::from("1e3"));
        assert_eq!(read["zero"], Value::from("-0"));
        assert_eq!(read["spaced"], Value::from(" 7"));
        assert!(pairs(&["=x".to_owned()], "--var", true).is_err());
        // A vendor's own field (`--extra`) gets the number it spells, long integers apart.
        let typed = [
            "temperature=0.70",
            "timeout=1e3",
            "big=123456789012345678901",
        ];
        let read = pairs(&typed.map(String::from), "--extra", false).unwrap();
        assert_eq!(read["temperature"], Value::from(0.7));
        assert_eq!(read["timeout"], Value::from(1000.0));
        assert_eq!(read["big"], Value::from("123456789012345678901"));
    }

    #[test]
    fn pairs_refuse_a_key_given_twice() {
        let items = ["a=1", "b=2", "a=1"].map(String::from);
        let Err(Failure::Usage(message)) = pairs(&items, "--var", true) else {
            panic!("a key given twice was taken");
        };
        assert_eq!(message, "--var \"a\" is given twice: give each key once");
    }
}
