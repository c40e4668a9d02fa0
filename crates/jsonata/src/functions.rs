//! The functions Step Functions adds to JSONata, and its deterministic `$now`, `$millis` and `$random`.
//!
//! AWS adds `$partition`, `$range`, `$hash`, `$random(seed)`, `$uuid` and `$parse`, and removes `$eval`. Their
//! behaviour at the edges (which argument errors are `T0410`, which inputs give undefined, the `D3137` texts,
//! `$random(seed)` being `java.util.Random`) follows measurements of AWS published by the Floci project
//! (floci-io/floci issues #2662, #2737 and `JsonataEvaluator.java`), and the conformance corpus's `$partition`,
//! `$range` and `$parse` cases.
//!
//! Time and randomness come from the caller's [`Host`]: `$now()`/`$millis()` read `now_ms`, as does
//! `$toMillis(timestamp, picture)` for the fields its picture leaves out (jsonata-core's own reads the wall clock),
//! and the unseeded `$random()`/`$uuid()` and `$shuffle` (jsonata-core's uses the thread's RNG) draw from a
//! SplitMix64 stream seeded by one call of `Host::random`, made only when the expression's text mentions `random`,
//! `uuid` or `shuffle`. Nothing here reads a clock, the environment or an OS source of randomness, so an execution
//! replayed from its history evaluates every expression to the same value.

use std::cell::Cell;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::OnceLock;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError};
use jsonata_core::value::JValue;
use md5::Md5;
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::Host;
use crate::limits::MAX_SEQUENCE_LENGTH;

/// Which of the functions this module provides an expression's text can reach, so that an evaluation registers
/// only those (each registration allocates). A function is reachable only through `$name` written in the text: a
/// name that does not occur cannot be called.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Uses(u16);

const NAMES: [&str; 11] = [
    "partition",
    "range",
    "hash",
    "random",
    "uuid",
    "parse",
    "now",
    "millis",
    "eval",
    "shuffle",
    "toMillis",
];

impl Uses {
    pub(crate) fn of(source: &str) -> Uses {
        let mut bits = 0;
        for (i, name) in NAMES.iter().enumerate() {
            if source.contains(name) {
                bits |= 1 << i;
            }
        }
        Uses(bits)
    }

    fn has(self, name: &str) -> bool {
        NAMES
            .iter()
            .position(|n| *n == name)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }

    /// Whether the expression can draw unseeded random numbers.
    fn draws_random(self) -> bool {
        self.has("random") || self.has("uuid") || self.has("shuffle")
    }
}

/// Hides the built-ins AWS does not provide (`$eval`) from an evaluation whose text mentions them: binding the name to
/// nothing makes a call jsonata-js's `T1006: Attempted to invoke a non-function`, which is what AWS answers.
pub(crate) fn hide(context: &mut Context, uses: Uses) {
    if uses.has("eval") {
        context.bind("eval".to_owned(), JValue::Undefined);
    }
}

/// Registers on `evaluator` the functions `uses` can reach.
pub(crate) fn register(evaluator: &mut Evaluator, uses: Uses, host: &Host) -> Result<()> {
    if uses.has("partition") {
        evaluator.register_fn("partition", partition)?;
    }
    if uses.has("range") {
        evaluator.register_fn("range", range)?;
    }
    if uses.has("hash") {
        evaluator.register_fn("hash", hash)?;
    }
    if uses.has("parse") {
        evaluator.register_fn("parse", parse)?;
    }
    if uses.has("now") {
        let now_ms = host.now_ms;
        evaluator.register_fn_override("now", move |args: &[JValue]| now(now_ms, args))?;
    }
    if uses.has("millis") {
        let now_ms = host.now_ms;
        evaluator.register_fn_override("millis", move |args: &[JValue]| millis(now_ms, args))?;
    }
    if uses.has("toMillis") {
        let now_ms = host.now_ms;
        evaluator.register_fn_override("toMillis", move |args: &[JValue]| to_millis(now_ms, args))?;
    }
    if uses.draws_random() {
        let stream = Rc::new(SplitMix64(Cell::new((host.random)())));
        if uses.has("random") {
            let stream = Rc::clone(&stream);
            evaluator.register_fn_override("random", move |args: &[JValue]| random(&stream, args))?;
        }
        if uses.has("shuffle") {
            let stream = Rc::clone(&stream);
            evaluator.register_fn_override("shuffle", move |args: &[JValue]| shuffle(&stream, args))?;
        }
        if uses.has("uuid") {
            evaluator.register_fn("uuid", move |args: &[JValue]| uuid(&stream, args))?;
        }
    }
    Ok(())
}

