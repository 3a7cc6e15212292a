//! `shopgraph healthcheck`: the container image's health probe. The runtime image has no shell or
//! curl, so the binary itself asks the service it runs beside for `/ready` and exits with 0 only on
//! a 2xx answer within a few seconds.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};

/// How long the service has to answer.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Probes `url`, or `/ready` on the port of `listen` (the service's `LISTEN_ADDR`) on this host.
pub async fn probe(url: Option<&str>, listen: Option<&str>) -> anyhow::Result<()> {
    let url = match (url, listen) {
        (Some(url), _) => url.to_owned(),
        (None, Some(listen)) => ready_url(listen)?,
        (None, None) => bail!("give --url, or LISTEN_ADDR (or --listen) to probe its port"),
    };
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .context("cannot build the HTTP client")?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("{url} does not answer"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("{url} answered {status}");
    }
    Ok(())
}

/// `http://<loopback or the bound host>:<port>/ready` for a `host:port` the service listens on.
fn ready_url(listen: &str) -> anyhow::Result<String> {
    let address: SocketAddr = listen
        .parse()
        .with_context(|| format!("LISTEN_ADDR `{listen}` is not host:port"))?;
    let host = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok(format!(
        "http://{}/ready",
        SocketAddr::new(host, address.port())
    ))
}
