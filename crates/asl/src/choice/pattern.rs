//! `StringMatches` patterns: `*` matches any run of characters (possibly empty); `\*` is a literal asterisk and `\\`
//! a literal backslash. Any other backslash is an error at load time, so a pattern means one thing only.
//!
//! Matching is by Unicode scalar value and allocates nothing; it is the classic greedy wildcard match with one
//! backtracking point, linear in practice and `O(pattern × text)` at worst.

/// A compiled `StringMatches` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern as written in the definition.
    source: String,
    /// Invariant: no two `Piece::Star` are adjacent (they match the same strings as one).
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Char(char),
    Star,
}

impl Pattern {
    /// Compiles `source`, or explains the first bad escape.
    pub fn parse(source: &str) -> Result<Pattern, String> {
        let mut pieces = Vec::with_capacity(source.len());
        let mut chars = source.chars();
        while let Some(c) = chars.next() {
            let piece = match c {
                '*' => Piece::Star,
                '\\' => match chars.next() {
                    Some(escaped @ ('*' | '\\')) => Piece::Char(escaped),
                    Some(other) => {
                        return Err(format!(
                            "invalid escape '\\{other}' in pattern '{source}': only '\\*' and '\\\\' are allowed"
                        ));
                    }
                    None => return Err(format!("pattern '{source}' ends with a lone '\\'")),
                },
                other => Piece::Char(other),
            };
            if !(piece == Piece::Star && pieces.last() == Some(&Piece::Star)) {
                pieces.push(piece);
            }
        }
        Ok(Pattern { source: source.to_owned(), pieces })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        let pieces = self.pieces.as_slice();
        let mut p = 0; // index into `pieces`
        let mut t = 0; // byte offset into `text`
        // After the last `*` seen: the piece after it, and the text offset it is currently assumed to start at.
        let mut backtrack: Option<(usize, usize)> = None;
        loop {
            let current = text.get(t..).and_then(|rest| rest.chars().next());
            match (pieces.get(p), current) {
                (Some(Piece::Star), _) => {
                    p += 1;
                    backtrack = Some((p, t));
                    continue;
                }
                (Some(Piece::Char(want)), Some(got)) if *want == got => {
                    p += 1;
                    t += got.len_utf8();
                    continue;
                }
                (None, None) => return true,
                _ => {}
            }
            // Mismatch: let the last `*` swallow one more character, if there is one.
            match backtrack {
                Some((after_star, start)) => {
                    let Some(skipped) = text.get(start..).and_then(|rest| rest.chars().next()) else {
                        return false;
                    };
                    let start = start + skipped.len_utf8();
                    backtrack = Some((after_star, start));
                    p = after_star;
                    t = start;
                }
                None => return false,
            }
        }
    }
}
