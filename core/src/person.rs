//! People's names as others see them.
//!
//! A display name is shown to approvers next to the requests they decide on, so it must not
//! be able to pass for someone else's: [`parse_display_name`] refuses the invisible
//! characters that reorder or hide text (a right-to-left override makes `alice\u{202E}nimda`
//! read as "alice" followed by "admin" reversed), and the control characters and line
//! breaks that could fake a second line in a list.

use crate::error::FieldError;

/// Longest display name, in characters (after trimming).
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// The Unicode "Format" characters (general category Cf, Unicode 15.1; U+2065, unassigned,
/// is included in its range): soft hyphen, Arabic number signs and letter mark, Mongolian
/// vowel separator, zero-width space / non-joiner / joiner, left-to-right and right-to-left
/// marks, the bidirectional embeddings, overrides and isolates, word joiner and invisible
/// operators, deprecated format characters, byte order mark, interlinear annotation, and the
/// format characters of some historic scripts, musical notation and tags.
const FORMAT_RANGES: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// True for a Unicode format character (general category Cf): invisible characters that
/// change how the text around them is shown, such as U+202E RIGHT-TO-LEFT OVERRIDE or
/// U+200B ZERO WIDTH SPACE.
pub fn is_format_char(c: char) -> bool {
    let c = u32::from(c);
    FORMAT_RANGES.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

/// Check a display name: trimmed; 1 to [`MAX_DISPLAY_NAME_CHARS`] characters; no control
/// characters (Cc), no format characters (Cf: bidirectional controls, zero-width
/// characters, ...), no line or paragraph separators (U+2028, U+2029). Errors are on field
/// `display_name`.
pub fn parse_display_name(raw: &str) -> Result<String, FieldError> {
    let err = |reason: String| FieldError::new("display_name", reason);
    let s = raw.trim();
    if s.is_empty() {
        return Err(err("must not be empty".into()));
    }
    if s.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(err(format!(
            "must be at most {MAX_DISPLAY_NAME_CHARS} characters"
        )));
    }
    for c in s.chars() {
        let code = u32::from(c);
        if c.is_control() {
            return Err(err(format!(
                "must not contain control characters (found U+{code:04X})"
            )));
        }
        if c == '\u{2028}' || c == '\u{2029}' {
            return Err(err(format!(
                "must not contain line or paragraph separators (found U+{code:04X})"
            )));
        }
        if is_format_char(c) {
            return Err(err(format!(
                "must not contain invisible formatting or text-direction characters \
                 (found U+{code:04X})"
            )));
        }
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> String {
        let e = parse_display_name(s).unwrap_err();
        assert_eq!(e.field, "display_name");
        e.reason
    }

    #[test]
    fn ordinary_names_are_trimmed_and_kept() {
        assert_eq!(
            parse_display_name("  Alice Martin ").unwrap(),
            "Alice Martin"
        );
        for ok in [
            "Zoë Ødegård",
            "李小龙",
            "محمد",
            "O'Brien-Smith",
            "Ana (ops)",
        ] {
            assert_eq!(parse_display_name(ok).unwrap(), ok);
        }
        assert!(parse_display_name(&"é".repeat(MAX_DISPLAY_NAME_CHARS)).is_ok());
    }

    #[test]
    fn empty_and_long_names_are_refused() {
        assert_eq!(reason(""), "must not be empty");
        assert_eq!(reason(" \t\n "), "must not be empty");
        assert_eq!(
            reason(&"é".repeat(MAX_DISPLAY_NAME_CHARS + 1)),
            "must be at most 100 characters"
        );
    }

    #[test]
    fn right_to_left_override_cannot_impersonate() {
        // Shown as "alice" + "nimda" reversed, i.e. it reads like "aliceadmin".
        let r = reason("alice\u{202E}nimda");
        assert!(r.contains("text-direction"), "{r}");
        assert!(r.contains("U+202E"), "{r}");
    }

    #[test]
    fn every_bidi_and_invisible_format_char_is_refused() {
        let chars = [
            0x200B, 0x200C, 0x200D, 0x200E, 0x200F, // zero-width, LRM, RLM
            0x202A, 0x202B, 0x202C, 0x202D, 0x202E, // embeddings, overrides
            0x2060, 0x2061, 0x2062, 0x2063, 0x2064, // word joiner, invisible operators
            0x2066, 0x2067, 0x2068, 0x2069, // isolates
            0xFEFF, 0x061C, 0x00AD, 0x180E, 0xFFF9, 0x110BD, 0x1D173, 0xE0001, 0xE0041,
        ];
        for c in chars {
            let c = char::from_u32(c).unwrap();
            assert!(is_format_char(c), "U+{:04X}", u32::from(c));
            let r = reason(&format!("bob{c}by"));
            assert!(r.contains("formatting"), "U+{:04X}: {r}", u32::from(c));
            // Also when it is the first or last character: trimming does not remove them.
            assert!(parse_display_name(&format!("{c}bob")).is_err());
            assert!(parse_display_name(&format!("bob{c}")).is_err());
        }
        for c in ['a', ' ', 'é', '-', '\u{00A0}', '\u{3000}', '\u{0301}'] {
            assert!(!is_format_char(c), "{c:?}");
        }
    }

    #[test]
    fn control_characters_are_refused() {
        for c in [
            '\u{0}', '\u{7}', '\u{1B}', '\n', '\r', '\t', '\u{7F}', '\u{85}', '\u{9B}',
        ] {
            let r = reason(&format!("bob{c}by"));
            assert!(r.contains("control characters"), "{c:?}: {r}");
        }
    }

    #[test]
    fn line_and_paragraph_separators_are_refused() {
        for c in ['\u{2028}', '\u{2029}'] {
            let r = reason(&format!("bob{c}admin"));
            assert!(r.contains("line or paragraph separators"), "{r}");
        }
    }
}
