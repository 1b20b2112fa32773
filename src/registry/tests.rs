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
    let error = error_text(registry.connect(None));
    names_only(&error);
    assert!(error.contains("`-p NAME`"), "{error}");
    assert!(error.contains("`default = \"NAME\"`"), "{error}");
    let error = error_text(registry.resolve("abc"));
    names_only(&error);
}

#[test]
fn an_unknown_provider_lists_the_configured_ones() {
    let registry = Registry::from_toml_str(TWO).unwrap();
    let error = error_text(registry.connect(Some("billing")));
    assert!(error.contains("no such provider"), "{error}");
    names_only(&error);

    let selection = Selection::Named(vec!["sales".to_owned(), "billing".to_owned()]);
    let walk = registry.calls(
        &selection,
        CallQuery::default(),
        None,
        MergeOptions::default(),
    );
    let error = error_text(walk);
    assert!(error.contains("`providers.billing`"), "{error}");
    names_only(&error);

    let error = error_text(registry.resolve("billing:abc"));
    assert!(
        error.contains("`billing:abc` names provider `billing`"),
        "{error}"
    );
    names_only(&error);
}

#[test]
fn an_empty_configuration_says_where_providers_go() {
    let registry = Registry::from_toml_str("").unwrap();
    let error = error_text(registry.connect(None));
    assert!(error.contains("names no provider"), "{error}");
    assert!(error.contains("`[providers.NAME]`"), "{error}");
    let error = error_text(registry.resolve("sales:abc"));
    assert!(error.contains("no provider is configured"), "{error}");
}
