//! `HappyRobot`: the [`Adapter`] over HappyRobot's legacy app API, plus its extensions.

use std::ops::Range;

use chrono::{DateTime, Utc};
use url::Url;
use voiceport_core::adapter::{
    Adapter, AdapterConfig, Guarded, decode_off_runtime, format_time, run_operation,
};
use voiceport_core::http::{AuthStyle, HeaderName, HeaderValue, HttpClient, Request};
use voiceport_core::{
    Call, CallId, CallPage, CallQuery, Capabilities, Codec, DialOutcome, DialRequest, Error,
    IdFormat, NoteId, NoteInput, NoteUpdate, Operation, ProviderConfig, Recording, Result,
    Transcript, VoiceProvider, async_trait,
};

use crate::config::{
    CALL_ID, CAPABILITIES, DEFAULT_BASE_URL, DEFAULT_USAGE_BASE_URL, HappyRobotOptions, KIND,
    NOTE_ID,
};
use crate::map::call::decode_recording;
use crate::map::request::{
    add_note_body, dial_body, filter_params, list_params, update_note_body, vendor_filter_params,
};
use crate::{CallFilters, HappyRobotCodec, RatingEmoji, RatingOperation, UsageRecord, wire};

/// A HappyRobot account (legacy app API, `authorization: Bearer <key>`).
///
/// Build it with [`HappyRobot::from_config`]; use it through [`VoiceProvider`], or call the
/// HappyRobot-only operations ([`set_viewed`](Self::set_viewed),
/// [`set_rating`](Self::set_rating),
/// [`call_logs`](Self::call_logs), [`call_tags`](Self::call_tags),
/// [`export_calls_csv`](Self::export_calls_csv), [`usage`](Self::usage)) directly.
/// HappyRobot's own list filters (models, ratings, transfer contact) come with
/// [`with_filters`](Self::with_filters). `Debug` never shows the API key.
#[derive(Debug, Clone)]
pub struct HappyRobot {
    http: HttpClient,
    /// HappyRobot-only list filters sent with every listing and export.
    filters: CallFilters,
    /// The platform API (usage): another host, same key, same connection pool; `None`
    /// where `base_url` is set and `usage_base_url` is not.
    usage_base: Option<Url>,
    /// `…options.usage_base_url`, for the error when it is missing.
    usage_field: String,
    options: HappyRobotOptions,
    /// `options.organization_id` as the header `usage` sends, checked when connecting.
    organization: Option<HeaderValue>,
}

