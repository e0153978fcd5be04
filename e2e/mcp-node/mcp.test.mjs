// tollgate's MCP servers with the official TypeScript client
// (@modelcontextprotocol/sdk): bin/tollgate (TOLLGATE_BIN) serves a
// temporary APIOps folder with
//   - weather-api: a REST API (OpenAPI) on a tiny node backend, key required;
//   - weather-mcp: two of its operations as MCP tools (type mcp, mcpTools),
//     its policy giving the tools' API its subscription key;
//   - ts-sse, ts-mcp: existing MCP servers (built with the TypeScript SDK's
//     server) passed through, over HTTP+SSE and Streamable HTTP.
// Each is reached with StreamableHTTPClientTransport and SSEClientTransport.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

import { startTollgate } from "../tollgate.mjs";

const KEY = "e2e-weather-key";

function listen(handler) {
  return new Promise((ok) => {
    const srv = createServer(handler);
    srv.listen(0, "127.0.0.1", () => ok({ srv, url: `http://127.0.0.1:${srv.address().port}` }));
  });
}

// The REST backend: GET /v1/weather/{city} answers JSON, "nowhere" 404;
// every request's path, query and headers are kept.
const restCalls = [];
function restBackend(req, res) {
  restCalls.push({ url: req.url, headers: req.headers });
  if (req.url.startsWith("/v1/weather/nowhere")) {
    res.writeHead(404, { "content-type": "application/json" }).end(`{"error":"no such city"}`);
    return;
  }
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ url: req.url, temp: 21 }));
}

// An MCP server built with the TypeScript SDK: tool "echo" answers its text
// and the X-Seen header its HTTP request carried (set by tollgate's policy).
function mcpServer(seen) {
  const s = new Server({ name: "ts-backend", version: "1.0.0" }, { capabilities: { tools: {} } });
  s.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [{ name: "echo", description: "echoes", inputSchema: { type: "object", properties: { text: { type: "string" } } } }],
  }));
  s.setRequestHandler(CallToolRequestSchema, async (req) => ({
    content: [{ type: "text", text: `${req.params.arguments?.text}|${seen ?? ""}` }],
  }));
  return s;
}

const sseSessions = new Map();
async function mcpBackend(req, res) {
  const u = new URL(req.url, "http://backend");
  try {
    if (req.method === "GET" && u.pathname === "/sse") {
      const t = new SSEServerTransport("/messages", res);
      sseSessions.set(t.sessionId, t);
      res.on("close", () => sseSessions.delete(t.sessionId));
      await mcpServer(req.headers["x-seen"]).connect(t);
    } else if (req.method === "POST" && u.pathname === "/messages") {
      const t = sseSessions.get(u.searchParams.get("sessionId"));
      if (!t) {
        res.writeHead(404).end("no session");
        return;
      }
      await t.handlePostMessage(req, res);
    } else if (u.pathname === "/api/mcp" && req.method === "POST") {
      const t = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => t.close());
      await mcpServer(req.headers["x-seen"]).connect(t);
      await t.handleRequest(req, res);
    } else {
      res.writeHead(405).end();
    }
  } catch (err) {
    if (!res.headersSent) res.writeHead(500).end(String(err));
  }
}

function write(dir, rel, content) {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), typeof content === "string" ? content : JSON.stringify(content, null, 2));
}

const spec = {
  openapi: "3.0.1",
  info: { title: "Weather", version: "1" },
  paths: {
    "/weather/{city}": {
      get: {
        operationId: "get-weather",
        summary: "Current weather of a city",
        parameters: [
          { name: "city", in: "path", required: true, description: "the city", schema: { type: "string" } },
          { name: "units", in: "query", schema: { type: "string", enum: ["metric", "imperial"] } },
        ],
        responses: { 200: { description: "ok" } },
      },
    },
  },
};

let rest;
let backend;
let gw;
let dir;

