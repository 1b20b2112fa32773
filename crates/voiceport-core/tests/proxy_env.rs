//! A proxy named in the environment never sees a request to a plain-http base (a loopback
//! sandbox, or a base allowed with `allow_insecure_http`): it would read the API key in the
//! clear. (Alone in its binary: it sets `HTTP_PROXY` for the whole process.)

mod support;

use support::{SECRET, client_for};
use voiceport_core::Operation;
use voiceport_core::http::{AuthStyle, Request};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn a_plain_http_base_is_reached_without_the_environment_proxy() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (proxy, api) =
        runtime.block_on(async { (MockServer::start().await, MockServer::start().await) });
    // SAFETY: this binary's only test sets the variables before any client reads them, and
    // no other thread of this process reads the environment meanwhile.
    unsafe {
        for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
            std::env::set_var(name, proxy.uri());
        }
        for name in ["NO_PROXY", "no_proxy"] {
            std::env::remove_var(name);
        }
    }
    runtime.block_on(async {
        // Each answers anything, with its own name: the proxy would be told the key.
        for (server, id) in [(&proxy, "proxied"), (&api, "direct")] {
            let body = format!(r#"{{"id": "{id}"}}"#);
            Mock::given(any())
                .respond_with(ResponseTemplate::new(200).set_body_string(body))
                .mount(server)
                .await;
        }
        let client = client_for(&api, "", AuthStyle::Bearer, |_| {});
        let response = client
            .send(Request::get(Operation::GetCall, ["calls", "c-1"]))
            .await
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&response.body),
            r#"{"id": "direct"}"#
        );
        let proxied = proxy.received_requests().await.unwrap();
        assert!(
            proxied.is_empty(),
            "the proxy saw {} request(s)",
            proxied.len()
        );
        let direct = api.received_requests().await.unwrap();
        let auth = direct[0].headers.get("authorization").unwrap();
        assert_eq!(auth.to_str().unwrap(), format!("Bearer {SECRET}"));
    });
}
