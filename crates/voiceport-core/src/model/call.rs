//! The unified `Call`: one shape for every vendor.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{CallKind, CallStatus, Direction, EndReason, Transcript, VendorPayload};
use crate::{AgentId, CallId, CampaignId, NoteId, OrganizationId, ProviderKind};

/// One call, normalized. Every vendor's call maps to this shape.
///
/// Serializing a `Call` gives the normalized form: fields in a fixed order, maps sorted by
/// key, the vendor JSON left out. The vendor JSON is kept, byte for byte, behind
/// [`Call::vendor_payload`].
///
/// The normalized form is meant for snapshots, so it changes between versions only where a
/// call's content does: the fields of voiceport 0.1 are always written (`null` when
/// unknown), and every field added since ([`transfer_destination`](Self::transfer_destination),
/// [`customer_name`](Self::customer_name), [`warnings`](Self::warnings), and those to come)
/// is left out when it holds nothing. Upgrading changes the snapshots of the calls that
/// have the new field only.
///
/// The struct is `#[non_exhaustive]` so that fields can be added without breaking users:
/// build one with [`Call::new`] and assign fields.
///
/// Two calls are equal when their vendor payloads are equal too: a call decoded from a
/// vendor's JSON is not equal to the same call built by hand or read back from its
/// normalized JSON (which has no payload). Compare the serialized forms to compare the
/// normalized calls alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Call {
    /// The vendor's call id.
    pub id: CallId,
    /// Which vendor the call came from.
    pub provider: ProviderKind,
    /// The vendor account (organization) the call belongs to.
    pub organization_id: Option<OrganizationId>,
    /// The call this one repeats or follows up, if any.
    pub parent_call_id: Option<CallId>,
    /// The campaign that placed the call, if any.
    pub campaign_id: Option<CampaignId>,
    /// A display name, where the vendor has one.
    pub name: Option<String>,
    /// Phone, web or chat.
    pub kind: CallKind,
    /// Inbound or outbound, where known.
    pub direction: Option<Direction>,
    /// The normalized status.
    #[serde(deserialize_with = "super::status::status_or_unknown")]
    pub status: CallStatus,
    /// The vendor's status string, verbatim.
    pub vendor_status: Option<String>,
    /// Why the call ended, where known.
    pub end_reason: Option<EndReason>,
    /// Where the vendor says the call was transferred or forwarded (a number as the
    /// vendor gives it, with `;ext=` and the extension where it names one, as in a `tel:`
    /// URI, or a SIP URI): Vapi's and Voicebot Studio's `destination`, Retell's
    /// `transfer_destination`. A transfer that was only attempted names it too (an operator
    /// busy, a transfer cancelled): the status and end reason say how it went. Left out
    /// of the normalized JSON when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_destination: Option<String>,
    /// The calling number (E.164 as the vendor gives it).
    pub from: Option<String>,
    /// The called number (E.164 as the vendor gives it).
    pub to: Option<String>,
    /// The customer's name (the other party to the agent), where the vendor has one. Left
    /// out of the normalized JSON when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// The AI agent / assistant / use case that handled the call.
    pub agent: Option<AgentRef>,
    /// The conversation language (BCP 47 as the vendor gives it).
    pub language: Option<String>,
    /// When the call record was created (UTC). A vendor that gives no creation time gives
    /// the start instead (Retell always; Rounded when its `created_at` is missing): the
    /// merged walk of several providers orders calls by this.
    #[serde(serialize_with = "crate::model::time::serialize_opt")]
    pub created_at: Option<DateTime<Utc>>,
    /// When a scheduled call is due (UTC).
    #[serde(serialize_with = "crate::model::time::serialize_opt")]
    pub scheduled_for: Option<DateTime<Utc>>,
    /// When the call connected (UTC).
    #[serde(serialize_with = "crate::model::time::serialize_opt")]
    pub started_at: Option<DateTime<Utc>>,
    /// When the call ended (UTC).
    #[serde(serialize_with = "crate::model::time::serialize_opt")]
    pub ended_at: Option<DateTime<Utc>>,
    /// How long the call lasted, in seconds.
    pub duration_secs: Option<f64>,
    /// What was said, when the vendor includes it with the call.
    pub transcript: Option<Transcript>,
    /// Where to download the recording.
    pub recording: Option<Recording>,
    /// Summary, evaluation, classification and extracted data.
    #[serde(default)]
    pub analysis: Analysis,
    /// Notes people added to the call (HappyRobot).
    #[serde(default)]
    pub notes: Vec<Note>,
    /// Ratings people gave the call (HappyRobot).
    #[serde(default)]
    pub ratings: Vec<Rating>,
    /// Tags on the call.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The caller's own key/value data attached to the call.
    #[serde(default)]
    pub metadata: BTreeMap<String, Value>,
    /// What the call cost.
    pub cost: Option<Cost>,
    /// Values the vendor sent that could not be read and were left out (a date that does
    /// not exist, a number where text was expected…). Empty for a clean call; left out of
    /// the normalized JSON when empty. At most [`MAX_WARNINGS`] of them, then one more of
    /// kind [`WarningKind::TooMany`] counting those left out (a list of a thousand broken
    /// entries is not a thousand warnings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<NormalizationWarning>,
    #[serde(skip)]
    vendor_payload: Option<VendorPayload>,
}

