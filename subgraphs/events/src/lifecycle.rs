//! Running a service's background tasks (relay, consumers) beside its HTTP server: the [`Shutdown`]
//! signal they all watch, and [`BackgroundTasks`], the set of spawned tasks to wait for on the way out.

use std::future::Future;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A clonable stop signal. It fires when its [`ShutdownTrigger`] fires or is dropped.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// Fires the [`Shutdown`] signals made from it.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

impl Shutdown {
    /// A new signal and its trigger.
    pub fn channel() -> (ShutdownTrigger, Shutdown) {
        let (sender, receiver) = watch::channel(false);
        (ShutdownTrigger(sender), Shutdown(receiver))
    }

    /// A signal that fires when `receiver` sees `true` (or its sender goes away): the development
    /// stack's `watch::channel(false)` shutdown.
    pub fn from_receiver(receiver: watch::Receiver<bool>) -> Shutdown {
        Shutdown(receiver)
    }

    /// A signal that fires when `signal` completes (for example
    /// `shopgraph_kit::server::shutdown_signal()`, Ctrl-C or SIGTERM). Spawns a task to watch it.
    pub fn on(signal: impl Future<Output = ()> + Send + 'static) -> Shutdown {
        let (trigger, shutdown) = Shutdown::channel();
        tokio::spawn(async move {
            signal.await;
            trigger.trigger();
        });
        shutdown
    }

    /// Whether the signal has fired.
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }

    /// Completes when the signal fires.
    pub async fn wait(&self) {
        let mut receiver = self.0.clone();
        while !*receiver.borrow_and_update() {
            if receiver.changed().await.is_err() {
                return;
            }
        }
    }

    /// [`wait`](Self::wait) as an owned future, for `server::serve(listener, app, shutdown.wait_owned())`.
    pub async fn wait_owned(self) {
        self.wait().await;
    }
}

impl ShutdownTrigger {
    /// Fires the signal.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }

    /// Another signal fired by this trigger.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

/// Background tasks of a service, by name.
#[derive(Debug, Default)]
pub struct BackgroundTasks {
    tasks: Vec<(String, JoinHandle<()>)>,
}

impl BackgroundTasks {
    pub fn new() -> BackgroundTasks {
        BackgroundTasks::default()
    }

    /// Spawns `task` under `name` (for logs).
    pub fn spawn(
        &mut self,
        name: impl Into<String>,
        task: impl Future<Output = ()> + Send + 'static,
    ) {
        self.tasks.push((name.into(), tokio::spawn(task)));
    }

    /// Takes over the tasks of `other`.
    pub fn extend(&mut self, other: BackgroundTasks) {
        self.tasks.extend(other.tasks);
    }

    /// The names of the tasks, in spawn order.
    pub fn names(&self) -> Vec<&str> {
        self.tasks.iter().map(|(name, _)| name.as_str()).collect()
    }

    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits for every task to end (after the shutdown signal fired); a task that panicked is logged.
    pub async fn join(self) {
        for (name, task) in self.tasks {
            if let Err(err) = task.await {
                tracing::error!(task = %name, error = %err, "background task failed");
            }
        }
    }

    /// Stops every task now, without waiting for it to finish its current step.
    pub fn abort(self) {
        for (_, task) in self.tasks {
            task.abort();
        }
    }
}
