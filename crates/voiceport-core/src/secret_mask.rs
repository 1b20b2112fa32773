//! Hiding a secret (an API key) in text a vendor sent back, as it is and in the spellings
//! a server may echo it in.

/// Hides one secret (an API key) in text a vendor sent back: `Invalid API key: sk-…` must
/// not print the key. Every occurrence is replaced with `[REDACTED]`, as it is and in the
/// forms a server may echo it in (JSON-escaped, percent-encoded), so neither the key nor
/// any part of it remains. `Debug` never shows the secret.
///
/// A secret shorter than 8 characters could be an ordinary word or a piece of one, so it
/// is hidden only where it stands alone (not inside a longer run of letters, digits, `-`
/// or `_`); real API keys are far longer.
///
/// ```
/// # use voiceport_core as voiceport;
/// use voiceport::SecretMask;
/// let mask = SecretMask::new("sk-live-4f9a8b7c6d5e");
/// assert_eq!(mask.mask_str("Invalid API key: sk-live-4f9a8b7c6d5e"), "Invalid API key: [REDACTED]");
/// assert_eq!(mask.mask_str("key=sk-live-4f9a8b7c6d5e&x=1"), "key=[REDACTED]&x=1");
/// assert_eq!(mask.mask_str("nothing to hide"), "nothing to hide");
/// ```
#[derive(Clone, Default)]
pub struct SecretMask {
    /// A searcher for the secret as it is, then for each of its other spellings, longest
    /// first: built once, used for every text masked.
    forms: Vec<memchr::memmem::Finder<'static>>,
    /// Short secrets are hidden only where they stand alone.
    alone_only: bool,
    /// The letters after a `\` in JSON that can spell a character of the secret: `u`,
    /// and the short escape of each character of the secret that has one (`n` for a line
    /// feed, `/` for a slash, …). A string with no other escape holds the secret only as
    /// it is (or in a fixed spelling), which `forms` finds without decoding it.
    escape_letters: Vec<u8>,
    /// The longest any spelling of the secret can be, in bytes.
    longest_spelling: usize,
}

/// What a hidden secret is replaced with (no character JSON or a URL would escape).
const REDACTED: &[u8] = b"[REDACTED]";

/// Secrets at least this long are hidden wherever they appear.
pub(crate) const MASK_ANYWHERE_FROM: usize = 8;

/// `form` with the hex digits of its percent escapes in lower case (`%2B` → `%2b`).
fn lower_hex_escapes(form: &str) -> String {
    let mut out = String::with_capacity(form.len());
    let mut after_percent = 0;
    for c in form.chars() {
        if after_percent > 0 {
            out.push(c.to_ascii_lowercase());
            after_percent -= 1;
        } else {
            out.push(c);
            if c == '%' {
                after_percent = 2;
            }
        }
    }
    out
}

impl SecretMask {
    /// A mask for `secret` (an empty secret hides nothing).
    pub fn new(secret: &str) -> Self {
        if secret.is_empty() {
            return SecretMask::default();
        }
        let mut forms: Vec<Vec<u8>> = vec![secret.as_bytes().to_vec()];
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json
            .strip_prefix('"')
            .and_then(|j| j.strip_suffix('"'))
            .unwrap_or_default();
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let spaced = encoded.replace('+', "%20");
        // As a path or Python's `quote` writes it: `/` left as it is.
        let path = spaced.replace("%2F", "/");
        let percent = [encoded, spaced, path];
        // Percent escapes in lower-case hex too (`%2b`), as some encoders write them.
        let lower = percent.clone().map(|form| lower_hex_escapes(&form));
        let forms_of_json = [json.to_owned(), json.replace('/', "\\/")];
        for form in forms_of_json.into_iter().chain(percent).chain(lower) {
            if !form.is_empty() && !forms.iter().any(|f| f == form.as_bytes()) {
                forms.push(form.into_bytes());
            }
        }
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        let mut escape_letters = vec![b'u'];
        for (byte, letter) in SHORT_ESCAPES {
            if secret.as_bytes().contains(&byte) {
                escape_letters.push(letter);
            }
        }
        // Each byte of the secret is at most six in a JSON string (`\u002f`; a character
        // of four bytes, a surrogate pair of twelve), and three percent-encoded.
        let longest_spelling = forms
            .iter()
            .map(Vec::len)
            .chain([secret.len().saturating_mul(6)])
            .max()
            .unwrap_or_default();
        SecretMask {
            forms: forms.iter().map(|form| finder(form)).collect(),
            alone_only: secret.chars().count() < MASK_ANYWHERE_FROM,
            escape_letters,
            longest_spelling,
        }
    }