impl HappyRobot {
    /// Connects with `config` (whose `kind` must be `happyrobot`). Fails with
    /// [`Error::Config`] naming the field when the key, a base URL or an option is unusable.
    pub fn from_config(config: &ProviderConfig) -> Result<Self> {
        config.ensure_kind(KIND)?;
        let options: HappyRobotOptions = config.options()?;
        // The platform's production host is the default only beside the app API's: a
        // `base_url` of your own (a gateway, a mock) does not send the key there unasked.
        let usage = match (options.usage_base_url.as_deref(), config.base_url.is_some()) {
            (Some(usage), _) => Some(usage),
            (None, false) => Some(DEFAULT_USAGE_BASE_URL),
            (None, true) => None,
        };
        let usage_field = "options.usage_base_url";
        let organization = (options.organization_id.as_deref())
            .map(|organization| {
                (HeaderValue::from_str(organization.trim()).ok())
                    .filter(|value| !value.is_empty())
                    .ok_or_else(|| {
                        let message = "not a valid header value (x-organization-id)";
                        Error::config(config.field_name("options.organization_id"), message)
                    })
            })
            .transpose()?;
        Ok(HappyRobot {
            http: config.http_client(DEFAULT_BASE_URL, AuthStyle::Bearer)?,
            usage_base: (usage.map(|usage| config.second_base_url(usage, usage_field)))
                .transpose()?,
            organization,
            usage_field: config.field_name(usage_field),
            options,
            filters: CallFilters::default(),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &HappyRobotOptions {
        &self.options
    }

    /// The dial's request (`POST /dial/outbound`), sent once.
    fn dial_request(&self, request: &DialRequest) -> Result<Request> {
        let body = dial_body(request, &self.options)?;
        let request = Request::post(Operation::Dial, ["dial", "outbound"]).json(&body);
        Ok(request.not_retried_after_send())
    }

    /// This client (same key and connection pool), listing only the calls `filters` lets
    /// through: HappyRobot's own `GET /calls` filters, sent with every
    /// [`list_calls`](VoiceProvider::list_calls) (so with every page of
    /// [`calls`](voiceport_core::VoiceProviderExt::calls)) and every
    /// [`export_calls_csv`](Self::export_calls_csv), next to the query's.
    ///
    /// ```no_run
    /// # async fn run(hr: voiceport_happyrobot::HappyRobot) -> voiceport_core::Result<()> {
    /// use voiceport_core::{CallQuery, VoiceProvider};
    /// use voiceport_happyrobot::CallFilters;
    ///
    /// let alarming = hr.with_filters(CallFilters {
    ///     ratings: vec!["🚨".into()],
    ///     ..CallFilters::default()
    /// })?;
    /// let page = alarming.list_calls(&CallQuery::default()).await?;
    /// # let _ = page; Ok(()) }
    /// ```
    ///
    /// Fails with [`Error::InvalidRequest`] for a `models` or `ratings` value holding a
    /// comma (HappyRobot reads those lists comma-separated).
    pub fn with_filters(&self, filters: CallFilters) -> Result<HappyRobot> {
        vendor_filter_params(&filters, Operation::ListCalls)?;
        Ok(HappyRobot {
            filters,
            ..self.clone()
        })
    }

    /// The HappyRobot-only list filters in force (none unless set with
    /// [`with_filters`](Self::with_filters)).
    pub fn filters(&self) -> &CallFilters {
        &self.filters
    }

    async fn call_request(&self, operation: Operation, request: Request) -> Result<Call> {
        let response = self.http.send(request).await?;
        HappyRobotCodec.decode_call_as(operation, &response.body)
    }

    /// The extensions run outside the core guard, so they check the call id themselves
    /// (a malformed one quoted with the key hidden, as the guard's refusals are).
    fn checked<'a>(&self, operation: Operation, id: &'a CallId) -> Result<&'a str> {
        CALL_ID
            .check(KIND, operation, "call id", id.as_str())
            .map_err(|error| error.masked(self.http.secret_mask()))?;
        Ok(id.as_str())
    }

    /// Where to download the call's recording: `GET /calls/{id}/recording`, answering
    /// `{url}` (a bare JSON string is accepted too). `None`: the call has no recording,
    /// or the vendor gave no URL. HappyRobot does not say what it answers for a call
    /// without a recording; a 404 may mean that as well as an unknown call (*inferred*),
    /// so on a 404 the call is read back: there, `None`, unless its metadata names a
    /// recording (`recording_sid`: the recording's [`Error::NotFound`] stands); gone too,
    /// the recording's [`Error::NotFound`]; any other error of the read-back is returned as
    /// is.
    pub async fn get_recording(&self, id: &CallId) -> Result<Option<Recording>> {
        VoiceProvider::get_recording(self, id).await
    }

    /// Marks the call as viewed by `email` (`PATCH /calls/{id}/viewed`); returns the call.
    pub async fn set_viewed(&self, id: &CallId, email: &str) -> Result<Call> {
        let op = Operation::Extension("set_viewed");
        // Checked before the operation's span records it, as the guard checks.
        let checked = self.checked(op, id)?;
        run_operation(self, op, Some(id), async {
            let request = Request::patch(op, ["calls", checked, "viewed"])
                .json(&wire::ViewedBody { email })
                .call_id(id.as_str());
            self.call_request(op, request).await
        })
        .await
    }

    /// Adds or removes `email`'s rating `emoji` on the call (`PATCH /calls/{id}/ratings`,
    /// which answers with an empty 200).
    ///
    /// ```no_run
    /// # async fn rate(hr: &voiceport_happyrobot::HappyRobot, id: &voiceport_core::CallId) -> voiceport_core::Result<()> {
    /// use voiceport_happyrobot::{RatingEmoji, RatingOperation};
    /// hr.set_rating(id, RatingEmoji::Alert, "qa@example.com", RatingOperation::Add).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_rating(
        &self,
        id: &CallId,
        emoji: RatingEmoji,
        email: &str,
        operation: RatingOperation,
    ) -> Result<()> {
        let op = Operation::Extension("set_rating");
        let checked = self.checked(op, id)?;
        run_operation(self, op, Some(id), async {
            let body = wire::RatingBody {
                emoji: emoji.as_str(),
                email,
                operation,
            };
            // Adding is not idempotent: never resent once it may have arrived.
            let request = Request::patch(op, ["calls", checked, "ratings"])
                .json(&body)
                .not_retried_after_send()
                .call_id(id.as_str());
            self.http.send_only(request).await
        })
        .await
    }

