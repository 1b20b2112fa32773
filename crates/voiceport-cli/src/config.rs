//! Where the configuration file is, and which provider to use.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use voiceport::{Error, ProviderConfig, ProvidersFile, Registry, VoiceProvider};

use crate::Failure;

const FILE_NAME: &str = "voiceport.toml";

/// The variable that names the configuration file when `--config` does not.
const CONFIG_VAR: &str = "VOICEPORT_CONFIG";

/// Where this run's configuration came from (its file, or the variables), once found: said
/// beside a configuration error, so that the file read is not guessed at.
static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Where the configuration came from, once one was found.
pub(crate) fn source() -> Option<&'static str> {
    SOURCE.get().map(String::as_str)
}

/// The configuration file this run read, once read (`None` for the variables').
pub(crate) fn file() -> Option<&'static str> {
    source().filter(|_| !FROM_VARIABLES.load(std::sync::atomic::Ordering::Relaxed))
}

/// Whether the configuration is the `VOICEPORT_…` variables' (no file).
static FROM_VARIABLES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The provider a command connected to, once it has: said beside its errors.
static CHOSEN: std::sync::OnceLock<Chosen> = std::sync::OnceLock::new();

/// The provider a command connected to, and what tells it apart.
#[derive(Debug)]
pub(crate) struct Chosen {
    /// Its name in the configuration.
    pub(crate) name: String,
    pub(crate) kind: voiceport::ProviderKind,
    /// Where its key is set: the setting, and the variable it names.
    pub(crate) key_from: String,
    /// Whether other providers are configured beside it.
    pub(crate) among_others: bool,
    /// The scheme, host and port of its `base_url`, where one is set (else the vendor's).
    pub(crate) origin: Option<String>,
}

/// The provider this run connected to, where it connected to one.
pub(crate) fn chosen() -> Option<&'static Chosen> {
    CHOSEN.get()
}

/// The prefix of the variables that describe one provider when no file is found
/// (`VOICEPORT_KIND`, `VOICEPORT_API_KEY_ENV` …: `ProviderConfig::from_env`).
const ENV_PREFIX: &str = "VOICEPORT_";

/// `--config`, else `$VOICEPORT_CONFIG`, else `./voiceport.toml`, else
/// `$XDG_CONFIG_HOME/voiceport/voiceport.toml` (or `~/.config/voiceport/voiceport.toml`);
/// `None` when there is none and `VOICEPORT_KIND` describes a provider instead.
fn locate(explicit: Option<&Path>) -> Result<Option<PathBuf>, Failure> {
    if let Some(path) = explicit {
        // Said in the flag's words, not as the library's error reading it (any other
        // error, a folder that cannot be searched, is said as it comes).
        let metadata = std::fs::metadata(path);
        if metadata
            .as_ref()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        {
            return Err(Failure::Usage(format!(
                "--config {}: there is no such file",
                path.display()
            )));
        }
        if metadata.is_ok_and(|m| m.is_dir()) {
            return Err(Failure::Usage(format!(
                "--config {}: that is a folder, not a file",
                path.display()
            )));
        }
        return Ok(Some(path.to_owned()));
    }
    if let Some(path) = std::env::var_os(CONFIG_VAR).filter(|path| !path.is_empty()) {
        let path = PathBuf::from(path);
        // A variable left over from elsewhere is named, not only the path it gives.
        if !path.is_file() {
            return Err(Failure::Voice(Error::config(
                CONFIG_VAR,
                format!("names {}, which is no file", path.display()),
            )));
        }
        return Ok(Some(path));
    }
    let local = PathBuf::from(FILE_NAME);
    if local.is_file() {
        // Found, not named: a file another user put in a shared folder could point a
        // `base_url` at a host of theirs and receive the key read from your environment.
        // Refused, as ssh refuses configuration files of another user's (root's are
        // trusted); named, it is read.
        if let Some(owner) = owned_by_another_user(&local, current_user()) {
            return Err(Failure::Usage(format!(
                "./{FILE_NAME} is owned by another user (uid {owner}), and could send your API keys to a host of theirs: not read unless named (`--config ./{FILE_NAME}`)"
            )));
        }
        return Ok(Some(local));
    }
    let user_dir = user_config_dir(
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    );
    let user_file = user_dir.map(|dir| dir.join("voiceport").join(FILE_NAME));
    if let Some(path) = &user_file
        && path.is_file()
    {
        return Ok(Some(path.clone()));
    }
    if described_by_variables() {
        return Ok(None);
    }
    // Where it looked, so that a file put elsewhere is told apart from no file at all.
    let looked = match &user_file {
        Some(path) => format!("./{FILE_NAME} or {}", path.display()),
        None => format!("./{FILE_NAME}"),
    };
    Err(Failure::Usage(format!(
        "no configuration found: pass --config FILE (or set {CONFIG_VAR}), create {looked}, or describe one provider with {ENV_PREFIX}KIND, {ENV_PREFIX}API_KEY_ENV … (see the README's Configuration section)"
    )))
}

