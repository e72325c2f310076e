//! The request journal (a ring of the last `JOURNAL_SIZE` requests) and the
//! token lineage index. By construction nothing in it can hold a secret: it
//! records ids (request id, `jti`, `kid`, user and client ids), never a token,
//! a password or an `Authorization` value; the path is recorded without its
//! query string, which may carry a token.
//!
//! Handlers and layers tell the journal about a request through its [`Note`],
//! a cheap handle that the journal layer puts in the request's extensions
//! and reads back when the response is made.
//!
//! Writing costs one short critical section per request (a push into the
//! ring, and the tokens it issued into the lineage index, under one std
//! mutex, no await while it is held); nothing is locked across a request.

use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, Uri};
use hashbrown::HashTable;
use serde::Serialize;
use serde_json::Map;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{broadcast, watch};

use crate::auth::revocation::RevocationList;
use crate::auth::tokens::Claims;
use crate::config::Config;

/// How many entries a live stream may fall behind before it is dropped: the
/// one buffer every stream shares, so a client that stops reading costs at
/// most this many `Arc`s (entries the ring mostly holds anyway), whatever
/// the traffic.
pub const STREAM_BACKLOG: usize = 256;

/// Tokens remembered per journal entry of capacity. A login or refresh
/// issues two, so two per entry keeps the lineage of the tokens of a
/// journal full of logins (a code exchange with `openid` issues three: the
/// oldest ID tokens go first). The contract's ceiling is ten, which would
/// hold the tokens of requests long gone from the journal at ~1 KiB each
/// and grow the server past issue 12's 2 MiB between 2,000 and 100,000
/// requests.
const LINEAGE_FACTOR: usize = 2;

/// Longest path kept, in bytes: the journal is bounded by its entry count,
/// so an entry must be bounded too (hyper alone lets a path run to hundreds
/// of kilobytes, and a thousand of those would be hundreds of megabytes).
pub const MAX_PATH_BYTES: usize = 1024;

/// Longest request id or method kept, in bytes (both may come from the client).
const MAX_ID_BYTES: usize = 128;

/// One request as the journal keeps it (section 11 of the contract).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    /// The request id (`X-Request-ID`).
    pub id: String,
    /// When the request arrived, RFC 3339, by the server's clock.
    pub time: String,
    /// The HTTP method.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The matched route template, or null.
    pub route: Option<String>,
    /// The status answered (499 when the client left first).
    pub status: u16,
    /// Time to the response head, in milliseconds.
    pub duration_ms: f64,
    /// The `sub` of the credentials or token.
    pub user: Option<String>,
    /// The OAuth client.
    pub client: Option<String>,
    /// What was injected, if anything.
    pub fault: Option<FaultNote>,
    /// The tokens involved, by `jti`.
    pub tokens: TokenRefs,
    /// Whether the dashboard itself made the request (not serialised: a filter).
    #[serde(skip)]
    pub dashboard: bool,
}

/// The tokens of a journal entry, by `jti` only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TokenRefs {
    /// Tokens the request issued.
    pub issued: Vec<String>,
    /// The token presented.
    pub presented: Option<String>,
    /// The refresh token exchanged.
    pub parent: Option<String>,
}

/// One token of the lineage index (`GET /api/dev/tokens/{jti}`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Lineage {
    /// Its `jti`.
    pub jti: String,
    /// `access`, `refresh` or `id`.
    #[serde(rename = "type")]
    pub token_type: String,
    /// Its `sub`.
    pub sub: String,
    /// The request that issued it.
    pub issued_by: String,
    /// The refresh token it was exchanged from.
    pub parent: Option<String>,
    /// The tokens issued in exchange for it.
    pub children: Vec<String>,
    /// Whether it is refused now.
    pub revoked: bool,
    /// Its `exp`, RFC 3339.
    pub expires_at: String,
}

/// A token in the index; `revoked` is asked of the revocation list on read.
#[derive(Debug, Clone)]
struct Node {
    token: IssuedToken,
    issued_by: String,
    parent: Option<String>,
    children: Vec<String>,
}

