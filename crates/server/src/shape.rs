//! Request shapes as the AWS model constrains them: required members, lengths, ranges and enum values.
//!
//! `Shape` is implemented for each `api` request type beside its handler (`actions/*`); `AwsJson` applies it, so a
//! handler only ever sees a request that has the model's shape. Messages follow AWS's validator word for word
//! ("1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be
//! null"), all problems of a request in one message. What a valid-looking value *means* (an ARN that names nothing,
//! a definition that does not parse) is the `Service`'s business, not this module's.

#[cfg(test)]
mod tests;

use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A request type with the constraints of its model shape.
pub(crate) trait Shape: DeserializeOwned {
    /// Members the model marks required, in its order. Absent or `null` is a `ValidationException`.
    const REQUIRED: &'static [&'static str];

    /// Checks the constraints on present members.
    fn validate(&self) -> Result<(), ApiError>;
}

/// How a string's length is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Length {
    /// In UTF-16 code units, as AWS's (Java) validator counts; the value is quoted in the message.
    Chars,
    /// As `Chars`, but a sensitive value is never quoted back.
    SensitiveChars,
    /// In bytes of UTF-8, as the 256 KiB payload limit counts; never quoted back.
    SensitiveBytes,
}

/// The constraint violations of one request, gathered into one `ValidationException`.
#[derive(Debug, Default)]
pub(crate) struct Violations {
    problems: Vec<String>,
}

impl Violations {
    /// A required member is absent or `null`.
    pub(crate) fn null(&mut self, member: &str) {
        self.problems.push(format!(
            "Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// `value`, if present, must have a length in `min..=max`.
    pub(crate) fn length(&mut self, member: &str, value: Option<&str>, min: usize, max: usize, unit: Length) {
        let Some(value) = value else { return };
        let length = match unit {
            Length::Chars | Length::SensitiveChars => value.encode_utf16().count(),
            Length::SensitiveBytes => value.len(),
        };
        let quoted = match unit {
            Length::Chars => format!("Value '{value}'"),
            Length::SensitiveChars | Length::SensitiveBytes => "Value".to_owned(),
        };
        if length < min {
            self.problems.push(format!(
                "{quoted} at '{member}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        } else if length > max {
            self.problems.push(format!(
                "{quoted} at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    /// `value`, if present, must lie in `min..=max`.
    pub(crate) fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: i64) {
        let Some(value) = value else { return };
        if value < min {
            self.problems.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
            ));
        } else if value > max {
            self.problems.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: Member must have value less than or equal to {max}"
            ));
        }
    }

    /// `value`, if present, must be one of `allowed`.
    pub(crate) fn one_of(&mut self, member: &str, value: Option<&str>, allowed: &[&str]) {
        let Some(value) = value else { return };
        if !allowed.contains(&value) {
            self.problems.push(enum_problem(member, value, allowed));
        }
    }

    /// A violation the other checks do not describe, worded as AWS words it.
    pub(crate) fn problem(&mut self, problem: String) {
        self.problems.push(problem);
    }

    /// `Ok` when nothing was violated, else one `ValidationException` listing every violation.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        match self.problems.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.problems.join("; ")
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.problems.join("; ")
            ))),
        }
    }
}

/// The `ValidationException` of a member whose value is not one of `allowed`.
pub(crate) fn enum_error(member: &str, value: &str, allowed: &[&str]) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: {}",
        enum_problem(member, value, allowed)
    ))
}

fn enum_problem(member: &str, value: &str, allowed: &[&str]) -> String {
    format!(
        "Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        allowed.join(", ")
    )
}

/// Limits of the model shared by several requests.
pub(crate) mod limits {
    /// `Name`.
    pub(crate) const NAME: usize = 80;
    /// `Arn` (state machine, execution and role ARNs).
    pub(crate) const ARN: usize = 256;
    /// `Definition`.
    pub(crate) const DEFINITION: usize = 1_048_576;
    /// `SensitiveData` (execution input), in bytes.
    pub(crate) const INPUT: usize = 262_144;
    /// `TraceHeader`, `VersionDescription`, `SensitiveError`.
    pub(crate) const SHORT_TEXT: usize = 256;
    /// `SensitiveCause`.
    pub(crate) const CAUSE: usize = 32_768;
    /// `PageToken`.
    pub(crate) const PAGE_TOKEN: usize = 1024;
    /// `PageSize`.
    pub(crate) const PAGE_SIZE: i64 = 1000;
    /// `includedData`.
    pub(crate) const INCLUDED_DATA: &[&str] = &["ALL_DATA", "METADATA_ONLY"];
}

/// Checks the paging members shared by the list actions.
pub(crate) fn paging(violations: &mut Violations, max_results: Option<i64>, next_token: Option<&str>) {
    violations.range("maxResults", max_results, 0, limits::PAGE_SIZE);
    violations.length("nextToken", next_token, 1, limits::PAGE_TOKEN, Length::Chars);
}
