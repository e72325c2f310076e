// Writes collections/auth_api_mock.postman.json, the Postman v2.1 collection.
//
// The collection is generated rather than edited by hand because Postman keeps
// every script as an array of lines inside JSON, which is unreadable to review
// and easy to break. Here each script is plain JavaScript, and the helpers a
// script uses (JWT decoding, error-shape checks, ...) are copied into it, so
// every request stays self-contained when someone imports the file into the
// Postman app and runs a single request.
//
// Usage (from tests/e2e):
//   node make-collection.mjs           rewrite the collection
//   node make-collection.mjs --check   exit 1 if the committed file is stale
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const target = path.join(here, "..", "..", "collections", "auth_api_mock.postman.json");

// ---------------------------------------------------------------------------
// Helpers, copied into the scripts that name them. Each entry's body must
// only use Postman sandbox globals (pm, CryptoJS, atob) and other helpers.
// ---------------------------------------------------------------------------
const HELPERS = {
  b64urlDecode: `function b64urlDecode(part) {
    let s = part.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    return CryptoJS.enc.Base64.parse(s).toString(CryptoJS.enc.Utf8);
}`,
  b64url: `function b64url(wordArrayOrString) {
    const words = typeof wordArrayOrString === "string"
        ? CryptoJS.enc.Utf8.parse(wordArrayOrString) : wordArrayOrString;
    return CryptoJS.enc.Base64.stringify(words).replace(/=+$/, "").replace(/\\+/g, "-").replace(/\\//g, "_");
}`,
  decodeJwt: `// Decodes a JWT without verifying it: {header, payload, signature}.
function decodeJwt(token) {
    const parts = String(token).split(".");
    pm.expect(parts.length, "a JWT has three dot-separated parts").to.eql(3);
    return {
        header: JSON.parse(b64urlDecode(parts[0])),
        payload: JSON.parse(b64urlDecode(parts[1])),
        signature: parts[2],
    };
}`,
  signJwt: `// Signs claims with HS256 and the collection's jwtSecret (for forged-token tests).
function signJwt(claims, secret, alg) {
    const header = b64url(JSON.stringify({ alg: alg || "HS256", typ: "JWT" }));
    const body = b64url(JSON.stringify(claims));
    const sig = alg === "none" ? "" : b64url(CryptoJS.HmacSHA256(header + "." + body, secret));
    return header + "." + body + "." + sig;
}`,
  verifyHs256: `// True when the token's HS256 signature verifies with the secret.
function verifyHs256(token, secret) {
    const parts = token.split(".");
    return b64url(CryptoJS.HmacSHA256(parts[0] + "." + parts[1], secret)) === parts[2];
}`,
  expectUser: `// Checks the contract's User object: {id, email, name, roles, created_at}, nothing secret.
function expectUser(user) {
    pm.expect(user).to.be.an("object");
    pm.expect(user).to.have.all.keys("id", "email", "name", "roles", "created_at", "claims", "email_verified", "disabled");
    pm.expect(user.id).to.be.a("string").and.not.empty;
    pm.expect(user.email).to.be.a("string").and.include("@");
    pm.expect(user.email, "emails are stored lowercased").to.eql(user.email.toLowerCase());
    pm.expect(user.name).to.be.a("string").and.not.empty;
    pm.expect(user.roles).to.be.an("array").that.includes("user");
    pm.expect(user.created_at, "RFC 3339 UTC").to.match(/^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$/);
}`,
  expectTokenPair: `// Checks a token pair response and both tokens' claims; returns the decoded tokens.
function expectTokenPair(body) {
    pm.expect(body).to.have.all.keys("access_token", "refresh_token", "token_type",
        "expires_in", "refresh_expires_in", "user");
    pm.expect(body.token_type).to.eql("bearer");
    pm.expect(body.expires_in).to.eql(Number(pm.variables.get("accessTtlSeconds")));
    pm.expect(body.refresh_expires_in).to.eql(Number(pm.variables.get("refreshTtlSeconds")));
    expectUser(body.user);
    const access = decodeJwt(body.access_token);
    const refresh = decodeJwt(body.refresh_token);
    const alg = pm.variables.get("jwtAlgorithm");
    const issuer = pm.variables.get("jwtIssuer");
    pm.expect(access.header).to.include({ alg: alg, typ: "JWT" });
    pm.expect(refresh.header).to.include({ alg: alg, typ: "JWT" });
    const a = access.payload;
    pm.expect(a.type).to.eql("access");
    pm.expect(a.sub).to.eql(body.user.id);
    pm.expect(a.email).to.eql(body.user.email);
    pm.expect(a.name).to.eql(body.user.name);
    pm.expect(a.roles).to.eql(body.user.roles);
    pm.expect(a.iss).to.eql(issuer);
    pm.expect(a.jti).to.be.a("string").and.not.empty;
    pm.expect(a.exp - a.iat).to.eql(body.expires_in);
    const now = Math.floor(Date.now() / 1000);
    pm.expect(Math.abs(a.iat - now), "iat is now (clock skew under 60 s)").to.be.below(60);
    const r = refresh.payload;
    pm.expect(r.type).to.eql("refresh");
    pm.expect(r.sub).to.eql(body.user.id);
    pm.expect(r.iss).to.eql(issuer);
    pm.expect(r.jti).to.be.a("string").and.not.eql(a.jti);
    pm.expect(r.exp - r.iat).to.eql(body.refresh_expires_in);
    pm.expect(r, "a refresh token carries no profile").to.not.have.any.keys("email", "name", "roles");
    if (alg === "HS256") {
        const secret = pm.variables.get("jwtSecret");
        pm.expect(verifyHs256(body.access_token, secret), "access signature verifies with jwtSecret").to.be.true;
        pm.expect(verifyHs256(body.refresh_token, secret), "refresh signature verifies with jwtSecret").to.be.true;
    }
    return { access: a, refresh: r };
}`,
  expectError: `// Checks the contract's error shape: status, JSON {detail, code}.
function expectError(status, code) {
    pm.response.to.have.status(status);
    pm.expect(pm.response.headers.get("Content-Type")).to.include("application/json");
    const body = pm.response.json();
    pm.expect(body).to.have.all.keys("detail", "code");
    pm.expect(body.detail).to.be.a("string").and.not.empty;
    pm.expect(body.code).to.eql(code);
    return body;
}`,
  expectOAuthError: `// RFC 6749 5.2: {error, error_description} plus the contract's {detail, code}, no-store.
function expectOAuthError(status, error) {
    pm.response.to.have.status(status);
    pm.expect(pm.response.headers.get("Content-Type")).to.include("application/json");
    pm.expect(pm.response.headers.get("Cache-Control")).to.include("no-store");
    const body = pm.response.json();
    pm.expect(body).to.have.all.keys("error", "error_description", "detail", "code");
    pm.expect(body.error).to.eql(error);
    pm.expect(body.code).to.eql(error);
    pm.expect(body.error_description).to.be.a("string").and.not.empty;
    return body;
}`,
  expect401: `// A 401 with its code and the RFC 6750 challenge.
function expect401(code, tokenPresented) {
    const body = expectError(401, code);
    const challenge = pm.response.headers.get("WWW-Authenticate") || "";
    pm.expect(challenge).to.match(/^Bearer\\b/);
    if (tokenPresented) pm.expect(challenge).to.include('error="invalid_token"');
    return body;
}`,
};

// The sandbox's global CryptoJS is deprecated: each helper that needs it
// requires it in its own scope (a top-level const would clash with the global).
for (const [name, body] of Object.entries(HELPERS)) {
  if (body.includes("CryptoJS.")) {
    HELPERS[name] = body.replace(/\{\n/, '{\n    const CryptoJS = require("crypto-js");\n');
  }
}

/** The helpers named in `code`, with their own dependencies, in a stable order. */
function helpersFor(code) {
  const wanted = new Set();
  const visit = (text) => {
    for (const name of Object.keys(HELPERS)) {
      if (!wanted.has(name) && new RegExp(`\\b${name}\\b`).test(text)) {
        wanted.add(name);
        visit(HELPERS[name]);
      }
    }
  };
  visit(code);
  return Object.keys(HELPERS).filter((n) => wanted.has(n)).map((n) => HELPERS[n]);
}

function script(listen, code) {
  const trimmed = code.replace(/^\n+|\s+$/g, "");
  const helpers = helpersFor(trimmed);
  let text = helpers.length
    ? `${trimmed}\n\n// --- helpers (generated by tests/e2e/make-collection.mjs) ---\n${helpers.join("\n")}`
    : trimmed;
  return { listen, script: { type: "text/javascript", exec: text.split("\n") } };
}

/** A request item. `path` may carry a query string; `{{baseUrl}}` is prepended. */
function req(name, method, pathAndQuery, opts = {}) {
  const [p, q] = pathAndQuery.split("?");
  const url = {
    raw: `{{baseUrl}}${pathAndQuery}`,
    host: ["{{baseUrl}}"],
    path: p.split("/").filter(Boolean),
  };
  if (q) {
    url.query = q.split("&").map((kv) => {
      const [key, value = ""] = kv.split("=");
      return { key, value };
    });
  }
  const header = [];
  if (opts.auth) header.push({ key: "Authorization", value: `Bearer ${opts.auth}` });
  for (const [key, value] of Object.entries(opts.headers || {})) header.push({ key, value });
  const request = { method, header, url };
  if (opts.body !== undefined) {
    const raw = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body, null, 2);
    if (!opts.headers || !Object.keys(opts.headers).some((k) => k.toLowerCase() === "content-type")) {
      header.push({ key: "Content-Type", value: "application/json" });
    }
    request.body = { mode: "raw", raw, options: { raw: { language: opts.rawLanguage || "json" } } };
  }
  if (opts.description) request.description = opts.description;
  const event = [];
  if (opts.pre) event.push(script("prerequest", opts.pre));
  if (opts.test) event.push(script("test", opts.test));
  return { name, event, request, response: [] };
}