impl Call {
    /// A call with an id and a provider; its kind [`CallKind::Phone`], every other field
    /// empty or unknown.
    pub fn new(id: CallId, provider: ProviderKind) -> Self {
        Call {
            id,
            provider,
            organization_id: None,
            parent_call_id: None,
            campaign_id: None,
            name: None,
            kind: CallKind::Phone,
            direction: None,
            status: CallStatus::Unknown,
            vendor_status: None,
            end_reason: None,
            transfer_destination: None,
            from: None,
            to: None,
            customer_name: None,
            agent: None,
            language: None,
            created_at: None,
            scheduled_for: None,
            started_at: None,
            ended_at: None,
            duration_secs: None,
            transcript: None,
            recording: None,
            analysis: Analysis::default(),
            notes: Vec::new(),
            ratings: Vec::new(),
            tags: Vec::new(),
            metadata: BTreeMap::new(),
            cost: None,
            warnings: Vec::new(),
            vendor_payload: None,
        }
    }

    /// Records that the vendor's `value` at `field` (a JSON path such as `started_at` or
    /// `artifact.messages[3].time`) could not be read and was left out: what was wrong
    /// with it (`kind`), and why in words.
    ///
    /// Past [`MAX_WARNINGS`], the warning is counted, not kept: the last one, of kind
    /// [`WarningKind::TooMany`], says how many were left out (its `value`) and the first
    /// of them (its `field`).
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::{Call, CallId, MAX_WARNINGS, ProviderKind, WarningKind};
    ///
    /// let mut call = Call::new(CallId::new("c-1"), ProviderKind::Rounded);
    /// for i in 0..MAX_WARNINGS + 3 {
    ///     call.warn(WarningKind::NotATime, format!("transcript[{i}].start_time"), "x", "not a time");
    /// }
    /// assert_eq!(call.warnings.len(), MAX_WARNINGS + 1);
    /// let counted = &call.warnings[MAX_WARNINGS];
    /// assert_eq!((counted.kind.clone(), counted.value.as_str()), (WarningKind::TooMany, "3"));
    /// ```
    pub fn warn(
        &mut self,
        kind: WarningKind,
        field: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
    ) {
        if self.warnings.len() < MAX_WARNINGS {
            (self.warnings).push(NormalizationWarning::new(kind, field, value, message));
            return;
        }
        let left_out = match self.warnings.get(MAX_WARNINGS) {
            Some(counted) => counted
                .value
                .parse::<usize>()
                .unwrap_or(0)
                .saturating_add(1),
            None => 1,
        };
        let message = format!("{left_out} more warnings left out, the first at this field");
        let counted =
            NormalizationWarning::new(WarningKind::TooMany, field, left_out.to_string(), message);
        match self.warnings.get_mut(MAX_WARNINGS) {
            Some(slot) => {
                slot.value = counted.value;
                slot.message = counted.message;
            }
            None => self.warnings.push(counted),
        }
    }

