//! What callers ask for: list queries, dials, updates and notes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::adapter::number_key;
use crate::{
    AgentId, Call, CallId, CallKind, CallStatus, CampaignId, Capabilities, Direction, Error,
    Filter, Operation, PageCursor, ProviderKind,
};

/// Sort order of a call listing, by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Oldest first.
    Ascending,
    /// Newest first.
    Descending,
}

impl SortOrder {
    /// `ascending` or `descending`, as serialized; `Display` writes the same.
    ///
    /// ```
    /// # use voiceport_core as voiceport;
    /// use voiceport::SortOrder;
    /// assert_eq!(SortOrder::Descending.to_string(), "descending");
    /// // Read back in any case, and as the CLI's `--sort` words: newest and oldest first.
    /// assert_eq!("newest".parse::<SortOrder>(), Ok(SortOrder::Descending));
    /// assert_eq!("Ascending".parse::<SortOrder>(), Ok(SortOrder::Ascending));
    /// assert!("sideways".parse::<SortOrder>().is_err());
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Ascending => "ascending",
            SortOrder::Descending => "descending",
        }
    }
}

impl std::fmt::Display for SortOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for SortOrder {
    type Err = crate::UnknownNameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ascending" | "asc" | "oldest" => Ok(SortOrder::Ascending),
            "descending" | "desc" | "newest" => Ok(SortOrder::Descending),
            _ => Err(crate::UnknownNameError::new(
                "sort order",
                text,
                ["ascending", "descending", "newest", "oldest"],
            )),
        }
    }
}

/// Which calls to list. Every field is optional; the default lists everything.
///
/// A filter the vendor cannot apply server-side is applied client-side by the adapter (see
/// [`Capabilities`]) or refused with [`Error::Unsupported`]; it is never silently ignored.
///
/// Build it as a struct literal ending in `..Default::default()`, which a new field then
/// takes its default from: `CallQuery { page_size: Some(50), ..Default::default() }`. A
/// struct literal without that base, or a pattern without `..`, breaks when a field is added:
/// fields are added in minor releases only, never in a patch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallQuery {
    /// Only calls in this direction.
    pub direction: Option<Direction>,
    /// Only calls of this kind.
    pub kind: Option<CallKind>,
    /// Only calls whose normalized status is one of these (empty: any).
    pub statuses: Vec<CallStatus>,
    /// Only calls created (or, where the vendor filters on it, started) at or after this
    /// time. Most vendors filter on the creation time; Rounded and Retell filter on the
    /// start time, so there a call that never started is kept only when the vendor returns
    /// it (each vendor's page under `docs/vendors` says which).
    pub since: Option<DateTime<Utc>>,
    /// Only calls created (or started, as for [`since`](Self::since)) before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only calls handled by this agent / assistant / use case.
    pub agent_id: Option<AgentId>,
    /// Only calls of this campaign.
    pub campaign_id: Option<CampaignId>,
    /// Only calls carrying all of these tags (empty: any).
    pub tags: Vec<String>,
    /// Free-text search (the vendor decides what it searches).
    pub search: Option<String>,
    /// Only calls from this number. A phone number written with spaces, dashes, dots or
    /// parentheses after its `+` is sent as E.164 (`+1 (415) 555-0187` as `+14155550187`),
    /// as a dial sends the number it calls; any other as it is written (vendors compare
    /// numbers as text). Checked again on the calls returned, however each is written.
    pub from_number: Option<String>,
    /// Only calls to this number, written and sent as [`from_number`](Self::from_number).
    pub to_number: Option<String>,
    /// Sort order.
    pub sort: Option<SortOrder>,
    /// Calls per page (the adapter caps it at the vendor's maximum).
    pub page_size: Option<u32>,
    /// Where to resume; `None` starts at the first page.
    pub cursor: Option<PageCursor>,
}

