// tollgate's web console (/console on the admin listener) in headless
// Chromium, against the SignalR sample: the test tab of /chat connects
// through the gateway, sends the SignalR handshake and a chat message and
// shows the negotiation trace and the echoed ReceiveMessage frame; an HTTP
// API's request and trace; the effective policy diagram; a broken policy
// file shown with its position; the trace of real traffic sent with a trace
// token; a workspace's API and a gRPC API; the credential manager's
// connections and a consent through a provider. Screenshots go to CONSOLE_SCREENSHOTS (default: a temporary
// folder); docs/images/console-*.png were made this way.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { chromiumArgs, chromiumPath, rawUpgrade, repoRoot, startChat, startGateway, waitUntil } from "./helpers.mjs";

const shots = process.env.CONSOLE_SCREENSHOTS || mkdtempSync(join(tmpdir(), "console-shots-"));
mkdirSync(shots, { recursive: true });

let chat;
let gw;
let browser;
let context;
let apis; // a copy of the repo's apis folder, which the tests edit
let idp; // an OAuth 2.0 provider for the credential manager's connections

before(async () => {
  const executablePath = chromiumPath();
  chat = await startChat();
  apis = join(mkdtempSync(join(tmpdir(), "console-apis-")), "apis");
  cpSync(join(repoRoot, "apis"), apis, { recursive: true });
  // An HTTP API in front of the chat app, for the HTTP test form.
  mkdirSync(join(apis, "chat-app"));
  writeFileSync(join(apis, "chat-app", "api.xml"),
    `<api name="chat-app" type="http" path="/app" service-url="{{signalr-app-url}}"/>\n`);
  writeFileSync(join(apis, "chat-app", "policy.xml"), `<policies>
  <inbound>
    <set-variable name="caller" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Caller&quot;, &quot;anonymous&quot;))"/>
    <choose>
      <when condition="@(context.Variables[&quot;caller&quot;] == &quot;console&quot;)">
        <set-header name="X-From-Console" exists-action="override"><value>yes</value></set-header>
      </when>
      <otherwise>
        <set-header name="X-From-Console" exists-action="override"><value>no</value></set-header>
      </otherwise>
    </choose>
  </inbound>
  <outbound>
    <set-header name="X-Served-By" exists-action="override"><value>tollgate</value></set-header>
  </outbound>
</policies>
`);
  // A workspace with its own policy and an API (the APIOps layout, next to
  // tollgate's own), and a gRPC API: what the console shows of each.
  const ws = join(apis, "workspaces", "hr");
  mkdirSync(join(ws, "apis", "people"), { recursive: true });
  writeFileSync(join(ws, "workspaceInformation.json"), `{"properties": {"displayName": "Human Resources"}}`);
  writeFileSync(join(ws, "policy.xml"), `<policies><inbound><base/>
<set-header name="X-Workspace" exists-action="override"><value>@(context.Workspace.Id)</value></set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`);
  writeFileSync(join(ws, "apis", "people", "apiInformation.json"),
    `{"properties": {"path": "people", "serviceUrl": "${chat.appURL}", "subscriptionRequired": false}}`);
  mkdirSync(join(apis, "greeter"));
  writeFileSync(join(apis, "greeter", "api.xml"), `<api name="greeter" type="grpc" path="/helloworld.Greeter" service-url="http://127.0.0.1:1"/>\n`);
  // The credential manager: an authorization-code connection and a
  // client-credentials one, at a provider that consents at once.
  idp = await startIdP();
  const provider = (id, grant, extra) => {
    const base = join(apis, "authorizationProviders", id);
    mkdirSync(join(base, "authorizations", "conn"), { recursive: true });
    writeFileSync(join(base, "authorizationProviderInformation.json"), JSON.stringify({ properties: { identityProvider: "oauth2",
      oauth2: { grantTypes: { [grant]: { clientId: "app", clientSecret: "e2e-SECRET-1", tokenUrl: `${idp.url}/token`, ...extra } } } } }));
    writeFileSync(join(base, "authorizations", "conn", "authorizationInformation.json"), `{"properties": {"authorizationType": "OAuth2"}}`);
  };
  // The authorization page is on another site (localhost, the admin
  // listener is on 127.0.0.1), as a real provider's is.
  provider("github-01", "authorizationCode", { authorizationUrl: `${idp.url.replace("127.0.0.1", "localhost")}/authorize` });
  provider("backend-app", "clientCredentials", {});
  gw = await startGateway(chat, { apis });
  browser = await chromium.launch({ executablePath, headless: true, args: chromiumArgs });
  context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
});

after(async () => {
  await context?.close();
  await browser?.close();
  await gw?.stop();
  await chat?.stop();
  idp?.server.close();
});

