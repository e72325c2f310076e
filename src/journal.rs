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
//! ring under a std mutex, no await while it is held) and, when a token was
//! issued, one more in the lineage index; nothing is locked across a request.

use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use hashbrown::HashTable;
use serde::Serialize;
use serde_json::Map;
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

/// One request as the journal keeps it (section 11 of the contract).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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

/// `fresh` written into the allocations of `oldest` (the entry it evicts)
/// when no reader holds that one any more: as for the lineage index, the
/// journal then frees only what this request allocated.
fn recycle(oldest: Option<Arc<Entry>>, fresh: Entry) -> Arc<Entry> {
    if let Some(mut oldest) = oldest
        && let Some(slot) = Arc::get_mut(&mut oldest)
    {
        slot.assign_from(&fresh);
        return oldest;
    }
    Arc::new(fresh)
}

impl Entry {
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
        let issued = &mut self.tokens.issued;
        issued.truncate(other.tokens.issued.len());
        for (n, jti) in other.tokens.issued.iter().enumerate() {
            match issued.get_mut(n) {
                Some(slot) => assign(slot, jti),
                None => issued.push(jti.clone()),
            }
        }
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
    ring: Mutex<Ring<Arc<Entry>>>,
    index: Mutex<Index>,
    live: broadcast::Sender<Arc<Entry>>,
    closed: watch::Sender<bool>,
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
            ring: Mutex::new(Ring::new(capacity)),
            index: Mutex::new(Index {
                capacity: capacity.saturating_mul(LINEAGE_FACTOR),
                ..Index::default()
            }),
            live: broadcast::channel(STREAM_BACKLOG).0,
            closed: watch::channel(false).0,
        }
    }

    /// Whether the journal keeps anything (`JOURNAL_SIZE` > 0).
    pub fn enabled(&self) -> bool {
        locked(&self.ring).capacity > 0
    }

    /// Records a finished request, and the tokens it issued in the index.
    pub fn record(&self, entry: Entry, issued: Vec<IssuedToken>) {
        if !issued.is_empty() {
            let mut index = locked(&self.index);
            for token in &issued {
                index.add(token, &entry.id, entry.tokens.parent.as_deref());
            }
        }
        let live = {
            let mut ring = locked(&self.ring);
            let Some(entry) = ring.push_with(|oldest| recycle(oldest, entry)) else {
                return;
            };
            (self.live.receiver_count() > 0).then(|| entry.clone())
        };
        // Sent once the ring is unlocked: waking the streams is not part of
        // the critical section every request takes.
        if let Some(entry) = live {
            let _ = self.live.send(entry);
        }
    }

    /// The entries that pass `filter`, newest first.
    pub fn list(&self, filter: &Filter) -> Vec<Arc<Entry>> {
        let ring = locked(&self.ring);
        ring.newest_first()
            .filter(|entry| filter.accepts(entry))
            .take(filter.limit)
            .cloned()
            .collect()
    }

    /// The distinct route templates in the journal, sorted.
    pub fn routes(&self) -> Vec<String> {
        let ring = locked(&self.ring);
        let mut routes: Vec<String> = ring
            .newest_first()
            .filter_map(|entry| entry.route.clone())
            .collect();
        routes.sort();
        routes.dedup();
        routes
    }

    /// Empties the journal; the lineage stays.
    pub fn clear(&self) {
        locked(&self.ring).clear();
    }

    /// Empties the journal and the lineage (the control plane's reset).
    pub fn reset(&self) {
        self.clear();
        locked(&self.index).clear();
    }

    /// A token's lineage, with `revoked` asked of `revoked`.
    pub fn lineage(&self, jti: &str, revoked: &RevocationList) -> Option<Lineage> {
        let node = locked(&self.index).get(jti).cloned()?;
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
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Entry>> {
        self.live.subscribe()
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
            let recycled = recycle(Some(Arc::new(old.clone())), fresh.clone());
            assert_eq!(*recycled, *fresh);
        }
    }

    #[test]
    fn an_entry_a_reader_still_holds_is_never_overwritten() {
        let journal = Journal::with_capacity(2);
        journal.record(entry("r1", None), Vec::new());
        journal.record(entry("r2", None), Vec::new());
        let all = Filter {
            limit: 10,
            ..Filter::default()
        };
        let held = journal.list(&all);
        for n in 3..7 {
            journal.record(entry(&format!("r{n}"), None), Vec::new());
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
            journal.record(
                entry(&format!("r{n}"), parent.as_deref()),
                vec![token(&format!("t{n}"), "refresh")],
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
        journal.record(entry("again", None), vec![token("t9", "access")]);
        assert_eq!(journal.lineage("t9", &revoked).unwrap().parent, None);
    }

    #[test]
    fn lineage_links_parents_and_children_and_forgets_the_oldest() {
        let journal = Journal::with_capacity(1);
        let revoked = RevocationList::default();
        journal.record(
            entry("r1", None),
            vec![token("a1", "access"), token("f1", "refresh")],
        );
        journal.record(entry("r2", Some("f1")), vec![token("f2", "refresh")]);
        let parent = journal.lineage("f1", &revoked).unwrap();
        assert_eq!(parent.children, ["f2"]);
        assert_eq!(parent.issued_by, "r1");
        let child = journal.lineage("f2", &revoked).unwrap();
        assert_eq!(child.parent.as_deref(), Some("f1"));
        assert!(!child.revoked);
        revoked.revoke_refresh("f2", 4_000_000_000);
        assert!(journal.lineage("f2", &revoked).unwrap().revoked);
        for n in 0..10 {
            journal.record(entry("r", None), vec![token(&format!("x{n}"), "access")]);
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
