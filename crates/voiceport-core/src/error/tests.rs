//! Tests of the error type: its messages, its classification and its masking.

use super::*;
use crate::SecretMask;

/// Each outcome displays as its serialized name, in words.
#[test]
fn an_outcome_displays_in_lowercase_words() {
    for (outcome, words) in [
        (RequestOutcome::NotApplied, "not applied"),
        (RequestOutcome::Unknown, "unknown"),
        (RequestOutcome::Applied, "applied"),
    ] {
        assert_eq!(outcome.to_string(), words);
        let serialized = serde_json::to_value(outcome).unwrap();
        assert_eq!(serialized, words.replace(' ', "_").as_str());
    }
}

/// A cycle's message quotes the cursor, which may be 64 KiB of vendor text holding a
/// signed URL: it is bounded, and the URL cut to its host.
#[test]
fn a_cursor_cycle_quoting_a_huge_token_is_short() {
    let token = format!("https://files.example.com/page?sig={}", "7".repeat(60_000));
    let message =
        format!("the vendor returned the cursor it was given ({token}); paging would never end");
    let err = Error::cursor_cycle(ProviderKind::Rounded, message);
    assert!(err.is_cursor_cycle());
    let text = err.to_string();
    assert!(text.chars().count() < 700, "{} chars", text.chars().count());
    assert!(!text.contains("sig="), "{text}");
    assert!(text.ends_with("paging would never end"), "{text}");
}

#[test]
fn display_names_provider_operation_and_details() {
    let err = Error::InvalidRequest {
        provider: ProviderKind::Rounded,
        operation: Operation::Dial,
        status: Some(400),
        message: "Validation failed".into(),
        details: vec![FieldError {
            field: "to_number".into(),
            message: "must be E.164".into(),
        }],
    };
    assert_eq!(
        err.to_string(),
        "rounded dial: invalid request (HTTP 400): Validation failed [to_number: must be E.164]"
    );
    assert_eq!(err.outcome(), RequestOutcome::NotApplied);
    assert!(!err.is_retryable());
}

/// What a message would say twice is said once: a vendor message that is only the
/// status's reason phrase, a detail saying that a setting the message names is
/// required, whether a read that timed out reached the vendor.
#[test]
fn display_says_nothing_twice() {
    use crate::adapter::missing_setting;
    let (vapi, get) = (ProviderKind::Vapi, Operation::GetCall);
    let unauthorized = |message: &str| Error::Unauthorized {
        provider: vapi,
        operation: get,
        status: 401,
        message: Some(message.into()),
    };
    assert_eq!(
        unauthorized(" Unauthorized. ").to_string(),
        "vapi get_call: unauthorized (HTTP 401)"
    );
    // Another status's phrase says something: kept.
    assert_eq!(
        unauthorized("Forbidden").to_string(),
        "vapi get_call: unauthorized (HTTP 401): Forbidden"
    );
    assert_eq!(
        unauthorized("Invalid Key").to_string(),
        "vapi get_call: unauthorized (HTTP 401): Invalid Key"
    );
    let required = missing_setting(vapi, Operation::Dial, "agent_id", "set `agent_id`");
    assert_eq!(
        required.to_string(),
        "vapi dial: invalid request: set `agent_id`"
    );
    // A detail the message does not say is kept.
    let unnamed = missing_setting(vapi, Operation::Dial, "agent_id", "no assistant");
    assert!(unnamed.to_string().ends_with("[agent_id: required]"));
    let timeout = |operation, sent| Error::Timeout {
        provider: vapi,
        operation,
        sent,
    };
    assert_eq!(
        timeout(Operation::ListCalls, true).to_string(),
        "vapi list_calls: timed out"
    );
    assert_eq!(
        timeout(Operation::Dial, true).to_string(),
        "vapi dial: timed out (the request may have reached the vendor)"
    );
    assert_eq!(
        timeout(Operation::ListCalls, false).to_string(),
        "vapi list_calls: timed out (the request was not sent)"
    );
}

