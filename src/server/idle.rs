//! The header read timeout, kept per connection instead of per request.
//!
//! A connection that is not serving a request must send a whole request
//! head within `HEADER_READ_TIMEOUT_SECS` of going idle (its opening, or
//! the end of its last answer); otherwise it is closed. That covers a
//! client that connects and sends nothing, one that sends half a head and
//! stalls, and an idle keep-alive connection, as hyper's own header-read
//! timeout does. hyper's costs 4 to 5 % of the throughput of a cheap
//! route (measured on client credentials): for every request it reads the
//! clock, boxes a new tokio timer (cloning the runtime handle, a reference
//! count both workers write), registers it in the timer wheel and removes
//! it under the wheel's lock, and runs its read loop once more. Here each
//! connection keeps one timer, looked at only when it fires (at most once
//! per timeout), and a request costs a clock read and a few atomic
//! operations on a cache line that only its connection touches.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// What a connection's reads and its requests share: how many requests are
/// being served, and since when none has been.
pub(crate) struct Activity {
    opened: Instant,
    busy: AtomicUsize,
    /// Nanoseconds from `opened` to the end of the last request.
    idle_since: AtomicU64,
}

impl Activity {
    /// A connection opened now, idle.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            opened: Instant::now(),
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
        })
    }

    /// Marks a request as being served until the guard drops.
    pub(crate) fn begin(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// When the connection times out if nothing else starts: `None` while a
    /// request is being served.
    fn deadline(&self, timeout: Duration) -> Option<Instant> {
        if self.busy.load(Ordering::Acquire) > 0 {
            return None;
        }
        let idle_since = Duration::from_nanos(self.idle_since.load(Ordering::Relaxed));
        Some(self.opened + idle_since + timeout)
    }
}

/// A request being served; its drop makes the connection idle again.
pub(crate) struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let activity = &self.0;
        let since = u64::try_from(activity.opened.elapsed().as_nanos()).unwrap_or(u64::MAX);
        // The latest end wins when HTTP/2 requests end on two threads at once.
        activity.idle_since.fetch_max(since, Ordering::Relaxed);
        activity.busy.fetch_sub(1, Ordering::Release);
    }
}

pin_project_lite::pin_project! {
    /// A request's answer, with the connection busy until the answer's body
    /// is done: when the answer is ready for a body of known size (all but
    /// the journal's live stream), or at the end of a streamed body.
    pub(crate) struct Tracked<F> {
        #[pin]
        answer: F,
        busy: Option<Busy>,
    }
}

impl<F> Tracked<F> {
    /// Tracks `answer` under `busy`.
    pub(crate) fn new(busy: Busy, answer: F) -> Self {
        Self {
            answer,
            busy: Some(busy),
        }
    }
}

impl<F, E> Future for Tracked<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = ready!(this.answer.poll(cx));
        let busy = this.busy.take();
        Poll::Ready(answer.map(|response| {
            if response.body().size_hint().exact().is_some() {
                drop(busy);
                return response;
            }
            response.map(|body| Body::new(TrackedBody { body, _busy: busy }))
        }))
    }
}

