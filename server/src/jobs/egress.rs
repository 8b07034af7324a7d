//! Where Tollgate's own outgoing HTTP (webhook deliveries) may go.
//!
//! A webhook URL is chosen by an administrator, but it must not turn Tollgate into a way to
//! reach what only Tollgate's machine can reach: its own private Postgres, a cloud metadata
//! service (`169.254.169.254`), services on the loopback or the private network. Loopback,
//! link-local, private, shared (CGNAT), unspecified, broadcast and multicast addresses are
//! refused unless they are in `TOLLGATE_WEBHOOK_ALLOW` (CIDRs).
//!
//! The check is made on the **address connected to**: names go through [`GuardedResolver`],
//! which drops every address that is not allowed (so a name that resolves to `127.0.0.1`
//! today, or only at delivery time, is refused), and URLs that name an IP literal (including
//! forms such as `2130706433` or `[::ffff:127.0.0.1]`, which the URL parser turns into the
//! address) are checked by [`check_url_host`] before the request. Redirects are not followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use tollgate_core::IpList;

/// Why an address is not reachable, or `None` when it is an ordinary public address.
pub fn internal_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_kind(v4);
            }
            let seg0 = v6.segments()[0];
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if seg0 & 0xffc0 == 0xfe80 {
                Some("a link-local address")
            } else if seg0 & 0xfe00 == 0xfc00 {
                Some("a private (unique local) address")
            } else if seg0 == 0x64 && v6.segments()[1] == 0xff9b {
                // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
                let [.., a, b] = v6.segments();
                v4_kind(Ipv4Addr::from(((a as u32) << 16) | b as u32))
            } else {
                None
            }
        }
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() || a == 0 {
        Some("the unspecified address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (carrier-grade NAT) address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if ip.is_broadcast() || a >= 240 {
        Some("a reserved address")
    } else {
        None
    }
}

/// Ok when Tollgate may connect to `ip`; else the reason, naming the address.
pub fn check_ip(ip: IpAddr, allow: Option<&IpList>) -> Result<(), String> {
    match internal_kind(ip) {
        None => Ok(()),
        Some(_) if allow.is_some_and(|a| a.matches(ip)) => Ok(()),
        Some(kind) => Err(format!(
            "refused: {ip} is {kind} (not in TOLLGATE_WEBHOOK_ALLOW)"
        )),
    }
}

/// Checks the host of `url` when it is an IP literal or `localhost` (names are checked by the
/// resolver when connecting). Err: why it is refused.
pub fn check_url_host(url: &str, allow: Option<&IpList>) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    match parsed.host() {
        Some(url::Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), allow),
        Some(url::Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), allow),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                check_ip(IpAddr::V6(Ipv6Addr::LOCALHOST), allow)
                    .and(check_ip(IpAddr::V4(Ipv4Addr::LOCALHOST), allow))
            } else {
                Ok(())
            }
        }
        None => Err("the URL names no host".into()),
    }
}

/// A DNS resolver for reqwest that keeps only the addresses Tollgate may connect to.
#[derive(Debug, Clone, Default)]
pub struct GuardedResolver {
    pub allow: Option<IpList>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refusal = None;
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match check_ip(a.ip(), allow.as_ref()) {
                    Ok(()) => true,
                    Err(e) => {
                        refusal.get_or_insert(e);
                        false
                    }
                })
                .collect();
            if kept.is_empty() {
                let why = refusal.unwrap_or_else(|| format!("{host} has no address"));
                return Err(format!("{host}: {why}").into());
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An HTTP client whose connections obey the rules above (no redirects, `timeout` per request),
/// verifying `https://` receivers against `roots` (tls.rs).
pub fn client(
    allow: Option<IpList>,
    timeout: std::time::Duration,
    roots: &crate::tls::Roots,
) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(roots.client_config())
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver { allow }))
        .build()
        .expect("the HTTP client builds (rustls with its roots)")
}

/// An error and its causes, in one line (reqwest's own text leaves the cause out).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        check_url_host(url, None).is_err()
    }

    #[test]
    fn internal_addresses_are_refused_in_every_spelling() {
        for url in [
            "http://127.0.0.1/x",
            "http://127.1/x",
            "http://2130706433/x",
            "http://0x7f000001/x",
            "http://[::1]/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://[::ffff:7f00:1]/x",
            "http://169.254.169.254/latest/meta-data",
            "http://10.1.2.3/x",
            "http://172.16.0.1/x",
            "http://192.168.1.1/x",
            "http://100.64.0.1/x",
            "http://0.0.0.0:5545/x",
            "http://[::]/x",
            "http://224.0.0.1/x",
            "http://[fe80::1]/x",
            "http://[fd00::1]/x",
            "http://[64:ff9b::7f00:1]/x",
            "http://localhost:5545/x",
            "http://LOCALHOST./x",
            "http://db.localhost/x",
        ] {
            assert!(refused(url), "{url}");
        }
        for url in [
            "https://hooks.example.com/x",
            "http://93.184.216.34/x",
            "http://[2606:2800:220:1::]/x",
        ] {
            assert!(!refused(url), "{url}");
        }
    }

    #[test]
    fn the_allow_list_lets_named_ranges_through() {
        let allow = IpList::parse_text("127.0.0.0/8, ::1").unwrap();
        assert!(check_url_host("http://127.0.0.1:9/x", Some(&allow)).is_ok());
        assert!(check_url_host("http://localhost:9/x", Some(&allow)).is_ok());
        assert!(check_url_host("http://10.0.0.1/x", Some(&allow)).is_err());
    }
}
