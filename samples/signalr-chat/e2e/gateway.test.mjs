// The official @microsoft/signalr Node client through tollgate, in both
// configurations:
//   - default settings: the client POSTs the gateway's /chat/negotiate (the
//     signalr-negotiate API negotiates with the chat app and the SignalR
//     service and hands out a single-use id), then opens /chat?id=<id>,
//     which the gateway connects to the service;
//   - as in the article: skipNegotiation (WebSockets only) to /chat; the
//     gateway's onHandshake policy negotiates for the client.
// Needs the built binaries: SIGNALR_CHAT_BIN and TOLLGATE_BIN (or a Go
// toolchain to build them).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as signalR from "@microsoft/signalr";
import {
  assertEveryoneGetsEverything, chatClients, freePort, metric, rawUpgrade, startChat, startGateway, waitUntil,
} from "./helpers.mjs";

let chat;
let gw;
before(async () => {
  chat = await startChat();
  gw = await startGateway(chat);
});
after(async () => {
  await gw?.stop();
  await chat?.stop();
});

function throughGateway(url, logLevel = signalR.LogLevel.Warning) {
  return new signalR.HubConnectionBuilder()
    .withUrl(url, { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(logLevel)
    .build();
}

// defaultClient is the official client with its default settings: no
// options at all.
function defaultClient(url, logLevel = signalR.LogLevel.Warning) {
  return new signalR.HubConnectionBuilder().withUrl(url).configureLogging(logLevel).build();
}

const negotiated = (adminURL) => metric(adminURL, "tollgate_http_requests_total", { api: "signalr-negotiate", code: "200" });
const upgraded = (adminURL) => metric(adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "upgraded" });

test("default settings: 5 clients × 20 messages, each negotiating through /chat/negotiate first", async () => {
  const clients = 5;
  const perClient = 20;
  const [neg0, up0] = [await negotiated(gw.adminURL), await upgraded(gw.adminURL)];
  const { conns, inboxes } = chatClients(clients, () => defaultClient(`${gw.url}/chat`));
  try {
    await Promise.all(conns.map((c) => c.start()));
    for (const c of conns) {
      assert.equal(c.state, signalR.HubConnectionState.Connected);
      assert.ok(c.connectionId, "negotiated: the client has a connectionId (skipNegotiation leaves it null)");
    }
    assert.equal(await negotiated(gw.adminURL) - neg0, clients, "every client negotiated with the gateway");
    assert.equal(await upgraded(gw.adminURL) - up0, clients, "then opened its WebSocket through the gateway");
    await assertEveryoneGetsEverything(conns, inboxes, perClient);
  } finally {
    await Promise.all(conns.map((c) => c.stop()));
  }
});

test("default-settings and skipNegotiation clients chat together", async () => {
  const a = defaultClient(`${gw.url}/chat`);
  const b = throughGateway(`${gw.url}/chat`);
  const inboxA = [];
  const inboxB = [];
  a.on("ReceiveMessage", (user, message) => { inboxA.push([user, message]); });
  b.on("ReceiveMessage", (user, message) => { inboxB.push([user, message]); });
  try {
    await Promise.all([a.start(), b.start()]);
    assert.ok(a.connectionId);
    assert.equal(b.connectionId, null);
    await a.invoke("SendMessage", "a", "negotiated");
    await b.invoke("SendMessage", "b", "skipped");
    await waitUntil("both to receive both messages", () => inboxA.length >= 2 && inboxB.length >= 2);
    assert.deepEqual(inboxA, [["a", "negotiated"], ["b", "skipped"]]);
    assert.deepEqual(inboxB, inboxA);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

// A chat app that is down: nothing listens on port 9 (discard), and nothing
// a test starts can take it. A port freePort found free could be handed out
// again, e.g. to the gateway's own listeners that startGateway picks next
// (once, in CI, the "dead" app answered the negotiate with a 405).
const deadApp = "http://127.0.0.1:9";

test("default settings: a failing negotiate reaches the client as SignalR's error shape", async () => {
  const dead = deadApp;
  const broken = await startGateway(chat, { env: { SIGNALR_APP_URL: dead } });
  try {
    const c = defaultClient(`${broken.url}/chat`, signalR.LogLevel.None);
    await assert.rejects(c.start(), (err) => {
      // One line: the client's prefix, the gateway's {"error": ...} body, the status.
      assert.match(err.message, /^Failed to complete negotiation with the server: Error: \{"error": "SignalR negotiation failed", "reason": "SendRequestFailure", "step": "inbound\/include-fragment\[1\]\/send-request\[1\]"\}: Status code '502'$/);
      return true;
    });
    assert.equal(c.state, signalR.HubConnectionState.Disconnected);
    assert.equal(await metric(broken.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat" }), 0,
      "no WebSocket was attempted");
    const res = await fetch(`${broken.url}/chat/negotiate?negotiateVersion=1`, { method: "POST" });
    assert.equal(res.status, 502);
    assert.equal((await res.json()).error, "SignalR negotiation failed");
  } finally {
    await broken.stop();
  }
});

test("an unknown or reused id is refused with 404 before the upgrade", async () => {
  const bogus = await rawUpgrade(`${gw.url}/chat?id=not-an-id`);
  assert.equal(bogus.status, 404);
  assert.match(JSON.parse(bogus.body).error, /unknown, expired or already used connection id/);

  const res = await fetch(`${gw.url}/chat/negotiate?negotiateVersion=1`, { method: "POST" });
  assert.equal(res.status, 200);
  const { connectionToken } = await res.json();
  assert.equal((await rawUpgrade(`${gw.url}/chat?id=${connectionToken}`)).status, 101);
  const again = await rawUpgrade(`${gw.url}/chat?id=${connectionToken}`);
  assert.equal(again.status, 404, "single use");
  assert.match(JSON.parse(again.body).error, /already used/);
});

test("skipNegotiation: 5 clients × 20 messages through tollgate's /chat: everyone gets everything, in order per sender", async () => {
  const clients = 5;
  const perClient = 20;
  const before = await metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "upgraded" });
  const { conns, inboxes } = chatClients(clients, () => throughGateway(`${gw.url}/chat`));
  try {
    await Promise.all(conns.map((c) => c.start()));
    for (const c of conns) assert.equal(c.state, signalR.HubConnectionState.Connected);
    const after = await metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "upgraded" });
    assert.equal(after - before, clients, "every client went through the gateway's onHandshake");

    await assertEveryoneGetsEverything(conns, inboxes, perClient);
  } finally {
    await Promise.all(conns.map((c) => c.stop()));
  }
});

test("the same chat through /chat-cs, whose onHandshake policy is written in APIM's C#", async () => {
  const clients = 3;
  const { conns, inboxes } = chatClients(clients, () => throughGateway(`${gw.url}/chat-cs`));
  try {
    await Promise.all(conns.map((c) => c.start()));
    for (const c of conns) assert.equal(c.state, signalR.HubConnectionState.Connected);
    const upgraded = await metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat-cs", outcome: "upgraded" });
    assert.equal(upgraded, clients, "every client went through the C# onHandshake");
    await assertEveryoneGetsEverything(conns, inboxes, 10);
  } finally {
    await Promise.all(conns.map((c) => c.stop()));
  }
});

test("send (no completion) and hub errors pass through the gateway", async () => {
  const a = throughGateway(`${gw.url}/chat`);
  const b = throughGateway(`${gw.url}/chat`);
  const inbox = [];
  a.on("ReceiveMessage", () => {});
  b.on("ReceiveMessage", (user, message) => { inbox.push([user, message]); });
  try {
    await Promise.all([a.start(), b.start()]);
    await a.send("SendMessage", "a", "fire-and-forget");
    await waitUntil("b to receive a's message", () => inbox.length >= 1);
    assert.deepEqual(inbox, [["a", "fire-and-forget"]]);
    await assert.rejects(a.invoke("NoSuchMethod"), /Unknown hub method 'NoSuchMethod'/);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test("the client cannot connect when the chat app is down (gateway answers 502 before the upgrade)", async () => {
  const dead = deadApp;
  const broken = await startGateway(chat, { env: { SIGNALR_APP_URL: dead } });
  try {
    const c = throughGateway(`${broken.url}/chat`, signalR.LogLevel.None);
    await assert.rejects(c.start());
    assert.equal(c.state, signalR.HubConnectionState.Disconnected);
    const errors = await metric(broken.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "error" });
    assert.equal(errors, 1, "the handshake failed in the policy (on-error)");
    // The same answer, seen with a raw upgrade request: no 101, a JSON 502.
    const res = await rawUpgrade(`${broken.url}/chat`);
    assert.equal(res.status, 502);
    assert.equal(JSON.parse(res.body).error, "SignalR negotiation failed");
  } finally {
    await broken.stop();
  }
});

test("an id not redeemed within signalr-connect-ttl expires (404 before the upgrade)", async () => {
  const short = await startGateway(chat, { env: { SIGNALR_CONNECT_TTL: "1" } });
  try {
    const res = await fetch(`${short.url}/chat/negotiate?negotiateVersion=1`, { method: "POST" });
    assert.equal(res.status, 200);
    const { connectionToken } = await res.json();
    await new Promise((r) => setTimeout(r, 1500));
    const late = await rawUpgrade(`${short.url}/chat?id=${connectionToken}`);
    assert.equal(late.status, 404);
    assert.match(JSON.parse(late.body).error, /expired/);
  } finally {
    await short.stop();
  }
});

test("default settings with automatic reconnect: after a gateway restart the client negotiates again (ids are single use)", async () => {
  const port = await freePort();
  let first = await startGateway(chat, { port });
  let second;
  const c = new signalR.HubConnectionBuilder()
    .withUrl(`${first.url}/chat`)
    .withAutomaticReconnect([0, 200, 500, 1000, 2000])
    .configureLogging(signalR.LogLevel.None)
    .build();
  const inbox = [];
  c.on("ReceiveMessage", (user, message) => { inbox.push([user, message]); });
  let reconnectedWith = null;
  c.onreconnected((id) => { reconnectedWith = id; });
  try {
    await c.start();
    const firstId = c.connectionId;
    assert.ok(firstId);
    // A graceful stop closes the session with 1001; the client starts reconnecting.
    await first.stop();
    first = null;
    second = await startGateway(chat, { port });
    await waitUntil("the client to reconnect through the new gateway", () => c.state === signalR.HubConnectionState.Connected);
    assert.ok(reconnectedWith, "onreconnected ran");
    assert.notEqual(reconnectedWith, firstId, "a new negotiate gave a new connection");
    assert.equal(await negotiated(second.adminURL), 1, "the reconnect negotiated with the new gateway");
    await c.invoke("SendMessage", "again", "after the restart");
    await waitUntil("the echo", () => inbox.length >= 1);
    assert.deepEqual(inbox, [["again", "after the restart"]]);
  } finally {
    await c.stop();
    await first?.stop();
    await second?.stop();
  }
});
