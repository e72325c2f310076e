// Logs in, discovers the JWKS and verifies the access token with jose's
// createRemoteJWKSet. Usage: node verify.mjs BASE_URL ALG
import { createRemoteJWKSet, jwtVerify } from "jose";

const [base, alg] = process.argv.slice(2);
const login = await fetch(`${base}/api/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email: "alice@example.com", password: "password123" }),
});
const { access_token: token } = await login.json();
const metadata = await (await fetch(`${base}/.well-known/openid-configuration`)).json();
const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
const { payload, protectedHeader } = await jwtVerify(token, jwks, {
  issuer: "mock-auth-server",
  algorithms: [alg],
  requiredClaims: ["exp", "sub"],
});
if (payload.sub !== "test-user-123" || payload.type !== "access" || !protectedHeader.kid) {
  throw new Error(`unexpected token: ${JSON.stringify(payload)}`);
}
// A tampered token must be refused.
const tampered = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
let refused = false;
try {
  await jwtVerify(tampered, jwks, { issuer: "mock-auth-server", algorithms: [alg] });
} catch {
  refused = true;
}
if (!refused) throw new Error("a tampered token verified");
console.log(`node jose ${alg}: ok`);
