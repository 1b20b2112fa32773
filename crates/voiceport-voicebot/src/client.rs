//! The Vapi-family client: the [`Adapter`] over Vapi (`https://api.vapi.ai`) or Voicebot
//! Studio (`https://api.voicebot.studio/api/v1`), as its [`Flavor`] says.

use std::sync::Arc;

use url::{Host, Url};
use voiceport_core::Bytes;
use voiceport_core::adapter::{Adapter, AdapterConfig, Guarded, decode_off_runtime, run_operation};
use voiceport_core::http::{HttpClient, Request, decode_json};
use voiceport_core::{
    Call, CallId, CallPage, CallQuery, CallStatus, CallUpdate, Capabilities, Codec, DialOutcome,
    DialRequest, Error, IdFormat, Operation, ProviderConfig, Result, async_trait, dial_outcome_of,
};

use crate::codec::{decode_call, decode_page};
use crate::config::{Flavor, VapiOptions};
use crate::map::call::own_number_at;
use crate::map::numbers::KnownNumbers;
use crate::map::request::{dial_body, list_params, update_body};
use crate::number_book::{MOST_LOOKUPS_PER_READ, NumberBook};
use crate::wire;

/// A Vapi account, or a Voicebot Studio one (a white-labelled Vapi), behind
/// [`VoiceProvider`](voiceport_core::VoiceProvider). Which of the two is its [`Flavor`],
/// taken from the configuration's `kind`.
///
/// ```no_run
/// use voiceport_core::{CallId, ProviderConfig, ProviderKind, VoiceProvider};
/// use voiceport_voicebot::{Flavor, Vapi};
///
/// # async fn run() -> voiceport_core::Result<()> {
/// let config = ProviderConfig::new(ProviderKind::Vapi)
///     .with_api_key("vapi-private-key")
///     .with_option("assistant_id", "83e6398d-2080-44a1-8c0e-12bedcc33d1e");
/// let vapi = Vapi::from_config(&config)?;
/// assert_eq!(vapi.flavor(), Flavor::Vapi);
/// let id = CallId::new("019cf72b-2008-72f2-9228-bc1f965cbb09");
/// let call = vapi.get_call(&id).await?;
/// println!("{} {:?}", call.status, call.end_reason);
/// if !call.status.is_terminal() {
///     vapi.end_call(&id).await?; // through the call's `monitor.controlUrl`
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Vapi {
    flavor: Flavor,
    http: HttpClient,
    options: VapiOptions,
    /// The configuration's `allow_insecure_http`, which a control URL is held to as well
    /// (a plain-http control URL only for a plain-http API).
    allow_insecure_http: bool,
    /// Vapi: the account's numbers learned so far (its calls name theirs by id only).
    /// Voicebot Studio documents no endpoint to learn them from: none.
    numbers: Option<Arc<NumberBook>>,
}

/// A Voicebot Studio account: the Vapi client, configured by `kind = "voicebot"`
/// ([`Flavor::Voicebot`]). The same type as [`Vapi`]: `provider.extension::<Voicebot>()`
/// finds a Vapi provider too; tell the two apart with [`Vapi::flavor`] (or the provider's
/// `kind()`).
pub type Voicebot = Vapi;

impl Vapi {
    /// Connects with `config` (`kind = "vapi"` or `kind = "voicebot"`): the API key in
    /// `Authorization: Bearer` (Vapi) or `X-API-Key` (Voicebot Studio), the flavor's
    /// production base URL unless `base_url` is configured, vendor options from `options`
    /// ([`VapiOptions`]).
    pub fn from_config(config: &ProviderConfig) -> Result<Self> {
        let Some(flavor) = Flavor::of(config.kind) else {
            return Err(Error::config(
                config.field_name("kind"),
                format!(
                    "the Vapi adapter serves `vapi` and `voicebot`, not a `{}` provider",
                    config.kind
                ),
            ));
        };
        // Blank options are refused by `options`.
        let options: VapiOptions = config.options()?;
        let http = config.http_client(flavor.default_base_url(), flavor.auth())?;
        Ok(Vapi {
            flavor,
            http,
            options,
            allow_insecure_http: config.allow_insecure_http,
            numbers: flavor.has_phone_numbers().then(Arc::default),
        })
    }

    /// Which vendor this client speaks to.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The vendor options in use.
    pub fn options(&self) -> &VapiOptions {
        &self.options
    }