before(async () => {
  rest = await listen(restBackend);
  backend = await listen(mcpBackend);
  dir = mkdtempSync(join(tmpdir(), "tollgate-mcp-e2e-"));
  write(dir, "apis/weather-api/apiInformation.json", { properties: { path: "weather", serviceUrl: `${rest.url}/v1`, subscriptionRequired: true } });
  write(dir, "apis/weather-api/specification.json", spec);
  write(dir, "apis/weather-mcp/apiInformation.json", {
    properties: {
      type: "mcp", path: "weather-mcp", subscriptionRequired: false,
      mcpTools: [{ name: "get-weather", operationId: "/apis/weather-api/operations/get-weather", description: "Weather of a city" }],
    },
  });
  write(dir, "apis/weather-mcp/policy.xml", `<policies><inbound><base/>
  <set-header name="Ocp-Apim-Subscription-Key" exists-action="override"><value>{{weather-key}}</value></set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`);
  write(dir, "named values/weather-key/namedValueInformation.json", { properties: { displayName: "weather-key", secret: true, value: KEY } });
  write(dir, "subscriptions/weather/subscriptionInformation.json", { properties: { scope: "/apis/weather-api", displayName: "weather", state: "active" } });
  write(dir, "backends/ts-backend/backendInformation.json", { properties: { url: backend.url, protocol: "http" } });
  const seen = `<policies><inbound><base/><set-header name="X-Seen" exists-action="override"><value>tollgate</value></set-header></inbound>
<backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`;
  write(dir, "apis/ts-sse/apiInformation.json", {
    properties: {
      type: "mcp", path: "ts-sse", subscriptionRequired: false, backendId: "ts-backend",
      mcpProperties: { transportType: "sse", endpoints: { sse: { uriTemplate: "/sse" }, messages: { uriTemplate: "/messages" } } },
    },
  });
  write(dir, "apis/ts-sse/policy.xml", seen);
  write(dir, "apis/ts-mcp/apiInformation.json", {
    properties: {
      type: "mcp", path: "ts-mcp", subscriptionRequired: false, backendId: "ts-backend",
      mcpProperties: { transportType: "streamable", endpoints: { mcp: { uriTemplate: "/api/mcp" } } },
    },
  });
  write(dir, "apis/ts-mcp/policy.xml", seen);
  write(dir, "keys.json", { weather: { primaryKey: KEY } });

  gw = await startTollgate(dir, ["--subscription-keys", join(dir, "keys.json")]);
});

after(async () => {
  await gw?.stop();
  rest?.srv.closeAllConnections();
  rest?.srv.close();
  backend?.srv.closeAllConnections();
  backend?.srv.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  assert.ok(!(gw?.logs ?? []).join("").includes(KEY), "the subscription key (a secret named value) is never logged");
});

async function connect(transport) {
  const client = new Client({ name: "tollgate-e2e", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

const transports = {
  streamable: (base) => new StreamableHTTPClientTransport(new URL(`${base}/mcp`)),
  sse: (base) => new SSEClientTransport(new URL(`${base}/sse`)),
};

for (const [kind, make] of Object.entries(transports)) {
  test(`REST API as an MCP server over ${kind}: list the tools, call one, a 404 is a tool error`, async () => {
    const client = await connect(make(`${gw.url}/weather-mcp`));
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ["get-weather"]);
      const [tool] = tools;
      assert.equal(tool.description, "Weather of a city");
      assert.equal(tool.inputSchema.type, "object");
      assert.deepEqual(tool.inputSchema.required, ["city"]);
      assert.deepEqual(tool.inputSchema.properties.units.enum, ["metric", "imperial"]);

      const ok = await client.callTool({ name: "get-weather", arguments: { city: "Oslo", units: "metric" } });
      assert.ok(!ok.isError, JSON.stringify(ok));
      assert.deepEqual(JSON.parse(ok.content[0].text), { url: "/v1/weather/Oslo?units=metric", temp: 21 });
      const call = restCalls.at(-1);
      assert.equal(call.headers["ocp-apim-subscription-key"], KEY, "the MCP server's policy gave the tools' API its key");

      const missing = await client.callTool({ name: "get-weather", arguments: { city: "nowhere" } });
      assert.equal(missing.isError, true);
      assert.match(missing.content[0].text, /^HTTP 404 Not Found: .*no such city/);
    } finally {
      await client.close();
    }
  });
}

for (const [kind, path] of [["sse", "ts-sse"], ["streamable", "ts-mcp"]]) {
  test(`an existing MCP server passed through over ${kind}: its tools, with the MCP server's policy applied`, async () => {
    const client = await connect(transports[kind](`${gw.url}/${path}`));
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ["echo"]);
      const res = await client.callTool({ name: "echo", arguments: { text: "hello" } });
      assert.equal(res.content[0].text, "hello|tollgate");
    } finally {
      await client.close();
    }
  });
}
