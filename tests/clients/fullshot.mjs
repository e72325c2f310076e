// Shared by the browser suites (dashboard/, oidc/): plain Node, no packages.

/** A full-page screenshot once the document has loaded: at DOMContentLoaded
 * a page whose stylesheet is still on its way has no layout yet, and
 * Chromium measures it 0 px wide ("Cannot take screenshot with 0 width",
 * seen in CI with both lanes busy). Polled from Node, not with
 * waitForFunction, so that it works with JavaScript off as well. */
export async function fullShot(page, path) {
  for (let i = 0; i < 100 && (await page.evaluate(() => document.readyState)) !== "complete"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await page.screenshot({ path, fullPage: true });
}