    /// The number of the account's phone number `phone_number_id` (Vapi's
    /// `GET /phone-number/{id}`): its E.164 `number`, else the `sipUri` of a SIP number,
    /// read as a call's `phoneNumber` object is; `None` when it names neither. Always
    /// asks, and keeps nothing: the client's reads ask it themselves, for the ids they do
    /// not know yet, to fill in a call's own side where
    /// the call names its number by id only (as Vapi's calls read from the API do), and
    /// keep the answer as `docs/vendors/voicebot.md` says.
    ///
    /// ```no_run
    /// # use voiceport_core::{ProviderConfig, ProviderKind};
    /// # use voiceport_voicebot::Vapi;
    /// # async fn run() -> voiceport_core::Result<()> {
    /// let vapi = Vapi::from_config(&ProviderConfig::new(ProviderKind::Vapi).with_api_key("key"))?;
    /// let number = vapi.phone_number("4e8a1c3f-6b2d-4a9e-8f1c-2d3e4f5a6b7c").await?;
    /// println!("{}", number.as_deref().unwrap_or("(no number)"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for Voicebot Studio (it documents no phone number endpoint);
    /// [`Error::InvalidRequest`], before sending, for an id that is not a UUID (Vapi's ids
    /// are); [`Error::NotFound`] for an id the account does not have; the errors of any
    /// request and, for an answer that is not a phone number object or names a number
    /// longer than 256 bytes, [`Error::Decode`]; all for
    /// `Operation::ExtensionRead("phone_number")`.
    pub async fn phone_number(&self, phone_number_id: &str) -> Result<Option<String>> {
        let op = Operation::ExtensionRead(PHONE_NUMBER_OP);
        run_operation(self, op, None, self.look_up_number(phone_number_id)).await
    }

    /// [`Vapi::phone_number`], without an operation of its own: a read's lookups are part
    /// of the read.
    async fn look_up_number(&self, phone_number_id: &str) -> Result<Option<String>> {
        let (kind, op) = (
            self.flavor.kind(),
            Operation::ExtensionRead(PHONE_NUMBER_OP),
        );
        if !self.flavor.has_phone_numbers() {
            let why = "Voicebot Studio documents no phone number endpoint";
            return Err(Error::unsupported_because(kind, op, why));
        }
        IdFormat::Uuid.check(kind, op, "phone number id", phone_number_id)?;
        let request = Request::get(op, ["phone-number", phone_number_id]);
        let body = self.http.send(request).await?.body;
        let mut number: wire::PhoneNumber<'_> = decode_json(kind, op, &body)?;
        match own_number_at(&mut number) {
            Some((key, long)) if long.len() > MOST_NUMBER_BYTES => Err(Error::decode(
                kind,
                op,
                key,
                format!(
                    "{} bytes long, more than a phone number's {MOST_NUMBER_BYTES}",
                    long.len()
                ),
                &body,
            )),
            number => Ok(number.map(|(_, number)| number)),
        }
    }

    /// Decodes a read's `body` with `decode`, the assistant's numbers from what the client
    /// knows. Where the body names numbers it does not know yet, they are looked up (at
    /// most [`MOST_LOOKUPS_PER_READ`], at once, each answer kept that comes within
    /// [`LOOKUP_BUDGET`]) and the body is decoded again: once the client knows its
    /// account's numbers, a read is one decode. A lookup that fails (or runs out of time)
    /// leaves the number out, with a warning on each call that names it; it never fails
    /// the read. A read given up during its lookups (dropped) keeps nothing of them.
    async fn decode_read<T, F>(&self, op: Operation, body: Vec<u8>, decode: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&[u8], Option<&KnownNumbers>) -> Result<T> + Clone + Send + 'static,
    {
        let kind = self.flavor.kind();
        let Some(book) = &self.numbers else {
            return decode_off_runtime(kind, op, body, move |body| decode(body, None)).await;
        };
        let body = Bytes::from(body);
        let (first, known) = (decode.clone(), book.known_numbers());
        let (decoded, known) = decode_off_runtime(kind, op, body.clone(), move |body| {
            Ok((first(body, Some(&known)), known))
        })
        .await?;
        let unknown = known.into_unknown();
        // A body that does not decode fails the same way again, whatever the numbers.
        if unknown.is_empty() || decoded.is_err() {
            return decoded;
        }
        let mut unknown = unknown.into_iter();
        let asked: Vec<String> = unknown.by_ref().take(MOST_LOOKUPS_PER_READ).collect();
        // One deadline for all: each answer that came by then is kept.
        let deadline = tokio::time::Instant::now() + LOOKUP_BUDGET;
        let late = Error::timeout(kind, Operation::ExtensionRead(PHONE_NUMBER_OP), true);
        let answers = futures::future::join_all(asked.iter().map(|id| {
            let lookup = tokio::time::timeout_at(deadline, self.look_up_number(id));
            async { lookup.await.unwrap_or_else(|_| Err(late.clone())) }
        }))
        .await;
        let known = book.learn(asked.into_iter().zip(answers).collect(), unknown);
        decode_off_runtime(kind, op, body, move |body| decode(body, Some(&known))).await
    }

