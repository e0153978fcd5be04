// An A2A agent built with the official A2A JS SDK (@a2a-js/sdk, JSON-RPC
// over Express), served through tollgate as an APIM A2A agent API
// (apiInformation.json "type": "a2a"), and driven by the SDK's own
// client: the client resolves the agent card through the gateway, finds
// there the gateway's URL (not the agent's), and sends a message and a
// streaming message through it. A second API fronts the repository's A2A
// 0.3 sample agent (samples/apiops-a2a-agent.mjs), driven by the same
// client in its v0.3 compatibility mode. The gateway binary is TOLLGATE_BIN
// (default: bin/tollgate of the repository).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import express from "express";
import { Role, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore } from "@a2a-js/sdk/server";
import { UserBuilder, agentCardHandler, jsonRpcHandler } from "@a2a-js/sdk/server/express";

import { freePort, startTollgate } from "../tollgate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..");
const KEY = "a2a-e2e-key";

// The agent: message/send (SendMessage) answers with one message;
// streaming (SendStreamingMessage) publishes a task, a working status, then
// the completed status.
class EchoAgent {
  async execute(ctx, bus) {
    const text = ctx.userMessage.parts.map((p) => p.content?.value ?? "").join("");
    if (text.startsWith("stream:")) {
      const base = { taskId: ctx.taskId, contextId: ctx.contextId, metadata: undefined };
      bus.publish(AgentEvent.task({
        id: ctx.taskId, contextId: ctx.contextId, history: [ctx.userMessage], artifacts: [], metadata: undefined,
        status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: undefined },
      }));
      bus.publish(AgentEvent.statusUpdate({ ...base, status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: undefined } }));
      bus.publish(AgentEvent.statusUpdate({
        ...base,
        status: {
          state: TaskState.TASK_STATE_COMPLETED, timestamp: undefined,
          message: agentMessage(ctx, `done: ${text.slice(7)}`),
        },
      }));
    } else {
      bus.publish(AgentEvent.message(agentMessage(ctx, `echo: ${text}`)));
    }
    bus.finished();
  }

  async cancelTask() {}
}

function agentMessage(ctx, text) {
  return {
    messageId: randomUUID(), contextId: ctx.contextId, taskId: "", role: Role.ROLE_AGENT,
    parts: [{ content: { $case: "text", value: text }, metadata: undefined }],
    metadata: undefined, extensions: [], referenceTaskIds: [],
  };
}

let agent; // { url, server, cardRequests }
let legacy; // the 0.3 sample agent: { url, stop }
let gw; // { url, proc, logs }
let dir;

async function startAgent() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const card = {
    name: "Market analyst", description: "Analyses markets (tollgate e2e)", version: "1.0.0",
    supportedInterfaces: [
      { url: `${url}/a2a/jsonrpc`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" },
      { url: `${url}/a2a/rest`, protocolBinding: "HTTP+JSON", tenant: "", protocolVersion: "1.0" },
    ],
    provider: undefined,
    capabilities: { streaming: true, pushNotifications: false, extensions: [] },
    securitySchemes: {}, securityRequirements: [],
    defaultInputModes: ["text/plain"], defaultOutputModes: ["text/plain"],
    skills: [{ id: "echo", name: "Echo", description: "echoes", tags: ["e2e"], examples: [], inputModes: [], outputModes: [], securityRequirements: [] }],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), new EchoAgent());
  const app = express();
  const cardRequests = [];
  app.use("/.well-known/agent-card.json", (req, _res, next) => { cardRequests.push(req.headers); next(); },
    agentCardHandler({ agentCardProvider: handler }));
  app.use("/a2a/jsonrpc", jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  const server = await new Promise((ok) => { const s = app.listen(port, "127.0.0.1", () => ok(s)); });
  return { url, server, cardRequests };
}

