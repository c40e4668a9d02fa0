//! The AWS partition of a region: the second field of every ARN (`arn:<partition>:states:<region>:…`).
//!
//! The prefixes are those of the region patterns in AWS's published partition list (botocore's `partitions.json`):
//! `cn-*` is `aws-cn`, `us-gov-*` is `aws-us-gov`, the isolated regions have their `aws-iso*` partitions, and every
//! other region (including names AWS does not know, such as a local test region) is in `aws`.

/// Region name prefixes and their partitions; the first match wins.
const PARTITIONS: &[(&str, &str)] = &[
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
    ("eusc-", "aws-eusc"),
];

/// The partition of `region`.
pub fn partition(region: &str) -> &'static str {
    PARTITIONS.iter().find(|(prefix, _)| region.starts_with(prefix)).map_or("aws", |(_, partition)| partition)
}

#[cfg(test)]
mod tests {
    use super::partition;

    #[test]
    fn partitions() {
        for (region, expected) in [
            ("us-east-1", "aws"),
            ("eu-west-3", "aws"),
            ("local", "aws"),
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            assert_eq!(partition(region), expected, "{region}");
        }
    }
}
