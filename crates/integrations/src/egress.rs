//! Which hosts the calls that a definition directs may reach: HTTP Tasks' endpoints and functions given as URLs.
//!
//! A `Policy` is built from allow and deny lists of `Entry`s (`--http-allow`, `--http-deny`): a host name
//! (`api.example.com`, exact and case-insensitive, or `*.example.com` for any name under `example.com` but not
//! `example.com` itself), an IP address (`10.1.2.3`, `fd00::1`, `[fd00::1]`) or a CIDR network (`10.0.0.0/8`,
//! `fd00::/8`). An IPv4-mapped IPv6 address (`::ffff:169.254.169.254`) is its IPv4 address, in entries as in calls.
//!
//! A call's host is checked by its name and by every address it resolves to:
//!
//! 1. An `--http-deny` entry that matches the name or any address refuses the call; nothing overrides it.
//! 2. A restricted policy (`Policy::restricted`, for a server that checks who calls it) refuses the addresses
//!    AWS's HTTP Task cannot reach either: loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10),
//!    the unspecified addresses (0.0.0.0/8, ::) and the instance metadata addresses (169.254.169.254,
//!    fd00:ec2::254). An `--http-allow` address or network reopens such an address if it lies within each of these
//!    ranges that holds the address: `--http-allow 127.0.0.1` or `127.0.0.0/8` reopens loopback, `169.254.0.0/16`
//!    reopens link-local but not the metadata address (that takes `--http-allow 169.254.169.254`), and `0.0.0.0/0`
//!    reopens nothing. A host name in `--http-allow` never reopens them: whoever runs its DNS could point it anywhere.
//! 3. If `--http-allow` has entries, the call must match one: by its name, or by every one of its addresses.
//!
//! An open policy (`Policy::open`, the default) has no step 2; with no entries at all it checks nothing, and calls
//! are made exactly as without a policy.
//!
//! The check runs where the connection is made (`Policy::agent`): the name is resolved once, every address is
//! checked, and only those addresses are connected to, so a name that changes its answer between a check and the
//! connection (DNS rebinding) cannot slip through; each redirect's host is resolved and checked the same way. A
//! policy with entries connects directly, ignoring `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`: through a proxy, the
//! proxy would resolve and connect, and no address of the target could be checked.

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use ureq::config::{Config, ConfigBuilder};
use ureq::http::Uri;
use ureq::typestate::AgentScope;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::Error;

/// Which hosts calls may reach. Cheap to clone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// `None`: open with no entries, which checks nothing.
    rules: Option<Arc<Rules>>,
}

/// One host name, name suffix, address or network of `--http-allow` or `--http-deny`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// As given (trimmed), for messages.
    text: String,
    kind: Kind,
}

/// Why a call was refused, naming the host, the address and the rule; its `Display` is the sentence a task's cause
/// carries (`169.254.169.254 is the instance metadata address, which this server does not call (--http-allow
/// 169.254.169.254 opens it)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The host as the URL gives it, without the brackets of an IPv6 address.
    host: String,
    /// The address refused, unless the name itself was.
    address: Option<IpAddr>,
    reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rules {
    allow: Vec<Entry>,
    deny: Vec<Entry>,
    restricted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Lower case, without a trailing dot.
    Name(String),
    /// `*.example.com` as `.example.com`, lower case.
    Suffix(String),
    Network(Network),
}

/// Invariant: `address` is canonical (an IPv4-mapped IPv6 address is IPv4), `prefix` is at most its bit length, and
/// the bits after the prefix are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reason {
    /// By this `--http-deny` entry.
    Denied(String),
    /// `--http-allow` has entries and none matches.
    NotAllowed,
    /// By the restricted policy's own rules.
    Restricted(Class),
}

/// The kinds of address a restricted policy refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Metadata,
    Loopback,
    LinkLocal,
    Unspecified,
}

/// The ranges a restricted policy refuses, the narrowest first, so that a refusal names the most telling one.
const RESTRICTED: [(Class, Network); 8] = [
    (Class::Metadata, v4([169, 254, 169, 254], 32)),
    (Class::Metadata, v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], 128)),
    (Class::Unspecified, v6([0; 8], 128)),
    (Class::Loopback, v6([0, 0, 0, 0, 0, 0, 0, 1], 128)),
    (Class::Loopback, v4([127, 0, 0, 0], 8)),
    (Class::Unspecified, v4([0, 0, 0, 0], 8)),
    (Class::LinkLocal, v4([169, 254, 0, 0], 16)),
    (Class::LinkLocal, v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10)),
];

