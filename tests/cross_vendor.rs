//! The same application code against every vendor; only the configuration changes.
//!
//! Each vendor's API is served by wiremock from the vendor fixtures, so the real adapters
//! run over real HTTP.
//!
//! What each fixture infers rather than copies from its vendor's docs is listed, file by
//! file, in the `README.md` beside it (`fixtures/<vendor>/README.md`).

use std::sync::Arc;

use voiceport::{CallId, CallStatus, Error, PayloadKind, ProviderKind, Registry, VoiceProvider};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-cross-vendor-test";

struct Vendor {
    kind: &'static str,
    prefix: &'static str,
    auth_header: &'static str,
    auth_value: String,
    call_id: &'static str,
    fixture: &'static str,
    /// The status and fixture a dial is answered with.
    dial_answer: (u16, &'static str),
    /// The `[providers.NAME.options]` a dial needs besides the request (a caller id, an
    /// agent), so that a dial's own fields are the only change.
    dial_options: &'static str,
}

/// The dial defaults of the Vapi family (Voicebot Studio and Vapi): an assistant and a
/// number to call from.
const VAPI_DIAL_OPTIONS: &str = "assistant_id = \"5b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"\nphone_number_id = \"8c7d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f\"\n";

fn vendors() -> Vec<Vendor> {
    vec![
        Vendor {
            kind: "happyrobot",
            prefix: "/api/v1",
            auth_header: "authorization",
            auth_value: format!("Bearer {KEY}"),
            call_id: "69b03bcf7a81a64cbcab500b",
            fixture: "happyrobot/call_seed.json",
            dial_answer: (200, "happyrobot/dial_response.json"),
            dial_options: "number_id = \"65f1c0ffee0123456789abcd\"\nuse_case_id = \"65f1c0ffee0123456789abce\"\n",
        },
        Vendor {
            kind: "voicebot",
            prefix: "/api/v1",
            auth_header: "x-api-key",
            auth_value: KEY.to_owned(),
            call_id: "019cf72b-2008-72f2-9228-bc1f965cbb09",
            fixture: "voicebot/call_seed.json",
            dial_answer: (201, "vapi/call_dial_queued.json"),
            dial_options: VAPI_DIAL_OPTIONS,
        },
        Vendor {
            kind: "rounded",
            prefix: "/v1",
            auth_header: "x-api-key",
            auth_value: KEY.to_owned(),
            call_id: "14abe6f5-01bd-4eff-a6ed-8eb555b6c5c3",
            fixture: "rounded/get_call.json",
            dial_answer: (201, "rounded/start_call_response.json"),
            dial_options: "from_number = \"+33912345678\"\nagent_id = \"123e4567-e89b-12d3-a456-426614174002\"\n",
        },
        Vendor {
            kind: "vapi",
            prefix: "",
            auth_header: "authorization",
            auth_value: format!("Bearer {KEY}"),
            call_id: "019d685a-b452-78db-8bcf-cb9e057cdc98",
            fixture: "vapi/call_ended.json",
            dial_answer: (201, "vapi/call_dial_queued.json"),
            dial_options: VAPI_DIAL_OPTIONS,
        },
        Vendor {
            kind: "retell",
            prefix: "",
            auth_header: "authorization",
            auth_value: format!("Bearer {KEY}"),
            call_id: "call_45802f38266558e95adfd9466093",
            fixture: "retell/call_phone_outbound_completed.json",
            dial_answer: (201, "retell/dial_response.json"),
            dial_options: "from_number = \"+14155550100\"\nagent_id = \"agent_5e1f0c9a2b7d\"\n",
        },
    ]
}

/// Where `vendor` serves one call: `{prefix}/calls/{id}`, except where the vendor names
/// the operation in the path.
fn get_call_path(vendor: &Vendor) -> String {
    match vendor.kind {
        "retell" => format!("{}/v2/get-call/{}", vendor.prefix, vendor.call_id),
        "vapi" => format!("{}/call/{}", vendor.prefix, vendor.call_id),
        _ => format!("{}/calls/{}", vendor.prefix, vendor.call_id),
    }
}

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Serves one vendor's get-call endpoint and returns a registry whose only change per vendor
/// is the `kind` line (and where its API lives).
async fn serve(vendor: &Vendor) -> (MockServer, Arc<dyn VoiceProvider>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(get_call_path(vendor)))
        .and(header(vendor.auth_header, vendor.auth_value.as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture(vendor.fixture), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    // Vapi's calls name the assistant's number by id: its client looks it up (Vapi's
    // `GET /phone-number/{id}`; a Twilio number, its values made up).
    if vendor.kind == "vapi" {
        let number = r#"{"id": "3e5d7c9b-1a2f-4e6d-8c0b-9a7f5e3d1c2b", "orgId": "6b1f3c0e-7d2a-4b8e-9f4c-2a7e5d9b1c30", "provider": "twilio", "number": "+16175550100", "name": "Reminders", "status": "active", "createdAt": "2026-01-12T09:30:00.000Z", "updatedAt": "2026-01-12T09:30:00.000Z"}"#;
        Mock::given(method("GET"))
            .and(path("/phone-number/3e5d7c9b-1a2f-4e6d-8c0b-9a7f5e3d1c2b"))
            .and(header(vendor.auth_header, vendor.auth_value.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_raw(number, "application/json"))
            .expect(1)
            .mount(&server)
            .await;
    }
    let provider = connect(vendor, &server, "");
    (server, provider)
}

/// A registry whose only provider is `vendor` served by `server`, with `options` (the
/// lines of its `[providers.NAME.options]`, none when empty), connected.
fn connect(vendor: &Vendor, server: &MockServer, options: &str) -> Arc<dyn VoiceProvider> {
    let mut toml = format!(
        "default = \"main\"\n[providers.main]\nkind = \"{}\"\napi_key = \"{KEY}\"\nbase_url = \"{}{}\"\n",
        vendor.kind,
        server.uri(),
        vendor.prefix
    );
    if !options.is_empty() {
        toml.push_str("[providers.main.options]\n");
        toml.push_str(options);
    }
    Registry::from_toml_str(&toml)
        .unwrap()
        .connect_default()
        .unwrap()
}

/// Application code, written once.
async fn summarize(provider: &dyn VoiceProvider, id: &str) -> (ProviderKind, CallStatus, bool) {
    let call = provider.get_call(&CallId::new(id)).await.unwrap();
    (call.provider, call.status, call.vendor_payload().is_some())
}

#[tokio::test]
async fn one_code_path_serves_every_vendor() {
    let mut seen = Vec::new();
    for vendor in vendors() {
        let (_server, provider) = serve(&vendor).await;
        let (kind, status, has_payload) = summarize(provider.as_ref(), vendor.call_id).await;
        assert_eq!(kind.as_str(), vendor.kind);
        assert_eq!(status, CallStatus::Completed, "{}", vendor.kind);
        assert!(has_payload, "{}: vendor payload lost", vendor.kind);
        seen.push(kind);
    }
    // Every vendor with an adapter in this build.
    let built: Vec<ProviderKind> = ProviderKind::ALL
        .iter()
        .copied()
        .filter(|k| voiceport::codec(*k).is_ok())
        .collect();
    assert_eq!(seen, built);
}

#[tokio::test]
async fn normalized_calls_share_one_shape() {
    const LEFT_OUT_WHEN_EMPTY: [&str; 3] = ["customer_name", "transfer_destination", "warnings"];
    let mut shapes = Vec::new();
    for vendor in vendors() {
        let (_server, provider) = serve(&vendor).await;
        let call = provider
            .get_call(&CallId::new(vendor.call_id))
            .await
            .unwrap();
        let json = serde_json::to_value(&call).unwrap();
        // The fields added since 0.1 are left out when empty (which vendors fill them
        // differs): the shape is the rest.
        let keys: Vec<String> = (json.as_object().unwrap().keys())
            .filter(|key| !LEFT_OUT_WHEN_EMPTY.contains(&key.as_str()))
            .cloned()
            .collect();
        shapes.push(keys);
        voiceport_core::snapshot::insta_settings().bind(|| {
            insta::assert_json_snapshot!(format!("completed_call_{}", vendor.kind), call);
        });
    }
    assert!(shapes.windows(2).all(|w| w[0] == w[1]), "{shapes:?}");
}

#[test]
fn bad_configs_name_the_field() {
    let cases = [
        // Every known kind has an adapter in the default build: an unknown one.
        ("[providers.a]\nkind = \"vonage\"\n", "providers.a.kind"),
        ("[providers.a]\nkind = \"rounded\"\n", "providers.a.api_key"),
        (
            "[providers.a]\nkind = \"rounded\"\napi_key = \"k\"\nbase_url = \"http://api.example.com\"\n",
            "providers.a.base_url",
        ),
        (
            "[providers.a]\nkind = \"rounded\"\napi_key_env = \"VOICEPORT_SURELY_UNSET_VAR\"\n",
            "providers.a.api_key_env",
        ),
        (
            "[providers.a]\nkind = \"happyrobot\"\napi_key = \"k\"\n[providers.a.options]\nnot_an_option = 1\n",
            "providers.a.options",
        ),
    ];
    for (toml, expected) in cases {
        let result = Registry::from_toml_str(toml).and_then(|r| r.connect_default());
        match result {
            Err(Error::Config { field, .. }) => {
                assert!(field.starts_with(expected), "{toml}: {field}")
            }
            other => panic!("{toml}: expected a config error at {expected}, got {other:?}"),
        }
    }
}

#[test]
fn registry_connects_once_and_shares() {
    let toml = format!(
        "[providers.a]\nkind = \"rounded\"\napi_key = \"{KEY}\"\n[providers.b]\nkind = \"voicebot\"\napi_key = \"{KEY}\"\n"
    );
    let registry = Registry::from_toml_str(&toml).unwrap();
    assert_eq!(registry.names().collect::<Vec<_>>(), ["a", "b"]);
    let first = registry.connect("a").unwrap();
    let again = registry.connect("a").unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(
        registry.connect("b").unwrap().kind(),
        ProviderKind::Voicebot
    );
    assert!(matches!(
        registry.connect_default(),
        Err(Error::Config { .. })
    ));
    assert!(!format!("{registry:?}").contains(KEY));
}

/// The value at a warning's JSON path (`message.costs[2].cost`) inside `json`.
fn at_path<'a>(json: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(json, |json, segment| {
        let (key, indices) = segment.split_at(segment.find('[').unwrap_or(segment.len()));
        let json = if key.is_empty() { json } else { json.get(key)? };
        (indices.split('[').skip(1)).try_fold(json, |json, index| {
            json.get(index.strip_suffix(']')?.parse::<usize>().ok()?)
        })
    })
}

