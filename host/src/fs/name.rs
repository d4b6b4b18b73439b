//! The Unicode policy of names a guest can address: every file has one
//! spelling, and a name cannot look like another one.
//!
//! A path segment is refused (`invalid-path`), and an entry so named is not
//! listed (a guest could not address it anyway), when it
//! - is not in Unicode Normalization Form C (an NFD spelling of `é` and the
//!   NFC one would otherwise be two names that look the same);
//! - contains a format character: bidi embeddings, overrides and isolates
//!   (U+202A–202E, U+2066–2069, U+061C, U+200E–200F), zero-width spaces and
//!   joiners (U+200B–200D, U+2060–2064), the BOM (U+FEFF), the soft hyphen,
//!   tag characters and the other `Cf` characters;
//! - contains a space other than U+0020 (no-break, en/em, ideographic, …);
//! - starts with a combining mark (it would combine with the `/` or with
//!   nothing);
//! - contains a noncharacter (U+FDD0–FDEF, U+xFFFE/xFFFF).
//!
//! Control characters are refused earlier, for the whole path
//! (`fs/path.rs`).

use unicode_normalization::char::is_combining_mark;

/// Why a name is refused, as fixed text (the name itself is never echoed).
pub(crate) fn check(name: &str) -> Result<(), &'static str> {
    if name.chars().next().is_some_and(is_combining_mark) {
        return Err("name starts with a combining mark");
    }
    for c in name.chars() {
        if is_format(c) {
            return Err("invisible or bidi formatting character in name");
        }
        if c != ' ' && is_space(c) {
            return Err("space other than U+0020 in name");
        }
        if is_noncharacter(c) {
            return Err("noncharacter in name");
        }
    }
    if !unicode_normalization::is_nfc(name) {
        return Err("name is not in Unicode NFC");
    }
    Ok(())
}

/// Unicode general category `Cf` (format), by range.
fn is_format(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Unicode `White_Space` characters that are not control characters.
fn is_space(c: char) -> bool {
    matches!(
        c as u32,
        0x0020 | 0x00A0 | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000
    )
}

fn is_noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xFDD0..=0xFDEF).contains(&n) || (n & 0xFFFE) == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn one_spelling_no_lookalikes() {
        for ok in ["notes.md", "été.txt", "日本語", "a b", "naïve", "emoji-😀"] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for bad in [
            "evil\u{202E}txt.exe",   // right-to-left override
            "\u{2066}a\u{2069}",     // isolate
            "\u{FEFF}bom",           // byte order mark
            "zero\u{200B}width",     // zero-width space
            "join\u{200D}er",        // zero-width joiner
            "soft\u{AD}hyphen",      // soft hyphen
            "no\u{A0}break",         // no-break space
            "ideographic\u{3000}sp", // ideographic space
            "\u{0301}accent",        // leading combining mark
            "e\u{0301}te",           // NFD spelling of "éte"
            "tag\u{E0041}",          // tag character
            "non\u{FFFF}char",       // noncharacter
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
    }
}
