// Headless Chromium checks of the dashboard. BASE is the server's URL,
// SHOTS the folder for screenshots. Prints one line per check and a final
// "N passed, N failed". The checks run in order against one server and
// build on each other's state (a user added, then edited, then deleted).
import puppeteer from "puppeteer-core";
import { fullShot } from "../fullshot.mjs";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BASE = process.env.BASE ?? "http://127.0.0.1:8000";
const SHOTS = process.env.SHOTS ?? "target/dashboard";
mkdirSync(SHOTS, { recursive: true });
let passed = 0, failed = 0;
const outside = [];

async function check(name, body) {
  try { await body(); passed++; console.log(`ok   ${name}`); }
  catch (error) { failed++; console.log(`FAIL ${name}: ${error.message}`); }
}
function assert(cond, message) { if (!cond) throw new Error(message); }

const profile = mkdtempSync(join(tmpdir(), "dashboard-chromium-"));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", `--user-data-dir=${profile}`],
  headless: true,
});

// Every page refuses (and records) a request that would leave 127.0.0.1.
async function newPage({ javascript = true } = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  await page.setJavaScriptEnabled(javascript);
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.protocol !== "data:" && url.hostname !== "127.0.0.1") { outside.push(request.url()); request.abort(); }
    else request.continue();
  });
  page.on("dialog", (dialog) => dialog.accept());
  return page;
}
const page = await newPage();

