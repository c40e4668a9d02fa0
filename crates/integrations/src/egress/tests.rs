//! Tests of `crate::egress`: parsing entries, and the verdicts of open and restricted policies on names and
//! addresses, with the sentences a refusal says.

use std::net::IpAddr;

use crate::Error;
use crate::egress::{Entry, Policy};

fn entries(texts: &[&str]) -> Vec<Entry> {
    texts.iter().map(|text| Entry::parse(text).expect("valid entry")).collect()
}

fn open(allow: &[&str], deny: &[&str]) -> Policy {
    Policy::open(entries(allow), entries(deny))
}

fn restricted(allow: &[&str], deny: &[&str]) -> Policy {
    Policy::restricted(entries(allow), entries(deny))
}

/// `ok`, or the refusal's sentence, for a call to `host` that resolved to `addresses`.
#[track_caller]
fn verdict(policy: &Policy, host: &str, addresses: &[&str]) -> String {
    let addresses: Vec<IpAddr> = addresses.iter().map(|text| text.parse().expect("address")).collect();
    match policy.check(host, &addresses) {
        Ok(()) => "ok".to_owned(),
        Err(refusal) => refusal.to_string(),
    }
}

/// The parse error's message for `text`.
#[track_caller]
fn invalid(text: &str) -> String {
    match Entry::parse(text) {
        Ok(entry) => panic!("'{text}' parsed as {entry:?}"),
        Err(Error::HostEntry { reason, .. }) => reason,
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[test]
fn entries_parse_as_names_suffixes_addresses_and_networks() {
    for text in [
        "api.example.com",
        "API.Example.COM.",
        "localhost",
        "*.example.com",
        "my_host-1.internal",
        "10.1.2.3",
        "fd00::1",
        "[fd00::1]",
        "10.0.0.0/8",
        "0.0.0.0/0",
        "::/0",
        "fe80::/10",
        "[fd00::]/8",
        "::ffff:169.254.0.0/112",
        " 192.168.0.0/16 ",
    ] {
        assert!(Entry::parse(text).is_ok(), "{text}");
    }
    assert_eq!(Entry::parse(" 192.168.0.0/16 ").expect("valid").as_str(), "192.168.0.0/16");
}

#[test]
fn bad_entries_say_what_is_wrong() {
    assert_eq!(
        invalid(""),
        "give a host name (api.example.com, *.example.com), an IP address or a CIDR network (10.0.0.0/8)"
    );
    assert_eq!(invalid("http://example.com"), "give the host alone, without a scheme");
    assert_eq!(invalid("10.0.0.0/33"), "the prefix length of an IPv4 network is at most 32");
    assert_eq!(invalid("fd00::/129"), "the prefix length of an IPv6 network is at most 128");
    assert_eq!(invalid("10.0.0.0/x"), "the prefix length 'x' is not a number from 0 to 32");
    assert_eq!(invalid("10.0.0.1/8"), "it has bits set after the prefix; the network is 10.0.0.0/8");
    assert_eq!(invalid("example.com/8"), "'example.com' is not an IP address");
    assert_eq!(invalid("127.0.0.1:8080"), "an entry names a host or a network, without a port (and this is no IP address)");
    assert_eq!(invalid("a.*.example.com"), "a wildcard may only start a name, as in *.example.com");
    assert_eq!(invalid("*example.com"), "a wildcard may only start a name, as in *.example.com");
    assert_eq!(invalid("*."), "a wildcard may only start a name, as in *.example.com");
    assert_eq!(invalid("a..b"), "not a host name, an IP address or a CIDR network");
    assert_eq!(invalid("exa mple.com"), "not a host name, an IP address or a CIDR network");
    assert_eq!(invalid("10.0.0.256"), "not an IP address, and a host name does not end in digits");
    assert_eq!(
        Entry::parse("10.0.0.1/8").expect_err("invalid").to_string(),
        "invalid host entry '10.0.0.1/8': it has bits set after the prefix; the network is 10.0.0.0/8"
    );
}

#[test]
fn the_default_policy_is_open_and_checks_nothing() {
    let policy = Policy::default();
    assert!(policy.is_open());
    assert_eq!(policy, open(&[], &[]));
    assert_eq!(verdict(&policy, "169.254.169.254", &["169.254.169.254"]), "ok");
    assert_eq!(verdict(&policy, "localhost", &["127.0.0.1", "::1"]), "ok");
    assert!(!restricted(&[], &[]).is_open());
    assert!(!open(&[], &["10.0.0.0/8"]).is_open());
}

#[test]
fn names_match_exactly_and_case_insensitively() {
    let policy = open(&[], &["Internal.Example.com."]);
    assert_eq!(verdict(&policy, "internal.example.com", &["10.1.2.3"]), "internal.example.com is denied by --http-deny Internal.Example.com.");
    assert_eq!(verdict(&policy, "INTERNAL.EXAMPLE.COM.", &["10.1.2.3"]), "INTERNAL.EXAMPLE.COM. is denied by --http-deny Internal.Example.com.");
    assert_eq!(verdict(&policy, "a.internal.example.com", &["10.1.2.3"]), "ok");
    assert_eq!(verdict(&policy, "example.com", &["10.1.2.3"]), "ok");
}

#[test]
fn a_wildcard_matches_names_under_it_but_not_itself() {
    let policy = open(&["*.example.com"], &[]);
    assert_eq!(verdict(&policy, "api.example.com", &["93.184.215.14"]), "ok");
    assert_eq!(verdict(&policy, "a.b.Example.com", &["93.184.215.14"]), "ok");
    assert_eq!(
        verdict(&policy, "example.com", &["93.184.215.14"]),
        "example.com is not in --http-allow, nor is its address 93.184.215.14"
    );
    assert_eq!(
        verdict(&policy, "badexample.com", &["93.184.215.14"]),
        "badexample.com is not in --http-allow, nor is its address 93.184.215.14"
    );
}

#[test]
fn networks_hold_their_addresses_v4_and_v6() {
    let policy = open(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"], &[]);
    assert_eq!(verdict(&policy, "10.255.0.1", &["10.255.0.1"]), "ok");
    assert_eq!(verdict(&policy, "192.0.2.7", &["192.0.2.7"]), "ok");
    assert_eq!(verdict(&policy, "2001:db8:1::5", &["2001:db8:1::5"]), "ok");
    assert_eq!(verdict(&policy, "11.0.0.1", &["11.0.0.1"]), "11.0.0.1 is not in --http-allow");
    assert_eq!(verdict(&policy, "192.0.2.8", &["192.0.2.8"]), "192.0.2.8 is not in --http-allow");
    assert_eq!(verdict(&policy, "2001:db9::1", &["2001:db9::1"]), "2001:db9::1 is not in --http-allow");
    // The brackets of a URL's IPv6 host do not matter.
    assert_eq!(verdict(&policy, "[2001:db8::1]", &["2001:db8::1"]), "ok");
    // An IPv4 address is not in an IPv6 network that is not the mapped range, nor the reverse.
    assert_eq!(verdict(&open(&["::/0"], &[]), "10.0.0.1", &["10.0.0.1"]), "10.0.0.1 is not in --http-allow");
    assert_eq!(verdict(&open(&["0.0.0.0/0"], &[]), "::2", &["::2"]), "::2 is not in --http-allow");
}

#[test]
fn a_name_passes_the_allow_list_by_its_name_or_by_every_address() {
    let policy = open(&["10.0.0.0/8"], &[]);
    assert_eq!(verdict(&policy, "db.internal", &["10.0.0.5", "10.0.0.6"]), "ok");
    assert_eq!(
        verdict(&policy, "db.internal", &["10.0.0.5", "192.0.2.1"]),
        "db.internal is not in --http-allow, nor is its address 192.0.2.1"
    );
    let by_name = open(&["db.internal"], &[]);
    assert_eq!(verdict(&by_name, "db.internal", &["10.0.0.5", "192.0.2.1"]), "ok");
}

#[test]
fn deny_wins_over_allow_by_name_and_by_any_address() {
    let policy = open(&["*.example.com", "10.0.0.0/8"], &["secret.example.com", "10.9.0.0/16"]);
    assert_eq!(
        verdict(&policy, "secret.example.com", &["192.0.2.1"]),
        "secret.example.com is denied by --http-deny secret.example.com"
    );
    assert_eq!(
        verdict(&policy, "api.example.com", &["192.0.2.1", "10.9.1.1"]),
        "api.example.com resolves to 10.9.1.1, which --http-deny 10.9.0.0/16 denies"
    );
    assert_eq!(verdict(&policy, "10.9.1.1", &["10.9.1.1"]), "10.9.1.1 is denied by --http-deny 10.9.0.0/16");
    assert_eq!(verdict(&policy, "10.8.1.1", &["10.8.1.1"]), "ok");
}

#[test]
fn the_restricted_policy_refuses_loopback_link_local_unspecified_and_metadata() {
    let policy = restricted(&[], &[]);
    assert_eq!(
        verdict(&policy, "169.254.169.254", &["169.254.169.254"]),
        "169.254.169.254 is the instance metadata address, which this server does not call \
         (--http-allow 169.254.169.254 opens it)"
    );
    assert_eq!(
        verdict(&policy, "fd00:ec2::254", &["fd00:ec2::254"]),
        "fd00:ec2::254 is the instance metadata address, which this server does not call \
         (--http-allow fd00:ec2::254 opens it)"
    );
    assert_eq!(
        verdict(&policy, "127.0.0.1", &["127.0.0.1"]),
        "127.0.0.1 is a loopback address, which this server does not call (--http-allow 127.0.0.1 opens it)"
    );
    assert_eq!(
        verdict(&policy, "127.8.9.10", &["127.8.9.10"]),
        "127.8.9.10 is a loopback address, which this server does not call (--http-allow 127.8.9.10 opens it)"
    );
    assert_eq!(
        verdict(&policy, "[::1]", &["::1"]),
        "::1 is a loopback address, which this server does not call (--http-allow ::1 opens it)"
    );
    assert_eq!(
        verdict(&policy, "169.254.1.2", &["169.254.1.2"]),
        "169.254.1.2 is a link-local address, which this server does not call (--http-allow 169.254.1.2 opens it)"
    );
    assert_eq!(
        verdict(&policy, "fe80::1", &["fe80::1"]),
        "fe80::1 is a link-local address, which this server does not call (--http-allow fe80::1 opens it)"
    );
    assert_eq!(
        verdict(&policy, "0.0.0.0", &["0.0.0.0"]),
        "0.0.0.0 is an unspecified address, which this server does not call (--http-allow 0.0.0.0 opens it)"
    );
    assert_eq!(
        verdict(&policy, "::", &["::"]),
        ":: is an unspecified address, which this server does not call (--http-allow :: opens it)"
    );
    assert_eq!(
        verdict(&policy, "localhost", &["::1", "127.0.0.1"]),
        "localhost resolves to ::1, a loopback address, which this server does not call (--http-allow ::1 opens it)"
    );
    // Any one restricted address refuses the name.
    assert_eq!(
        verdict(&policy, "rebind.example", &["93.184.215.14", "169.254.169.254"]),
        "rebind.example resolves to 169.254.169.254, the instance metadata address, which this server does not \
         call (--http-allow 169.254.169.254 opens it)"
    );
    assert_eq!(verdict(&policy, "example.com", &["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]), "ok");
    assert_eq!(verdict(&policy, "10.0.0.1", &["10.0.0.1"]), "ok");
}

#[test]
fn ipv4_mapped_ipv6_addresses_count_as_their_ipv4_address() {
    let policy = restricted(&[], &[]);
    assert_eq!(
        verdict(&policy, "[::ffff:169.254.169.254]", &["::ffff:169.254.169.254"]),
        "::ffff:169.254.169.254 resolves to 169.254.169.254, the instance metadata address, which this server does \
         not call (--http-allow 169.254.169.254 opens it)"
    );
    assert_eq!(
        verdict(&policy, "mapped.example", &["::ffff:127.0.0.1"]),
        "mapped.example resolves to 127.0.0.1, a loopback address, which this server does not call \
         (--http-allow 127.0.0.1 opens it)"
    );
    // In entries too: a mapped network is the IPv4 network.
    let policy = open(&[], &["::ffff:10.0.0.0/104"]);
    assert_eq!(verdict(&policy, "10.1.1.1", &["10.1.1.1"]), "10.1.1.1 is denied by --http-deny ::ffff:10.0.0.0/104");
    assert_eq!(verdict(&policy, "x", &["::ffff:10.1.1.1"]), "x resolves to 10.1.1.1, which --http-deny ::ffff:10.0.0.0/104 denies");
    let policy = open(&["::ffff:192.0.2.1"], &[]);
    assert_eq!(verdict(&policy, "192.0.2.1", &["192.0.2.1"]), "ok");
}

#[test]
fn an_allowed_address_or_network_within_a_restricted_range_reopens_it() {
    let policy = restricted(&["127.0.0.1"], &[]);
    assert_eq!(verdict(&policy, "127.0.0.1", &["127.0.0.1"]), "ok");
    assert_eq!(
        verdict(&policy, "127.0.0.2", &["127.0.0.2"]),
        "127.0.0.2 is a loopback address, which this server does not call (--http-allow 127.0.0.2 opens it)"
    );
    // The allow list also limits what is reachable.
    assert_eq!(verdict(&policy, "93.184.215.14", &["93.184.215.14"]), "93.184.215.14 is not in --http-allow");
    // Loopback reopened, everything else open too, metadata and link-local still closed: 0.0.0.0/0 reopens nothing.
    let policy = restricted(&["127.0.0.0/8", "0.0.0.0/0", "::/0"], &[]);
    assert_eq!(verdict(&policy, "127.0.0.2", &["127.0.0.2"]), "ok");
    assert_eq!(verdict(&policy, "93.184.215.14", &["93.184.215.14"]), "ok");
    assert_eq!(
        verdict(&policy, "169.254.169.254", &["169.254.169.254"]),
        "169.254.169.254 is the instance metadata address, which this server does not call \
         (--http-allow 169.254.169.254 opens it)"
    );
    assert_eq!(
        verdict(&policy, "::1", &["::1"]),
        "::1 is a loopback address, which this server does not call (--http-allow ::1 opens it)"
    );
    // Link-local reopened does not reopen the metadata address within it.
    let policy = restricted(&["169.254.0.0/16"], &[]);
    assert_eq!(verdict(&policy, "169.254.1.1", &["169.254.1.1"]), "ok");
    assert_eq!(
        verdict(&policy, "169.254.169.254", &["169.254.169.254"]),
        "169.254.169.254 is the instance metadata address, which this server does not call \
         (--http-allow 169.254.169.254 opens it)"
    );
    assert_eq!(verdict(&restricted(&["169.254.169.254"], &[]), "169.254.169.254", &["169.254.169.254"]), "ok");
}

#[test]
fn an_allowed_name_does_not_reopen_a_restricted_address() {
    let policy = restricted(&["localhost", "*.example.com"], &[]);
    assert_eq!(
        verdict(&policy, "localhost", &["127.0.0.1"]),
        "localhost resolves to 127.0.0.1, a loopback address, which this server does not call \
         (--http-allow 127.0.0.1 opens it)"
    );
    assert_eq!(
        verdict(&policy, "evil.example.com", &["169.254.169.254"]),
        "evil.example.com resolves to 169.254.169.254, the instance metadata address, which this server does not \
         call (--http-allow 169.254.169.254 opens it)"
    );
    assert_eq!(verdict(&policy, "api.example.com", &["93.184.215.14"]), "ok");
}

#[test]
fn an_explicit_deny_wins_over_an_allow_that_reopens() {
    let policy = restricted(&["127.0.0.1"], &["127.0.0.0/8"]);
    assert_eq!(verdict(&policy, "127.0.0.1", &["127.0.0.1"]), "127.0.0.1 is denied by --http-deny 127.0.0.0/8");
    let policy = restricted(&["127.0.0.1"], &["localhost"]);
    assert_eq!(verdict(&policy, "localhost", &["127.0.0.1"]), "localhost is denied by --http-deny localhost");
    assert_eq!(verdict(&policy, "127.0.0.1", &["127.0.0.1"]), "ok");
}
