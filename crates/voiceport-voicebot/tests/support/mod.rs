//! Helpers shared by this adapter's integration tests: the two flavors, and their fixtures.
#![allow(dead_code)]

use std::path::PathBuf;

use voiceport_core::{Codec, ProviderKind};
use voiceport_voicebot::{Flavor, VapiCodec, VoicebotCodec};

/// One flavor as the tests see it: its codec, kind and fixture folder.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// The flavor.
    pub flavor: Flavor,
    /// Its codec.
    pub codec: &'static dyn Codec,
    /// The folder of its fixtures, under `fixtures/`.
    pub folder: &'static str,
}

/// Voicebot Studio.
pub const VOICEBOT: Family = Family {
    flavor: Flavor::Voicebot,
    codec: &VoicebotCodec,
    folder: "voicebot",
};

/// Vapi.
pub const VAPI: Family = Family {
    flavor: Flavor::Vapi,
    codec: &VapiCodec,
    folder: "vapi",
};

/// Both flavors.
pub const BOTH: [Family; 2] = [VOICEBOT, VAPI];

impl Family {
    /// The provider kind of the flavor.
    pub fn kind(self) -> ProviderKind {
        self.flavor.kind()
    }

    /// The fixtures directory of this flavor.
    pub fn fixtures_dir(self) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(self.folder)
    }

    /// A fixture's text.
    pub fn fixture(self, name: &str) -> String {
        let path = self.fixtures_dir().join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}