    /// How long the call lasted ([`duration_secs`](Self::duration_secs)) as a
    /// [`Duration`](std::time::Duration), for timers and arithmetic; `None` when it is
    /// missing, negative, NaN, infinite or too large for a `Duration`.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use std::time::Duration;
    /// use voiceport::{Call, CallId, ProviderKind};
    ///
    /// let mut call = Call::new(CallId::new("c1"), ProviderKind::Vapi);
    /// call.duration_secs = Some(92.5);
    /// assert_eq!(call.duration(), Some(Duration::from_millis(92_500)));
    /// call.duration_secs = Some(-1.0);
    /// assert_eq!(call.duration(), None);
    /// ```
    pub fn duration(&self) -> Option<std::time::Duration> {
        std::time::Duration::try_from_secs_f64(self.duration_secs?).ok()
    }

    /// The exact vendor JSON this call was normalized from, when it came from a vendor.
    pub fn vendor_payload(&self) -> Option<&VendorPayload> {
        self.vendor_payload.as_ref()
    }

    /// Attaches the vendor JSON this call was normalized from.
    pub fn set_vendor_payload(&mut self, payload: VendorPayload) {
        self.vendor_payload = Some(payload);
    }

    /// Removes and returns the vendor JSON.
    pub fn take_vendor_payload(&mut self) -> Option<VendorPayload> {
        self.vendor_payload.take()
    }
}

/// The most warnings a call keeps ([`Call::warnings`]); one more counts those left out.
pub const MAX_WARNINGS: usize = 50;

/// A vendor value that normalization could not read, kept so that it never vanishes
/// silently (see [`Call::warnings`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NormalizationWarning {
    /// Where the value was, as a JSON path into the vendor JSON kept with the call
    /// ([`Call::vendor_payload`]): `started_at` for a call object, `message.call.endedAt`
    /// for a call assembled from a whole webhook delivery.
    pub field: String,
    /// The value as the vendor sent it: at most 80 characters (with an ellipsis), its
    /// control characters and direction overrides escaped (`\n`, `\u{202e}`).
    pub value: String,
    /// What was wrong with it, as a code to match on (`not_a_time`).
    pub kind: WarningKind,
    /// Why it was left out, in words (`not a date and time`): wording that may change
    /// between releases, where [`kind`](Self::kind) does not.
    pub message: String,
}

crate::open_enum! {
    /// What was wrong with a vendor value that normalization left out
    /// ([`NormalizationWarning::kind`]): a code that stays as it is when a message is
    /// reworded. A code from a newer release reads back as `Other`. Non-exhaustive: a code
    /// named later is a variant more.
    #[non_exhaustive]
    pub enum WarningKind {
        /// Not a date and time (or not one in the unit the vendor uses).
        NotATime => "not_a_time",
        /// Not a number, or not a finite one.
        NotANumber => "not_a_number",
        /// A negative amount, duration or count.
        Negative => "negative",
        /// A number too large to use (a sum that would overflow).
        TooLarge => "too_large",
        /// An empty id.
        EmptyId => "empty_id",
        /// Text that is none of the values the field takes (a direction `sideways`).
        UnknownValue => "unknown_value",
        /// JSON of the wrong shape (an array where an object belongs).
        WrongShape => "wrong_shape",
        /// A value that contradicts another (a call that ends before it starts).
        Contradiction => "contradiction",
        /// A value the vendor names by id only, which could not be looked up (a Vapi call's
        /// own number: its phone number deleted, or the lookup failing); where the failure
        /// may pass, a later read may find it.
        NotLookedUp => "not_looked_up",
        /// More warnings than a call keeps ([`MAX_WARNINGS`]): this one counts those left
        /// out.
        TooMany => "too_many",
    }
}

/// Vendor text reaches the field (a key of the vendor's) and the message (a value named in
/// it), as it does the value: their control characters are written escaped too, so that a
/// warning printed to a terminal cannot carry an escape sequence or fake a line.
impl std::fmt::Display for NormalizationWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        let clean = |f: &mut std::fmt::Formatter<'_>, text: &str| {
            text.chars().try_for_each(|c| match c.is_control() {
                true => write!(f, "{}", c.escape_unicode()),
                false => f.write_char(c),
            })
        };
        clean(f, &self.field)?;
        f.write_str(": ")?;
        clean(f, &self.message)?;
        write!(f, " ({:?})", self.value)
    }
}

impl NormalizationWarning {
    /// The warning that the vendor's `value` at `field` was left out, what was wrong
    /// with it (`kind`), and why in words.
    pub fn new(
        kind: WarningKind,
        field: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        NormalizationWarning {
            field: field.into(),
            value: value.into(),
            kind,
            message: message.into(),
        }
    }
}

