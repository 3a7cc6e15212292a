//! Live supergraph reload: the pipeline every request reads once (an `ArcSwap`, so requests in
//! flight finish on the pipeline they started with), the sources that offer new supergraphs (the
//! watched file and the polled URL), and what a reload reports (log lines, counters and the schema
//! hash for `/metrics`, the last refusal for `/ready`). A new supergraph is parsed, validated, its
//! API schema derived and its pipeline built on a blocking thread; only a pipeline that built is
//! swapped in, so a bad supergraph leaves the old one serving. Caches belong to a pipeline, so they
//! are per schema.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::header::{ETAG, IF_NONE_MATCH};
use http::{HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecursiveMode, Watcher};

use crate::http::RouterError;
use crate::pipeline::Pipeline;
use crate::supergraph::Supergraph;

/// Builds the pipeline over a supergraph with the router's configuration.
pub type BuildPipeline = dyn Fn(Supergraph) -> Result<Pipeline, RouterError> + Send + Sync;

/// Lines of a refusal `/ready` shows.
const READY_ERROR_LINES: usize = 12;

/// Largest supergraph a poll accepts.
const MAX_SUPERGRAPH_BYTES: usize = 64 * 1024 * 1024;

/// What became of an offered supergraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The same text as the one served.
    Unchanged,
    Reloaded,
    Refused,
}

struct Status {
    hash: u64,
    origin: String,
    last_error: Option<String>,
    /// The last refused text, so the same text is not refused (and counted) twice in a row.
    refused_hash: Option<u64>,
}

