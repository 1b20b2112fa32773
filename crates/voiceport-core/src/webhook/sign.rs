//! Signing a delivery the way a vendor does: what the sandbox sends, and what tests forge
//! deliveries with.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use super::config::{HmacAlgorithm, SignatureEncoding};
use super::encoding::{hex_encode, percent_decode};
use super::payload;
use super::rule::{RETELL_HEADER, RETELL_PAYLOAD, Rule};
use super::verify::{Verifier, compute_mac};

impl Verifier {
    /// The headers a vendor using this scheme would send with `body` signed at `at`: what
    /// the sandbox sends, and what tests forge deliveries with. Empty for `none`. A
    /// message id header, where the scheme has one, is derived from the body: the same
    /// for a redelivery of it, another for another body. The header holding the secret or
    /// the signature is marked sensitive: the map's `Debug` does not show it.
    pub fn sign(&self, body: &[u8], at: DateTime<Utc>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut put_as = |name: &HeaderName, value: String, sensitive: bool| {
            if let Ok(mut value) = HeaderValue::from_str(&value) {
                value.set_sensitive(sensitive);
                headers.insert(name.clone(), value);
            }
        };
        match &self.rule {
            // The secret goes in the URL: see `signed_url`.
            Rule::None | Rule::Refuse(_) | Rule::Query { .. } => {}
            Rule::Header {
                name,
                prefix,
                secret,
            } => put_as(name, format!("{prefix}{}", secret.expose_secret()), true),
            Rule::Hmac {
                signature,
                timestamp,
                message_id,
                url,
                payload,
                algorithm,
                encoding,
                prefix,
                key,
                ..
            } => {
                // Vapi does not say whether its timestamp is in seconds or milliseconds;
                // the verifier takes both, the sandbox sends milliseconds.
                let millis = at.timestamp_millis().to_string();
                // As a Svix-style sender's: the same for every posting of one message
                // (retries, duplicates), and another for another message.
                let id = message_id_of(body);
                let values = payload::Values {
                    body,
                    timestamp: millis.as_bytes(),
                    url: url.0.as_bytes(),
                    message_id: id.as_bytes(),
                };
                let parts = payload::pieces(payload, &values);
                let mac = compute_mac(*algorithm, key.expose_secret(), &parts);
                let text = match encoding {
                    SignatureEncoding::Hex => hex_encode(&mac),
                    SignatureEncoding::Base64 => BASE64.encode(&mac),
                };
                put_as(signature, format!("{prefix}{text}"), true);
                if let Some(name) = timestamp {
                    put_as(name, millis, false);
                }
                if let Some(name) = message_id {
                    put_as(name, id, false);
                }
            }
            Rule::Retell { key, .. } => {
                let millis = at.timestamp_millis().to_string();
                let values = payload::Values {
                    body,
                    timestamp: millis.as_bytes(),
                    url: b"",
                    message_id: b"",
                };
                let parts = payload::pieces(RETELL_PAYLOAD, &values);
                let key = key.expose_secret().as_bytes();
                let mac = compute_mac(HmacAlgorithm::Sha256, key, &parts);
                put_as(
                    &RETELL_HEADER,
                    format!("v={millis},d={}", hex_encode(&mac)),
                    true,
                );
            }
        }
        headers
    }

    /// The URL to give the vendor: `url` with the secret in its query under the `query`
    /// scheme (in place of any value the parameter has there already, which would be read
    /// first), `url` itself under any other.
    pub fn signed_url(&self, url: &str) -> String {
        match &self.rule {
            Rule::Query { param, secret } => {
                let (base, fragment) = url
                    .split_once('#')
                    .map_or((url, None), |(b, f)| (b, Some(f)));
                let (path, query) = base.split_once('?').unwrap_or((base, ""));
                let secret_pair = format!("{param}={}", secret.expose_secret());
                let mut pairs: Vec<&str> = (query.split('&'))
                    .filter(|pair| {
                        // Compared percent-decoded, as the check reads the parameter.
                        let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
                        !pair.is_empty() && percent_decode(name) != param.as_bytes()
                    })
                    .collect();
                pairs.push(&secret_pair);
                let mut signed = format!("{path}?{}", pairs.join("&"));
                if let Some(fragment) = fragment {
                    signed.push('#');
                    signed.push_str(fragment);
                }
                signed
            }
            _ => url.to_owned(),
        }
    }
}

/// The message id [`Verifier::sign`] gives `body`: `msg_` and 24 hex digits of its SHA-256.
fn message_id_of(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body);
    format!("msg_{}", hex_encode(digest.get(..12).unwrap_or(&digest)))
}