/// The agent, assistant or use case that handled a call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgentRef {
    /// Its id.
    pub id: Option<AgentId>,
    /// Its display name.
    pub name: Option<String>,
}

impl AgentRef {
    /// The agent of this id and name.
    pub fn new(id: Option<AgentId>, name: Option<String>) -> Self {
        AgentRef { id, name }
    }
}

/// Where to download a call's recording.
///
/// A pre-signed URL's query is a credential: `Debug` (what a `{:?}` in a log line writes)
/// shows each URL without it; the fields and the serialized form keep it whole.
///
/// Build one with `Recording::default()`, then set its fields.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Recording {
    /// The mono (mixed) recording.
    pub mono_url: Option<String>,
    /// The stereo recording (one channel per party).
    pub stereo_url: Option<String>,
    /// When pre-signed URLs stop working, where known.
    #[serde(serialize_with = "crate::model::time::serialize_opt")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        /// The URL up to its query, which is marked as left out.
        struct Unsigned<'a>(Option<&'a str>);
        impl std::fmt::Debug for Unsigned<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.0 {
                    None => f.write_str("None"),
                    Some(url) => match url.split_once('?') {
                        Some((before, _)) => {
                            write!(f, "Some(\"{}?[query hidden]\")", before.escape_debug())
                        }
                        None => write!(f, "Some({url:?})"),
                    },
                }
            }
        }
        f.debug_struct("Recording")
            .field("mono_url", &Unsigned(self.mono_url.as_deref()))
            .field("stereo_url", &Unsigned(self.stereo_url.as_deref()))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What the vendor's analysis made of the call.
///
/// Build one with `Analysis::default()`, then set its fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Analysis {
    /// A short summary of the conversation.
    pub summary: Option<String>,
    /// The vendor's success evaluation, verbatim (`"true"`, `"8"`, `"PASS"` …).
    pub success_evaluation: Option<String>,
    /// The outcome class the vendor assigned.
    pub classification: Option<Classification>,
    /// Structured data extracted from the conversation.
    #[serde(default)]
    pub extracted: BTreeMap<String, Value>,
}

/// An outcome class and the model's reasoning for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Classification {
    /// The class.
    pub tag: String,
    /// Why.
    pub reasoning: Option<String>,
}

impl Classification {
    /// The class `tag`, and why.
    pub fn new(tag: impl Into<String>, reasoning: Option<String>) -> Self {
        Classification {
            tag: tag.into(),
            reasoning,
        }
    }
}

/// A note a person added to a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Note {
    /// The note's id.
    pub id: NoteId,
    /// Its text.
    pub content: String,
    /// Who wrote it (the vendor's user id).
    pub author: Option<String>,
    /// Whether it is flagged for attention.
    #[serde(default)]
    pub flagged: bool,
    /// When it was written.
    #[serde(serialize_with = "crate::model::time::serialize_opt")]
    pub created_at: Option<DateTime<Utc>>,
}

impl Note {
    /// The note `id` reading `content`; no author, not flagged, no time.
    pub fn new(id: NoteId, content: impl Into<String>) -> Self {
        Note {
            id,
            content: content.into(),
            author: None,
            flagged: false,
            created_at: None,
        }
    }
}

/// A rating a person gave a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Rating {
    /// The rating, as the vendor spells it (HappyRobot: an emoji such as `✅`).
    pub value: String,
    /// Who rated (an email address).
    pub by: Option<String>,
    /// When.
    #[serde(serialize_with = "crate::model::time::serialize_opt")]
    pub created_at: Option<DateTime<Utc>>,
}

impl Rating {
    /// The rating `value`; by no one known, at no known time.
    pub fn new(value: impl Into<String>) -> Self {
        Rating {
            value: value.into(),
            by: None,
            created_at: None,
        }
    }
}

/// What a call cost.
///
/// Build one with `Cost::default()`, then set its fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Cost {
    /// The total, in the currency's major unit (dollars, not cents: Retell's cents are
    /// converted), whatever the vendor counts in.
    pub total: Option<f64>,
    /// ISO 4217 currency code, where the vendor states it.
    pub currency: Option<String>,
    /// Per-component costs (telephony, transcription, LLM, voice …).
    #[serde(default)]
    pub breakdown: Vec<CostItem>,
}