    /// The path of one call: `call/{id}` (Voicebot Studio: `calls/{call_id}`).
    fn call_path<'a>(&self, id: &'a CallId) -> [&'a str; 2] {
        [self.flavor.calls(), id.as_str()]
    }

    /// The dial's request: the documented path, the body Vapi's `CreateCallDTO` (Vapi
    /// answers 201 with the call; for Voicebot Studio the body beyond `name`/`assistantId`
    /// is inferred), sent once; Vapi's waited for as long as its own SDK waits (its every
    /// request), since a dial cut short is a call whose placing is unknown.
    fn dial_request(&self, request: &DialRequest) -> Result<Request> {
        let body = dial_body(self.flavor, request, &self.options)?;
        let request = Request::post(Operation::Dial, [self.flavor.calls()])
            .json(&body)
            .not_retried_after_send();
        Ok(match self.flavor {
            Flavor::Vapi => request.vendor_timeout(VAPI_SDK_TIMEOUT),
            Flavor::Voicebot => request,
        })
    }
}

#[async_trait]
impl Adapter for Vapi {
    fn capabilities(&self) -> Capabilities {
        self.flavor.capabilities()
    }

    fn codec(&self) -> &'static dyn Codec {
        self.flavor.codec()
    }

    fn http(&self) -> Option<&HttpClient> {
        Some(&self.http)
    }

    fn call_id_format(&self) -> IdFormat {
        self.flavor.call_id()
    }

    async fn get_call(&self, id: &CallId, _: Guarded) -> Result<Call> {
        // Vapi: documented. Voicebot Studio: path inferred (the get-call page was not
        // captured; `/calls/{call_id}` follows its documented PATCH/DELETE paths).
        let op = Operation::GetCall;
        let request = Request::get(op, self.call_path(id)).call_id(id.as_str());
        let (body, flavor) = (self.http.send(request).await?.body, self.flavor);
        self.decode_read(op, body, move |body, numbers| {
            decode_call(flavor, op, body, numbers)
        })
        .await
    }

    async fn list_calls(&self, query: &CallQuery, _: Guarded) -> Result<CallPage> {
        // Documented for both: a bare array. The parameters are Vapi's documented ones;
        // Voicebot Studio documents none and may ignore them, and of the unified filters
        // Vapi's list takes only the time window and the assistant, so `decode_page`
        // applies every filter client-side as well.
        let params = list_params(self.flavor, query)?;
        let op = Operation::ListCalls;
        let request = Request::get(op, [self.flavor.calls()]).query_pairs(params);
        let (flavor, query) = (self.flavor, query.clone());
        let body = self.http.send(request).await?.body;
        self.decode_read(op, body, move |body, numbers| {
            decode_page(flavor, body, &query, numbers)
        })
        .await
    }

    /// The call in the answer names the number it is placed from by id only, as Vapi
    /// sends it: filled in from what the client knows already, never looked up (a caller
    /// giving up during a lookup would lose the id of a call placed). `get_call` looks it
    /// up.
    async fn dial(&self, request: &DialRequest, _: Guarded) -> Result<DialOutcome> {
        let request = self.dial_request(request)?;
        let body = self.http.send(request).await?.body;
        let known = self.numbers.as_ref().map(|book| book.known_numbers());
        let decoded = decode_call(self.flavor, Operation::Dial, &body, known.as_ref());
        dial_outcome_of(self.codec(), &body, decoded)
    }

    fn check_dial(&self, request: &DialRequest, _: Guarded) -> Result<()> {
        self.dial_request(request).map(drop)
    }

    /// The answer's call is filled in from the numbers the client knows, never looked up,
    /// as a dial's is: the update is applied, and a caller giving up during a lookup would
    /// not learn that.
    async fn update_call(&self, id: &CallId, update: &CallUpdate, _: Guarded) -> Result<Call> {
        let op = Operation::UpdateCall;
        // Documented for both: `{name}` (Vapi's `UpdateCallDTO`).
        let body = update_body(self.flavor, update)?;
        let request = Request::patch(op, self.call_path(id))
            .call_id(id.as_str())
            .json(&body);
        let body = self.http.send(request).await?.body;
        let known = self.numbers.as_ref().map(|book| book.known_numbers());
        decode_call(self.flavor, op, &body, known.as_ref())
    }

    async fn delete_call(&self, id: &CallId, _: Guarded) -> Result<()> {
        // Documented for both; it answers with the deleted call, unused, so a retry that
        // finds the call gone is the first attempt's work, done.
        let request = Request::delete(Operation::DeleteCall, self.call_path(id))
            .done_if_gone()
            .call_id(id.as_str());
        self.http.send_only(request).await
    }

    /// Vapi's documented way (Live Call Control): `POST {"type": "end-call"}` to the
    /// call's `monitor.controlUrl`, read from the call first. Only Vapi declares
    /// `end_call`, so the guard refuses it for Voicebot Studio before this runs.
    async fn end_call(&self, id: &CallId, _: Guarded) -> Result<()> {
        let (kind, op) = (self.flavor.kind(), Operation::EndCall);
        let conflict = |message: String| Error::conflict(kind, op, Some(message));
        // Nothing is sent to the control URL unless the call reads well. A read that fails
        // on its way (a 5xx, a timeout, a refusal) comes back as it is: still retryable,
        // its status and `Retry-After` kept; its outcome may say "unknown" where nothing
        // was ended, which costs nothing for a request as idempotent as ending a call. A
        // body that does not read is a conflict, not a decode error: that would say the
        // end-call was applied. Said in its parts (where, what), not as the decode error's
        // text, which would name the provider and the operation a second time and quote
        // the body.
        let unread = |error: Error| {
            conflict(match error {
                Error::Decode { path, message, .. } => format!(
                    "the call does not read at `{path}`: {message}; the end-call was not sent"
                ),
                other => format!("{other}; the end-call was not sent"),
            })
        };
        let request = Request::get(op, self.call_path(id)).call_id(id.as_str());
        let response = match self.http.send(request).await {
            Ok(response) => response,
            // An answer that broke off (after the client's own retries of the read) reads
            // as a request applied: here it was the read, and nothing was sent to end the
            // call. A failure on the way, as a broken connection is: worth trying again.
            Err(Error::AnswerCut { received, .. }) => {
                let why = format!(
                    "the call's answer broke off after {received} bytes as it was read first; the end-call was not sent"
                );
                return Err(Error::transport(kind, op, false, why));
            }
            // Too large is no passing failure: the call cannot be read to find its control.
            Err(error @ Error::BodyTooLarge { .. }) => return Err(unread(error)),
            Err(other) => return Err(other),
        };
        let call = (self.codec().decode_call_as(op, &response.body)).map_err(unread)?;
        // Over already: nothing to end (as the trait has it for every vendor).
        if call.status.is_terminal() {
            return Ok(());
        }
        // Not live yet, so it has no control URL, and its live control is not the reason.
        if call.status == CallStatus::Scheduled {
            return Err(conflict(
                "the call is scheduled, not live: there is nothing to end yet; delete it (`delete_call`) to call it off (Vapi's `scheduled-call-deleted` end reason suggests a delete does)".into(),
            ));
        }
        let control: wire::CallControl = decode_json(kind, op, &response.body).map_err(unread)?;
        let Some(raw) = control
            .monitor
            .and_then(|m| m.control_url)
            .filter(|u| !u.trim().is_empty())
        else {
            return Err(conflict(
                "the call has no `monitor.controlUrl`: live control is off for it (the assistant's `monitorPlan.controlEnabled`)".into(),
            ));
        };
        let base = trusted_control_url(self.http.base_url(), &raw, self.allow_insecure_http)
            .map_err(|why| {
                unread(Error::decode(
                    kind,
                    op,
                    "monitor.controlUrl",
                    why,
                    &response.body,
                ))
            })?;
        // The status code and body of the answer are not documented: any 2xx will do.
        let end = wire::ControlMessage {
            message_type: "end-call",
        };
        // The URL is the credential (Vapi's own sample sends no key): the key stays home.
        let request = Request::post(op, [""; 0])
            .with_base(base)
            .json(&end)
            .call_id(id.as_str())
            .without_key();
        // A 401 or 403 from the control URL is no word on the API key, which was not sent
        // (and which the read just took): a refusal of the end, which the call read back
        // then explains, as any other vendor's refusal of an end (Vapi does not document
        // the control URL's answers).
        self.http
            .send_only(request)
            .await
            .map_err(|error| match error {
                Error::Unauthorized {
                    status, message, ..
                } => {
                    let said = message.unwrap_or_else(|| "refused".to_owned());
                    let message = format!("the call's control URL answered {status}: {said}");
                    Error::invalid_request(kind, op, Some(status), message, Vec::new())
                }
                other => other,
            })
    }
}

