// Runs the tested examples of collections/EXAMPLES.md against a live server.
//
// A block is tested when the line before its opening fence is a comment:
//   <!-- test -->              the block must exit 0
//   <!-- test: 200 401 -->     bash only: also, its curl calls answer these
//                              statuses, in this order
//   <!-- test: browser -->     javascript run in headless Chromium on /docs
// `http://127.0.0.1:8000` in a block is replaced by the server's address.
// bash blocks run in order and share their variables (as when pasted into one
// terminal); python and javascript blocks are whole programs.
//
// Usage: node examples.mjs BASE_URL [EXAMPLES.md]
// Env:   PYTHON (default python3; needs requests, httpx, PyJWT), CHROMIUM,
//        EXAMPLES_TIMEOUT_MS per block (default 60000)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const baseUrl = (process.argv[2] || "http://127.0.0.1:8000").replace(/\/+$/, "");
const mdPath = process.argv[3] || path.join(here, "..", "..", "collections", "EXAMPLES.md");
const python = process.env.PYTHON || "python3";
const DOC_URL = "http://127.0.0.1:8000";
// Per block; EXAMPLES_TIMEOUT_MS raises it for blocks that build (cargo may wait on a lock).
const TIMEOUT_MS = Number(process.env.EXAMPLES_TIMEOUT_MS || 60000);

/** The tested blocks: {line, heading, lang, expect, code}. */
function parseBlocks(text) {
  const lines = text.split("\n");
  const blocks = [];
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    const h = lines[i].match(/^#{2,4}\s+(.*)/);
    if (h) heading = h[1];
    const marker = lines[i].match(/^<!--\s*test(?::\s*([^>]*?))?\s*-->\s*$/);
    if (!marker) continue;
    const fence = lines[i + 1] && lines[i + 1].match(/^```(\w+)\s*$/);
    if (!fence) throw new Error(`${mdPath}:${i + 1}: a test marker must be followed by a fenced block`);
    const end = lines.findIndex((l, j) => j > i + 1 && l.startsWith("```"));
    if (end < 0) throw new Error(`${mdPath}:${i + 2}: unterminated code block`);
    const arg = (marker[1] || "").trim();
    blocks.push({
      line: i + 2,
      heading,
      lang: arg === "browser" ? "browser" : fence[1],
      expect: /^\d/.test(arg) ? arg.split(/\s+/).map(Number) : null,
      code: lines.slice(i + 2, end).join("\n").split(DOC_URL).join(baseUrl),
    });
    i = end;
  }
  return blocks;
}

const work = mkdtempSync(path.join(os.tmpdir(), "mock-auth-examples-"));
// Node resolves `import "axios"` from the file's own directory upwards, so the
// javascript blocks are written beside tests/e2e/node_modules.
const jsDir = path.join(here, ".examples");
mkdirSync(jsDir, { recursive: true });
const stateFile = path.join(work, "state.sh");
writeFileSync(stateFile, "");
// HTTPie reads a body from stdin when stdin is not a terminal (see EXAMPLES.md).
const httpieDir = path.join(work, "httpie");
mkdirSync(httpieDir);
writeFileSync(path.join(httpieDir, "config.json"), JSON.stringify({ default_options: ["--ignore-stdin"] }));

function runProcess(cmd, args, input) {
  const result = spawnSync(cmd, args, {
    input,
    encoding: "utf8",
    timeout: TIMEOUT_MS,
    env: { ...process.env, HTTPIE_CONFIG_DIR: httpieDir, NO_COLOR: "1" },
  });
  const error = result.error ? `${result.error.message}\n` : "";
  return { code: result.status, output: error + (result.stdout || "") + (result.stderr || "") };
}

// Runs one bash block in a fresh bash that first loads the variables of the
// blocks before it, and saves its own afterwards. A curl function records
// each call's status on stderr (its --write-out goes last, so it wins over a
// block's own -w, which then prints nothing in the test: harmless).
function runBash(block) {
  // On a timeout the runner sends SIGTERM: exit through the block's EXIT trap
  // (which stops any server the block started) instead of dying without it.
  const script = `
__before=$(compgen -v)
trap 'exit 143' TERM
set -eo pipefail
source ${JSON.stringify(stateFile)}
curl() { command curl "$@" --write-out '%{stderr}@@status=%{http_code}\\n'; }
${block.code}
set +e
for __v in $(compgen -v); do
  case "$__v" in __*) continue ;; esac
  grep -qx "$__v" <<<"$__before" || declare -p "$__v"
done >${JSON.stringify(stateFile + ".new")}
mv ${JSON.stringify(stateFile + ".new")} ${JSON.stringify(stateFile)}
`;
  const result = runProcess("bash", ["-c", script]);
  const statuses = [...result.output.matchAll(/@@status=(\d{3})/g)].map((m) => Number(m[1]));
  result.output = result.output.replace(/@@status=\d{3}\n?/g, "");
  if (result.code === 0 && block.expect && statuses.join(" ") !== block.expect.join(" ")) {
    return { ...result, code: 1, why: `curl statuses ${statuses.join(" ") || "(none)"}, expected ${block.expect.join(" ")}` };
  }
  return result;
}

function runPython(block, n) {
  const file = path.join(work, `block-${n}.py`);
  writeFileSync(file, block.code);
  return runProcess(python, [file]);
}

function runNode(block, n) {
  const file = path.join(jsDir, `block-${n}.mjs`);
  writeFileSync(file, block.code);
  return runProcess(process.execPath, [file]);
}

async function runBrowser(blocks) {
  const results = new Map();
  if (!blocks.length) return results;
  const { chromium } = await import("playwright-core");
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), "mock-auth-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
  try {
    for (const block of blocks) {
      const page = await context.newPage();
      const logs = [];
      page.on("console", (m) => logs.push(`console.${m.type()}: ${m.text()}`));
      try {
        await page.goto(`${baseUrl}/docs/`, { waitUntil: "load" });
        await page.evaluate(`(async () => {\n${block.code}\n})()`);
        results.set(block, { code: 0, output: logs.join("\n") });
      } catch (error) {
        results.set(block, { code: 1, output: `${logs.join("\n")}\n${error.message}` });
      }
      await page.close();
    }
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
  return results;
}

async function main() {
  const blocks = parseBlocks(readFileSync(mdPath, "utf8"));
  const browserResults = await runBrowser(blocks.filter((b) => b.lang === "browser"));
  let passed = 0;
  let failed = 0;
  const counts = {};
  blocks.forEach((block, n) => {
    let result;
    if (block.lang === "bash") result = runBash(block);
    else if (block.lang === "python") result = runPython(block, n);
    else if (block.lang === "javascript") result = runNode(block, n);
    else if (block.lang === "browser") result = browserResults.get(block);
    else result = { code: 1, output: "", why: `no runner for language ${block.lang}` };
    const name = `${block.lang} block at ${path.basename(mdPath)}:${block.line} (${block.heading})`;
    counts[block.lang] = (counts[block.lang] || 0) + 1;
    if (result.code === 0) {
      passed += 1;
      console.log(`PASS examples: ${name}${block.expect ? ` [${block.expect.join(" ")}]` : ""}`);
      if (process.env.VERBOSE) console.log(result.output);
    } else {
      failed += 1;
      console.log(`FAIL examples: ${name}: ${result.why || `exit status ${result.code}`}`);
      console.log(result.output.replace(/^/gm, "    | "));
    }
  });
  rmSync(work, { recursive: true, force: true });
  rmSync(jsDir, { recursive: true, force: true });
  const summary = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ");
  console.log(`examples (${summary}): ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