impl Cost {
    /// A cost of `total` in `currency`, made of `breakdown`.
    pub fn new(total: Option<f64>, currency: Option<String>, breakdown: Vec<CostItem>) -> Self {
        Cost {
            total,
            currency,
            breakdown,
        }
    }
}

/// One component of a call's cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CostItem {
    /// The component, as the vendor names it (`voip`, `transcriber`, `llm`, `tts` …).
    pub component: String,
    /// Its cost, in the major unit of the call's currency, as [`Cost::total`].
    pub amount: f64,
    /// What it pays for, in words every vendor's items share, where the adapter knows
    /// (left out of the JSON when it does not): sum the items of one category to compare
    /// vendors, whose component names differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<CostCategory>,
}

crate::open_enum! {
    /// What a part of a call's cost pays for ([`CostItem::category`]), the same word for
    /// every vendor. A category from a newer release reads back as `Other`.
    ///
    /// ```
    /// use voiceport_core::{CostCategory, CostItem};
    ///
    /// // HappyRobot's `voip`, Vapi's `transport` and Retell's `twilio` are one category.
    /// let items = [
    ///     CostItem::new("voip", 0.012).with_category(CostCategory::Telephony),
    ///     CostItem::new("llm", 0.030).with_category(CostCategory::Llm),
    ///     CostItem::new("knowledge-base", 0.001),
    /// ];
    /// let telephony: f64 = (items.iter())
    ///     .filter(|item| item.category == Some(CostCategory::Telephony))
    ///     .map(|item| item.amount)
    ///     .sum();
    /// assert_eq!(telephony, 0.012);
    /// assert_eq!(CostCategory::Llm.as_str(), "llm");
    /// ```
    #[non_exhaustive]
    pub enum CostCategory {
        /// The phone line: the carrier, the transport (HappyRobot's `voip`, Vapi's
        /// `transport`, Retell's `twilio`).
        Telephony => "telephony",
        /// Speech to text (`transcriber`, `stt`).
        Transcription => "transcription",
        /// The language model (`llm`; Retell names the model).
        Llm => "llm",
        /// Text to speech (`tts`; Retell's `…_tts` products).
        Speech => "speech",
        /// The vendor's own fee (Vapi's `vapi`, Retell's `retell_platform`).
        Platform => "platform",
        /// Work on the call after it (Vapi's `analysis`).
        Analysis => "analysis",
    }
}

impl CostItem {
    /// The cost `amount` of `component`, in no category.
    pub fn new(component: impl Into<String>, amount: f64) -> Self {
        CostItem {
            component: component.into(),
            category: None,
            amount,
        }
    }

    /// The item in `category`.
    #[must_use]
    pub fn with_category(mut self, category: CostCategory) -> Self {
        self.category = Some(category);
        self
    }
}

#[cfg(test)]
mod tests {

    /// A call written by an earlier release (an export archive, a cache) reads back
    /// without the fields it did not have: every list, map and analysis defaults to empty.
    #[test]
    fn a_call_with_only_its_required_fields_reads_back() {
        let json = r#"{"id":"c1","provider":"retell","kind":"phone","status":"completed"}"#;
        let call: Call = serde_json::from_str(json).expect("read back");
        let mut expected = Call::new(CallId::new("c1"), ProviderKind::Retell);
        expected.status = CallStatus::Completed;
        assert_eq!(call, expected);
        let page = crate::CallPage {
            calls: vec![expected.clone()],
            next: Some(crate::PageCursor::Token { token: "p2".into() }),
            total: Some(31),
            vendor_ids: None,
        };
        let json = serde_json::to_string(&page).expect("written");
        assert_eq!(
            serde_json::from_str::<crate::CallPage>(&json).ok(),
            Some(page)
        );
        let dialed = crate::DialOutcome {
            call_id: CallId::new("c1"),
            call: Some(expected),
        };
        let json = serde_json::to_string(&dialed).expect("written");
        assert_eq!(
            serde_json::from_str::<crate::DialOutcome>(&json).ok(),
            Some(dialed)
        );
        let outcome: crate::RequestOutcome = serde_json::from_str("\"not_applied\"").unwrap();
        assert_eq!(outcome, crate::RequestOutcome::NotApplied);
    }