impl CallQuery {
    /// The filters this query sets (for capability checks and messages).
    pub fn filters_used(&self) -> Vec<Filter> {
        let set = [
            self.direction.is_some(),
            self.kind.is_some(),
            !self.statuses.is_empty(),
            self.since.is_some() || self.until.is_some(),
            self.agent_id.is_some(),
            self.campaign_id.is_some(),
            !self.tags.is_empty(),
            self.search.is_some(),
            self.from_number.is_some(),
            self.to_number.is_some(),
            self.sort.is_some(),
        ];
        Filter::ALL
            .iter()
            .copied()
            .zip(set)
            .filter_map(|(filter, used)| used.then_some(filter))
            .collect()
    }

    /// Refuses the query if it uses a filter the provider cannot apply at all.
    pub fn ensure_supported(
        &self,
        provider: ProviderKind,
        caps: &Capabilities,
    ) -> Result<(), Error> {
        match self.unsupported_filter(caps) {
            Some(filter) => Err(Error::unsupported(provider, Operation::ListFilter(filter))),
            None => Ok(()),
        }
    }

    /// Refuses a time range that holds no time (`until` not after `since`): it would be
    /// answered with an empty page, as if no call matched; a blank agent, campaign,
    /// number or tag to filter on, which a vendor reads as no filter, or as "calls with
    /// none", never as what was meant; and a cursor no vendor writes (page 0, a blank
    /// token), which a vendor may read as the first page.
    pub fn validate(&self, provider: ProviderKind) -> Result<(), Error> {
        self.validate_for(provider, Operation::ListCalls)
    }

    /// [`validate`](Self::validate) for an `operation` other than a listing that takes a
    /// query (a vendor's export), whose refusal names it.
    pub fn validate_for(&self, provider: ProviderKind, operation: Operation) -> Result<(), Error> {
        let blank = [
            ("agent_id", self.agent_id.as_ref().map(AgentId::as_str)),
            (
                "campaign_id",
                self.campaign_id.as_ref().map(CampaignId::as_str),
            ),
            ("from_number", self.from_number.as_deref()),
            ("to_number", self.to_number.as_deref()),
        ]
        .into_iter()
        .chain(self.tags.iter().map(|tag| ("tags", Some(tag.as_str()))))
        .find(|(_, value)| value.is_some_and(|v| crate::adapter::non_blank(v).is_none()));
        if let Some((field, _)) = blank {
            let message = format!("`{field}` is blank: leave it unset to filter on nothing");
            return Err(Error::invalid_input(provider, operation, message));
        }
        // A cursor no vendor wrote: a vendor may read either as "from the first page".
        let cursor_message = match &self.cursor {
            Some(PageCursor::Page { number: 0 }) => Some("page 0: pages are numbered from 1"),
            Some(PageCursor::Token { token })
                if crate::adapter::non_blank(token.as_str()).is_none() =>
            {
                Some("a blank token: no vendor pages with one")
            }
            _ => None,
        };
        if let Some(message) = cursor_message {
            let message = format!("the cursor is {message}");
            return Err(Error::invalid_input(provider, operation, message));
        }
        if let (Some(since), Some(until)) = (self.since, self.until)
            && until <= since
        {
            let message = format!(
                "`until` ({}) is not after `since` ({}): no call can be in the range",
                crate::adapter::format_time(until),
                crate::adapter::format_time(since)
            );
            return Err(Error::invalid_input(provider, operation, message));
        }
        Ok(())
    }

    /// The first filter of this query that `caps` cannot apply, if any. A sort counts as
    /// applied when the provider sorts, or when it asks for the order the vendor lists in
    /// anyway ([`Capabilities::listing_order`]).
    pub fn unsupported_filter(&self, caps: &Capabilities) -> Option<Filter> {
        self.filters_used()
            .into_iter()
            .find(|&filter| match filter {
                Filter::Sort => self.sort.is_some_and(|order| !caps.supports_sort(order)),
                other => !caps.supports_filter(other),
            })
    }

