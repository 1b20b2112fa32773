//! A call's fields read from vendor values, each impossible value dropped with a warning
//! naming its JSON path, and the checks a whole call gets once read.

use serde_json::Value;

use crate::{Call, Direction, WarningKind};

use super::{non_blank, presigned_expiry, shorten};

/// `field` under the JSON path `at`, written as decode errors write paths: `message.call`
/// + `id` is `message.call.id`, `costs` + `[0]` is `costs[0]`, an empty `at` is `field`.
///
/// ```
/// use voiceport_core::adapter::field_path;
/// assert_eq!(field_path("message.call", "id"), "message.call.id");
/// assert_eq!(field_path("message.costs", "[0]"), "message.costs[0]");
/// assert_eq!(field_path("", "createdAt"), "createdAt");
/// ```
pub fn field_path(at: &str, field: &str) -> String {
    crate::http::decode::join_path(at, field)
}

/// The recording at these URLs (`None` without either), its expiry read from them when
/// they are S3 pre-signed URLs (the earlier of the two; see [`presigned_expiry`]).
///
/// ```
/// use voiceport_core::adapter::recording_at;
/// let signed = "https://b.s3.amazonaws.com/r.wav?X-Amz-Date=20260324T091502Z&X-Amz-Expires=3600";
/// let recording = recording_at(Some(signed.into()), None).unwrap();
/// assert!(recording.expires_at.is_some());
/// assert!(recording_at(None, None).is_none());
/// assert!(recording_at(Some(String::new()), Some(" ".into())).is_none());
/// ```
pub fn recording_at(mono: Option<String>, stereo: Option<String>) -> Option<crate::Recording> {
    // A blank URL (`"recording_url": ""`) is no recording.
    let (mono, stereo) = (mono.and_then(non_blank), stereo.and_then(non_blank));
    if mono.is_none() && stereo.is_none() {
        return None;
    }
    let urls = [mono.as_deref(), stereo.as_deref()];
    let expires_at = urls
        .into_iter()
        .flatten()
        .filter_map(presigned_expiry)
        .min();
    Some(crate::Recording {
        mono_url: mono,
        stereo_url: stereo,
        expires_at,
    })
}

/// An id found at `field` of `call` (a parent call's, an agent's, a campaign's …):
/// `None`, with a warning on the call, when it is present but blank, since no request can
/// name it. An absent id gives `None` alone.
///
/// ```
/// use voiceport_core::adapter::read_id;
/// use voiceport_core::{Call, CallId, ProviderKind};
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::Rounded);
/// assert_eq!(read_id(&mut call, "agent_id", Some("a1".into())).as_deref(), Some("a1"));
/// assert_eq!(read_id(&mut call, "agent_id", Some(" ".into())), None);
/// assert_eq!(read_id(&mut call, "agent_id", None), None);
/// assert_eq!(call.warnings.len(), 1);
/// ```
pub fn read_id(call: &mut Call, field: &str, value: Option<String>) -> Option<String> {
    let value = value?;
    if value.trim().is_empty() {
        call.warn(WarningKind::EmptyId, field, value, "an empty id");
        return None;
    }
    Some(value)
}

/// A call's direction from a vendor's `inbound` / `outbound` text at `field`: `None`, with
/// a warning on the call, for any other value, so that it is not lost silently (the value
/// stays in the vendor payload). An absent or blank value gives `None` alone.
///
/// ```
/// use voiceport_core::adapter::read_direction;
/// use voiceport_core::{Call, CallId, Direction, ProviderKind};
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::Retell);
/// assert_eq!(read_direction(&mut call, "direction", Some("inbound")), Some(Direction::Inbound));
/// assert_eq!(read_direction(&mut call, "direction", Some(" ")), None);
/// assert_eq!(read_direction(&mut call, "direction", Some("sideways")), None);
/// assert_eq!(call.warnings.len(), 1);
/// assert_eq!(call.warnings[0].value, "sideways");
/// ```
pub fn read_direction(call: &mut Call, field: &str, value: Option<&str>) -> Option<Direction> {
    let value = value.and_then(non_blank)?;
    let direction = Direction::from_wire(value);
    if direction.is_none() {
        call.warn(
            WarningKind::UnknownValue,
            field,
            shorten(value),
            "not a known direction (inbound or outbound)",
        );
    }
    direction
}