function folder(name, description, item) {
  return { name, description, item };
}

const json = { "Content-Type": "application/json" };
const login = (email = "{{email}}", password = "{{password}}") => ({ email, password });

// ---------------------------------------------------------------------------
// 1. Happy path: every auth endpoint once, tokens carried in variables.
// ---------------------------------------------------------------------------
const happy = folder(
  "01 Happy path",
  "Health, login, me, refresh, logout and register, each once with valid input. Login stores `accessToken` and `refreshToken`; refresh replaces them.",
  [
    req("Health", "GET", "/health", {
      test: `
pm.test("200 with the health object", function () {
    pm.response.to.have.status(200);
});
pm.test("health object has the contract's fields", function () {
    const body = pm.response.json();
    pm.expect(body).to.include.keys("status", "version", "uptime_seconds", "users", "metrics");
    pm.expect(body.status).to.eql("healthy");
    pm.expect(body.version).to.be.a("string").and.not.empty;
    pm.expect(body.uptime_seconds).to.be.a("number").and.at.least(0);
    pm.expect(body.users).to.be.a("number").and.at.least(1);
    pm.expect(body.metrics).to.include.keys("total_requests", "total_errors", "avg_latency_ms");
});
pm.test("x-request-id is echoed", function () {
    pm.expect(pm.response.headers.get("x-request-id")).to.eql("newman-health-check");
});`,
      headers: { "X-Request-Id": "newman-health-check" },
    }),
    req("Login", "POST", "/api/auth/login", {
      body: login(),
      description: "Logs in as a seed user. Stores `accessToken` and `refreshToken` for the next requests.",
      test: `
pm.test("200 with a token pair", function () {
    pm.response.to.have.status(200);
});
const body = pm.response.json();
pm.test("token pair shape and token claims", function () {
    expectTokenPair(body);
    pm.expect(body.user.email).to.eql(pm.variables.get("email").trim().toLowerCase());
});
pm.test("no password or hash in the response", function () {
    pm.expect(pm.response.text()).to.not.match(/password|\\$2[aby]\\$/i);
});
pm.collectionVariables.set("accessToken", body.access_token);
pm.collectionVariables.set("refreshToken", body.refresh_token);
pm.collectionVariables.set("userId", body.user.id);`,
    }),
    req("Login (email case and spaces ignored)", "POST", "/api/auth/login", {
      body: login("  ALICE@Example.COM ", "{{password}}"),
      test: `
pm.test("200: emails are trimmed and compared case-insensitively", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().user.email).to.eql("alice@example.com");
});`,
    }),
    req("Me", "GET", "/api/auth/me", {
      auth: "{{accessToken}}",
      test: `
pm.test("200 with the logged-in user", function () {
    pm.response.to.have.status(200);
    const user = pm.response.json();
    expectUser(user);
    pm.expect(user.id).to.eql(pm.collectionVariables.get("userId"));
});`,
    }),
    req("Refresh", "POST", "/api/auth/refresh", {
      body: { refresh_token: "{{refreshToken}}" },
      description: "Rotates: returns a new pair and revokes the presented refresh token.",
      test: `
pm.test("200 with a new token pair", function () {
    pm.response.to.have.status(200);
});
const body = pm.response.json();
pm.test("token pair shape and claims; both tokens are new", function () {
    const claims = expectTokenPair(body);
    pm.expect(body.refresh_token).to.not.eql(pm.collectionVariables.get("refreshToken"));
    pm.expect(body.access_token).to.not.eql(pm.collectionVariables.get("accessToken"));
    pm.expect(claims.access.sub).to.eql(pm.collectionVariables.get("userId"));
});
pm.collectionVariables.set("usedRefreshToken", pm.collectionVariables.get("refreshToken"));
pm.collectionVariables.set("accessToken", body.access_token);
pm.collectionVariables.set("refreshToken", body.refresh_token);`,
    }),
    req("Me (with the refreshed access token)", "GET", "/api/auth/me", {
      auth: "{{accessToken}}",
      test: `
pm.test("200 with the same user", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().id).to.eql(pm.collectionVariables.get("userId"));
});`,
    }),
    req("Logout", "POST", "/api/auth/logout", {
      body: { refresh_token: "{{refreshToken}}" },
      test: `
pm.test("204 with no body", function () {
    pm.response.to.have.status(204);
    pm.expect(pm.response.text()).to.eql("");
});`,
    }),
    req("Register", "POST", "/api/auth/register", {
      pre: `
// A fresh address per run, so the collection can run again without a reset.
pm.collectionVariables.set("newEmail", "newman-" + Date.now() + "-" + Math.floor(Math.random() * 1e6) + "@example.com");`,
      body: { email: "{{newEmail}}", password: "password123", name: "Newman User" },
      test: `
pm.test("201 with a token pair", function () {
    pm.response.to.have.status(201);
});
pm.test("new user: id user-<uuid v4>, roles [user], tokens for it", function () {
    const body = pm.response.json();
    expectTokenPair(body);
    pm.expect(body.user.id).to.match(/^user-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    pm.expect(body.user.roles).to.eql(["user"]);
    pm.expect(body.user.email).to.eql(pm.collectionVariables.get("newEmail"));
    pm.expect(body.user.name).to.eql("Newman User");
});`,
    }),
    req("Login as the registered user", "POST", "/api/auth/login", {
      body: login("{{newEmail}}", "password123"),
      test: `
pm.test("200: the new user can log in", function () {
    pm.response.to.have.status(200);
    expectTokenPair(pm.response.json());
});`,
    }),
    req("CORS preflight", "OPTIONS", "/api/auth/login", {
      headers: {
        Origin: "http://localhost:3000",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization,x-request-id,x-mock-delay,x-mock-error",
      },
      test: `
pm.test("preflight is answered with the allowed methods and headers", function () {
    pm.expect(pm.response.code).to.be.within(200, 204);
    const allowOrigin = pm.response.headers.get("Access-Control-Allow-Origin");
    pm.expect(allowOrigin === "*" || allowOrigin === "http://localhost:3000", "allow-origin").to.be.true;
    const methods = (pm.response.headers.get("Access-Control-Allow-Methods") || "").toUpperCase();
    ["GET", "POST", "DELETE"].forEach(function (m) { pm.expect(methods).to.include(m); });
    const headers = (pm.response.headers.get("Access-Control-Allow-Headers") || "").toLowerCase();
    ["authorization", "content-type", "x-request-id", "x-mock-delay", "x-mock-error"].forEach(function (h) {
        pm.expect(headers === "*" || headers.includes(h), h).to.be.true;
    });
});`,
    }),
  ],
);

// ---------------------------------------------------------------------------
// 2. Auth errors.
// ---------------------------------------------------------------------------
const forgedPre = (claims, alg = "HS256", secret = 'pm.variables.get("jwtSecret")') => `
const now = Math.floor(Date.now() / 1000);
const claims = ${claims};
pm.variables.set("forgedToken", signJwt(claims, ${secret}, "${alg}"));`;

