// The README's screenshot (docs/dashboard.png): the overview after half a
// minute of varied traffic, so the charts show something a newcomer would
// recognise. Not a test; run by hand with BASE and OUT set:
//   BASE=http://127.0.0.1:8000 OUT=docs/dashboard.png node tests/clients/dashboard/screenshot.mjs
import puppeteer from "puppeteer-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BASE = process.env.BASE ?? "http://127.0.0.1:8000";
const OUT = process.env.OUT ?? "docs/dashboard.png";
const SECONDS = Number(process.env.SECONDS ?? 30);
const profile = mkdtempSync(join(tmpdir(), "dashboard-shot-"));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", `--user-data-dir=${profile}`],
  headless: true,
});
const post = (path, body) => fetch(`${BASE}${path}`, {
  method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
});
const users = ["alice@example.com", "bob@example.com", "charlie@example.com", "diana@example.com"];
async function burst(n) {
  for (let i = 0; i < n; i++) {
    const email = users[i % users.length];
    const login = await post("/api/auth/login", { email, password: i % 9 === 0 ? "wrong-password" : "password123" });
    if (login.status !== 200) continue;
    const pair = await login.json();
    await fetch(`${BASE}/api/auth/me`, { headers: { authorization: `Bearer ${pair.access_token}` } });
    if (i % 3 === 0) await post("/api/auth/refresh", { refresh_token: pair.refresh_token });
    if (i % 4 === 0) await fetch(`${BASE}/.well-known/jwks.json`);
  }
}
const page = await browser.newPage();
await page.setViewport({ width: 1400, height: 900 });
await page.goto(`${BASE}/`, { waitUntil: "networkidle2" });
const start = Date.now();
let shot = null;
while (Date.now() - start < SECONDS * 1000 + 3000) {
  const t = (Date.now() - start) / 1000;
  // Taken while the traffic still runs, so "requests / s" shows it.
  if (!shot && t > SECONDS) shot = page.screenshot({ path: OUT });
  await burst(Math.round(4 + 3 * Math.sin(t / 3)));
  await new Promise((resolve) => setTimeout(resolve, 250));
}
await shot;
await browser.close();
rmSync(profile, { recursive: true, force: true });
console.log(`wrote ${OUT}`);
