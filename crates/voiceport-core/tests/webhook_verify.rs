//! Webhook verification: every scheme both ways, replays, tampering, and no secret leaks.

use chrono::{DateTime, TimeDelta, Utc};
use http::{HeaderMap, HeaderValue};
use voiceport_core::webhook::{Verifier, VerifyError, WebhookConfig, verify};
use voiceport_core::{Error, ProviderKind, SecretString};

const SECRET: &str = "whsec-9f2c1e7a40b8";

fn config(toml_text: &str) -> WebhookConfig {
    toml::from_str(toml_text).unwrap()
}

fn verifier(kind: ProviderKind, toml_text: &str) -> Verifier {
    Verifier::from_config(kind, &config(toml_text), "providers.p.webhook", None).unwrap()
}

/// The config field a webhook table for `kind` is refused for (its path is `w`).
fn refused_field(kind: ProviderKind, toml_text: &str) -> String {
    refusal(kind, toml_text).0
}

/// The config field a webhook table for `kind` is refused for (its path is `w`), and the
/// error's text.
fn refusal(kind: ProviderKind, toml_text: &str) -> (String, String) {
    let error = Verifier::from_config(kind, &config(toml_text), "w", None).unwrap_err();
    match &error {
        Error::Config { field, .. } => (field.clone(), error.to_string()),
        other => panic!("{toml_text}: {other:?}"),
    }
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        map.insert(name, HeaderValue::from_str(value).unwrap());
    }
    map
}

fn at(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap()
}