    /// The call's logs (`GET /calls/{id}/logs`), as the vendor's JSON (`null` for an empty
    /// body). Their shape is undocumented.
    pub async fn call_logs(&self, id: &CallId) -> Result<serde_json::Value> {
        let op = Operation::ExtensionRead("call_logs");
        let checked = self.checked(op, id)?;
        run_operation(self, op, Some(id), async {
            // Path inferred: the docs' sidebar lists "Return the logs for a call" without a
            // path (docs/vendors/happyrobot.md).
            let request = Request::get(op, ["calls", checked, "logs"]).call_id(checked);
            let response = self.http.send(request).await?;
            if response.is_empty() {
                return Ok(serde_json::Value::Null);
            }
            Ok(response.json::<wire::AnyBody>()?.0)
        })
        .await
    }

    /// Every tag used on the account's calls (`GET /calls/tags`).
    pub async fn call_tags(&self) -> Result<Vec<String>> {
        let op = Operation::ExtensionRead("call_tags");
        run_operation(self, op, None, async {
            // Path inferred: the docs' sidebar lists "List Call tags" without a path
            // (docs/vendors/happyrobot.md).
            let request = Request::get(op, ["calls", "tags"]);
            let tags: wire::BareList<String> = self.http.send(request).await?.json()?;
            Ok(tags.0)
        })
        .await
    }

    /// Asks HappyRobot to email a CSV of the calls matching `query` to the key's user
    /// (`POST /calls/export`). The server-side filters (and those of
    /// [`with_filters`](Self::with_filters)) are sent as for a listing; the filters
    /// HappyRobot cannot apply (kind, numbers, the `Unknown` status, more than one tag:
    /// its `tags` keeps a call carrying any), which a listing applies client-side, are
    /// refused.
    pub async fn export_calls_csv(&self, query: &CallQuery) -> Result<()> {
        let op = Operation::Extension("export_calls_csv");
        run_operation(self, op, None, self.request_export(op, query)).await
    }

    /// [`export_calls_csv`](Self::export_calls_csv)'s work, in its operation's span.
    async fn request_export(&self, op: Operation, query: &CallQuery) -> Result<()> {
        // What the guard checks of a listing (an empty time range, blank filter values):
        // an extension does not go through it.
        query.validate_for(KIND, op)?;
        let local_only = [
            (query.kind.is_some(), "kind"),
            (query.from_number.is_some(), "from_number"),
            (query.to_number.is_some(), "to_number"),
        ];
        if let Some((_, name)) = local_only.iter().find(|(set, _)| *set) {
            let message = format!("the `{name}` filter cannot be applied to a HappyRobot export");
            return Err(Error::invalid_input(KIND, op, message));
        }
        // HappyRobot's `tags` is taken to keep the calls carrying any of them (inferred: its
        // docs say only "comma-separated"), where a query's tags mean every one (a listing
        // checks them all client-side); an export has no client side to check them.
        if query.tags.len() > 1 {
            let message = "a HappyRobot export keeps calls carrying any of the tags, not every tag: give one tag";
            return Err(Error::invalid_input(KIND, op, message));
        }
        // Path inferred: the docs' sidebar lists "Trigger async export of calls CSV to
        // requester email" without a path or body (docs/vendors/happyrobot.md).
        let request = Request::post(op, ["calls", "export"])
            .query_pairs(filter_params(query, op)?)
            .query_pairs(vendor_filter_params(&self.filters, op)?)
            .not_retried_after_send();
        self.http.send_only(request).await
    }