const errors = folder(
  "02 Auth errors",
  "Each documented failure of the auth endpoints: status, `code`, and `WWW-Authenticate` on every 401. Tokens that need a particular defect are forged in pre-request scripts with CryptoJS and `jwtSecret`.",
  [
    req("Login with a wrong password", "POST", "/api/auth/login", {
      body: login("{{email}}", "wrong-password"),
      test: `
pm.test("401 invalid_credentials with a Bearer challenge", function () {
    expect401("invalid_credentials", false);
});
pm.collectionVariables.set("wrongPasswordBody", JSON.stringify(pm.response.json()));`,
    }),
    req("Login with an unknown email", "POST", "/api/auth/login", {
      body: login("nobody@example.com", "password123"),
      test: `
pm.test("401 invalid_credentials, the same body as a wrong password", function () {
    const body = expect401("invalid_credentials", false);
    pm.expect(body).to.eql(JSON.parse(pm.collectionVariables.get("wrongPasswordBody")));
});`,
    }),
    req("Login without a password field", "POST", "/api/auth/login", {
      body: { email: "alice@example.com" },
      test: `
pm.test("422 validation_error naming the field", function () {
    const body = expectError(422, "validation_error");
    pm.expect(body.detail).to.include("password");
});`,
    }),
    req("Login with a body that is not JSON", "POST", "/api/auth/login", {
      body: '{"email": "alice@example.com", "password": ',
      rawLanguage: "text",
      test: `
pm.test("400 bad_request", function () {
    expectError(400, "bad_request");
});`,
    }),
    req("Login with a non-JSON content type", "POST", "/api/auth/login", {
      body: "email=alice@example.com&password=password123",
      rawLanguage: "text",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      test: `
pm.test("415 unsupported_media_type", function () {
    expectError(415, "unsupported_media_type");
});`,
    }),
    req("Register with a body over MAX_BODY_BYTES", "POST", "/api/auth/register", {
      pre: `
// 70 000 bytes: over the default MAX_BODY_BYTES of 65536.
pm.variables.set("hugeName", "x".repeat(70000));`,
      body: { email: "huge@example.com", password: "password123", name: "{{hugeName}}" },
      test: `
pm.test("413 payload_too_large", function () {
    expectError(413, "payload_too_large");
});`,
    }),
    req("Register an email that is taken", "POST", "/api/auth/register", {
      body: { email: "Alice@Example.com", password: "password123", name: "Another Alice" },
      test: `
pm.test("409 email_taken (emails compare case-insensitively)", function () {
    expectError(409, "email_taken");
});`,
    }),
    req("Register with a short password", "POST", "/api/auth/register", {
      body: { email: "short-password@example.com", password: "short", name: "Short" },
      test: `
pm.test("422 naming password", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("password");
});`,
    }),
    req("Register with a password over 72 bytes", "POST", "/api/auth/register", {
      body: { email: "long-password@example.com", password: "é".repeat(37), name: "Long" },
      test: `
pm.test("422 naming password (37 two-byte characters are 74 bytes)", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("password");
});`,
    }),
    req("Register with an invalid email", "POST", "/api/auth/register", {
      body: { email: "not-an-email", password: "password123", name: "Nobody" },
      test: `
pm.test("422 naming email", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("email");
});`,
    }),
    req("Register with a blank name", "POST", "/api/auth/register", {
      body: { email: "blank-name@example.com", password: "password123", name: "   " },
      test: `
pm.test("422 naming name", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("name");
});`,
    }),
    req("Me without a token", "GET", "/api/auth/me", {
      test: `
pm.test("401 missing_token with a plain Bearer challenge", function () {
    expect401("missing_token", false);
});`,
    }),
    req("Me with a garbage token", "GET", "/api/auth/me", {
      auth: "not.a.jwt",
      test: `
pm.test("401 invalid_token, WWW-Authenticate error=invalid_token", function () {
    expect401("invalid_token", true);
});`,
    }),
    req("Me with a token signed by another secret", "GET", "/api/auth/me", {
      pre: forgedPre(
        `{ sub: "test-user-123", email: "alice@example.com", name: "Alice Johnson", roles: ["admin", "user"],
    type: "access", iat: now, exp: now + 600, jti: "forged-1", iss: pm.variables.get("jwtIssuer") }`,
        "HS256",
        '"not-the-server-secret"',
      ),
      auth: "{{forgedToken}}",
      test: `
pm.test("401 invalid_token", function () {
    expect401("invalid_token", true);
});`,
    }),
    req("Me with an alg=none token", "GET", "/api/auth/me", {
      pre: forgedPre(
        `{ sub: "test-user-123", email: "alice@example.com", name: "Alice Johnson", roles: ["admin", "user"],
    type: "access", iat: now, exp: now + 600, jti: "forged-2", iss: pm.variables.get("jwtIssuer") }`,
        "none",
      ),
      auth: "{{forgedToken}}",
      test: `
pm.test("401 invalid_token: alg none is refused", function () {
    expect401("invalid_token", true);
});`,
    }),
    req("Me with an expired token", "GET", "/api/auth/me", {
      pre: forgedPre(
        `{ sub: "test-user-123", email: "alice@example.com", name: "Alice Johnson", roles: ["admin", "user"],
    type: "access", iat: now - 7200, exp: now - 3600, jti: "forged-3", iss: pm.variables.get("jwtIssuer") }`,
      ),
      auth: "{{forgedToken}}",
      test: `
pm.test("401 token_expired", function () {
    expect401("token_expired", true);
});`,
    }),
    req("Me with a wrong issuer", "GET", "/api/auth/me", {
      pre: forgedPre(
        `{ sub: "test-user-123", email: "alice@example.com", name: "Alice Johnson", roles: ["admin", "user"],
    type: "access", iat: now, exp: now + 600, jti: "forged-4", iss: "someone-else" }`,
      ),
      auth: "{{forgedToken}}",
      test: `
pm.test("401 invalid_token", function () {
    expect401("invalid_token", true);
});`,
    }),
    req("Me with a refresh token", "GET", "/api/auth/me", {
      auth: "{{refreshToken}}",
      test: `
pm.test("401 wrong_token_type", function () {
    expect401("wrong_token_type", true);
});`,
    }),
    req("Refresh with an access token", "POST", "/api/auth/refresh", {
      body: { refresh_token: "{{accessToken}}" },
      test: `
pm.test("401 wrong_token_type with error=invalid_token", function () {
    expect401("wrong_token_type", true);
});`,
    }),
    req("Refresh with a garbage token", "POST", "/api/auth/refresh", {
      body: { refresh_token: "garbage" },
      test: `
pm.test("401 invalid_token", function () {
    expect401("invalid_token", true);
});`,
    }),
    req("Refresh with a used token", "POST", "/api/auth/refresh", {
      body: { refresh_token: "{{usedRefreshToken}}" },
      test: `
pm.test("401 token_revoked: refresh tokens are single use", function () {
    expect401("token_revoked", true);
});`,
    }),
    req("Refresh with a logged-out token", "POST", "/api/auth/refresh", {
      body: { refresh_token: "{{refreshToken}}" },
      test: `
pm.test("401 token_revoked: logout revoked it", function () {
    expect401("token_revoked", true);
});`,
    }),
    req("Refresh with an expired token", "POST", "/api/auth/refresh", {
      pre: forgedPre(`{ sub: "test-user-123", type: "refresh", iat: now - 7200, exp: now - 3600,
    jti: "forged-5", iss: pm.variables.get("jwtIssuer") }`),
      body: { refresh_token: "{{forgedToken}}" },
      test: `
pm.test("401 token_expired", function () {
    expect401("token_expired", true);
});`,
    }),
    req("Refresh for a user that does not exist", "POST", "/api/auth/refresh", {
      pre: forgedPre(`{ sub: "user-that-never-existed", type: "refresh", iat: now, exp: now + 600,
    jti: "forged-6-" + now, iss: pm.variables.get("jwtIssuer") }`),
      body: { refresh_token: "{{forgedToken}}" },
      test: `
pm.test("401 user_not_found", function () {
    expect401("user_not_found", true);
});`,
    }),
    req("Refresh without refresh_token", "POST", "/api/auth/refresh", {
      body: {},
      test: `
pm.test("422 naming refresh_token", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("refresh_token");
});`,
    }),
    req("Logout with a garbage token", "POST", "/api/auth/logout", {
      body: { refresh_token: "garbage" },
      test: `
pm.test("401 invalid_token", function () {
    expect401("invalid_token", true);
});`,
    }),
    req("Unknown path", "GET", "/api/auth/nope", {
      test: `
pm.test("404 not_found in JSON", function () {
    expectError(404, "not_found");
});`,
    }),
    req("Wrong method", "DELETE", "/api/auth/login", {
      test: `
pm.test("405 method_not_allowed in JSON", function () {
    expectError(405, "method_not_allowed");
});`,
    }),
  ],
);

// ---------------------------------------------------------------------------
// 3. Fault injection.
// ---------------------------------------------------------------------------
const faults = folder(
  "03 Error and delay simulation",
  "`?simulate_error=`, `X-Mock-Error`, `?simulate_delay=`, `X-Mock-Delay`, both together, and out-of-range values.",
  [
    req("Login with ?simulate_error=503", "POST", "/api/auth/login?simulate_error=503", {
      body: login(),
      test: `
pm.test("503 simulated_error with the contract's detail", function () {
    const body = expectError(503, "simulated_error");
    pm.expect(body.detail).to.eql("Simulated 503 error");
});`,
    }),
    req("Health with X-Mock-Error: 500", "GET", "/health", {
      headers: { "X-Mock-Error": "500" },
      test: `
pm.test("500 simulated_error", function () {
    pm.expect(expectError(500, "simulated_error").detail).to.eql("Simulated 500 error");
});`,
    }),
    req("Simulated error has no side effect (register)", "POST", "/api/auth/register?simulate_error=500", {
      pre: `
pm.collectionVariables.set("ghostEmail", "ghost-" + Date.now() + "@example.com");`,
      body: { email: "{{ghostEmail}}", password: "password123", name: "Ghost" },
      test: `
pm.test("500 simulated_error", function () {
    expectError(500, "simulated_error");
});`,
    }),
    req("...so that user cannot log in", "POST", "/api/auth/login", {
      body: login("{{ghostEmail}}", "password123"),
      test: `
pm.test("401 invalid_credentials: the handler did not run", function () {
    expect401("invalid_credentials", false);
});`,
    }),
    req("Health with ?simulate_delay=300", "GET", "/health?simulate_delay=300", {
      test: `
pm.test("200 after at least 300 ms", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.responseTime).to.be.at.least(300);
});`,
    }),
    req("Login with X-Mock-Delay: 250", "POST", "/api/auth/login", {
      headers: { "X-Mock-Delay": "250" },
      body: login(),
      test: `
pm.test("200 after at least 250 ms", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.responseTime).to.be.at.least(250);
    expectTokenPair(pm.response.json());
});`,
    }),
    req("Delay then error", "GET", "/api/auth/me?simulate_delay=200&simulate_error=429", {
      auth: "{{accessToken}}",
      test: `
pm.test("429 simulated_error after at least 200 ms", function () {
    pm.expect(expectError(429, "simulated_error").detail).to.eql("Simulated 429 error");
    pm.expect(pm.response.responseTime).to.be.at.least(200);
});`,
    }),
    req("simulate_error out of range", "GET", "/health?simulate_error=700", {
      test: `
pm.test("422 validation_error naming simulate_error", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("simulate_error");
});`,
    }),
    req("simulate_delay not a number", "GET", "/health?simulate_delay=soon", {
      test: `
pm.test("422 validation_error naming simulate_delay", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("simulate_delay");
});`,
    }),
    req("X-Mock-Delay over 60000", "GET", "/health", {
      headers: { "X-Mock-Delay": "60001" },
      test: `
pm.test("422 validation_error", function () {
    expectError(422, "validation_error");
});`,
    }),
  ],
);