async function login(email, password = "password123") {
  const response = await fetch(`${BASE}/api/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  return { status: response.status, body: await response.json() };
}
const claimsOf = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
const row = (email) => `#users-table tr[data-user="${email}"]`;
async function submit(p, selector) {
  await Promise.all([p.waitForNavigation(), p.click(selector)]);
}
async function jwksKids() {
  const jwks = await (await fetch(`${BASE}/.well-known/jwks.json`)).json();
  return jwks.keys.map((k) => k.kid);
}

await check("the overview renders its charts", async () => {
  for (let i = 0; i < 5; i++) await login("alice@example.com");
  await page.goto(`${BASE}/`, { waitUntil: "networkidle2" });
  await page.waitForFunction(() => document.getElementById("rps-line").getAttribute("points").split(" ").length >= 2, { timeout: 15000 });
  const bars = await page.$$eval("#latency rect", (rects) => rects.length);
  assert(bars >= 3, `latency bars: ${bars}`);
  await page.screenshot({ path: `${SHOTS}/overview.png` });
});

await check("the requests page shows the journal and a token's lineage", async () => {
  await page.goto(`${BASE}/ui/requests`, { waitUntil: "domcontentloaded" });
  const rows = await page.$$eval("#rows tr", (trs) => trs.length);
  assert(rows >= 5, `rows: ${rows}`);
  await login("bob@example.com");
  await page.waitForFunction(() => document.getElementById("rows").textContent.includes("test-user-456"), { timeout: 10000 });
  await page.click("#rows a.tok");
  await page.waitForSelector("#lineage");
  await page.screenshot({ path: `${SHOTS}/requests.png` });
});

await check("the dashboard's own requests are hidden unless asked for", async () => {
  await page.goto(`${BASE}/ui/requests`, { waitUntil: "domcontentloaded" });
  const hidden = await page.$$eval("#rows tr", (trs) => trs.map((tr) => tr.textContent).join("\n"));
  assert(!hidden.includes("/ui/") && hidden.includes("/api/auth/login"), "hidden by default");
  await page.click("input[name=show_dashboard]");
  await submit(page, "#filters button");
  const shown = await page.$$eval("#rows tr", (trs) => trs.map((tr) => tr.textContent).join("\n"));
  assert(shown.includes("/ui/requests") && shown.includes("/api/auth/login"), "shown when ticked");
});

await check("adding a user in the users page lets that user log in", async () => {
  await page.goto(`${BASE}/ui/users`, { waitUntil: "domcontentloaded" });
  await page.type("#add-user input[name=email]", "newcomer@example.com");
  await page.type("#add-user input[name=password]", "newcomer-pass-1");
  await page.type("#add-user input[name=name]", "New Comer");
  await page.$eval("#add-user input[name=roles]", (el) => { el.value = "user, tester"; });
  await page.type("#add-user input[name=claims]", '{"tenant": "acme"}');
  await submit(page, "#add-user button");
  const listed = await page.$eval("#users-table", (t) => t.textContent);
  assert(listed.includes("newcomer@example.com"), "listed");
  const { status, body } = await login("newcomer@example.com", "newcomer-pass-1");
  assert(status === 200 && body.access_token, `login: ${status}`);
  await page.screenshot({ path: `${SHOTS}/users.png` });
});

await check("editing a user changes the roles and claims of their next token", async () => {
  await page.goto(`${BASE}/ui/users`, { waitUntil: "domcontentloaded" });
  await page.click(`${row("bob@example.com")} summary`);
  const form = `${row("bob@example.com")} .edit-form`;
  await page.$eval(`${form} input[name=name]`, (el) => { el.value = "Robert Tables"; });
  await page.$eval(`${form} input[name=roles]`, (el) => { el.value = "user, auditor"; });
  await page.$eval(`${form} input[name=claims]`, (el) => { el.value = '{"tenant": "globex", "plan": "pro"}'; });
  await page.screenshot({ path: `${SHOTS}/users-edit.png` });
  await submit(page, `${form} button`);
  const flash = await page.$eval("#flash", (el) => el.textContent);
  assert(flash.includes("bob@example.com"), flash);
  const rowText = await page.$eval(row("bob@example.com"), (el) => el.textContent);
  assert(rowText.includes("Robert Tables") && rowText.includes("auditor"), rowText);
  const { body } = await login("bob@example.com");
  const claims = claimsOf(body.access_token);
  assert(claims.tenant === "globex" && claims.plan === "pro", JSON.stringify(claims));
});

await check("a bad edit is refused on the page, naming the field", async () => {
  await page.click(`${row("bob@example.com")} summary`);
  const form = `${row("bob@example.com")} .edit-form`;
  await page.$eval(`${form} input[name=claims]`, (el) => { el.value = '{"sub": "someone-else"}'; });
  await submit(page, `${form} button`);
  const error = await page.$eval("#error", (el) => el.textContent);
  assert(error.includes("claims.sub"), error);
});

await check("a user disabled in the users page gets user_disabled, and enabled logs in again", async () => {
  await submit(page, `${row("bob@example.com")} .disable-form button`);
  assert(await page.$eval(row("bob@example.com"), (el) => el.textContent.includes("disabled")), "badge");
  const refused = await login("bob@example.com");
  assert(refused.status === 401 && refused.body.code === "user_disabled", `${refused.status} ${refused.body.code}`);
  await page.screenshot({ path: `${SHOTS}/users-disabled.png` });
  await submit(page, `${row("bob@example.com")} .disable-form button`);
  assert((await login("bob@example.com")).status === 200, "enabled again");
});

await check("a user deleted in the users page can no longer log in", async () => {
  await submit(page, `${row("newcomer@example.com")} .delete-form button`);
  assert(!(await page.$(row("newcomer@example.com"))), "gone from the table");
  const { status, body } = await login("newcomer@example.com", "newcomer-pass-1");
  assert(status === 401 && body.code === "invalid_credentials", `${status} ${body.code}`);
});

await check("reset brings the seed users back as they were", async () => {
  await submit(page, "#reset-users button");
  const bob = await page.$eval(row("bob@example.com"), (el) => el.textContent);
  assert(!bob.includes("Robert Tables"), bob);
  const { body } = await login("bob@example.com");
  assert(claimsOf(body.access_token).tenant === undefined, "seed claims");
});

await check("a user added over the API shows up in the open users page without a reload", async () => {
  await page.goto(`${BASE}/ui/users`, { waitUntil: "domcontentloaded" });
  const created = await fetch(`${BASE}/api/dev/users`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "live@example.com", password: "live-pass-123", name: "Live Wire" }),
  });
  assert(created.status === 201, `created: ${created.status}`);
  await page.waitForSelector(row("live@example.com"), { timeout: 10000 });
});

