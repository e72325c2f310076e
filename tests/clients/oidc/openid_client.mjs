// openid-client v6 (panva) against the server, the way a Node back end
// uses it: discovery, authorization code + PKCE through the real login
// page, refresh, userinfo, password, client credentials, introspection,
// revocation, RP-initiated logout. BASE is the server's URL.
// With STRICT=1 the server runs with a clients file (see oidc_clients.sh)
// and the client ids and secrets below are the registered ones.
import * as client from "openid-client";
import { Browser, assert, callbackServer, check, finish, signIn } from "./lib.mjs";

const BASE = process.argv[2] ?? process.env.BASE ?? "http://127.0.0.1:8000";
const STRICT = process.env.STRICT === "1";
const SUITE = STRICT ? "openid-client-strict" : "openid-client";
// http, not https: the mock runs on loopback; openid-client refuses plain
// http unless told.
const insecure = { execute: [client.allowInsecureRequests] };
const app = await callbackServer(Number(process.env.CALLBACK_PORT ?? 0));
const redirectUri = `${app.base}/callback`;

let spa;
let backend;
let tokens;
await check(`${SUITE}: discovery`, async () => {
  spa = await client.discovery(new URL(BASE), "my-spa", undefined, client.None(), insecure);
  backend = await client.discovery(new URL(BASE), "backend", "backend-secret", client.ClientSecretBasic("backend-secret"), insecure);
  const meta = spa.serverMetadata();
  assert(meta.issuer === BASE, `issuer ${meta.issuer}`);
  assert(meta.supportsPKCE("S256"), "S256 not advertised");
});

