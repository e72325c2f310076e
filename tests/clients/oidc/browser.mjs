// Real headless Chromium (Debian's /usr/bin/chromium, driven by
// puppeteer-core: no downloaded browser). Two parts:
//  - oidc-client-ts: a small static SPA of this suite's own (app/, served
//    on loopback by the server below, the library's browser bundle copied
//    from node_modules, no CDN) signs in with a redirect through the login
//    page, shows the profile, and signs out through /oauth2/logout;
//  - the login page itself: one click, password, wrong password, deny,
//    keyboard only, JavaScript off, bad extra claims, login_hint.
// Every request the pages make is logged; any that is not to 127.0.0.1
// is aborted and fails the last check. BASE is the server's URL, SHOTS the
// folder for screenshots.
import { createServer } from "node:http";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { fullShot } from "../fullshot.mjs";
import { assert, check, finish } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const BASE = process.argv[2] ?? process.env.BASE ?? "http://127.0.0.1:8000";
const SHOTS = process.env.SHOTS ?? join(here, "../../../target/oidc_clients");
mkdirSync(SHOTS, { recursive: true });

const bundle = readFileSync(join(here, "node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js"));
const files = {
  "/": ["text/html", readFileSync(join(here, "app/index.html"))],
  "/callback.html": ["text/html", readFileSync(join(here, "app/callback.html"))],
  "/silent.html": ["text/html", readFileSync(join(here, "app/silent.html"))],
  "/oidc-client-ts.min.js": ["text/javascript", bundle],
};
let APP = "";
const server = createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (path === "/settings.js") {
    const settings = {
      authority: BASE,
      client_id: "demo-spa",
      redirect_uri: `${APP}/callback.html`,
      post_logout_redirect_uri: `${APP}/`,
      silent_redirect_uri: `${APP}/silent.html`,
      scope: "openid profile email roles",
      // The profile then comes from /oauth2/userinfo (a CORS request from
      // the page's origin), not only from the ID token.
      loadUserInfo: true,
    };
    res.writeHead(200, { "content-type": "text/javascript" });
    res.end(`window.OIDC_SETTINGS = ${JSON.stringify(settings)};`);
    return;
  }
  const [type, body] = files[path] ?? ["text/html", "<!doctype html><title>app callback</title><p>back in the app</p>"];
  res.writeHead(200, { "content-type": type });
  res.end(body);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
APP = `http://127.0.0.1:${server.address().port}`;

// A fresh profile each run: nothing cached or remembered from the last one.
const userDataDir = join(SHOTS, "chromium-profile");
rmSync(userDataDir, { recursive: true, force: true });
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  userDataDir,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-default-apps"],
});
const requested = [];
const outside = [];

/** A fresh incognito-like context and page, every request logged. */
async function newPage({ javascript = true } = {}) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.setJavaScriptEnabled(javascript);
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    const url = new URL(request.url());
    requested.push(request.url());
    if (url.protocol !== "data:" && url.hostname !== "127.0.0.1") {
      outside.push(request.url());
      request.abort();
    } else request.continue();
  });
  return { page, close: () => context.close() };
}

/** An authorization URL for our own redirect URI, with a real PKCE pair. */
function authorizeUrl(extra = {}) {
  const verifier = randomBytes(32).toString("base64url");
  const params = new URLSearchParams({
    response_type: "code", client_id: "login-page-test", redirect_uri: `${APP}/cb`,
    scope: "openid profile email", state: "st-1",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"), code_challenge_method: "S256",
    ...extra,
  });
  return `${BASE}/oauth2/authorize?${params}`;
}

function query(page) {
  return new URL(page.url()).searchParams;
}

/** The focused element's attribute NAME once autofocus has run (Chromium
 * applies it at the next rendering update, after DOMContentLoaded). */
async function focusedAfterLoad(page, name, expected) {
  await page.waitForFunction((n, e) => document.activeElement?.[n] === e, { timeout: 3000 }, name, expected).catch(() => {});
  return page.evaluate((n) => document.activeElement?.[n], name);
}

async function clickAndWait(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: "domcontentloaded" }), page.click(selector)]);
}

const ALICE = "button[name=user_id][value=test-user-123]";

