//! voiceport facade (filled in below).