    /// Whether `body` may spell the secret with JSON escapes, so that its strings must be
    /// scanned for escapes that could ([`may_spell`](Self::may_spell)): most bodies have
    /// no `\u`, and a secret without characters that have a short escape can be spelt
    /// otherwise only with one.
    pub(crate) fn may_hide_in_escapes(&self, body: &[u8]) -> bool {
        !self.forms.is_empty()
            && if self.escape_letters.len() > 1 {
                memchr::memchr(b'\\', body).is_some()
            } else {
                memchr::memmem::find(body, b"\\u").is_some()
            }
    }

    /// Whether the escape `\{letter}` in a JSON string may spell (part of) the secret:
    /// `\u`, or the short escape of a character the secret holds. A string with no such
    /// escape need not be decoded (transcripts escape line breaks and quotes, which a key
    /// does not hold).
    pub(crate) fn may_spell(&self, letter: u8) -> bool {
        self.escape_letters.contains(&letter)
    }

    /// The most bytes the secret takes in any spelling (as it is, JSON-escaped with `\u`
    /// for every character, percent-encoded): a text cut at least this far past a point
    /// holds whole every occurrence that starts before it. Zero for an empty secret.
    pub(crate) fn longest_spelling(&self) -> usize {
        self.longest_spelling
    }

    /// Whether `text` holds the secret in any of its spellings, ASCII letters in either
    /// case (a URL parser lower-cases a domain).
    pub(crate) fn found_in_any_case(&self, text: &str) -> bool {
        let text = text.to_ascii_lowercase();
        self.forms.iter().any(|form| {
            let needle = form.needle().to_ascii_lowercase();
            let finder = memchr::memmem::Finder::new(&needle);
            self.replace(text.as_bytes(), &finder).is_some()
        })
    }

    /// `text` with the secret hidden (borrowed when it holds none).
    pub fn mask_str<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        match self.mask_bytes(text.as_bytes()) {
            std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(text),
            // Whole UTF-8 sequences were replaced with ASCII: still UTF-8.
            std::borrow::Cow::Owned(bytes) => std::borrow::Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// `bytes` with the secret hidden (borrowed when they hold none).
    pub fn mask_bytes<'a>(&self, bytes: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let mut out = std::borrow::Cow::Borrowed(bytes);
        for form in &self.forms {
            if let Some(masked) = self.replace(&out, form) {
                out = std::borrow::Cow::Owned(masked);
            }
        }
        out
    }

    /// `haystack` with each hidden occurrence of `form` replaced, or `None` if it has none.
    fn replace(&self, haystack: &[u8], form: &memchr::memmem::Finder<'_>) -> Option<Vec<u8>> {
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        for start in form.find_iter(haystack) {
            let end = start + form.needle().len();
            if start < copied {
                continue; // overlaps the occurrence just replaced
            }
            let before = start.checked_sub(1).and_then(|i| haystack.get(i));
            let after = haystack.get(end);
            if self.alone_only
                && (before.is_some_and(|b| word(*b)) || after.is_some_and(|b| word(*b)))
            {
                continue;
            }
            let buffer = out.get_or_insert_with(|| Vec::with_capacity(haystack.len()));
            buffer.extend_from_slice(haystack.get(copied..start).unwrap_or_default());
            buffer.extend_from_slice(REDACTED);
            copied = end;
        }
        let mut buffer = out?;
        buffer.extend_from_slice(haystack.get(copied..).unwrap_or_default());
        Some(buffer)
    }
}

/// The characters JSON can write with a short escape, and the letter after its `\`.
pub(crate) const SHORT_ESCAPES: [(u8, u8); 8] = [
    (b'"', b'"'),
    (b'\\', b'\\'),
    (b'/', b'/'),
    (0x08, b'b'),
    (0x0c, b'f'),
    (b'\n', b'n'),
    (b'\r', b'r'),
    (b'\t', b't'),
];