    /// Whether a call the vendor returned for this query's time range is in it, judged by
    /// `at` (the time the vendor filtered on: its start or creation time) and the call's
    /// end: a call with `at` is held to `since <= at < until` exactly (vendors are asked
    /// for a slightly wider range where their bounds are exclusive or unclear); a call
    /// without one (it never connected) cannot be placed and is kept, unless its end
    /// proves it began before `since`.
    pub fn in_time_range(
        &self,
        at: Option<DateTime<Utc>>,
        ended_at: Option<DateTime<Utc>>,
    ) -> bool {
        match at {
            Some(at) => {
                self.since.is_none_or(|since| at >= since)
                    && self.until.is_none_or(|until| at < until)
            }
            None => self
                .since
                .is_none_or(|since| ended_at.is_none_or(|end| end >= since)),
        }
    }

    /// Whether a normalized call passes every filter of this query.
    ///
    /// Adapters whose vendor cannot filter server-side use this to filter client-side, so
    /// that the same query means the same thing everywhere. The time range takes a call
    /// whose creation or start time is in it, whichever the vendor filtered on, and, as
    /// [`in_time_range`](Self::in_time_range), a call with neither unless its end proves
    /// it began before `since`; a page decoder that knows its vendor's field uses
    /// `in_time_range` on it. `search` matches,
    /// case-insensitively, the numbers, the call's and the customer's names, summary, tags
    /// and extracted values.
    pub fn matches(&self, call: &Call) -> bool {
        let direction_ok = self.direction.is_none_or(|d| call.direction == Some(d));
        let kind_ok = self.kind.as_ref().is_none_or(|k| &call.kind == k);
        let status_ok = self.statuses.is_empty() || self.statuses.contains(&call.status);
        let time_ok = match (call.created_at, call.started_at) {
            (None, None) => self.in_time_range(None, call.ended_at),
            (created, started) => (created.into_iter().chain(started))
                .any(|at| self.in_time_range(Some(at), call.ended_at)),
        };
        let agent_ok = self
            .agent_id
            .as_ref()
            .is_none_or(|wanted| call.agent.as_ref().and_then(|a| a.id.as_ref()) == Some(wanted));
        let campaign_ok = self
            .campaign_id
            .as_ref()
            .is_none_or(|wanted| call.campaign_id.as_ref() == Some(wanted));
        let tags_ok = self.tags.iter().all(|t| call.tags.contains(t));
        // However each is written: `+1 (415) 555-0187` is `+14155550187`.
        let same_number = |wanted: &str, number: Option<&str>| {
            number.is_some_and(|number| number_key(number) == number_key(wanted))
        };
        let from_ok =
            (self.from_number.as_deref()).is_none_or(|n| same_number(n, call.from.as_deref()));
        let to_ok = (self.to_number.as_deref()).is_none_or(|n| same_number(n, call.to.as_deref()));
        let search_ok = self
            .search
            .as_deref()
            .is_none_or(|needle| search_matches(call, needle));
        direction_ok
            && kind_ok
            && status_ok
            && time_ok
            && agent_ok
            && campaign_ok
            && tags_ok
            && from_ok
            && to_ok
            && search_ok
    }
}

fn search_matches(call: &Call, needle: &str) -> bool {
    // Nothing to look for is found in every call, one without any text too.
    if needle.is_empty() {
        return true;
    }
    let needle = needle.to_lowercase();
    let hit = |text: &str| text.to_lowercase().contains(&needle);
    call.from.as_deref().is_some_and(hit)
        || call.to.as_deref().is_some_and(hit)
        || call.name.as_deref().is_some_and(hit)
        || call.customer_name.as_deref().is_some_and(hit)
        || call.analysis.summary.as_deref().is_some_and(hit)
        || call.tags.iter().any(|t| hit(t))
        || call.analysis.extracted.values().any(|v| match v {
            Value::String(s) => hit(s),
            other => hit(&other.to_string()),
        })
}