/// A 404 to a request naming no call points at the API path; a server error says
/// how long the vendor asked to wait.
#[test]
fn display_points_at_what_to_fix() {
    let not_found = |operation| Error::NotFound {
        provider: ProviderKind::Retell,
        operation,
        message: Some("Cannot POST /v3/list-calls".into()),
    };
    assert_eq!(
        not_found(Operation::ListCalls).to_string(),
        "retell list_calls: not found (the vendor has no such API path: check base_url): Cannot POST /v3/list-calls"
    );
    assert!(
        !not_found(Operation::GetCall)
            .to_string()
            .contains("base_url")
    );
    // A vendor's own word on what is missing: not taken for a wrong path.
    let assistant = Error::NotFound {
        provider: ProviderKind::Vapi,
        operation: Operation::Dial,
        message: Some("Assistant not found".into()),
    };
    assert_eq!(
        assistant.to_string(),
        "vapi dial: not found (the API path, or something the request names, is not there): Assistant not found"
    );
    let server = Error::Server {
        provider: ProviderKind::Retell,
        operation: Operation::GetCall,
        status: 503,
        retry_after: Some(Duration::from_secs(60)),
        message: Some("Service Unavailable".into()),
    };
    assert_eq!(
        server.to_string(),
        "retell get_call: vendor server error (HTTP 503) (retry after 60.0s)"
    );
    let too_large = |limit| Error::BodyTooLarge {
        provider: ProviderKind::Retell,
        operation: Operation::ListCalls,
        limit,
    };
    assert_eq!(
        too_large(64 << 20).to_string(),
        "retell list_calls: the answer is larger than the 64 MiB cap (max_body_bytes)"
    );
    assert!(too_large(1000).to_string().contains("the 1000-byte cap"));
    // Rounded's envelope can carry an error inside a success answer.
    let inside = Error::InvalidRequest {
        provider: ProviderKind::Rounded,
        operation: Operation::UpdateCall,
        status: Some(200),
        message: "metadata is locked".into(),
        details: vec![],
    };
    assert_eq!(
        inside.to_string(),
        "rounded update_call: invalid request (an error inside a success answer, status 200): metadata is locked"
    );
}

/// A vendor's field details reach every kind: kept apart by an invalid request, added to
/// the message of a kind with no place for them (a conflict, a rate limit, a 5xx).
#[test]
fn field_details_reach_the_message_of_every_kind() {
    let details = || {
        vec![
            FieldError {
                field: "to_number".into(),
                message: "already on a call".into(),
            },
            FieldError {
                field: "agent_id".into(),
                message: String::new(),
            },
        ]
    };
    let error = |status, message: Option<&str>| {
        Error::from_status(
            ProviderKind::Rounded,
            Operation::Dial,
            status,
            message.map(str::to_owned),
            details(),
        )
    };
    let conflict = error(409, Some("Conflict"));
    assert!(
        matches!(&conflict, Error::Conflict { message: Some(m), .. }
            if m == "Conflict; to_number: already on a call; agent_id"),
        "{conflict:?}"
    );
    let server = error(503, None);
    assert!(
        matches!(&server, Error::Server { message: Some(m), .. }
            if m == "to_number: already on a call; agent_id"),
        "{server:?}"
    );
    let invalid = error(422, Some("Invalid"));
    assert!(
        matches!(&invalid, Error::InvalidRequest { message, details, .. }
            if message == "Invalid" && details.len() == 2),
        "{invalid:?}"
    );
}

/// A 5xx that says the server can never do it is no passing failure: not retried.
#[test]
fn a_server_that_cannot_ever_do_it_is_not_transient() {
    let server = |status| Error::Server {
        provider: ProviderKind::Vapi,
        operation: Operation::GetCall,
        status,
        retry_after: None,
        message: None,
    };
    for status in [501, 505, 511] {
        assert!(
            !server(status).is_transient() && !server(status).is_retryable(),
            "{status}"
        );
    }
    for status in [500, 502, 503, 504, 599] {
        assert!(
            server(status).is_transient() && server(status).is_retryable(),
            "{status}"
        );
    }
}

