//! `Codec::decode_page_each` hands over exactly the calls `decode_page` gathers, in the
//! same order, with the same cursor and total, for every page fixture of every vendor; and
//! it stops when told to.

use std::ops::ControlFlow;
use std::path::Path;

use voiceport::{Call, CallPage, CallQuery, Codec, PayloadKind, ProviderKind};

#[path = "../benches/payloads.rs"]
#[allow(dead_code)]
mod payloads;

/// Every fixture of `dir` that the codec takes for a page, with its name.
fn pages(codec: &dyn Codec, dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(dir);
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the fixtures folder") {
        let path = entry.expect("a folder entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let body = std::fs::read(&path).expect("a fixture");
            if codec.detect(&body) == PayloadKind::Page {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                pages.push((name.into_owned(), body));
            }
        }
    }
    pages.sort();
    pages
}

fn streamed(codec: &dyn Codec, body: &[u8]) -> voiceport::Result<(CallPage, Vec<Call>)> {
    let mut calls = Vec::new();
    let page = codec.decode_page_each(body, &CallQuery::default(), &mut |call| {
        calls.push(call);
        ControlFlow::Continue(())
    })?;
    Ok((page, calls))
}

#[test]
fn streamed_pages_are_the_gathered_pages() {
    for &kind in ProviderKind::ALL {
        // Each vendor's fixtures are in the folder of its configuration name.
        let (codec, dir) = (voiceport::codec(kind).expect("a codec"), kind.as_str());
        let pages = pages(codec, dir);
        // A folder that lost its page fixtures would make this test pass on nothing.
        assert!(!pages.is_empty(), "{dir}: no page fixture");
        let mut decoded = 0;
        for (name, body) in pages {
            let gathered = codec.decode_page(&body, &CallQuery::default());
            match (gathered, streamed(codec, &body)) {
                (Ok(gathered), Ok((page, calls))) => {
                    decoded += 1;
                    assert_eq!(calls, gathered.calls, "{dir}/{name}: the calls");
                    assert!(page.calls.is_empty(), "{dir}/{name}: calls kept back");
                    assert_eq!(page.next, gathered.next, "{dir}/{name}: the cursor");
                    assert_eq!(page.total, gathered.total, "{dir}/{name}: the total");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{dir}/{name}"),
                (a, b) => panic!("{dir}/{name}: gathered {a:?}, streamed {b:?}"),
            }
        }
        // Two decoders failing alike on every page would pass the loop on nothing.
        assert!(decoded > 0, "{dir}: no page fixture decodes");
    }
}

#[test]
fn streamed_benchmark_pages_are_the_gathered_pages() {
    let pages = [
        (ProviderKind::HappyRobot, payloads::happyrobot_page(200)),
        (ProviderKind::Voicebot, payloads::voicebot_page(100)),
        (ProviderKind::Rounded, payloads::rounded_page(100)),
        (ProviderKind::Vapi, payloads::voicebot_page(100)),
        (ProviderKind::Retell, payloads::retell_page(100)),
    ];
    // Every vendor's benchmark page is checked here.
    let benched: Vec<ProviderKind> = pages.iter().map(|(kind, _)| *kind).collect();
    for kind in ProviderKind::ALL {
        assert!(benched.contains(kind), "no benchmark page of {kind}");
    }
    for (kind, body) in pages {
        let codec = voiceport::codec(kind).expect("a codec");
        let gathered = codec
            .decode_page(&body, &CallQuery::default())
            .expect("decodes");
        let (page, calls) = streamed(codec, &body).expect("decodes streamed");
        assert!(calls.len() >= 100, "{kind}: {} calls", calls.len());
        assert_eq!(calls, gathered.calls, "{kind}");
        assert_eq!(
            (page.next, page.total),
            (gathered.next, gathered.total),
            "{kind}"
        );
    }
}

#[test]
fn a_break_stops_the_decoding() {
    for &kind in ProviderKind::ALL {
        let (codec, dir) = (voiceport::codec(kind).expect("a codec"), kind.as_str());
        let busiest = pages(codec, dir)
            .into_iter()
            .filter_map(|(name, body)| {
                let n = codec
                    .decode_page(&body, &CallQuery::default())
                    .ok()?
                    .calls
                    .len();
                (n >= 2).then_some((name, body))
            })
            .next();
        let Some((name, body)) = busiest else {
            panic!("{dir}: no page fixture with two calls");
        };
        let mut handed = 0;
        codec
            .decode_page_each(&body, &CallQuery::default(), &mut |_| {
                handed += 1;
                ControlFlow::Break(())
            })
            .expect("the page decodes");
        assert_eq!(handed, 1, "{dir}/{name}: calls handed over after a break");
    }
}