/// An outbound call to place.
///
/// Fields a vendor does not know are refused by its adapter with a clear error rather than
/// dropped; `extra` passes vendor-specific fields through untouched.
///
/// Build it with [`DialRequest::to`] and its `with_` methods (or set its fields), or as a
/// struct literal ending in `..Default::default()`, which a new field then takes its
/// default from. A struct literal without that base, or a pattern without `..`, breaks
/// when a field is added: fields are added in minor releases only, never in a patch.
///
/// ```
/// use voiceport_core::DialRequest;
/// let request = DialRequest::to("+14155550187")
///     .with_agent("agent_1")
///     .with_variable("first_name", "Ada")
///     .with_metadata("crm_id", 42)
///     .with_language("en-US")
///     .with_max_duration_secs(600)
///     .with_name("Renewal, Ada")
///     .with_campaign("spring-renewals");
/// assert_eq!(request.variables["first_name"], "Ada");
/// assert_eq!(request.agent_id.as_ref().map(|a| a.as_str()), Some("agent_1"));
/// assert_eq!(request.campaign_id.as_ref().map(|c| c.as_str()), Some("spring-renewals"));
/// assert_eq!(request.max_duration_secs, Some(600));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialRequest {
    /// The number to call (E.164).
    pub to: String,
    /// The caller id to call from (E.164), for vendors that take a number (Rounded,
    /// Retell).
    pub from_number: Option<String>,
    /// The vendor's id of the phone number to call from (HappyRobot `number_id`, Voicebot
    /// Studio's and Vapi's `phoneNumberId`).
    pub phone_number_id: Option<String>,
    /// The agent / assistant / use case that talks.
    pub agent_id: Option<AgentId>,
    /// Values for the agent's prompt template variables.
    pub variables: BTreeMap<String, Value>,
    /// Your own key/value data to store on the call.
    pub metadata: BTreeMap<String, Value>,
    /// Place the call at this time instead of now.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Hang up after this many seconds.
    pub max_duration_secs: Option<u32>,
    /// The conversation language (BCP 47).
    pub language: Option<String>,
    /// A display name for the call.
    pub name: Option<String>,
    /// The campaign to attach the call to.
    pub campaign_id: Option<CampaignId>,
    /// Vendor-specific body fields, added to the request body as given. A field voiceport
    /// sets from the request is refused, not replaced (each vendor's page says which
    /// object it merges instead, such as Vapi's `assistantOverrides`).
    pub extra: BTreeMap<String, Value>,
}

impl DialRequest {
    /// A dial of `to` with everything else unset.
    pub fn to(number: impl Into<String>) -> Self {
        DialRequest {
            to: number.into(),
            ..DialRequest::default()
        }
    }

    /// Sets the agent (assistant, use case) that talks.
    #[must_use]
    pub fn with_agent(mut self, agent: impl Into<AgentId>) -> Self {
        self.agent_id = Some(agent.into());
        self
    }

    /// Sets the caller id to call from (E.164), for vendors that take a number.
    #[must_use]
    pub fn with_from_number(mut self, number: impl Into<String>) -> Self {
        self.from_number = Some(number.into());
        self
    }

    /// Sets the vendor's id of the phone number to call from (HappyRobot `number_id`, the
    /// Vapi family's `phoneNumberId`).
    #[must_use]
    pub fn with_phone_number_id(mut self, id: impl Into<String>) -> Self {
        self.phone_number_id = Some(id.into());
        self
    }

    /// Hangs up after `seconds`.
    #[must_use]
    pub fn with_max_duration_secs(mut self, seconds: u32) -> Self {
        self.max_duration_secs = Some(seconds);
        self
    }

    /// Sets the conversation language (BCP 47: `en-US`).
    #[must_use]
    pub fn with_language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Sets a display name for the call.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Attaches the call to the campaign `campaign`.
    #[must_use]
    pub fn with_campaign(mut self, campaign: impl Into<CampaignId>) -> Self {
        self.campaign_id = Some(campaign.into());
        self
    }

