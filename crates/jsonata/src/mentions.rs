//! `Mentions`: the variables an expression's text can reach, and which members of each it reads, found once when
//! the expression is compiled.
//!
//! A variable is reachable only through a `$name` token: jsonata-core reads the name as every letter, digit, `_` and
//! `$` after the `$` (`$a$b` is the variable `a$b`), and `$eval` (which could build a name at run time) is hidden.
//! Reading a name from every `$` in the text, string literals and comments included, finds each variable token,
//! and perhaps some names that are not one: an over-approximation, never an under one.
//!
//! When every `$name` is followed by `.member` (spaces allowed around the dot), an evaluation reads only those
//! members of the variable, so the others need not be converted for it. Any other use (`$name` alone, `$name[0]`,
//! `$name.*`, `` $name.`member` ``, `$name.$`, `$name.function(){$}`, `$name := …`, a parameter named `$name`)
//! reads the whole value, and so does every use in a text with a `%` anywhere: the parent operator reaches the
//! variable back from its member (`$name.member.%`).

/// The variables an expression's text mentions, in the order of their first mention.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mentions(Vec<Mention>);

/// One variable the text mentions, and what it reads of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mention {
    name: String,
    /// The members read with `$name.member`, or `None` when some mention may read the whole value.
    members: Option<Vec<String>>,
}

impl Mentions {
    pub(crate) fn of(source: &str) -> Mentions {
        let mut mentions: Vec<Mention> = Vec::new();
        for (dollar, _) in source.match_indices('$') {
            let after = &source[dollar + 1..];
            let name = name_at(after);
            if name.is_empty() {
                continue;
            }
            let member = member_after(&after[name.len()..]);
            let mention = match mentions.iter_mut().find(|m| m.name == name) {
                Some(mention) => mention,
                None => {
                    mentions.push(Mention {
                        name: name.to_owned(),
                        members: Some(Vec::new()),
                    });
                    let last = mentions.len() - 1;
                    &mut mentions[last]
                }
            };
            match (&mut mention.members, member) {
                (Some(members), Some(member)) => {
                    if !members.iter().any(|m| m == member) {
                        members.push(member.to_owned());
                    }
                }
                (members, _) => *members = None,
            }
        }
        if source.contains('%') {
            for mention in &mut mentions {
                mention.members = None;
            }
        }
        Mentions(mentions)
    }

    /// The mention of `$name`, if the text has one.
    pub(crate) fn get(&self, name: &str) -> Option<&Mention> {
        self.0.iter().find(|m| m.name == name)
    }

    /// The names mentioned, without the `$`.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|m| m.name.as_str())
    }
}

impl Mention {
    /// Whether an evaluation may read member `key` of the variable.
    pub(crate) fn reads(&self, key: &str) -> bool {
        self.members
            .as_ref()
            .is_none_or(|members| members.iter().any(|m| m == key))
    }
}

/// The name jsonata-core reads at the start of `text`: its letters, digits, `_` and `$`.
fn name_at(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The member named by `.member` at the start of `text`, spaces allowed around the dot; `None` when `text` starts
/// otherwise: with `..`, or a dot followed by something other than a field name (a variable, a number, a function).
fn member_after(text: &str) -> Option<&str> {
    let rest = text.trim_start_matches(SPACES).strip_prefix('.')?;
    let member = name_at(rest.trim_start_matches(SPACES));
    let field = member.starts_with(|c: char| (c.is_alphabetic() || c == '_') && c != 'λ') && member != "function";
    field.then_some(member)
}

/// The blanks jsonata-core skips between tokens (some of them: skipping fewer only makes a mention whole).
const SPACES: &[char] = &[' ', '\t', '\n', '\r'];