// ---------------------------------------------------------------------------
// 4. Dev endpoints, metrics and docs.
// ---------------------------------------------------------------------------
const dev = folder(
  "04 Dev endpoints, metrics and docs",
  "Users list, reset, metrics (JSON and Prometheus) and the documentation routes. Dev endpoints answer 404 when ENABLE_DEV_ENDPOINTS=false.",
  [
    req("List users", "GET", "/api/auth/users", {
      test: `
pm.test("200 with users, total, limit, offset; seed users first", function () {
    pm.response.to.have.status(200);
    const body = pm.response.json();
    pm.expect(body).to.have.all.keys("users", "total", "limit", "offset");
    pm.expect(body.limit).to.eql(1000);
    pm.expect(body.offset).to.eql(0);
    pm.expect(body.total).to.eql(body.users.length);
    pm.expect(body.total).to.be.at.least(5);
    body.users.forEach(expectUser);
    pm.expect(body.users.slice(0, 5).map(function (u) { return u.id; })).to.eql(
        ["test-user-123", "test-user-456", "test-user-789", "test-user-abc", "test-user-def"]);
    pm.expect(body.users[0]).to.include({ email: "alice@example.com", name: "Alice Johnson" });
    pm.expect(body.users[0].roles).to.eql(["admin", "user"]);
    pm.collectionVariables.set("userTotal", body.total);
});`,
    }),
    req("List users with limit and offset", "GET", "/api/auth/users?limit=2&offset=1", {
      test: `
pm.test("200 with a page of two; total is the full count", function () {
    pm.response.to.have.status(200);
    const body = pm.response.json();
    pm.expect(body.limit).to.eql(2);
    pm.expect(body.offset).to.eql(1);
    pm.expect(body.total).to.eql(Number(pm.collectionVariables.get("userTotal")));
    pm.expect(body.users.map(function (u) { return u.id; })).to.eql(["test-user-456", "test-user-789"]);
});`,
    }),
    req("List users with limit=0", "GET", "/api/auth/users?limit=0", {
      test: `
pm.test("422 naming limit", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("limit");
});`,
    }),
    req("Metrics (JSON)", "GET", "/api/auth/metrics", {
      test: `
pm.test("200 with the metrics object", function () {
    pm.response.to.have.status(200);
    const m = pm.response.json();
    pm.expect(m).to.include.keys("uptime_seconds", "total_requests", "total_errors",
        "simulated_errors", "simulated_delays", "status_codes", "routes");
    pm.expect(m.total_requests).to.be.at.least(1);
    pm.expect(m.simulated_errors, "this run simulated errors").to.be.at.least(1);
    pm.expect(m.simulated_delays, "this run simulated delays").to.be.at.least(1);
    pm.expect(m.status_codes).to.have.property("200");
    const login = m.routes["POST /api/auth/login"];
    pm.expect(login, "login route is counted by its template").to.be.an("object");
    pm.expect(login).to.include.keys("count", "errors", "avg_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms");
    pm.expect(login.errors).to.be.at.least(1);
    pm.expect(m.routes, "unknown paths count as UNMATCHED").to.have.property("UNMATCHED");
});`,
    }),
    req("Reset metrics", "DELETE", "/api/auth/metrics", {
      test: `
pm.test("204", function () {
    pm.response.to.have.status(204);
});`,
    }),
    req("Metrics after the reset", "GET", "/api/auth/metrics", {
      test: `
pm.test("counters restarted from zero (the DELETE and this GET at most)", function () {
    pm.response.to.have.status(200);
    const m = pm.response.json();
    pm.expect(m.total_requests).to.be.within(1, 2);
    pm.expect(m.total_errors).to.eql(0);
    pm.expect(m.simulated_errors).to.eql(0);
});`,
    }),
    req("Prometheus metrics", "GET", "/metrics", {
      test: `
pm.test("200 Prometheus text exposition", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.headers.get("Content-Type")).to.include("text/plain");
    pm.expect(pm.response.text()).to.match(/^# (HELP|TYPE) /m);
});`,
    }),
    req("Reset users", "DELETE", "/api/auth/users/reset", {
      test: `
pm.test("200 with message and the seed count", function () {
    pm.response.to.have.status(200);
    const body = pm.response.json();
    pm.expect(body).to.include.keys("message", "users");
    pm.expect(body.message).to.be.a("string").and.not.empty;
    pm.expect(body.users).to.eql(5);
});`,
    }),
    req("List users after the reset", "GET", "/api/auth/users", {
      test: `
pm.test("exactly the five seed users", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().total).to.eql(5);
});`,
    }),
    req("OpenAPI document", "GET", "/openapi.json", {
      test: `
pm.test("200 OpenAPI 3 with every contract path", function () {
    pm.response.to.have.status(200);
    const doc = pm.response.json();
    pm.expect(doc.openapi).to.match(/^3\\./);
    ["/health", "/api/auth/register", "/api/auth/login", "/api/auth/refresh", "/api/auth/logout",
     "/api/auth/me", "/api/auth/users", "/api/auth/users/reset", "/api/auth/metrics", "/metrics"]
        .forEach(function (p) { pm.expect(doc.paths, p).to.have.property(p); });
});`,
    }),
    req("Swagger UI", "GET", "/docs/", {
      test: `
pm.test("200 HTML", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.headers.get("Content-Type")).to.include("text/html");
    pm.expect(pm.response.text().toLowerCase()).to.include("swagger");
});`,
    }),
    req("ReDoc", "GET", "/redoc", {
      test: `
pm.test("200 HTML", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.headers.get("Content-Type")).to.include("text/html");
    pm.expect(pm.response.text().toLowerCase()).to.include("redoc");
});`,
    }),
  ],
);

// ---------------------------------------------------------------------------
// 5. Full flow.
// ---------------------------------------------------------------------------
const flow = folder(
  "05 End-to-end flow",
  "Register, log in, me, refresh, reuse of the old refresh token refused, logout, reset; after the reset the registered user and its tokens are gone.",
  [
    req("1. Register", "POST", "/api/auth/register", {
      pre: `
pm.collectionVariables.set("flowEmail", "flow-" + Date.now() + "-" + Math.floor(Math.random() * 1e6) + "@example.com");`,
      body: { email: "{{flowEmail}}", password: "flow-password-1", name: "Flow User" },
      test: `
pm.test("201 with a token pair", function () {
    pm.response.to.have.status(201);
    expectTokenPair(pm.response.json());
});
pm.collectionVariables.set("flowUserId", pm.response.json().user.id);`,
    }),
    req("2. Login", "POST", "/api/auth/login", {
      body: login("{{flowEmail}}", "flow-password-1"),
      test: `
pm.test("200 with a token pair for the new user", function () {
    pm.response.to.have.status(200);
    const claims = expectTokenPair(pm.response.json());
    pm.expect(claims.access.sub).to.eql(pm.collectionVariables.get("flowUserId"));
});
pm.collectionVariables.set("flowAccess", pm.response.json().access_token);
pm.collectionVariables.set("flowRefresh", pm.response.json().refresh_token);`,
    }),
    req("3. Me", "GET", "/api/auth/me", {
      auth: "{{flowAccess}}",
      test: `
pm.test("200 with the new user", function () {
    pm.response.to.have.status(200);
    const user = pm.response.json();
    expectUser(user);
    pm.expect(user).to.include({ id: pm.collectionVariables.get("flowUserId"), name: "Flow User" });
    pm.expect(user.roles).to.eql(["user"]);
});`,
    }),
    req("4. Refresh", "POST", "/api/auth/refresh", {
      body: { refresh_token: "{{flowRefresh}}" },
      test: `
pm.test("200 with a rotated pair", function () {
    pm.response.to.have.status(200);
    expectTokenPair(pm.response.json());
    pm.expect(pm.response.json().refresh_token).to.not.eql(pm.collectionVariables.get("flowRefresh"));
});
pm.collectionVariables.set("flowOldRefresh", pm.collectionVariables.get("flowRefresh"));
pm.collectionVariables.set("flowAccess", pm.response.json().access_token);
pm.collectionVariables.set("flowRefresh", pm.response.json().refresh_token);`,
    }),
    req("5. Reuse of the old refresh token is refused", "POST", "/api/auth/refresh", {
      body: { refresh_token: "{{flowOldRefresh}}" },
      test: `
pm.test("401 token_revoked", function () {
    expect401("token_revoked", true);
});`,
    }),
    req("6. Logout", "POST", "/api/auth/logout", {
      body: { refresh_token: "{{flowRefresh}}" },
      test: `
pm.test("204", function () {
    pm.response.to.have.status(204);
});`,
    }),
    req("7. Refresh after logout is refused", "POST", "/api/auth/refresh", {
      body: { refresh_token: "{{flowRefresh}}" },
      test: `
pm.test("401 token_revoked", function () {
    expect401("token_revoked", true);
});`,
    }),
    req("8. Access token still works until it expires", "GET", "/api/auth/me", {
      auth: "{{flowAccess}}",
      test: `
pm.test("200: logout revokes the refresh token only", function () {
    pm.response.to.have.status(200);
});`,
    }),
    req("9. Reset", "DELETE", "/api/auth/users/reset", {
      test: `
pm.test("200, back to the five seed users", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().users).to.eql(5);
});`,
    }),
    req("10. Me after the reset", "GET", "/api/auth/me", {
      auth: "{{flowAccess}}",
      test: `
pm.test("401 user_not_found: the registered user was dropped", function () {
    expect401("user_not_found", true);
});`,
    }),
    req("11. Login after the reset", "POST", "/api/auth/login", {
      body: login("{{flowEmail}}", "flow-password-1"),
      test: `
pm.test("401 invalid_credentials", function () {
    expect401("invalid_credentials", false);
});`,
    }),
    req("12. Seed user still logs in", "POST", "/api/auth/login", {
      body: login(),
      test: `
pm.test("200", function () {
    pm.response.to.have.status(200);
    expectTokenPair(pm.response.json());
});`,
    }),
  ],
);