/// Pointers to every value in `json` but objects and arrays, in arrays too, whose key may
/// name a time (`startedAt`, `end_timestamp`, `created`, `time`): a null time is made
/// unreadable too.
fn time_pointers(json: &serde_json::Value, pointer: &str, found: &mut Vec<String>) {
    let names_a_time = |key: &str| {
        let key = key.to_ascii_lowercase();
        key.ends_with("at") || key.ends_with("ed") || key.contains("time")
    };
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let here = format!("{pointer}/{key}");
                if names_a_time(key) && !value.is_object() && !value.is_array() {
                    found.push(here.clone());
                }
                time_pointers(value, &here, found);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                time_pointers(item, &format!("{pointer}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// Every fixture file of every vendor, with the vendor's codec.
fn every_fixture() -> Vec<(
    ProviderKind,
    &'static dyn voiceport::Codec,
    std::path::PathBuf,
)> {
    let mut found = Vec::new();
    for &kind in ProviderKind::ALL {
        let codec = voiceport::codec(kind).unwrap();
        let folder = format!("{}/fixtures/{kind}", env!("CARGO_MANIFEST_DIR"));
        for file in std::fs::read_dir(&folder).unwrap() {
            found.push((kind, codec, file.unwrap().path()));
        }
    }
    found
}

/// A fixture that decodes as its codec detects it.
struct DecodedFixture {
    kind: ProviderKind,
    codec: &'static dyn voiceport::Codec,
    file: std::path::PathBuf,
    body: Vec<u8>,
    what: PayloadKind,
    decoded: voiceport::Decoded,
}

impl DecodedFixture {
    /// Asserts that `variant`, a changed copy of the fixture's body (`shown` in messages),
    /// is detected as the fixture is and decodes to what it decodes to, as `view` sees them.
    fn assert_alike<T: PartialEq + std::fmt::Debug>(
        &self,
        variant: &[u8],
        shown: &str,
        view: impl Fn(&voiceport::Decoded) -> T,
    ) {
        assert_eq!(self.codec.detect(variant), self.what, "{shown}");
        let decoded =
            (self.codec.decode(self.what, variant)).unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert_eq!(view(&decoded), view(&self.decoded), "{shown}");
    }
}

/// Every fixture that decodes as its codec detects it (the others are error cases, which
/// the tests of errors take).
fn every_decoded_fixture() -> Vec<DecodedFixture> {
    let decodes = |(kind, codec, file): (ProviderKind, &'static dyn voiceport::Codec, _)| {
        let body = std::fs::read(&file).unwrap();
        let what = codec.detect(&body);
        let decoded = codec.decode(what, &body).ok()?;
        Some(DecodedFixture {
            kind,
            codec,
            file,
            body,
            what,
            decoded,
        })
    };
    every_fixture().into_iter().filter_map(decodes).collect()
}

/// What a check over every fixture reached, so that nothing is skipped silently.
#[derive(Default)]
struct Coverage {
    /// Each vendor's kinds of payload.
    kinds: std::collections::BTreeSet<(ProviderKind, &'static str)>,
    /// The fixtures, as `vendor/file.json`.
    files: std::collections::BTreeSet<String>,
}

impl Coverage {
    fn note(&mut self, kind: ProviderKind, what: PayloadKind, file: &std::path::Path) {
        self.kinds.insert((kind, what.as_str()));
        let name = |path: Option<&std::path::Path>| {
            let name = path.and_then(|p| p.file_name()).unwrap_or_default();
            name.to_string_lossy().into_owned()
        };
        self.files
            .insert(format!("{}/{}", name(file.parent()), name(Some(file))));
    }

    /// Every vendor's calls, pages and webhooks were reached, and the fixtures of every
    /// shape of vendor payload.
    fn assert_complete(&self) {
        for &kind in ProviderKind::ALL {
            for what in [PayloadKind::Call, PayloadKind::Page, PayloadKind::Webhook] {
                let reached = self.kinds.contains(&(kind, what.as_str()));
                assert!(reached, "{kind} {what}: nothing checked; {:?}", self.kinds);
            }
        }
        let missing: Vec<_> = (CALLS_OF_EVERY_SHAPE.iter())
            .filter(|fixture| !self.files.contains(**fixture))
            .collect();
        assert!(missing.is_empty(), "not checked: {missing:?}");
    }
}

/// Fixtures whose calls keep each kind of vendor payload: a call object from the API and
/// from a list, a webhook's call object, and a whole delivery (HappyRobot's hooks and
/// status changes, Vapi's reports and status updates, Rounded's did-not-connect).
const CALLS_OF_EVERY_SHAPE: [&str; 10] = [
    "happyrobot/webhook_end.json",
    "happyrobot/webhook_session_status_changed.json",
    "voicebot/list.json",
    "voicebot/webhook_end_of_call_report.json",
    "vapi/webhook_status_update_ended.json",
    "rounded/get_call.json",
    "rounded/webhook_type_call_did_not_connect.json",
    "rounded/webhook_phone_call_ended.json",
    "retell/webhook_call_ended.json",
    "retell/call_phone_outbound_completed.json",
];

/// Every call a decoded payload holds.
fn calls_in(decoded: voiceport::Decoded) -> Vec<voiceport::Call> {
    match decoded {
        voiceport::Decoded::Call(call) => vec![*call],
        voiceport::Decoded::Page(page) => page.calls,
        voiceport::Decoded::Event(event) => event.call().cloned().into_iter().collect(),
        _ => Vec::new(),
    }
}

/// A warning says where the unreadable value was as a path into the JSON the call keeps
/// (`Call::vendor_payload`), whichever vendor and whichever way the call came (a call, a
/// page, a webhook): each time in each fixture is made unreadable in turn, and every
/// warning about it must lead back to it.
#[test]
fn warnings_point_into_the_vendor_payload() {
    const UNREADABLE: &str = "not a time";
    let mut coverage = Coverage::default();
    for (kind, codec, file) in every_fixture() {
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&std::fs::read(&file).unwrap())
        else {
            continue;
        };
        let mut pointers = Vec::new();
        time_pointers(&json, "", &mut pointers);
        for pointer in pointers {
            let mut mutated = json.clone();
            *mutated.pointer_mut(&pointer).unwrap() = UNREADABLE.into();
            let body = serde_json::to_vec(&mutated).unwrap();
            let what = codec.detect(&body);
            // A time the vendor's type does not allow to be text is a decode error.
            let Ok(decoded) = codec.decode(what, &body) else {
                continue;
            };
            for call in calls_in(decoded) {
                let payload = call.vendor_payload().map(|p| p.to_value());
                for warning in call.warnings.iter().filter(|w| w.value == UNREADABLE) {
                    let found = payload.as_ref().and_then(|p| at_path(p, &warning.field));
                    assert_eq!(
                        found.and_then(|v| v.as_str()),
                        Some(UNREADABLE),
                        "{}, {pointer} unreadable: warning `{}` is not a path into the call's vendor payload",
                        file.display(),
                        warning.field
                    );
                    coverage.note(kind, what, &file);
                }
            }
        }
    }
    coverage.assert_complete();
}

/// A call's vendor payload is vendor JSON the codec reads: kept (in a snapshot, a store)
/// and normalized again, it gives the same call. For every call of every fixture (calls,
/// pages and webhooks) of every vendor.
#[test]
fn a_kept_vendor_payload_normalizes_to_the_same_call() {
    let mut coverage = Coverage::default();
    for DecodedFixture {
        kind,
        codec,
        file,
        what,
        decoded,
        ..
    } in every_decoded_fixture()
    {
        for call in calls_in(decoded) {
            let payload = call.vendor_payload().expect("a vendor payload").get();
            let kept = payload.as_bytes();
            // A call's own object is a call; a whole delivery, a webhook again.
            let again = codec.decode(codec.detect(kept), kept).unwrap_or_else(|e| {
                panic!(
                    "{}: call {}'s payload does not decode: {e}",
                    file.display(),
                    call.id
                )
            });
            let same = std::slice::from_ref(&call);
            assert_eq!(
                calls_in(again),
                same,
                "{}: call {}",
                file.display(),
                call.id
            );
            coverage.note(kind, what, &file);
        }
    }
    coverage.assert_complete();
}

/// A vendor's number is read as the nearest `f64` (as Rust's own parser reads it), and a
/// normalized call written as JSON reads back with the same numbers: Vapi's costs are long
/// decimals, which a fast but inexact float parser gets one step wrong.
#[test]
fn long_decimals_read_exactly_and_round_trip() {
    let body = br#"{"id": "019d685a-b452-78db-8bcf-cb9e057cdc98", "status": "ended",
        "cost": 0.0036363636363636364,
        "costs": [{"type": "model", "cost": 0.0018181818181818182}]}"#;
    let call = voiceport::codec(ProviderKind::Vapi)
        .unwrap()
        .decode_call(body)
        .unwrap();
    let cost = call.cost.clone().expect("a cost");
    assert_eq!(
        cost.total,
        Some("0.0036363636363636364".parse::<f64>().unwrap())
    );
    let amounts: Vec<f64> = cost.breakdown.iter().map(|item| item.amount).collect();
    assert_eq!(amounts, ["0.0018181818181818182".parse::<f64>().unwrap()]);
    let written = serde_json::to_string(&call).unwrap();
    let read: voiceport::Call = serde_json::from_str(&written).unwrap();
    assert_eq!(read.cost, call.cost);
}

/// A field no decoder reads, holding JSON no typed read takes (a number out of range, half
/// a UTF-16 pair, objects nested past serde_json's limit), changes neither what a payload
/// is detected as nor what it decodes to: the decoders skip it, and detection too.
#[test]
fn an_unread_field_no_typed_read_takes_changes_nothing() {
    let deep = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
    let unread = ["1e999", "-1e400", "\"\\ud800\"", deep.as_str()];
    let mut coverage = Coverage::default();
    for fixture in every_decoded_fixture() {
        // The field goes first in the top-level object, or in a list's first item.
        let text = std::str::from_utf8(&fixture.body).unwrap().trim_start();
        let (open, rest) = match text.strip_prefix('[') {
            Some(items) => ("[{", items.trim_start().strip_prefix('{')),
            None => ("{", text.strip_prefix('{')),
        };
        let Some(rest) = rest else {
            continue;
        };
        for value in unread {
            let odd = format!("{open}\"x_unread\": {value}, {rest}");
            let shown = format!("{} with {:.20}", fixture.file.display(), value);
            // The vendor payloads hold the field: compared without them.
            fixture.assert_alike(odd.as_bytes(), &shown, normalized);
        }
        coverage.note(fixture.kind, fixture.what, &fixture.file);
    }
    coverage.assert_complete();
}

/// A decoded payload's normalized JSON, without the vendor's (calls serialize without
/// theirs; of an `Other` event, which is little more than its delivery, what it names).
fn normalized(decoded: &voiceport::Decoded) -> serde_json::Value {
    use voiceport::{Decoded, EventKind};
    let value = match decoded {
        Decoded::Call(call) => serde_json::to_value(call),
        Decoded::Page(page) => serde_json::to_value(page),
        Decoded::Transcript(transcript) => serde_json::to_value(transcript),
        Decoded::Event(event) if matches!(event.kind, EventKind::Other { .. }) => {
            Ok(serde_json::json!([
                event.vendor_event,
                event.call_id,
                event.occurred_at
            ]))
        }
        Decoded::Event(event) => serde_json::to_value(event),
        Decoded::Dial(outcome) => serde_json::to_value(outcome),
        _ => Ok(serde_json::Value::Null),
    };
    value.unwrap()
}

/// A payload saved with a UTF-8 byte-order mark (as some editors write files) is detected
/// and decoded as the same payload without it, whatever the vendor and kind of payload.
#[test]
fn a_byte_order_mark_changes_nothing() {
    let mut coverage = Coverage::default();
    for fixture in every_decoded_fixture() {
        let marked = [b"\xEF\xBB\xBF".as_slice(), &fixture.body].concat();
        let shown = fixture.file.display().to_string();
        fixture.assert_alike(&marked, &shown, voiceport::Decoded::clone);
        coverage.note(fixture.kind, fixture.what, &fixture.file);
    }
    coverage.assert_complete();
}

/// JSON is UTF-8 (RFC 8259): a payload with a byte that is not, even in a string no
/// decoder reads, is refused as not JSON, whatever the vendor and the kind of payload;
/// decoded, its kept vendor payload would be no JSON at all.
#[test]
fn a_payload_that_is_not_utf8_is_a_decode_error() {
    let mut coverage = Coverage::default();
    for (kind, codec, file) in every_fixture() {
        let Ok(mut json) =
            serde_json::from_slice::<serde_json::Value>(&std::fs::read(&file).unwrap())
        else {
            continue;
        };
        let sound = serde_json::to_vec(&json).unwrap();
        let what = codec.detect(&sound);
        if codec.decode(what, &sound).is_err() {
            continue;
        }
        // A field nobody reads, in the object (or a list's first object).
        let object = match &mut json {
            serde_json::Value::Array(items) => items.first_mut(),
            object => Some(object),
        };
        let Some(serde_json::Value::Object(object)) = object else {
            continue;
        };
        object.insert("voiceport_marker".into(), "\u{1}".into());
        let marked = serde_json::to_vec(&json).unwrap();
        let escape = b"\\u0001";
        let at = (marked.windows(escape.len()))
            .position(|w| w == escape)
            .unwrap();
        let mut broken = marked[..at].to_vec();
        broken.push(0xff);
        broken.extend_from_slice(&marked[at + escape.len()..]);
        let result = codec.decode(what, &broken);
        assert!(
            matches!(result, Err(Error::Decode { .. })),
            "{}: a body that is not UTF-8 decoded: {result:?}",
            file.display()
        );
        coverage.note(kind, what, &file);
    }
    coverage.assert_complete();
}

/// Every vendor's webhook deliveries, normalized and written as `listen --forward` posts
/// them, read back by an app into the same event (its JSON written again is the same value).
#[test]
fn forwarded_events_read_back() {
    use voiceport::webhooks::Forwarded;
    let mut vendors = std::collections::BTreeSet::new();
    for (kind, codec, file) in every_fixture() {
        let body = std::fs::read(&file).unwrap();
        if codec.detect(&body) != PayloadKind::Webhook {
            continue;
        }
        let event = (codec.decode_webhook(&body))
            .unwrap_or_else(|e| panic!("{}: the delivery does not decode: {e}", file.display()));
        let sent = Forwarded::new("support", kind, event.clone());
        let json = serde_json::to_string(&sent).unwrap();
        let read: Forwarded = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{}: {e}\n{json}", file.display()));
        // The same JSON value (a kept payload is written compactly the second time).
        let value = |json: &str| serde_json::from_str::<serde_json::Value>(json).unwrap();
        let again = serde_json::to_string(&read).unwrap();
        assert_eq!(value(&again), value(&json), "{}", file.display());
        assert_eq!(
            (read.provider, read.provider_name.as_str()),
            (kind, "support")
        );
        let (before, after) = (&event, &read.event);
        assert_eq!(after.call_id, before.call_id, "{}", file.display());
        assert_eq!(after.status(), before.status(), "{}", file.display());
        assert_eq!(after.occurred_at, before.occurred_at, "{}", file.display());
        assert_eq!(after.expects_reply, before.expects_reply);
        assert_eq!(after.distinct_by, None, "not written, so not read");
        if let (
            voiceport::EventKind::Other { payload: was, .. },
            voiceport::EventKind::Other { payload: is, .. },
        ) = (&before.kind, &after.kind)
        {
            assert_eq!(is.to_value(), was.to_value(), "{}", file.display());
        }
        vendors.insert(kind);
    }
    assert_eq!(vendors.len(), ProviderKind::ALL.len(), "{vendors:?}");
}

/// Every list of a vendor's call that a hostile body could make endless (the short ones as
/// well as conversations and transcripts) is refused past core's ceiling, at its JSON
/// path, rather than read into memory; and a list of entries that take many times the
/// bytes of the `{}` or `""` they come from is refused, at its path, once they would take
/// more than the body's budget (eight times its size), long before the ceiling.
#[test]
fn every_list_of_a_call_has_a_ceiling() {
    let ceiling = voiceport_core::adapter::MAX_LIST_ITEMS;
    // (vendor, call fixture, where the call is in it, the list's path in the call, an entry)
    let lists = [
        (
            ProviderKind::HappyRobot,
            "happyrobot/call_seed.json",
            "",
            "notes",
            "{}",
        ),
        (
            ProviderKind::HappyRobot,
            "happyrobot/call_seed.json",
            "",
            "ratings",
            "{}",
        ),
        (
            ProviderKind::HappyRobot,
            "happyrobot/call_seed.json",
            "",
            "questions",
            "{}",
        ),
        (
            ProviderKind::HappyRobot,
            "happyrobot/call_seed.json",
            "",
            "metadata.tags",
            r#""x""#,
        ),
        (
            ProviderKind::Vapi,
            "vapi/call_ended.json",
            "",
            "costs",
            "{}",
        ),
        (
            ProviderKind::Vapi,
            "vapi/call_ended.json",
            "",
            "messages",
            "{}",
        ),
        (
            ProviderKind::Rounded,
            "rounded/get_call.json",
            "data",
            "post_call_answers",
            "{}",
        ),
        (
            ProviderKind::Retell,
            "retell/call_error.json",
            "",
            "call_cost.product_costs",
            "{}",
        ),
        (
            ProviderKind::Retell,
            "retell/call_error.json",
            "",
            "transcript_object",
            "{}",
        ),
    ];
    // An entry of the size of a real one (a note, a cost, an utterance, a tag): its unread
    // `pad` gives the body room for what the entry takes once read.
    let pad = "p".repeat(56);
    for (kind, file, call_at, list, empty) in lists {
        let codec = voiceport::codec(kind).unwrap();
        let real = match empty {
            "{}" => format!(r#"{{"pad": "{pad}"}}"#),
            _ => format!(r#""{pad}""#),
        };
        let with_list = |entry: &str, entries: usize| {
            let mut json: serde_json::Value = serde_json::from_str(&fixture(file)).unwrap();
            let mut object = &mut json;
            for key in call_at
                .split('.')
                .chain(list.split('.'))
                .filter(|k| !k.is_empty())
            {
                object = object
                    .as_object_mut()
                    .unwrap()
                    .entry(key)
                    .or_insert(serde_json::json!({}));
            }
            *object = serde_json::Value::Null;
            let text = serde_json::to_string(&json).unwrap();
            let endless = format!("[{}]", vec![entry; entries].join(","));
            // The list written in place of the `null` it was set to (the only one in the
            // body that is the list's value: its key precedes it).
            let key = format!("\"{}\":null", list.rsplit('.').next().unwrap());
            assert!(text.contains(&key), "{file}: {key}");
            text.replacen(&key, &key.replace("null", &endless), 1)
        };
        let within = codec.decode_call(with_list(&real, ceiling).as_bytes());
        assert!(
            within.is_ok(),
            "{kind} {list}: {:?}",
            within.map(|call| call.id)
        );
        let over = codec.decode_call(with_list(&real, ceiling + 1).as_bytes());
        let path = [call_at, list].join(".");
        let path = path.trim_start_matches('.');
        assert!(
            matches!(&over, Err(Error::Decode { path: at, message, .. })
                if at == path && message.contains(&format!("more than {ceiling}"))),
            "{kind} {list}: {:?}",
            over.map(|call| call.id)
        );
        // Empty objects, short of the ceiling: once read they would take more than the
        // body's budget. (A string takes its text and 24 bytes: a list of them stays
        // within the least budget.)
        if empty == "{}" {
            let hostile = codec.decode_call(with_list(empty, ceiling * 9 / 10).as_bytes());
            let refused = matches!(&hostile, Err(Error::Decode { path: at, message, .. })
                if at == path && message.contains("times its size in memory"));
            // Vapi's cost items are small enough that the ceiling's worth of them stays
            // within the 4 MiB any body may take.
            let small = (kind, list) == (ProviderKind::Vapi, "costs");
            assert!(
                refused != small,
                "{kind} {list}: {:?}",
                hostile.map(|call| call.id)
            );
        }
    }
}

/// A free-form field (metadata, extracted data, a tool's arguments), read as any JSON,
/// is charged to the body's budget as typed lists are: arrays of `0` (two bytes of text,
/// 32 bytes or more once read) are refused, each array short of the ceiling, where they
/// would take more than eight times the body (a 64 MiB body of them took over a GiB).
#[test]
fn free_form_json_in_a_call_is_read_within_its_budget() {
    // (vendor, call fixture, the free-form field's keys)
    let fields: [(ProviderKind, &str, &[&str]); 13] = [
        // Rounded's envelope, read leniently around every answer.
        (ProviderKind::Rounded, "rounded/get_call.json", &["message"]),
        (ProviderKind::Rounded, "rounded/get_call.json", &["error"]),
        // Vapi's artifact parts and transfer destination, read from raw JSON after the
        // call.
        (
            ProviderKind::Vapi,
            "vapi/call_ended.json",
            &["artifact", "variableValues"],
        ),
        (ProviderKind::Vapi, "vapi/call_ended.json", &["destination"]),
        // Retell: an ended transfer's end time (made a `transfer_ended` below), and a
        // transfer event's own destination, beside its call.
        (
            ProviderKind::Retell,
            "retell/webhook_transfer_bridged.json",
            &["call", "transfer_end_timestamp"],
        ),
        (
            ProviderKind::Retell,
            "retell/webhook_transfer_bridged.json",
            &["transfer_destination"],
        ),
        (
            ProviderKind::HappyRobot,
            "happyrobot/call_seed.json",
            &["metadata", "custom"],
        ),
        (
            ProviderKind::HappyRobot,
            "happyrobot/call_seed.json",
            &["extraction"],
        ),
        (
            ProviderKind::Vapi,
            "vapi/call_ended.json",
            &["analysis", "structuredData"],
        ),
        (
            ProviderKind::Vapi,
            "vapi/call_ended.json",
            &["analysis", "structuredDataMulti"],
        ),
        (
            ProviderKind::Rounded,
            "rounded/get_call.json",
            &["data", "metadata"],
        ),
        (
            ProviderKind::Retell,
            "retell/call_error.json",
            &["metadata"],
        ),
        (
            ProviderKind::Retell,
            "retell/call_error.json",
            &["call_analysis", "custom_analysis_data"],
        ),
    ];
    let zeros = vec!["0"; 90_000].join(",");
    let hostile = format!("[[{zeros}], [{zeros}]]");
    for (kind, file, keys) in fields {
        let mut json: serde_json::Value = serde_json::from_str(&fixture(file)).unwrap();
        let mut object = &mut json;
        for key in keys {
            object = object
                .as_object_mut()
                .unwrap()
                .entry(*key)
                .or_insert(serde_json::json!({}));
        }
        *object = serde_json::json!("HOSTILE-HERE");
        if keys.contains(&"transfer_end_timestamp") {
            json["event"] = serde_json::json!("transfer_ended");
        }
        let text = serde_json::to_string(&json).unwrap();
        let codec = voiceport::codec(kind).unwrap();
        let decode = |body: &str| match file.contains("webhook") {
            true => codec
                .decode_webhook(body.as_bytes())
                .map(|event| event.call().cloned()),
            false => codec.decode_call(body.as_bytes()).map(Some),
        };
        let small = text.replacen("\"HOSTILE-HERE\"", "[[0, 0], [1]]", 1);
        assert!(decode(&small).is_ok(), "{kind} {keys:?}");
        let body = text.replacen("\"HOSTILE-HERE\"", &hostile, 1);
        match decode(&body) {
            Err(Error::Decode { message, .. }) if message.contains("times its size in memory") => {}
            // Vapi reads its artifact's parts after the call, leniently: a part over the
            // budget is left out, as one that does not parse is.
            Ok(Some(call)) if keys == ["artifact", "variableValues"] => {
                assert!(!call.analysis.extracted.contains_key("variableValues"));
            }
            // So is its destination: read whole, the arrays would be a shape to warn of.
            Ok(Some(call)) if keys == ["destination"] => {
                assert_eq!(call.transfer_destination, None);
                let warnings = format!("{:?}", call.warnings);
                assert!(!warnings.contains("destination"), "{warnings}");
            }
            other => panic!(
                "{kind} {keys:?}: {:?}",
                other.map(|call| call.map(|c| c.id))
            ),
        }
    }
}

/// A page whose calls each hold a list well short of the ceiling, of entries that take
/// many times their text once read, is refused once all of them together would take more
/// than eight times the body (a 63 MiB page of such calls took 3.7 GB before; 430 MB now),
/// at the path where the budget ran out.
#[test]
fn a_page_of_hostile_lists_is_refused_within_its_budget() {
    let list = vec!["{}"; 50_000].join(",");
    let pages = [
        (
            ProviderKind::Retell,
            format!(
                r#"{{"items": [{}]}}"#,
                (0..40)
                    .map(|i| format!(r#"{{"call_id": "c{i}", "transcript_object": [{list}]}}"#))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            "transcript_object",
        ),
        (
            ProviderKind::Vapi,
            format!(
                "[{}]",
                (0..40)
                    .map(|i| format!(r#"{{"id": "c{i}", "messages": [{list}]}}"#))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            "messages",
        ),
    ];
    for (kind, page, list) in pages {
        let codec = voiceport::codec(kind).unwrap();
        let result = codec.decode_page(page.as_bytes(), &voiceport::CallQuery::default());
        let Err(Error::Decode { path, message, .. }) = &result else {
            panic!("{kind}: {:?}", result.map(|page| page.calls.len()));
        };
        assert!(
            message.contains("times its size in memory"),
            "{kind}: {message}"
        );
        // Refused part way: the calls before it fit.
        let call = path
            .strip_suffix(&format!("].{list}"))
            .and_then(|at| at.rsplit('[').next());
        let call: usize = call
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{path}"));
        assert!((1..39).contains(&call), "{kind}: {path}");
    }
}

/// A page of more calls than core's list ceiling is refused, whatever the vendor, rather
/// than normalized into memory (a normalized call takes fifty times the bytes of the
/// smallest vendor call).
#[test]
fn a_page_has_a_ceiling() {
    let over = voiceport_core::adapter::MAX_LIST_ITEMS + 1;
    let calls = |call: &str| vec![call; over].join(",");
    let pages = [
        (
            ProviderKind::HappyRobot,
            format!(r#"{{"calls": [{}], "count": {over}}}"#, calls("0")),
        ),
        (
            ProviderKind::Voicebot,
            format!("[{}]", calls(r#"{"id": "c"}"#)),
        ),
        (ProviderKind::Vapi, format!("[{}]", calls(r#"{"id": "c"}"#))),
        (
            ProviderKind::Rounded,
            format!(r#"{{"data": [{}]}}"#, calls("0")),
        ),
        (
            ProviderKind::Retell,
            format!(r#"{{"items": [{}], "has_more": false}}"#, calls("0")),
        ),
    ];
    for (kind, page) in pages {
        let codec = voiceport::codec(kind).unwrap();
        let result = codec.decode_page(page.as_bytes(), &voiceport::CallQuery::default());
        assert!(
            matches!(&result, Err(Error::Decode { message, .. })
                if message.contains(&format!("more than {}", over - 1))),
            "{kind}: {:?}",
            result.map(|page| page.calls.len())
        );
    }
}

/// Retell's two end events, `call_ended` (the transcript, the collected variables) and
/// `call_analyzed` (the summary, no time), kept by `CallState` in either order: the call
/// has what each says.
#[test]
fn retell_s_two_end_events_are_kept_together_in_either_order() {
    let codec = voiceport::codec(ProviderKind::Retell).unwrap();
    let decode = |name: &str| {
        let body = fixture(&format!("retell/{name}.json"));
        codec.decode_webhook(body.as_bytes()).unwrap()
    };
    let (ended, analyzed) = (
        decode("webhook_call_ended"),
        decode("webhook_call_analyzed"),
    );
    let summary = |event: &voiceport::CallEvent| event.call().unwrap().analysis.summary.clone();
    let variables = |event: &voiceport::CallEvent| event.call().unwrap().analysis.extracted.len();
    // What the test needs of the fixtures: each end says what the other does not.
    assert!(summary(&analyzed).is_some() && summary(&ended).is_none());
    assert!(variables(&ended) > 0);
    assert!(ended.call().unwrap().transcript.is_some());
    for events in [[&ended, &analyzed], [&analyzed, &ended]] {
        let mut state = voiceport::webhooks::CallState::default();
        assert!(events.iter().all(|event| state.apply(event)));
        let call = state.call.as_ref().unwrap();
        assert_eq!(call.analysis.summary, summary(&analyzed));
        assert!(call.analysis.extracted.len() >= variables(&ended));
        assert!(call.transcript.is_some());
        assert!(state.status.unwrap().is_terminal());
    }
}

/// Every fixture decodes as its codec detects it, the error envelopes aside (they decode
/// into the vendor's error). CI runs this test again with serde_json's
/// `arbitrary_precision` on, as a user's build may have it (another crate may turn it on:
/// features are unified), when numbers reach the decoders in another form.
#[test]
fn every_fixture_decodes_whatever_serde_json_s_features() {
    let mut decoded = 0;
    for (kind, codec, file) in every_fixture() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let body = std::fs::read(&file).unwrap();
        let what = codec.detect(&body);
        let result = codec.decode(what, &body);
        if name.starts_with("error_envelope") {
            assert!(result.is_err(), "{kind}/{name}");
            continue;
        }
        result.unwrap_or_else(|e| panic!("{kind}/{name} as {what:?}: {e}"));
        decoded += 1;
    }
    assert!(decoded > 150, "{decoded} fixtures decoded");
}

/// Numbers in fields read as any JSON (a delivery's time, a score, a `metadata` that is
/// not an object) or as an open set of names (a kind sent as a number) read as numbers,
/// whatever serde_json's features (see `every_fixture_decodes_whatever_serde_json_s_features`):
/// with `arbitrary_precision` on, serde_json hands a number to such a field as a one-entry
/// map, which was read as an object (a time lost, a score written as that map) or refused.
#[test]
fn numbers_in_loosely_typed_fields_read_as_numbers_whatever_serde_json_s_features() {
    let codec = |kind| voiceport::codec(kind).unwrap();
    // Vapi's status update: its `timestamp` is epoch milliseconds.
    let body = fixture("voicebot/webhook_status_update.json");
    let event = codec(ProviderKind::Voicebot)
        .decode_webhook(body.as_bytes())
        .unwrap();
    let millis = event.occurred_at.map(|time| time.timestamp_millis());
    assert_eq!(millis, Some(1_773_942_115_058));
    // A score given as a number where Vapi documents text.
    let mut call: serde_json::Value =
        serde_json::from_str(&fixture("voicebot/call_function_call_role.json")).unwrap();
    call["analysis"]["successEvaluation"] = serde_json::json!(8.5);
    let call = codec(ProviderKind::Voicebot)
        .decode_call(&serde_json::to_vec(&call).unwrap())
        .unwrap();
    assert_eq!(call.analysis.success_evaluation.as_deref(), Some("8.5"));
    // Retell's `metadata` as a bare number: kept whole under its name.
    let mut call: serde_json::Value =
        serde_json::from_str(&fixture("retell/call_phone_outbound_completed.json")).unwrap();
    call["metadata"] = serde_json::json!(7);
    let call = codec(ProviderKind::Retell)
        .decode_call(&serde_json::to_vec(&call).unwrap())
        .unwrap();
    assert_eq!(call.metadata.get("metadata"), Some(&serde_json::json!(7)));
    // An open set of names given a number keeps its text.
    let kind: voiceport::CallKind = serde_json::from_str("3").unwrap();
    assert_eq!(kind, voiceport::CallKind::Other("3".into()));
    assert!(serde_json::from_str::<voiceport::CallKind>(r#"{"web": 1}"#).is_err());
    // The shape a payload is detected by keeps its numbers.
    let shape = voiceport_core::json_shape(br#"{"count": 2, "data": {"n": -1.5}}"#);
    assert_eq!(
        shape,
        Some(serde_json::json!({"count": 2, "data": {"n": -1.5}}))
    );
}

/// Transcript times written as text (`"start": "1.5"`), as backends that serialize decimals
/// as text do, read as the numbers they hold, as costs and durations do: in every fixture
/// with a transcript, the utterances are the same either way. (Such a time was a decode
/// error of the whole call, page or webhook.)
#[test]
fn transcript_times_written_as_text_read_as_numbers() {
    const TIMES: [&str; 7] = [
        "start",
        "end",
        "time",
        "endTime",
        "secondsFromStart",
        "time_sec",
        "start_time",
    ];
    fn as_text(value: &mut serde_json::Value, under_time: bool) -> usize {
        match value {
            serde_json::Value::Number(n) if under_time => {
                *value = serde_json::Value::String(n.to_string());
                1
            }
            serde_json::Value::Array(items) => items.iter_mut().map(|v| as_text(v, false)).sum(),
            serde_json::Value::Object(map) => (map.iter_mut())
                .map(|(key, v)| as_text(v, TIMES.contains(&key.as_str())))
                .sum(),
            _ => 0,
        }
    }
    fn utterances(decoded: voiceport::Decoded) -> Vec<voiceport::Utterance> {
        let transcript = match decoded {
            voiceport::Decoded::Call(call) => call.transcript,
            voiceport::Decoded::Transcript(transcript) => Some(transcript),
            voiceport::Decoded::Event(event) => event.call().and_then(|c| c.transcript.clone()),
            _ => None,
        };
        transcript.map(|t| t.utterances).unwrap_or_default()
    }
    let (mut compared, mut kinds) = (0, std::collections::BTreeSet::new());
    for (kind, codec, file) in every_fixture() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let what = codec.detect(text.as_bytes());
        let Ok(plain) = codec.decode(what, text.as_bytes()) else {
            continue;
        };
        let plain = utterances(plain);
        if plain.is_empty() || as_text(&mut json, false) == 0 {
            continue;
        }
        let body = serde_json::to_vec(&json).unwrap();
        let written = codec
            .decode(what, &body)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(utterances(written), plain, "{}", file.display());
        compared += 1;
        kinds.insert(kind);
    }
    assert!(compared > 20, "{compared} fixtures compared");
    assert!(kinds.len() >= 3, "{kinds:?}");
}

/// A merged call's JSON reads back, numbers of every kind included, as
/// `every_fixture_decodes_whatever_serde_json_s_features` runs in CI with and without
/// serde_json's `arbitrary_precision`.
#[test]
fn merged_calls_read_back_whatever_serde_json_s_features() {
    let body = fixture("retell/call_phone_outbound_completed.json");
    let call = voiceport::codec(ProviderKind::Retell)
        .unwrap()
        .decode_call(body.as_bytes())
        .unwrap();
    assert!(call.duration_secs.is_some_and(|secs| secs.fract() != 0.0));
    assert!(call.cost.is_some());
    let merged = voiceport::MergedCall::new("renewals", call);
    let json = serde_json::to_string(&merged).unwrap();
    let back: voiceport::MergedCall = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    assert_eq!(back.provider_name, "renewals");
    let unnamed = json.replace(r#","provider_name":"renewals""#, "");
    let err = serde_json::from_str::<voiceport::MergedCall>(&unnamed).unwrap_err();
    assert!(err.to_string().contains("provider_name"), "{err}");
}

/// Every webhook fixture's event, written as `voiceport listen --json` writes it, reads
/// back to the same JSON, whatever serde_json's features (see
/// `every_fixture_decodes_whatever_serde_json_s_features`); a kind from a newer release
/// reads back as `Unknown`.
#[test]
fn events_read_back_whatever_serde_json_s_features() {
    let (mut read_back, mut kinds) = (0, std::collections::BTreeSet::new());
    for (kind, codec, file) in every_fixture() {
        let body = std::fs::read(&file).unwrap();
        if codec.detect(&body) != PayloadKind::Webhook {
            continue;
        }
        let Ok(event) = codec.decode_webhook(&body) else {
            continue;
        };
        let json = serde_json::to_string(&event).unwrap();
        let back: voiceport::CallEvent = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{kind} {}: {e}", file.display()));
        assert_eq!(serde_json::to_string(&back).unwrap(), json, "{kind}");
        read_back += 1;
        kinds.insert(kind);
    }
    assert!(read_back > 40, "{read_back} events read back");
    // Every vendor's events, not only those of the vendors with the most fixtures.
    assert_eq!(kinds.len(), ProviderKind::ALL.len(), "{kinds:?}");
    let newer =
        r#"{"vendor_event": "call.paused", "call_id": "c1", "event": "paused", "since": 3}"#;
    let event: voiceport::CallEvent = serde_json::from_str(newer).unwrap();
    assert_eq!(event.kind, voiceport::EventKind::Unknown);
    assert_eq!(event.call_id().map(|id| id.as_str()), Some("c1"));
    let untagged = r#"{"vendor_event": "call.paused"}"#;
    assert!(serde_json::from_str::<voiceport::CallEvent>(untagged).is_err());
}

/// Every adapter's options, built with `Default` and their fields set, go into a
/// `ProviderConfig` with `with_options` and come back as the adapter reads them.
#[test]
fn typed_options_go_into_a_config_and_back() {
    use voiceport::ProviderConfig;
    fn config(kind: ProviderKind, options: &impl serde::Serialize) -> ProviderConfig {
        (ProviderConfig::new(kind).with_api_key("test-key"))
            .with_options(options)
            .unwrap()
    }

    let mut hr = voiceport::happyrobot::HappyRobotOptions::default();
    hr.number_id = Some("65f1ce217a81a64cbcab4f10".into());
    hr.use_case_id = Some("690a36427a81a64cbcab4fd5".into());
    let read =
        voiceport::happyrobot::HappyRobot::from_config(&config(ProviderKind::HappyRobot, &hr))
            .unwrap();
    assert_eq!(read.options(), &hr);

    let mut vapi = voiceport::vapi::VapiOptions::default();
    vapi.assistant_id = Some("83e6398d-2080-44a1-8c0e-12bedcc33d1e".into());
    let read = voiceport::vapi::Vapi::from_config(&config(ProviderKind::Vapi, &vapi)).unwrap();
    assert_eq!(read.options(), &vapi);

    let mut rounded = voiceport::rounded::RoundedOptions::default();
    rounded.from_number = Some("+33199001234".into());
    rounded.paging = voiceport::rounded::Paging::Page;
    rounded.include_transcript = false;
    let read =
        voiceport::rounded::Rounded::from_config(&config(ProviderKind::Rounded, &rounded)).unwrap();
    assert_eq!(read.options(), &rounded);

    let mut retell = voiceport::retell::RetellOptions::default();
    retell.agent_id = Some("agent_5c81e9a04d7f2b36a19e0c4d77".into());
    let read =
        voiceport::retell::Retell::from_config(&config(ProviderKind::Retell, &retell)).unwrap();
    assert_eq!(read.options(), &retell);

    // Not a table: refused, naming the argument.
    let error = ProviderConfig::new(ProviderKind::Retell)
        .with_options(&"agent_1")
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidArgument { argument, .. } if argument == "options"),
        "{error}"
    );
}

/// A body that is no call object is refused in words a user reads (`expected a call
/// object`), never with a Rust type's name (`expected struct Call`), by every vendor's
/// codec.
#[test]
fn a_body_that_is_no_call_object_is_refused_in_plain_words() {
    for &kind in ProviderKind::ALL {
        let codec = voiceport::codec(kind).expect("every kind has a codec");
        let err = codec.decode_call(b"5").unwrap_err().to_string();
        assert!(
            err.contains("expected a call object") || err.contains("(an object)"),
            "{kind}: {err}"
        );
        assert!(!err.contains("struct"), "{kind}: {err}");
    }
}

/// A nested object of the wrong type is refused in the same plain words, naming what was
/// expected there (`expected a customer object`) and where, never the Rust type that reads
/// it (`expected struct Customer`).
#[test]
fn a_nested_value_of_the_wrong_type_is_refused_in_plain_words() {
    // (kind, fixture, the JSON pointer set to `true`, the path and words the error gives)
    let cases = [
        (
            ProviderKind::HappyRobot,
            "happyrobot/call_seed.json",
            "/classification",
            "classification",
            "expected a classification object",
        ),
        (
            ProviderKind::Vapi,
            "vapi/call_ended.json",
            "/customer",
            "customer",
            "expected a customer object",
        ),
        (
            ProviderKind::Voicebot,
            "vapi/call_ended.json",
            "/customer",
            "customer",
            "expected a customer object",
        ),
        (
            ProviderKind::Retell,
            "retell/call_phone_outbound_completed.json",
            "/call_cost",
            "call_cost",
            "expected a call cost object",
        ),
        (
            ProviderKind::Rounded,
            "rounded/get_call.json",
            "/data/transcript/0",
            "data.transcript[0]",
            "expected a transcript entry object",
        ),
    ];
    for (kind, name, pointer, at, words) in cases {
        let mut body: serde_json::Value = serde_json::from_str(&fixture(name)).unwrap();
        *body
            .pointer_mut(pointer)
            .expect("the fixture has the field") = true.into();
        let codec = voiceport::codec(kind).expect("every kind has a codec");
        let err = codec
            .decode_call(body.to_string().as_bytes())
            .expect_err("a boolean where an object belongs");
        let Error::Decode { path, message, .. } = &err else {
            panic!("{kind}: not a decode error: {err:?}");
        };
        assert_eq!(path, at, "{kind}: {err}");
        assert!(message.contains(words), "{kind}: {message}");
        assert!(!message.contains("struct"), "{kind}: {message}");
    }
}

/// Whatever a codec decodes serializes as an object naming what it is, so that a folder of
/// mixed vendor payloads snapshots through one `Decoded`.
#[test]
fn a_decoded_payload_serializes_naming_what_it_is() {
    for (kind, name, key) in [
        (ProviderKind::Vapi, "vapi/call_ended.json", "call"),
        (ProviderKind::Vapi, "vapi/list.json", "page"),
        (
            ProviderKind::Vapi,
            "vapi/webhook_status_update_ended.json",
            "event",
        ),
        (
            ProviderKind::HappyRobot,
            "happyrobot/transcript.json",
            "transcript",
        ),
        (ProviderKind::Rounded, "rounded/get_call.json", "call"),
    ] {
        let codec = voiceport::codec(kind).expect("every kind has a codec");
        let body = fixture(name);
        let decoded = codec
            .decode(codec.detect(body.as_bytes()), body.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let json = serde_json::to_value(&decoded).unwrap();
        let keys: Vec<&String> = json.as_object().expect("an object").keys().collect();
        assert_eq!(keys, [key], "{name}");
    }
    let ack = serde_json::to_value(voiceport::Decoded::Ack).unwrap();
    assert_eq!(ack, "ack");
}

/// The paths the sandbox's doc examples use (through a shim of `voiceport_core`, which
/// they cannot depend on otherwise) are the facade's: a rename here fails this test.
#[cfg(feature = "conformance")]
#[test]
fn the_paths_the_sandbox_examples_name_are_the_facade_s() {
    let _secret = voiceport::webhooks::WebhookConfig::with_secret("s3cret");
    let _run = voiceport::conformance::run;
    let _file: fn(&str) -> voiceport::Result<voiceport::ProvidersFile> =
        voiceport::ProvidersFile::from_toml_str;
    let _kind = voiceport::ProviderKind::Vapi;
}

/// One dial per optional field of `DialRequest`, each setting that field alone to a value
/// its markers find in a request body, beside the name an error refusing it says.
fn dial_per_field() -> Vec<(
    &'static str,
    voiceport::DialRequest,
    &'static [&'static str],
)> {
    use voiceport::{AgentId, CampaignId, DialRequest};
    let one = |key: &str, value: serde_json::Value| [(key.to_owned(), value)].into();
    // Every field bound by name, each then used by its case: a field added to
    // `DialRequest` stops this test compiling until it is bound here, and its binding,
    // unused, fails the lints until it has a case (so that no vendor drops it unseen).
    let DialRequest {
        to: _,
        from_number,
        phone_number_id,
        agent_id,
        variables,
        metadata,
        scheduled_for,
        max_duration_secs,
        language,
        name,
        campaign_id,
        extra,
    } = DialRequest {
        from_number: Some("+16175550142".into()),
        phone_number_id: Some("65f1c0ffee0123456789beef".into()),
        agent_id: Some(AgentId::new("65f1c0ffee0123456789a9e7")),
        variables: one("marker_variable", "v".into()),
        metadata: one("marker_metadata", "m".into()),
        scheduled_for: "2030-01-02T03:04:05Z".parse().ok(),
        // 124 minutes.
        max_duration_secs: Some(7440),
        language: Some("x-marker-language".into()),
        name: Some("marker name".into()),
        campaign_id: Some(CampaignId::new("65f1c0ffee0123456789ca3e")),
        extra: one("marker_extra", true.into()),
        ..DialRequest::default()
    };
    let base = || DialRequest::to("+14155550187");
    vec![
        (
            "from_number",
            DialRequest {
                from_number,
                ..base()
            },
            &["6175550142"],
        ),
        (
            "phone_number_id",
            DialRequest {
                phone_number_id,
                ..base()
            },
            &["65f1c0ffee0123456789beef"],
        ),
        (
            "agent_id",
            DialRequest { agent_id, ..base() },
            &["65f1c0ffee0123456789a9e7"],
        ),
        (
            "variables",
            DialRequest {
                variables,
                ..base()
            },
            &["marker_variable"],
        ),
        (
            "metadata",
            DialRequest { metadata, ..base() },
            &["marker_metadata"],
        ),
        (
            "scheduled_for",
            DialRequest {
                scheduled_for,
                ..base()
            },
            // Written as a time, or as seconds or milliseconds since the epoch.
            &["2030-01-02", "1893553445"],
        ),
        (
            "max_duration_secs",
            DialRequest {
                max_duration_secs,
                ..base()
            },
            // Seconds, or minutes as a JSON value.
            &["7440", ":124"],
        ),
        (
            "language",
            DialRequest { language, ..base() },
            &["x-marker-language"],
        ),
        ("name", DialRequest { name, ..base() }, &["marker name"]),
        (
            "campaign_id",
            DialRequest {
                campaign_id,
                ..base()
            },
            &["65f1c0ffee0123456789ca3e"],
        ),
        ("extra", DialRequest { extra, ..base() }, &["marker_extra"]),
    ]
}

/// Every field a dial sets is sent to the vendor, or refused, naming the field, before
/// anything is sent: none is dropped unseen, on any vendor (a field added to
/// `DialRequest` later included, which `dial_per_field` makes this test name); and
/// `check_dial`, which sends nothing, refuses exactly what the dial refuses.
#[tokio::test]
async fn no_vendor_drops_a_dial_field_unseen() {
    for vendor in vendors() {
        let (status, file) = vendor.dial_answer;
        let answer = fixture(file);
        for (field, request, markers) in dial_per_field() {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(
                    ResponseTemplate::new(status).set_body_raw(answer.clone(), "application/json"),
                )
                .mount(&server)
                .await;
            // Anything else (a number looked up after the dial): not there.
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(404))
                .mount(&server)
                .await;
            let provider = connect(&vendor, &server, vendor.dial_options);
            // Checked first, sending nothing, it refuses what the dial refuses, as the
            // dial says it: every dial here is sent or refused before sending.
            let checked = provider.check_dial(&request);
            let sent = server.received_requests().await.unwrap_or_default();
            assert!(
                sent.is_empty(),
                "{}: `{field}` checked: {sent:?}",
                vendor.kind
            );
            let dialed = provider.dial(&request).await;
            assert_eq!(
                checked.as_ref().map_err(ToString::to_string),
                dialed.as_ref().map(|_| &()).map_err(ToString::to_string),
                "{}: `{field}`: the check and the dial disagree",
                vendor.kind
            );
            let requests = server.received_requests().await.unwrap_or_default();
            let bodies: Vec<String> = (requests.iter())
                .filter(|r| r.method == wiremock::http::Method::POST)
                .map(|r| String::from_utf8_lossy(&r.body).into_owned())
                .collect();
            match dialed {
                Ok(_) => {
                    assert!(
                        bodies
                            .iter()
                            .any(|body| markers.iter().any(|marker| body.contains(marker))),
                        "{}: `{field}` was dropped: {bodies:?}",
                        vendor.kind
                    );
                }
                Err(error) => {
                    assert!(
                        matches!(
                            error,
                            Error::Unsupported { .. } | Error::InvalidRequest { .. }
                        ),
                        "{}: `{field}`: {error:?}",
                        vendor.kind
                    );
                    assert!(
                        bodies.is_empty(),
                        "{}: `{field}` refused after sending",
                        vendor.kind
                    );
                    let text = error.to_string();
                    let named = text.contains(&format!("`{field}`"));
                    assert!(named, "{}: `{field}` refused unnamed: {text}", vendor.kind);
                }
            }
        }
    }
}