await check(`${SUITE}: authorization code + PKCE through the login page`, async () => {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(spa, {
    redirect_uri: redirectUri,
    scope: "openid profile email roles offline_access",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  const browser = new Browser();
  const callback = await signIn(browser, url.href, { extraClaims: '{"tenant": "acme"}' });
  assert(app.hits.includes(callback.href), "the callback server was not reached");
  tokens = await client.authorizationCodeGrant(spa, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  assert(claims.sub === "test-user-123", `sub ${claims.sub}`);
  assert(claims.email === "alice@example.com" && claims.name === "Alice Johnson", "profile/email claims");
  assert(claims.tenant === "acme", "the extra claim typed on the page");
  assert(tokens.refresh_token, "no refresh token");

  // The session cookie now lets a second authorization through without the page.
  const again = client.buildAuthorizationUrl(spa, {
    redirect_uri: redirectUri, scope: "openid", state: "s2",
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
  });
  const silent = await browser.follow(again.href);
  assert(new URL(silent.url).searchParams.get("code"), `no silent code: ended at ${silent.url}`);
});

await check(`${SUITE}: userinfo`, async () => {
  const info = await client.fetchUserInfo(spa, tokens.access_token, "test-user-123");
  assert(info.email === "alice@example.com" && info.email_verified === true, JSON.stringify(info));
  assert(Array.isArray(info.roles) && info.roles.includes("admin"), "roles");
});

await check(`${SUITE}: refresh (rotated; the old refresh token is refused)`, async () => {
  const old = tokens.refresh_token;
  const next = await client.refreshTokenGrant(spa, old);
  assert(next.access_token && next.refresh_token && next.refresh_token !== old, "rotation");
  let refused = null;
  try { await client.refreshTokenGrant(spa, old); } catch (error) { refused = error; }
  assert(refused?.error === "invalid_grant", `reuse: ${refused?.error ?? "accepted"}`);
  tokens = next;
});

await check(`${SUITE}: password grant`, async () => {
  const got = await client.genericGrantRequest(backend, "password", {
    username: "bob@example.com", password: "password123", scope: "openid email",
  });
  assert(got.claims()?.sub === "test-user-456", "sub of the password grant");
  let refused = null;
  try {
    await client.genericGrantRequest(backend, "password", { username: "bob@example.com", password: "nope" });
  } catch (error) { refused = error; }
  assert(refused?.error === "invalid_grant", `wrong password: ${refused?.error ?? "accepted"}`);
});

let machine;
await check(`${SUITE}: client credentials`, async () => {
  machine = await client.clientCredentialsGrant(backend, { scope: "roles" });
  assert(machine.access_token && !machine.refresh_token, "a token and no refresh token");
  const payload = JSON.parse(Buffer.from(machine.access_token.split(".")[1], "base64url"));
  assert(payload.sub === "backend" && payload.client_id === "backend" && payload.type === "access", JSON.stringify(payload));
});

await check(`${SUITE}: introspection`, async () => {
  const active = await client.tokenIntrospection(backend, tokens.access_token);
  assert(active.active === true && active.sub === "test-user-123" && active.client_id === "my-spa", JSON.stringify(active));
  const junk = await client.tokenIntrospection(backend, "not-a-token");
  assert(junk.active === false, "junk is active");
});

await check(`${SUITE}: revocation (then refused by userinfo, /api/auth/me and introspection)`, async () => {
  // The SPA revokes its own tokens (a public client: client_id only).
  await client.tokenRevocation(spa, tokens.access_token);
  let refused = null;
  try { await client.fetchUserInfo(spa, tokens.access_token, client.skipSubjectCheck); } catch (error) { refused = error; }
  assert(refused, "userinfo accepted a revoked token");
  const me = await fetch(`${BASE}/api/auth/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert(me.status === 401, `/api/auth/me: ${me.status}`);
  const after = await client.tokenIntrospection(backend, tokens.access_token);
  assert(after.active === false, "still active");
  await client.tokenRevocation(spa, tokens.refresh_token);
  let gone = null;
  try { await client.refreshTokenGrant(spa, tokens.refresh_token); } catch (error) { gone = error; }
  assert(gone?.error === "invalid_grant", `revoked refresh token: ${gone?.error ?? "accepted"}`);
});

await check(`${SUITE}: RP-initiated logout ends the session`, async () => {
  const browser = new Browser();
  const verifier = client.randomPKCECodeVerifier();
  const challenge = await client.calculatePKCECodeChallenge(verifier);
  const authorize = (prompt) => client.buildAuthorizationUrl(spa, {
    redirect_uri: redirectUri, scope: "openid", ...(prompt ? { prompt } : {}),
    code_challenge: challenge, code_challenge_method: "S256",
  });
  const callback = await signIn(browser, authorize().href);
  const got = await client.authorizationCodeGrant(spa, callback, { pkceCodeVerifier: verifier, idTokenExpected: true });
  const end = client.buildEndSessionUrl(spa, {
    id_token_hint: got.id_token, post_logout_redirect_uri: `${app.base}/signed-out`, state: "bye",
  });
  const out = await browser.follow(end.href);
  const back = new URL(out.url);
  assert(back.pathname === "/signed-out" && back.searchParams.get("state") === "bye", `ended at ${out.url}`);
  const none = await browser.follow(authorize("none").href);
  assert(new URL(none.url).searchParams.get("error") === "login_required", `prompt=none after logout: ${none.url}`);
});

if (STRICT) {
  await check(`${SUITE}: a wrong secret is invalid_client (401, WWW-Authenticate: Basic)`, async () => {
    const wrong = await client.discovery(new URL(BASE), "backend", "wrong", client.ClientSecretBasic("wrong"), insecure);
    let refused = null;
    try { await client.clientCredentialsGrant(wrong); } catch (error) { refused = error; }
    assert(refused?.status === 401, `status ${refused?.status ?? "accepted"}`);
    const challenge = refused.response?.headers.get("www-authenticate") ?? "";
    assert(/^basic/i.test(challenge), `WWW-Authenticate: ${challenge}`);
    const body = await refused.response.json();
    assert(body.error === "invalid_client", JSON.stringify(body));
  });

  await check(`${SUITE}: an unregistered redirect URI is a page, never redirected`, async () => {
    const url = client.buildAuthorizationUrl(spa, {
      redirect_uri: `${app.base}/elsewhere`, scope: "openid",
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: "S256",
    });
    const before = app.hits.length;
    const got = await new Browser().follow(url.href);
    assert(got.response.status === 400 && /text\/html/.test(got.response.headers.get("content-type")), `status ${got.response.status}`);
    assert(app.hits.length === before, "the app was redirected to");
  });
}

app.close();
finish(SUITE);