// ---------------------------------------------------------------------------
// 6. OAuth 2.0 token endpoint: client credentials and password grants,
//    introspection and revocation (RFC 6749, 7662, 7009).
// ---------------------------------------------------------------------------
const form = { "Content-Type": "application/x-www-form-urlencoded" };
const formBody = (pairs) =>
  Object.entries(pairs)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%7B%7B/g, "{{").replace(/%7D%7D/g, "}}")}`)
    .join("&");
const oauthReq = (name, path, pairs, opts = {}) =>
  req(name, "POST", path, {
    ...opts,
    headers: { ...form, ...(opts.headers || {}) },
    body: formBody(pairs),
    rawLanguage: "text",
  });

const oauth = folder(
  "06 OAuth token endpoint, introspection, revocation",
  "The client credentials and password grants at /oauth2/token (form-encoded, as RFC 6749 says), token introspection (RFC 7662) and revocation (RFC 7009). Without OAUTH_CLIENTS_FILE any client id authenticates with any secret.",
  [
    oauthReq("Client credentials (client_secret_post)", "/oauth2/token", {
      grant_type: "client_credentials",
      client_id: "{{oauthClientId}}",
      client_secret: "{{oauthClientSecret}}",
    }, {
      test: `
pm.test("200 Bearer token, no refresh token, Cache-Control: no-store", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.headers.get("Cache-Control")).to.include("no-store");
    const body = pm.response.json();
    pm.expect(body.token_type).to.eql("Bearer");
    pm.expect(body.expires_in).to.be.a("number").and.above(0);
    pm.expect(body).to.have.property("scope");
    pm.expect(body, "RFC 6749 4.4.3: no refresh token").to.not.have.property("refresh_token");
    pm.expect(body).to.not.have.property("id_token");
});
pm.test("the access token's sub is the client", function () {
    const claims = decodeJwt(pm.response.json().access_token).payload;
    const client = pm.variables.get("oauthClientId");
    pm.expect(claims).to.include({ sub: client, client_id: client, type: "access", iss: pm.variables.get("jwtIssuer") });
    pm.expect(claims.exp - claims.iat).to.eql(pm.response.json().expires_in);
});
pm.collectionVariables.set("ccAccess", pm.response.json().access_token);`,
    }),
    oauthReq("Client credentials (client_secret_basic)", "/oauth2/token", { grant_type: "client_credentials" }, {
      pre: `
// The sandbox's global CryptoJS is deprecated; a top-level const of that name would clash with it.
const cryptoJs = require("crypto-js");
const id = pm.variables.get("oauthClientId");
const secret = pm.variables.get("oauthClientSecret");
// RFC 6749 2.3.1: id and secret are form-encoded, then base64 of "id:secret".
const basic = cryptoJs.enc.Base64.stringify(cryptoJs.enc.Utf8.parse(encodeURIComponent(id) + ":" + encodeURIComponent(secret)));
pm.request.headers.upsert({ key: "Authorization", value: "Basic " + basic });`,
      test: `
pm.test("200 with a token for the client of the Basic credentials", function () {
    pm.response.to.have.status(200);
    const claims = decodeJwt(pm.response.json().access_token).payload;
    pm.expect(claims.client_id).to.eql(pm.variables.get("oauthClientId"));
});`,
    }),
    oauthReq("Password grant with openid", "/oauth2/token", {
      grant_type: "password",
      username: "{{email}}",
      password: "{{password}}",
      client_id: "{{oauthClientId}}",
      client_secret: "{{oauthClientSecret}}",
      scope: "openid profile email roles",
    }, {
      test: `
pm.test("200 with access, refresh and ID tokens", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.headers.get("Cache-Control")).to.include("no-store");
    const body = pm.response.json();
    pm.expect(body).to.include.keys("access_token", "token_type", "expires_in", "scope", "refresh_token", "id_token");
    pm.expect(body.token_type).to.eql("Bearer");
    pm.expect(body.scope.split(" ")).to.include.members(["openid", "profile", "email", "roles"]);
});
const body = pm.response.json();
pm.test("access token: the user, the client, the scope, type access", function () {
    const a = decodeJwt(body.access_token).payload;
    pm.expect(a).to.include({ sub: "test-user-123", email: "alice@example.com", type: "access",
        client_id: pm.variables.get("oauthClientId") });
    pm.expect(a.scope).to.eql(body.scope);
});
pm.test("ID token: aud is the client, the profile claims of the scopes", function () {
    const id = decodeJwt(body.id_token);
    pm.expect(id.header.alg).to.match(/^(RS|PS|ES|Ed)/);
    pm.expect(id.header.kid).to.be.a("string").and.not.empty;
    pm.expect(id.payload).to.include({ sub: "test-user-123", aud: pm.variables.get("oauthClientId"),
        email: "alice@example.com", email_verified: true, name: "Alice Johnson" });
    pm.expect(id.payload.at_hash).to.be.a("string").and.not.empty;
});
pm.collectionVariables.set("pwAccess", body.access_token);
pm.collectionVariables.set("pwRefresh", body.refresh_token);`,
    }),
    req("UserInfo with the password grant's token", "GET", "/oauth2/userinfo", {
      auth: "{{pwAccess}}",
      test: `
pm.test("200 with the claims of the scopes", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json()).to.include({ sub: "test-user-123", email: "alice@example.com", name: "Alice Johnson" });
});`,
    }),
    oauthReq("Password grant with a wrong password", "/oauth2/token", {
      grant_type: "password",
      username: "{{email}}",
      password: "not-the-password",
      client_id: "{{oauthClientId}}",
      client_secret: "{{oauthClientSecret}}",
    }, {
      test: `
pm.test("400 invalid_grant, RFC 6749 5.2 body with detail and code", function () {
    expectOAuthError(400, "invalid_grant");
});`,
    }),
    oauthReq("Unknown grant type", "/oauth2/token", { grant_type: "urn:example:magic", client_id: "{{oauthClientId}}" }, {
      test: `
pm.test("400 unsupported_grant_type", function () {
    expectOAuthError(400, "unsupported_grant_type");
});`,
    }),
    req("Token endpoint with a JSON body", "POST", "/oauth2/token", {
      body: { grant_type: "client_credentials", client_id: "{{oauthClientId}}", client_secret: "{{oauthClientSecret}}" },
      test: `
pm.test("400 invalid_request: the token endpoint takes a form", function () {
    expectOAuthError(400, "invalid_request");
});`,
    }),
    oauthReq("Introspect the access token", "/oauth2/introspect", {
      token: "{{pwAccess}}",
      client_id: "{{oauthClientId}}",
      client_secret: "{{oauthClientSecret}}",
    }, {
      test: `
pm.test("200 active: true with the token's claims", function () {
    pm.response.to.have.status(200);
    const body = pm.response.json();
    pm.expect(body.active).to.eql(true);
    pm.expect(body).to.include({ sub: "test-user-123", client_id: pm.variables.get("oauthClientId"), token_type: "Bearer" });
    pm.expect(body.exp).to.be.a("number");
});`,
    }),
    oauthReq("Introspect a token that is not one", "/oauth2/introspect", {
      token: "not-a-token",
      client_id: "{{oauthClientId}}",
      client_secret: "{{oauthClientSecret}}",
    }, {
      test: `
pm.test("200 active: false and nothing else (RFC 7662 2.2)", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json()).to.eql({ active: false });
});`,
    }),
    oauthReq("Revoke the refresh token", "/oauth2/revoke", {
      token: "{{pwRefresh}}",
      token_type_hint: "refresh_token",
      client_id: "{{oauthClientId}}",
      client_secret: "{{oauthClientSecret}}",
    }, {
      test: `