/// The control URL a call gives, if the request may go there: vendor data decides where
/// it goes, so only to the API's own host or one under it, or another host of `vapi.ai`
/// for an API there (`*.vapi.ai` for `api.vapi.ai`; the same host for an IP address or
/// `localhost`), over
/// https (plain http as the API itself: to loopback, or with `allow_insecure_http`).
fn trusted_control_url(
    api: &Url,
    raw: &str,
    allow_insecure_http: bool,
) -> std::result::Result<Url, String> {
    // Vendor data: a URL of any length would be sent and its parts masked in the answer.
    if raw.len() > MOST_CONTROL_URL_BYTES {
        return Err(format!(
            "{} bytes long, more than a control URL's {MOST_CONTROL_URL_BYTES}",
            raw.len()
        ));
    }
    let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL ({e})"))?;
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        // Plain http as the API itself: a client of an https API may go through a proxy.
        "http" if api.scheme() == "http" && (loopback || allow_insecure_http) => {}
        "http" => return Err("scheme `http` is not https, as the API is".into()),
        other => return Err(format!("scheme `{other}` is not https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL carries credentials".into());
    }
    if !same_site(api, &url) {
        let host = url.host_str().unwrap_or_default();
        return Err(format!(
            "host `{host}` is not the API's, nor of its domain: nothing is sent there"
        ));
    }
    Ok(url)
}

