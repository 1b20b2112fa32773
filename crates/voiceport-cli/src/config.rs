//! Where the configuration file is, and which provider to use.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use voiceport::{Error, Registry, VoiceProvider};

use crate::Failure;

const FILE_NAME: &str = "voiceport.toml";

/// `--config`, else `./voiceport.toml`, else `$XDG_CONFIG_HOME/voiceport/voiceport.toml`
/// (or `~/.config/voiceport/voiceport.toml`).
pub(crate) fn locate(explicit: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    let local = PathBuf::from(FILE_NAME);
    if local.is_file() {
        return Ok(local);
    }
    let user_dir = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")));
    if let Some(dir) = user_dir {
        let path = dir.join("voiceport").join(FILE_NAME);
        if path.is_file() {
            return Ok(path);
        }
    }
    Err(Failure::Voice(Error::config(
        "--config",
        "no configuration found: pass --config FILE, or create ./voiceport.toml (see the README's Configuration section)",
    )))
}

/// The configured providers. A file that holds a key and that other users can read is
/// used, with a one-line warning on standard error (as ssh does for a key file).
pub(crate) fn registry(explicit: Option<&Path>) -> Result<Registry, Failure> {
    let path = locate(explicit)?;
    let registry = Registry::from_path(&path)?;
    if let Some(warning) = registry.file().permission_warning(&path) {
        crate::output::say(&format!("warning: {warning}"));
    }
    Ok(registry)
}

pub(crate) fn provider(
    explicit: Option<&Path>,
    name: Option<&str>,
) -> Result<Arc<dyn VoiceProvider>, Failure> {
    Ok(registry(explicit)?.connect(name)?)
}