impl Policy {
    /// Calls may reach any host but those `deny` matches; if `allow` has entries, only those it matches. With no
    /// entries, the policy checks nothing (Baton's behaviour on a developer's machine).
    pub fn open(allow: Vec<Entry>, deny: Vec<Entry>) -> Policy {
        if allow.is_empty() && deny.is_empty() {
            return Policy { rules: None };
        }
        Policy { rules: Some(Arc::new(Rules { allow, deny, restricted: false })) }
    }

    /// `open`, and also refusing loopback, link-local, unspecified and instance metadata addresses unless an
    /// `allow` address or network within them reopens them (for a server shared by people it checks).
    pub fn restricted(allow: Vec<Entry>, deny: Vec<Entry>) -> Policy {
        Policy { rules: Some(Arc::new(Rules { allow, deny, restricted: true })) }
    }

    /// Whether the policy checks nothing.
    pub fn is_open(&self) -> bool {
        self.rules.is_none()
    }

    /// Whether a call to `host` (a name or an IP address, as a URL gives it) that resolved to `addresses` may be
    /// made.
    pub fn check(&self, host: &str, addresses: &[IpAddr]) -> Result<(), Refusal> {
        let Some(rules) = &self.rules else {
            return Ok(());
        };
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let name = match host.parse::<IpAddr>() {
            Ok(_) => None,
            Err(_) => Some(normal_name(host)),
        };
        let addresses: Vec<IpAddr> = addresses.iter().map(IpAddr::to_canonical).collect();
        let refuse = |address: Option<IpAddr>, reason: Reason| Refusal { host: host.to_owned(), address, reason };
        if let Some(name) = &name
            && let Some(entry) = rules.deny.iter().find(|entry| entry.matches_name(name))
        {
            return Err(refuse(None, Reason::Denied(entry.text.clone())));
        }
        for &address in &addresses {
            if let Some(entry) = rules.deny.iter().find(|entry| entry.contains(address)) {
                return Err(refuse(Some(address), Reason::Denied(entry.text.clone())));
            }
        }
        if rules.restricted {
            for &address in &addresses {
                if let Some(class) = rules.restricted_class(address) {
                    return Err(refuse(Some(address), Reason::Restricted(class)));
                }
            }
        }
        if rules.allow.is_empty() || name.is_some_and(|name| rules.allow.iter().any(|entry| entry.matches_name(&name))) {
            return Ok(());
        }
        match addresses.iter().find(|&&address| !rules.allow.iter().any(|entry| entry.contains(address))) {
            Some(&address) => Err(refuse(Some(address), Reason::NotAllowed)),
            None if addresses.is_empty() => Err(refuse(None, Reason::NotAllowed)),
            None => Ok(()),
        }
    }

    /// An agent that makes its calls under this policy, configured by `config`: it resolves each host (the first
    /// and every redirect's), refuses the call unless `check` accepts the name and all its addresses, and connects
    /// only to those addresses. A refused call's error is `ureq::Error::Other` holding the `Refusal` (`refusal`
    /// finds it). An open policy with no entries gives ureq's own agent.
    pub(crate) fn agent(&self, config: ConfigBuilder<AgentScope>) -> ureq::Agent {
        if self.is_open() {
            return ureq::Agent::new_with_config(config.build());
        }
        let config = config.proxy(None).build();
        ureq::Agent::with_parts(config, DefaultConnector::default(), Checked { policy: self.clone() })
    }
}

/// The refusal inside an error of an agent from `Policy::agent`, if that is why it failed.
pub(crate) fn refusal(error: &ureq::Error) -> Option<&Refusal> {
    match error {
        ureq::Error::Other(inner) => inner.downcast_ref::<Refusal>(),
        _ => None,
    }
}

impl Entry {
    /// Parses an entry: a host name (`api.example.com`, `*.example.com`), an IP address (`10.1.2.3`, `fd00::1`,
    /// `[fd00::1]`) or a CIDR network (`10.0.0.0/8`, `fd00::/8`); it names no scheme and no port.
    pub fn parse(text: &str) -> Result<Entry, Error> {
        let text = text.trim();
        let invalid = |reason: String| Error::HostEntry { entry: text.to_owned(), reason };
        if text.is_empty() {
            return Err(invalid(
                "give a host name (api.example.com, *.example.com), an IP address or a CIDR network (10.0.0.0/8)"
                    .to_owned(),
            ));
        }
        if text.contains("://") {
            return Err(invalid("give the host alone, without a scheme".to_owned()));
        }
        let kind = if let Some((address, prefix)) = text.split_once('/') {
            Kind::Network(network(address, prefix).map_err(invalid)?)
        } else if let Some(address) = ip(text) {
            Kind::Network(Network::host(address))
        } else {
            name(text).map_err(invalid)?
        };
        Ok(Entry { text: text.to_owned(), kind })
    }