// writeAPIOps writes an APIOps folder with the A2A agent API as APIM's
// extractor writes it (APIM's default policy for the API included), a
// subscription to it and its key.
async function startLegacyAgent() {
  const port = await freePort();
  const proc = spawn(process.execPath, [join(repoRoot, "samples", "apiops-a2a-agent.mjs")], {
    env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((ok) => proc.once("exit", ok));
  await new Promise((ok, fail) => {
    proc.stdout.once("data", ok);
    proc.once("exit", (code) => fail(new Error(`the sample agent exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: async () => { if (proc.exitCode === null) { proc.kill("SIGTERM"); await exited; } } };
}

function writeAPIOps(agentURL, legacyURL) {
  const root = mkdtempSync(join(tmpdir(), "tollgate-a2a-e2e-"));
  const api = join(root, "apis", "market-analyst");
  mkdirSync(api, { recursive: true });
  writeFileSync(join(api, "apiInformation.json"), JSON.stringify({
    properties: {
      displayName: "market-analyst", path: "market-analyst", protocols: ["https"],
      type: "a2a", isAgent: true,
      agent: { id: "market-analyst", name: "market-analyst", managementPortalUrl: "", providerName: null },
      a2aProperties: { agentCardBackendUrl: `${agentURL}/.well-known/agent-card.json`, agentCardPath: "/agent-card.json" },
      jsonRpcProperties: { backendUrl: `${agentURL}/a2a/jsonrpc`, path: "/" },
      subscriptionRequired: true,
      subscriptionKeyParameterNames: { header: "Ocp-Apim-Subscription-Key", query: "subscription-key" },
      serviceUrl: "",
    },
  }, null, 2));
  writeFileSync(join(api, "policy.xml"), `<policies>
    <inbound>
        <base />
        <cors allow-credentials="true">
            <allowed-origins>
                <origin>@(context.Request.Headers.GetValueOrDefault("Origin") ?? $"https://{context.Request.Url.Host}")</origin>
            </allowed-origins>
            <allowed-methods><method>*</method></allowed-methods>
            <allowed-headers><header>*</header></allowed-headers>
            <expose-headers><header>*</header></expose-headers>
        </cors>
    </inbound>
    <backend><base /></backend>
    <outbound><base /></outbound>
    <on-error><base /></on-error>
</policies>
`);
  const old = join(root, "apis", "legacy-analyst");
  mkdirSync(old, { recursive: true });
  writeFileSync(join(old, "apiInformation.json"), JSON.stringify({
    properties: {
      path: "legacy-analyst", type: "a2a", agent: { id: "legacy-analyst" },
      a2aProperties: { agentCardBackendUrl: `${legacyURL}/.well-known/agent-card.json`, agentCardPath: "/.well-known/agent-card.json" },
      jsonRpcProperties: { backendUrl: legacyURL, path: "/" },
      subscriptionRequired: false,
    },
  }));
  const sub = join(root, "subscriptions", "agents");
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, "subscriptionInformation.json"), JSON.stringify({ properties: { scope: "/apis/market-analyst", state: "active" } }));
  writeFileSync(join(root, "keys.json"), JSON.stringify({ agents: { primaryKey: KEY } }));
  return root;
}

function startGateway(apis) {
  return startTollgate(apis, ["--subscription-keys", join(apis, "keys.json")]);
}

// withKey is fetch with the subscription key on every request, as a
// client of the API is told to send it (the card's security schemes).
const withKey = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set("Ocp-Apim-Subscription-Key", KEY);
  return fetch(input, { ...init, headers });
};

function client() {
  return new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
    transports: [new JsonRpcTransportFactory({ fetchImpl: withKey })],
    cardResolver: new DefaultAgentCardResolver({ fetchImpl: withKey }),
  }));
}

function userMessage(text) {
  return {
    tenant: "", configuration: undefined, metadata: undefined,
    message: {
      messageId: randomUUID(), contextId: "", taskId: "", role: Role.ROLE_USER,
      parts: [{ content: { $case: "text", value: text }, metadata: undefined }],
      metadata: undefined, extensions: [], referenceTaskIds: [],
    },
  };
}

before(async () => {
  agent = await startAgent();
  legacy = await startLegacyAgent();
  dir = writeAPIOps(agent.url, legacy.url);
  gw = await startGateway(dir);
});

after(async () => {
  await gw?.stop();
  await new Promise((ok) => (agent?.server ? agent.server.close(ok) : ok()));
  await legacy?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the agent card comes through the gateway, rewritten to point at it", async () => {
  assert.equal((await fetch(`${gw.url}/market-analyst/agent-card.json`)).status, 401, "the card needs the subscription key");
  const res = await withKey(`${gw.url}/market-analyst/agent-card.json`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  const card = await res.json();
  assert.deepEqual(card.supportedInterfaces.map((i) => [i.url, i.protocolBinding]), [[`${gw.url}/market-analyst`, "JSONRPC"]],
    "only the JSON-RPC interface is left, at the gateway");
  assert.equal(card.name, "Market analyst", "the rest of the card is the agent's");
  assert.equal(card.securitySchemes["apim-subscription-key-header"].apiKeySecurityScheme.name, "Ocp-Apim-Subscription-Key");
  assert.equal(card.securitySchemes["apim-subscription-key-query"].apiKeySecurityScheme.location, "query");
  assert.ok(!JSON.stringify(card).includes(agent.url), "the agent's own URL is gone");
});

test("the SDK client resolves the card through the gateway and sends a message", async () => {
  const c = await client().createFromUrl(`${gw.url}/market-analyst/`, "agent-card.json");
  const card = await c.getAgentCard();
  assert.equal(card.supportedInterfaces[0].url, `${gw.url}/market-analyst`, "the client calls the gateway");
  assert.equal(agent.cardRequests.at(-1)["a2a-version"], "1.0", "the card request carried the client's A2A-Version");
  const result = await c.sendMessage(userMessage("hello"));
  const msg = result.$case === "message" ? result.value : result;
  const text = JSON.stringify(msg);
  assert.ok(text.includes("echo: hello"), `the agent's answer: ${text}`);
});

test("a streaming message comes through event by event", async () => {
  const c = await client().createFromUrl(`${gw.url}/market-analyst/`, "agent-card.json");
  const kinds = [];
  let last;
  for await (const ev of c.sendMessageStream(userMessage("stream:report"))) {
    kinds.push(ev.payload?.$case);
    last = ev;
  }
  assert.deepEqual(kinds, ["task", "statusUpdate", "statusUpdate"], `events ${kinds}`);
  assert.equal(last.payload.value.status.state, TaskState.TASK_STATE_COMPLETED);
  assert.ok(JSON.stringify(last).includes("done: report"));
});

test("without the key the JSON-RPC endpoint refuses", async () => {
  const res = await fetch(`${gw.url}/market-analyst`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "SendMessage", params: {} }),
  });
  assert.equal(res.status, 401);
});

test("an A2A 0.3 agent: its card rewritten as APIM documents, and the SDK's 0.3 mode through the gateway", async () => {
  const card = await (await fetch(`${gw.url}/legacy-analyst/.well-known/agent-card.json`)).json();
  assert.equal(card.url, `${gw.url}/legacy-analyst`);
  assert.equal(card.preferredTransport, "JSONRPC");
  assert.deepEqual(card.additionalInterfaces, [{ url: `${gw.url}/legacy-analyst`, transport: "JSONRPC" }]);
  assert.equal(card.security, undefined, "no key required: the card's security is the agent's");

  const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
    transports: [new JsonRpcTransportFactory({ legacyCompat: { enabled: true } })],
    cardResolver: new DefaultAgentCardResolver({ legacyCompat: { enabled: true } }),
  }));
  const c = await factory.createFromUrl(`${gw.url}/legacy-analyst/`);
  assert.equal((await c.getAgentCard()).supportedInterfaces[0].url, `${gw.url}/legacy-analyst`);
  const result = await c.sendMessage(userMessage("hi"));
  assert.ok(JSON.stringify(result).includes("echo: hi"), JSON.stringify(result));
  const kinds = [];
  for await (const ev of c.sendMessageStream(userMessage("report"))) kinds.push(ev.payload?.$case);
  assert.deepEqual(kinds, ["statusUpdate", "artifactUpdate", "statusUpdate"], `events ${kinds}`);
});
