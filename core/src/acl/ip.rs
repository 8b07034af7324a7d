//! IP address patterns: `10.0.0.1`, `::1`, `10.0.0.0/8`, `2001:db8::/32`,
//! `10.0.0.1-10.0.0.20`, and `*` (every address).
//!
//! IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) match as the IPv4 address they carry.

use crate::error::FieldError;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// Most patterns in one [`IpList`].
pub const MAX_IP_PATTERNS: usize = 1000;

/// One address pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum IpPattern {
    /// `*`: every address.
    Any,
    /// One address.
    Single(IpAddr),
    /// A network in CIDR notation (host bits dropped: `10.1.2.3/8` is `10.0.0.0/8`).
    Net(IpNet),
    /// An inclusive range of one family, low ≤ high.
    Range(IpAddr, IpAddr),
}

/// Why an address pattern is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address, CIDR network, range a-b or *")]
pub struct BadIpPattern(pub String);

fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

impl FromStr for IpPattern {
    type Err = BadIpPattern;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let s = raw.trim();
        let bad = || BadIpPattern(raw.to_string());
        if s == "*" {
            return Ok(IpPattern::Any);
        }
        if let Some((a, b)) = s.split_once('-') {
            let a: IpAddr = a.trim().parse().map_err(|_| bad())?;
            let b: IpAddr = b.trim().parse().map_err(|_| bad())?;
            let (a, b) = (canonical(a), canonical(b));
            if a.is_ipv4() != b.is_ipv4() || a > b {
                return Err(bad());
            }
            return Ok(IpPattern::Range(a, b));
        }
        if s.contains('/') {
            let net: IpNet = s.parse().map_err(|_| bad())?;
            return Ok(IpPattern::Net(net.trunc()));
        }
        s.parse::<IpAddr>()
            .map(|ip| IpPattern::Single(canonical(ip)))
            .map_err(|_| bad())
    }
}

impl IpPattern {
    /// True when `ip` is covered by the pattern.
    pub fn matches(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match self {
            IpPattern::Any => true,
            IpPattern::Single(a) => *a == ip,
            IpPattern::Net(n) => n.contains(&ip),
            IpPattern::Range(a, b) => a.is_ipv4() == ip.is_ipv4() && *a <= ip && ip <= *b,
        }
    }
}

impl fmt::Display for IpPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpPattern::Any => f.write_str("*"),
            IpPattern::Single(a) => write!(f, "{a}"),
            IpPattern::Net(n) => write!(f, "{n}"),
            IpPattern::Range(a, b) => write!(f, "{a}-{b}"),
        }
    }
}

impl TryFrom<String> for IpPattern {
    type Error = BadIpPattern;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<IpPattern> for String {
    fn from(p: IpPattern) -> String {
        p.to_string()
    }
}

/// A list of address patterns; matches when any pattern does. An empty list matches
/// nothing (write `*` for every address). Serialized as a list of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IpList(pub Vec<IpPattern>);

impl IpList {
    /// `["*"]`.
    pub fn any() -> Self {
        IpList(vec![IpPattern::Any])
    }

    /// Parse each string; an error names the offending entry (`ips[2]`), or the list
    /// (`ips`) when it has more than [`MAX_IP_PATTERNS`] entries.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, FieldError> {
        crate::request::check_len("ips", items, MAX_IP_PATTERNS)?;
        items
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.as_ref().trim().is_empty())
            .map(|(i, s)| {
                s.as_ref()
                    .parse()
                    .map_err(|e: BadIpPattern| FieldError::new(format!("ips[{i}]"), e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(IpList)
    }

    /// Parse text with one pattern per line or comma-separated (blank entries skipped).
    pub fn parse_text(text: &str) -> Result<Self, FieldError> {
        let items: Vec<&str> = text
            .split([',', '\n', '\r'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        Self::parse(&items).map_err(|e| FieldError::new("ips", e.reason))
    }

    /// True when some pattern covers `ip`.
    pub fn matches(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|p| p.matches(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }
    fn pat(s: &str) -> IpPattern {
        s.parse().unwrap()
    }

    #[test]
    fn single_addresses() {
        assert!(pat("10.0.0.1").matches(ip("10.0.0.1")));
        assert!(!pat("10.0.0.1").matches(ip("10.0.0.2")));
        assert!(pat("::1").matches(ip("::1")));
        assert!(pat("10.0.0.1").matches(ip("::ffff:10.0.0.1")));
    }

    #[test]
    fn networks() {
        assert!(pat("10.0.0.0/8").matches(ip("10.255.1.2")));
        assert!(!pat("10.0.0.0/8").matches(ip("11.0.0.1")));
        assert!(pat("2001:db8::/32").matches(ip("2001:db8:1::5")));
        assert!(!pat("2001:db8::/32").matches(ip("2001:db9::1")));
        assert_eq!(pat("10.1.2.3/8").to_string(), "10.0.0.0/8");
    }

    #[test]
    fn ranges() {
        let r = pat("10.0.0.1-10.0.0.20");
        assert!(r.matches(ip("10.0.0.1")));
        assert!(r.matches(ip("10.0.0.20")));
        assert!(r.matches(ip("10.0.0.7")));
        assert!(!r.matches(ip("10.0.0.21")));
        assert!(!r.matches(ip("::1")));
        assert!("10.0.0.20-10.0.0.1".parse::<IpPattern>().is_err());
        assert!("10.0.0.1-::2".parse::<IpPattern>().is_err());
    }

    #[test]
    fn star_and_garbage() {
        assert!(pat("*").matches(ip("1.2.3.4")));
        assert!(pat("*").matches(ip("::1")));
        for bad in ["", "10.0.0", "10.0.0.0/33", "abc", "1.2.3.4-"] {
            assert!(bad.parse::<IpPattern>().is_err(), "{bad}");
        }
    }

    #[test]
    fn lists() {
        let l = IpList::parse_text("10.0.0.0/8, 192.168.1.1\n::1").unwrap();
        assert_eq!(l.0.len(), 3);
        assert!(l.matches(ip("192.168.1.1")));
        assert!(!l.matches(ip("192.168.1.2")));
        assert!(!IpList::default().matches(ip("10.0.0.1")));
        let e = IpList::parse(&["10.0.0.1", "nope"]).unwrap_err();
        assert_eq!(e.field, "ips[1]");
        let json = serde_json::to_string(&l).unwrap();
        assert_eq!(json, r#"["10.0.0.0/8","192.168.1.1","::1"]"#);
        assert_eq!(serde_json::from_str::<IpList>(&json).unwrap(), l);
    }

    #[test]
    fn lists_are_capped() {
        let many = vec!["10.0.0.1"; MAX_IP_PATTERNS + 1];
        let e = IpList::parse(&many).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            ("ips", "at most 1000 items (got 1001)")
        );
        assert!(IpList::parse(&many[1..]).is_ok());
        assert_eq!(
            IpList::parse_text(&many.join(",")).unwrap_err().field,
            "ips"
        );
    }
}
