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
        pm.expect(body).to.have.all.keys("detail", "code");
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
].map(([key, value, description]) => ({ key, value, type: "string", description }));

const collection = {
  info: {
    _postman_id: "5b0f5d2e-6c1a-4c1e-9a57-2f4e0d9b7a11",
    name: "mock-auth-server",
    description:
      "Every endpoint of mock-auth-server's HTTP contract, with tests.\n\n" +
      "Set `baseUrl` (default http://127.0.0.1:8000) and run the whole collection in order: " +
      "login stores `accessToken` and `refreshToken`, which later requests use. " +
      "The dev-endpoint and end-to-end folders reset the users, so run against a mock, never a shared server.\n\n" +
      "CLI: `newman run collections/auth_api_mock.postman.json --env-var baseUrl=http://127.0.0.1:8000`.\n\n" +
      "If the server runs with another JWT_SECRET, JWT_ISSUER, JWT_ALGORITHM or token lifetimes, set the matching variables.\n\n" +
      "Generated by tests/e2e/make-collection.mjs: edit that file, then run `node tests/e2e/make-collection.mjs`.",
    schema: "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
  },
  event: [collectionTest],
  variable,
  item: [happy, errors, faults, dev, flow],
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