    /// Adds a value for the agent's prompt template variable `name`.
    #[must_use]
    pub fn with_variable(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Adds your own `key` and `value` to store on the call.
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Places the call at `at` instead of now.
    #[must_use]
    pub fn with_scheduled_for(mut self, at: DateTime<Utc>) -> Self {
        self.scheduled_for = Some(at);
        self
    }

    /// Adds a vendor-specific body field (see [`extra`](Self::extra)).
    #[must_use]
    pub fn with_extra(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(field.into(), value.into());
        self
    }

    /// How far in the past [`scheduled_for`](Self::scheduled_for) may be: a schedule
    /// computed a moment ago is still taken (the vendor places the call at once), one
    /// further back is refused.
    pub const PAST_SCHEDULE_TOLERANCE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

    /// Refuses a request without a destination number, and one scheduled further in the
    /// past than [`PAST_SCHEDULE_TOLERANCE`](Self::PAST_SCHEDULE_TOLERANCE): a vendor
    /// places such a call at once, and a mistyped date would ring someone now.
    pub fn validate(&self, provider: ProviderKind) -> Result<(), Error> {
        if self.to.trim().is_empty() {
            return Err(Error::invalid_input(
                provider,
                Operation::Dial,
                "`to` (the number to call) is empty",
            ));
        }
        if let Some(at) = self.scheduled_for
            && at < Utc::now() - Self::PAST_SCHEDULE_TOLERANCE
        {
            let at = crate::adapter::format_time(at);
            return Err(Error::invalid_input(
                provider,
                Operation::Dial,
                format!(
                    "`scheduled_for` ({at}) is in the past: the call would be placed now; \
                     leave it unset to dial now"
                ),
            ));
        }
        Ok(())
    }
}

/// What `dial` returns.
///
/// Every vendor returns the new call's id; some also return the call itself. When they do
/// not (Rounded answers with the id only), `call` is `None`: fetch it with
/// [`VoiceProvider::get_call`](crate::VoiceProvider::get_call) when you need it. voiceport
/// does not fetch it for you, because a dial must stay a single request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DialOutcome {
    /// The new call's id.
    pub call_id: CallId,
    /// The new call, when the vendor returned it.
    pub call: Option<Call>,
}

impl DialOutcome {
    /// The outcome of a dial that placed `call_id`, and the call when the vendor sent it.
    pub fn new(call_id: CallId, call: Option<Call>) -> Self {
        DialOutcome { call_id, call }
    }
}

/// How [`CallUpdate::metadata`] is applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetadataMode {
    /// Add these keys, keep the others (a key set to `null` is stored as `null`).
    #[default]
    Merge,
    /// Replace the whole metadata with these keys.
    Replace,
}

impl MetadataMode {
    /// How an update in this mode is named where a vendor cannot apply it
    /// ([`Operation::UpdateField`]): `metadata (merge)`, `metadata (replace)`.
    pub fn update_field(self) -> &'static str {
        match self {
            MetadataMode::Merge => "metadata (merge)",
            MetadataMode::Replace => "metadata (replace)",
        }
    }
}

/// A change to a call ([`VoiceProvider::update_call`](crate::VoiceProvider::update_call)):
/// what is set changes, the rest stays as it is. An update that changes nothing is refused
/// before anything is sent.
///
/// Build it with [`CallUpdate::rename`], [`CallUpdate::merge_metadata`] or
/// [`CallUpdate::replace_metadata`] (and their `with_` forms to change both), or as a
/// struct literal ending in `..Default::default()`, which a new field then takes its
/// default from. A struct literal without that base, or a pattern without `..`, breaks
/// when a field is added: fields are added in minor releases only, never in a patch.
///
/// ```
/// use std::collections::BTreeMap;
/// use voiceport_core::{CallUpdate, MetadataMode};
///
/// let outcome = BTreeMap::from([("outcome".to_owned(), serde_json::json!("booked"))]);
/// let tagged = CallUpdate::merge_metadata(outcome.clone());
/// assert_eq!(tagged.metadata_mode, MetadataMode::Merge);
/// let both = CallUpdate::rename("Follow-up, Dana").with_metadata_replaced(outcome);
/// assert_eq!(both.name.as_deref(), Some("Follow-up, Dana"));
/// assert_eq!(both.metadata_mode, MetadataMode::Replace);
/// assert!(CallUpdate::default().changes_nothing());
/// # let _ = tagged;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallUpdate {
    /// A new display name.
    pub name: Option<String>,
    /// New metadata.
    pub metadata: Option<BTreeMap<String, Value>>,
    /// Merge or replace `metadata`.
    pub metadata_mode: MetadataMode,
}

