//! What reaches a human's terminal: text from plugins and manifests is
//! untrusted, so every control character (ESC, BEL, OSC/CSI introducers,
//! carriage returns, …) is shown escaped (`\u{1b}`) and cannot retitle the
//! terminal, clear the screen or hide lines. Newlines and tabs stay.

/// `text` with every control character but `\n` and `\t` escaped.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// The `tracing` filter for `YOI_LOG`: a bare level (`trace`, `debug`)
/// applies to this crate only — third-party crates (the compiler above all)
/// stay at `warn` unless named explicitly (`YOI_LOG=cranelift=debug`).
pub fn log_filter(value: Option<&str>) -> String {
    match value.map(str::trim) {
        None | Some("") => "warn".to_owned(),
        Some(v) if !v.contains(['=', ',']) => format!("warn,yoi_plugin_host={v}"),
        Some(v) => v.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        let shown = printable("a\u{1b}]0;pwned\u{7}\u{1b}[2Jb\r\nc\td");
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}') && !shown.contains('\r'));
        assert!(shown.contains("\\u{1b}]0;pwned"));
        assert!(shown.ends_with("\nc\td"));
    }

    #[test]
    fn bare_levels_stay_in_this_crate() {
        assert_eq!(log_filter(None), "warn");
        assert_eq!(log_filter(Some("trace")), "warn,yoi_plugin_host=trace");
        assert_eq!(log_filter(Some("cranelift=debug")), "cranelift=debug");
    }
}
