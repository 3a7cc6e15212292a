//! Who sent a request, as far as a subgraph can tell: whether it came through the router (it carries
//! the configured secret in the `shopgraph-router-secret` header, compared in constant time), and which
//! client address it is for — the connection's peer; or, when the caller is trusted (it proved to be the
//! router, or `trust_forwarded_for` says the network admits nothing else), the last `X-Forwarded-For`
//! entry, the one the proxy in front of us added, and no address at all when it added none (the peer is
//! then the proxy, which speaks for every client).

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::config::Config;

/// The header carrying the router secret.
pub const ROUTER_SECRET_HEADER: &str = "shopgraph-router-secret";

/// What a subgraph requires of its callers.
#[derive(Clone)]
pub struct CallerPolicy {
    router_secret: Option<Arc<[u8]>>,
    trust_forwarded_for: bool,
}

/// How a request stands against the router secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouterCheck {
    /// No secret is configured: anyone may call.
    Open,
    /// The request carries the configured secret.
    Verified,
    /// A secret is configured and the request carries none.
    Missing,
    /// The request carries another secret.
    Wrong,
}

/// The client a request is made for, in the GraphQL request data: the address rate limits count by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// The key rate limits count by: the address, or for IPv6 its /64 network (one subscriber usually
    /// holds a whole /64).
    pub fn rate_limit_key(self) -> IpAddr {
        match self.0 {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(
                    u128::from(v6) & 0xffff_ffff_ffff_ffff_0000_0000_0000_0000,
                )),
            },
        }
    }
}

impl CallerPolicy {
    pub fn new(config: &Config) -> CallerPolicy {
        CallerPolicy {
            router_secret: config
                .router_secret
                .as_ref()
                .map(|secret| Arc::from(secret.as_bytes())),
            trust_forwarded_for: config.trust_forwarded_for,
        }
    }

    /// Whether `headers` carry the router secret.
    pub fn check(&self, headers: &HeaderMap) -> RouterCheck {
        let Some(secret) = &self.router_secret else {
            return RouterCheck::Open;
        };
        match headers.get(ROUTER_SECRET_HEADER) {
            None => RouterCheck::Missing,
            Some(sent) if bool::from(sent.as_bytes().ct_eq(secret)) => RouterCheck::Verified,
            Some(_) => RouterCheck::Wrong,
        }
    }

    /// The client a request from `peer` with `headers` is for; `check` is how it stood against the
    /// router secret. `None` when a trusted proxy did not say (or a request came from no socket).
    pub fn client_address(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
        check: RouterCheck,
    ) -> Option<ClientAddress> {
        let trusted = self.trust_forwarded_for || check == RouterCheck::Verified;
        let address = if trusted {
            last_forwarded_for(headers)
        } else {
            peer
        };
        address.map(ClientAddress)
    }
}

/// The last address in the `X-Forwarded-For` headers, if it is one.
fn last_forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    let entry = last.to_str().ok()?.rsplit(',').next()?.trim();
    entry.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn policy(secret: Option<&str>, trust_forwarded_for: bool) -> CallerPolicy {
        let mut config = Config::defaults("users", 0);
        config.router_secret = secret.map(str::to_owned);
        config.trust_forwarded_for = trust_forwarded_for;
        CallerPolicy::new(&config)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_router_secret_is_checked_when_configured() {
        let open = policy(None, false);
        assert_eq!(open.check(&headers(&[])), RouterCheck::Open);
        let closed = policy(Some("s3cret"), false);
        assert_eq!(closed.check(&headers(&[])), RouterCheck::Missing);
        for wrong in ["", "s3cre", "s3cret ", "S3CRET"] {
            assert_eq!(
                closed.check(&headers(&[(ROUTER_SECRET_HEADER, wrong)])),
                RouterCheck::Wrong,
                "{wrong:?}"
            );
        }
        assert_eq!(
            closed.check(&headers(&[(ROUTER_SECRET_HEADER, "s3cret")])),
            RouterCheck::Verified
        );
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_callers() {
        let peer = Some("10.0.0.2".parse().unwrap());
        let forwarded = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "9.9.9.9, 203.0.113.7"),
        ]);
        let address = |policy: &CallerPolicy, check| {
            policy
                .client_address(&forwarded, peer, check)
                .map(|address| address.0.to_string())
        };
        let some = |text: &str| Some(text.to_owned());
        let closed = policy(Some("s3cret"), false);
        assert_eq!(address(&closed, RouterCheck::Verified), some("203.0.113.7"));
        assert_eq!(
            address(&policy(None, false), RouterCheck::Open),
            some("10.0.0.2")
        );
        assert_eq!(
            address(&policy(None, true), RouterCheck::Open),
            some("203.0.113.7")
        );
        // A trusted proxy that names no (valid) client names nobody: its own address is everyone's.
        for unnamed in [
            headers(&[]),
            headers(&[("x-forwarded-for", "not an address")]),
        ] {
            assert_eq!(
                closed.client_address(&unnamed, peer, RouterCheck::Verified),
                None
            );
        }
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_network() {
        let key = |text: &str| {
            ClientAddress(text.parse().unwrap())
                .rate_limit_key()
                .to_string()
        };
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::");
        assert_eq!(key("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(key("192.0.2.1"), "192.0.2.1");
    }
}