impl CallUpdate {
    /// A new display name, the metadata as it is.
    pub fn rename(name: impl Into<String>) -> Self {
        CallUpdate {
            name: Some(name.into()),
            ..CallUpdate::default()
        }
    }

    /// `metadata` merged into the call's (its keys set, the others kept), the name as it is.
    pub fn merge_metadata(metadata: BTreeMap<String, Value>) -> Self {
        CallUpdate::default().with_metadata_merged(metadata)
    }

    /// `metadata` in place of the call's, whole (keys it lacks removed), the name as it is.
    pub fn replace_metadata(metadata: BTreeMap<String, Value>) -> Self {
        CallUpdate::default().with_metadata_replaced(metadata)
    }

    /// This update, merging `metadata` into the call's too.
    #[must_use]
    pub fn with_metadata_merged(self, metadata: BTreeMap<String, Value>) -> Self {
        self.with_metadata(metadata, MetadataMode::Merge)
    }

    /// This update, replacing the call's metadata with `metadata` too.
    #[must_use]
    pub fn with_metadata_replaced(self, metadata: BTreeMap<String, Value>) -> Self {
        self.with_metadata(metadata, MetadataMode::Replace)
    }

    /// This update, renaming the call too.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    fn with_metadata(mut self, metadata: BTreeMap<String, Value>, mode: MetadataMode) -> Self {
        self.metadata = Some(metadata);
        self.metadata_mode = mode;
        self
    }

    /// Whether it leaves the call as it is: no name, no metadata (what the capability
    /// guard refuses before sending).
    pub fn changes_nothing(&self) -> bool {
        self.name.is_none() && self.metadata.is_none()
    }
}

/// A note to add ([`VoiceProvider::add_note`](crate::VoiceProvider::add_note)).
///
/// Build it with [`NoteInput::new`] and set its fields, or as a struct literal ending in
/// `..Default::default()`, which a new field then takes its default from. A struct literal
/// without that base, or a pattern without `..`, breaks when a field is added: fields are
/// added in minor releases only, never in a patch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoteInput {
    /// The text (blank text is refused).
    pub content: String,
    /// Flag it for attention.
    pub flagged: bool,
}

impl NoteInput {
    /// An unflagged note.
    pub fn new(content: impl Into<String>) -> Self {
        NoteInput {
            content: content.into(),
            flagged: false,
        }
    }
}

/// A change to a note ([`VoiceProvider::update_note`](crate::VoiceProvider::update_note)):
/// what is set changes, the rest stays as it is. An update that changes nothing is refused
/// before anything is sent.
///
/// ```
/// use voiceport_core::NoteUpdate;
///
/// let reworded = NoteUpdate::text("Call back on Friday");
/// let unflagged = NoteUpdate::flagged(false);
/// let both = NoteUpdate::text("Done").with_flagged(false);
/// assert_eq!((both.content.as_deref(), both.flagged), (Some("Done"), Some(false)));
/// assert!(NoteUpdate::default().changes_nothing());
/// assert!(NoteUpdate::text("  ").changes_nothing()); // blank text is no new text
/// # let _ = (reworded, unflagged);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoteUpdate {
    /// The new text (`None`, or blank: the text stays as it is, so that an update never
    /// blanks a note).
    pub content: Option<String>,
    /// Flag (`true`) or unflag (`false`) the note (`None`: the flag stays as it is).
    pub flagged: Option<bool>,
}

impl NoteUpdate {
    /// New text, the flag as it is.
    pub fn text(content: impl Into<String>) -> Self {
        NoteUpdate {
            content: Some(content.into()),
            flagged: None,
        }
    }

    /// Flags (`true`) or unflags (`false`) the note, its text as it is.
    pub fn flagged(flagged: bool) -> Self {
        NoteUpdate {
            content: None,
            flagged: Some(flagged),
        }
    }

