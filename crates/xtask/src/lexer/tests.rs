//! Tests of the lexer: what is code and what is not, one line per case.

use crate::lexer::{Kind, tokenize};

/// The tokens of `source` as `kind:text` (`i` ident, `s` string, `c` char, `l` lifetime, `n` number, `p` punct).
#[track_caller]
fn check(source: &str, expected: &str) {
    let tokens: Vec<String> = tokenize(source)
        .iter()
        .map(|t| {
            let kind = match t.kind {
                Kind::Ident => "i",
                Kind::Str => "s",
                Kind::Char => "c",
                Kind::Lifetime => "l",
                Kind::Number => "n",
                Kind::Punct => "p",
            };
            format!("{kind}:{}", t.text)
        })
        .collect();
    assert_eq!(tokens.join(" "), expected);
}

#[test]
fn paths_and_punctuation() { check("std::time::Instant::now()", "i:std p::: i:time p::: i:Instant p::: i:now p:( p:)") }

#[test]
fn comments_are_dropped() { check("a // SystemTime\n/* eprintln!() /* nested */ still */ b //! doc", "i:a i:b") }

#[test]
fn doc_comments_are_dropped() { check("/// uses `std::fs`\n//! Instant\nfn f() {}", "i:fn i:f p:( p:) p:{ p:}") }

#[test]
fn strings_hold_what_looks_like_code() { check(r#"x("eprintln!(\"a\") // not a comment")"#, r#"i:x p:( s:"eprintln!(\"a\") // not a comment" p:)"#) }

#[test]
fn raw_strings() { check(r###"r#"a "quoted" b"# r"x" br##"y"#z"##"###, r###"s:r#"a "quoted" b"# s:r"x" s:br##"y"#z"##"###) }

#[test]
fn byte_and_c_strings() { check(r#"b"ab" c"cd" b'x' bool"#, r#"s:b"ab" s:c"cd" c:b'x' i:bool"#) }

#[test]
fn raw_identifiers() { check("r#type r#fn", "i:type i:fn") }

#[test]
fn chars_and_lifetimes() { check(r"'a' '\'' '\n' 'é' &'a str 'static 'outer: loop", r"c:'a' c:'\'' c:'\n' c:'é' p:& l:'a i:str l:'static l:'outer p:: i:loop") }

#[test]
fn numbers() { check("1.5e-3 0x1e+2 1..2 1_000u64 x.0", "n:1.5e-3 n:0x1e p:+ n:2 n:1 p:. p:. n:2 n:1_000u64 i:x p:. n:0") }

#[test]
fn lines_are_counted_through_strings_and_comments() {
    let tokens = tokenize("a\n\"x\ny\"\n/* \n */ b");
    let lines: Vec<(String, usize)> = tokens.iter().map(|t| (t.text.clone(), t.line)).collect();
    assert_eq!(lines, [("a".to_owned(), 1), ("\"x\ny\"".to_owned(), 2), ("b".to_owned(), 5)]);
}

#[test]
fn unterminated_input_does_not_panic() {
    for source in ["\"open", "r#\"open", "/* open", "'", "b'", "r#", "0x", "'\\"] {
        let _ = tokenize(source);
    }
}