/// Where a call was transferred, from a vendor's destination at `field`: a string as it
/// is (Retell's call field), or an object's `number`, else its `sipUri` / `sip_uri`
/// (Vapi's `{type: "number", number, extension}` and `{type: "sip", sipUri}`, Retell's
/// transfer events' `{number, extension}`). A number's extension (text or a number) is
/// added as in a `tel:` URI: `+16175550199;ext=204`. `null`, a blank string or an object
/// naming neither is none; any other value is none with a warning on `call`.
///
/// ```
/// use serde_json::json;
/// use voiceport_core::adapter::read_destination;
/// use voiceport_core::{Call, CallId, ProviderKind};
///
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::Vapi);
/// let sip = json!({"type": "sip", "sipUri": "sip:desk@pbx.example.com"});
/// assert_eq!(read_destination(&mut call, "destination", &sip).as_deref(), Some("sip:desk@pbx.example.com"));
/// let desk = json!({"number": "+16175550199", "extension": "204"});
/// let read = read_destination(&mut call, "destination", &desk);
/// assert_eq!(read.as_deref(), Some("+16175550199;ext=204"));
/// assert_eq!(read_destination(&mut call, "destination", &json!(12)), None);
/// assert_eq!(call.warnings.len(), 1);
/// ```
pub fn read_destination(call: &mut Call, field: &str, value: &Value) -> Option<String> {
    let text = |value: Option<&Value>| match value {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.clone()),
        _ => None,
    };
    match value {
        Value::Null => None,
        Value::String(_) => text(Some(value)),
        Value::Object(fields) => match text(fields.get("number")) {
            Some(number) => Some(with_extension(number, fields.get("extension"))),
            None => text(fields.get("sipUri")).or_else(|| text(fields.get("sip_uri"))),
        },
        other => {
            call.warn(
                WarningKind::WrongShape,
                field,
                shorten(&other.to_string()),
                "not a number or SIP destination",
            );
            None
        }
    }
}

/// `number` with `extension` (text or a whole number, not blank) after `;ext=`.
fn with_extension(number: String, extension: Option<&Value>) -> String {
    let extension = match extension {
        Some(Value::String(text)) => non_blank(text.as_str()).map(str::to_owned),
        Some(Value::Number(digits)) if digits.is_u64() => Some(digits.to_string()),
        _ => None,
    };
    match extension {
        Some(extension) => format!("{number};ext={extension}"),
        None => number,
    }
}

/// The checks every mapping ends with, on values the vendor sent that cannot be true:
///
/// - a blank call id is kept (the call has no other) with a warning at `id_field`: no
///   request can name that call;
/// - an `ended_at` before `started_at` is dropped with a warning at `ended_field` (the
///   vendor field it came from). (The creation time is not compared: some vendors write a
///   call's record only after it ended.)
///
/// ```
/// use voiceport_core::adapter::check_call;
/// use voiceport_core::{Call, CallId, ProviderKind};
/// let mut call = Call::new(CallId::new(""), ProviderKind::Rounded);
/// call.started_at = "2026-03-10T15:42:07Z".parse().ok();
/// call.ended_at = "2026-03-10T15:40:00Z".parse().ok();
/// check_call(&mut call, "id", "end_time");
/// assert_eq!(call.ended_at, None);
/// let fields: Vec<&str> = call.warnings.iter().map(|w| w.field.as_str()).collect();
/// assert_eq!(fields, ["id", "end_time"]);
/// ```
pub fn check_call(call: &mut Call, id_field: &str, ended_field: &str) {
    if call.id.as_str().trim().is_empty() {
        let id = call.id.to_string();
        call.warn(
            WarningKind::EmptyId,
            id_field,
            id,
            "an empty call id: this call cannot be fetched, changed or deleted by id",
        );
    }
    if let Some((started, ended)) = call.started_at.zip(call.ended_at)
        && ended < started
    {
        call.ended_at = None;
        call.warn(
            WarningKind::Contradiction,
            ended_field,
            ended.to_rfc3339(),
            format!("ends before the call started ({})", started.to_rfc3339()),
        );
    }
}

