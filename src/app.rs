//! Builds the application: the state from the configuration, and the router
//! with its OpenAPI document, fault scopes and middleware stack.

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use std::sync::Arc;

use crate::auth::keys::{KeySet, SigningKey};
use crate::auth::revocation::RevocationList;
use crate::auth::{passwords, tokens::TokenKeys};
use crate::clock::Clock;
use crate::config::Config;
use crate::dev::{self, DevState};
use crate::docs;
use crate::faults::FaultEngine;
use crate::journal::Journal;
use crate::metrics::Metrics;
use crate::middleware::{self, faults};
use crate::oauth::{self, OAuthState};
use crate::routes;
use crate::seed;
use crate::state::{App, AppState};
use crate::store::UserStore;
use crate::ui;

/// Builds the state: seed users hashed at `BCRYPT_COST`, keys, empty metrics.
/// Fails with a message naming the setting (e.g. a seed file that does not parse).
pub async fn build_state(config: Config) -> Result<AppState, String> {
    let seed_users = match &config.seed_users_file {
        Some(path) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || seed::read_file(&path))
                .await
                .map_err(|error| format!("SEED_USERS_FILE: {error}"))??
        }
        None => seed::default_users(),
    };
    let cost = config.bcrypt_cost;
    // An unknown email is verified against the dummy hash; a seed file's own
    // hashes may be costlier than BCRYPT_COST, and the dummy must cost as
    // much as the slowest of them, or the time would tell which emails exist.
    let dummy_cost = seed_users
        .iter()
        .filter_map(|user| user.password_hash.as_deref().and_then(passwords::cost_of))
        .fold(cost, u32::max);
    let clock = Arc::new(Clock::default());
    let keys = Arc::new(key_set(&config, &clock).await?);
    let dummy_secret = uuid::Uuid::new_v4().to_string();
    let (users, dummy_hash) = tokio::join!(
        seed::build_users(seed_users, cost, clock.now()),
        passwords::hash(dummy_secret, dummy_cost)
    );
    let mut users = users?;
    // SEED_FAKE_USERS (issue 11): part of the seed, so a reset brings them back.
    if config.dev.seed_fake_users > 0 {
        let hash = passwords::hash(seed::DEFAULT_PASSWORD.to_owned(), cost)
            .await
            .map_err(|error| format!("SEED_FAKE_USERS: {error}"))?;
        users.extend(dev::users::fake_users(
            config.dev.seed_fake_users as usize,
            config.dev.seed_fake_users_seed,
            "example.com",
            &hash,
            &Arc::from(vec!["user".to_owned()]),
            clock.now(),
        ));
    }
    let users = UserStore::new(users).map_err(|error| format!("SEED_USERS_FILE: {error}"))?;
    Ok(AppState::new(App {
        tokens: TokenKeys::new(&config, keys, clock.clone()),
        clock,
        users,
        revoked: RevocationList::default(),
        metrics: Metrics::default(),
        dummy_hash: dummy_hash.map_err(|error| error.to_string())?,
        faults: FaultEngine::new(&config),
        oauth: OAuthState::new(&config)?,
        dev: DevState::new(&config),
        journal: Journal::new(&config),
        bound_url: std::sync::OnceLock::new(),
        config,
    }))
}

/// The asymmetric key set: from `JWT_PRIVATE_KEY_FILE`, or generated on
/// first use (see [`KeySet::warm_up`]).
async fn key_set(config: &Config, clock: &Arc<Clock>) -> Result<KeySet, String> {
    let alg = config.asymmetric_algorithm();
    let Some(path) = config.keys.jwt_private_key_file.clone() else {
        return Ok(KeySet::generated(alg, clock.clone()));
    };
    let at = clock.now();
    let describe = path.display().to_string();
    let key = tokio::task::spawn_blocking(move || {
        let pem = std::fs::read_to_string(&path).map_err(|error| error.to_string())?;
        SigningKey::from_pem(alg, &pem, at)
    })
    .await
    .map_err(|error| error.to_string())
    .and_then(|loaded| loaded)
    .map_err(|error| {
        format!("JWT_PRIVATE_KEY_FILE (--jwt-private-key-file) {describe}: {error}")
    })?;
    Ok(KeySet::loaded(key, clock.clone()))
}

/// The routes and their OpenAPI document, before middleware.
pub fn routes(app: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let request_faults = faults::FaultLayer::new(app.clone(), faults::Scope::RequestOnly);
    let all_faults = faults::FaultLayer::new(app.clone(), faults::Scope::RequestAndGlobal);
    let auth = routes::auth::router()
        .merge(oauth::router())
        .route_layer(all_faults);
    let mut others = routes::health::router().merge(routes::metrics::prometheus_router());
    if app.config.enable_dev_endpoints {
        // Every dev endpoint behind the DEV_API_KEY guard (a no-op when unset).
        let dev_routes = routes::users::router()
            .merge(routes::metrics::dev_router())
            .merge(dev::router())
            .route_layer(axum::middleware::from_fn_with_state(
                app.clone(),
                dev::access::guard,
            ));
        others = others.merge(dev_routes);
    }
    let others = others.merge(oauth::discovery::router());
    let (router, mut document) = OpenApiRouter::with_openapi(docs::base_document())
        .merge(auth)
        .merge(others.route_layer(request_faults))
        .split_for_parts();
    docs::describe_middleware(&mut document);
    (router, document)
}

/// The whole application: routes, docs, fallbacks and middleware, with state.
pub fn build_app(app: AppState) -> Router {
    let (api, document) = routes(&app);
    let router = api
        .merge(docs::router(document))
        .merge(ui::router(&app))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed);
    middleware::apply(router, &app).with_state(app)
}