/// Whether `VOICEPORT_KIND` describes a provider (set, and not empty).
fn described_by_variables() -> bool {
    std::env::var_os(format!("{ENV_PREFIX}KIND")).is_some_and(|kind| !kind.is_empty())
}

/// The user's configuration directory: `XDG_CONFIG_HOME` when it is an absolute path,
/// else `$HOME/.config`. An empty or relative `XDG_CONFIG_HOME` is ignored, as the XDG
/// base directory specification says (a relative one would be read in the working
/// directory).
fn user_config_dir(
    xdg_config_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let xdg = xdg_config_home.map(PathBuf::from);
    match xdg.filter(|dir| dir.is_absolute()) {
        Some(dir) => Some(dir),
        None => home
            .filter(|home| !home.is_empty())
            .map(|home| PathBuf::from(home).join(".config")),
    }
}

/// The configured providers. A file that holds a key and that other users can read, or
/// that they can change, is used with a one-line warning on standard error (as ssh does
/// for a key file); so is a provider whose key would travel over plain http.
///
/// With no file, the one provider the `VOICEPORT_…` variables describe, named as its kind
/// (`-p vapi`), and the default.
pub(crate) fn registry(explicit: Option<&Path>) -> Result<Registry, Failure> {
    let Some(path) = locate(explicit)? else {
        let _ = SOURCE.set(format!("the {ENV_PREFIX}… environment variables"));
        FROM_VARIABLES.store(true, std::sync::atomic::Ordering::Relaxed);
        let config = ProviderConfig::from_env(ENV_PREFIX)?;
        let name = config.kind.as_str().to_owned();
        let providers = [(name.clone(), config)].into_iter().collect();
        let file = ProvidersFile::new(Some(name), providers, Default::default());
        let registry = Registry::from_file(file)?;
        for warning in registry.file().plain_http_warnings() {
            crate::output::say(&format!("warning: {warning}"));
        }
        return Ok(registry);
    };
    let _ = SOURCE.set(path.display().to_string());
    // Both described: the file wins, which a job setting the variables may not expect.
    if described_by_variables() {
        crate::output::say(&format!(
            "warning: {ENV_PREFIX}KIND and its fellows are ignored: the configuration is {}",
            path.display()
        ));
    }
    // An empty file is most often one `voiceport sandbox > FILE` has not written yet (the
    // shell creates it at once; the sandbox writes it once it listens): said so.
    if std::fs::metadata(&path).is_ok_and(|meta| meta.is_file() && meta.len() == 0) {
        return Err(Failure::Usage(format!(
            "{} is empty: write a `[providers.NAME]` table in it (`voiceport sandbox > FILE` fills it once the sandbox listens, a moment after it starts)",
            crate::output::cell(&path.display().to_string())
        )));
    }
    let registry = Registry::from_path(&path)?;
    let file = registry.file();
    let warnings = file.permission_warning(&path).into_iter();
    for warning in warnings.chain(file.plain_http_warnings()) {
        crate::output::say(&format!("warning: {warning}"));
    }
    Ok(registry)
}

pub(crate) fn provider(
    explicit: Option<&Path>,
    name: Option<&str>,
) -> Result<Arc<dyn VoiceProvider>, Failure> {
    connect(&registry(explicit)?, name)
}

/// The provider `name` (or the default) of `registry`, connected; remembered as the one
/// this run's errors are about ([`chosen`]).
pub(crate) fn connect(
    registry: &Registry,
    name: Option<&str>,
) -> Result<Arc<dyn VoiceProvider>, Failure> {
    let file = registry.file();
    let name = match name {
        Some(name) => name,
        None => file.default_name()?,
    };
    let provider = registry.connect(name)?;
    if let Some(config) = file.providers.get(name) {
        let origin = (config.base_url.as_deref())
            .and_then(|url| reqwest::Url::parse(url.trim()).ok())
            .map(|url| url.origin().ascii_serialization());
        let _ = CHOSEN.set(Chosen {
            origin,
            key_from: key_from(name, config),
            kind: config.kind,
            among_others: file.providers.len() > 1,
            name: name.to_owned(),
        });
    }
    Ok(provider)
}

