//! A future polled only after its own wake-up.
//!
//! A connection's task also waits for two signals: the server's shutdown
//! and a fault rule's `drop`. Both are tokio `Notify` waiters, and polling a
//! waiting `Notified` again takes its `Notify`'s lock to compare wakers; the
//! shutdown's is shared by every connection, so polled beside each request
//! it is a lock that both workers take for every request. Wrapped in
//! [`Quiet`], a signal is polled once to register, then again only when it
//! has woken: every other poll of the connection costs one atomic load.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

/// Polls `inner` only when it has woken since its last poll.
pub(crate) struct Quiet<F> {
    inner: Pin<Box<F>>,
    signal: Arc<Signal>,
    /// `signal` as a waker, made once.
    own: Waker,
    /// The task waker last handed to `signal`.
    task: Option<Waker>,
}

/// Whether the inner future has woken, and the task to wake then.
struct Signal {
    woken: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        let task = self.task.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(task) = task.as_ref() {
            task.wake_by_ref();
        }
    }
}

impl<F: Future> Quiet<F> {
    /// Wraps `inner`; its first poll always runs.
    pub(crate) fn new(inner: F) -> Self {
        let signal = Arc::new(Signal {
            woken: AtomicBool::new(true),
            task: Mutex::new(None),
        });
        Self {
            inner: Box::pin(inner),
            own: Waker::from(signal.clone()),
            signal,
            task: None,
        }
    }
}

impl<F: Future> Future for Quiet<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        if !this
            .task
            .as_ref()
            .is_some_and(|task| task.will_wake(cx.waker()))
        {
            let task = cx.waker().clone();
            *this
                .signal
                .task
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(task.clone());
            this.task = Some(task);
        }
        if !this.signal.woken.load(Ordering::Acquire) {
            return Poll::Pending;
        }
        this.signal.woken.store(false, Ordering::Release);
        this.inner
            .as_mut()
            .poll(&mut Context::from_waker(&this.own))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts its polls; ready once `open` is set (and woken).
    struct Gate {
        polls: Arc<AtomicUsize>,
        notify: Arc<tokio::sync::Notify>,
    }

    async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
        std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
    }

    fn gate() -> (Quiet<impl Future<Output = ()>>, Gate) {
        let gate = Gate {
            polls: Arc::new(AtomicUsize::new(0)),
            notify: Arc::new(tokio::sync::Notify::new()),
        };
        let polls = gate.polls.clone();
        let notify = gate.notify.clone();
        let inner = async move {
            let notified = notify.notified();
            tokio::pin!(notified);
            std::future::poll_fn(|cx| {
                polls.fetch_add(1, Ordering::Relaxed);
                notified.as_mut().poll(cx)
            })
            .await;
        };
        (Quiet::new(inner), gate)
    }

    #[tokio::test]
    async fn the_inner_future_is_polled_once_until_it_wakes() {
        let (mut quiet, gate) = gate();
        for _ in 0..10 {
            assert!(poll_once(&mut quiet).await.is_pending());
        }
        assert_eq!(gate.polls.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_wake_of_the_inner_future_wakes_the_task_and_completes_it() {
        let (quiet, gate) = gate();
        let waiter = tokio::spawn(quiet);
        tokio::task::yield_now().await;
        gate.notify.notify_waiters();
        tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
            .await
            .expect("woken")
            .expect("joined");
        assert!(gate.polls.load(Ordering::Relaxed) >= 2);
    }
}
