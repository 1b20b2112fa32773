//! [`Delivery`]: what the application's handler is given, and [`HandlerError`]: what it
//! answers when it cannot take a delivery.

use std::fmt;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tokio::sync::oneshot;
use tokio::time::Instant;
use voiceport_core::webhook::EventKey;
use voiceport_core::{CallEvent, ProviderKind, ToolCall};

/// One verified, normalized event, and which provider it came through: a first-time event,
/// or a request the vendor waits on ([`CallEvent::expects_reply`]), handed over each time
/// it is asked.
#[derive(Debug)]
#[non_exhaustive]
pub struct Delivery {
    /// The provider's name in the configuration (`support`).
    pub provider_name: String,
    /// Its vendor (as [`Call::provider`](voiceport_core::Call::provider) names a call's;
    /// `kind` in the JSON `listen` prints and forwards, [`Forwarded::provider`]).
    ///
    /// [`Forwarded::provider`]: voiceport_core::webhook::Forwarded::provider
    pub provider: ProviderKind,
    /// What happened.
    pub event: CallEvent,
    /// Where the application's answer goes, when the vendor waits for one.
    pub(super) reply: Option<ReplySlot>,
    /// What identifies the event (in the de-duplication window, for news).
    pub(super) key: Option<EventKey>,
}

impl Delivery {
    /// A delivery of `event` through the provider named `provider_name`, as the receiver hands
    /// one over: for testing an application's handler without HTTP. It has no means to
    /// [reply](Self::reply) (which returns `false`) and no [key](Self::key).
    ///
    /// ```
    /// use voiceport::ProviderKind;
    /// use voiceport::webhooks::Delivery;
    ///
    /// # fn main() -> voiceport::Result<()> {
    /// # #[cfg(feature = "vapi")] {
    /// let body = br#"{"message": {"type": "status-update", "status": "in-progress",
    ///     "call": {"id": "c-1"}, "timestamp": 1764400000000}}"#;
    /// let event = voiceport::codec(ProviderKind::Vapi)?.decode_webhook(body)?;
    /// let delivery = Delivery::new("support", ProviderKind::Vapi, event);
    /// assert_eq!(delivery.event.call_id().map(|id| id.as_str()), Some("c-1"));
    /// assert_eq!(delivery.qualified_call_id().as_deref(), Some("support:c-1"));
    /// assert!(!delivery.reply(serde_json::json!({})));
    /// # }
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn new(provider_name: impl Into<String>, provider: ProviderKind, event: CallEvent) -> Self {
        Delivery {
            provider_name: provider_name.into(),
            provider,
            event,
            reply: None,
            key: None,
        }
    }

    /// `provider_name:call_id`, the form [`Registry::get_call`](crate::Registry::get_call)
    /// and the CLI take, when the event names its call: to read the call again, or wait
    /// for its end, through the registry that serves the receiver.
    pub fn qualified_call_id(&self) -> Option<String> {
        let id = self.event.call_id()?;
        Some(format!("{}:{}", self.provider_name, id))
    }

    /// Answers the vendor's request with `body`, sent as JSON with 200, for an event that
    /// expects a reply ([`CallEvent::expects_reply`]): Vapi's `tool-calls` take
    /// `{"results": [{"toolCallId": "…", "result": "…"}]}`, its `assistant-request`
    /// `{"assistantId": "…"}`. The first reply counts. `false` when the event takes none,
    /// was answered already, or the vendor stopped waiting.
    ///
    /// The reply goes through the delivery the receiver handed over: its clones carry the
    /// event only, so that a copy kept for later does not keep the vendor waiting. The
    /// vendor is answered as soon as the reply is given, even while the handler is still
    /// working (it then finishes on its own task; a failure after the reply is logged).
    /// Without a reply: 204 once the handler has returned and the delivery is dropped, 500
    /// when the handler failed, 504 when the vendor's deadline
    /// ([`reply_deadline`](Self::reply_deadline)) came first.
    ///
    /// Tool calls have [`reply_to_tool_calls`](Self::reply_to_tool_calls), which writes
    /// the vendor's shape; other requests are answered so:
    ///
    /// ```no_run
    /// use serde_json::json;
    /// use tokio::sync::mpsc;
    /// use voiceport::webhooks::Delivery;
    ///
    /// /// Picks the assistant of each inbound Vapi call arriving on the channel of
    /// /// `Receiver::builder(…).channel(…)`.
    /// async fn answer_assistant_requests(mut events: mpsc::Receiver<Delivery>) {
    ///     while let Some(delivery) = events.recv().await {
    ///         let event = &delivery.event;
    ///         if event.expects_reply && event.vendor_event == "assistant-request" {
    ///             delivery.reply(json!({ "assistantId": "7c2d4e6f-8a9b-4c1d-9e2f-3a4b5c6d7e01" }));
    ///         }
    ///     }
    /// }
    /// ```
    pub fn reply(&self, body: serde_json::Value) -> bool {
        self.reply.as_ref().is_some_and(|slot| slot.send(body))
    }