await check("a fault rule added in the UI fails a login, and its hit count rises live", async () => {
  await page.goto(`${BASE}/ui/faults`, { waitUntil: "domcontentloaded" });
  await page.select("#add-rule select[name=method]", "POST");
  await page.type("#add-rule input[name=route]", "/api/auth/login");
  await page.type("#add-rule input[name=status]", "503");
  await page.type("#add-rule input[name=retry_after]", "7");
  await page.type("#add-rule input[name=times]", "2");
  await submit(page, "#add-rule button");
  const hits = () => page.$eval("#rules-table .hits", (el) => el.textContent.trim());
  assert((await hits()) === "0", "no hit yet");
  const response = await fetch(`${BASE}/api/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "alice@example.com", password: "password123" }),
  });
  assert(response.status === 503 && response.headers.get("retry-after") === "7", `${response.status}`);
  // No reload: the live panel picks the count up.
  await page.waitForFunction(() => document.querySelector("#rules-table .hits").textContent.trim() === "1", { timeout: 10000 });
  await fullShot(page, `${SHOTS}/faults.png`);
  await submit(page, "#rules-table form button");
  assert((await login("alice@example.com")).status === 200, "rule removed");
});

await check("a bad fault rule or knob is shown on the page naming the field", async () => {
  await page.type("#add-rule input[name=status]", "700");
  await submit(page, "#add-rule button");
  let error = await page.$eval("#error", (el) => el.textContent);
  assert(error.startsWith("status:") && error.includes("700"), error);
  await page.$eval("#global-form input[name=error_rate]", (el) => { el.value = "1.5"; });
  await submit(page, "#global-form button");
  error = await page.$eval("#error", (el) => el.textContent);
  assert(error.startsWith("error_rate:"), error);
  await page.screenshot({ path: `${SHOTS}/faults-error.png` });
  await page.$eval("#global-form input[name=error_rate]", (el) => { el.value = "0"; });
  await page.$eval("#global-form input[name=delay_max_ms]", (el) => { el.value = "5"; });
  await submit(page, "#global-form button");
  const knobs = await (await fetch(`${BASE}/api/dev/faults/global`)).json();
  assert(knobs.delay_max_ms === 5 && knobs.error_rate === 0, JSON.stringify(knobs));
  await fetch(`${BASE}/api/dev/faults/global`, { method: "PUT", headers: { "content-type": "application/json" }, body: '{"delay_max_ms": 0}' });
});

await check("rotating a key in the UI adds a key to the JWKS", async () => {
  const before = await jwksKids();
  await submit(page, "#rotate button");
  const after = await jwksKids();
  assert(after.length === before.length + 1, `${before.length} -> ${after.length}`);
  const current = await page.$eval("#keys-table", (t) => [...t.querySelectorAll("tr")].find((tr) => tr.textContent.includes("current"))?.dataset.kid);
  assert(current && after.includes(current) && !before.includes(current), `current ${current}`);
  await fullShot(page, `${SHOTS}/keys.png`);
});

await check("advancing the clock in the UI makes a token expired in the debugger", async () => {
  const { body } = await login("alice@example.com");
  await page.goto(`${BASE}/ui/faults`, { waitUntil: "domcontentloaded" });
  await page.type("#advance-form input[name=minutes]", "40");
  await submit(page, "#advance-form button");
  const offset = await page.$eval("#flash", (el) => el.textContent);
  assert(offset.includes("+2400 s"), offset);
  await page.goto(`${BASE}/ui/debugger`, { waitUntil: "domcontentloaded" });
  await page.$eval("textarea[name=token]", (el, token) => { el.value = token; }, body.access_token);
  await submit(page, "#debug-form button");
  const verdict = await page.$eval("#verdict", (el) => el.textContent);
  assert(/Expired \d+ minutes? ago/.test(verdict), verdict);
  assert(verdict.includes("token_expired"), verdict);
  await page.screenshot({ path: `${SHOTS}/debugger.png` });
  await page.goto(`${BASE}/ui/faults`, { waitUntil: "domcontentloaded" });
  await submit(page, "#clock-reset");
});

await check("every page reads with JavaScript off", async () => {
  const off = await newPage({ javascript: false });
  const pages = [
    ["overview", "/", "#routes-table tbody tr td code"],
    ["requests", "/ui/requests", "#rows tr td code"],
    ["users", "/ui/users", `${row("alice@example.com")}`],
    ["debugger", "/ui/debugger", "#debug-form textarea"],
    ["faults", "/ui/faults", "#keys-table tr[data-kid]"],
  ];
  for (const [name, path, selector] of pages) {
    await off.goto(`${BASE}${path}`, { waitUntil: "domcontentloaded" });
    assert(await off.$(selector), `${name}: ${selector}`);
    await fullShot(off, `${SHOTS}/nojs-${name}.png`);
  }
  // A form works without JavaScript too: post, redirect, the note on the page.
  await off.type("#add-rule input[name=delay_ms]", "abc");
  await Promise.all([off.waitForNavigation(), off.click("#add-rule button")]);
  const error = await off.$eval("#error", (el) => el.textContent);
  assert(error.startsWith("delay_ms:"), error);
  await off.goto(`${BASE}/ui/users`, { waitUntil: "domcontentloaded" });
  await Promise.all([off.waitForNavigation(), off.click(`${row("charlie@example.com")} .disable-form button`)]);
  const charlie = await login("charlie@example.com");
  assert(charlie.status === 401 && charlie.body.code === "user_disabled", `${charlie.status}`);
  await Promise.all([off.waitForNavigation(), off.click(`${row("charlie@example.com")} .disable-form button`)]);
  await off.close();
});

await check("no request left 127.0.0.1", async () => {
  assert(outside.length === 0, outside.join(", "));
});

await browser.close();
rmSync(profile, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