/// The lineage index: at most `capacity` tokens, the oldest forgotten first.
///
/// The nodes sit in a ring of slots that a new token overwrites in place,
/// oldest first, and the table maps a `jti` to its slot by hash alone: a
/// token costs no allocation once the ring is full, and nothing the index
/// frees was allocated a few thousand requests ago on another worker (those
/// frees, and the cold memory they hand back, cost more than the rest of the
/// journal together).
#[derive(Debug, Default)]
struct Index {
    capacity: usize,
    slots: Vec<Node>,
    /// The slot the next token takes: once the ring is full, the oldest.
    next: usize,
    table: HashTable<usize>,
    hasher: foldhash::fast::RandomState,
}

/// The entry `oldest` (the one a push evicts) when no reader holds it any
/// more, so that the new entry is written into its allocations: as for the
/// lineage index, the journal then frees only what this request allocated.
/// Otherwise a fresh one, so a list or a live stream never sees an entry change.
fn recycle(oldest: Option<Arc<Entry>>) -> Arc<Entry> {
    match oldest {
        Some(oldest) if Arc::strong_count(&oldest) == 1 && Arc::weak_count(&oldest) == 0 => oldest,
        _ => Arc::new(Entry::default()),
    }
}

/// A request's head as the journal keeps it until the response: clones that
/// share the request's own buffers (no allocation), written out into the
/// entry only when the request is recorded.
pub struct Head {
    /// The `X-Request-ID` header.
    pub id: Option<HeaderValue>,
    /// When the request arrived, by the server's clock.
    pub at: OffsetDateTime,
    /// The HTTP method.
    pub method: Method,
    /// The URI, of which only the path is recorded.
    pub uri: Uri,
    /// The matched route template.
    pub route: Option<MatchedPath>,
    /// Whether the dashboard itself made the request.
    pub dashboard: bool,
}

/// How a request ended, as the journal layer saw it.
pub struct Outcome {
    /// The status answered.
    pub status: u16,
    /// Time to the response head, in milliseconds.
    pub duration_ms: f64,
    /// Whether no route matched (the route is then recorded as null).
    pub unmatched: bool,
}

impl Entry {
    /// Writes a finished request into `self`, reusing the buffers it has.
    fn fill(
        &mut self,
        head: &Head,
        outcome: &Outcome,
        data: &mut NoteData,
        issued: &[IssuedToken],
    ) {
        let id = head.id.as_ref().and_then(|v| v.to_str().ok());
        assign_bounded(&mut self.id, id.unwrap_or_default(), MAX_ID_BYTES);
        assign_time(&mut self.time, head.at);
        assign_bounded(&mut self.method, head.method.as_str(), MAX_ID_BYTES);
        assign_bounded(&mut self.path, head.uri.path(), MAX_PATH_BYTES);
        let route = head.route.as_ref().filter(|_| !outcome.unmatched);
        assign_opt(&mut self.route, route.map(MatchedPath::as_str));
        self.status = outcome.status;
        self.duration_ms = outcome.duration_ms;
        self.user = data.user.take();
        self.client = data.client.take();
        self.fault = data.fault.take();
        let jtis = issued.iter().map(|token| token.jti.as_str());
        assign_all(&mut self.tokens.issued, jtis);
        self.tokens.presented = data.presented.take();
        self.tokens.parent = data.parent.take();
        self.dashboard = head.dashboard;
    }

    /// Makes `self` equal to `other`, reusing the buffers `self` has.
    fn assign_from(&mut self, other: &Entry) {
        assign(&mut self.id, &other.id);
        assign(&mut self.time, &other.time);
        assign(&mut self.method, &other.method);
        assign(&mut self.path, &other.path);
        assign_opt(&mut self.route, other.route.as_deref());
        self.status = other.status;
        self.duration_ms = other.duration_ms;
        assign_opt(&mut self.user, other.user.as_deref());
        assign_opt(&mut self.client, other.client.as_deref());
        self.fault.clone_from(&other.fault);
        let jtis = other.tokens.issued.iter().map(String::as_str);
        assign_all(&mut self.tokens.issued, jtis);
        assign_opt(
            &mut self.tokens.presented,
            other.tokens.presented.as_deref(),
        );
        assign_opt(&mut self.tokens.parent, other.tokens.parent.as_deref());
        self.dashboard = other.dashboard;
    }
}

