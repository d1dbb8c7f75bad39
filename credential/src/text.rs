//! The one text rule for every string vpass signs, stores or looks up: credential text members,
//! volunteer and operator names, revocation and rotation reasons, query values and path ids.
//!
//! Why: a NUL byte is refused by PostgreSQL `text` (the issuer answered 500), an ESC starts a
//! terminal escape in whoever prints the audit log, and the bidirectional overrides and
//! isolates (Unicode UAX #9 §2.1–2.4: LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI) make text
//! display in another order than it is stored ("Trojan Source", CVE-2021-42574), so a signed
//! name could read as another. A name made only of zero-width characters displays as nothing.
//!
//! The rule, in one place so that the credential model, the issuer and the verifier agree:
//! - no control character (Unicode general category Cc: C0, DEL, C1), except a line feed in
//!   multi-line text; no line or paragraph separator (U+2028, U+2029) in one-line text;
//! - no bidirectional override or isolate (the marks LRM, RLM and ALM stay allowed: they only
//!   nudge neutral characters and mixed Kazakh–English text uses them);
//! - for human text (names, activities, reasons): at least one visible character, that is one
//!   that is neither white space nor a default-ignorable code point (Unicode
//!   `DerivedCoreProperties.txt`, `Default_Ignorable_Code_Point`: zero-width spaces and
//!   joiners, fillers, variation selectors, tags) nor the braille blank; and a length limit.
//!
//! Joiners inside visible text are allowed: Persian and some Indic spellings need ZWNJ/ZWJ,
//! and emoji sequences use ZWJ. Hand-written rather than a crate: the rule needs two small
//! code-point tables; `unicode-bidi` would give the nine bidi controls but not
//! `Default_Ignorable_Code_Point`, which no maintained small crate exposes.
//!
//! The errors are reasons from [`crate::model::reason`], so callers report them at their own
//! field.

use crate::model::reason;

/// Whether a text may span lines (a description) or not (a name, a reason, an id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line: no line break of any kind.
    One,
    /// Line feeds allowed (no carriage return: one text, one form).
    Many,
}

/// A bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069).
pub const fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A default-ignorable code point (Unicode 15.1 `Default_Ignorable_Code_Point`): rendered as
/// nothing.
pub const fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// Whether `c` shows nothing: white space, a default-ignorable code point, the braille blank.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace() || is_default_ignorable(c) || c == '\u{2800}'
}

/// The character rule alone (no length, emptiness allowed): for query values and ids.
pub fn check_chars(s: &str, lines: Lines) -> Result<(), &'static str> {
    for c in s.chars() {
        let line_break = matches!(c, '\n' | '\u{2028}' | '\u{2029}');
        if c == '\n' && lines == Lines::Many {
            continue;
        }
        if c.is_control() || line_break {
            return Err(reason::CONTROL_CHARACTER);
        }
        if is_bidi_control(c) {
            return Err(reason::BIDI_CONTROL);
        }
    }
    Ok(())
}

/// The whole rule for human text: something visible, at most `max_chars` characters, and
/// [`check_chars`]. Blank text is [`reason::EMPTY`], text of only invisible characters
/// [`reason::INVISIBLE`].
pub fn check_text(s: &str, max_chars: usize, lines: Lines) -> Result<(), &'static str> {
    if s.chars().all(char::is_whitespace) {
        return Err(reason::EMPTY);
    }
    if s.chars().nth(max_chars).is_some() {
        return Err(reason::TOO_LONG);
    }
    check_chars(s, lines)?;
    if s.chars().all(is_invisible) {
        return Err(reason::INVISIBLE);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_ordinary_text_in_every_script_we_meet() {
        for s in [
            "Айгерим Нұрланова",
            "Aigerim Nurlanova",
            "Таза Қазақстан: көктемгі сенбілік",
            "می\u{200c}خواهم",
            "👩\u{200d}🚒 fire brigade",
            "O'Brien – Jr.",
            "x\u{200f}y",
        ] {
            assert_eq!(check_text(s, 200, Lines::One), Ok(()), "{s:?}");
        }
        assert_eq!(check_text("a\nb", 200, Lines::Many), Ok(()));
        assert_eq!(check_chars("", Lines::One), Ok(()));
    }

    #[test]
    fn reject_control_characters() {
        for s in [
            "a\u{0}b",
            "\u{1b}[31m",
            "a\tb",
            "a\rb",
            "a\u{7f}",
            "a\u{85}b",
            "a\nb",
        ] {
            assert_eq!(
                check_text(s, 200, Lines::One),
                Err(reason::CONTROL_CHARACTER),
                "{s:?}"
            );
        }
        for s in ["a\u{2028}b", "a\u{2029}b"] {
            assert_eq!(check_chars(s, Lines::One), Err(reason::CONTROL_CHARACTER));
        }
        assert_eq!(
            check_text("a\r\nb", 200, Lines::Many),
            Err(reason::CONTROL_CHARACTER)
        );
    }

    #[test]
    fn reject_bidi_overrides_and_isolates() {
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}',
        ] {
            let s = format!("abc{c}def");
            assert_eq!(check_chars(&s, Lines::Many), Err(reason::BIDI_CONTROL));
            assert_eq!(check_text(&s, 200, Lines::One), Err(reason::BIDI_CONTROL));
        }
    }

    #[test]
    fn reject_invisible_or_blank_text() {
        for s in ["", "   ", "\u{3000}"] {
            assert_eq!(check_text(s, 200, Lines::One), Err(reason::EMPTY), "{s:?}");
        }
        for s in [
            "\u{200b}",
            "\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}",
            " \u{200b} ",
            "\u{3164}\u{115f}",
            "\u{2800}",
            "\u{e0041}\u{e0042}",
            "\u{fe0f}",
            "\u{ad}",
        ] {
            assert_eq!(
                check_text(s, 200, Lines::One),
                Err(reason::INVISIBLE),
                "{s:?}"
            );
        }
    }

    #[test]
    fn reject_text_too_long() {
        assert_eq!(check_text(&"ж".repeat(200), 200, Lines::One), Ok(()));
        assert_eq!(
            check_text(&"ж".repeat(201), 200, Lines::One),
            Err(reason::TOO_LONG)
        );
    }
}