    /// The organization's usage over `period` (`start..end`), from the platform API
    /// (`GET <usage_base_url>/usage`, as documented), with the `organization_id` option as
    /// `x-organization-id` when it is set. The API reference marks that header required,
    /// yet describes it as needed only by a user of several organizations: without the
    /// option nothing is refused here, and the vendor's refusal, if any, comes back as is.
    /// With a `base_url` of your own and no `usage_base_url` option, it is refused
    /// ([`Error::Config`] at `options.usage_base_url`) before anything is sent, and so is
    /// an empty period, its start not before its end ([`Error::InvalidRequest`]).
    ///
    /// ```no_run
    /// # async fn run(hr: &voiceport_happyrobot::HappyRobot) -> voiceport_core::Result<()> {
    /// let start = "2026-08-01T00:00:00Z".parse().unwrap();
    /// let end = "2026-11-01T00:00:00Z".parse().unwrap();
    /// for record in hr.usage(start..end).await? {
    ///     println!("{:?} {:?}", record.start_time(), record.end_time());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn usage(&self, period: Range<DateTime<Utc>>) -> Result<Vec<UsageRecord>> {
        let op = Operation::ExtensionRead("usage");
        if period.is_empty() {
            let message = format!(
                "the period is empty: its start ({}) is not before its end ({})",
                format_time(period.start),
                format_time(period.end)
            );
            return Err(Error::invalid_input(KIND, op, message));
        }
        let Range { start, end } = period;
        run_operation(self, op, None, self.fetch_usage(op, start, end)).await
    }

    /// [`usage`](Self::usage)'s work, in its operation's span.
    async fn fetch_usage(
        &self,
        op: Operation,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<UsageRecord>> {
        let Some(usage_base) = self.usage_base.clone() else {
            let message = "`base_url` is set and this is not: set it to the platform API your `base_url` stands in front of (the key is not sent to platform.happyrobot.ai past a `base_url` of your own)";
            return Err(Error::config(&self.usage_field, message));
        };
        let mut request = Request::get(op, ["usage"])
            .with_base(usage_base)
            .query("start", format_time(start))
            .query("end", format_time(end));
        if let Some(organization) = &self.organization {
            let name = HeaderName::from_static("x-organization-id");
            request = request.header(name, organization.clone());
        }
        let records: wire::BareList<UsageRecord> = self.http.send(request).await?.json()?;
        Ok(records.0)
    }
}