/// `dst` made equal to `src`, in the buffer `dst` already has.
fn assign(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

/// [`assign`] cut to at most `max` bytes, on a character boundary, with an
/// ellipsis when something was cut.
fn assign_bounded(dst: &mut String, src: &str, max: usize) {
    if src.len() <= max {
        return assign(dst, src);
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !src.is_char_boundary(end) {
        end -= 1;
    }
    assign(dst, &src[..end]);
    dst.push('…');
}

/// RFC 3339 to the second, written into `dst`'s buffer.
fn assign_time(dst: &mut String, at: OffsetDateTime) {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    let mut bytes = std::mem::take(dst).into_bytes();
    bytes.clear();
    if at.format_into(&mut bytes, &Rfc3339).is_err() {
        bytes.clear();
    }
    *dst = String::from_utf8(bytes).unwrap_or_default();
}

/// Makes `dst` hold exactly `src`, reusing the strings it has.
fn assign_all<'a>(dst: &mut Vec<String>, src: impl ExactSizeIterator<Item = &'a str>) {
    dst.truncate(src.len());
    for (n, text) in src.enumerate() {
        match dst.get_mut(n) {
            Some(slot) => assign(slot, text),
            None => dst.push(text.to_owned()),
        }
    }
}

/// [`assign`] for optional text; a new `Some` moves in.
fn assign_opt(dst: &mut Option<String>, src: Option<&str>) {
    match (dst.as_mut(), src) {
        (Some(dst), Some(src)) => assign(dst, src),
        (_, src) => *dst = src.map(str::to_owned),
    }
}

impl Index {
    fn slot_of(&self, jti: &str) -> Option<usize> {
        let slots = &self.slots;
        self.table
            .find(self.hasher.hash_one(jti), |&slot| {
                slots[slot].token.jti == jti
            })
            .copied()
    }

    fn get(&self, jti: &str) -> Option<&Node> {
        self.slot_of(jti).map(|slot| &self.slots[slot])
    }

    fn clear(&mut self) {
        self.slots.clear();
        self.table.clear();
        self.next = 0;
    }

    fn add(&mut self, token: &IssuedToken, issued_by: &str, parent: Option<&str>) {
        if self.capacity == 0 || self.slot_of(&token.jti).is_some() {
            return;
        }
        let slot = self.next;
        self.next = (slot + 1) % self.capacity;
        if slot < self.slots.len() {
            let old = self.hasher.hash_one(&self.slots[slot].token.jti);
            if let Ok(entry) = self.table.find_entry(old, |&s| s == slot) {
                entry.remove();
            }
        }
        if let Some(parent) = parent.and_then(|jti| self.slot_of(jti)) {
            self.slots[parent].children.push(token.jti.clone());
        }
        if slot < self.slots.len() {
            let node = &mut self.slots[slot];
            assign(&mut node.token.jti, &token.jti);
            assign(&mut node.token.token_type, &token.token_type);
            assign(&mut node.token.sub, &token.sub);
            node.token.exp = token.exp;
            assign(&mut node.issued_by, issued_by);
            assign_opt(&mut node.parent, parent);
            node.children.clear();
        } else {
            self.slots.push(Node {
                token: token.clone(),
                issued_by: issued_by.to_owned(),
                parent: parent.map(str::to_owned),
                children: Vec::new(),
            });
        }
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.table
            .insert_unique(hasher.hash_one(&token.jti), slot, |&s| {
                hasher.hash_one(&slots[s].token.jti)
            });
    }
}

/// A ring of fixed capacity: pushing into a full ring drops the oldest.
#[derive(Debug)]
pub struct Ring<T> {
    capacity: usize,
    items: VecDeque<T>,
}

impl<T: Clone> Ring<T> {
    /// An empty ring of `capacity` (0 keeps nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            items: VecDeque::with_capacity(capacity),
        }
    }

    /// Adds `item`, dropping the oldest when full.
    pub fn push(&mut self, item: T) {
        self.push_with(|_| item);
    }

    /// Pushes `make(oldest)`: a full ring hands its oldest item to `make`,
    /// which may reuse it. `None` (and no call) when the capacity is 0.
    pub fn push_with(&mut self, make: impl FnOnce(Option<T>) -> T) -> Option<&T> {
        if self.capacity == 0 {
            return None;
        }
        let oldest = if self.items.len() == self.capacity {
            self.items.pop_front()
        } else {
            None
        };
        self.items.push_back(make(oldest));
        self.items.back()
    }

    /// The items, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &T> {
        self.items.iter().rev()
    }

    /// How many items are kept.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the ring is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Drops every item.
    pub fn clear(&mut self) {
        self.items.clear();
    }
}