/// A searcher for `form`, owning it.
fn finder(form: &[u8]) -> memchr::memmem::Finder<'static> {
    #[cfg(test)]
    tests::FINDERS_BUILT.with(|built| built.set(built.get() + 1));
    memchr::memmem::Finder::new(form).into_owned()
}

impl std::fmt::Debug for SecretMask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretMask([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-live/4f9a+8b7c\"6d5e";

    thread_local! {
        /// How many searchers this thread built for masks.
        pub(super) static FINDERS_BUILT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// A mask builds a searcher per spelling of the key once; masking texts builds none
    /// (a page's escaped strings are masked one by one, tens of thousands of them).
    #[test]
    fn masking_builds_no_searcher() {
        let built = || FINDERS_BUILT.with(std::cell::Cell::get);
        let before = built();
        let mask = SecretMask::new(KEY);
        let forms = built() - before;
        assert!((2..=8).contains(&forms), "{forms}");
        for _ in 0..100 {
            assert_eq!(mask.mask_str(&format!("a {KEY} b")), "a [REDACTED] b");
            assert_eq!(mask.mask_str("clean"), "clean");
        }
        assert_eq!(built() - before, forms);
    }

    /// The longest spelling is the key with every character a `\u` escape; the escape
    /// letters are `u` and those of the key's characters with a short escape.
    #[test]
    fn the_mask_knows_its_longest_spelling_and_escape_letters() {
        let mask = SecretMask::new(KEY);
        assert_eq!(mask.longest_spelling(), KEY.len() * 6);
        for letter in [b'u', b'/', b'"'] {
            assert!(mask.may_spell(letter), "{}", letter as char);
        }
        for letter in [b'n', b't', b'\\', b'b', b'x'] {
            assert!(!mask.may_spell(letter), "{}", letter as char);
        }
        assert_eq!(SecretMask::new("").longest_spelling(), 0);
    }

    #[test]
    fn the_mask_hides_every_spelling_of_the_key() {
        let mask = SecretMask::new(KEY);
        let json = serde_json::to_string(KEY).unwrap();
        let encoded: String = url::form_urlencoded::byte_serialize(KEY.as_bytes()).collect();
        for text in [
            format!("Invalid API key: {KEY}"),
            format!("{{\"message\":{json}}}"),
            format!("{{\"message\":{}}}", json.replace('/', "\\/")),
            format!("GET /calls?api_key={encoded}"),
            format!("{KEY}{KEY}"),
        ] {
            let masked = mask.mask_str(&text);
            assert!(masked.contains("[REDACTED]"), "{masked}");
            for piece in ["4f9a", "6d5e", "sk-live"] {
                assert!(!masked.contains(piece), "{piece} left in {masked}");
            }
        }
        assert!(matches!(
            mask.mask_str("clean"),
            std::borrow::Cow::Borrowed("clean")
        ));
        assert_eq!(format!("{mask:?}"), "SecretMask([REDACTED])");
        assert_eq!(SecretMask::new("").mask_str("anything"), "anything");
    }

    /// A key with `/`, `+` and `=` (a base64 secret), as encoders other than a form's
    /// write it: `/` left as it is, escapes in either case.
    #[test]
    fn the_mask_hides_percent_encodings_of_every_style() {
        let mask = SecretMask::new("abc/def+ghi=jkl012");
        for text in [
            "k=abc%2Fdef%2Bghi%3Djkl012",
            "k=abc/def%2Bghi%3Djkl012",
            "k=abc%2fdef%2bghi%3djkl012",
            "k=abc/def%2bghi%3djkl012",
        ] {
            assert_eq!(mask.mask_str(text), "k=[REDACTED]", "{text}");
        }
        assert_eq!(lower_hex_escapes("a%2Fb%3D%"), "a%2fb%3d%");
    }

    #[test]
    fn a_short_key_is_hidden_only_where_it_stands_alone() {
        let mask = SecretMask::new("k");
        assert_eq!(
            mask.mask_str("Invalid key: k (kind k)"),
            "Invalid key: [REDACTED] (kind [REDACTED])"
        );
        assert_eq!(
            mask.mask_bytes(br#"{"kind":"k"}"#).as_ref(),
            br#"{"kind":"[REDACTED]"}"#
        );
    }
}