pm.test("200 (RFC 7009 2.2)", function () {
    pm.response.to.have.status(200);
});`,
    }),
    oauthReq("Refresh grant with the revoked token", "/oauth2/token", {
      grant_type: "refresh_token",
      refresh_token: "{{pwRefresh}}",
      client_id: "{{oauthClientId}}",
      client_secret: "{{oauthClientSecret}}",
    }, {
      test: `
pm.test("400 invalid_grant", function () {
    expectOAuthError(400, "invalid_grant");
});`,
    }),
    oauthReq("Revoke the access token", "/oauth2/revoke", {
      token: "{{pwAccess}}",
      client_id: "{{oauthClientId}}",
      client_secret: "{{oauthClientSecret}}",
    }, {
      test: `
pm.test("200", function () {
    pm.response.to.have.status(200);
});`,
    }),
    oauthReq("Introspect the revoked access token", "/oauth2/introspect", {
      token: "{{pwAccess}}",
      client_id: "{{oauthClientId}}",
      client_secret: "{{oauthClientSecret}}",
    }, {
      test: `
pm.test("200 active: false", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json()).to.eql({ active: false });
});`,
    }),
    req("Me with the revoked access token", "GET", "/api/auth/me", {
      auth: "{{pwAccess}}",
      test: `
pm.test("401 token_revoked: revocation reaches the REST API too", function () {
    expect401("token_revoked", true);
});`,
    }),
    oauthReq("Revoke a token that is not one", "/oauth2/revoke", {
      token: "garbage",
      client_id: "{{oauthClientId}}",
      client_secret: "{{oauthClientSecret}}",
    }, {
      test: `
pm.test("200: RFC 7009 answers 200 for an unknown token", function () {
    pm.response.to.have.status(200);
});`,
    }),
  ],
);

// ---------------------------------------------------------------------------
// 7. The test control plane: every /api/dev/* route, ending with a reset.
// ---------------------------------------------------------------------------
const devPost = (name, path, body, test, extra = {}) => req(name, "POST", path, { body, test, ...extra });
const control = folder(
  "07 Test control plane (/api/dev/*)",
  "Every control-plane route: clock, tokens on demand, the bad-token catalogue, token faults, users (CRUD and fake users), fault rules and global knobs, keys, settings, the request journal and token lineage. Starts and ends with POST /api/dev/reset, so the server is left as it started.",
  [
    devPost("Reset to the start state", "/api/dev/reset", {}, `
pm.test("200 with message and the seed count", function () {
    pm.response.to.have.status(200);
    const body = pm.response.json();
    pm.expect(body.message).to.be.a("string").and.not.empty;
    pm.expect(body.users).to.eql(5);
});`),
    req("Login (tokens for this folder)", "POST", "/api/auth/login", {
      body: login(),
      test: `
pm.test("200", function () {
    pm.response.to.have.status(200);
});
const body = pm.response.json();
pm.collectionVariables.set("cpAccess", body.access_token);
pm.collectionVariables.set("cpRefresh", body.refresh_token);
pm.collectionVariables.set("cpRefreshJti", decodeJwt(body.refresh_token).payload.jti);`,
    }),
    req("Clock: read", "GET", "/api/dev/clock", {
      test: `
pm.test("200 {now, offset_seconds: 0, frozen: false}", function () {
    pm.response.to.have.status(200);
    const c = pm.response.json();
    pm.expect(c).to.have.all.keys("now", "offset_seconds", "frozen");
    pm.expect(c.offset_seconds).to.eql(0);
    pm.expect(c.frozen).to.eql(false);
    pm.expect(Math.abs(Date.parse(c.now) - Date.now()), "now is the real time").to.be.below(60000);
});`,
    }),
    devPost("Clock: advance 31 minutes", "/api/dev/clock", { advance_seconds: 1860 }, `
pm.test("200 with offset_seconds 1860", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().offset_seconds).to.eql(1860);
});`),
    req("Me after 31 minutes", "GET", "/api/auth/me", {
      auth: "{{cpAccess}}",
      test: `
pm.test("401 token_expired: the server's clock decides", function () {
    expect401("token_expired", true);
});`,
    }),
    devPost("Clock: freeze", "/api/dev/clock", { freeze: true }, `
pm.test("200 frozen", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().frozen).to.eql(true);
});`),
    devPost("Clock: set", "/api/dev/clock", { set: "2030-01-01T00:00:00Z" }, `
pm.test("200, standing at the time set", function () {
    pm.response.to.have.status(200);
    const c = pm.response.json();
    pm.expect(c.now).to.eql("2030-01-01T00:00:00Z");
    pm.expect(c.frozen).to.eql(true);
});`),
    devPost("Clock: a bad change", "/api/dev/clock", { set: "tomorrow" }, `
pm.test("422 naming set", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("set");
});`),
    req("Clock: back to real time", "DELETE", "/api/dev/clock", {
      test: `
pm.test("200, offset 0, running", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json()).to.include({ offset_seconds: 0, frozen: false });
});`,
    }),
    req("Me again in real time", "GET", "/api/auth/me", {
      auth: "{{cpAccess}}",
      test: `
pm.test("200", function () {
    pm.response.to.have.status(200);
});`,
    }),
    devPost("Tokens on demand", "/api/dev/tokens",
      { user: "alice@example.com", expires_in: 120, claims: { tenant: "acme" }, remove_claims: ["name"] }, `
pm.test("200 {token, header, claims} made as asked", function () {
    pm.response.to.have.status(200);
    const body = pm.response.json();
    pm.expect(body).to.have.all.keys("token", "header", "claims");
    pm.expect(body.claims).to.include({ sub: "test-user-123", type: "access", tenant: "acme" });
    pm.expect(body.claims).to.not.have.property("name");
    pm.expect(body.claims.exp - body.claims.iat).to.eql(120);
    pm.expect(decodeJwt(body.token).payload).to.eql(body.claims);
    pm.expect(body.header.alg).to.eql(pm.variables.get("jwtAlgorithm"));
});
pm.collectionVariables.set("devToken", pm.response.json().token);`),
    req("Me with the token made on demand", "GET", "/api/auth/me", {
      auth: "{{devToken}}",
      test: `
pm.test("200: a server-signed token is accepted", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().id).to.eql("test-user-123");
});`,
    }),
    devPost("Tokens on demand: unsigned", "/api/dev/tokens", { user: "alice@example.com", sign: "none" }, `
pm.test("200, alg none, empty signature", function () {
    pm.response.to.have.status(200);
    const body = pm.response.json();
    pm.expect(body.header.alg).to.eql("none");
    pm.expect(body.token.split(".")[2]).to.eql("");
});
pm.collectionVariables.set("devUnsigned", pm.response.json().token);`),
    req("Me with the unsigned token", "GET", "/api/auth/me", {
      auth: "{{devUnsigned}}",
      test: `
pm.test("401 invalid_token", function () {
    expect401("invalid_token", true);
});`,
    }),
    req("Bad-token catalogue", "GET", "/api/dev/tokens/bad?user=alice@example.com", {
      test: `
pm.test("200 with the valid token and every case of this configuration", function () {
    pm.response.to.have.status(200);
    const body = pm.response.json();
    pm.expect(body.valid.expect).to.eql("accepted");
    const names = body.cases.map(function (c) { return c.name; });
    pm.expect(names).to.include.members(["expired", "not_yet_valid", "bad_signature", "alg_none",
        "wrong_algorithm", "wrong_issuer", "missing_exp", "wrong_type", "malformed", "revoked", "deleted_user"]);
    body.cases.forEach(function (c) {
        pm.expect(c, c.name).to.include.keys("name", "description", "token", "expect", "checked_by");
        pm.expect(c.expect).to.eql("rejected");
        pm.expect(c.checked_by).to.be.oneOf(["offline", "online"]);
    });
    pm.expect(body.cases.find(function (c) { return c.name === "revoked"; }).checked_by).to.eql("online");
});
const cases = pm.response.json().cases;
pm.collectionVariables.set("badExpired", cases.find(function (c) { return c.name === "expired"; }).token);
pm.collectionVariables.set("badSignature", cases.find(function (c) { return c.name === "bad_signature"; }).token);`,
    }),
    req("Me with the catalogue's expired token", "GET", "/api/auth/me", {
      auth: "{{badExpired}}",
      test: `
pm.test("401 token_expired", function () {
    expect401("token_expired", true);
});`,
    }),
    req("Me with the catalogue's bad signature", "GET", "/api/auth/me", {
      auth: "{{badSignature}}",
      test: `
pm.test("401 invalid_token", function () {
    expect401("invalid_token", true);
});`,
    }),
    req("Login with a token fault", "POST", "/api/auth/login", {
      headers: { "X-Mock-Token-Fault": "expired" },
      body: login(),
      test: `
pm.test("200, but the access token is already expired", function () {
    pm.response.to.have.status(200);
    const a = decodeJwt(pm.response.json().access_token).payload;
    pm.expect(a.exp, "exp in the past").to.be.below(Math.floor(Date.now() / 1000));
});
pm.collectionVariables.set("faultyAccess", pm.response.json().access_token);`,
    }),
    req("Login with an unknown token fault", "POST", "/api/auth/login", {
      headers: { "X-Mock-Token-Fault": "no_such_case" },
      body: login(),
      test: `