/// The filters of `GET /api/dev/requests`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The route template (or the path, for an unmatched request).
    pub route: Option<String>,
    /// The status.
    pub status: Option<u16>,
    /// The user (`sub`).
    pub user: Option<String>,
    /// Only entries at or after this time.
    pub since: Option<time::OffsetDateTime>,
    /// Leave out the dashboard's own requests.
    pub hide_dashboard: bool,
    /// At most this many.
    pub limit: usize,
}

impl Filter {
    /// Whether `entry` passes.
    pub fn accepts(&self, entry: &Entry) -> bool {
        let route_ok = self
            .route
            .as_deref()
            .is_none_or(|route| entry.route.as_deref() == Some(route) || entry.path == route);
        let since_ok = self.since.is_none_or(|since| {
            time::OffsetDateTime::parse(&entry.time, &time::format_description::well_known::Rfc3339)
                .is_ok_and(|at| at >= since)
        });
        route_ok
            && since_ok
            && self.status.is_none_or(|status| entry.status == status)
            && self
                .user
                .as_deref()
                .is_none_or(|user| entry.user.as_deref() == Some(user))
            && !(self.hide_dashboard && entry.dashboard)
    }
}

/// The journal and the lineage index.
#[derive(Debug)]
pub struct Journal {
    /// Both behind one lock: a request that issues tokens takes it once.
    kept: Mutex<Kept>,
    live: broadcast::Sender<Arc<Entry>>,
    /// Live streams open now: every request asks, and an atomic answers
    /// without the channel's lock, which both workers would contend for.
    listeners: Arc<AtomicUsize>,
    closed: watch::Sender<bool>,
}

/// What the journal's lock guards.
#[derive(Debug)]
struct Kept {
    ring: Ring<Arc<Entry>>,
    index: Index,
}

/// A live stream's receiver, counted in [`Journal`]'s listeners while it lives.
pub struct Listener {
    receiver: broadcast::Receiver<Arc<Entry>>,
    listeners: Arc<AtomicUsize>,
}

impl Listener {
    /// The next entry recorded (an error once the stream fell too far behind).
    pub async fn recv(&mut self) -> Result<Arc<Entry>, broadcast::error::RecvError> {
        self.receiver.recv().await
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.listeners.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Default for Journal {
    fn default() -> Self {
        Self::with_capacity(1000)
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Journal {
    /// An empty journal of `JOURNAL_SIZE` entries.
    pub fn new(config: &Config) -> Self {
        Self::with_capacity(config.dev.journal_size as usize)
    }

    /// An empty journal of `capacity` entries (0: off).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            kept: Mutex::new(Kept {
                ring: Ring::new(capacity),
                index: Index {
                    capacity: capacity.saturating_mul(LINEAGE_FACTOR),
                    ..Index::default()
                },
            }),
            live: broadcast::channel(STREAM_BACKLOG).0,
            listeners: Arc::default(),
            closed: watch::channel(false).0,
        }
    }

    /// Whether the journal keeps anything (`JOURNAL_SIZE` > 0).
    pub fn enabled(&self) -> bool {
        locked(&self.kept).ring.capacity > 0
    }