// startIdP serves an OAuth 2.0 provider on a free loopback port: its
// authorization page has an Allow link back to redirect_uri with a code,
// its token endpoint hands out tokens.
async function startIdP() {
  const server = createServer((req, res) => {
    const u = new URL(req.url, "http://idp");
    if (u.pathname === "/authorize") {
      const back = new URL(u.searchParams.get("redirect_uri"));
      back.searchParams.set("code", "code-1");
      back.searchParams.set("state", u.searchParams.get("state"));
      const href = back.toString().replaceAll("&", "&amp;").replaceAll('"', "&quot;");
      res.writeHead(200, { "Content-Type": "text/html" }).end(`<!doctype html><title>Consent</title><a id="allow" href="${href}">Allow</a>`);
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" })
      .end(JSON.stringify({ access_token: "e2e-TOKEN-1", refresh_token: "e2e-SECRET-refresh", token_type: "Bearer", expires_in: 3600 }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

async function openConsole(hash = "") {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.errors = errors;
  await page.goto(`${gw.adminURL}/console/${hash}`);
  await page.waitForSelector('[data-testid="status"]:not(:has-text("…"))');
  return page;
}

const traceText = (page) => page.locator('[data-testid="trace"]').first().innerText();

test("the /chat test tab: connect, SignalR handshake, a chat message, the negotiation trace", async () => {
  const page = await openConsole("#/api/signalr-chat/test");
  await page.click('[data-testid="connect"]');
  await page.waitForSelector('[data-testid="handshake-status"]', { timeout: 15000 });
  assert.equal(await page.textContent('[data-testid="handshake-status"]'), "101");

  // The handshake's trace: the fragment's negotiation, step by step, with
  // both call-outs, the branches taken and the backend it chose.
  const trace = await traceText(page);
  for (const want of [
    "include-fragment[1]/send-request[1]", "include-fragment[1]/choose[1]", "include-fragment[1]/set-variable[1]",
    "include-fragment[1]/send-request[2]", "inbound/set-backend-service[1]",
    "GET http://127.0.0.1", "/chat/negotiate?negotiateVersion=1 → 200",
    "POST http://127.0.0.1", "/client/negotiate?", "serviceUrl = http://127.0.0.1",
  ]) assert.ok(trace.includes(want), `trace shows ${want}:\n${trace}`);
  assert.ok(!/eyJ[A-Za-z0-9_-]{8,}\./.test(await page.content()), "no access token on the page");
  assert.match(trace, /accessToken = (REDACTED|\(secret\))/, `the access token is masked:\n${trace}`);
  const steps = await page.locator('[data-testid="trace-step"]').count();
  assert.ok(steps >= 8, `trace has ${steps} steps`);

  // The SignalR handshake, then a chat message; the service echoes it to
  // every member of the hub, this connection included.
  await page.click('[data-testid="signalr-handshake"]');
  await page.waitForSelector('[data-testid="frame"][data-dir="in"]:has-text("{}RS")', { timeout: 15000 });
  await page.fill('[data-testid="send-text"]', '{"type":1,"target":"SendMessage","arguments":["console","hello from the console"]}<RS>');
  await page.click('[data-testid="send"]');
  const echoed = page.locator('[data-testid="frame"][data-dir="in"]:has-text("ReceiveMessage")');
  await echoed.waitFor({ timeout: 15000 });
  assert.match(await echoed.innerText(), /"target":"ReceiveMessage","arguments":\["console","hello from the console"\]/);
  const out = page.locator('[data-testid="frame"][data-dir="out"]');
  assert.equal(await out.count(), 2, "two frames sent");
  assert.match(await out.nth(1).innerText(), /text\s+\d+ B/);
  await page.screenshot({ path: join(shots, "console-test-ws.png"), fullPage: true });

  await page.click('[data-testid="disconnect"]');
  const closed = page.locator('[data-testid="close"]');
  await closed.waitFor({ timeout: 15000 });
  assert.match(await closed.innerText(), /closed by client: 1000 console disconnect/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("an HTTP API: request form, response and trace", async () => {
  const page = await openConsole("#/api/chat-app/test");
  await page.fill('[data-testid="test-path"]', "/healthz");
  await page.click('[data-testid="add-header"]');
  await page.fill(".kv .k", "X-Caller");
  await page.fill(".kv .v", "console");
  await page.click('[data-testid="send-request"]');
  await page.waitForSelector('[data-testid="response-status"]', { timeout: 15000 });
  assert.equal(await page.textContent('[data-testid="response-status"]'), "200");
  const trace = await traceText(page);
  for (const want of ["inbound/set-variable[1]", "caller = console", "branch: when[1]", "inbound/choose[1]/when[1]/set-header[1]", "outbound/set-header[1]"]) {
    assert.ok(trace.includes(want), `trace shows ${want}:\n${trace}`);
  }
  assert.match(await page.locator('[data-testid="response"]').innerText(), /X-Served-By: tollgate/);
  await page.screenshot({ path: join(shots, "console-test-http.png"), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a workspace's API: listed with its workspace, its policy steps marked; a gRPC API's test tab says why it has no form", async () => {
  const page = await openConsole("#/");
  const row = page.locator('tr[data-api="people"]');
  await row.waitFor();
  assert.match(await row.innerText(), /workspace hr/);
  await page.goto(`${gw.adminURL}/console/#/api/people/policy`);
  await page.waitForSelector('[data-testid="plan"]');
  const step = page.locator('[data-testid="plan-node"][data-path="inbound/set-header[1]"] g.box.workspace');
  assert.equal(await step.count(), 1, "the workspace policy's set-header is drawn as a workspace step");
  await page.goto(`${gw.adminURL}/console/#/api/greeter/test`);
  await page.waitForSelector('[data-testid="grpc-note"]');
  assert.match(await page.textContent('[data-testid="grpc-note"]'), /gRPC client/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the effective policy as a diagram, linked to the source", async () => {
  const page = await openConsole("#/api/signalr-chat/policy");
  await page.waitForSelector('[data-testid="plan"]');
  const nodes = page.locator('[data-testid="plan-node"]');
  assert.ok(await nodes.count() >= 10, "the fragment's steps and the branches are drawn");
  const callout = page.locator('[data-testid="plan-node"][data-path="inbound/choose[1]/otherwise[1]/include-fragment[1]/send-request[2]"]');
  assert.match(await callout.innerHTML(), /↗ send-request/);
  await page.screenshot({ path: join(shots, "console-policy.png"), fullPage: true });
  await callout.click();
  await page.waitForSelector('[data-testid="source"]');
  assert.match(page.url(), /#\/file\/fragments%2Fsignalr-negotiate\.xml\?line=\d+/);
  assert.match(await page.locator(".source .hit").innerText(), /<send-request mode="new" response-variable-name="serviceNegotiate"/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a broken policy file: the console shows the error with its position, and the old config serves", async () => {
  const file = join(apis, "signalr-chat", "policy.xml");
  const good = readFileSync(file, "utf8");
  writeFileSync(file, good.replace('<forward-request timeout="10"/>', '<forward-request timout="10"/>'));
  gw.proc.kill("SIGHUP");
  try {
    const page = await openConsole();
    const errs = page.locator('[data-testid="reload-errors"] li');
    await errs.first().waitFor({ timeout: 15000 });
    const text = await errs.first().innerText();
    const line = good.split("\n").findIndex((l) => l.includes("<forward-request")) + 1;
    assert.match(text, new RegExp(`signalr-chat/policy\\.xml:${line}:\\d+: backend/forward-request\\[1\\]: <forward-request> has no attribute "timout"`));
    assert.match(await page.textContent('[data-testid="banner"]'), /Last reload failed .*still serving configuration/);
    assert.match(await page.locator('tr[data-api="signalr-chat"]').innerText(), /reload failed/);
    await page.screenshot({ path: join(shots, "console-reload-error.png"), fullPage: true });
    await errs.first().locator("a").click();
    await page.waitForSelector('[data-testid="source"]');
    assert.match(await page.locator(".source .hit").innerText(), /timout="10"/);
    assert.match(await page.locator(".source .caret").innerText(), /\^/);
    // The old configuration still serves /chat.
    const res = await rawUpgrade(`${gw.url}/chat`);
    assert.equal(res.status, 101);
    await page.close();
  } finally {
    writeFileSync(file, good);
    gw.proc.kill("SIGHUP");
  }
  await waitUntil("the fixed file to load", async () =>
    (await (await fetch(`${gw.adminURL}/status/reload`)).json()).result !== "failure");
});

test("real traffic with a trace token is listed; without it, nothing is traced", async () => {
  const mint = await fetch(`${gw.adminURL}/console/api/apis/signalr-chat/trace-token`, { method: "POST", body: "{}" });
  assert.equal(mint.status, 200);
  const { token, header } = await mint.json();
  const before = (await (await fetch(`${gw.adminURL}/console/api/traces`)).json()).length;
  const untraced = await rawUpgrade(`${gw.url}/chat`, { [header]: token.slice(0, -3) + "AAA" });
  assert.equal(untraced.status, 101);
  assert.equal(untraced.headers["tollgate-trace-id"], undefined);
  const traced = await rawUpgrade(`${gw.url}/chat`, { [header]: token });
  assert.equal(traced.status, 101);
  const id = traced.headers["tollgate-trace-id"];
  assert.ok(id, "a traced handshake is answered with its trace id");
  await waitUntil("the trace to be listed", async () =>
    (await (await fetch(`${gw.adminURL}/console/api/traces`)).json()).length === before + 1);

  const page = await openConsole("#/traces");
  await page.locator(`a[href="#/trace/${id}"]`).click();
  await page.waitForSelector('[data-testid="trace"]');
  assert.match(await traceText(page), /GET \/chat[\s\S]*101[\s\S]*trace token/);
  await page.screenshot({ path: join(shots, "console-trace.png"), fullPage: true });

  // Last: the APIs list, with the traffic of the tests above in its chart.
  await page.goto(`${gw.adminURL}/console/#/`);
  await page.waitForSelector('tr[data-api="signalr-chat"]');
  await page.screenshot({ path: join(shots, "console-apis.png"), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the credential manager's connections: status, and Connect through the provider back to the console", async () => {
  const page = await openConsole("#/connections");
  const row = page.locator('tr[data-connection="github-01/conn"]');
  await row.waitFor();
  assert.match(await row.innerText(), /oauth2\s+authorization code\s+Error\s+Unauthenticated: This connection is not authenticated\./);
  assert.match(await page.locator('tr[data-connection="backend-app/conn"]').innerText(), /client credentials\s+not used yet/);
  assert.equal(await page.locator('tr[data-connection="backend-app/conn"] [data-testid="connection-login"]').count(), 0);
  const link = row.locator('[data-testid="connection-login"]');
  assert.equal(await link.innerText(), "Connect");
  // The login link goes to the provider, which sends the browser back to
  // the admin listener's callback, which sends it back here.
  await link.click();
  await page.click("#allow");
  await page.waitForURL(/\/console\/#\/connections$/);
  const connected = page.locator('tr[data-connection="github-01/conn"] [data-testid="connection-status"]');
  await connected.filter({ hasText: "Connected" }).waitFor();
  assert.equal(await row.locator('[data-testid="connection-login"]').innerText(), "Reconnect");
  assert.notEqual(await row.locator("td").nth(5).innerText(), "—", "the token's expiry is shown");
  const html = await page.content();
  assert.ok(!html.includes("e2e-TOKEN") && !html.includes("e2e-SECRET"), "no token or secret on the page");
  await page.screenshot({ path: join(shots, "console-connections.png"), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("with an admin token: Connect ends back in the console, logged in", async () => {
  const token = "e2e-admin-token-" + Math.random().toString(36).slice(2);
  const locked = await startGateway(chat, { apis, env: { TOLLGATE_ADMIN_TOKEN: token } });
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  try {
    const page = await ctx.newPage();
    await page.goto(`${locked.adminURL}/console/login`);
    await page.fill('[data-testid="token"]', token);
    await page.click('[data-testid="login"]');
    await page.waitForSelector('tr[data-api="signalr-chat"]');
    await page.goto(`${locked.adminURL}/console/#/connections`);
    await page.click('tr[data-connection="github-01/conn"] [data-testid="connection-login"]');
    await page.click("#allow");
    await page.waitForURL(/\/console\/#\/connections$/);
    const row = page.locator('tr[data-connection="github-01/conn"]');
    await row.locator('[data-testid="connection-status"]', { hasText: "Connected" }).waitFor();
  } finally {
    await ctx.close();
    await locked.stop();
  }
});

test("with an admin token: the login page, then the console and its test tab work the same", async () => {
  const token = "e2e-admin-token-" + Math.random().toString(36).slice(2);
  const locked = await startGateway(chat, { env: { TOLLGATE_ADMIN_TOKEN: token } });
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  try {
    assert.equal((await fetch(`${locked.adminURL}/metrics`)).status, 401);
    assert.equal((await fetch(`${locked.adminURL}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
    const page = await ctx.newPage();
    await page.goto(`${locked.adminURL}/console/`);
    assert.match(page.url(), /\/console\/login$/);
    await page.fill('[data-testid="token"]', "wrong");
    await page.click('[data-testid="login"]');
    assert.match(await page.textContent(".error"), /Wrong token/);
    await page.fill('[data-testid="token"]', token);
    await page.click('[data-testid="login"]');
    await page.waitForSelector('tr[data-api="signalr-chat"]');
    const cookies = await ctx.cookies();
    assert.equal(cookies.length, 1);
    assert.ok(cookies[0].httpOnly && !cookies[0].value.includes(token), "an HttpOnly cookie without the token");
    await page.goto(`${locked.adminURL}/console/#/api/signalr-chat/test`);
    await page.click('[data-testid="connect"]');
    await page.waitForSelector('[data-testid="handshake-status"]', { timeout: 15000 });
    assert.equal(await page.textContent('[data-testid="handshake-status"]'), "101");
    await page.click('[data-testid="signalr-handshake"]');
    await page.waitForSelector('[data-testid="frame"][data-dir="in"]:has-text("{}RS")', { timeout: 15000 });
  } finally {
    await ctx.close();
    await locked.stop();
  }
});
