//! Text helpers shared by the layout and the renderers: width estimates, truncation and escaping.
//!
//! Widths are estimates from character classes of a sans-serif font, not measurements: the layout must not depend on
//! fonts installed where it runs.

/// Roughly how wide `text` is in a sans-serif font of `size` pixels.
pub(crate) fn width(text: &str, size: f64) -> f64 {
    let ems: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | 'I' | '[' | ']' | '(' | ')' => 0.28,
            'f' | 't' | 'r' | ' ' | '-' | '/' => 0.36,
            'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.85,
            'A'..='Z' => 0.66,
            '0'..='9' => 0.56,
            c if c.is_ascii() => 0.54,
            // Wide scripts and symbols: err on the side of room.
            _ => 0.9,
        })
        .sum();
    ems * size
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `text` escaped for XML text and attribute values, as the SVG writes names.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
