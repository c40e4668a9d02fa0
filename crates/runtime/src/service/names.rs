//! AWS's rules for names and ARNs, and generated execution names.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::service::Error;

/// Checks a state machine or execution name: 1 to 80 characters, no whitespace, no `< > { } [ ] ? * " # % \ ^ | ~
/// ` $ & , ; : /`, no control characters.
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    let length = name.chars().count();
    let bad = name.chars().find(|c| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(*c));
    if length == 0 || length > 80 || bad.is_some() {
        return Err(Error::InvalidName(format!("Invalid Name: '{name}'")));
    }
    Ok(())
}

/// Checks a role ARN, as CreateStateMachine and UpdateStateMachine take it: `arn:<partition>:iam::<account>:role/<name>`
/// (the name may have a path). Baton assumes no role, so only the form is checked; the message is AWS's.
pub(crate) fn check_role_arn(arn: &str) -> Result<(), Error> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource] => {
            partition.starts_with("aws")
                && !account.is_empty()
                && account.chars().all(|c| c.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty() && !name.ends_with('/'))
        }
        _ => false,
    };
    if valid { Ok(()) } else { Err(Error::InvalidArn(format!("Invalid Role Arn: '{arn}'"))) }
}

/// The parts of a state machine ARN: `arn:aws:states:<region>:<account>:stateMachine:<name>`.
pub(crate) fn state_machine_name(arn: &str) -> Result<&str, Error> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "states", _, _, "stateMachine", name] if partition.starts_with("aws") && !name.is_empty() => Ok(name),
        ["arn", _, "states", _, _, kind, ..] if *kind != "stateMachine" => {
            Err(Error::InvalidArn(format!("Invalid Arn: 'Resource type not valid in this context: {kind}'")))
        }
        _ => Err(Error::InvalidArn(format!("Invalid Arn: '{arn}'"))),
    }
}

/// Checks an execution ARN: `arn:aws:states:<region>:<account>:execution|express:<machine>:<name>[:<id>]`.
pub(crate) fn check_execution_arn(arn: &str) -> Result<(), Error> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "states", _, _, "execution", machine, name]
        | ["arn", partition, "states", _, _, "express", machine, name, _]
            if partition.starts_with("aws") && !machine.is_empty() && !name.is_empty() =>
        {
            Ok(())
        }
        ["arn", _, "states", _, _, kind, ..] if *kind != "execution" && *kind != "express" => {
            Err(Error::InvalidArn(format!("Invalid Arn: 'Resource type not valid in this context: {kind}'")))
        }
        _ => Err(Error::InvalidArn(format!("Invalid Arn: '{arn}'"))),
    }
}

/// Checks an activity ARN: `arn:aws:states:<region>:<account>:activity:<name>`.
pub(crate) fn check_activity_arn(arn: &str) -> Result<(), Error> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "states", _, _, "activity", name] if partition.starts_with("aws") && !name.is_empty() => Ok(()),
        ["arn", _, "states", _, _, kind, ..] if *kind != "activity" => {
            Err(Error::InvalidArn(format!("Invalid Arn: 'Resource type not valid in this context: {kind}'")))
        }
        _ => Err(Error::InvalidArn(format!("Invalid Arn: '{arn}'"))),
    }
}

/// The account of an ARN (`arn:<partition>:<service>:<region>:<account>:…`).
pub fn account_of(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next()? == "arn").then_some(())?;
    parts.nth(3)
}

/// A fresh random name in UUID form, for executions started without one and for revision ids.
pub(crate) fn uuid() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    let a = hasher.finish();
    hasher.write_u64(a);
    let b = hasher.finish();
    uuid_from(a, b)
}

/// Two 64-bit values in the form of a version-4 UUID.
pub(crate) fn uuid_from(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        (a & 0xfff) as u16,
        ((b >> 48) as u16 & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::{check_execution_arn, check_name, check_role_arn, state_machine_name, uuid};
    use crate::service::Error;

    #[test]
    fn names() {
        assert!(check_name("ok-name_1").is_ok());
        for bad in ["", "has space", "a/b", "x#y", &"n".repeat(81)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn arns() {
        assert_eq!(state_machine_name("arn:aws:states:us-east-1:123456789012:stateMachine:m").ok(), Some("m"));
        assert!(state_machine_name("arn:aws:states:us-east-1:123456789012:execution:m:e").is_err());
        assert!(state_machine_name("nonsense").is_err());
        assert!(check_execution_arn("arn:aws:states:us-east-1:123456789012:execution:m:e").is_ok());
        assert!(check_execution_arn("arn:aws:states:us-east-1:123456789012:express:m:e:id").is_ok());
        assert!(check_execution_arn("arn:aws:states:us-east-1:123456789012:stateMachine:m").is_err());
    }

    #[test]
    fn role_arns() {
        for good in [
            "arn:aws:iam::123456789012:role/baton",
            "arn:aws-cn:iam::123456789012:role/service-role/StepFunctions-x",
            "arn:aws-us-gov:iam::000000000000:role/a",
        ] {
            assert!(check_role_arn(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "r",
            "arn:aws:iam::aws:policy/AWSBatchFullAccess",
            "arn:aws:iam::123456789012:user/me",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam:us-east-1:123456789012:role/r",
            "arn:aws:iam:::role/r",
            "arn:aws:sts::123456789012:role/r",
            "arn:other:iam::123456789012:role/r",
        ] {
            assert!(matches!(check_role_arn(bad), Err(Error::InvalidArn(m)) if m == format!("Invalid Role Arn: '{bad}'")), "{bad}");
        }
    }

    #[test]
    fn uuids_differ_and_look_like_v4() {
        let (a, b) = (uuid(), uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.chars().nth(14), Some('4'));
    }
}