    /// This update, flagging or unflagging the note too.
    #[must_use]
    pub fn with_flagged(mut self, flagged: bool) -> Self {
        self.flagged = Some(flagged);
        self
    }

    /// The new text, when there is one: `None` for none or blank text.
    pub fn new_text(&self) -> Option<&str> {
        self.content
            .as_deref()
            .filter(|text| !text.trim().is_empty())
    }

    /// Whether it leaves the note as it is: no new text, no flag.
    pub fn changes_nothing(&self) -> bool {
        self.new_text().is_none() && self.flagged.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentRef, CallKind, CallPage, RequestOutcome};

    /// What an application logs or snapshots: a dial's outcome, a page with its cursor,
    /// and the outcome of a failed write, as JSON.
    #[test]
    fn outcomes_and_pages_serialize() {
        let dialed = DialOutcome {
            call_id: CallId::new("c1"),
            call: None,
        };
        let value = serde_json::to_value(&dialed).unwrap();
        assert_eq!(value, serde_json::json!({"call_id": "c1", "call": null}));
        let page = CallPage {
            calls: vec![call()],
            next: Some(PageCursor::Offset { skip: 100 }),
            total: Some(250),
            vendor_ids: None,
        };
        let value = serde_json::to_value(&page).unwrap();
        assert_eq!(value["calls"][0]["id"], "c1");
        assert_eq!(
            value["next"],
            serde_json::json!({"mode": "offset", "skip": 100})
        );
        assert_eq!(value["total"], 250);
        let outcome = serde_json::to_value(RequestOutcome::NotApplied).unwrap();
        assert_eq!(outcome, "not_applied");
    }

    fn call() -> Call {
        let mut call = Call::new(CallId::new("c1"), ProviderKind::HappyRobot);
        call.direction = Some(Direction::Outbound);
        call.status = CallStatus::Completed;
        call.from = Some("+14155550100".into());
        call.to = Some("+14155550123".into());
        call.tags = vec!["vip".into(), "renewal".into()];
        call.agent = Some(AgentRef {
            id: Some(AgentId::new("a1")),
            name: Some("Kate".into()),
        });
        call.created_at = Some("2026-03-01T10:00:00Z".parse().unwrap());
        call.analysis
            .extracted
            .insert("order_id".into(), Value::String("ORD-7781".into()));
        call
    }

    #[test]
    fn empty_query_matches_everything() {
        assert!(CallQuery::default().matches(&call()));
        assert!(CallQuery::default().filters_used().is_empty());
    }