pm.test("422 validation_error", function () {
    expectError(422, "validation_error");
});`,
    }),
    devPost("Users: create", "/api/dev/users", {
      email: "{{cpEmail}}", password: "password123", name: "Control Plane", roles: ["qa", "user"],
      claims: { tenant: "acme" }, email_verified: false,
    }, `
pm.test("201 with the user object", function () {
    pm.response.to.have.status(201);
    const user = pm.response.json();
    expectUser(user);
    pm.expect(user.claims).to.eql({ tenant: "acme" });
    pm.expect(user).to.include({ email_verified: false, disabled: false });
});
pm.collectionVariables.set("cpUserId", pm.response.json().id);`, {
      pre: `
pm.collectionVariables.set("cpEmail", "cp-" + Date.now() + "-" + Math.floor(Math.random() * 1e6) + "@example.com");`,
    }),
    req("Users: login carries the custom claims", "POST", "/api/auth/login", {
      body: login("{{cpEmail}}", "password123"),
      test: `
pm.test("200; the access token has the user's claims", function () {
    pm.response.to.have.status(200);
    pm.expect(decodeJwt(pm.response.json().access_token).payload.tenant).to.eql("acme");
});`,
    }),
    req("Users: disable", "PATCH", "/api/dev/users/{{cpUserId}}", {
      body: { name: "Disabled User", disabled: true },
      test: `
pm.test("200 with the changed user", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json()).to.include({ name: "Disabled User", disabled: true });
});`,
    }),
    req("Users: a disabled user's login", "POST", "/api/auth/login", {
      body: login("{{cpEmail}}", "password123"),
      test: `
pm.test("401 user_disabled", function () {
    expect401("user_disabled", false);
});`,
    }),
    req("Users: a reserved claim", "PATCH", "/api/dev/users/{{cpUserId}}", {
      body: { claims: { sub: "someone-else" } },
      test: `
pm.test("422 naming claims.sub", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("claims.sub");
});`,
    }),
    req("Users: delete", "DELETE", "/api/dev/users/{{cpUserId}}", {
      test: `
pm.test("204", function () {
    pm.response.to.have.status(204);
});`,
    }),
    req("Users: delete again", "DELETE", "/api/dev/users/{{cpUserId}}", {
      test: `
pm.test("404 not_found", function () {
    expectError(404, "not_found");
});`,
    }),
    devPost("Fake users: generate", "/api/dev/users/generate", { count: 25, seed: 42 }, `
pm.test("201 {created, users}; seed 42 always gives the same users", function () {
    pm.response.to.have.status(201);
    const body = pm.response.json();
    pm.expect(body.created).to.eql(25);
    pm.expect(body.users).to.have.lengthOf(25);
    body.users.forEach(expectUser);
    pm.expect(body.users[0]).to.include({ name: "Marisol Corkery",
        email: "marisol.corkery.395d5ba10@example.com", id: "user-fake-395d5ba1-0" });
});`),
    req("Fake users: log in as one", "POST", "/api/auth/login", {
      body: login("marisol.corkery.395d5ba10@example.com", "password123"),
      test: `
pm.test("200: fake users share the default password", function () {
    pm.response.to.have.status(200);
});`,
    }),
    devPost("Fake users: count out of range", "/api/dev/users/generate", { count: 0 }, `
pm.test("422 naming count", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("count");
});`),
    devPost("Faults: logins fail once with 503", "/api/dev/faults",
      { match: { method: "POST", route: "/api/auth/login" }, status: 503, retry_after: 5, times: 1 }, `
pm.test("201 with the rule and its id", function () {
    pm.response.to.have.status(201);
    const rule = pm.response.json();
    pm.expect(rule.id).to.be.a("number");
    pm.expect(rule.hits).to.eql(0);
});
pm.collectionVariables.set("faultId", pm.response.json().id);`),
    req("Faults: the login the rule hits", "POST", "/api/auth/login", {
      body: login(),
      test: `
pm.test("503 simulated_error with Retry-After: 5", function () {
    expectError(503, "simulated_error");
    pm.expect(pm.response.headers.get("Retry-After")).to.eql("5");
});`,
    }),
    req("Faults: the next login recovers", "POST", "/api/auth/login", {
      body: login(),
      test: `
pm.test("200: times 1 is spent", function () {
    pm.response.to.have.status(200);
});`,
    }),
    req("Faults: list", "GET", "/api/dev/faults", {
      test: `
pm.test("200 with the rule and its one hit", function () {
    pm.response.to.have.status(200);
    const rules = pm.response.json().rules;
    const rule = rules.find(function (r) { return r.id === Number(pm.collectionVariables.get("faultId")); });
    pm.expect(rule.hits).to.eql(1);
    pm.expect(rule.status).to.eql(503);
});`,
    }),
    req("Faults: remove the rule", "DELETE", "/api/dev/faults/{{faultId}}", {
      test: `
pm.test("204", function () {
    pm.response.to.have.status(204);
});`,
    }),
    devPost("Faults: a bad rule", "/api/dev/faults", { match: {}, status: 99 }, `
pm.test("422 naming status", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("status");
});`),
    devPost("Faults: a slow rule for one user", "/api/dev/faults",
      { match: { user: "bob@example.com" }, delay_ms: 10 }, `
pm.test("201", function () {
    pm.response.to.have.status(201);
});`),
    req("Faults: remove every rule", "DELETE", "/api/dev/faults", {
      test: `
pm.test("204", function () {
    pm.response.to.have.status(204);
});`,
    }),
    req("Faults: none left", "GET", "/api/dev/faults", {
      test: `
pm.test("200 with no rule", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().rules).to.eql([]);
});`,
    }),
    req("Global knobs: read", "GET", "/api/dev/faults/global", {
      test: `
pm.test("200 with the MOCK_* knobs, all off", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json()).to.include({ delay_min_ms: 0, delay_max_ms: 0, error_rate: 0 });
    pm.expect(pm.response.json()).to.have.property("error_status");
});`,
    }),
    req("Global knobs: every auth request fails", "PUT", "/api/dev/faults/global", {
      body: { error_rate: 1, error_status: 502 },
      test: `
pm.test("200 with the knobs after the change", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json()).to.include({ error_rate: 1, error_status: 502 });
});`,
    }),
    req("Global knobs: a login fails", "POST", "/api/auth/login", {
      body: login(),
      test: `
pm.test("502 simulated_error", function () {
    expectError(502, "simulated_error");
});`,
    }),
    req("Global knobs: off again", "PUT", "/api/dev/faults/global", {
      body: { error_rate: 0 },
      test: `
pm.test("200, error_rate 0", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().error_rate).to.eql(0);
});`,
    }),
    req("Global knobs: a bad value", "PUT", "/api/dev/faults/global", {
      body: { error_rate: 2 },
      test: `
pm.test("422 naming error_rate", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("error_rate");
});`,
    }),
    req("Keys: list", "GET", "/api/dev/keys", {
      test: `
pm.test("200 with one current key", function () {
    pm.response.to.have.status(200);
    const keys = pm.response.json().keys;
    pm.expect(keys).to.have.lengthOf(1);
    pm.expect(keys[0]).to.include.keys("kid", "alg", "created_at", "current");
    pm.expect(keys[0].current).to.eql(true);
});
pm.collectionVariables.set("firstKid", pm.response.json().keys[0].kid);`,
    }),
    devPost("Keys: rotate", "/api/dev/keys/rotate", {}, `
pm.test("201 with the new kid", function () {
    pm.response.to.have.status(201);
    pm.expect(pm.response.json().kid).to.be.a("string").and.not.eql(pm.collectionVariables.get("firstKid"));
});
pm.collectionVariables.set("newKid", pm.response.json().kid);`),
    req("Keys: the JWKS holds both", "GET", "/.well-known/jwks.json", {
      test: `
pm.test("200 with the old and the new key", function () {
    pm.response.to.have.status(200);
    const kids = pm.response.json().keys.map(function (k) { return k.kid; });
    pm.expect(kids).to.include.members([pm.collectionVariables.get("firstKid"), pm.collectionVariables.get("newKid")]);
});`,
    }),
    req("Keys: retiring the current key", "DELETE", "/api/dev/keys/{{newKid}}", {
      test: `
pm.test("422: rotate first", function () {
    expectError(422, "validation_error");
});`,
    }),
    req("Keys: retire the old key", "DELETE", "/api/dev/keys/{{firstKid}}", {
      test: `
pm.test("204", function () {
    pm.response.to.have.status(204);
});`,
    }),
    req("Keys: the JWKS follows at once", "GET", "/.well-known/jwks.json", {
      test: `
pm.test("the retired key is gone", function () {
    const kids = pm.response.json().keys.map(function (k) { return k.kid; });
    pm.expect(kids).to.not.include(pm.collectionVariables.get("firstKid"));
    pm.expect(kids).to.include(pm.collectionVariables.get("newKid"));
});`,
    }),
    req("Keys: an unknown kid", "DELETE", "/api/dev/keys/no-such-kid", {
      test: `
pm.test("404 not_found", function () {
    expectError(404, "not_found");
});`,
    }),
    req("Settings: revoke-family", "PUT", "/api/dev/settings", {
      body: { refresh_reuse: "revoke-family" },
      test: `