/// The pipeline being served, and how its reloads went.
pub struct LivePipeline {
    current: ArcSwap<Pipeline>,
    build: Arc<BuildPipeline>,
    status: Mutex<Status>,
    successes: AtomicU64,
    failures: AtomicU64,
    /// One reload at a time (file and URL may both offer).
    reloading: tokio::sync::Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// FNV-1a (64 bits) of the supergraph text: stable across builds, so routers serving the same
/// supergraph show the same hash.
pub fn schema_hash(sdl: &str) -> u64 {
    sdl.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl LivePipeline {
    pub fn new(
        pipeline: Pipeline,
        hash: u64,
        origin: String,
        build: Arc<BuildPipeline>,
    ) -> LivePipeline {
        LivePipeline {
            current: ArcSwap::from_pointee(pipeline),
            build,
            status: Mutex::new(Status {
                hash,
                origin,
                last_error: None,
                refused_hash: None,
            }),
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// The pipeline a new request runs on.
    pub fn current(&self) -> Arc<Pipeline> {
        self.current.load_full()
    }

    /// The hash of the supergraph served, as 16 hex digits.
    pub fn schema_hash(&self) -> String {
        format!("{:016x}", lock(&self.status).hash)
    }

    /// Validates `sdl` off the request path and serves it when it builds.
    pub async fn offer(&self, sdl: String, origin: &str) -> Outcome {
        let _one = self.reloading.lock().await;
        let hash = schema_hash(&sdl);
        {
            let mut status = lock(&self.status);
            if hash == status.hash {
                // The source is back to what is served: nothing is refused any more.
                status.last_error = None;
                status.refused_hash = None;
                return Outcome::Unchanged;
            }
            if status.refused_hash == Some(hash) {
                return Outcome::Refused;
            }
        }
        let started = std::time::Instant::now();
        let build = Arc::clone(&self.build);
        let name = origin.to_owned();
        let built = tokio::task::spawn_blocking(move || {
            let supergraph = Supergraph::parse(&sdl, &name).map_err(|e| e.to_string())?;
            build(supergraph).map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(format!("the reload task failed: {e}")));
        match built {
            Ok(pipeline) => {
                self.current.store(Arc::new(pipeline));
                self.successes.fetch_add(1, Ordering::Relaxed);
                let mut status = lock(&self.status);
                status.hash = hash;
                status.origin = origin.to_owned();
                status.last_error = None;
                status.refused_hash = None;
                tracing::info!(
                    origin,
                    hash = %format!("{hash:016x}"),
                    build_ms = started.elapsed().as_millis(),
                    "supergraph reloaded"
                );
                Outcome::Reloaded
            }
            Err(message) => {
                self.refuse(origin, &message);
                lock(&self.status).refused_hash = Some(hash);
                Outcome::Refused
            }
        }
    }

    /// Records a supergraph that could not be read or built; the old one keeps serving.
    pub fn refuse(&self, origin: &str, message: &str) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        tracing::error!(
            origin,
            error = message,
            "supergraph refused; the previous one keeps serving"
        );
        lock(&self.status).last_error = Some(format!("{origin}: {message}"));
    }

    /// `/metrics` lines: reloads by result and the served schema's hash.
    pub fn metrics_text(&self) -> String {
        format!(
            "# HELP shopgraph_router_supergraph_reloads_total Supergraph reloads, by result.\n\
             # TYPE shopgraph_router_supergraph_reloads_total counter\n\
             shopgraph_router_supergraph_reloads_total{{result=\"success\"}} {}\n\
             shopgraph_router_supergraph_reloads_total{{result=\"failure\"}} {}\n\
             # HELP shopgraph_router_supergraph_info The supergraph served (hash of its text).\n\
             # TYPE shopgraph_router_supergraph_info gauge\n\
             shopgraph_router_supergraph_info{{hash=\"{}\"}} 1\n",
            self.successes.load(Ordering::Relaxed),
            self.failures.load(Ordering::Relaxed),
            self.schema_hash(),
        )
    }

    /// `/ready` text: the router serves (the previous supergraph when a reload was refused), with
    /// what it serves and the last refusal.
    pub fn ready_text(&self) -> String {
        let status = lock(&self.status);
        let mut text = format!(
            "ready\nsupergraph {:016x} from {}\n",
            status.hash, status.origin
        );
        if let Some(error) = &status.last_error {
            text.push_str("last reload refused (the previous supergraph serves): ");
            // The start of the error; the log has all of it.
            let mut lines = error.lines();
            for line in lines.by_ref().take(READY_ERROR_LINES) {
                text.push_str(line);
                text.push('\n');
            }
            if lines.next().is_some() {
                text.push_str("… (the rest is in the log)\n");
            }
        }
        text
    }
}

/// Watches `path` through its directory (a ConfigMap update swaps a symlink there rather than
/// writing the file) and offers the file's text after `debounce` of quiet. The watch ends when
/// `live` is dropped (at the next change).
pub fn watch_file(
    live: &Arc<LivePipeline>,
    path: PathBuf,
    debounce: Duration,
    runtime: &tokio::runtime::Handle,
) -> Result<(), RouterError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (changes, mut changed) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let relevant = match event {
            // Our own reads are access events (and may touch the access time); only a finished
            // write is a change.
            Ok(event) => match event.kind {
                EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
                EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
                _ => true,
            },
            Err(_) => true,
        };
        if relevant {
            let _ = changes.send(());
        }
    })
    .map_err(|e| watch_error(&directory, &e))?;
    watcher
        .watch(&directory, RecursiveMode::NonRecursive)
        .map_err(|e| watch_error(&directory, &e))?;
    let weak: Weak<LivePipeline> = Arc::downgrade(live);
    let origin = path.display().to_string();
    tracing::info!(supergraph = origin, "watching the supergraph for changes");
    runtime.spawn(async move {
        let _watcher = watcher;
        while changed.recv().await.is_some() {
            loop {
                match tokio::time::timeout(debounce, changed.recv()).await {
                    Ok(Some(())) => {}
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            let Some(live) = weak.upgrade() else { return };
            let file = path.clone();
            let read = tokio::task::spawn_blocking(move || std::fs::read_to_string(file))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            match read {
                Ok(sdl) => {
                    live.offer(sdl, &origin).await;
                }
                Err(e) => live.refuse(&origin, &format!("cannot read: {e}")),
            }
        }
    });
    Ok(())
}

fn watch_error(directory: &Path, error: &notify::Error) -> RouterError {
    RouterError::Config(format!(
        "cannot watch {} for supergraph changes: {error} (reload.watch = false serves without watching)",
        directory.display()
    ))
}

/// Polls `url` every `interval` with `If-None-Match` and offers what it serves. The poll ends when
/// `live` is dropped.
pub fn poll_url(
    live: &Arc<LivePipeline>,
    url: &str,
    interval: Duration,
    runtime: &tokio::runtime::Handle,
) -> Result<(), RouterError> {
    let uri: Uri = url
        .parse()
        .map_err(|e| RouterError::Config(format!("invalid reload.poll_url '{url}': {e}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(RouterError::Config(format!(
            "reload.poll_url '{url}': only http:// URLs are supported"
        )));
    }
    let weak = Arc::downgrade(live);
    let origin = url.to_owned();
    tracing::info!(
        url,
        interval_ms = interval.as_millis(),
        "polling for the supergraph"
    );
    runtime.spawn(async move {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let mut etag: Option<HeaderValue> = None;
        loop {
            let Some(live) = weak.upgrade() else { return };
            match fetch(&client, &uri, etag.as_ref(), interval).await {
                Ok(Some((sdl, tag))) => {
                    // A refused version is not fetched again: it stays reported until the next.
                    live.offer(sdl, &origin).await;
                    etag = tag;
                }
                Ok(None) => {}
                Err(message) => live.refuse(&origin, &message),
            }
            drop(live);
            tokio::time::sleep(interval).await;
        }
    });
    Ok(())
}

type PollClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// One poll: `None` when not modified, else the text and its `ETag`.
async fn fetch(
    client: &PollClient,
    uri: &Uri,
    etag: Option<&HeaderValue>,
    timeout: Duration,
) -> Result<Option<(String, Option<HeaderValue>)>, String> {
    let mut request = Request::get(uri.clone());
    if let Some(tag) = etag {
        request = request.header(IF_NONE_MATCH, tag.clone());
    }
    let request = request
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let timeout = timeout.max(Duration::from_secs(1));
    let response = tokio::time::timeout(timeout, client.request(request))
        .await
        .map_err(|_| format!("no answer within {} ms", timeout.as_millis()))?
        .map_err(|e| format!("request failed: {e}"))?;
    match response.status() {
        StatusCode::NOT_MODIFIED => return Ok(None),
        StatusCode::OK => {}
        status => return Err(format!("answered HTTP {status}")),
    }
    let tag = response.headers().get(ETAG).cloned();
    let body = tokio::time::timeout(
        timeout,
        Limited::new(response.into_body(), MAX_SUPERGRAPH_BYTES).collect(),
    )
    .await
    .map_err(|_| format!("body not received within {} ms", timeout.as_millis()))?
    .map_err(|e| format!("cannot read the body: {e}"))?
    .to_bytes();
    let sdl =
        String::from_utf8(body.to_vec()).map_err(|_| String::from("the body is not UTF-8"))?;
    Ok(Some((sdl, tag)))
}