    #[test]
    fn each_filter_can_exclude() {
        let c = call();
        let cases: Vec<(CallQuery, bool)> = vec![
            (
                CallQuery {
                    direction: Some(Direction::Inbound),
                    ..Default::default()
                },
                false,
            ),
            (
                CallQuery {
                    direction: Some(Direction::Outbound),
                    ..Default::default()
                },
                true,
            ),
            (
                CallQuery {
                    kind: Some(CallKind::Web),
                    ..Default::default()
                },
                false,
            ),
            (
                CallQuery {
                    statuses: vec![CallStatus::Busy],
                    ..Default::default()
                },
                false,
            ),
            (
                CallQuery {
                    statuses: vec![CallStatus::Busy, CallStatus::Completed],
                    ..Default::default()
                },
                true,
            ),
            (
                CallQuery {
                    since: Some("2026-03-02T00:00:00Z".parse().unwrap()),
                    ..Default::default()
                },
                false,
            ),
            (
                CallQuery {
                    until: Some("2026-03-02T00:00:00Z".parse().unwrap()),
                    ..Default::default()
                },
                true,
            ),
            (
                CallQuery {
                    until: Some("2026-03-01T10:00:00Z".parse().unwrap()),
                    ..Default::default()
                },
                false,
            ),
            (
                CallQuery {
                    agent_id: Some(AgentId::new("a2")),
                    ..Default::default()
                },
                false,
            ),
            (
                CallQuery {
                    campaign_id: Some(CampaignId::new("x")),
                    ..Default::default()
                },
                false,
            ),
            (
                CallQuery {
                    tags: vec!["vip".into()],
                    ..Default::default()
                },
                true,
            ),
            (
                CallQuery {
                    tags: vec!["vip".into(), "other".into()],
                    ..Default::default()
                },
                false,
            ),
            (
                CallQuery {
                    search: Some("ord-77".into()),
                    ..Default::default()
                },
                true,
            ),
            (
                CallQuery {
                    search: Some("nothing".into()),
                    ..Default::default()
                },
                false,
            ),
            (
                CallQuery {
                    from_number: Some("+14155550100".into()),
                    ..Default::default()
                },
                true,
            ),
            (
                CallQuery {
                    to_number: Some("+14155550100".into()),
                    ..Default::default()
                },
                false,
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(query.matches(&c), expected, "{query:?}");
        }
        // An empty search finds every call, one without any text too.
        let empty = CallQuery {
            search: Some(String::new()),
            ..Default::default()
        };
        assert!(empty.matches(&c));
        assert!(empty.matches(&Call::new(CallId::new("web"), ProviderKind::Vapi)));
        // The customer's name is searched too (Vapi's `customer.name`).
        let mut named = Call::new(CallId::new("named"), ProviderKind::Vapi);
        named.customer_name = Some("Ada Lovelace".into());
        let search = |text: &str| CallQuery {
            search: Some(text.into()),
            ..Default::default()
        };
        assert!(search("lovelace").matches(&named));
        assert!(!search("babbage").matches(&named));
    }

    /// The time range as the page decoders judge it: a call created or started in it is
    /// in it (vendors filter on one or the other), and one with neither time is kept
    /// unless its end is before `since`.
    #[test]
    fn the_time_range_takes_creation_or_start_and_keeps_calls_without_either() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let query = CallQuery {
            since: Some(at("2026-03-01T10:00:00Z")),
            until: Some(at("2026-03-01T11:00:00Z")),
            ..Default::default()
        };
        let call = |created: Option<&str>, started: Option<&str>, ended: Option<&str>| {
            let mut c = Call::new(CallId::new("c"), ProviderKind::Rounded);
            (c.created_at, c.started_at, c.ended_at) =
                (created.map(at), started.map(at), ended.map(at));
            c
        };
        let cases = [
            // Created before `since`, started after it (Rounded filters on the start).
            (
                call(
                    Some("2026-03-01T09:59:58Z"),
                    Some("2026-03-01T10:00:03Z"),
                    None,
                ),
                true,
            ),
            (call(Some("2026-03-01T10:30:00Z"), None, None), true),
            (
                call(
                    Some("2026-03-01T09:00:00Z"),
                    Some("2026-03-01T09:01:00Z"),
                    None,
                ),
                false,
            ),
            (call(None, Some("2026-03-01T11:00:00Z"), None), false),
            // Never connected: kept, unless its end is before `since`.
            (call(None, None, None), true),
            (call(None, None, Some("2026-03-01T10:10:00Z")), true),
            (call(None, None, Some("2026-03-01T09:10:00Z")), false),
        ];
        for (c, expected) in cases {
            assert_eq!(query.matches(&c), expected, "{c:?}");
        }
    }

    #[test]
    fn unsupported_filter_is_refused_by_name() {
        let caps = Capabilities::default();
        let query = CallQuery {
            tags: vec!["vip".into()],
            ..Default::default()
        };
        let err = query
            .ensure_supported(ProviderKind::Rounded, &caps)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Unsupported {
                operation: Operation::ListFilter(Filter::Tags),
                ..
            }
        ));
        assert!(err.to_string().contains("`tags`"), "{err}");
    }

    #[test]
    fn dial_without_number_is_refused() {
        let err = DialRequest::default()
            .validate(ProviderKind::Rounded)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { status: None, .. }));
        assert!(
            DialRequest::to("+14155550123")
                .validate(ProviderKind::Rounded)
                .is_ok()
        );
    }
}