type Result<T> = std::result::Result<T, EvaluatorError>;

/// `$partition(array, size)`: `array` in chunks of `size` items, the last one holding the rest.
fn partition(args: &[JValue]) -> Result<JValue> {
    no_more_than(args, "partition", 2)?;
    let Some(array) = arg(args, 0) else {
        return Ok(JValue::Undefined);
    };
    let Some(items) = array.as_array() else {
        // AWS's text, "undefined" included.
        return Err(error(
            "T0412: Argument 1 of function \"partition\" must be an array of undefined",
        ));
    };
    if items.is_empty() {
        return Ok(JValue::Undefined);
    }
    let Some(size) = arg(args, 1) else {
        return Ok(JValue::array(vec![array.clone()]));
    };
    let size = integer(size, "partition", 2)?;
    if size < 0 {
        return Err(error("D3137: Second argument must be zero or greater"));
    }
    if size == 0 {
        return Ok(JValue::Undefined);
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(JValue::array(
        items.chunks(size).map(|chunk| JValue::array(chunk.to_vec())).collect(),
    ))
}

/// `$range(start, end, step)`: `start`, `start + step`, … up to `end` inclusive. The result is a sequence, so one
/// item is that item (`$range(1, 9, 9)` is `1`, as AWS answers).
fn range(args: &[JValue]) -> Result<JValue> {
    no_more_than(args, "range", 3)?;
    let start = required_integer(args, 0, "range")?;
    let end = required_integer(args, 1, "range")?;
    let Some(step) = arg(args, 2) else {
        return Ok(JValue::Undefined);
    };
    let step = integer(step, "range", 3)?;
    if step == 0 || (step > 0 && start > end) || (step < 0 && start < end) {
        return Ok(JValue::Undefined);
    }
    // In i128 so that no step or bound can overflow.
    let count = (i128::from(end) - i128::from(start)) / i128::from(step) + 1;
    if count > MAX_SEQUENCE_LENGTH as i128 {
        return Err(error(&format!(
            "D2015: The maximum sequence length of {MAX_SEQUENCE_LENGTH} was exceeded."
        )));
    }
    let items = (0..count)
        .map(|i| JValue::Number((i128::from(start) + i * i128::from(step)) as f64))
        .collect();
    Ok(JValue::sequence(items))
}

/// `$hash(string, algorithm)`: the lowercase hex digest of the UTF-8 bytes of `string`.
fn hash(args: &[JValue]) -> Result<JValue> {
    no_more_than(args, "hash", 2)?;
    let Some(text) = arg(args, 0).and_then(JValue::as_str) else {
        return Err(signature("hash", 1));
    };
    let Some(algorithm) = arg(args, 1) else {
        return Ok(JValue::Undefined);
    };
    let Some(algorithm) = algorithm.as_str() else {
        return Err(signature("hash", 2));
    };
    let bytes = text.as_bytes();
    let digest = match algorithm {
        "MD5" => Md5::digest(bytes).to_vec(),
        "SHA-1" => Sha1::digest(bytes).to_vec(),
        "SHA-256" => Sha256::digest(bytes).to_vec(),
        "SHA-384" => Sha384::digest(bytes).to_vec(),
        "SHA-512" => Sha512::digest(bytes).to_vec(),
        other => {
            return Err(error(&format!(
                "D3137: Hash algorithm '{other}' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5"
            )));
        }
    };
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    Ok(JValue::string(hex))
}

/// `$parse(json)`: the value of a JSON text. Trailing text, a repeated key or an empty string is `D3137`.
fn parse(args: &[JValue]) -> Result<JValue> {
    no_more_than(args, "parse", 1)?;
    let Some(text) = arg(args, 0) else {
        return Ok(JValue::Undefined);
    };
    let Some(text) = text.as_str() else {
        return Err(signature("parse", 1));
    };
    serde_json::from_str::<Strict>(text)
        .map(|strict| strict.0)
        .map_err(|_| error("D3137: Invalid JSON"))
}

/// `$now([picture [, timezone]])`: `now_ms` as an ISO 8601 timestamp, or formatted as `$fromMillis` would.
fn now(now_ms: i64, args: &[JValue]) -> Result<JValue> {
    no_more_than(args, "now", 2)?;
    static FROM_MILLIS: OnceLock<Option<AstNode>> = OnceLock::new();
    let ast = FROM_MILLIS.get_or_init(|| jsonata_core::parser::parse("$fromMillis($t, $p, $z)").ok());
    let Some(ast) = ast else {
        return Err(error("$now() is unavailable"));
    };
    let mut context = Context::new();
    context.bind("t".to_owned(), JValue::Number(now_ms as f64));
    context.bind("p".to_owned(), args.first().cloned().unwrap_or(JValue::Undefined));
    context.bind("z".to_owned(), args.get(1).cloned().unwrap_or(JValue::Undefined));
    Evaluator::with_context(context).evaluate(ast, &JValue::Undefined)
}

/// `$millis()`: `now_ms`.
fn millis(now_ms: i64, args: &[JValue]) -> Result<JValue> {
    no_more_than(args, "millis", 0)?;
    Ok(JValue::Number(now_ms as f64))
}

/// `$toMillis(timestamp [, picture])`. jsonata-core fills the leading fields a picture leaves out (the date of
/// `[H]:[m]`) from the wall clock; here they come from `now_ms`: the timestamp and the picture get those fields
/// prepended, written out from `now_ms`, and jsonata-core's own `$toMillis` parses the result, so everything else
/// (errors, undefined for a mismatch, the defaults of trailing fields) stays jsonata-core's.
fn to_millis(now_ms: i64, args: &[JValue]) -> Result<JValue> {
    static CALLS: OnceLock<[Option<AstNode>; 4]> = OnceLock::new();
    let calls = CALLS.get_or_init(|| {
        ["$toMillis()", "$toMillis($a)", "$toMillis($a, $b)", "$toMillis($a, $b, $c)"]
            .map(|text| jsonata_core::parser::parse(text).ok())
    });
    let mut args = args.to_vec();
    let mut plus_ms = 0;
    if let (Some(timestamp), Some(picture)) = (args.first().and_then(JValue::as_str), args.get(1).and_then(JValue::as_str))
    {
        match picture::anchored(timestamp, picture, now_ms) {
            picture::Anchor::Clockless => {}
            picture::Anchor::Prefixed { timestamp, picture, plus_ms: plus } => {
                args[0] = JValue::string(timestamp);
                args[1] = JValue::string(picture);
                plus_ms = plus;
            }
            picture::Anchor::Unsupported => {
                return Err(error(
                    "D3136: A day of the year without a year cannot be combined with a time of day in a $toMillis \
                     picture; add a year ([Y0001])",
                ));
            }
        }
    }
    let Some(Some(call)) = calls.get(args.len()) else {
        return Err(signature("toMillis", calls.len()));
    };
    let mut context = Context::new();
    for (name, value) in ["a", "b", "c"].into_iter().zip(args) {
        context.bind(name.to_owned(), value);
    }
    match Evaluator::with_context(context).evaluate(call, &JValue::Undefined)? {
        JValue::Number(millis) if plus_ms != 0 => Ok(JValue::Number(millis + plus_ms as f64)),
        other => Ok(other),
    }
}

/// `$shuffle(array)`: the items in an order drawn from the evaluation's stream (a Fisher-Yates shuffle). Like
/// jsonata-js, undefined stays undefined and a single value is an array of one.
fn shuffle(stream: &SplitMix64, args: &[JValue]) -> Result<JValue> {
    no_more_than(args, "shuffle", 1)?;
    let Some(value) = arg(args, 0) else {
        return Ok(JValue::Undefined);
    };
    let mut items = match value.as_array() {
        Some(items) => items.clone(),
        None => vec![value.clone()],
    };
    for i in (1..items.len()).rev() {
        let j = (stream.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    Ok(JValue::array(items))
}

/// `$random([seed])`: a number in [0, 1). With a seed it is `new java.util.Random(seed).nextDouble()`, as on AWS
/// (`$random(42)` is `0.7275636800328681`); without one it comes from the evaluation's stream.
fn random(stream: &SplitMix64, args: &[JValue]) -> Result<JValue> {
    no_more_than(args, "random", 1)?;
    let value = match arg(args, 0) {
        Some(seed) => java_random_next_double(integer(seed, "random", 1)?),
        None => unit_interval(stream.next()),
    };
    Ok(JValue::Number(value))
}

/// `$uuid()`: a version 4 UUID from the evaluation's stream.
fn uuid(stream: &SplitMix64, args: &[JValue]) -> Result<JValue> {
    no_more_than(args, "uuid", 0)?;
    let bits = (u128::from(stream.next()) << 64) | u128::from(stream.next());
    let bits = (bits & !(0xf << 76) & !(0b11 << 62)) | (0x4 << 76) | (0b10 << 62);
    let hex = format!("{bits:032x}");
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default();
    Ok(JValue::string(format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )))
}

/// The stream unseeded `$random()` and `$uuid()` draw from within one evaluation.
struct SplitMix64(Cell<u64>);

impl SplitMix64 {
    fn next(&self) -> u64 {
        let state = self.0.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.0.set(state);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A uniform number in [0, 1) from the top 53 bits of `bits`.
pub(crate) fn unit_interval(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// `new java.util.Random(seed).nextDouble()`.
pub(crate) fn java_random_next_double(seed: i64) -> f64 {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;
    let mut state = (seed as u64 ^ MULTIPLIER) & MASK;
    let mut next = |bits: u32| {
        state = (state.wrapping_mul(MULTIPLIER).wrapping_add(0xB)) & MASK;
        state >> (48 - bits)
    };
    let high = next(26);
    let low = next(27);
    ((high << 27) + low) as f64 / (1u64 << 53) as f64
}

mod picture {
    //! The fields of a `$toMillis` picture that jsonata-core would take from the clock, written out from a given time.

    use std::collections::BTreeSet;

    /// How a `$toMillis` call is made to read `now_ms` instead of the clock.
    pub(super) enum Anchor {
        /// The picture reads no clock.
        Clockless,
        /// The leading fields the picture lacks, written from `now_ms`, are prepended to the timestamp and the
        /// picture; `plus_ms` is added to the result.
        Prefixed { timestamp: String, picture: String, plus_ms: i64 },
        /// A day of the year (`[d]`) without a year but with a time of day. jsonata-core takes the year, the
        /// (unused) day of the month and the leading time fields from the clock, and the same picture with a year
        /// is its error D3136; no rewriting gives the first from `now_ms`, so it is refused as the second.
        Unsupported,
    }

    /// The leading fields the picture lacks, as jsonata-core (after jsonata-js's `parseDateTime`) fills them from
    /// the clock, taken from `now_ms` instead.
    pub(super) fn anchored(timestamp: &str, picture: &str, now_ms: i64) -> Anchor {
        let present = components(picture);
        if present.is_empty() {
            // No field at all: jsonata-core answers undefined without reading the clock.
            return Anchor::Clockless;
        }
        let has = |c: char| present.contains(&c);
        let all_of = |order: &str, allowed: &str| {
            let found: Vec<char> = order.chars().filter(|c| has(*c)).collect();
            !found.is_empty() && found.iter().all(|c| allowed.contains(*c))
        };
        let date_a = all_of("YXMxWwdD", "YMD");
        let date_b = !date_a && all_of("YXMxWwdD", "Yd");
        let time_a = all_of("PHhmsf", "Hmsf");
        let time_b = !time_a && all_of("PHhmsf", "Phmsf");
        let order = format!("{}{}", if date_b { "YD" } else { "YMD" }, if time_b { "Phmsf" } else { "Hmsf" });
        let mut leading: Vec<char> = order.chars().take_while(|c| !has(*c)).collect();
        if leading.is_empty() {
            return Anchor::Clockless;
        }
        let Ok(now) = jiff::Timestamp::from_millisecond(now_ms) else { return Anchor::Clockless };
        let time = now.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        let hour = i64::from(time.hour());
        let mut plus_ms = 0;
        if date_b && !has('Y') {
            // In this mode jsonata-core walks "YD" then the time fields: with no year, the year, the day of the
            // month (which a day of the year ignores) and every time field come from the clock. A prepended year
            // would make the time fields trailing ones (midnight), so the time of day is added afterwards instead.
            if "PHhmsf".chars().any(has) {
                return Anchor::Unsupported;
            }
            leading = vec!['Y'];
            plus_ms = ((hour * 60 + i64::from(time.minute())) * 60 + i64::from(time.second())) * 1000
                + i64::from(time.millisecond());
        }
        let mut stamp = String::new();
        let mut marks = String::new();
        for field in leading {
            let (mark, value) = match field {
                'Y' => ("[Y0001]", format!("{:04}", time.year())),
                'M' => ("[M01]", format!("{:02}", time.month())),
                'D' => ("[D01]", format!("{:02}", time.day())),
                'H' => ("[H01]", format!("{hour:02}")),
                'P' => ("[P]", (if hour >= 12 { "pm" } else { "am" }).to_owned()),
                'h' => ("[h01]", format!("{:02}", if hour % 12 == 0 { 12 } else { hour % 12 })),
                'm' => ("[m01]", format!("{:02}", time.minute())),
                's' => ("[s01]", format!("{:02}", time.second())),
                _ => ("[f001]", format!("{:03}", time.millisecond())),
            };
            marks.push_str(mark);
            marks.push('~');
            stamp.push_str(&value);
            stamp.push('~');
        }
        Anchor::Prefixed { timestamp: stamp + timestamp, picture: marks + picture, plus_ms }
    }

    /// The component letters of a picture's markers: `[Y0001]` is `Y`; `[[` and `]]` are literal brackets.
    fn components(picture: &str) -> BTreeSet<char> {
        let mut found = BTreeSet::new();
        let mut chars = picture.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '[' {
                continue;
            }
            if chars.peek() == Some(&'[') {
                chars.next();
                continue;
            }
            let mut first = None;
            for inner in chars.by_ref() {
                if inner == ']' {
                    break;
                }
                if first.is_none() && !inner.is_whitespace() {
                    first = Some(inner);
                }
            }
            found.extend(first);
        }
        found
    }
}

/// Argument `index`, unless it is missing or undefined.
fn arg(args: &[JValue], index: usize) -> Option<&JValue> {
    args.get(index).filter(|value| !value.is_undefined())
}

/// AWS refuses a surplus argument by naming the first one.
fn no_more_than(args: &[JValue], function: &str, count: usize) -> Result<()> {
    match arg(args, count) {
        Some(_) => Err(signature(function, count + 1)),
        None => Ok(()),
    }
}

fn required_integer(args: &[JValue], index: usize, function: &str) -> Result<i64> {
    match arg(args, index) {
        Some(value) => integer(value, function, index + 1),
        None => Err(signature(function, index + 1)),
    }
}

/// A number argument rounded towards zero, as AWS rounds them (it casts to a Java `long`).
fn integer(value: &JValue, function: &str, position: usize) -> Result<i64> {
    match value {
        // `as` rounds towards zero and saturates, as Java's `(long)` cast does.
        JValue::Number(n) => Ok(*n as i64),
        _ => Err(signature(function, position)),
    }
}

fn signature(function: &str, position: usize) -> EvaluatorError {
    error(&format!(
        "T0410: Argument {position} of function \"{function}\" does not match function signature"
    ))
}

fn error(message: &str) -> EvaluatorError {
    EvaluatorError::EvaluationError(message.to_owned())
}

/// A JSON value read straight into a `JValue`, refusing repeated keys.
struct Strict(JValue);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Strict, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = JValue;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> std::result::Result<JValue, E> {
        Ok(JValue::Null)
    }
    fn visit_bool<E>(self, b: bool) -> std::result::Result<JValue, E> {
        Ok(JValue::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> std::result::Result<JValue, E> {
        Ok(JValue::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> std::result::Result<JValue, E> {
        Ok(JValue::Number(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> std::result::Result<JValue, E> {
        Ok(JValue::Number(n))
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<JValue, E> {
        Ok(JValue::string(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<JValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(JValue::array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<JValue, A::Error> {
        let mut object = JValue::object(Default::default());
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if let Some(members) = object.as_object_mut()
                && members.insert(key, value).is_some()
            {
                return Err(A::Error::custom("repeated key"));
            }
        }
        Ok(object)
    }
}