pin_project_lite::pin_project! {
    /// A streamed body that keeps its connection busy until it is dropped.
    struct TrackedBody {
        #[pin]
        body: Body,
        _busy: Option<Busy>,
    }
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A connection's stream: its reads fail with `TimedOut` once the
/// connection has been idle for the timeout.
pub(crate) struct IdleDeadline<S> {
    inner: S,
    timeout: Duration,
    activity: Arc<Activity>,
    timer: Pin<Box<Sleep>>,
    /// The waker the armed timer will wake: while it is this read's, the
    /// timer need not be polled again.
    armed_for: Option<Waker>,
}

impl<S> IdleDeadline<S> {
    /// Wraps a connection opened when `activity` was made.
    pub(crate) fn new(inner: S, timeout: Duration, activity: Arc<Activity>) -> Self {
        let timer = Box::pin(tokio::time::sleep_until(activity.opened + timeout));
        Self {
            inner,
            timeout,
            activity,
            timer,
            armed_for: None,
        }
    }

    /// Ready with the error once the connection has been idle too long;
    /// otherwise keeps the timer armed for this task.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let armed = self
            .armed_for
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        if armed && !self.timer.is_elapsed() {
            return Poll::Pending;
        }
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                self.armed_for = Some(cx.waker().clone());
                return Poll::Pending;
            }
            // The timer fired: the deadline may have moved since it was set.
            let now = Instant::now();
            match self.activity.deadline(self.timeout) {
                Some(deadline) if deadline <= now => {
                    return Poll::Ready(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no request head within the header read timeout",
                    ));
                }
                Some(deadline) => self.timer.as_mut().reset(deadline),
                // Serving a request: look again one timeout from now.
                None => self.timer.as_mut().reset(now + self.timeout),
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleDeadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        if read.is_pending()
            && let Poll::Ready(error) = this.poll_deadline(cx)
        {
            return Poll::Ready(Err(error));
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleDeadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    const TIMEOUT: Duration = Duration::from_secs(30);

    fn connection() -> (DuplexStream, IdleDeadline<DuplexStream>, Arc<Activity>) {
        let (client, server) = tokio::io::duplex(64);
        let activity = Activity::new();
        (
            client,
            IdleDeadline::new(server, TIMEOUT, activity.clone()),
            activity,
        )
    }

    /// Reads until the stream fails or `within` passes; `None` if it did not fail.
    async fn failure_within(
        stream: &mut IdleDeadline<DuplexStream>,
        within: Duration,
    ) -> Option<io::ErrorKind> {
        let read = async {
            loop {
                if let Err(error) = stream.read(&mut [0; 64]).await {
                    return error.kind();
                }
            }
        };
        tokio::time::timeout(within, read).await.ok()
    }

    /// Asserts that the stream stays open for one timeout less a second,
    /// then fails with `TimedOut` within two seconds more.
    async fn assert_times_out_one_timeout_from_now(stream: &mut IdleDeadline<DuplexStream>) {
        let early = failure_within(stream, TIMEOUT - Duration::from_secs(1)).await;
        assert_eq!(early, None, "timed out early");
        let late = failure_within(stream, Duration::from_secs(2)).await;
        assert_eq!(late, Some(io::ErrorKind::TimedOut));
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_times_out_at_the_deadline_and_not_before() {
        let (_client, mut stream, _) = connection();
        assert_times_out_one_timeout_from_now(&mut stream).await;
    }

    #[tokio::test(start_paused = true)]
    async fn bytes_that_start_no_request_do_not_extend_the_deadline() {
        let (mut client, mut stream, _) = connection();
        // A head sent a byte at a time, never finished (no request begins).
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_secs(5)).await;
            client.write_all(b"G").await.expect("write");
            assert_eq!(stream.read(&mut [0; 8]).await.expect("read"), 1);
        }
        let failed = failure_within(&mut stream, Duration::from_secs(6)).await;
        assert_eq!(failed, Some(io::ErrorKind::TimedOut));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_being_served_holds_the_connection_open_past_the_deadline() {
        let (_client, mut stream, activity) = connection();
        let busy = activity.begin();
        assert_eq!(failure_within(&mut stream, TIMEOUT * 3).await, None);
        drop(busy);
        // Idle from the end of the request: one whole timeout again.
        assert_times_out_one_timeout_from_now(&mut stream).await;
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_of_known_size_ends_the_request_when_it_is_ready() {
        let (_client, mut stream, activity) = connection();
        tokio::time::sleep(TIMEOUT / 2).await;
        let ready = Tracked::new(activity.begin(), async {
            Ok::<_, std::convert::Infallible>(Response::new(Body::from("{}")))
        })
        .await;
        assert!(ready.is_ok());
        assert_eq!(activity.busy.load(Ordering::Relaxed), 0);
        // Idle counts from the answer, not from the opening.
        assert_times_out_one_timeout_from_now(&mut stream).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_streamed_answer_keeps_the_connection_busy_until_its_body_is_dropped() {
        let (_client, mut stream, activity) = connection();
        let events = futures_util::stream::pending::<Result<Bytes, io::Error>>();
        let ready = Tracked::new(activity.begin(), async {
            Ok::<_, std::convert::Infallible>(Response::new(Body::from_stream(events)))
        })
        .await;
        let Ok(streaming) = ready;
        assert_eq!(activity.busy.load(Ordering::Relaxed), 1);
        assert_eq!(failure_within(&mut stream, TIMEOUT * 3).await, None);
        drop(streaming);
        assert_eq!(activity.busy.load(Ordering::Relaxed), 0);
        let late = failure_within(&mut stream, TIMEOUT + Duration::from_secs(1)).await;
        assert_eq!(late, Some(io::ErrorKind::TimedOut));
    }
}