    /// The entry as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the entry names `name` (lower case, no trailing dot).
    fn matches_name(&self, name: &str) -> bool {
        match &self.kind {
            Kind::Name(own) => own == name,
            Kind::Suffix(suffix) => name.len() > suffix.len() && name.ends_with(suffix.as_str()),
            Kind::Network(_) => false,
        }
    }

    /// Whether the entry is an address or network that holds `address` (canonical).
    fn contains(&self, address: IpAddr) -> bool {
        match &self.kind {
            Kind::Network(network) => network.contains(address),
            Kind::Name(_) | Kind::Suffix(_) => false,
        }
    }

    /// Whether the entry is an address or network that holds `address` and lies within `range`.
    fn reopens(&self, address: IpAddr, range: &Network) -> bool {
        match &self.kind {
            Kind::Network(network) => network.contains(address) && network.within(range),
            Kind::Name(_) | Kind::Suffix(_) => false,
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Entry {
    type Err = Error;

    fn from_str(text: &str) -> Result<Entry, Error> {
        Entry::parse(text)
    }
}

impl Refusal {
    /// The host refused, as the URL gives it (without the brackets of an IPv6 address): a redirect's host when a
    /// redirect was refused.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = &self.host;
        // A name, or an address written otherwise than its canonical form (`::ffff:169.254.169.254`).
        let resolved = self.address.filter(|address| address.to_string() != *host);
        match (&self.reason, self.address, resolved) {
            (Reason::Denied(entry), None, _) => write!(f, "{host} is denied by --http-deny {entry}"),
            (Reason::Denied(entry), Some(address), None) => write!(f, "{address} is denied by --http-deny {entry}"),
            (Reason::Denied(entry), _, Some(address)) => {
                write!(f, "{host} resolves to {address}, which --http-deny {entry} denies")
            }
            (Reason::Restricted(class), Some(address), None) => write!(
                f,
                "{address} is {}, which this server does not call (--http-allow {address} opens it)",
                class.describe()
            ),
            (Reason::Restricted(class), _, Some(address)) => write!(
                f,
                "{host} resolves to {address}, {}, which this server does not call (--http-allow {address} opens it)",
                class.describe()
            ),
            (Reason::Restricted(class), None, None) => write!(f, "{host} is {}", class.describe()),
            (Reason::NotAllowed, Some(address), None) => write!(f, "{address} is not in --http-allow"),
            (Reason::NotAllowed, _, Some(address)) => {
                write!(f, "{host} is not in --http-allow, nor is its address {address}")
            }
            (Reason::NotAllowed, None, None) => write!(f, "{host} is not in --http-allow"),
        }
    }
}

impl std::error::Error for Refusal {}

impl Rules {
    /// The restricted range that refuses `address` (canonical) and no `allow` entry reopens, if any.
    fn restricted_class(&self, address: IpAddr) -> Option<Class> {
        RESTRICTED
            .iter()
            .filter(|(_, range)| range.contains(address))
            .find(|(_, range)| !self.allow.iter().any(|entry| entry.reopens(address, range)))
            .map(|(class, _)| *class)
    }
}

impl Network {
    /// The network of one address.
    fn host(address: IpAddr) -> Network {
        let address = address.to_canonical();
        Network { address, prefix: bits(address) }
    }

    /// Whether `address` (canonical) is in the network. An IPv4 address is only in IPv4 networks.
    fn contains(&self, address: IpAddr) -> bool {
        match (self.address, address) {
            (IpAddr::V4(own), IpAddr::V4(other)) => {
                mask(u128::from(own.to_bits()), self.prefix, 32) == mask(u128::from(other.to_bits()), self.prefix, 32)
            }
            (IpAddr::V6(own), IpAddr::V6(other)) => {
                mask(own.to_bits(), self.prefix, 128) == mask(other.to_bits(), self.prefix, 128)
            }
            _ => false,
        }
    }

    /// Whether every address of this network is in `other`.
    fn within(&self, other: &Network) -> bool {
        self.prefix >= other.prefix && other.contains(self.address)
    }
}

impl Class {
    fn describe(self) -> &'static str {
        match self {
            Class::Metadata => "the instance metadata address",
            Class::Loopback => "a loopback address",
            Class::LinkLocal => "a link-local address",
            Class::Unspecified => "an unspecified address",
        }
    }
}

/// The resolver of `Policy::agent`: ureq's own, then the policy's check.
#[derive(Debug)]
struct Checked {
    policy: Policy,
}

impl Resolver for Checked {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolved = DefaultResolver::default().resolve(uri, config, timeout)?;
        let addresses: Vec<IpAddr> = resolved.iter().map(std::net::SocketAddr::ip).collect();
        let host = uri.host().unwrap_or_default();
        self.policy.check(host, &addresses).map_err(|refusal| ureq::Error::Other(Box::new(refusal)))?;
        Ok(resolved)
    }
}