    /// Answers a tool-call request with the result of each tool call, in the shape its
    /// vendor reads: for Vapi's and Voicebot Studio's `tool-calls`,
    /// `{"results": [{"toolCallId": …, "name": …, "result": …}]}`, with `error` in place of
    /// `result` for an `Err`. `answer` gives each of the event's tool calls
    /// ([`CallEvent::tool_calls`]) its result, in their order; a call without an id gets
    /// none (the vendor could not match it). `false`, and nothing sent, when the event is
    /// not a tool-call request of a vendor that takes such answers (Vapi's older
    /// `function-call` is news, not a request), when none of its calls has an id (the
    /// delivery can still be answered with [`reply`](Self::reply)), or as `reply` returns
    /// it.
    ///
    /// ```no_run
    /// use voiceport::webhooks::Delivery;
    ///
    /// fn answer(delivery: &Delivery) -> bool {
    ///     delivery.reply_to_tool_calls(|call| match call.name.as_deref() {
    ///         Some("book_appointment") => Ok("booked for Tuesday 10:30".to_string()),
    ///         other => Err(format!("no tool named {other:?}")),
    ///     })
    /// }
    /// ```
    pub fn reply_to_tool_calls(
        &self,
        answer: impl FnMut(&ToolCall) -> std::result::Result<String, String>,
    ) -> bool {
        // The body is built as an application without the receiver builds it.
        match voiceport_core::webhook::tool_call_answer(self.provider, &self.event, answer) {
            Some(body) => self.reply(body),
            None => false,
        }
    }

    /// When the vendor stops waiting for the [reply](Self::reply), for a delivery that
    /// can reply: the provider's `reply_timeout_secs` (else the receiver's
    /// [`reply_timeout`](super::ReceiverBuilder::reply_timeout)) from the delivery's arrival, or
    /// sooner where the vendor's own limit is shorter (Vapi's 7.5 seconds for an
    /// `assistant-request`, Retell's 10 seconds for its inbound webhook). Work that cannot
    /// finish by then can answer something simpler in time:
    ///
    /// ```no_run
    /// # async fn lookup_agent() -> String { String::new() }
    /// use serde_json::json;
    /// use voiceport::webhooks::Delivery;
    ///
    /// async fn answer_inbound(delivery: Delivery) {
    ///     let Some(deadline) = delivery.reply_deadline() else { return };
    ///     // A second kept for the answer's way back to the vendor.
    ///     let ours = deadline - std::time::Duration::from_secs(1);
    ///     let agent = tokio::time::timeout_at(ours, lookup_agent()).await;
    ///     let agent = agent.unwrap_or_else(|_| "agent_default".to_string());
    ///     delivery.reply(json!({ "call_inbound": { "override_agent_id": agent } }));
    /// }
    /// ```
    pub fn reply_deadline(&self) -> Option<Instant> {
        self.reply.as_ref().map(|slot| slot.deadline)
    }

    /// What identifies this event however often the vendor delivers it. The receiver
    /// passes news on once per key while it is in its window; an application that stores
    /// events can still see one again (delivered, then the vendor's retry after a failure
    /// or after the window moved on) and tell it by this key. A request the vendor waits
    /// on ([`reply`](Self::reply)) is handed over each time it comes, its key the same for
    /// a retry of it (or a captured one posted again): answer it as before rather than run
    /// its tools twice. Its text is 64 hexadecimal digits. `None` for a request that names
    /// neither a delivery nor a call (Retell's inbound webhook, alike for two calls between
    /// the same numbers), and for a delivery an application built itself.
    pub fn key(&self) -> Option<EventKey> {
        self.key
    }
}