    /// Records a finished request, and the tokens it issued in the index.
    pub fn record(&self, head: &Head, outcome: &Outcome, mut data: NoteData) {
        let issued = std::mem::take(&mut data.issued);
        self.push(
            |entry| entry.fill(head, outcome, &mut data, &issued),
            &issued,
        );
    }

    /// Records an entry as it is (tests, and entries not made by a request).
    pub fn record_entry(&self, entry: &Entry, issued: &[IssuedToken]) {
        self.push(|slot| slot.assign_from(entry), issued);
    }

    /// Pushes the entry `fill` writes, then indexes `issued` under it.
    fn push(&self, fill: impl FnOnce(&mut Entry), issued: &[IssuedToken]) {
        let live = self.listeners.load(Ordering::Relaxed) > 0;
        let sent = {
            let mut kept = locked(&self.kept);
            let Kept { ring, index } = &mut *kept;
            let pushed = ring.push_with(|oldest| {
                let mut entry = recycle(oldest);
                if let Some(slot) = Arc::get_mut(&mut entry) {
                    fill(slot);
                }
                entry
            });
            let Some(entry) = pushed else {
                return;
            };
            for token in issued {
                index.add(token, &entry.id, entry.tokens.parent.as_deref());
            }
            live.then(|| entry.clone())
        };
        // Sent once the journal is unlocked: waking the streams is not part
        // of the critical section every request takes.
        if let Some(entry) = sent {
            let _ = self.live.send(entry);
        }
    }

    /// The entries that pass `filter`, newest first.
    pub fn list(&self, filter: &Filter) -> Vec<Arc<Entry>> {
        let kept = locked(&self.kept);
        kept.ring
            .newest_first()
            .filter(|entry| filter.accepts(entry))
            .take(filter.limit)
            .cloned()
            .collect()
    }

    /// The distinct route templates in the journal, sorted.
    pub fn routes(&self) -> Vec<String> {
        let kept = locked(&self.kept);
        let mut routes: Vec<String> = kept
            .ring
            .newest_first()
            .filter_map(|entry| entry.route.clone())
            .collect();
        routes.sort();
        routes.dedup();
        routes
    }

    /// Empties the journal; the lineage stays.
    pub fn clear(&self) {
        locked(&self.kept).ring.clear();
    }

    /// Empties the journal and the lineage (the control plane's reset).
    pub fn reset(&self) {
        let mut kept = locked(&self.kept);
        kept.ring.clear();
        kept.index.clear();
    }

    /// A token's lineage, with `revoked` asked of `revoked`.
    pub fn lineage(&self, jti: &str, revoked: &RevocationList) -> Option<Lineage> {
        let node = locked(&self.kept).index.get(jti).cloned()?;
        let token = &node.token;
        let is_revoked = if token.token_type == "refresh" {
            revoked.is_refresh_revoked(&Claims {
                sub: token.sub.clone(),
                email: None,
                name: None,
                roles: None,
                token_type: token.token_type.clone(),
                iat: 0,
                exp: token.exp,
                nbf: None,
                jti: token.jti.clone(),
                iss: String::new(),
                aud: None,
                client_id: None,
                scope: None,
                extra: Map::new(),
            })
        } else {
            revoked.check_access(&token.jti).is_err()
        };
        let expires_at = time::OffsetDateTime::from_unix_timestamp(token.exp)
            .map(crate::store::rfc3339)
            .unwrap_or_default();
        Some(Lineage {
            jti: token.jti.clone(),
            token_type: token.token_type.clone(),
            sub: token.sub.clone(),
            issued_by: node.issued_by,
            parent: node.parent,
            children: node.children,
            revoked: is_revoked,
            expires_at,
        })
    }

    /// Entries recorded from now on, for a live stream.
    pub fn subscribe(&self) -> Listener {
        self.listeners.fetch_add(1, Ordering::Relaxed);
        Listener {
            receiver: self.live.subscribe(),
            listeners: self.listeners.clone(),
        }
    }

    /// Entries sent to live streams that their slowest reader has not taken
    /// yet: never more than [`STREAM_BACKLOG`].
    pub fn backlog(&self) -> usize {
        self.live.len()
    }

