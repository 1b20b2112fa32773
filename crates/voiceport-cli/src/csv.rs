//! The CSV export's rows: its columns, and each field written so that a spreadsheet
//! reads it as text, never as a formula.

/// The CSV export's columns; later ones are added at the end, so that a reader by
/// position keeps working.
pub(crate) const CSV_COLUMNS: [&str; 15] = [
    "id",
    "provider",
    "status",
    "vendor_status",
    "direction",
    "from",
    "to",
    "created_at",
    "duration_secs",
    "summary",
    "tags",
    "cost",
    "end_reason",
    "transfer_destination",
    // The currency of `cost` (ISO 4217, where the vendor states it): a merged export
    // holds several vendors' costs.
    "cost_currency",
];

pub(crate) fn csv_row(call: &voiceport::Call) -> String {
    let fields = [
        call.id.to_string(),
        call.provider.to_string(),
        call.status.to_string(),
        call.vendor_status.clone().unwrap_or_default(),
        call.direction
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        call.from.clone().unwrap_or_default(),
        call.to.clone().unwrap_or_default(),
        call.created_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        call.duration_secs
            .map(|d| d.to_string())
            .unwrap_or_default(),
        call.analysis.summary.clone().unwrap_or_default(),
        call.tags.join(";"),
        call.cost
            .as_ref()
            .and_then(|c| c.total)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        call.end_reason
            .as_ref()
            .map(|r| r.category.as_str().to_owned())
            .unwrap_or_default(),
        call.transfer_destination.clone().unwrap_or_default(),
        call.cost
            .as_ref()
            .and_then(|c| c.currency.clone())
            .unwrap_or_default(),
    ];
    fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// One CSV field: spreadsheet-safe, then RFC 4180 quoting.
///
/// A field a spreadsheet would run as a formula (it begins with `=`, `+`, `-`, `@`, a tab
/// or a carriage return: `=HYPERLINK(…)`, `@SUM(…)`) gets a `'` in front, which
/// spreadsheets read as "this is text" (OWASP's advice for CSV injection). A plain number
/// (`+14155550123`, `-0.5`) is no formula and is left as it is. A field holding a `;` or a
/// tab is quoted too: a spreadsheet set to split on those (Excel in many European
/// locales) would otherwise start a cell inside it, unguarded (`ok;=HYPERLINK(…)`).
///
/// Before either, the control characters a terminal acts on (ESC, BEL, the C1 controls:
/// all of C0 and C1 but tabs and line breaks) are escaped as the command line escapes
/// them for people (`\u001b`): the export goes to the terminal unless `-o` says otherwise,
/// and a vendor string must not retitle or clear it there. Nothing else is touched (a
/// carriage return, a zero-width joiner in an emoji or a right-to-left mark stay as they
/// are): an export is data.
pub(crate) fn csv_field(text: &str) -> String {
    let text = crate::output::without_controls(text);
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(&text);
    let text = if risky {
        format!("'{text}")
    } else {
        text.into_owned()
    };
    if text.contains([',', '"', '\n', '\r', ';', '\t']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// `+14155550123`, `-0.5`, `12`: an optional sign, digits, at most one `.` between digits.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let mut parts = digits.split('.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    parts.next().is_none() && all_digits(whole) && fraction.is_none_or(all_digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cost's currency is the last column, beside nothing where the vendor states none.
    #[test]
    fn the_cost_currency_is_the_last_column() {
        let mut call = voiceport::Call::new("c1".into(), voiceport::ProviderKind::Retell);
        assert_eq!(csv_row(&call).split(',').count(), CSV_COLUMNS.len());
        assert!(csv_row(&call).ends_with(",,"), "{}", csv_row(&call));
        call.cost = Some(voiceport::Cost::new(
            Some(0.42),
            Some("USD".into()),
            Vec::new(),
        ));
        let row = csv_row(&call);
        assert_eq!(row.split(',').count(), CSV_COLUMNS.len());
        assert!(row.ends_with(",0.42,,,USD"), "{row}");
        assert_eq!(CSV_COLUMNS.last(), Some(&"cost_currency"));
    }

    #[test]
    fn csv_fields_a_spreadsheet_would_run_get_a_quote() {
        for (field, written) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("\t=1", "\"'\t=1\""),
            (
                "ok;=HYPERLINK(\"http://x\")",
                "\"ok;=HYPERLINK(\"\"http://x\"\")\"",
            ),
            ("a;=1+1", "\"a;=1+1\""),
            ("a\t=1", "\"a\t=1\""),
            // A terminal's controls are escaped first: a vendor string must not retitle
            // or clear the terminal the export goes to. Line breaks, carriage returns
            // and joiners are data.
            ("\r=1", "\"'\r=1\""),
            ("a\r\nb", "\"a\r\nb\""),
            ("👨\u{200d}👩\u{200d}👧", "👨\u{200d}👩\u{200d}👧"),
            (
                "\u{1b}]0;pwned\u{7}\u{1b}[2J",
                "\"\\u001b]0;pwned\\u0007\\u001b[2J\"",
            ),
            ("ok\u{9b}2J", "ok\\u009b2J"),
            ("line\nbreak", "\"line\nbreak\""),
            ("+14155550123", "+14155550123"),
            ("-0.5", "-0.5"),
            ("12", "12"),
            ("+1.", "'+1."),
            ("completed", "completed"),
            ("a,b", "\"a,b\""),
            ("", ""),
        ] {
            assert_eq!(csv_field(field), written, "{field:?}");
        }
    }
}
