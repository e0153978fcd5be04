// The official @microsoft/signalr Node client through tollgate, as in the
// article: the client connects to the gateway's /chat with skipNegotiation
// (WebSockets only); the gateway's onHandshake policy negotiates with the
// chat app and the SignalR service and connects to the service for it.
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

test("5 clients × 20 messages through tollgate's /chat: everyone gets everything, in order per sender", async () => {
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
  const dead = `http://127.0.0.1:${await freePort()}`;
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
