//! `baton serve --credentials FILE`: the keys API calls must be signed with, read from TOML and reloaded on SIGHUP.
//!
//! ```toml
//! [[keys]]
//! access_key_id = "AKIABATONEXAMPLE1"
//! secret_access_key = "a long random secret"
//! account_id = "111122223333"
//! read_only = false          # optional: true lets the key only read
//! metrics = false            # optional: true lets the key read GET /metrics (every account's machine names)
//! ```

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use crate::logging::say;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    keys: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    access_key_id: String,
    secret_access_key: String,
    account_id: String,
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    metrics: bool,
}

/// The keys of the credentials file `path`; a file without any is an error (it would lock every caller out).
pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<server::Key>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the credentials file {}", path.display()))?;
    parse(&text).with_context(|| format!("in the credentials file {}", path.display()))
}

fn parse(text: &str) -> anyhow::Result<Vec<server::Key>> {
    let file: File = toml::from_str(text)?;
    if file.keys.is_empty() {
        anyhow::bail!(
            "there is no key: add a [[keys]] table with access_key_id, secret_access_key and account_id (and \
             read_only = true for a key that may only read)"
        );
    }
    let keys: Vec<server::Key> = file
        .keys
        .into_iter()
        .map(|entry| server::Key {
            access_key_id: entry.access_key_id,
            secret_access_key: entry.secret_access_key,
            account_id: entry.account_id,
            read_only: entry.read_only,
            metrics: entry.metrics,
        })
        .collect();
    // The same checks the server makes, said at start.
    server::Keys::new(keys.clone()).map_err(anyhow::Error::msg)?;
    Ok(keys)
}

/// Reads the credentials file again into `keys` (SIGHUP): the new keys take effect for the next request; a file that
/// does not load is reported, and the keys stay as they were.
pub(crate) fn reload(file: &Path, keys: &server::Keys) {
    match read(file).and_then(|new| keys.replace(new).map_err(anyhow::Error::msg)) {
        Ok(()) => say!("reloaded the credentials file {} ({} keys)", file.display(), keys.len()),
        Err(error) => say!("cannot reload the credentials: {error:#}; the keys stay as they were"),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn a_credentials_file_lists_keys() {
        let keys = parse(
            "[[keys]]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\naccount_id = \"111122223333\"\n\n\
             [[keys]]\naccess_key_id = \"R\"\nsecret_access_key = \"t\"\naccount_id = \"444455556666\"\nread_only = true\n",
        )
        .expect("two keys");
        assert_eq!(keys.len(), 2);
        assert!(!keys[0].read_only && keys[1].read_only);
        assert_eq!(keys[1].account_id, "444455556666");
    }

    #[test]
    fn a_bad_credentials_file_says_what_is_wrong() {
        let message = |text: &str| format!("{:#}", parse(text).expect_err("refused"));
        assert!(message("").contains("there is no key"));
        assert!(message("[[keys]]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n").contains("account_id"));
        assert!(message("[[keys]]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\naccount_id = \"12\"\n").contains("twelve digits"));
        assert!(message("[[keys]]\naccess_key_id = \"A\"\nsecret = \"s\"\naccount_id = \"111122223333\"\n").contains("secret"));
        let twice = "[[keys]]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\naccount_id = \"111122223333\"\n";
        assert!(message(&format!("{twice}{twice}")).contains("given twice"));
    }
}