    /// The parts of a call read back without their lists and flags too: an utterance
    /// written without `tool_calls`, a note without `flagged` (by hand, or by a tool that
    /// drops empty and false values).
    #[test]
    fn a_calls_parts_read_back_without_their_empty_lists_and_false_flags() {
        let json = r#"{"id":"c1","provider":"happyrobot","kind":"phone","status":"completed",
            "transcript":{"utterances":[{"speaker":"agent","text":"Hello"}]},
            "notes":[{"id":"n1","content":"Call back"}]}"#;
        let call: Call = serde_json::from_str(json).expect("read back");
        let utterance = call.transcript.as_ref().map(|t| &t.utterances[..]);
        assert_eq!(
            utterance,
            Some(
                &[crate::Utterance::new(
                    crate::Speaker::Agent,
                    Some("Hello".to_string())
                )][..]
            )
        );
        assert_eq!(call.notes.len(), 1);
        assert!(!call.notes[0].flagged);
        assert_eq!(call.notes[0].content, "Call back");
    }

    /// A warning's text holds vendor text: printed, its control characters are escaped,
    /// the value's as the field's and the message's.
    /// The normalized form's promise to snapshots (see [`Call`]): an empty call writes the
    /// fields of voiceport 0.1 and no other, so a field added since must be left out when
    /// it holds nothing; one that holds something is written.
    #[test]
    fn only_the_fields_of_0_1_are_written_when_empty() {
        const FIELDS_OF_0_1: [&str; 28] = [
            "id",
            "provider",
            "organization_id",
            "parent_call_id",
            "campaign_id",
            "name",
            "kind",
            "direction",
            "status",
            "vendor_status",
            "end_reason",
            "from",
            "to",
            "agent",
            "language",
            "created_at",
            "scheduled_for",
            "started_at",
            "ended_at",
            "duration_secs",
            "transcript",
            "recording",
            "analysis",
            "notes",
            "ratings",
            "tags",
            "metadata",
            "cost",
        ];
        let keys = |call: &Call| -> std::collections::BTreeSet<String> {
            let json = serde_json::to_value(call).unwrap();
            json.as_object().unwrap().keys().cloned().collect()
        };
        let mut call = Call::new(CallId::new("c1"), ProviderKind::Vapi);
        let fields_of_0_1 = FIELDS_OF_0_1.map(String::from).into();
        assert_eq!(keys(&call), fields_of_0_1);

        call.transfer_destination = Some("+14155550100".into());
        call.customer_name = Some("Dana Whitfield".into());
        call.warn(
            WarningKind::NotATime,
            "startedAt",
            "soon",
            "not a date and time",
        );
        let added: std::collections::BTreeSet<String> =
            (keys(&call).difference(&fields_of_0_1).cloned()).collect();
        assert_eq!(
            added,
            ["customer_name", "transfer_destination", "warnings"]
                .map(String::from)
                .into()
        );
    }

    #[test]
    fn a_warning_prints_vendor_text_without_its_control_characters() {
        let mut call = Call::new(CallId::new("c1"), ProviderKind::Vapi);
        call.warn(
            WarningKind::TooLarge,
            "costs[1].amount",
            "1e308",
            "too large to add to the other `\u{1b}]0;pwn\u{7}` costs",
        );
        call.warn(
            WarningKind::NotATime,
            "metadata.a\nb",
            "x\u{1b}",
            "not a date",
        );
        for warning in &call.warnings {
            let shown = warning.to_string();
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
        }
        assert_eq!(
            call.warnings[0].to_string(),
            "costs[1].amount: too large to add to the other `\\u{1b}]0;pwn\\u{7}` costs (\"1e308\")"
        );
    }

    /// A warning's kind is a code that reads back, a newer release's one as `Other`.
    #[test]
    fn a_warning_s_kind_is_a_code_that_reads_back() {
        let mut call = Call::new(CallId::new("c1"), ProviderKind::Retell);
        call.warn(WarningKind::Negative, "duration_ms", "-1200", "negative");
        let json = serde_json::to_value(&call.warnings[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"field": "duration_ms", "value": "-1200", "kind": "negative", "message": "negative"})
        );
        let read: NormalizationWarning = serde_json::from_value(json).unwrap();
        assert_eq!(read, call.warnings[0]);
        let newer = r#"{"field": "f", "value": "v", "kind": "not_a_currency", "message": "m"}"#;
        let read: NormalizationWarning = serde_json::from_str(newer).unwrap();
        assert_eq!(read.kind, WarningKind::Other("not_a_currency".into()));
    }

    use super::*;
    use crate::EndReasonCategory;

    #[test]
    fn a_duration_is_read_only_when_it_is_one() {
        use std::time::Duration;
        let duration = |secs: Option<f64>| {
            let mut call = Call::new(CallId::new("c1"), ProviderKind::Retell);
            call.duration_secs = secs;
            call.duration()
        };
        assert_eq!(duration(Some(0.0)), Some(Duration::ZERO));
        assert_eq!(duration(Some(61.25)), Some(Duration::from_millis(61_250)));
        assert_eq!(duration(None), None);
        for bad in [
            -1.0,
            -1e-9,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e20,
        ] {
            assert_eq!(duration(Some(bad)), None, "{bad}");
        }
        assert_eq!(duration(Some(u64::MAX as f64)), None, "too large");
    }

    #[test]
    fn a_category_displays_as_it_serializes() {
        let mut names = std::collections::BTreeSet::new();
        for &category in EndReasonCategory::ALL {
            let json = serde_json::to_value(category).unwrap();
            assert_eq!(json.as_str(), Some(category.as_str()));
            assert_eq!(category.to_string(), category.as_str());
            assert!(names.insert(category.as_str()), "{category} twice");
        }
    }

    /// A call written by a newer release, with a status or end category this one does not
    /// know, reads back (as `Unknown` / `Other`) rather than failing whole.
    #[test]
    fn a_status_or_category_from_a_newer_release_reads_back() {
        let mut call = Call::new(CallId::new("c1"), ProviderKind::Retell);
        call.end_reason = Some(EndReason::new(
            EndReasonCategory::Busy,
            Some("line_busy".into()),
        ));
        let mut json = serde_json::to_value(&call).unwrap();
        json["status"] = "on_hold".into();
        json["end_reason"]["category"] = "carrier_dropped".into();
        let read: Call = serde_json::from_value(json).unwrap();
        assert_eq!(read.status, CallStatus::Unknown);
        assert_eq!(read.end_reason.unwrap().category, EndReasonCategory::Other);
        // An event too.
        let event = crate::CallEvent::new(
            "status-update",
            crate::EventKind::StatusChanged {
                status: CallStatus::Ringing,
                vendor_status: None,
                call: None,
            },
        );
        let mut json = serde_json::to_value(&event).unwrap();
        json["status"] = "on_hold".into();
        let read: crate::CallEvent = serde_json::from_value(json).unwrap();
        assert!(matches!(
            read.kind,
            crate::EventKind::StatusChanged {
                status: CallStatus::Unknown,
                ..
            }
        ));
        // A status named on its own, or in a query, is read strictly: a misspelt filter
        // is an error, not a filter for `Unknown`.
        assert!(serde_json::from_str::<CallStatus>("\"on_hold\"").is_err());
        let query = serde_json::json!({"statuses": ["complete"]});
        assert!(serde_json::from_value::<crate::CallQuery>(query).is_err());
        assert_eq!(
            serde_json::from_str::<CallStatus>("\"completed\"").unwrap(),
            CallStatus::Completed
        );
    }

    /// A pre-signed URL's query never reaches a `{:?}`; the URL itself is kept whole.
    #[test]
    fn a_recording_s_debug_hides_the_signed_query() {
        let signed =
            "https://media.example.com/rec/c1.wav?X-Amz-Signature=5f1c9e&X-Amz-Expires=3600";
        let recording = Recording {
            mono_url: Some(signed.into()),
            stereo_url: Some("https://media.example.com/rec/c1-stereo.wav".into()),
            expires_at: None,
        };
        let shown = format!("{recording:?}");
        assert!(!shown.contains("5f1c9e"), "{shown}");
        assert!(
            shown.contains(r#"Some("https://media.example.com/rec/c1.wav?[query hidden]")"#),
            "{shown}"
        );
        assert!(shown.contains(r#"Some("https://media.example.com/rec/c1-stereo.wav")"#));
        assert_eq!(recording.mono_url.as_deref(), Some(signed));
        let json = serde_json::to_string(&recording).unwrap();
        assert!(json.contains("5f1c9e"));
    }
}
