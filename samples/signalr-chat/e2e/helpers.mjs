// Shared helpers for the end-to-end tests: build (or locate) the sample
// binary, start it on free loopback ports, stop it; chat clients that check
// every message reaches everyone; the chat page in headless Chromium.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const sampleDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = resolve(sampleDir, "..", "..");

const built = new Map();

// goBinary returns the binary named by envName, or builds pkg with the Go
// toolchain. A missing toolchain or binary is an error, never a skip.
function goBinary(envName, pkg, name) {
  if (process.env[envName]) {
    const bin = resolve(process.env[envName]);
    if (!existsSync(bin)) throw new Error(`${envName}=${bin} does not exist (build it with \`go tool task build\`)`);
    return bin;
  }
  if (built.has(pkg)) return built.get(pkg);
  const out = join(mkdtempSync(join(tmpdir(), `${name}-e2e-`)), name);
  const r = spawnSync("go", ["build", "-o", out, pkg], { cwd: repoRoot, encoding: "utf8" });
  if (r.error) {
    throw new Error(`cannot run the Go toolchain to build ${pkg} (${r.error.message}); install Go or set ${envName} to a prebuilt binary`);
  }
  if (r.status !== 0) throw new Error(`go build ${pkg} failed:\n${r.stderr}`);
  built.set(pkg, out);
  return out;
}

// chatBinary returns SIGNALR_CHAT_BIN, or builds the sample.
export function chatBinary() {
  return goBinary("SIGNALR_CHAT_BIN", "./samples/signalr-chat", "signalr-chat");
}

// tollgateBinary returns TOLLGATE_BIN, or builds the gateway.
export function tollgateBinary() {
  return goBinary("TOLLGATE_BIN", "./cmd/tollgate", "tollgate");
}

// Child processes still running when the test process exits are killed.
const children = new Set();
process.once("exit", () => {
  for (const p of children) {
    if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  }
});

// spawnChild starts bin, collects its output and returns { proc, logs, stop() }.
function spawnChild(bin, args, env) {
  const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
  children.add(proc);
  const logs = [];
  proc.stdout.on("data", (d) => logs.push(d.toString()));
  proc.stderr.on("data", (d) => logs.push(d.toString()));
  const exited = new Promise((r) => proc.on("exit", () => { children.delete(proc); r(); }));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 10000);
      await exited;
      clearTimeout(t);
    }
  };
  return { proc, logs, stop };
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