    /// Resolves when the server shuts down (live streams end then).
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }

    /// Ends every live stream (called when the server shuts down).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }
}

/// What was injected into a request (`fault` of a journal entry).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FaultNote {
    /// The simulated status answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The delay the response was held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Whether the connection was closed with no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop: Option<bool>,
    /// The bad-token case put into the issued tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_fault: Option<String>,
    /// The id of the fault rule that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// A token the request issued, as the lineage index keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssuedToken {
    /// Its `jti`.
    pub jti: String,
    /// `access`, `refresh` or `id`.
    pub token_type: String,
    /// Its `sub`.
    pub sub: String,
    /// Its `exp`, seconds since the epoch.
    pub exp: i64,
}

impl From<&Claims> for IssuedToken {
    fn from(claims: &Claims) -> Self {
        Self {
            jti: claims.jti.clone(),
            token_type: claims.token_type.clone(),
            sub: claims.sub.clone(),
            exp: claims.exp,
        }
    }
}

/// What a request's handlers and layers found out about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoteData {
    /// The `sub` of the credentials or token.
    pub user: Option<String>,
    /// The OAuth client.
    pub client: Option<String>,
    /// What was injected.
    pub fault: Option<FaultNote>,
    /// Tokens issued.
    pub issued: Vec<IssuedToken>,
    /// The `jti` of the token presented.
    pub presented: Option<String>,
    /// The refresh token this request exchanged.
    pub parent: Option<String>,
}

/// A request's note: handed to handlers as an extractor, always present
/// (a request outside the journal layer gets a note nobody reads).
#[derive(Debug, Clone, Default)]
pub struct Note(Arc<Mutex<NoteData>>);

impl Note {
    fn with(&self, edit: impl FnOnce(&mut NoteData)) {
        let mut data = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        edit(&mut data);
    }

    /// Records the user (`sub`) of the credentials or token.
    pub fn user(&self, sub: &str) {
        self.with(|data| data.user = Some(sub.to_owned()));
    }

    /// Records the OAuth client.
    pub fn client(&self, client_id: &str) {
        self.with(|data| data.client = Some(client_id.to_owned()));
    }

    /// Edits what was injected.
    pub fn fault(&self, edit: impl FnOnce(&mut FaultNote)) {
        self.with(|data| edit(data.fault.get_or_insert_with(FaultNote::default)));
    }

    /// Records a token the request issued.
    pub fn issued(&self, token: impl Into<IssuedToken>) {
        let token = token.into();
        self.with(|data| data.issued.push(token));
    }

    /// Records the `jti` of the token presented.
    pub fn presented(&self, jti: &str) {
        self.with(|data| data.presented = Some(jti.to_owned()));
    }

    /// Records the refresh token this request exchanged.
    pub fn parent(&self, jti: &str) {
        self.with(|data| data.parent = Some(jti.to_owned()));
    }