await check("oidc-client-ts: signinRedirect through the login page, profile shown, signoutRedirect", async () => {
  const { page, close } = await newPage();
  try {
    await page.goto(`${APP}/`, { waitUntil: "networkidle0" });
    await page.waitForSelector("#signin:not([hidden])");
    await Promise.all([page.waitForNavigation(), page.click("#signin")]);
    assert(page.url().startsWith(`${BASE}/oauth2/authorize?`), `not on the login page: ${page.url()}`);
    await fullShot(page, `${SHOTS}/spa-login-page.png`);
    await page.click(ALICE);
    await page.waitForFunction(() => document.getElementById("status")?.textContent.startsWith("signed in"), { timeout: 15000 });
    const profile = JSON.parse(await page.$eval("#profile", (el) => el.textContent));
    assert(profile.sub === "test-user-123" && profile.email === "alice@example.com", JSON.stringify(profile));
    assert(profile.name === "Alice Johnson" && profile.roles?.includes("admin"), JSON.stringify(profile));
    assert(requested.some((u) => u === `${BASE}/oauth2/userinfo`), "userinfo was not called");
    await page.screenshot({ path: `${SHOTS}/spa-signed-in.png` });
    // Silent renewal, both ways oidc-client-ts has: with the refresh token
    // it holds (a CORS POST to the token endpoint), then, with no user
    // stored, prompt=none in a hidden iframe, let through by the session
    // cookie (SameSite=Lax: the app and the server are same-site).
    const renewed = await page.evaluate(async () => {
      const first = (await window.auth.getUser()).access_token;
      const refreshed = await window.auth.signinSilent();
      await window.auth.removeUser();
      const framed = await window.auth.signinSilent();
      return { first, refreshed: refreshed.access_token, framed: framed.profile.sub, stored: (await window.auth.getUser())?.profile.sub };
    });
    assert(renewed.refreshed && renewed.refreshed !== renewed.first, "the refresh did not give a new access token");
    assert(renewed.framed === "test-user-123" && renewed.stored === "test-user-123", JSON.stringify(renewed));
    assert(requested.some((u) => u.startsWith(`${BASE}/oauth2/authorize?`) && new URL(u).searchParams.get("prompt") === "none"),
      "no prompt=none authorization (the iframe)");
    await Promise.all([page.waitForNavigation(), page.click("#signout")]);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "signed out", { timeout: 15000 });
    assert(requested.some((u) => u.startsWith(`${BASE}/oauth2/logout?`)), "the logout endpoint was not visited");
    await page.screenshot({ path: `${SHOTS}/spa-signed-out.png` });
    // The server's session ended with the logout: a silent login is refused.
    await page.goto(authorizeUrl({ prompt: "none" }), { waitUntil: "domcontentloaded" });
    assert(query(page).get("error") === "login_required", `prompt=none after logout: ${page.url()}`);
  } finally { await close(); }
});

await check("login page: one-click 'continue as'", async () => {
  const { page, close } = await newPage();
  try {
    await page.goto(authorizeUrl(), { waitUntil: "domcontentloaded" });
    await fullShot(page, `${SHOTS}/login.png`);
    const labels = await page.$$eval("button[name=user_id]", (bs) => bs.map((b) => b.textContent));
    assert(labels.length >= 5 && labels.some((t) => t.includes("bob@example.com") && t.includes("Bob Smith")), labels.join("|"));
    await clickAndWait(page, ALICE);
    assert(page.url().startsWith(`${APP}/cb?`) && query(page).get("code") && query(page).get("state") === "st-1", page.url());
  } finally { await close(); }
});

await check("login page: password form", async () => {
  const { page, close } = await newPage();
  try {
    await page.goto(authorizeUrl(), { waitUntil: "domcontentloaded" });
    await page.type("#email", "diana@example.com");
    await page.type("#password", "password123");
    await clickAndWait(page, "button.primary");
    assert(query(page).get("code"), page.url());
  } finally { await close(); }
});

await check("login page: a wrong password is shown on the page", async () => {
  const { page, close } = await newPage();
  try {
    await page.goto(authorizeUrl(), { waitUntil: "domcontentloaded" });
    await page.type("#email", "alice@example.com");
    await page.type("#password", "not-the-password");
    await clickAndWait(page, "button.primary");
    assert(page.url().startsWith(`${BASE}/oauth2/authorize`), `left the page: ${page.url()}`);
    const alert = await page.$eval("[role=alert]", (el) => el.textContent);
    assert(/wrong email or password/i.test(alert), alert);
    assert(await page.$eval("#email", (el) => el.value) === "alice@example.com", "email not kept");
    const focused = await focusedAfterLoad(page, "id", "password");
    assert(focused === "password", `focus after a wrong password: ${focused}`);
    await fullShot(page, `${SHOTS}/wrong-password.png`);
  } finally { await close(); }
});