async function waitHealthy(url, proc, logs, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  const name = proc.spawnfile.split("/").pop();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}:\n${logs.join("")}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not healthy after ${timeoutMs} ms:\n${logs.join("")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// startChat starts the sample on free ports and resolves to
// { appURL, serviceURL, logs, stop() }.
export async function startChat(extraArgs = []) {
  const bin = chatBinary();
  const appPort = await freePort();
  const servicePort = await freePort();
  const appURL = `http://127.0.0.1:${appPort}`;
  const serviceURL = `http://127.0.0.1:${servicePort}`;
  const { proc, logs, stop } = spawnChild(bin, [
    "--app-listen", `127.0.0.1:${appPort}`,
    "--service-listen", `127.0.0.1:${servicePort}`,
    "--node-modules", join(sampleDir, "node_modules"),
    ...extraArgs,
  ]);
  try {
    await waitHealthy(`${appURL}/healthz`, proc, logs);
    await waitHealthy(`${serviceURL}/healthz`, proc, logs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { appURL, serviceURL, logs, stop, proc };
}

// startGateway starts tollgate on free ports (or opts.port) serving the
// repo's apis folder (or opts.apis), with the SignalR named values pointing
// at chat (a startChat result), and resolves to { url, adminURL, logs,
// stop() }. opts.env adds environment variables (e.g. SIGNALR_PAGE_ORIGINS),
// opts.args serve flags (e.g. ["--redis", url]).
export async function startGateway(chat, opts = {}) {
  const bin = tollgateBinary();
  const port = opts.port ?? await freePort();
  const adminPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminURL = `http://127.0.0.1:${adminPort}`;
  const env = {
    ...process.env,
    SIGNALR_APP_URL: chat.appURL,
    SIGNALR_SERVICE_URL: `${chat.serviceURL.replace(/^http/, "ws")}/client/`,
    ...opts.env,
  };
  const { proc, logs, stop } = spawnChild(bin, [
    "serve", "--apis", opts.apis ?? join(repoRoot, "apis"),
    "--listen", `127.0.0.1:${port}`, "--admin", `127.0.0.1:${adminPort}`,
    "--watch=false", "--drain-timeout", "5s", ...(opts.args ?? []),
  ], env);
  try {
    await waitHealthy(`${adminURL}/readyz`, proc, logs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, adminURL, logs, stop, proc };
}

// startRedis starts a throw-away redis-server (no persistence) on a free
// loopback port and resolves to { url, stop() }. A missing redis-server is
// an error, never a skip.
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "redis-e2e-"));
  let child;
  try {
    child = spawnChild("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "",
      "--appendonly", "no", "--daemonize", "no", "--dir", dir]);
  } catch (err) {
    throw new Error(`cannot start redis-server (${err.message}): install it (apt-get install -y redis-server)`);
  }
  const spawnError = new Promise((_, reject) => child.proc.once("error", (err) => reject(
    new Error(`cannot start redis-server (${err.message}): install it (apt-get install -y redis-server)`))));
  const deadline = Date.now() + 10000;
  for (;;) {
    if (await Promise.race([redisPing(port), spawnError])) break;
    if (child.proc.exitCode !== null || Date.now() > deadline) {
      await child.stop();
      throw new Error(`redis-server on port ${port} did not answer PING:\n${child.logs.join("")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}/0`, stop: child.stop };
}

function redisPing(port) {
  return new Promise((resolvePing) => {
    const sock = connect(port, "127.0.0.1");
    let got = "";
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => { got += d; if (got.includes("\r\n")) { sock.destroy(); resolvePing(got.startsWith("+PONG")); } });
    sock.on("error", () => resolvePing(false));
  });
}

// metric reads one sample's value from the gateway's /metrics (0 if absent).
export async function metric(adminURL, name, labels = {}) {
  const text = await (await fetch(`${adminURL}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) continue;
    if (want.every((l) => line.includes(l))) sum += Number(line.split(" ").pop());
  }
  return sum;
}

// rawUpgrade sends a bare WebSocket upgrade request (fetch refuses the
// Connection and Upgrade headers) and resolves to { status, headers, body };
// a 101 answer is closed at once.
export function rawUpgrade(url, headers = {}) {
  return new Promise((resolveRes, reject) => {
    const req = request(url, {
      headers: {
        Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers,
      },
    });
    req.on("error", reject);
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolveRes({ status: res.statusCode, headers: res.headers, body: "" });
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolveRes({ status: res.statusCode, headers: res.headers, body }));
    });
    req.end();
  });
}

// appNegotiate asks the Chat App for the redirect (url + accessToken).
export async function appNegotiate(appURL, user) {
  const q = new URLSearchParams({ negotiateVersion: "1" });
  if (user) q.set("user", user);
  const res = await fetch(`${appURL}/chat/negotiate?${q}`, { method: "POST" });
  if (!res.ok) throw new Error(`app negotiate: HTTP ${res.status}`);
  return res.json();
}

export async function waitUntil(what, cond, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// chatClients builds n hub connections with make(i) and records, per
// connection, the ReceiveMessage calls it gets as [user, message] pairs.
export function chatClients(n, make) {
  const conns = [];
  const inboxes = [];
  for (let i = 0; i < n; i++) {
    const c = make(i);
    const inbox = [];
    c.on("ReceiveMessage", (user, message) => { inbox.push([user, message]); });
    conns.push(c);
    inboxes.push(inbox);
  }
  return { conns, inboxes };
}

// assertEveryoneGetsEverything has every started connection i send
// perClient messages "msg-j" as "user<i>", then checks that every inbox got
// every message, in order per sender.
export async function assertEveryoneGetsEverything(conns, inboxes, perClient) {
  const clients = conns.length;
  await Promise.all(conns.map(async (c, i) => {
    for (let j = 0; j < perClient; j++) {
      await c.invoke("SendMessage", `user${i}`, `msg-${j}`);
    }
  }));
  await waitUntil("every client to receive every message", () => inboxes.every((inbox) => inbox.length >= clients * perClient));

  for (const [k, inbox] of inboxes.entries()) {
    assert.equal(inbox.length, clients * perClient, `client ${k} message count`);
    for (let i = 0; i < clients; i++) {
      const fromSender = inbox.filter(([u]) => u === `user${i}`).map(([, m]) => m);
      assert.deepEqual(fromSender, Array.from({ length: perClient }, (_, j) => `msg-${j}`),
        `client ${k} got user${i}'s messages in order`);
    }
  }
}

// chromiumPath is Debian's /usr/bin/chromium (or CHROMIUM_PATH); a missing
// browser is an error, never a skip.
export function chromiumPath() {
  const path = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return path;
}

// chromiumArgs run headless Chromium with every background fetch off: this
// machine has no internet.
export const chromiumArgs = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

// openPage opens url in a new page of context and waits until the chat's
// #status reaches state; on a timeout the error names the status, the
// page's errors and whatever diagnostics() adds.
export async function openPage(context, url, state = "connected", diagnostics = () => "") {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(url);
  try {
    await page.waitForSelector(`#status[data-state="${state}"]`, { timeout: 15000 });
  } catch (err) {
    const status = await page.textContent("#status");
    throw new Error(`page did not reach ${state} (status: ${status}; page errors: ${errors.join("; ")}${diagnostics()}): ${err.message}`);
  }
  return page;
}

// sendFrom types text into the chat page's message box and sends it.
export async function sendFrom(page, text) {
  await page.fill("#message", text);
  await page.click("#send");
}

// waitForMessage waits until the chat page lists text from user.
export async function waitForMessage(page, user, text) {
  await page.waitForFunction(([u, t]) => [...document.querySelectorAll("#messages li")].some(
    (li) => li.querySelector(".user")?.textContent === u && li.querySelector(".text")?.textContent === t,
  ), [user, text], { timeout: 15000 });
}