    /// Looks at what was noted so far, without copying it.
    pub fn read<R>(&self, look: impl FnOnce(&NoteData) -> R) -> R {
        look(
            &self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Moves what was recorded out, once the request is done: a copy of it
    /// would cost an allocation per string on every request.
    pub fn take(&self) -> NoteData {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Note {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Note>().cloned().unwrap_or_default())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_note_collects_what_handlers_tell_it() {
        let note = Note::default();
        let clone = note.clone();
        clone.user("test-user-123");
        clone.fault(|fault| fault.status = Some(503));
        clone.fault(|fault| fault.rule = Some("r1".into()));
        let data = note.take();
        assert_eq!(data.user.as_deref(), Some("test-user-123"));
        assert_eq!(data.fault.unwrap().status, Some(503));
    }

    #[test]
    fn a_ring_keeps_at_most_its_capacity_newest_first() {
        let mut ring = Ring::new(3);
        for n in 1..=5 {
            ring.push(n);
        }
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.newest_first().copied().collect::<Vec<_>>(), [5, 4, 3]);
    }

    #[test]
    fn a_full_ring_overwrites_its_oldest_in_order() {
        let mut ring = Ring::new(2);
        ring.push("a");
        ring.push("b");
        assert_eq!(ring.newest_first().copied().collect::<Vec<_>>(), ["b", "a"]);
        ring.push("c");
        assert_eq!(ring.newest_first().copied().collect::<Vec<_>>(), ["c", "b"]);
        ring.clear();
        assert!(ring.is_empty());
    }

    #[test]
    fn a_ring_of_zero_keeps_nothing() {
        let mut ring = Ring::new(0);
        ring.push(1);
        assert!(ring.is_empty());
    }

    /// A plain entry for tests elsewhere in the crate.
    pub(crate) fn entry(id: &str, parent: Option<&str>) -> Entry {
        Entry {
            id: id.into(),
            time: "2026-01-01T00:00:00Z".into(),
            method: "POST".into(),
            path: "/api/auth/refresh".into(),
            route: Some("/api/auth/refresh".into()),
            status: 200,
            duration_ms: 1.0,
            user: Some("u".into()),
            client: None,
            fault: None,
            tokens: TokenRefs {
                parent: parent.map(str::to_owned),
                ..TokenRefs::default()
            },
            dashboard: false,
        }
    }

    fn token(jti: &str, kind: &str) -> IssuedToken {
        IssuedToken {
            jti: jti.into(),
            token_type: kind.into(),
            sub: "u".into(),
            exp: 4_000_000_000,
        }
    }

    #[test]
    fn a_recycled_entry_reads_exactly_as_the_fresh_one() {
        let mut long = entry("r-long-request-id", Some("f0"));
        long.tokens.issued = vec!["a".into(), "b".into(), "c".into()];
        long.client = Some("client".into());
        let mut short = entry("r2", None);
        short.user = None;
        short.route = None;
        short.tokens.issued = vec!["z".into()];
        short.fault = Some(FaultNote {
            status: Some(503),
            ..FaultNote::default()
        });
        for (old, fresh) in [(&long, &short), (&short, &long)] {
            let mut recycled = recycle(Some(Arc::new(old.clone())));
            Arc::get_mut(&mut recycled).unwrap().assign_from(fresh);
            assert_eq!(*recycled, *fresh);
        }
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary_within_the_bound() {
        let mut cut = String::from("old contents");
        assign_bounded(&mut cut, "/health", MAX_PATH_BYTES);
        assert_eq!(cut, "/health");
        let long = format!("/{}", "é".repeat(MAX_PATH_BYTES));
        assign_bounded(&mut cut, &long, MAX_PATH_BYTES);
        assert!(cut.len() <= MAX_PATH_BYTES, "{}", cut.len());
        assert!(cut.ends_with('…') && cut.starts_with("/é"));
    }

    #[test]
    fn a_request_fills_a_recycled_entry_exactly_as_a_fresh_one() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_796_284_560_123_456_789).unwrap();
        let head = Head {
            id: Some(HeaderValue::from_static("req-1")),
            at,
            method: Method::POST,
            uri: Uri::from_static("/oauth2/token?secret=hidden"),
            route: None,
            dashboard: true,
        };
        let outcome = Outcome {
            status: 201,
            duration_ms: 1.5,
            unmatched: true,
        };
        let data = NoteData {
            user: Some("alice".into()),
            parent: Some("p0".into()),
            ..NoteData::default()
        };
        let issued = [token("j1", "access"), token("j2", "refresh")];
        let mut fresh = Entry::default();
        fresh.fill(&head, &outcome, &mut data.clone(), &issued);
        assert_eq!(fresh.time, "2026-12-03T07:56:00Z");
        assert_eq!(fresh.time, crate::store::rfc3339(at));
        assert_eq!(fresh.path, "/oauth2/token", "no query string");
        assert_eq!(
            (fresh.id.as_str(), fresh.method.as_str()),
            ("req-1", "POST")
        );
        assert_eq!(fresh.tokens.issued, ["j1", "j2"]);
        assert_eq!(fresh.tokens.parent.as_deref(), Some("p0"));
        assert_eq!(
            (fresh.user.as_deref(), fresh.route.as_deref()),
            (Some("alice"), None)
        );
        let mut old = entry("an-older-and-longer-id", Some("x"));
        old.tokens.issued = vec!["a".into(), "b".into(), "c".into()];
        old.client = Some("client".into());
        old.fault = Some(FaultNote::default());
        old.fill(&head, &outcome, &mut data.clone(), &issued);
        assert_eq!(old, fresh);
    }

    #[tokio::test]
    async fn a_live_stream_gets_entries_while_it_is_open_and_is_forgotten_when_dropped() {
        let journal = Journal::with_capacity(4);
        let mut listener = journal.subscribe();
        journal.record_entry(&entry("r1", None), &[]);
        let wait = std::time::Duration::from_secs(10);
        let got = tokio::time::timeout(wait, listener.recv()).await;
        assert_eq!(got.expect("the entry reaches the stream").unwrap().id, "r1");
        assert_eq!(journal.listeners.load(Ordering::Relaxed), 1);
        drop(listener);
        assert_eq!(journal.listeners.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn an_entry_a_reader_still_holds_is_never_overwritten() {
        let journal = Journal::with_capacity(2);
        journal.record_entry(&entry("r1", None), &[]);
        journal.record_entry(&entry("r2", None), &[]);
        let all = Filter {
            limit: 10,
            ..Filter::default()
        };
        let held = journal.list(&all);
        for n in 3..7 {
            journal.record_entry(&entry(&format!("r{n}"), None), &[]);
        }
        let ids = |list: &[Arc<Entry>]| list.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&held), ["r2", "r1"]);
        assert_eq!(ids(&journal.list(&all)), ["r6", "r5"]);
    }

    #[test]
    fn the_index_keeps_the_newest_tokens_as_its_slots_are_reused() {
        let journal = Journal::with_capacity(2);
        let revoked = RevocationList::default();
        for n in 0..10 {
            let parent = (n > 0).then(|| format!("t{}", n - 1));
            journal.record_entry(
                &entry(&format!("r{n}"), parent.as_deref()),
                &[token(&format!("t{n}"), "refresh")],
            );
        }
        for n in 0..6 {
            assert!(
                journal.lineage(&format!("t{n}"), &revoked).is_none(),
                "t{n}"
            );
        }
        for n in 6..10 {
            let node = journal.lineage(&format!("t{n}"), &revoked).unwrap();
            assert_eq!(node.issued_by, format!("r{n}"));
            assert_eq!(node.parent, Some(format!("t{}", n - 1)));
            let children: Vec<String> =
                (n < 9).then(|| format!("t{}", n + 1)).into_iter().collect();
            assert_eq!(node.children, children, "t{n}");
        }
        journal.reset();
        assert!(journal.lineage("t9", &revoked).is_none());
        journal.record_entry(&entry("again", None), &[token("t9", "access")]);
        assert_eq!(journal.lineage("t9", &revoked).unwrap().parent, None);
    }

    #[test]
    fn lineage_links_parents_and_children_and_forgets_the_oldest() {
        let journal = Journal::with_capacity(1);
        let revoked = RevocationList::default();
        journal.record_entry(
            &entry("r1", None),
            &[token("a1", "access"), token("f1", "refresh")],
        );
        journal.record_entry(&entry("r2", Some("f1")), &[token("f2", "refresh")]);
        let parent = journal.lineage("f1", &revoked).unwrap();
        assert_eq!(parent.children, ["f2"]);
        assert_eq!(parent.issued_by, "r1");
        let child = journal.lineage("f2", &revoked).unwrap();
        assert_eq!(child.parent.as_deref(), Some("f1"));
        assert!(!child.revoked);
        revoked.revoke_refresh("f2", 4_000_000_000);
        assert!(journal.lineage("f2", &revoked).unwrap().revoked);
        for n in 0..10 {
            journal.record_entry(&entry("r", None), &[token(&format!("x{n}"), "access")]);
        }
        assert!(journal.lineage("a1", &revoked).is_none());
        assert_eq!(
            journal
                .list(&Filter {
                    limit: 10,
                    ..Filter::default()
                })
                .len(),
            1
        );
    }
}