#[async_trait]
impl Adapter for HappyRobot {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn codec(&self) -> &'static dyn Codec {
        &HappyRobotCodec
    }

    fn http(&self) -> Option<&HttpClient> {
        Some(&self.http)
    }

    fn call_id_format(&self) -> IdFormat {
        CALL_ID
    }

    fn note_id_format(&self) -> IdFormat {
        NOTE_ID
    }

    async fn get_call(&self, id: &CallId, _: Guarded) -> Result<Call> {
        let op = Operation::GetCall;
        // Path inferred: the docs' sidebar lists "Get Call" without a page
        // (docs/vendors/happyrobot.md).
        let request = Request::get(op, ["calls", id.as_str()]).call_id(id.as_str());
        self.call_request(op, request).await
    }

    async fn list_calls(&self, query: &CallQuery, _: Guarded) -> Result<CallPage> {
        let op = Operation::ListCalls;
        let request = Request::get(op, ["calls"])
            .query_pairs(list_params(query)?)
            .query_pairs(vendor_filter_params(&self.filters, op)?);
        let response = self.http.send(request).await?;
        let query = query.clone();
        decode_off_runtime(KIND, op, response.body, move |body| {
            HappyRobotCodec.decode_page(body, &query)
        })
        .await
    }

    async fn dial(&self, request: &DialRequest, _: Guarded) -> Result<DialOutcome> {
        let response = self.http.send(self.dial_request(request)?).await?;
        HappyRobotCodec.decode_dial(&response.body)
    }

    fn check_dial(&self, request: &DialRequest, _: Guarded) -> Result<()> {
        self.dial_request(request).map(drop)
    }

    async fn get_transcript(&self, id: &CallId, _: Guarded) -> Result<Transcript> {
        let op = Operation::GetTranscript;
        let request = Request::get(op, ["calls", id.as_str(), "transcript"]).call_id(id.as_str());
        let response = self.http.send(request).await?;
        HappyRobotCodec.decode_transcript(&response.body)
    }

    async fn get_recording(&self, id: &CallId, guarded: Guarded) -> Result<Option<Recording>> {
        // Path inferred: the docs' sidebar lists "Return a pre-signed URL to the call
        // recording" without a path (docs/vendors/happyrobot.md).
        let request = Request::get(Operation::GetRecording, ["calls", id.as_str(), "recording"])
            .call_id(id.as_str());
        match self.http.send(request).await {
            Ok(response) => decode_recording(&response.body),
            // A 404 also answers a call that has no recording (yet): read the call back. A
            // call whose metadata names a recording (`recording_sid`) keeps the 404: the
            // recording is there but not served (not ready, or the inferred path is wrong),
            // which `None` would hide.
            Err(missing @ Error::NotFound { .. }) => {
                match Adapter::get_call(self, id, guarded).await {
                    Ok(call) => {
                        let recorded = (call.vendor_payload())
                            .and_then(|payload| payload.deserialize::<wire::RecordingTrace>().ok())
                            .is_some_and(|trace| trace.recorded());
                        if recorded {
                            tracing::debug!(
                                "recording endpoint answered 404 for a call whose metadata names a recording"
                            );
                            return Err(missing);
                        }
                        tracing::debug!(
                            "recording endpoint answered 404 for a call that exists: no recording"
                        );
                        Ok(call.recording)
                    }
                    Err(Error::NotFound { .. }) => Err(missing),
                    // Named for what the caller asked, as every read-back is.
                    Err(other) => Err(other.for_operation(Operation::GetRecording)),
                }
            }
            Err(other) => Err(other),
        }
    }

    async fn end_call(&self, id: &CallId, _: Guarded) -> Result<()> {
        // Path from third-party code; the docs' sidebar names "Stop Call" only
        // (docs/vendors/happyrobot.md).
        let request =
            Request::post(Operation::EndCall, ["calls", id.as_str(), "stop"]).call_id(id.as_str());
        self.http.send_only(request).await
    }

    async fn cancel_call(&self, id: &CallId, _: Guarded) -> Result<()> {
        // Path inferred: the docs' sidebar lists "Cancel Call" without a path
        // (docs/vendors/happyrobot.md).
        let request = Request::post(Operation::CancelCall, ["calls", id.as_str(), "cancel"])
            .call_id(id.as_str());
        self.http.send_only(request).await
    }

    async fn delete_call(&self, id: &CallId, _: Guarded) -> Result<()> {
        // Path inferred: the docs' sidebar lists "Delete a call" without a path
        // (docs/vendors/happyrobot.md).
        // Its answer is not read: a retry that finds the call gone is the first attempt's
        // work, done.
        let request = Request::delete(Operation::DeleteCall, ["calls", id.as_str()])
            .done_if_gone()
            .call_id(id.as_str());
        self.http.send_only(request).await
    }

    async fn add_note(&self, id: &CallId, note: &NoteInput, _: Guarded) -> Result<Call> {
        let op = Operation::AddNote;
        // Creates a note: never resent once it may have arrived.
        let request = Request::post(op, ["calls", id.as_str(), "notes"])
            .json(&add_note_body(note))
            .not_retried_after_send()
            .call_id(id.as_str());
        self.call_request(op, request).await
    }

    /// Sends only what changes (`PATCH /calls/{id}/notes/{noteId}`).
    async fn update_note(
        &self,
        id: &CallId,
        note_id: &NoteId,
        update: &NoteUpdate,
        _: Guarded,
    ) -> Result<Call> {
        let op = Operation::UpdateNote;
        let request = Request::patch(op, ["calls", id.as_str(), "notes", note_id.as_str()])
            .json(&update_note_body(update))
            .call_id(id.as_str());
        self.call_request(op, request).await
    }

    async fn delete_note(&self, id: &CallId, note_id: &NoteId, guarded: Guarded) -> Result<Call> {
        let op = Operation::DeleteNote;
        // A retry that finds the note gone (after an attempt that may have deleted it: a
        // 5xx or a lost answer) is the first attempt's work, done; the call it answered
        // with was lost, so it is read back.
        let request = Request::delete(op, ["calls", id.as_str(), "notes", note_id.as_str()])
            .done_if_gone()
            .call_id(id.as_str());
        let response = self.http.send(request).await?;
        // The read back's error is named for the delete (sending it again is safe: a note
        // gone is a delete done).
        if response.is_empty() {
            let read = Adapter::get_call(self, id, guarded).await;
            return read.map_err(|error| error.for_operation(op));
        }
        HappyRobotCodec.decode_call_as(op, &response.body)
    }
}