/// Where the key of provider `name` is set, for a key the vendor refused: the setting
/// (in the file, or the variables), and the variable it names.
fn key_from(name: &str, config: &ProviderConfig) -> String {
    let from_variables = FROM_VARIABLES.load(std::sync::atomic::Ordering::Relaxed);
    let (inline, named) = match from_variables {
        true => (
            format!("{ENV_PREFIX}API_KEY"),
            format!("{ENV_PREFIX}API_KEY_ENV"),
        ),
        false => (
            format!("providers.{name}.api_key"),
            format!("providers.{name}.api_key_env"),
        ),
    };
    match &config.api_key_env {
        Some(variable) if config.api_key.is_none() => format!("{named} (the variable {variable})"),
        _ => inline,
    }
}

/// The user this process runs as (its effective user id), on Unix.
#[cfg(unix)]
fn current_user() -> u32 {
    // SAFETY: `geteuid` takes nothing, cannot fail and touches no memory of ours.
    unsafe { libc::geteuid() }
}

/// The owner of `path` when it is neither `user` nor root (`None` when it cannot be
/// read), on Unix.
#[cfg(unix)]
fn owned_by_another_user(path: &Path, user: u32) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(path).ok()?.uid();
    is_another_users(owner, user).then_some(owner)
}

/// Whether a file owned by `owner` is another user's for `user`: neither theirs nor
/// root's (every user trusts root's files, as ssh does).
#[cfg(any(unix, test))]
fn is_another_users(owner: u32, user: u32) -> bool {
    owner != user && owner != 0
}

#[cfg(not(unix))]
fn current_user() -> u32 {
    0
}

#[cfg(not(unix))]
fn owned_by_another_user(_: &Path, _: u32) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file is another user's when its owner is neither `user` nor root; a file that
    /// cannot be read is nobody's.
    #[cfg(unix)]
    #[test]
    fn a_file_of_another_user_but_root_is_told() {
        use std::os::unix::fs::MetadataExt;
        let path = std::env::temp_dir().join(format!("voiceport-owner-{}", std::process::id()));
        std::fs::write(&path, "").unwrap();
        let owner = std::fs::metadata(&path).unwrap().uid();
        assert_eq!(owned_by_another_user(&path, owner), None);
        assert_eq!(owned_by_another_user(&path, current_user()), None);
        // As seen by another user: this test's own files are theirs, unless it runs as
        // root, whose files every user trusts (as ssh does).
        let other = owner.wrapping_add(1);
        let expected = (owner != 0).then_some(owner);
        assert_eq!(owned_by_another_user(&path, other), expected);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(owned_by_another_user(&path, other), None);
    }

    /// Every case of the rule, whoever runs the tests (the test above reaches only the
    /// cases its own user can).
    #[test]
    fn only_a_file_of_someone_else_than_you_or_root_is_another_users() {
        let (root, ada, bob) = (0, 1000, 1001);
        assert!(!is_another_users(ada, ada));
        assert!(!is_another_users(root, ada));
        assert!(is_another_users(bob, ada));
        assert!(!is_another_users(root, root));
        assert!(is_another_users(ada, root));
    }

    #[test]
    fn an_empty_or_relative_xdg_config_home_is_ignored() {
        let home = || Some("/home/ada".into());
        let dir = |xdg: Option<&str>, home: Option<std::ffi::OsString>| {
            user_config_dir(xdg.map(Into::into), home)
        };
        let dot_config = Some(PathBuf::from("/home/ada/.config"));
        assert_eq!(
            dir(Some("/etc/xdg-ada"), home()),
            Some("/etc/xdg-ada".into())
        );
        assert_eq!(dir(None, home()), dot_config);
        assert_eq!(dir(Some(""), home()), dot_config);
        assert_eq!(dir(Some("config"), home()), dot_config);
        assert_eq!(dir(Some(""), None), None);
        assert_eq!(dir(None, Some("".into())), None);
    }
}
