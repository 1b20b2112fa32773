use super::*;

/// Two providers out of order, each holding a key, and no `default`.
const TWO: &str = "[providers.support]\nkind = \"rounded\"\napi_key = \"rd-secret-key\"\n\
                   [providers.sales]\nkind = \"happyrobot\"\napi_key = \"hr-secret-key\"\n";

fn error_text<T>(result: Result<T>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.to_string(),
    }
}

fn names_only(error: &str) {
    assert!(error.contains("\"sales\", \"support\""), "{error}");
    assert!(!error.contains("secret-key"), "{error}");
    assert!(!error.contains('\n'), "{error}");
}

#[test]
fn no_default_lists_the_providers_and_how_to_choose() {
    let registry = Registry::from_toml_str(TWO).unwrap();
    let error = error_text(registry.connect_default());
    names_only(&error);
    assert!(error.contains("`-p NAME`"), "{error}");
    assert!(error.contains("`default = \"NAME\"`"), "{error}");
    let error = error_text(registry.resolve("abc"));
    names_only(&error);
}

#[test]
fn an_unknown_provider_lists_the_configured_ones() {
    let registry = Registry::from_toml_str(TWO).unwrap();
    let error = error_text(registry.connect("billing"));
    assert!(error.contains("no such provider"), "{error}");
    names_only(&error);

    let selection = Selection::Named(vec!["sales".to_owned(), "billing".to_owned()]);
    let walk = registry.calls(&selection, CallQuery::default(), MergeOptions::default());
    let error = error_text(walk);
    assert!(error.contains("`providers.billing`"), "{error}");
    names_only(&error);

    let error = error_text(registry.resolve("billing:abc"));
    assert!(error.contains("names provider `billing`"), "{error}");
    names_only(&error);
    // `all` among names is said for what it is.
    let walk = registry.calls(
        &Selection::parse("sales,all"),
        CallQuery::default(),
        MergeOptions::default(),
    );
    let error = error_text(walk);
    assert!(error.contains("`all` selects every provider"), "{error}");
    // What follows the `:` is not quoted: a key pasted there by mistake stays unsaid.
    let error = error_text(registry.resolve("billing:sk-live-4f9a2c7e1b"));
    assert!(!error.contains("sk-live-4f9a2c7e1b"), "{error}");
    // A prefix of any length is quoted short.
    let error = error_text(registry.resolve(&format!("{}:abc", "x".repeat(100_000))));
    assert!(error.len() < 1_000, "{} bytes", error.len());
}

#[test]
fn an_empty_configuration_says_where_providers_go() {
    let registry = Registry::from_toml_str("").unwrap();
    let error = error_text(registry.connect_default());
    assert!(error.contains("names no provider"), "{error}");
    assert!(error.contains("`[providers.NAME]`"), "{error}");
    let error = error_text(registry.resolve("sales:abc"));
    assert!(error.contains("no provider is configured"), "{error}");
}

#[test]
fn every_unknown_provider_error_lists_them_in_one_wording() {
    let registry = Registry::from_toml_str(TWO).unwrap();
    let listed = registry.file().names_listed();
    assert_eq!(listed, r#"the configured ones are "sales", "support""#);
    let selection = Selection::Named(vec!["billing".to_owned()]);
    let walk = registry.calls(&selection, CallQuery::default(), MergeOptions::default());
    for error in [
        error_text(registry.connect_default()),
        error_text(registry.connect("billing")),
        error_text(registry.resolve("billing:abc")),
        error_text(walk),
    ] {
        assert!(error.ends_with(&listed), "{error}");
    }
    let empty = Registry::from_toml_str("").unwrap();
    let error = error_text(empty.resolve("sales:abc"));
    assert!(error.ends_with(&empty.file().names_listed()), "{error}");
}

/// An id typed with a line break (a pasted value) gives a one-line error: the text of an
/// error never spans lines a log reader would take for separate entries.
#[test]
fn an_unknown_prefix_with_a_line_break_stays_on_one_line() {
    let registry =
        Registry::from_toml_str("[providers.sales]\nkind = \"rounded\"\napi_key = \"k\"\n")
            .unwrap();
    let Err(err) = registry.resolve("sa\nles:abc") else {
        panic!("a prefix naming no provider resolved");
    };
    let text = err.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(text.contains("sa\\nles"), "{text}");
}

/// A page cursor in the query of a merged walk is refused, not dropped: the walk would
/// start over where the caller meant to resume.
#[tokio::test]
async fn a_merged_walk_refuses_a_page_cursor_in_its_query() {
    let registry = Registry::from_toml_str(TWO).unwrap();
    let query = CallQuery {
        cursor: Some(voiceport_core::PageCursor::Token {
            token: "page-2".into(),
        }),
        ..CallQuery::default()
    };
    let walk = registry.calls(&Selection::All, query, MergeOptions::default());
    let error = error_text(walk);
    assert!(error.contains("MergedCursor"), "{error}");
    assert!(error.starts_with("invalid cursor: "), "{error}");
}

/// A merged cursor parses back from its token (`str::parse`), and anything else is an
/// invalid `cursor` argument; a merged walk's failure can be built, for a test
/// double of one.
#[test]
fn a_merged_cursor_parses_and_a_provider_error_builds() {
    let cursor = MergedCursor::default();
    assert_eq!(
        cursor.to_string().parse::<MergedCursor>().ok(),
        Some(cursor.clone())
    );
    // Padded as text is, in a table.
    let token = cursor.to_string();
    assert_eq!(
        format!("{cursor:<w$}|", w = token.len() + 2),
        format!("{token}  |")
    );
    let refused = "page-2".parse::<MergedCursor>().map(|_| ());
    assert!(error_text(refused).starts_with("invalid cursor: "));
    let failure = ProviderError::new("sales", Error::config("x", "y"));
    assert_eq!(failure.provider_name, "sales");
    assert!(failure.to_string().starts_with("provider `sales`: "));
}

/// A file built in code is checked as a parsed one is: a provider named `a:b` could not be
/// reached by a qualified id, a default naming no provider would fail at the first call.
#[test]
fn a_file_built_in_code_is_checked_as_a_parsed_one() {
    let parsed = voiceport_core::ProvidersFile::from_toml_str(TWO).unwrap();
    let mut colon = parsed.clone();
    let sales = colon.providers.remove("sales").unwrap();
    colon.providers.insert("sales:eu".to_owned(), sales);
    let Err(refused) = Registry::from_file(colon) else {
        panic!("a provider named sales:eu was taken")
    };
    assert!(
        refused.to_string().contains("providers.sales:eu"),
        "{refused}"
    );
    let mut nowhere = parsed.clone();
    nowhere.default = Some("billing".to_owned());
    let Err(refused) = Registry::from_file(nowhere) else {
        panic!("a default naming no provider was taken")
    };
    assert!(refused.to_string().contains("`default`"), "{refused}");
    assert!(Registry::from_file(parsed).is_ok());
}