#[test]
fn retryable_kinds_and_outcomes() {
    let server = Error::Server {
        provider: ProviderKind::HappyRobot,
        operation: Operation::Dial,
        status: 503,
        retry_after: Some(Duration::from_secs(2)),
        message: None,
    };
    // A dial that may have reached the vendor: the failure may pass, but sending the
    // dial again could ring twice.
    assert!(server.is_transient() && !server.is_retryable());
    assert_eq!(server.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(server.outcome(), RequestOutcome::Unknown);
    // The same answer to a read, or to a request that creates nothing, is retryable;
    // to a note or a vendor's own operation it is not, as for a dial.
    let answered = |operation| Error::Server {
        provider: ProviderKind::HappyRobot,
        operation,
        status: 503,
        retry_after: None,
        message: None,
    };
    for operation in [Operation::GetCall, Operation::ListCalls, Operation::EndCall] {
        assert!(answered(operation).is_retryable(), "{operation}");
    }
    for operation in [Operation::AddNote, Operation::Extension("set_rating")] {
        let error = answered(operation);
        assert!(error.is_transient() && !error.is_retryable(), "{operation}");
    }
    // Refused unapplied (429): a dial is safe to send again later.
    let limited = Error::RateLimited {
        provider: ProviderKind::HappyRobot,
        operation: Operation::Dial,
        retry_after: None,
        message: None,
    };
    assert!(limited.is_retryable());

    let not_sent = Error::Timeout {
        provider: ProviderKind::HappyRobot,
        operation: Operation::Dial,
        sent: false,
    };
    assert_eq!(not_sent.outcome(), RequestOutcome::NotApplied);
    let sent = Error::Timeout {
        provider: ProviderKind::HappyRobot,
        operation: Operation::Dial,
        sent: true,
    };
    assert_eq!(sent.outcome(), RequestOutcome::Unknown);
    assert!(sent.to_string().contains("may have reached the vendor"));
    // A dial's error says whether to look the call up, as its outcome does: Unknown
    // and Applied (an answer that did not decode) both say so.
    assert!(sent.call_may_exist() && server.call_may_exist());
    assert!(!not_sent.call_may_exist());
    let undecoded = Error::Decode {
        provider: ProviderKind::Vapi,
        operation: Operation::Dial,
        path: ".".into(),
        message: "expected value".into(),
        excerpt: String::new(),
    };
    assert_eq!(undecoded.outcome(), RequestOutcome::Applied);
    assert!(undecoded.call_may_exist());

    // A refusal is not applied, unless its status is not a 4xx (an error inside a
    // success answer, as Rounded's envelope can be) or it is a dial refused as a
    // conflict (a duplicate).
    let refused = |status: Option<u16>| Error::InvalidRequest {
        provider: ProviderKind::Rounded,
        operation: Operation::Dial,
        status,
        message: "no".into(),
        details: Vec::new(),
    };
    assert_eq!(refused(Some(400)).outcome(), RequestOutcome::NotApplied);
    assert_eq!(refused(None).outcome(), RequestOutcome::NotApplied);
    assert_eq!(refused(Some(500)).outcome(), RequestOutcome::Unknown);
    assert_eq!(refused(Some(200)).outcome(), RequestOutcome::Unknown);
    assert_eq!(refused(Some(302)).outcome(), RequestOutcome::Unknown);
    assert_eq!(refused(Some(422)).outcome(), RequestOutcome::NotApplied);
    let conflict = |operation| Error::Conflict {
        provider: ProviderKind::Vapi,
        operation,
        message: None,
    };
    assert_eq!(conflict(Operation::Dial).outcome(), RequestOutcome::Unknown);
    assert_eq!(
        conflict(Operation::EndCall).outcome(),
        RequestOutcome::NotApplied
    );

    // An answer that could not be read came after the vendor acted; a webhook body
    // that could not be read came of no request.
    let undecodable = |operation| Error::decode(ProviderKind::Vapi, operation, "id", "x", b"{}");
    assert_eq!(
        undecodable(Operation::Dial).outcome(),
        RequestOutcome::Applied
    );
    assert_eq!(
        undecodable(Operation::ParseWebhook).outcome(),
        RequestOutcome::NotApplied
    );

    // And each says which body it could not read.
    assert!(
        undecodable(Operation::GetCall)
            .to_string()
            .starts_with("vapi get_call: cannot decode response at `id`")
    );
    assert!(
        undecodable(Operation::ParseWebhook)
            .to_string()
            .starts_with("vapi parse_webhook: cannot decode the webhook body at `id`")
    );

    let unsupported = Error::unsupported(ProviderKind::Voicebot, Operation::AddNote);
    assert_eq!(
        unsupported.to_string(),
        "voicebot does not support add_note"
    );
    assert_eq!(unsupported.provider(), Some(ProviderKind::Voicebot));
    assert_eq!(unsupported.operation(), Some(Operation::AddNote));
}

#[test]
fn a_redirect_names_the_host_and_leaves_the_outcome_unknown() {
    let err = Error::Redirected {
        provider: ProviderKind::Rounded,
        operation: Operation::Dial,
        status: 307,
        location: Some("evil.example".into()),
    };
    let text = err.to_string();
    assert!(
        text.contains("redirected (HTTP 307) to evil.example"),
        "{text}"
    );
    assert!(text.contains("not followed"), "{text}");
    assert_eq!(err.outcome(), RequestOutcome::Unknown);
    assert!(!err.is_retryable());
    assert!(!err.is_refused_locally());
}

#[test]
fn refused_locally_is_only_what_voiceport_refused_before_sending() {
    let local = Error::invalid_input(ProviderKind::Rounded, Operation::GetCall, "bad id");
    assert!(local.is_refused_locally());
    assert!(Error::config("providers.a.kind", "unknown").is_refused_locally());
    let vendor = Error::InvalidRequest {
        provider: ProviderKind::Rounded,
        operation: Operation::Dial,
        status: Some(400),
        message: "no".into(),
        details: Vec::new(),
    };
    assert!(!vendor.is_refused_locally());
    assert!(!Error::unsupported(ProviderKind::Rounded, Operation::AddNote).is_refused_locally());
}

const KEY: &str = "sk-live/4f9a+8b7c\"6d5e";

/// The status, the JSON path and the vendor's words are read without matching on the
/// variants.
#[test]
fn status_path_and_message_are_read_from_any_error() {
    let from = |status: u16| {
        Error::from_status(
            ProviderKind::Vapi,
            Operation::GetCall,
            status,
            Some(format!("said with {status}")),
            Vec::new(),
        )
    };
    for status in [400, 401, 403, 404, 409, 422, 429, 500, 503, 418] {
        let error = from(status);
        assert_eq!(error.status(), Some(status), "{error:?}");
        let said = format!("said with {status}");
        assert_eq!(error.message(), Some(said.as_str()), "{error:?}");
        assert_eq!(error.json_path(), None);
    }
    assert_eq!(from(410).status(), Some(404));
    let decode = Error::decode(
        ProviderKind::Retell,
        Operation::ListCalls,
        "calls[3].status",
        "unknown variant",
        b"{}",
    );
    assert_eq!(decode.json_path(), Some("calls[3].status"));
    assert_eq!((decode.status(), decode.message()), (None, None));
    let local = Error::invalid_input(ProviderKind::Retell, Operation::Dial, "no number");
    assert_eq!((local.status(), local.message()), (None, None));
}

/// A server can choose bytes a transport error prints (an HTTP/2 GOAWAY's debug data,
/// which h2 shows as `b"…"`): one that echoes the key loses it, in the cause's
/// `Display` down the chain and in its `Debug`. A cause without it stays itself.
#[test]
fn a_transport_cause_echoing_the_key_is_masked() {
    use std::fmt;
    #[derive(Debug)]
    struct GoAway(String);
    impl fmt::Display for GoAway {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "connection error received: protocol error ({:?})",
                self.0
            )
        }
    }
    impl std::error::Error for GoAway {}
    #[derive(Debug)]
    struct Client(GoAway);
    impl fmt::Display for Client {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("error sending request")
        }
    }
    impl std::error::Error for Client {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    let transport = |source: Box<dyn std::error::Error + Send + Sync>| Error::Transport {
        provider: ProviderKind::Vapi,
        operation: Operation::GetCall,
        sent: true,
        source: ErrorSource::new(source),
    };
    let mask = SecretMask::new(KEY);
    let echoed = transport(Box::new(Client(GoAway(format!("bad key {KEY}")))));
    let masked = echoed.masked(&mask);
    let mut shown = format!("{masked} {masked:?}");
    let mut cause = std::error::Error::source(&masked);
    while let Some(next) = cause {
        shown.push_str(&format!(" {next} {next:?}"));
        cause = next.source();
    }
    assert!(!shown.contains("4f9a"), "{shown}");
    assert!(
        shown.contains("error sending request: connection error received"),
        "{shown}"
    );
    assert!(shown.contains("[REDACTED]"), "{shown}");

    let clean = transport(Box::new(Client(GoAway("no reason".into())))).masked(&mask);
    let source = std::error::Error::source(&clean).unwrap();
    assert!(source.downcast_ref::<Client>().is_some());
}

