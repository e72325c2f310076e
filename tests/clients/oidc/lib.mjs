// What the Node suites share: the pass/fail lines, a loopback callback
// server standing in for an application's redirect URI, and a browser-like
// walk through the login page over plain HTTP (forms parsed from the HTML,
// the session cookie kept), so the client libraries meet the real page.
import { createServer } from "node:http";

let passed = 0;
let failed = 0;

/** Runs one named check and prints its pass/fail line. */
export async function check(name, body) {
  try {
    await body();
    passed++;
    console.log(`ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}: ${error?.stack ?? error}`);
  }
}

/** Throws with MESSAGE unless COND holds. */
export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Prints the closing count line and sets the exit status. */
export function finish(suite) {
  console.log(`${suite}: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

/** Starts a loopback server (on PORT, 0 for any) whose every request
 * answers 200 with a small page; returns its base URL, the list of URLs it
 * was sent, and close(). */
export async function callbackServer(port = 0) {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(new URL(req.url, `http://${req.headers.host}`).href);
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>callback</title><p>back in the app</p>");
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${server.address().port}`, hits, close: () => server.close() };
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'", "#x27": "'", "#34": '"', "#x22": '"' };
function unescape(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, name) => {
    if (ENTITIES[name.toLowerCase()] !== undefined) return ENTITIES[name.toLowerCase()];
    if (name[0] === "#") return String.fromCodePoint(name[1].toLowerCase() === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10));
    return all;
  });
}
function attrs(tag) {
  const out = {};
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)(?:\s*=\s*("([^"]*)"|'([^']*)'|[^\s>]+))?/g)) {
    out[m[1].toLowerCase()] = unescape(m[3] ?? m[4] ?? m[2] ?? "");
  }
  return out;
}

/** The forms of an HTML page: action, method, named fields (inputs and
 * textareas, as a browser would send them) and submit buttons. */
export function forms(html) {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((m) => {
    const form = attrs(m[1]);
    const fields = [];
    for (const i of m[2].matchAll(/<input\b([^>]*)>/gi)) {
      const a = attrs(i[1]);
      if (a.name && a.type !== "submit") fields.push([a.name, a.value ?? "", a.type ?? "text"]);
    }
    for (const t of m[2].matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi)) {
      const a = attrs(t[1]);
      if (a.name) fields.push([a.name, unescape(t[2]), "textarea"]);
    }
    const buttons = [...m[2].matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].map((b) => ({
      ...attrs(b[1]),
      text: unescape(b[2].replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim()),
    }));
    return { action: form.action ?? "", method: (form.method ?? "get").toLowerCase(), fields, buttons };
  });
}

/** A cookie-keeping HTTP user agent for the login page. */
export class Browser {
  constructor() {
    this.cookies = new Map();
  }

  /** Sends one request (no redirect followed), keeping Set-Cookie. */
  async request(url, init = {}) {
    const headers = new Headers(init.headers ?? {});
    const jar = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (jar && new URL(url).pathname.startsWith("/oauth2")) headers.set("cookie", jar);
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...rest] = line.split(";");
      const [name, value] = [pair.slice(0, pair.indexOf("=")).trim(), pair.slice(pair.indexOf("=") + 1)];
      if (/max-age=0/i.test(rest.join(";")) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** Follows redirects like a browser (GET after 302/303), returning the
   * final response and its URL. */
  async follow(url, init = {}) {
    let response = await this.request(url, init);
    let current = url;
    for (let i = 0; i < 10 && [301, 302, 303, 307, 308].includes(response.status); i++) {
      current = new URL(response.headers.get("location"), current).href;
      response = await this.request(current);
    }
    return { response, url: current };
  }

  /** Submits FORM (from forms()) of the page at PAGE_URL with the given
   * values and clicked button, as a browser would: urlencoded POST. */
  async submit(pageUrl, form, values = {}, button = null) {
    const body = new URLSearchParams();
    const seen = new Set();
    for (const [name, value] of form.fields) {
      if (name in values) {
        if (!seen.has(name)) body.append(name, values[name]);
        seen.add(name);
      } else body.append(name, value);
    }
    for (const [name, value] of Object.entries(values)) if (!seen.has(name)) body.append(name, value);
    if (button?.name) body.append(button.name, button.value ?? "");
    return this.follow(new URL(form.action, pageUrl).href, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    });
  }
}

/** Opens AUTHORIZE_URL in BROWSER and signs in on the login page: as
 * USER's "continue as" button, or with email and password when PASSWORD
 * is given. Returns the callback URL the flow ended at. */
export async function signIn(browser, authorizeUrl, { email = "alice@example.com", password = null, extraClaims = "" } = {}) {
  const { response, url } = await browser.follow(authorizeUrl);
  const html = await response.text();
  assert(response.status === 200, `login page: ${response.status} ${html.slice(0, 200)}`);
  const all = forms(html);
  let done;
  if (password === null) {
    const form = all.find((f) => f.buttons.some((b) => b.name === "user_id"));
    assert(form, "no 'continue as' form");
    const button = form.buttons.find((b) => b.text.includes(email));
    assert(button, `no 'continue as' button for ${email}`);
    done = await browser.submit(url, form, { extra_claims: extraClaims }, button);
  } else {
    const form = all.find((f) => f.fields.some(([name]) => name === "password"));
    assert(form, "no password form");
    done = await browser.submit(url, form, { email, password });
  }
  assert(done.response.status === 200, `after the login page: ${done.response.status} at ${done.url}`);
  return new URL(done.url);
}