impl Clone for Delivery {
    /// The event and where it came from, without the means to reply.
    fn clone(&self) -> Self {
        Delivery {
            provider_name: self.provider_name.clone(),
            provider: self.provider,
            event: self.event.clone(),
            reply: None,
            key: self.key,
        }
    }
}

/// The sending half of a reply, used once, and when the vendor stops waiting for it.
pub(super) struct ReplySlot {
    pub(super) sender: Mutex<Option<oneshot::Sender<serde_json::Value>>>,
    pub(super) deadline: Instant,
}

impl ReplySlot {
    pub(super) fn new(deadline: Instant) -> (ReplySlot, oneshot::Receiver<serde_json::Value>) {
        let (sender, answer) = oneshot::channel();
        let slot = ReplySlot {
            sender: Mutex::new(Some(sender)),
            deadline,
        };
        (slot, answer)
    }

    fn send(&self, body: serde_json::Value) -> bool {
        let sender = (self.sender.lock())
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        sender.is_some_and(|sender| sender.send(body).is_ok())
    }
}

impl fmt::Debug for ReplySlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplySlot")
    }
}

/// The application could not take an event: the receiver answers 500 (503 when the
/// event channel is closed) and lets the vendor's retry through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    pub(super) message: String,
    pub(super) closed: bool,
}

impl HandlerError {
    /// A failure to report to the vendor (as a 500) with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        HandlerError {
            message: message.into(),
            closed: false,
        }
    }

    /// The handler panicked: 500, as for a failure it returned (the panic's own message
    /// is the panic hook's to print).
    pub(super) fn panicked() -> Self {
        HandlerError::new("the handler panicked")
    }

    /// The application dropped the event channel's receiving end: 503, so that the vendor
    /// sends it again.
    pub(super) fn channel_closed() -> Self {
        HandlerError {
            message: "the application stopped receiving events".into(),
            closed: true,
        }
    }

    /// A failure carrying `error`'s message and those of its sources, each once
    /// (`saving the booking: connection refused`), for a handler's `map_err`: any error by
    /// value, boxed (`Box<dyn Error + Send + Sync>`), or one that converts into a box (as
    /// `anyhow::Error` does).
    ///
    /// ```
    /// use voiceport::webhooks::HandlerError;
    ///
    /// fn save() -> std::io::Result<()> {
    ///     Err(std::io::Error::other("connection refused"))
    /// }
    /// let failure = save().map_err(HandlerError::from_error).unwrap_err();
    /// assert_eq!(failure.to_string(), "connection refused");
    /// ```
    pub fn from_error(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let error: Box<dyn std::error::Error + Send + Sync> = error.into();
        HandlerError::new(voiceport_core::chain_text(&*error))
    }
}

// A handler's `?` on voiceport's own errors and on a message.
impl From<crate::Error> for HandlerError {
    fn from(error: crate::Error) -> Self {
        HandlerError::from_error(error)
    }
}

impl From<String> for HandlerError {
    fn from(message: String) -> Self {
        HandlerError::new(message)
    }
}

