//! A small Rust lexer for the tidy checks: identifiers, literals and punctuation with their line numbers, comments
//! dropped.
//!
//! It knows just enough of Rust's lexical grammar to never mistake a comment or a string for code (nested block
//! comments, raw strings with any number of `#`, byte and C strings, char literals against lifetimes), so a rule
//! that looks for `SystemTime` or `eprintln` is not fooled by a doc comment that names them. It is not a parser:
//! it never fails, and what it does not recognise becomes a one-character `Punct`.

#[cfg(test)]
#[rustfmt::skip] // One-line tests, as data.
mod tests;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An identifier or keyword (`r#` removed from a raw identifier).
    Ident,
    /// A string literal of any form (`"…"`, `r#"…"#`, `b"…"`, `c"…"`); `text` is the literal as written.
    Str,
    /// A char or byte literal.
    Char,
    /// A lifetime or loop label, with its `'`.
    Lifetime,
    /// A number literal, suffix included.
    Number,
    /// `::`, or any other single character.
    Punct,
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub text: String,
    /// 1-based line of the token's first character.
    pub line: usize,
}

impl Token {
    /// Whether this is the identifier `name`.
    pub fn is_ident(&self, name: &str) -> bool {
        self.kind == Kind::Ident && self.text == name
    }

    /// Whether this is the punctuation `text`.
    pub fn is_punct(&self, text: &str) -> bool {
        self.kind == Kind::Punct && self.text == text
    }
}

/// The tokens of `source`, comments and white space dropped.
pub fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut lexer = Lexer { chars: &chars, at: 0, line: 1, tokens: Vec::new() };
    lexer.run();
    lexer.tokens
}

struct Lexer<'a> {
    chars: &'a [char],
    at: usize,
    line: usize,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// Moves past one character, counting lines.
    fn bump(&mut self) {
        if self.peek(0) == Some('\n') {
            self.line += 1;
        }
        self.at += 1;
    }

    fn push(&mut self, kind: Kind, start: usize, line: usize) {
        let text: String = self.chars.get(start..self.at).unwrap_or_default().iter().collect();
        self.tokens.push(Token { kind, text, line });
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            let (start, line) = (self.at, self.line);
            match c {
                c if c.is_whitespace() => self.bump(),
                '/' if self.peek(1) == Some('/') => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                '/' if self.peek(1) == Some('*') => self.block_comment(),
                '"' => {
                    self.quoted();
                    self.push(Kind::Str, start, line);
                }
                'r' | 'b' | 'c' if self.string_prefix().is_some() => {
                    let (prefix, raw) = self.string_prefix().unwrap_or((0, false));
                    self.at += prefix;
                    if raw {
                        self.raw_string();
                    } else if self.peek(0) == Some('\'') {
                        self.char_literal();
                        self.push(Kind::Char, start, line);
                        continue;
                    } else {
                        self.quoted();
                    }
                    self.push(Kind::Str, start, line);
                }
                'r' if self.peek(1) == Some('#') && self.peek(2).is_some_and(is_ident_start) => {
                    self.at += 2;
                    let ident_start = self.at;
                    self.ident();
                    self.push(Kind::Ident, ident_start, line);
                }
                c if is_ident_start(c) => {
                    self.ident();
                    self.push(Kind::Ident, start, line);
                }
                '\'' => {
                    if self.peek(1) == Some('\\') || (self.peek(2) == Some('\'') && self.peek(1) != Some('\'')) {
                        self.char_literal();
                        self.push(Kind::Char, start, line);
                    } else {
                        self.bump();
                        self.ident();
                        self.push(Kind::Lifetime, start, line);
                    }
                }
                c if c.is_ascii_digit() => {
                    self.number();
                    self.push(Kind::Number, start, line);
                }
                ':' if self.peek(1) == Some(':') => {
                    self.at += 2;
                    self.push(Kind::Punct, start, line);
                }
                _ => {
                    self.bump();
                    self.push(Kind::Punct, start, line);
                }
            }
        }
    }

    /// At `r`, `b`, `c`, `br` or `cr`: the length of a string or byte-char prefix that starts here, and whether the
    /// string is raw.
    fn string_prefix(&self) -> Option<(usize, bool)> {
        let letters: String = [self.peek(0), self.peek(1)].iter().flatten().take_while(|c| c.is_ascii_alphabetic()).collect();
        let (len, raw) = match letters.as_str() {
            l if l.starts_with("br") || l.starts_with("cr") => (2, true),
            l if l.starts_with('r') => (1, true),
            l if l.starts_with('b') || l.starts_with('c') => (1, false),
            _ => return None,
        };
        let next = self.peek(len)?;
        match (raw, next) {
            (true, '"') => Some((len, true)),
            // `r#"`: a raw string; `r#name` is a raw identifier.
            (true, '#') => {
                let hashes = (len..).take_while(|&i| self.peek(i) == Some('#')).count();
                (self.peek(len + hashes) == Some('"')).then_some((len, true))
            }
            (false, '"') => Some((len, false)),
            (false, '\'') if self.peek(0) == Some('b') => Some((len, false)),
            _ => None,
        }
    }

    /// At `"`: moves past the string, escapes included.
    fn quoted(&mut self) {
        self.bump();
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => {
                    self.bump();
                    self.bump();
                }
                '"' => {
                    self.bump();
                    return;
                }
                _ => self.bump(),
            }
        }
    }

    /// At the `#`s or `"` of a raw string: moves past it.
    fn raw_string(&mut self) {
        let mut hashes = 0;
        while self.peek(0) == Some('#') {
            hashes += 1;
            self.bump();
        }
        self.bump();
        while self.peek(0).is_some() {
            if self.peek(0) == Some('"') && (1..=hashes).all(|i| self.peek(i) == Some('#')) {
                self.at += 1 + hashes;
                return;
            }
            self.bump();
        }
    }

    /// At `'`: moves past a char literal, escapes included.
    fn char_literal(&mut self) {
        self.bump();
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => {
                    self.bump();
                    self.bump();
                }
                '\'' => {
                    self.bump();
                    return;
                }
                '\n' => return,
                _ => self.bump(),
            }
        }
    }

    /// At `/*`: moves past the comment and the comments nested in it.
    fn block_comment(&mut self) {
        let mut depth = 0;
        while self.peek(0).is_some() {
            if self.peek(0) == Some('/') && self.peek(1) == Some('*') {
                depth += 1;
                self.at += 2;
            } else if self.peek(0) == Some('*') && self.peek(1) == Some('/') {
                depth -= 1;
                self.at += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.bump();
            }
        }
    }

    fn ident(&mut self) {
        while self.peek(0).is_some_and(is_ident_continue) {
            self.bump();
        }
    }

    fn number(&mut self) {
        let start = self.at;
        // `0x1e+2` is a sum, `1e+2` one number.
        let radix = matches!(self.chars.get(start + 1), Some('x' | 'o' | 'b')) && self.peek(0) == Some('0');
        while let Some(c) = self.peek(0) {
            let exponent = matches!(self.chars.get(self.at.wrapping_sub(1)), Some('e' | 'E'));
            if is_ident_continue(c)
                || (c == '.' && self.peek(1).is_some_and(|c| c.is_ascii_digit()) && !radix)
                || ((c == '+' || c == '-') && exponent && !radix)
            {
                self.bump();
            } else {
                return;
            }
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}
