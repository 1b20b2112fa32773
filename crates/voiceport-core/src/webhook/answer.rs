//! What a vendor waiting on a delivery expects back, built without a web framework.

use crate::{CallEvent, ProviderKind, ToolCall};

/// The body to answer a Vapi or Voicebot Studio `tool-calls` request with (with 200):
/// `{"results": [{"toolCallId", "name", "result" | "error"}]}`, each of `event`'s tool
/// calls answered by `answer` (`Ok` the tool's result, `Err` what went wrong). `None` for
/// any other event (another vendor's, a delivery that is not such a request) and for a
/// request none of whose calls has an id, which Vapi could not match a result to.
///
/// This is what the `voiceport` facade's `Delivery::reply_to_tool_calls` sends through
/// its receiver; an application serving webhooks from a framework of its own answers with
/// it:
///
/// ```
/// use voiceport_core::webhook::tool_call_answer;
/// use voiceport_core::{CallEvent, EventKind, ProviderKind, Speaker, ToolCall, Utterance};
///
/// // As `voiceport::codec(ProviderKind::Vapi)?.decode_webhook(body)?` gives a `tool-calls`
/// // request: a tool's utterance, and a reply expected.
/// let mut utterance = Utterance::new(Speaker::Tool, None);
/// let booking = ToolCall::new(Some("call_1".into()), Some("book_appointment".into()), None);
/// utterance.set_tool_calls(vec![booking]);
/// let mut event = CallEvent::new("tool-calls", EventKind::transcript_update(utterance, None));
/// event.expects_reply = true;
///
/// let answer = tool_call_answer(ProviderKind::Vapi, &event, |call| {
///     match call.name.as_deref() {
///         Some("book_appointment") => Ok("booked for Tuesday 10:30".to_owned()),
///         other => Err(format!("no tool named {other:?}")),
///     }
/// });
/// let expected = serde_json::json!({"results": [
///     {"toolCallId": "call_1", "name": "book_appointment", "result": "booked for Tuesday 10:30"}]});
/// assert_eq!(answer, Some(expected));
/// ```
pub fn tool_call_answer(
    kind: ProviderKind,
    event: &CallEvent,
    mut answer: impl FnMut(&ToolCall) -> Result<String, String>,
) -> Option<serde_json::Value> {
    let vapi_family = matches!(kind, ProviderKind::Vapi | ProviderKind::Voicebot);
    if !(vapi_family && event.expects_reply && event.vendor_event == "tool-calls") {
        return None;
    }
    let results: Vec<serde_json::Value> = (event.tool_calls().iter())
        .filter_map(|call| {
            let id = call.id.as_deref()?;
            let mut result = serde_json::Map::new();
            result.insert("toolCallId".into(), id.into());
            if let Some(name) = &call.name {
                result.insert("name".into(), name.as_str().into());
            }
            match answer(call) {
                Ok(text) => result.insert("result".into(), text.into()),
                Err(text) => result.insert("error".into(), text.into()),
            };
            Some(serde_json::Value::Object(result))
        })
        .collect();
    (!results.is_empty()).then(|| serde_json::json!({ "results": results }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, Speaker, Utterance};

    fn request(ids: &[Option<&str>], expects_reply: bool) -> CallEvent {
        let mut utterance = Utterance::new(Speaker::Tool, None);
        let call = |id: &Option<&str>| ToolCall::new(id.map(str::to_owned), Some("t".into()), None);
        utterance.set_tool_calls(ids.iter().map(call).collect());
        let mut event = CallEvent::new("tool-calls", EventKind::transcript_update(utterance, None));
        event.expects_reply = expects_reply;
        event
    }

    /// Each call with an id is answered, a failure as `error`; anything but a Vapi-family
    /// tool-call request, or one whose calls have no id, gets no body.
    #[test]
    fn only_a_tool_call_request_of_the_vapi_family_is_answered() {
        let event = request(&[Some("a"), None, Some("b")], true);
        let mut results = [Ok("done".to_owned()), Err("no such tool".to_owned())].into_iter();
        let answer = tool_call_answer(ProviderKind::Voicebot, &event, |_| results.next().unwrap());
        let expected = serde_json::json!({"results": [
            {"toolCallId": "a", "name": "t", "result": "done"},
            {"toolCallId": "b", "name": "t", "error": "no such tool"}]});
        assert_eq!(answer, Some(expected));
        let ok = |_: &ToolCall| Ok(String::new());
        assert_eq!(tool_call_answer(ProviderKind::Retell, &event, ok), None);
        assert_eq!(
            tool_call_answer(ProviderKind::Vapi, &request(&[Some("a")], false), ok),
            None
        );
        assert_eq!(
            tool_call_answer(ProviderKind::Vapi, &request(&[None], true), ok),
            None
        );
        let mut other = request(&[Some("a")], true);
        other.vendor_event = "function-call".into();
        assert_eq!(tool_call_answer(ProviderKind::Vapi, &other, ok), None);
    }
}