impl From<&str> for HandlerError {
    fn from(message: &str) -> Self {
        HandlerError::new(message)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HandlerError {}

/// What a handler's future ends with.
pub type HandlerResult = std::result::Result<(), HandlerError>;

pub(super) type Handler = Arc<dyn Fn(Delivery) -> BoxFuture<'static, HandlerResult> + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A delivery of the fixture `file` of `kind`, able to reply, and where its reply goes.
    fn replying(
        kind: ProviderKind,
        file: &str,
    ) -> (Delivery, oneshot::Receiver<serde_json::Value>) {
        let path = format!("{}/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read(&path).unwrap();
        let event = crate::codec(kind).unwrap().decode_webhook(&body).unwrap();
        let mut delivery = Delivery::new("support", kind, event);
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        let (slot, answer) = ReplySlot::new(deadline);
        delivery.reply = Some(slot);
        (delivery, answer)
    }

    /// Each tool call gets its result (or its error) under its id and name, in the shape
    /// Vapi reads; an event that is no tool-call request gets nothing.
    #[test]
    fn tool_calls_are_answered_in_the_vendor_s_shape() {
        // The fixtures are the workspace's: a packaged crate has none to read.
        if !std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")).is_dir() {
            return;
        }
        let (mut delivery, mut answer) =
            replying(ProviderKind::Vapi, "vapi/webhook_tool_calls.json");
        // A second call, and one without an id, which the vendor could not match.
        let voiceport_core::EventKind::TranscriptUpdate { utterance, .. } =
            &mut delivery.event.kind
        else {
            panic!("not a piece of transcript: {:?}", delivery.event.kind)
        };
        let second = ToolCall::new(Some("call_2".into()), Some("transfer".into()), None);
        utterance.tool_calls.push(second);
        utterance
            .tool_calls
            .push(ToolCall::new(None, Some("lost".into()), None));
        let calls = delivery.event.tool_calls().to_vec();
        let mut first = true;
        assert!(delivery.reply_to_tool_calls(|_| {
            let result = if first {
                Ok("booked".to_string())
            } else {
                Err("no slot".into())
            };
            first = false;
            result
        }));
        let sent = answer.try_recv().unwrap();
        let results = sent["results"].as_array().unwrap();
        assert_eq!(results.len(), 2, "{sent}");
        assert_eq!(results[0]["toolCallId"], calls[0].id.as_deref().unwrap());
        assert_eq!(results[0]["name"], calls[0].name.as_deref().unwrap());
        assert_eq!(results[0]["result"], "booked");
        assert_eq!(results[1]["toolCallId"], "call_2");
        assert_eq!(results[1]["error"], "no slot");
        assert!(results[1].get("result").is_none());
        // Answered already: the first reply counts.
        assert!(!delivery.reply_to_tool_calls(|_| Ok(String::new())));
        // Voicebot Studio's are Vapi's.
        let (studio, mut answer) = replying(
            ProviderKind::Voicebot,
            "voicebot/webhook_tool_calls_string_arguments.json",
        );
        assert!(studio.reply_to_tool_calls(|_| Ok("done".to_string())));
        let sent = answer.try_recv().unwrap();
        assert_eq!(
            sent["results"][0]["toolCallId"],
            "call_7HcUe2pTqM0sVn4YbRk1LwJa"
        );
        // No call with an id: nothing to answer with, and the delivery can still reply.
        let (mut unnamed, mut answer) =
            replying(ProviderKind::Vapi, "vapi/webhook_tool_calls.json");
        let voiceport_core::EventKind::TranscriptUpdate { utterance, .. } = &mut unnamed.event.kind
        else {
            panic!("not a piece of transcript")
        };
        utterance
            .tool_calls
            .iter_mut()
            .for_each(|call| call.id = None);
        assert!(!unnamed.reply_to_tool_calls(|_| Ok(String::new())));
        assert!(answer.try_recv().is_err());
        assert!(unnamed.reply(serde_json::json!({"results": []})));
        // Another vendor's request (Retell's inbound call) is not a tool call.
        let (inbound, _answer) = replying(ProviderKind::Retell, "retell/webhook_call_inbound.json");
        assert!(!inbound.reply_to_tool_calls(|_| Ok(String::new())));
        let (status, _answer) = replying(
            ProviderKind::Vapi,
            "vapi/webhook_status_update_in_progress.json",
        );
        assert!(!status.reply_to_tool_calls(|_| Ok(String::new())));
    }

    /// A handler's `?` takes voiceport's errors (their chain said once) and messages.
    #[test]
    fn a_handler_error_comes_from_an_error_or_a_message() {
        let error = voiceport_core::Error::config("providers.sales.api_key", "empty");
        assert_eq!(
            HandlerError::from(error).to_string(),
            "configuration error at `providers.sales.api_key`: empty"
        );
        assert_eq!(
            HandlerError::from("booking full"),
            HandlerError::new("booking full")
        );
        assert_eq!(
            HandlerError::from(String::from("x")),
            HandlerError::new("x")
        );
    }

    #[test]
    fn a_handler_error_from_an_error_says_its_chain_once() {
        #[derive(Debug)]
        struct Saving(std::io::Error, bool);
        impl fmt::Display for Saving {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.1 {
                    true => write!(f, "saving the booking: {}", self.0),
                    false => f.write_str("saving the booking"),
                }
            }
        }
        impl std::error::Error for Saving {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let refused = || std::io::Error::other("connection refused");
        for quoting in [false, true] {
            let failure = HandlerError::from_error(Saving(refused(), quoting));
            assert_eq!(
                failure.to_string(),
                "saving the booking: connection refused"
            );
        }
        // Boxed, as handlers' own errors often are: the chain is read through the box.
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Saving(refused(), false));
        let failure = HandlerError::from_error(boxed);
        assert_eq!(
            failure.to_string(),
            "saving the booking: connection refused"
        );
    }
}