#[test]
fn masking_an_error_covers_every_vendor_text() {
    let mask = SecretMask::new(KEY);
    let err = Error::InvalidRequest {
        provider: ProviderKind::Rounded,
        operation: Operation::Dial,
        status: Some(400),
        message: format!("bad key {KEY}"),
        details: vec![FieldError {
            field: KEY.into(),
            message: format!("was {KEY}"),
        }],
    }
    .masked(&mask);
    let decode = Error::decode(
        ProviderKind::Rounded,
        Operation::GetCall,
        KEY,
        KEY,
        KEY.as_bytes(),
    )
    .masked(&mask);
    let waited = Error::WaitTimedOut {
        provider: ProviderKind::Retell,
        call_id: crate::CallId::new(KEY),
        last_status: crate::CallStatus::InProgress,
        waited: std::time::Duration::from_secs(1),
    }
    .masked(&mask);
    for err in [err, decode, waited] {
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains("4f9a"), "{text}");
        }
    }
}

/// An error can be cloned (a result shared between tasks, or cached): the clone says the
/// same, and a transport error's cause is shared, still reachable as its own type.
#[test]
fn errors_clone_with_their_cause() {
    let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
    let error = Error::transport(ProviderKind::Vapi, Operation::GetCall, true, io);
    let copy = error.clone();
    assert_eq!(copy.to_string(), error.to_string());
    let cause = std::error::Error::source(&copy).expect("a cause");
    let io = cause
        .downcast_ref::<std::io::Error>()
        .expect("the io error itself");
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset);
    let config = Error::config("providers.a.kind", "unknown");
    assert_eq!(config.clone().to_string(), config.to_string());
}