/// The domains whose hosts serve a call's live control beside the API on one of them:
/// Vapi's control URLs are on hosts of `vapi.ai`, siblings of `api.vapi.ai`.
const CONTROL_DOMAINS: [&str; 1] = ["vapi.ai"];

/// The longest control URL followed: Vapi's are about a hundred bytes (a host and a token).
const MOST_CONTROL_URL_BYTES: usize = 2048;

/// The longest number a phone number lookup takes: an E.164 number is at most 16
/// characters and a SIP URI short; a longer one would be copied onto every call naming it.
const MOST_NUMBER_BYTES: usize = 256;

/// The name of the phone number lookup, as its operation (`Operation::ExtensionRead`).
const PHONE_NUMBER_OP: &str = "phone_number";

/// The longest a read waits for its lookups of phone numbers, retries included: a slow or
/// rate-limited phone number endpoint must not hold the read for the client's whole retry
/// policy (a wait for a call's end whose deadline comes sooner still gives up: its reads
/// are dropped, and keep nothing).
const LOOKUP_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// How long Vapi's own SDK waits for an answer, which its dial gets here too unless the
/// configuration sets `timeout_secs`.
const VAPI_SDK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether `url` is on the host of `api` or under it, or (for an API on a host of a
/// [`CONTROL_DOMAINS`] domain) under that domain. Not under the parent of any API host:
/// that of `myproxy.herokuapp.com` holds everyone's apps (a public suffix).
fn same_site(api: &Url, url: &Url) -> bool {
    match (api.host(), url.host()) {
        (Some(Host::Domain(api)), Some(Host::Domain(host))) => {
            let (api, host) = (api.to_ascii_lowercase(), host.to_ascii_lowercase());
            let under = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
            let in_domain = |domain: &str| api == domain || api.ends_with(&format!(".{domain}"));
            let domain = CONTROL_DOMAINS.into_iter().find(|domain| in_domain(domain));
            under(&api) || domain.is_some_and(under)
        }
        (Some(api), Some(host)) => api == host,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vapi's dial waits as long as Vapi's SDK does (a `timeout_secs` in the configuration
    /// still holds: see core's `Request::vendor_timeout`); Voicebot Studio's documents no
    /// wait of its own.
    #[test]
    fn a_vapi_dial_waits_as_long_as_vapi_s_sdk() {
        let dial = DialRequest {
            agent_id: Some(voiceport_core::AgentId::new("asst-1")),
            phone_number_id: Some("num-1".into()),
            ..DialRequest::to("+14155550123")
        };
        for (kind, wait) in [
            (voiceport_core::ProviderKind::Vapi, Some(VAPI_SDK_TIMEOUT)),
            (voiceport_core::ProviderKind::Voicebot, None),
        ] {
            let config = voiceport_core::ProviderConfig::new(kind).with_api_key("key_test");
            let client = Vapi::from_config(&config).unwrap();
            let request = client.dial_request(&dial).unwrap();
            assert_eq!(request.vendor_wait(), wait, "{kind}");
        }
    }

    #[test]
    fn control_urls_only_on_the_apis_domain() {
        let vapi = Url::parse("https://api.vapi.ai").unwrap();
        let ok = |raw: &str| trusted_control_url(&vapi, raw, false);
        // Vapi's documented control hosts.
        for raw in [
            "https://phone-call-websocket.aws-us-west-2-backend-production2.vapi.ai/7420f27a-30fd-4f49-a995-5549ae7cc00d/control",
            "https://aws-us-west-2-production1-phone-call-websocket.vapi.ai/7420f27a/control",
            "https://api.vapi.ai/x/control",
            " https://VAPI.ai/x/control ",
        ] {
            assert!(ok(raw).is_ok(), "{raw}: {:?}", ok(raw));
        }
        for (raw, why) in [
            ("https://vapi.ai.example.com/x/control", "not the API's"),
            ("https://evilvapi.ai/x/control", "not the API's"),
            ("https://example.com/x/control", "not the API's"),
            ("http://phone.vapi.ai/x/control", "not https"),
            ("wss://phone.vapi.ai/x/transport", "not https"),
            ("https://user:pw@phone.vapi.ai/x", "credentials"),
            ("/relative/control", "not a URL"),
        ] {
            let err = ok(raw).unwrap_err();
            assert!(err.contains(why), "{raw}: {err}");
        }
        // Of any length: refused past 2 KiB, before it is read (it would be sent, and each
        // of its parts masked in the answer).
        let segments = (0..300).map(|n| format!("/t{n:07}")).collect::<String>();
        let long = format!("https://phone.vapi.ai{segments}/control");
        let err = ok(&long).unwrap_err();
        assert!(err.contains("more than a control URL's 2048"), "{err}");
        // Never plain http from an https API, insecure http allowed or not: the client may
        // reach it through a proxy.
        let plain = trusted_control_url(&vapi, "http://phone.vapi.ai/x/control", true);
        assert!(plain.is_err_and(|err| err.contains("not https")));
        // A loopback API (a sandbox): the same host only, plain http allowed.
        let local = Url::parse("http://127.0.0.1:8080/vapi").unwrap();
        assert!(trusted_control_url(&local, "http://127.0.0.1:9000/c/control", false).is_ok());
        assert!(trusted_control_url(&local, "http://127.0.0.2/c/control", false).is_err());
        let localhost = Url::parse("http://localhost:8080").unwrap();
        assert!(trusted_control_url(&localhost, "http://localhost:1/c", false).is_ok());
        assert!(trusted_control_url(&localhost, "https://x.localhost/c", false).is_ok());
        assert!(trusted_control_url(&localhost, "http://x.localhost/c", false).is_err());
        // Plain http elsewhere only where the configuration allows it.
        let insecure = Url::parse("http://api.example.com").unwrap();
        let control = "http://phone.api.example.com/c/control";
        assert!(trusted_control_url(&insecure, control, false).is_err());
        assert!(trusted_control_url(&insecure, control, true).is_ok());
        // A two-label API host: its own subdomains, not the whole top-level domain.
        let bare = Url::parse("https://vapi.ai").unwrap();
        assert!(trusted_control_url(&bare, "https://phone.vapi.ai/c", false).is_ok());
        assert!(trusted_control_url(&bare, "https://other.ai/c", false).is_err());
        // Any other API host: itself and its own subdomains, never its siblings (the
        // parent of a host may be a public suffix, everyone's).
        for api in [
            "https://myproxy.herokuapp.com",
            "https://vapi.example.co.uk",
        ] {
            let api = Url::parse(api).unwrap();
            let host = api.host_str().unwrap();
            let own = format!("https://{host}/c/control");
            assert!(trusted_control_url(&api, &own, false).is_ok(), "{own}");
            let below = format!("https://eu.{host}/c/control");
            assert!(trusted_control_url(&api, &below, false).is_ok(), "{below}");
            let (_, parent) = host.split_once('.').unwrap();
            let sibling = format!("https://evil.{parent}/c/control");
            let err = trusted_control_url(&api, &sibling, false).unwrap_err();
            assert!(err.contains("not the API's"), "{sibling}: {err}");
        }
    }
}