pm.test("200 with the policy now", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().refresh_reuse).to.eql("revoke-family");
});`,
    }),
    req("Settings: a bad policy", "PUT", "/api/dev/settings", {
      body: { refresh_reuse: "sometimes" },
      test: `
pm.test("422 naming refresh_reuse", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("refresh_reuse");
});`,
    }),
    req("Refresh (for the lineage)", "POST", "/api/auth/refresh", {
      body: { refresh_token: "{{cpRefresh}}" },
      test: `
pm.test("200", function () {
    pm.response.to.have.status(200);
});
pm.collectionVariables.set("cpChildJti", decodeJwt(pm.response.json().refresh_token).payload.jti);`,
    }),
    req("Token lineage", "GET", "/api/dev/tokens/{{cpRefreshJti}}", {
      test: `
pm.test("200: the login's refresh token, revoked, exchanged for the new one", function () {
    pm.response.to.have.status(200);
    const t = pm.response.json();
    pm.expect(t).to.include.keys("jti", "type", "sub", "issued_by", "parent", "children", "revoked", "expires_at");
    pm.expect(t).to.include({ jti: pm.collectionVariables.get("cpRefreshJti"), type: "refresh", sub: "test-user-123", revoked: true });
    pm.expect(t.parent).to.eql(null);
    pm.expect(t.children).to.include(pm.collectionVariables.get("cpChildJti"));
});`,
    }),
    req("Token lineage: an unknown jti", "GET", "/api/dev/tokens/no-such-jti", {
      test: `
pm.test("404 not_found", function () {
    expectError(404, "not_found");
});`,
    }),
    req("Request journal", "GET", "/api/dev/requests?route=/api/auth/refresh&limit=5", {
      test: `
pm.test("200, newest first, nothing secret", function () {
    pm.response.to.have.status(200);
    const entries = pm.response.json().requests;
    pm.expect(entries.length).to.be.within(1, 5);
    const last = entries[0];
    pm.expect(last).to.include.keys("id", "time", "method", "path", "route", "status", "duration_ms", "user", "client", "fault", "tokens");
    pm.expect(last).to.include({ method: "POST", route: "/api/auth/refresh", status: 200, user: "test-user-123" });
    pm.expect(last.tokens.parent).to.eql(pm.collectionVariables.get("cpRefreshJti"));
    pm.expect(pm.response.text()).to.not.include(pm.collectionVariables.get("cpRefresh"));
});`,
    }),
    req("Request journal: a bad filter", "GET", "/api/dev/requests?since=yesterday", {
      test: `
pm.test("422 naming since", function () {
    pm.expect(expectError(422, "validation_error").detail).to.include("since");
});`,
    }),
    req("Request journal: empty it", "DELETE", "/api/dev/requests", {
      test: `
pm.test("204", function () {
    pm.response.to.have.status(204);
});`,
    }),
    req("Metrics: the control plane's actions (Prometheus)", "GET", "/metrics", {
      test: `
pm.test("the actions of this folder are counted", function () {
    pm.response.to.have.status(200);
    // Only at /metrics: the JSON metrics object keeps Part I's keys.
    const c = {};
    const re = /^mock_auth_control_plane_actions_total\\{action="([a-z_]+)"\\} (\\d+)$/;
    pm.response.text().split("\\n").forEach(function (line) {
        const m = line.match(re);
        if (m) { c[m[1]] = Number(m[2]); }
    });
    pm.expect(c.clock_changes).to.be.at.least(4);
    pm.expect(c.tokens_minted).to.be.at.least(2);
    pm.expect(c.token_faults).to.be.at.least(1);
    pm.expect(c.fault_rule_hits).to.be.at.least(1);
    pm.expect(c.key_rotations).to.be.at.least(1);
    pm.expect(c.resets).to.be.at.least(1);
});`,
    }),
    devPost("Reset: back to the start state", "/api/dev/reset", {}, `
pm.test("200 with the seed count", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().users).to.eql(5);
});`),
    req("After the reset: one key again, the first", "GET", "/api/dev/keys", {
      test: `
pm.test("the key set of the start", function () {
    const keys = pm.response.json().keys;
    pm.expect(keys).to.have.lengthOf(1);
    pm.expect(keys[0].current).to.eql(true);
    pm.expect(keys[0].kid).to.not.eql(pm.collectionVariables.get("newKid"));
});`,
    }),
    req("After the reset: the seed users only", "GET", "/api/auth/users", {
      test: `
pm.test("five users", function () {
    pm.expect(pm.response.json().total).to.eql(5);
});`,
    }),
    req("After the reset: real time, no rule", "GET", "/api/dev/faults", {
      test: `
pm.test("no rule", function () {
    pm.expect(pm.response.json().rules).to.eql([]);
});`,
    }),
    req("After the reset: the clock", "GET", "/api/dev/clock", {
      test: `
pm.test("offset 0, running", function () {
    pm.expect(pm.response.json()).to.include({ offset_seconds: 0, frozen: false });
});`,
    }),
    req("After the reset: the settings", "PUT", "/api/dev/settings", {
      body: {},
      test: `
pm.test("refresh_reuse back to reject", function () {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().refresh_reuse).to.eql("reject");
});`,
    }),
  ],
);

// ---------------------------------------------------------------------------
// The collection.
// ---------------------------------------------------------------------------
const collectionTest = script(
  "test",
  `
// Runs after every request of the collection: the conventions of every route.
pm.test("[all] x-request-id is present", function () {
    pm.expect(pm.response.headers.get("x-request-id")).to.be.a("string").and.not.empty;
});
if (pm.response.code >= 400) {
    pm.test("[all] error body is JSON {detail, code}", function () {
        pm.expect(pm.response.headers.get("Content-Type")).to.include("application/json");
        const body = pm.response.json();
        // The OAuth endpoints answer RFC 6749's {error, error_description} beside them.
        if (body.error !== undefined) {
            pm.expect(body).to.have.all.keys("detail", "code", "error", "error_description");
        } else {
            pm.expect(body).to.have.all.keys("detail", "code");
        }
    });
}
if (pm.response.code === 401) {
    pm.test("[all] 401 carries WWW-Authenticate: Bearer", function () {
        pm.expect(pm.response.headers.get("WWW-Authenticate") || "").to.match(/^Bearer\\b/);
    });
}`,
);

const variable = [
  ["baseUrl", "http://127.0.0.1:8000", "Where the mock listens (newman: --env-var baseUrl=http://127.0.0.1:PORT)."],
  ["email", "alice@example.com", "Seed user used by the happy path."],
  ["password", "password123", "Password of every seed user."],
  ["jwtSecret", "dev-secret-key-change-in-production", "The server's JWT_SECRET: used to verify signatures and forge tokens."],
  ["jwtAlgorithm", "HS256", "The server's JWT_ALGORITHM."],
  ["jwtIssuer", "mock-auth-server", "The server's JWT_ISSUER."],
  ["accessTtlSeconds", "1800", "ACCESS_TOKEN_EXPIRE_MINUTES * 60."],
  ["refreshTtlSeconds", "604800", "REFRESH_TOKEN_EXPIRE_DAYS * 86400."],
  ["accessToken", "", "Set by Login and Refresh."],
  ["refreshToken", "", "Set by Login and Refresh."],
  ["usedRefreshToken", "", "The refresh token that Refresh consumed."],
  ["userId", "", "Set by Login."],
  ["oauthClientId", "newman-backend", "A confidential OAuth client (any id and secret work without OAUTH_CLIENTS_FILE)."],
  ["oauthClientSecret", "newman-secret", "Its secret."],
].map(([key, value, description]) => ({ key, value, type: "string", description }));

const collection = {
  info: {
    _postman_id: "5b0f5d2e-6c1a-4c1e-9a57-2f4e0d9b7a11",
    name: "mock-auth-server",
    description:
      "Every endpoint of mock-auth-server's HTTP contract, with tests.\n\n" +
      "Set `baseUrl` (default http://127.0.0.1:8000) and run the whole collection in order: " +
      "login stores `accessToken` and `refreshToken`, which later requests use. " +
      "The dev-endpoint, end-to-end and control-plane folders reset the server, so run against a mock, never a shared server; the last folder ends with POST /api/dev/reset, leaving the server as it started.\n\n" +
      "CLI: `newman run collections/auth_api_mock.postman.json --env-var baseUrl=http://127.0.0.1:8000`.\n\n" +
      "If the server runs with another JWT_SECRET, JWT_ISSUER, JWT_ALGORITHM or token lifetimes, set the matching variables.\n\n" +
      "Generated by tests/e2e/make-collection.mjs: edit that file, then run `node tests/e2e/make-collection.mjs`.",
    schema: "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
  },
  event: [collectionTest],
  variable,
  item: [happy, errors, faults, dev, flow, oauth, control],
};

const text = JSON.stringify(collection, null, 2) + "\n";
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // A missing file is stale too.
  }
  if (current !== text) {
    console.error(`${target} is stale: run node tests/e2e/make-collection.mjs`);
    process.exit(1);
  }
  console.log("collection is up to date");
} else {
  writeFileSync(target, text);
  const count = collection.item.reduce((n, f) => n + f.item.length, 0);
  console.log(`wrote ${path.relative(process.cwd(), target)}: ${collection.item.length} folders, ${count} requests`);
}
