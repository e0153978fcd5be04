// Two bin/tollgate replicas sharing one redis-server (--redis), and the
// official TypeScript client's SSEClientTransport with its stream on
// replica A while every POST goes to replica B (a load balancer without
// sticky sessions): the HTTP+SSE session of a REST-as-MCP server works
// across them (docs/mcp.md, "Replicas"). redis-server must be on PATH.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";

import { freePort, startTollgate } from "../tollgate.mjs";

function write(dir, rel, content) {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), typeof content === "string" ? content : JSON.stringify(content, null, 2));
}

// startRedis runs a throw-away redis-server (no persistence) on a free port.
async function startRedis() {
  const port = await freePort();
  const logs = [];
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout.on("data", (d) => logs.push(String(d)));
  proc.stderr.on("data", (d) => logs.push(String(d)));
  const failed = new Promise((_, fail) => proc.once("error", (err) => fail(new Error(`redis-server: ${err.message} (install redis-server)`))));
  const deadline = Date.now() + 10000;
  for (;;) {
    const up = await Promise.race([failed, new Promise((ok) => {
      const c = createConnection(port, "127.0.0.1", () => { c.end(); ok(true); });
      c.on("error", () => ok(false));
    })]);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`redis-server did not start:\n${logs.join("")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}/0`, stop: () => proc.kill("SIGKILL") };
}

const restCalls = [];
let rest;
let redis;
let dir;
let a;
let b;

before(async () => {
  rest = await new Promise((ok) => {
    const srv = createServer((req, res) => {
      restCalls.push(req.url);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ url: req.url, temp: 21 }));
    });
    srv.listen(0, "127.0.0.1", () => ok({ srv, url: `http://127.0.0.1:${srv.address().port}` }));
  });
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "tollgate-mcp-replicas-"));
  write(dir, "apis/weather-api/apiInformation.json", { properties: { path: "weather", serviceUrl: `${rest.url}/v1`, subscriptionRequired: false } });
  write(dir, "apis/weather-api/specification.json", {
    openapi: "3.0.1", info: { title: "Weather", version: "1" },
    paths: { "/weather/{city}": { get: { operationId: "get-weather",
      parameters: [{ name: "city", in: "path", required: true, schema: { type: "string" } }],
      responses: { 200: { description: "ok" } } } } },
  });
  write(dir, "apis/weather-mcp/apiInformation.json", { properties: {
    type: "mcp", path: "weather-mcp", subscriptionRequired: false,
    mcpTools: [{ name: "get-weather", operationId: "/apis/weather-api/operations/get-weather", description: "Weather of a city" }],
  } });
  // The answers say which replica's policies ran (by the port the request reached).
  write(dir, "apis/weather-mcp/policy.xml", `<policies><inbound><base/></inbound><backend><base/></backend>
<outbound><base/><set-header name="X-Served-By" exists-action="override"><value>@(context.Request.OriginalUrl.Port.ToString())</value></set-header></outbound>
<on-error><base/></on-error></policies>`);
  a = await startTollgate(dir, ["--redis", redis.url]);
  b = await startTollgate(dir, ["--redis", redis.url]);
});

after(async () => {
  await a?.stop();
  await b?.stop();
  redis?.stop();
  rest?.srv.closeAllConnections();
  rest?.srv.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("HTTP+SSE across replicas: the stream on A, every POST to B", async () => {
  const posts = [];
  const toB = async (url, init) => {
    const u = new URL(url);
    if ((init?.method ?? "GET") === "POST") {
      u.host = new URL(b.url).host;
      const res = await fetch(u, init);
      posts.push({ url: u.href, status: res.status, servedBy: res.headers.get("x-served-by") });
      return res;
    }
    return fetch(url, init);
  };
  const client = new Client({ name: "tollgate-e2e-replicas", version: "1.0.0" });
  await client.connect(new SSEClientTransport(new URL(`${a.url}/weather-mcp/sse`), { fetch: toB }));
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ["get-weather"]);
    const res = await client.callTool({ name: "get-weather", arguments: { city: "Oslo" } });
    assert.ok(!res.isError, JSON.stringify(res));
    assert.deepEqual(JSON.parse(res.content[0].text), { url: "/v1/weather/Oslo", temp: 21 });
    assert.equal(restCalls.at(-1), "/v1/weather/Oslo");
    assert.ok(posts.length >= 3, JSON.stringify(posts));
    for (const p of posts) {
      assert.ok(p.url.startsWith(`${b.url}/weather-mcp/messages?sessionid=`), p.url);
      assert.equal(p.status, 202);
      assert.equal(p.servedBy, new URL(b.url).port, "B ran the MCP server's policies on the POST");
    }
  } finally {
    await client.close();
  }

  // A session no replica holds: the SDK's 404, from either.
  for (const g of [a, b]) {
    const res = await fetch(`${g.url}/weather-mcp/messages?sessionid=AAAAAAAAAAAAAAAAAAAAAAAAAA`, {
      method: "POST", headers: { "content-type": "application/json" }, body: `{"jsonrpc":"2.0","id":1,"method":"ping"}`,
    });
    assert.equal(res.status, 404);
    assert.equal(await res.text(), "session not found\n");
  }
});