/// Whether `call` names no agent, campaign, number or kind other than `query`'s: a
/// filter the vendor applied, checked again on what it returned, so that one it applied
/// loosely or ignored never widens a listing. A call naming none of them is kept on the
/// vendor's word (a call need not carry its agent or campaign), and so is every call for
/// a kind the vendor named itself ([`CallKind::Other`](crate::CallKind::Other)), which
/// the call may read as a unified one. Numbers compare as [`number_key`](super::number_key)
/// writes them. For the filters a vendor does not apply, use
/// [`CallQuery::matches`](crate::CallQuery::matches), which keeps no call that lacks what
/// is asked.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::adapter::names_no_other;
/// use voiceport::{AgentId, AgentRef, Call, CallId, CallQuery, ProviderKind};
/// let query = CallQuery { agent_id: Some(AgentId::new("a1")), ..CallQuery::default() };
/// let mut call = Call::new(CallId::new("c1"), ProviderKind::Rounded);
/// assert!(names_no_other(&query, &call));
/// call.agent = Some(AgentRef::new(Some(AgentId::new("a2")), None));
/// assert!(!names_no_other(&query, &call));
/// ```
pub fn names_no_other(query: &crate::CallQuery, call: &Call) -> bool {
    use crate::CallKind;
    let agent = call.agent.as_ref().and_then(|agent| agent.id.as_ref());
    let agent_ok = match (&query.agent_id, agent) {
        (Some(wanted), Some(id)) => id == wanted,
        _ => true,
    };
    let campaign_ok = match (&query.campaign_id, &call.campaign_id) {
        (Some(wanted), Some(id)) => id == wanted,
        _ => true,
    };
    let same = |wanted: &Option<String>, number: &Option<String>| match (wanted, number) {
        (Some(wanted), Some(number)) => super::number_key(wanted) == super::number_key(number),
        _ => true,
    };
    let kind_ok = match &query.kind {
        Some(CallKind::Other(_)) | None => true,
        Some(kind) => call.kind == *kind,
    };
    agent_ok
        && campaign_ok
        && kind_ok
        && same(&query.from_number, &call.from)
        && same(&query.to_number, &call.to)
}

/// Whether the call an end event carries still says it is not over (scheduled, queued,
/// ringing, in progress): a snapshot the vendor took just before the end. The event says
/// the call is over, and an application keeping the latest state per call must not store a
/// live status from it. Map such a call with its wire status set to the vendor's word
/// for a completed call, so that what an ended call says applies as it does to one read
/// with `get_call` (a machine answer: voicemail; a contact it was handed to: transferred),
/// and set `vendor_status` back to what the event sent; keep the whole delivery as its
/// vendor payload (`keep_whole_delivery`), since its own object would read as live again.
/// A terminal status, or one voiceport does not know, is the vendor's word: kept.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::adapter::not_over_yet;
/// use voiceport::CallStatus;
/// assert!(not_over_yet(CallStatus::InProgress));
/// assert!(!not_over_yet(CallStatus::Failed));
/// assert!(!not_over_yet(CallStatus::Unknown));
/// ```
pub fn not_over_yet(status: crate::CallStatus) -> bool {
    !status.is_terminal() && status != crate::CallStatus::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProviderKind;
    use crate::adapter::read_amount;

    #[test]
    fn impossible_values_become_warnings() {
        let mut call = Call::new(crate::CallId::new("c1"), ProviderKind::Rounded);
        assert_eq!(read_amount(&mut call, "d", Some(-0.0)), Some(0.0));
        assert_eq!(read_amount(&mut call, "d", Some(f64::NAN)), None);
        assert_eq!(read_amount(&mut call, "d", Some(-1e-9)), None);
        assert_eq!(read_id(&mut call, "agent.id", Some(String::new())), None);
        assert_eq!(call.warnings.len(), 3);
        // An end after (or at) the start stays, and so does an end with no start at all.
        let at = |s: &str| s.parse().ok();
        call.warnings.clear();
        call.started_at = at("2026-03-10T15:42:07Z");
        call.ended_at = at("2026-03-10T15:42:07Z");
        check_call(&mut call, "id", "ended_at");
        assert!(call.ended_at.is_some());
        call.started_at = None;
        call.created_at = at("2026-03-10T16:00:00Z");
        check_call(&mut call, "id", "ended_at");
        assert!(call.ended_at.is_some());
        assert!(call.warnings.is_empty(), "{:?}", call.warnings);
        call.started_at = at("2026-03-10T15:42:07.001Z");
        check_call(&mut call, "id", "ended_at");
        assert_eq!(call.ended_at, None);
        assert!(
            call.warnings[0]
                .message
                .contains("ends before the call started")
        );
    }
}