/// The kinds only voiceport's HTTP client and its waits produce can be built too, for an
/// application's test doubles, and read as the client's do: a dial whose answer broke off
/// placed a call, a read whose answer did is worth trying again.
#[test]
fn the_client_s_own_kinds_have_constructors_that_classify_as_the_client_s() {
    let kind = ProviderKind::Vapi;
    let cut_dial = Error::answer_cut(kind, Operation::Dial, 201, 412, "connection reset");
    assert!(
        matches!(cut_dial, Error::AnswerCut { read: false, .. }),
        "{cut_dial:?}"
    );
    assert_eq!(cut_dial.outcome(), RequestOutcome::Applied);
    assert!(cut_dial.call_may_exist() && !cut_dial.is_retryable());
    let cut_read = Error::answer_cut(kind, Operation::GetCall, 200, 10, "reset");
    assert!(matches!(cut_read, Error::AnswerCut { read: true, .. }));
    assert!(cut_read.is_retryable());
    let moved = Error::redirected(kind, Operation::ListCalls, 301, Some("api.example".into()));
    assert!(
        moved
            .to_string()
            .contains("redirected (HTTP 301) to api.example"),
        "{moved}"
    );
    let large = Error::body_too_large(kind, Operation::ListCalls, 1 << 20);
    assert!(matches!(
        large,
        Error::BodyTooLarge {
            limit: 1_048_576,
            ..
        }
    ));
    let waited = Error::wait_timed_out(
        kind,
        CallId::new("c-1"),
        CallStatus::InProgress,
        Duration::from_secs(90),
    );
    assert_eq!(
        waited.to_string(),
        "vapi wait_until_ended: call c-1 is still in_progress after 90.0s"
    );
}
