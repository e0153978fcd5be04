// The official @microsoft/signalr Node client against the sample, without
// the gateway: proves the emulation is faithful to the real client.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as signalR from "@microsoft/signalr";
import { appNegotiate, assertEveryoneGetsEverything, chatClients, startChat, waitUntil } from "./helpers.mjs";

let chat;
before(async () => { chat = await startChat(); });
after(async () => { await chat?.stop(); });

function build(url, options = {}, logLevel = signalR.LogLevel.Warning) {
  return new signalR.HubConnectionBuilder()
    .withUrl(url, options)
    .configureLogging(logLevel)
    .build();
}

test("redirect flow: app negotiate → service negotiate → WebSocket; 5 clients × 20 messages", async () => {
  const clients = 5;
  const perClient = 20;
  // No skipNegotiation: the client negotiates with the app, follows url +
  // accessToken to the service, negotiates there and connects.
  const { conns, inboxes } = chatClients(clients, () => build(`${chat.appURL}/chat`));
  try {
    await Promise.all(conns.map((c) => c.start()));
    for (const c of conns) {
      assert.equal(c.state, signalR.HubConnectionState.Connected);
      assert.ok(c.connectionId, "a negotiated connection has a connectionId");
    }
    assert.equal(new Set(conns.map((c) => c.connectionId)).size, clients, "connection ids are distinct");

    await assertEveryoneGetsEverything(conns, inboxes, perClient);
  } finally {
    await Promise.all(conns.map((c) => c.stop()));
  }
});

test("skipNegotiation straight at the service with accessTokenFactory", async () => {
  const { url, accessToken } = await appNegotiate(chat.appURL, "direct-user");
  assert.match(url, new RegExp(`^${chat.serviceURL}/client/\\?hub=chat&asrs\\.op=%2Fchat&`));
  let calls = 0;
  const c = build(url, {
    skipNegotiation: true,
    transport: signalR.HttpTransportType.WebSockets,
    accessTokenFactory: () => { calls++; return accessToken; },
  });
  const inbox = [];
  c.on("ReceiveMessage", (user, message) => { inbox.push([user, message]); });
  try {
    await c.start();
    assert.ok(calls >= 1, "accessTokenFactory was called");
    assert.equal(c.connectionId, null, "skipNegotiation leaves connectionId null");
    await c.invoke("SendMessage", "direct-user", "hello");
    await c.send("SendMessage", "direct-user", "fire-and-forget");
    await waitUntil("both messages", () => inbox.length >= 2);
    assert.deepEqual(inbox, [["direct-user", "hello"], ["direct-user", "fire-and-forget"]]);
  } finally {
    await c.stop();
  }
});

test("a bad token is refused before the WebSocket opens", async () => {
  const { url } = await appNegotiate(chat.appURL);
  const c = build(url, {
    skipNegotiation: true,
    transport: signalR.HttpTransportType.WebSockets,
    accessTokenFactory: () => "not-a-valid-token",
  }, signalR.LogLevel.None);
  await assert.rejects(c.start());
  assert.equal(c.state, signalR.HubConnectionState.Disconnected);
});

test("unknown hub method fails the invoke with the server's error", async () => {
  const c = build(`${chat.appURL}/chat`);
  try {
    await c.start();
    await assert.rejects(c.invoke("NoSuchMethod"), /Unknown hub method 'NoSuchMethod'/);
    await assert.rejects(c.invoke("SendMessage", "only-one-arg"), /target expects 2/);
  } finally {
    await c.stop();
  }
});

test("server shutdown sends Close with allowReconnect and the client reconnects", async () => {
  const own = await startChat();
  try {
    const c = new signalR.HubConnectionBuilder()
      .withUrl(`${own.appURL}/chat`)
      .withAutomaticReconnect([0, 200, 200, 200])
      .configureLogging(signalR.LogLevel.None)
      .build();
    let reconnecting = 0;
    c.onreconnecting(() => { reconnecting++; });
    const closed = new Promise((r) => c.onclose(r));
    await c.start();
    await own.stop();
    // The Close message had allowReconnect: the client tries to reconnect
    // (and, the server being gone, finally closes).
    await closed;
    assert.ok(reconnecting >= 1, "client tried to reconnect after the server's Close");
    assert.match(own.logs.join(""), /shutting down/);
  } finally {
    await own.stop();
  }
});