/// `network`'s constant form for an IPv4 network.
const fn v4(octets: [u8; 4], prefix: u8) -> Network {
    Network { address: IpAddr::V4(std::net::Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3])), prefix }
}

/// `network`'s constant form for an IPv6 network.
const fn v6(segments: [u16; 8], prefix: u8) -> Network {
    let [a, b, c, d, e, f, g, h] = segments;
    Network { address: IpAddr::V6(std::net::Ipv6Addr::new(a, b, c, d, e, f, g, h)), prefix }
}

/// A host name as entries and calls compare it: lower case, without a trailing dot.
fn normal_name(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// An IP address, IPv6 optionally in brackets, canonical.
fn ip(text: &str) -> Option<IpAddr> {
    let text = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
    text.parse::<IpAddr>().ok().map(|address| address.to_canonical())
}

/// A CIDR network `address/prefix`; an IPv6 network within `::ffff:0:0/96` is the IPv4 network it maps.
fn network(address: &str, prefix: &str) -> Result<Network, String> {
    let Some(parsed) = address
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(address)
        .parse::<IpAddr>()
        .ok()
    else {
        return Err(format!("'{address}' is not an IP address"));
    };
    let Ok(prefix) = prefix.parse::<u8>() else {
        return Err(format!("the prefix length '{prefix}' is not a number from 0 to {}", bits(parsed)));
    };
    if prefix > bits(parsed) {
        let family = if parsed.is_ipv4() { "IPv4" } else { "IPv6" };
        return Err(format!("the prefix length of an {family} network is at most {}", bits(parsed)));
    }
    let (address, prefix) = match parsed {
        IpAddr::V6(v6) if prefix >= 96 && v6.to_ipv4_mapped().is_some() => (parsed.to_canonical(), prefix - 96),
        _ => (parsed, prefix),
    };
    let masked = match address {
        IpAddr::V4(v4) => {
            let bits = mask(u128::from(v4.to_bits()), prefix, 32);
            IpAddr::V4(std::net::Ipv4Addr::from_bits(u32::try_from(bits).unwrap_or(u32::MAX)))
        }
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from_bits(mask(v6.to_bits(), prefix, 128))),
    };
    if masked != address {
        return Err(format!("it has bits set after the prefix; the network is {masked}/{prefix}"));
    }
    Ok(Network { address, prefix })
}

/// A host name entry: labels of letters, digits, `-` and `_`, optionally `*.` first.
fn name(text: &str) -> Result<Kind, String> {
    if text.contains(':') {
        return Err("an entry names a host or a network, without a port (and this is no IP address)".to_owned());
    }
    let lower = normal_name(text);
    let (wildcard, rest) = match lower.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, lower.as_str()),
    };
    if rest.contains('*') {
        return Err("a wildcard may only start a name, as in *.example.com".to_owned());
    }
    let labels: Vec<&str> = rest.split('.').collect();
    let good = |label: &&str| {
        !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if rest.len() > 253 || !labels.iter().all(good) {
        return Err("not a host name, an IP address or a CIDR network".to_owned());
    }
    if labels.last().is_some_and(|label| label.bytes().all(|b| b.is_ascii_digit())) {
        return Err("not an IP address, and a host name does not end in digits".to_owned());
    }
    Ok(if wildcard { Kind::Suffix(format!(".{rest}")) } else { Kind::Name(rest.to_owned()) })
}

/// The number of bits of `address`'s family.
fn bits(address: IpAddr) -> u8 {
    if address.is_ipv4() { 32 } else { 128 }
}

/// The first `prefix` of `width` bits of `value` (in the low `width` bits), the rest zero.
fn mask(value: u128, prefix: u8, width: u8) -> u128 {
    let keep = u32::from(prefix.min(width));
    let drop = u32::from(width) - keep;
    if drop >= 128 { 0 } else { (value >> drop) << drop }
}