await check("login page: deny goes back with error=access_denied", async () => {
  const { page, close } = await newPage();
  try {
    await page.goto(authorizeUrl(), { waitUntil: "domcontentloaded" });
    await clickAndWait(page, "form.deny button");
    assert(query(page).get("error") === "access_denied" && query(page).get("state") === "st-1", page.url());
  } finally { await close(); }
});

await check("login page: keyboard only (Tab to the password form, Enter)", async () => {
  const { page, close } = await newPage();
  try {
    await page.goto(authorizeUrl(), { waitUntil: "domcontentloaded" });
    let tabs = 0;
    while (tabs < 30 && (await page.evaluate(() => document.activeElement?.id)) !== "email") {
      await page.keyboard.press("Tab");
      tabs++;
    }
    assert(tabs < 30, "the email field is not reachable with Tab");
    await page.keyboard.type("ethan@example.com");
    await page.keyboard.press("Tab");
    assert(await page.evaluate(() => document.activeElement?.id) === "password", "Tab from email does not reach password");
    await page.keyboard.type("password123");
    await fullShot(page, `${SHOTS}/keyboard.png`);
    await Promise.all([page.waitForNavigation({ waitUntil: "domcontentloaded" }), page.keyboard.press("Enter")]);
    assert(query(page).get("code"), page.url());
  } finally { await close(); }
});

await check("login page: login_hint focuses that user's 'continue as'; Enter signs in", async () => {
  const { page, close } = await newPage();
  try {
    await page.goto(authorizeUrl({ login_hint: "bob@example.com" }), { waitUntil: "domcontentloaded" });
    const focused = await focusedAfterLoad(page, "value", "test-user-456");
    assert(focused === "test-user-456", `focused: ${focused}`);
    assert(await page.$eval("#email", (el) => el.value) === "bob@example.com", "not prefilled");
    await Promise.all([page.waitForNavigation({ waitUntil: "domcontentloaded" }), page.keyboard.press("Enter")]);
    assert(query(page).get("code"), page.url());
  } finally { await close(); }
});

await check("login page: works with JavaScript disabled", async () => {
  const { page, close } = await newPage({ javascript: false });
  try {
    await page.goto(authorizeUrl(), { waitUntil: "domcontentloaded" });
    await fullShot(page, `${SHOTS}/no-javascript.png`);
    await clickAndWait(page, ALICE);
    assert(query(page).get("code"), page.url());
  } finally { await close(); }
});

await check("login page: bad extra-claims JSON is shown on the page, not a 500", async () => {
  const { page, close } = await newPage();
  try {
    await page.goto(authorizeUrl(), { waitUntil: "domcontentloaded" });
    await page.click("details.extra summary");
    await page.type("#extra_claims_choose", '{"tenant": acme');
    const [response] = await Promise.all([page.waitForNavigation({ waitUntil: "domcontentloaded" }), page.click(ALICE)]);
    assert(response.status() === 400, `status ${response.status()}`);
    const alert = await page.$eval("details.extra [role=alert]", (el) => el.textContent);
    assert(/not valid JSON/i.test(alert), alert);
    assert((await page.$eval("#extra_claims_choose", (el) => el.value)) === '{"tenant": acme', "typed text lost");
    const focused = await focusedAfterLoad(page, "id", "extra_claims_choose");
    assert(focused === "extra_claims_choose", `focus after bad claims: ${focused}`);
    await fullShot(page, `${SHOTS}/bad-claims.png`);
  } finally { await close(); }
});

await check("login page: a narrow (phone) screen", async () => {
  const { page, close } = await newPage();
  try {
    await page.setViewport({ width: 390, height: 844, isMobile: true });
    await page.goto(authorizeUrl(), { waitUntil: "domcontentloaded" });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `horizontal overflow ${overflow}px`);
    await fullShot(page, `${SHOTS}/login-phone.png`);
  } finally { await close(); }
});

await check("no request left 127.0.0.1", async () => {
  assert(requested.length > 20, `only ${requested.length} requests logged`);
  assert(outside.length === 0, outside.join(", "));
});

await browser.close();
server.close();
finish("chromium");
