// The documentation pages in a real browser: Debian's headless Chromium,
// driven by playwright-core (which never downloads a browser of its own).
//
// Checks that /docs (Swagger UI) and /redoc render the operations, that no
// request leaves the machine (every request URL is recorded; a host other
// than 127.0.0.1 or localhost fails the run), and that "Try it out" on login
// in Swagger UI answers 200 with an access_token. Screenshots and the list of
// request URLs (requests.txt) are kept in OUT_DIR as CI artefacts.
//
// Usage: node browser.mjs BASE_URL [OUT_DIR]   (OUT_DIR default target/browser)
// Env:   CHROMIUM (default /usr/bin/chromium)
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const baseUrl = (process.argv[2] || "http://127.0.0.1:8000").replace(/\/+$/, "");
const outDir = path.resolve(process.argv[3] || "target/browser");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) {
    passed += 1;
    console.log(`PASS browser: ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL browser: ${name}${detail ? ` (${detail})` : ""}`);
  }
}

/** True for URLs that stay on this machine (data: and blob: never leave it). */
function isLocal(url) {
  const parsed = new URL(url);
  if (["data:", "blob:", "about:"].includes(parsed.protocol)) return true;
  return LOCAL_HOSTS.has(parsed.hostname);
}

async function checkSwagger(context) {
  const page = await context.newPage();
  const response = await page.goto(`${baseUrl}/docs`, { waitUntil: "load" });
  check("/docs answers 200", response && response.ok(), response && `status ${response.status()}`);
  const login = page.locator('.opblock:has(.opblock-summary-path[data-path="/api/auth/login"])');
  await login.first().waitFor({ timeout: 20000 });
  const paths = await page.$$eval(".opblock-summary-path", (nodes) =>
    nodes.map((n) => n.getAttribute("data-path")),
  );
  for (const p of ["/api/auth/login", "/api/auth/register", "/api/auth/refresh", "/api/auth/me", "/health"]) {
    check(`Swagger UI renders ${p}`, paths.includes(p), `rendered: ${paths.join(", ")}`);
  }
  await page.screenshot({ path: path.join(outDir, "docs.png"), fullPage: false });

  // Try it out: expand login, edit the body, execute, read the live response.
  await login.locator(".opblock-summary").first().click();
  // The server may open operations in try-it-out mode already (the button
  // then reads "Cancel"); click it only when it offers "Try it out".
  const tryOut = login.locator("button.try-out__btn");
  if ((await tryOut.innerText()).trim().toLowerCase().startsWith("try it out")) await tryOut.click();
  const body = login.locator("textarea.body-param__text");
  await body.fill(JSON.stringify({ email: "alice@example.com", password: "password123" }, null, 2));
  const [apiResponse] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/api/auth/login") && r.request().method() === "POST"),
    login.locator("button.execute").click(),
  ]);
  check("Try it out sends POST /api/auth/login and gets 200", apiResponse.status() === 200,
    `status ${apiResponse.status()}`);
  const status = login.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor({ timeout: 10000 });
  const statusText = (await status.innerText()).trim();
  check("Swagger UI shows the 200 response", statusText.startsWith("200"), `shows ${statusText}`);
  const shown = await login.locator(".live-responses-table").first().innerText();
  check("Swagger UI shows an access_token in the response body", shown.includes('"access_token": "ey'));
  await login.locator(".live-responses-table").first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(outDir, "docs-try-it-out.png"), fullPage: false });
  await login.screenshot({ path: path.join(outDir, "docs-login-operation.png") });
  await page.close();
}

async function checkRedoc(context) {
  const page = await context.newPage();
  const response = await page.goto(`${baseUrl}/redoc`, { waitUntil: "load" });
  check("/redoc answers 200", response && response.ok(), response && `status ${response.status()}`);
  // ReDoc gives every operation a section with id tag/<tag>/operation/<operationId>.
  const login = page.locator('[data-section-id$="/operation/login"]');
  await login.first().waitFor({ timeout: 20000 });
  check("ReDoc renders the login operation", (await login.count()) > 0);
  const text = await page.locator("body").innerText();
  for (const p of ["/api/auth/login", "/api/auth/register", "/api/auth/me"]) {
    check(`ReDoc shows ${p}`, text.includes(p));
  }
  await page.screenshot({ path: path.join(outDir, "redoc.png"), fullPage: false });
  await page.close();
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), "mock-auth-chromium-"));
  const requests = [];
  const consoleErrors = [];
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context.setDefaultTimeout(15000);
  try {
    context.on("request", (r) => requests.push(r.url()));
    // Anything bound elsewhere is recorded above and refused here, so a CDN
    // reference fails the check below instead of hanging on the closed network.
    await context.route("**/*", (route) =>
      isLocal(route.request().url()) ? route.continue() : route.abort("blockedbyclient"),
    );
    context.on("page", (page) =>
      page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text())),
    );
    await checkSwagger(context);
    await checkRedoc(context);
  } catch (error) {
    check("docs pages load and respond", false, error.message.split("\n")[0]);
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
  writeFileSync(path.join(outDir, "requests.txt"), `${requests.join("\n")}\n`);
  const external = requests.filter((u) => !isLocal(u));
  check(`no request leaves the machine (${requests.length} recorded)`, external.length === 0,
    `external: ${[...new Set(external)].join(", ")}`);
  if (consoleErrors.length) console.log(`note: console errors: ${consoleErrors.join(" | ")}`);
  console.log(`screenshots: ${outDir}`);
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
