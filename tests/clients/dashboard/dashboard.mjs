// Headless Chromium checks of the dashboard. BASE is the server's URL,
// SHOTS the folder for screenshots. Prints one line per check and a final
// "N passed, N failed".
import puppeteer from "puppeteer-core";
import { mkdirSync } from "node:fs";

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

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
  headless: true,
});
const page = await browser.newPage();
await page.setViewport({ width: 1400, height: 900 });
await page.setRequestInterception(true);
page.on("request", (request) => {
  const url = new URL(request.url());
  if (url.protocol !== "data:" && url.hostname !== "127.0.0.1") { outside.push(request.url()); request.abort(); }
  else request.continue();
});

async function login(email, password) {
  const response = await fetch(`${BASE}/api/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  return { status: response.status, body: await response.json() };
}

await check("the overview renders its charts", async () => {
  for (let i = 0; i < 5; i++) await login("alice@example.com", "password123");
  await page.goto(`${BASE}/`, { waitUntil: "networkidle2" });
  await page.waitForFunction(() => document.getElementById("rps-line").getAttribute("points").split(" ").length >= 2, { timeout: 15000 });
  const bars = await page.$$eval("#latency rect", (rects) => rects.length);
  assert(bars >= 3, `latency bars: ${bars}`);
  await page.screenshot({ path: `${SHOTS}/overview.png` });
});

await check("the requests page shows the journal and a token's lineage", async () => {
  await page.goto(`${BASE}/ui/requests?hide_dashboard=true`, { waitUntil: "domcontentloaded" });
  const rows = await page.$$eval("#rows tr", (trs) => trs.length);
  assert(rows >= 5, `rows: ${rows}`);
  await login("bob@example.com", "password123");
  await page.waitForFunction(() => document.getElementById("rows").textContent.includes("test-user-456"), { timeout: 10000 });
  await page.click("#rows a.tok");
  await page.waitForSelector("#lineage");
  await page.screenshot({ path: `${SHOTS}/requests.png` });
});

await check("adding a user in the users page lets that user log in", async () => {
  await page.goto(`${BASE}/ui/users`, { waitUntil: "domcontentloaded" });
  await page.type("#add-user input[name=email]", "newcomer@example.com");
  await page.type("#add-user input[name=password]", "newcomer-pass-1");
  await page.type("#add-user input[name=name]", "New Comer");
  await page.$eval("#add-user input[name=roles]", (el) => { el.value = "user, tester"; });
  await page.type("#add-user input[name=claims]", '{"tenant": "acme"}');
  await Promise.all([page.waitForNavigation(), page.click("#add-user button")]);
  const listed = await page.$eval("#users-table", (t) => t.textContent);
  assert(listed.includes("newcomer@example.com"), "listed");
  const { status, body } = await login("newcomer@example.com", "newcomer-pass-1");
  assert(status === 200 && body.access_token, `login: ${status}`);
  await page.screenshot({ path: `${SHOTS}/users.png` });
});

await check("the token debugger explains an expired token", async () => {
  const { body } = await login("alice@example.com", "password123");
  await page.goto(`${BASE}/ui/system`, { waitUntil: "domcontentloaded" });
  await page.screenshot({ path: `${SHOTS}/system.png` });
  const advance = await page.$$("form[action='/ui/clock/advance'] button");
  await Promise.all([page.waitForNavigation(), advance[1].click()]); // +1 hour
  await page.goto(`${BASE}/ui/debugger`, { waitUntil: "domcontentloaded" });
  await page.$eval("textarea[name=token]", (el, token) => { el.value = token; }, body.access_token);
  await Promise.all([page.waitForNavigation(), page.click("#debug-form button")]);
  const verdict = await page.$eval("#verdict", (el) => el.textContent);
  assert(/Expired \d+ minutes ago/.test(verdict), verdict);
  assert(verdict.includes("token_expired"), verdict);
  await page.screenshot({ path: `${SHOTS}/debugger.png` });
  await fetch(`${BASE}/ui/clock/reset`, { method: "POST" });
});

await check("no request left 127.0.0.1", async () => {
  assert(outside.length === 0, outside.join(", "));
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