#[test]
fn header_scheme_defaults_per_vendor() {
    let secret = SecretString::from(SECRET);
    let body = br#"{"message":{"type":"hang"}}"#;
    let vapi = headers(&[("x-vapi-secret", SECRET)]);
    assert_eq!(verify(ProviderKind::Voicebot, &vapi, body, &secret), Ok(()));
    // HappyRobot and Rounded: the header the user configured on the hook, X-Webhook-Secret
    // unless the config names another.
    let generic = headers(&[("X-Webhook-Secret", SECRET)]);
    assert_eq!(
        verify(ProviderKind::HappyRobot, &generic, body, &secret),
        Ok(())
    );
    assert_eq!(
        verify(ProviderKind::Rounded, &generic, body, &secret),
        Ok(())
    );
    assert_eq!(
        verify(ProviderKind::HappyRobot, &vapi, body, &secret),
        Err(VerifyError::Missing {
            header: "x-webhook-secret".into()
        })
    );
    let wrong = headers(&[("x-vapi-secret", "whsec-guess")]);
    assert_eq!(
        verify(ProviderKind::Voicebot, &wrong, body, &secret),
        Err(VerifyError::Mismatch)
    );
    let configured = verifier(
        ProviderKind::HappyRobot,
        &format!("verify = \"header\"\nheader = \"X-Hook-Token\"\nsecret = \"{SECRET}\""),
    );
    assert_eq!(
        configured.verify(&headers(&[("x-hook-token", SECRET)]), body),
        Ok(())
    );
    assert_eq!(
        configured.verify(&headers(&[("x-hook-token", "")]), body),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn bearer_scheme_takes_the_authorization_header() {
    let v = verifier(
        ProviderKind::Voicebot,
        &format!("verify = \"bearer\"\nsecret = \"{SECRET}\""),
    );
    let body = b"{}";
    assert_eq!(
        v.verify(
            &headers(&[("authorization", &format!("Bearer {SECRET}"))]),
            body
        ),
        Ok(())
    );
    assert_eq!(
        v.verify(
            &headers(&[("authorization", &format!("bearer {SECRET}"))]),
            body
        ),
        Ok(())
    );
    assert_eq!(
        v.verify(&headers(&[("authorization", SECRET)]), body),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        v.verify(&headers(&[("authorization", "Bearer nope")]), body),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn hmac_scheme_signs_timestamp_dot_body() {
    let v = verifier(
        ProviderKind::Voicebot,
        &format!("verify = \"hmac\"\nsecret = \"{SECRET}\""),
    );
    let body = br#"{"message":{"type":"end-of-call-report","call":{"id":"c1"}}}"#;
    let signed_at = at(1_780_000_000_000);
    let signed = v.sign(body, signed_at);
    assert!(signed.contains_key("x-signature") && signed.contains_key("x-timestamp"));
    assert_eq!(v.tolerance(), Some(std::time::Duration::from_secs(300)));
    assert_eq!(
        v.verify_at(&signed, body, signed_at + TimeDelta::seconds(30)),
        Ok(())
    );
    // A tampered body, a forged signature, a replay, a missing header.
    let tampered = br#"{"message":{"type":"end-of-call-report","call":{"id":"c2"}}}"#;
    assert_eq!(
        v.verify_at(&signed, tampered, signed_at),
        Err(VerifyError::Mismatch)
    );
    let mut forged = signed.clone();
    forged.insert("x-signature", HeaderValue::from_static("00ff"));
    assert_eq!(
        v.verify_at(&forged, body, signed_at),
        Err(VerifyError::Mismatch)
    );
    assert!(matches!(
        v.verify_at(&signed, body, signed_at + TimeDelta::minutes(6)),
        Err(VerifyError::Stale {
            tolerance_secs: 300,
            ..
        })
    ));
    let mut undated = signed.clone();
    undated.remove("x-timestamp");
    assert_eq!(
        v.verify_at(&undated, body, signed_at),
        Err(VerifyError::Missing {
            header: "x-timestamp".into()
        })
    );
    // Moving the time changes the signed message: the old signature no longer fits.
    let mut moved = signed.clone();
    moved.insert(
        "x-timestamp",
        HeaderValue::from_str(&(signed_at.timestamp_millis() + 1).to_string()).unwrap(),
    );
    assert_eq!(
        v.verify_at(&moved, body, signed_at),
        Err(VerifyError::Mismatch)
    );
    // Another key signs differently.
    let other = verifier(
        ProviderKind::Voicebot,
        "verify = \"hmac\"\nsecret = \"another\"",
    );
    assert_eq!(
        other.verify_at(&signed, body, signed_at),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn hmac_variants_prefix_base64_sha512_seconds_and_body_only() {
    let body = b"{\"message\":{\"type\":\"status-update\"}}";
    let now = at(1_780_000_000_000);
    let v = verifier(
        ProviderKind::Voicebot,
        &format!(
            "verify = \"hmac\"\nsecret = \"{SECRET}\"\nheader = \"x-vapi-signature\"\n\
             signature_prefix = \"sha256=\"\ntimestamp_header = \"\""
        ),
    );
    let signed = v.sign(body, now);
    let value = signed.get("x-vapi-signature").unwrap().to_str().unwrap();
    assert!(
        value.starts_with("sha256=") && value.len() == 7 + 64,
        "{value}"
    );
    // No timestamp: nothing to go stale.
    assert_eq!(v.verify_at(&signed, body, now + TimeDelta::days(3)), Ok(()));
    assert_eq!(v.tolerance(), None);
    let bare = headers(&[("x-vapi-signature", &value[7..])]);
    assert!(matches!(
        v.verify_at(&bare, body, now),
        Err(VerifyError::Malformed { .. })
    ));

    let v = verifier(
        ProviderKind::Voicebot,
        "verify = \"hmac\"\nsecret = \"c2VjcmV0LWJ5dGVz\"\nsecret_is_base64 = true\n\
         algorithm = \"sha512\"\nencoding = \"base64\"",
    );
    let signed = v.sign(body, now);
    assert_eq!(v.verify_at(&signed, body, now), Ok(()));
    // The same signature with the time in seconds: Vapi does not say which unit it sends.
    let seconds = (now.timestamp()).to_string();
    let key = b"secret-bytes";
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(key).unwrap();
    mac.update(format!("{seconds}.").as_bytes());
    mac.update(body);
    use base64::Engine;
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let in_seconds = headers(&[("x-signature", &signature), ("x-timestamp", &seconds)]);
    assert_eq!(v.verify_at(&in_seconds, body, now), Ok(()));
    let garbled = headers(&[("x-signature", "***"), ("x-timestamp", &seconds)]);
    assert!(matches!(
        v.verify_at(&garbled, body, now),
        Err(VerifyError::Malformed { .. })
    ));
}

#[test]
fn hmac_sha1_matches_the_rfc_2202_test_vector() {
    // RFC 2202, test case 1: key 20 × 0x0b, data "Hi There".
    let v = verifier(
        ProviderKind::Vapi,
        "verify = \"hmac\"\nalgorithm = \"sha1\"\ntimestamp_header = \"\"\n\
         secret = \"CwsLCwsLCwsLCwsLCwsLCwsLCws=\"\nsecret_is_base64 = true",
    );
    let signed = headers(&[("x-signature", "b617318655057264e28bc0b6fb378c8ef146be00")]);
    assert_eq!(v.verify_at(&signed, b"Hi There", at(0)), Ok(()));
    assert_eq!(
        v.verify_at(&signed, b"Hi there", at(0)),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn hmac_payload_formats_sign_what_they_name() {
    let body = br#"{"message":{"type":"status-update"}}"#;
    let now = at(1_780_000_000_000);
    let url = "https://app.example.com/webhooks/support";
    let v = verifier(
        ProviderKind::Vapi,
        &format!(
            "verify = \"hmac\"\nsecret = \"{SECRET}\"\n\
             payload_format = \"{{svix-id}}.{{timestamp}}.{{method}}.{{url}}.{{body}}\"\n\
             url = \"{url}\"\nmessage_id_header = \"webhook-id\""
        ),
    );
    // What a sender computes, by hand.
    use hmac::{Hmac, Mac};
    let millis = now.timestamp_millis().to_string();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("msg_2c41.{millis}.POST.{url}.").as_bytes());
    mac.update(body);
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let sent = headers(&[
        ("x-signature", &signature),
        ("x-timestamp", &millis),
        ("webhook-id", "msg_2c41"),
    ]);
    assert_eq!(v.verify_at(&sent, body, now), Ok(()));
    // The message id is signed: another one does not verify, and none is refused.
    let other_id = headers(&[
        ("x-signature", &signature),
        ("x-timestamp", &millis),
        ("webhook-id", "msg_2c42"),
    ]);
    assert_eq!(
        v.verify_at(&other_id, body, now),
        Err(VerifyError::Mismatch)
    );
    let no_id = headers(&[("x-signature", &signature), ("x-timestamp", &millis)]);
    assert_eq!(
        v.verify_at(&no_id, body, now),
        Err(VerifyError::Missing {
            header: "webhook-id".into()
        })
    );
    // The signed time is still held to the tolerance; the verifier's own signing agrees.
    assert!(matches!(
        v.verify_at(&sent, body, now + TimeDelta::minutes(6)),
        Err(VerifyError::Stale { .. })
    ));
    assert_eq!(v.verify_at(&v.sign(body, now), body, now), Ok(()));
    // A URL given with spaces around it (a variable read from a file ends in a newline) is
    // the URL without them, as it was checked.
    let spaced = verifier(
        ProviderKind::Vapi,
        &format!(
            "verify = \"hmac\"\nsecret = \"{SECRET}\"\n\
             payload_format = \"{{svix-id}}.{{timestamp}}.{{method}}.{{url}}.{{body}}\"\n\
             url = \" {url}\\n\"\nmessage_id_header = \"webhook-id\""
        ),
    );
    assert_eq!(spaced.verify_at(&sent, body, now), Ok(()));
    // The id it signs with stays the same for a redelivery of the body (as a Svix-style
    // sender's does, so a receiver may de-duplicate on it), and differs for another body
    // signed in the same millisecond.
    let id = |body: &[u8], when| v.sign(body, when)["webhook-id"].clone();
    assert_eq!(id(body, now), id(body, now + TimeDelta::seconds(30)));
    assert_ne!(
        id(body, now),
        id(br#"{"message":{"type":"end-of-call-report"}}"#, now)
    );

    // A format without {timestamp}: the time is not signed, so not checked either.
    let v = verifier(
        ProviderKind::Vapi,
        &format!(
            "verify = \"hmac\"\nsecret = \"{SECRET}\"\npayload_format = \"{{method}}:{{body}}\""
        ),
    );
    let signed = v.sign(body, now);
    assert!(!signed.contains_key("x-timestamp"));
    assert_eq!(v.verify_at(&signed, body, now + TimeDelta::days(2)), Ok(()));
}

#[test]
fn hmac_payload_formats_that_cannot_work_are_config_errors() {
    let field = |toml_text: &str| refused_field(ProviderKind::Vapi, toml_text);
    let base = format!("verify = \"hmac\"\nsecret = \"{SECRET}\"\n");
    assert_eq!(
        field(&format!("{base}payload_format = \"{{ts}}.{{body}}\"")),
        "w.payload_format"
    );
    assert_eq!(
        field(&format!("{base}payload_format = \"{{timestamp}}\"")),
        "w.payload_format"
    );
    assert_eq!(
        field(&format!("{base}payload_format = \"{{url}}{{body}}\"")),
        "w.url"
    );
    // A signed URL that is blank or no URL would refuse every delivery.
    for url in ["", "  ", "app.example/webhooks/support"] {
        assert_eq!(
            field(&format!(
                "{base}payload_format = \"{{url}}{{body}}\"\nurl = \"{url}\""
            )),
            "w.url",
            "{url:?}"
        );
    }
    assert_eq!(
        field(&format!(
            "{base}payload_format = \"{{timestamp}}.{{body}}\"\ntimestamp_header = \"\""
        )),
        "w.timestamp_header"
    );
}

#[test]
fn hmac_times_are_read_only_as_a_clock_writes_them() {
    let v = verifier(
        ProviderKind::Vapi,
        &format!("verify = \"hmac\"\nsecret = \"{SECRET}\""),
    );
    let body = b"{}";
    let now = at(1_780_000_000_000);
    let signed = v.sign(body, now);
    let millis = signed["x-timestamp"].to_str().unwrap().to_owned();
    // The extreme value (whose absolute value overflows), a sign, a leading zero: refused
    // as malformed before any comparison, never a panic.
    for time in [
        "-9223372036854775808".to_owned(),
        format!("+{millis}"),
        format!("0{millis}"),
        String::new(),
    ] {
        let mut sent = signed.clone();
        sent.insert("x-timestamp", HeaderValue::from_str(&time).unwrap());
        assert!(
            matches!(
                v.verify_at(&sent, body, now),
                Err(VerifyError::Malformed { .. })
            ),
            "{time:?}"
        );
    }
}

#[test]
fn webhook_tables_that_would_weaken_the_check_are_config_errors() {
    // An empty secret: an empty header would match, anyone could compute the HMAC.
    assert_eq!(
        refused_field(ProviderKind::Voicebot, "secret = \"\""),
        "w.secret"
    );
    assert_eq!(
        refused_field(ProviderKind::Vapi, "verify = \"hmac\"\nsecret = \"  \""),
        "w.secret"
    );
    // A time header the format does not sign: it would not be checked.
    assert_eq!(
        refused_field(
            ProviderKind::Vapi,
            &format!(
                "verify = \"hmac\"\nsecret = \"{SECRET}\"\npayload_format = \"{{body}}\"\n\
                 timestamp_header = \"x-timestamp\""
            )
        ),
        "w.timestamp_header"
    );
    // Two parts of the delivery in one header.
    assert_eq!(
        refused_field(
            ProviderKind::Vapi,
            &format!(
                "verify = \"hmac\"\nsecret = \"{SECRET}\"\ntimestamp_header = \"x-signature\""
            )
        ),
        "w.timestamp_header"
    );
    // A key only a part of the payload reads, for a payload without it: a tolerance with
    // no signed time would check none, and replays would pass.
    let hmac = format!("verify = \"hmac\"\nsecret = \"{SECRET}\"\n");
    for (extra, field) in [
        (
            "timestamp_header = \"\"\ntolerance_secs = 60",
            "w.tolerance_secs",
        ),
        (
            "payload_format = \"{body}\"\ntolerance_secs = 60",
            "w.tolerance_secs",
        ),
        ("url = \"https://app.example/hooks\"", "w.url"),
        ("message_id_header = \"webhook-id\"", "w.message_id_header"),
    ] {
        assert_eq!(
            refused_field(ProviderKind::Vapi, &format!("{hmac}{extra}")),
            field,
            "{extra}"
        );
    }
    // Each is read where the payload signs its part.
    verifier(ProviderKind::Vapi, &format!("{hmac}tolerance_secs = 60"));
    verifier(
        ProviderKind::Vapi,
        &format!("{hmac}payload_format = \"{{url}}.{{body}}\"\nurl = \"https://app.example/h\""),
    );
    // A secret with `none` would be ignored, the deliveries it was for taken unchecked.
    assert_eq!(
        refused_field(
            ProviderKind::Rounded,
            "verify = \"none\"\nsecret = \"s3cret-value\""
        ),
        "w.secret"
    );
    assert_eq!(
        refused_field(
            ProviderKind::Rounded,
            "verify = \"none\"\nsecret_env = \"ROUNDED_HOOK\""
        ),
        "w.secret_env"
    );
}

/// A header secret the check could never match (outside printable ASCII, which a header
/// value read as text is) is refused when the table is read, not at every delivery.
#[test]
fn a_header_secret_a_header_cannot_carry_is_a_config_error() {
    for scheme in ["header", "bearer"] {
        assert_eq!(
            refused_field(
                ProviderKind::Voicebot,
                &format!("verify = \"{scheme}\"\nsecret = \"pa\u{2019}ss\"")
            ),
            "w.secret",
            "{scheme}"
        );
    }
}

/// A Vapi bearer credential may name its header (`headerName`): `header` under `bearer`
/// reads `Bearer <secret>` from it, and `Authorization` no longer counts.
#[test]
fn a_bearer_credential_reads_the_header_it_names() {
    let bearer = format!("Bearer {SECRET}");
    let named = "\nheader = \"x-vapi-auth\"";
    // The table's extra key, the header sent and its value, whether it is accepted.
    let cases = [
        (named, "x-vapi-auth", bearer.as_str(), true),
        // The prefix is still required, and the default header is not read.
        (named, "x-vapi-auth", SECRET, false),
        (named, "authorization", bearer.as_str(), false),
        // Without `header`, `Authorization` as before.
        ("", "authorization", bearer.as_str(), true),
        ("", "x-vapi-auth", bearer.as_str(), false),
    ];
    for (extra, name, value, accepted) in cases {
        let table = format!("verify = \"bearer\"\nsecret = \"{SECRET}\"{extra}");
        let checked =
            verifier(ProviderKind::Vapi, &table).verify(&headers(&[(name, value)]), b"{}");
        assert_eq!(checked.is_ok(), accepted, "{extra:?} {name}: {value}");
    }
}

/// What the headers alone can prove is checked before the body: a delivery without its
/// signature, or signed too long ago, is refused without reading its body; a good head
/// leaves only the body to check.
#[test]
fn the_head_is_checked_before_the_body() {
    let body = br#"{"message":{"type":"status-update"}}"#;
    let hmac = verifier(
        ProviderKind::Voicebot,
        &format!("verify = \"hmac\"\nsecret = \"{SECRET}\""),
    );
    assert_eq!(
        hmac.check_head(None, &HeaderMap::new()).err(),
        Some(VerifyError::Missing {
            header: "x-signature".into()
        })
    );
    // Retell signs the body with the time: the same split.
    let retell = verifier(ProviderKind::Retell, &format!("secret = \"{SECRET}\""));
    // What each signs the time with, and how long a signature is accepted.
    let minute = verifier(
        ProviderKind::Retell,
        &format!("secret = \"{SECRET}\"\ntolerance_secs = 60"),
    );
    assert_eq!(minute.tolerance(), Some(std::time::Duration::from_secs(60)));
    let header = verifier(ProviderKind::Voicebot, &format!("secret = \"{SECRET}\""));
    assert_eq!(header.tolerance(), None, "{:?}", header.scheme());
    for signer in [&hmac, &retell] {
        let stale = signer.sign(body, Utc::now() - TimeDelta::minutes(10));
        assert!(matches!(
            signer.check_head(None, &stale),
            Err(VerifyError::Stale { .. })
        ));
        let signed = signer.sign(body, Utc::now());
        let head = signer.check_head(None, &signed).unwrap();
        assert_eq!(head.verify_body(body), Ok(()));
        assert_eq!(head.verify_body(b"{}"), Err(VerifyError::Mismatch));
    }
    // A shared secret needs no body: the head is the whole check.
    let header = verifier(ProviderKind::Voicebot, &format!("secret = \"{SECRET}\""));
    let wrong = headers(&[("x-vapi-secret", "guess")]);
    assert_eq!(
        header.check_head(None, &wrong).err(),
        Some(VerifyError::Mismatch)
    );
    let right = headers(&[("x-vapi-secret", SECRET)]);
    let head = header.check_head(None, &right).unwrap();
    assert_eq!(head.verify_body(b"anything"), Ok(()));
}

#[test]
fn retell_scheme_matches_the_published_test_vector() {
    // Retell's Python SDK test: key `test-api-key`, body `{"event":"call_ended"}`, time
    // 1700000000000 ms.
    let v = verifier(
        ProviderKind::Voicebot,
        "verify = \"retell\"\nsecret = \"test-api-key\"",
    );
    let body = br#"{"event":"call_ended"}"#;
    let signature =
        "v=1700000000000,d=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e";
    let signed = headers(&[("x-retell-signature", signature)]);
    assert_eq!(v.verify_at(&signed, body, at(1_700_000_000_000)), Ok(()));
    assert_eq!(v.sign(body, at(1_700_000_000_000)), signed);
    assert_eq!(
        v.verify_at(
            &signed,
            br#"{"event":"call_started"}"#,
            at(1_700_000_000_000)
        ),
        Err(VerifyError::Mismatch)
    );
    assert!(matches!(
        v.verify_at(&signed, body, at(1_700_000_000_000 + 301_000)),
        Err(VerifyError::Stale { .. })
    ));
    assert!(matches!(
        v.verify_at(&signed, body, at(1_700_000_000_000 - 301_000)),
        Err(VerifyError::Stale { .. })
    ));
    // To the millisecond, as Retell documents: |now − timestamp| ≤ 300,000 ms.
    assert_eq!(
        v.verify_at(&signed, body, at(1_700_000_000_000 + 300_000)),
        Ok(())
    );
    assert_eq!(
        v.verify_at(&signed, body, at(1_700_000_000_000 + 300_001)),
        Err(VerifyError::Stale {
            age_secs: 301,
            tolerance_secs: 300
        })
    );
    assert_eq!(
        v.verify_at(&signed, body, at(1_700_000_000_000 - 300_500)),
        Err(VerifyError::Stale {
            age_secs: -301,
            tolerance_secs: 300
        })
    );
    for bad in [
        "1700000000000,07024c",
        "v=abc,d=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e",
        "v=1,d=xyz",
        // A leading zero: the same signed bytes split another way (Retell signs the body
        // and the time with nothing between).
        "v=01700000000000,d=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e",
    ] {
        let malformed = headers(&[("x-retell-signature", bad)]);
        assert!(
            matches!(
                v.verify_at(&malformed, body, at(0)),
                Err(VerifyError::Malformed { .. })
            ),
            "{bad}"
        );
    }
    // Without a configured secret the provider's API key signs.
    let key = SecretString::from("test-api-key");
    let from_key = Verifier::from_config(
        ProviderKind::Voicebot,
        &config("verify = \"retell\""),
        "w",
        Some(&key),
    )
    .unwrap();
    assert_eq!(
        from_key.verify_at(&signed, body, at(1_700_000_000_000)),
        Ok(())
    );
}

#[test]
fn none_is_explicit_and_a_missing_secret_is_a_config_error() {
    let open = verifier(ProviderKind::Rounded, "verify = \"none\"");
    assert_eq!(open.verify(&HeaderMap::new(), b"anything"), Ok(()));
    let err = Verifier::from_config(
        ProviderKind::Rounded,
        &config(""),
        "providers.p.webhook",
        None,
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Config { field, .. } if field == "providers.p.webhook.secret"),
        "{err}"
    );
    let err = Verifier::from_config(
        ProviderKind::Rounded,
        &config("secret_env = \"VOICEPORT_TEST_UNSET_WEBHOOK_SECRET\""),
        "providers.p.webhook",
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("VOICEPORT_TEST_UNSET_WEBHOOK_SECRET"),
        "{err}"
    );
    assert!(toml::from_str::<WebhookConfig>("verify = \"md5\"").is_err());
}

/// A vendor that takes a URL but no header: the secret in a query parameter, compared in
/// constant time; a check without the query refuses.
#[test]
fn query_scheme_reads_the_secret_from_the_url() {
    let v = verifier(
        ProviderKind::Rounded,
        &format!("verify = \"query\"\nsecret = \"{SECRET}\""),
    );
    let none = HeaderMap::new();
    let ok = format!("a=1&token={SECRET}");
    assert_eq!(v.verify_request(Some(&ok), &none, b"{}"), Ok(()));
    assert_eq!(
        v.verify_request(Some("token=whsec-guess"), &none, b"{}"),
        Err(VerifyError::Mismatch)
    );
    let missing = Err(VerifyError::MissingParameter {
        param: "token".into(),
    });
    assert_eq!(v.verify_request(Some("tokens=x"), &none, b"{}"), missing);
    assert_eq!(v.verify_request(None, &none, b"{}"), missing);
    // Without the query (the header-only check), nothing passes.
    assert_eq!(v.verify(&none, b"{}"), missing);
    // The URL to give the vendor, with its own query and fragment kept.
    assert_eq!(
        v.signed_url("https://app.example/webhooks/support"),
        format!("https://app.example/webhooks/support?token={SECRET}")
    );
    assert_eq!(
        v.signed_url("https://app.example/h?x=1#f"),
        format!("https://app.example/h?x=1&token={SECRET}#f")
    );
    // A URL that holds the parameter already (an old secret) gets the new one in its
    // place: the first value is the one read, so an old one left in front would refuse
    // every delivery. Empty pairs go; other pairs stay, in order.
    let rotated = v.signed_url("https://app.example/h?token=old&x=1&&tokens=2&token");
    assert_eq!(
        rotated,
        format!("https://app.example/h?x=1&tokens=2&token={SECRET}")
    );
    let (_, query) = rotated.split_once('?').unwrap();
    assert_eq!(v.verify_request(Some(query), &none, b"{}"), Ok(()));
    // The old one spelt with escapes (`tok%65n` is `token`) goes too: the check reads
    // names percent-decoded, and would read it first.
    let escaped = v.signed_url("https://app.example/h?tok%65n=old&x=1");
    assert_eq!(escaped, format!("https://app.example/h?x=1&token={SECRET}"));
    let (_, query) = escaped.split_once('?').unwrap();
    assert_eq!(v.verify_request(Some(query), &none, b"{}"), Ok(()));
    assert_eq!(
        v.signed_url("https://app.example/h?"),
        format!("https://app.example/h?token={SECRET}")
    );
    let other = verifier(
        ProviderKind::Rounded,
        "verify = \"query\"\nparam = \"key\"\nsecret = \"abc\"",
    );
    assert_eq!(other.verify_request(Some("key=abc"), &none, b"{}"), Ok(()));
    assert!(
        other
            .verify_request(Some("token=abc"), &none, b"{}")
            .is_err()
    );
    // A secret or a name that would need percent-encoding cannot be compared as sent.
    for (table, field) in [
        ("verify = \"query\"\nsecret = \"a b\"", "w.secret"),
        ("verify = \"query\"\nsecret = \"a&b=c\"", "w.secret"),
        (
            "verify = \"query\"\nparam = \"a b\"\nsecret = \"ab\"",
            "w.param",
        ),
        (
            "verify = \"query\"\nparam = \"\"\nsecret = \"ab\"",
            "w.param",
        ),
        ("verify = \"query\"", "w.secret"),
    ] {
        assert_eq!(
            refused_field(ProviderKind::Rounded, table),
            field,
            "{table}"
        );
    }
}

/// The framework-free check with an empty secret (an unset variable read as `""`) refuses
/// every delivery: it never lets one through unchecked.
/// A shared secret must match whole: the secret with more after it, a part of it, or an
/// empty value is refused, in a header, as a bearer token and in the URL.
#[test]
fn a_near_miss_of_the_secret_is_refused_in_every_shared_secret_scheme() {
    let near_misses = [
        format!("{SECRET}-wrong"),
        format!("{SECRET}0"),
        SECRET[..SECRET.len() - 1].to_owned(),
        SECRET[1..].to_owned(),
        String::new(),
    ];
    let header = verifier(ProviderKind::Voicebot, &format!("secret = \"{SECRET}\""));
    let bearer = verifier(
        ProviderKind::Voicebot,
        &format!("verify = \"bearer\"\nsecret = \"{SECRET}\""),
    );
    let query = verifier(
        ProviderKind::Rounded,
        &format!("verify = \"query\"\nsecret = \"{SECRET}\""),
    );
    let secret = SecretString::from(SECRET);
    let body = b"{}";
    for guess in &near_misses {
        let in_header = headers(&[("x-vapi-secret", guess)]);
        assert_eq!(
            header.verify(&in_header, body),
            Err(VerifyError::Mismatch),
            "{guess:?}"
        );
        assert_eq!(
            verify(ProviderKind::Voicebot, &in_header, body, &secret),
            Err(VerifyError::Mismatch),
            "{guess:?}"
        );
        let as_bearer = headers(&[("authorization", &format!("Bearer {guess}"))]);
        assert!(bearer.verify(&as_bearer, body).is_err(), "{guess:?}");
        let in_url = format!("token={guess}");
        assert!(
            query
                .verify_request(Some(&in_url), &HeaderMap::new(), body)
                .is_err(),
            "{guess:?}"
        );
    }
    // The secret itself passes each of them.
    assert_eq!(
        header.verify(&headers(&[("x-vapi-secret", SECRET)]), body),
        Ok(())
    );
    let as_bearer = headers(&[("authorization", &format!("Bearer {SECRET}"))]);
    assert_eq!(bearer.verify(&as_bearer, body), Ok(()));
    let in_url = format!("token={SECRET}");
    assert_eq!(
        query.verify_request(Some(&in_url), &HeaderMap::new(), body),
        Ok(())
    );
}

#[test]
fn an_empty_secret_refuses_everything() {
    for &kind in ProviderKind::ALL {
        for empty in ["", "  "] {
            let secret = SecretString::from(empty);
            let forged = headers(&[("x-vapi-secret", empty), ("x-webhook-secret", empty)]);
            for delivery in [HeaderMap::new(), forged] {
                let checked = verify(kind, &delivery, b"{}", &secret);
                assert_eq!(checked, Err(VerifyError::Mismatch), "{kind} {empty:?}");
            }
        }
    }
}

/// A secret configured with spaces around it (a file's trailing newline) is the secret
/// without them, as the header's value is read.
#[test]
fn a_configured_secret_is_read_without_the_spaces_around_it() {
    let padded = verifier(ProviderKind::Voicebot, &format!("secret = \"{SECRET}\\n\""));
    let delivery = headers(&[("x-vapi-secret", SECRET)]);
    assert_eq!(padded.verify(&delivery, b"{}"), Ok(()));
}

#[test]
fn secrets_never_show() {
    for scheme in ["header", "bearer", "hmac", "retell", "query"] {
        let v = verifier(
            ProviderKind::Voicebot,
            &format!("verify = \"{scheme}\"\nsecret = \"{SECRET}\""),
        );
        assert!(!format!("{v:?}").contains(SECRET), "{scheme}: {v:?}");
        // The headers a signed delivery carries hold the secret (or a signature made
        // with it): printed, they show neither.
        let signed = v.sign(b"{}", at(1_780_000_000_000));
        let shown = format!("{signed:?}");
        assert!(!shown.contains(SECRET), "{scheme}: {shown}");
        let signature = ["x-signature", "x-retell-signature"]
            .iter()
            .find_map(|name| signed.get(*name));
        if ["hmac", "retell"].contains(&scheme) {
            let signature = signature.expect("a signing scheme sends its signature");
            let signature = signature.to_str().unwrap();
            assert!(!shown.contains(signature), "{scheme}: {shown}");
        }
        let forged = headers(&[
            ("x-vapi-secret", "whsec-guess-1234"),
            ("authorization", "Bearer whsec-guess-1234"),
            ("x-signature", "abcd"),
            ("x-timestamp", "1780000000000"),
            ("x-retell-signature", "v=1,d=whsec-guess-1234"),
        ]);
        let err = v.verify(&forged, b"{}").unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains(SECRET) && !text.contains("whsec-guess"),
            "{scheme}: {text}"
        );
    }
    let config = config(&format!("secret = \"{SECRET}\""));
    assert!(!format!("{config:?}").contains(SECRET));
}

/// While a vendor rotates its signing key it sends a signature with each key: in one
/// header, separated by commas or spaces (Svix's `v1,<a> v1,<b>`), or in several headers.
/// The delivery passes when any of them matches, and only then.
#[test]
fn any_of_several_signatures_may_match() {
    let body = br#"{"message":{"type":"status-update"}}"#;
    let now = at(1_780_000_000_000);
    let table = |prefix: &str, encoding: &str| {
        format!(
            "verify = \"hmac\"\nsecret = \"{SECRET}\"\nsignature_prefix = \"{prefix}\"\n\
             encoding = \"{encoding}\"\ntimestamp_header = \"\""
        )
    };
    // The same table with another key: a signature from before the rotation.
    let old_key =
        |prefix: &str, encoding: &str| table(prefix, encoding).replace(SECRET, "whsec-old-key-13");
    for (prefix, encoding, separator) in [
        ("", "hex", ","),
        ("", "hex", ", "),
        ("sha256=", "hex", ","),
        ("sha256=", "hex", " "),
        ("v1,", "base64", " "),
    ] {
        let v = verifier(ProviderKind::Voicebot, &table(prefix, encoding));
        let signature = |toml_text: &str| {
            let signed = verifier(ProviderKind::Voicebot, toml_text).sign(body, now);
            signed["x-signature"].to_str().unwrap().to_owned()
        };
        let (good, old) = (
            signature(&table(prefix, encoding)),
            signature(&old_key(prefix, encoding)),
        );
        let case = format!("{prefix:?} {encoding} {separator:?}");
        for value in [
            format!("{old}{separator}{good}"),
            format!("{good}{separator}{old}"),
        ] {
            let delivery = headers(&[("x-signature", &value)]);
            assert_eq!(v.verify_at(&delivery, body, now), Ok(()), "{case}: {value}");
        }
        // Two headers, the good one second.
        let mut two = headers(&[("x-signature", &old)]);
        two.append("x-signature", HeaderValue::from_str(&good).unwrap());
        assert_eq!(v.verify_at(&two, body, now), Ok(()), "{case}");
        // None matching is refused.
        let stale = format!("{old}{separator}{old}");
        let delivery = headers(&[("x-signature", &stale)]);
        assert_eq!(
            v.verify_at(&delivery, body, now),
            Err(VerifyError::Mismatch),
            "{case}"
        );
    }
    // A bounded number is tried: nine are refused, whatever they hold.
    let v = verifier(ProviderKind::Voicebot, &table("", "hex"));
    let good = v.sign(body, now)["x-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    let mut many = vec!["00".repeat(32); 8];
    many.push(good.clone());
    let delivery = headers(&[("x-signature", &many.join(","))]);
    assert!(matches!(
        v.verify_at(&delivery, body, now),
        Err(VerifyError::Malformed { .. })
    ));
    many.remove(0);
    let delivery = headers(&[("x-signature", &many.join(","))]);
    assert_eq!(v.verify_at(&delivery, body, now), Ok(()));
    // Pieces that cannot be a signature are passed over, and alone are malformed.
    let delivery = headers(&[("x-signature", &format!("***,{good}"))]);
    assert_eq!(v.verify_at(&delivery, body, now), Ok(()));
    let delivery = headers(&[("x-signature", "***, ")]);
    assert!(matches!(
        v.verify_at(&delivery, body, now),
        Err(VerifyError::Malformed { .. })
    ));
}

/// A secret in the URL is compared percent-decoded: `%31` is `1` (RFC 3986), as a proxy or
/// the vendor may re-encode the URL.
#[test]
fn a_query_secret_is_compared_percent_decoded() {
    let v = verifier(
        ProviderKind::Rounded,
        "verify = \"query\"\nsecret = \"tok123\"",
    );
    let none = HeaderMap::new();
    for query in ["token=tok%31%32%33", "token=%74%6F%6b123", "%74oken=tok123"] {
        assert_eq!(
            v.verify_request(Some(query), &none, b"{}"),
            Ok(()),
            "{query}"
        );
    }
    for query in [
        "token=tok%3223",
        "token=tok12%",
        "token=tok%3",
        "token=tok+123",
    ] {
        assert_eq!(
            v.verify_request(Some(query), &none, b"{}"),
            Err(VerifyError::Mismatch),
            "{query}"
        );
    }
}

/// A tolerance of 0 would refuse every delivery (no signing time is exactly now): it is a
/// configuration error, naming its field and the least it takes.
#[test]
fn a_zero_tolerance_is_a_config_error() {
    for (kind, table) in [
        (
            ProviderKind::Voicebot,
            format!("verify = \"hmac\"\nsecret = \"{SECRET}\"\ntolerance_secs = 0"),
        ),
        (
            ProviderKind::Retell,
            format!("secret = \"{SECRET}\"\ntolerance_secs = 0"),
        ),
    ] {
        let (field, error) = refusal(kind, &table);
        assert_eq!(field, "w.tolerance_secs", "{error}");
        assert!(error.contains("at least 1"), "{error}");
    }
    let one = verifier(
        ProviderKind::Retell,
        &format!("secret = \"{SECRET}\"\ntolerance_secs = 1"),
    );
    assert_eq!(one.tolerance(), Some(std::time::Duration::from_secs(1)));
}

/// A tolerance past an hour would accept a captured delivery replayed that long after
/// (once out of the de-duplication window): a configuration error.
#[test]
fn a_tolerance_past_an_hour_is_a_config_error() {
    for (kind, verify) in [
        (ProviderKind::Voicebot, "verify = \"hmac\"\n"),
        (ProviderKind::Retell, ""),
    ] {
        let table = |secs: u64| format!("{verify}secret = \"{SECRET}\"\ntolerance_secs = {secs}");
        let (field, error) = refusal(kind, &table(3_601));
        assert_eq!(field, "w.tolerance_secs", "{error}");
        assert!(error.contains("at most 3600"), "{error}");
        let hour = verifier(kind, &table(3_600));
        assert_eq!(
            hour.tolerance(),
            Some(std::time::Duration::from_secs(3_600))
        );
    }
}

/// `secret` and `secret_env` both set: which is meant cannot be told, and the file's
/// would win unseen (an old `changeme` left beside the real one).
#[test]
fn a_secret_and_a_secret_env_together_are_a_config_error() {
    let table = "secret = \"changeme\"\nsecret_env = \"VOICEPORT_TEST_BOTH_SECRETS\"";
    let (field, error) = refusal(ProviderKind::Voicebot, table);
    assert_eq!(field, "w.secret_env", "{error}");
    assert!(error.contains("keep one"), "{error}");
}

/// A byte-order mark (a secret file saved "with BOM") or a zero-width character around a
/// secret is no part of it: the secret is what is left, and a secret of nothing else is
/// empty, refused, where it was an HMAC key anyone could compute.
#[test]
fn a_byte_order_mark_around_a_secret_is_no_part_of_it() {
    for scheme in ["hmac", "retell", "header"] {
        for padding in ["\\uFEFF", "\\u200B", "\\uFEFF\\n"] {
            let empty = format!("verify = \"{scheme}\"\nsecret = \"{padding}\"");
            let error = Verifier::from_config(ProviderKind::Voicebot, &config(&empty), "w", None)
                .unwrap_err();
            assert!(
                error.to_string().contains("empty"),
                "{scheme} {padding}: {error}"
            );
        }
    }
    let padded = verifier(
        ProviderKind::Voicebot,
        &format!("verify = \"hmac\"\nsecret = \"\\uFEFF{SECRET}\\n\""),
    );
    let plain = verifier(
        ProviderKind::Voicebot,
        &format!("verify = \"hmac\"\nsecret = \"{SECRET}\""),
    );
    let body = br#"{"message":{"type":"status-update"}}"#;
    let signed_at = at(1_780_000_000_000);
    assert_eq!(
        padded.verify_at(&plain.sign(body, signed_at), body, signed_at),
        Ok(())
    );
}

/// An HMAC payload that signs `{url}` keeps the URL, whose query may hold a token: its
/// `Debug` shows the URL without it, as the configuration's does.
#[test]
fn a_signed_url_s_query_never_shows() {
    let v = verifier(
        ProviderKind::Voicebot,
        &format!(
            "verify = \"hmac\"\nsecret = \"{SECRET}\"\npayload_format = \"{{url}}.{{timestamp}}.{{body}}\"\nurl = \"https://app.example.com/hooks?token=tok-8c1f\""
        ),
    );
    let shown = format!("{v:?}");
    assert!(!shown.contains("tok-8c1f"), "{shown}");
    assert!(shown.contains("app.example.com"), "{shown}");
}

/// A stale signature says which way it is off: in the past, or in the future.
#[test]
fn a_stale_signature_says_how_long_ago_it_was_signed() {
    let past = VerifyError::Stale {
        age_secs: 310,
        tolerance_secs: 300,
    };
    assert_eq!(
        past.to_string(),
        "signed 310 s ago, beyond the 300 s tolerance"
    );
    let future = VerifyError::Stale {
        age_secs: -310,
        tolerance_secs: 300,
    };
    assert_eq!(
        future.to_string(),
        "signed 310 s in the future, beyond the 300 s tolerance"
    );
    // A signature made 310 s ago reads so.
    let v = verifier(ProviderKind::Retell, &format!("secret = \"{SECRET}\""));
    let body = b"{}";
    let signed = v.sign(body, at(1_700_000_000_000));
    let refused = v
        .verify_at(&signed, body, at(1_700_000_310_000))
        .unwrap_err();
    assert!(
        refused.to_string().starts_with("signed 310 s ago"),
        "{refused}"
    );
}

/// Headers from another framework's pairs: names in any case, a name given twice keeps
/// both values, and a pair that is no valid header is left out, so that a delivery whose
/// secret came only in it is refused as missing it.
#[test]
fn headers_from_pairs_verify_as_a_header_map_does() {
    use voiceport_core::webhook::header_map;
    let secret = SecretString::from("s3cret");
    let headers = header_map([
        ("X-Vapi-Secret", &b"s3cret"[..]),
        ("accept", b"a"),
        ("Accept", b"b"),
    ]);
    assert!(verify(ProviderKind::Vapi, &headers, b"{}", &secret).is_ok());
    let accepted: Vec<&[u8]> = (headers.get_all("accept").iter())
        .map(|value| value.as_bytes())
        .collect();
    assert_eq!(accepted, [&b"a"[..], b"b"]);
    let broken = header_map([("x-vapi-secret", &b"s3cret\n"[..]), ("bad name", b"x")]);
    assert!(broken.is_empty());
    // Text or bytes, borrowed or owned, as each framework hands them over.
    let owned = header_map(vec![(String::from("x-vapi-secret"), b"s3cret".to_vec())]);
    assert!(verify(ProviderKind::Vapi, &owned, b"{}", &secret).is_ok());
    let text = header_map([("X-Vapi-Secret", "s3cret")]);
    assert!(verify(ProviderKind::Vapi, &text, b"{}", &secret).is_ok());
    assert_eq!(
        verify(ProviderKind::Vapi, &broken, b"{}", &secret),
        Err(VerifyError::Missing {
            header: "x-vapi-secret".into()
        })
    );
}

/// A secret shorter than 16 bytes is flagged whatever the scheme that takes it; none is
/// flagged for Retell (keyed with the account's API key) or without a secret.
#[test]
fn a_secret_under_sixteen_bytes_is_short() {
    let short = "sixteen-minus-1";
    let long = "sixteen-bytes-ok";
    assert_eq!((short.len(), long.len()), (15, 16));
    for (kind, table) in [
        (ProviderKind::Vapi, ""),
        (ProviderKind::Vapi, "verify = \"bearer\"\n"),
        (ProviderKind::Vapi, "verify = \"hmac\"\n"),
        (ProviderKind::Rounded, "verify = \"query\"\n"),
        (ProviderKind::HappyRobot, "header = \"x-hook-token\"\n"),
    ] {
        let with = |secret: &str| verifier(kind, &format!("{table}secret = \"{secret}\""));
        assert!(with(short).secret_is_short(), "{kind} {table}");
        assert!(!with(long).secret_is_short(), "{kind} {table}");
    }
    let retell = Verifier::from_config(
        ProviderKind::Retell,
        &config(""),
        "providers.p.webhook",
        Some(&SecretString::from("key_5e1f")),
    )
    .unwrap();
    assert!(!retell.secret_is_short());
    assert!(!verifier(ProviderKind::Rounded, "verify = \"none\"").secret_is_short());
}
