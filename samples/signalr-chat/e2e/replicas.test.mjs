// Two tollgate replicas sharing a real Redis behind a load balancer that
// sends every negotiate (POST /chat/negotiate) to replica A and every
// WebSocket upgrade to replica B: the official client with its default
// settings negotiates on one replica and connects on the other, so the id
// it got must travel through Redis (cache-store-value, then
// cache-lookup-value remove="true"). Needs redis-server on PATH.
import assert from "node:assert/strict";
import { createServer as createHTTPServer, request } from "node:http";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import * as signalR from "@microsoft/signalr";
import {
  assertEveryoneGetsEverything, chatClients, metric, rawUpgrade, startChat, startGateway, startRedis,
} from "./helpers.mjs";

let chat;
let redis;
let a;
let b;
let lb;

before(async () => {
  chat = await startChat();
  redis = await startRedis();
  a = await startGateway(chat, { args: ["--redis", redis.url] });
  b = await startGateway(chat, { args: ["--redis", redis.url] });
  lb = await splitBalancer(new URL(a.url), new URL(b.url));
});

after(async () => {
  await lb?.close();
  await a?.stop();
  await b?.stop();
  await redis?.stop();
  await chat?.stop();
});

// splitBalancer listens on a free port and forwards plain HTTP requests to
// httpTarget and WebSocket upgrades (raw bytes, both ways) to wsTarget.
// It counts what went where.
function splitBalancer(httpTarget, wsTarget) {
  const counts = { http: 0, upgrade: 0 };
  const srv = createHTTPServer((req, res) => {
    counts.http++;
    const out = request({
      host: httpTarget.hostname, port: httpTarget.port, method: req.method, path: req.url, headers: req.headers,
    }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    out.on("error", () => { res.writeHead(502); res.end(); });
    req.pipe(out);
  });
  srv.on("upgrade", (req, socket, head) => {
    counts.upgrade++;
    const up = connect(Number(wsTarget.port), wsTarget.hostname, () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(raw + "\r\n");
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  });
  return new Promise((resolveLB) => {
    srv.listen(0, "127.0.0.1", () => {
      resolveLB({
        url: `http://127.0.0.1:${srv.address().port}`,
        counts,
        close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }),
      });
    });
  });
}

const negotiated = (gw) => metric(gw.adminURL, "tollgate_http_requests_total", { api: "signalr-negotiate", code: "200" });
const upgraded = (gw) => metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "upgraded" });

test("default settings, 5 clients × 20 messages: negotiate on replica A, WebSocket on replica B", async () => {
  const clients = 5;
  const perClient = 20;
  const { conns, inboxes } = chatClients(clients, () => new signalR.HubConnectionBuilder()
    .withUrl(`${lb.url}/chat`).configureLogging(signalR.LogLevel.Warning).build());
  try {
    await Promise.all(conns.map((c) => c.start()));
    for (const c of conns) assert.equal(c.state, signalR.HubConnectionState.Connected);
    assert.deepEqual(lb.counts, { http: clients, upgrade: clients });
    assert.equal(await negotiated(a), clients, "A answered every negotiate");
    assert.equal(await negotiated(b), 0);
    assert.equal(await upgraded(b), clients, "B connected every WebSocket, with ids A handed out");
    assert.equal(await upgraded(a), 0);
    await assertEveryoneGetsEverything(conns, inboxes, perClient);
  } finally {
    await Promise.all(conns.map((c) => c.stop()));
  }
});

test("an id redeemed on one replica is refused on the other", async () => {
  const res = await fetch(`${a.url}/chat/negotiate?negotiateVersion=1`, { method: "POST" });
  assert.equal(res.status, 200);
  const { connectionToken } = await res.json();
  assert.equal((await rawUpgrade(`${b.url}/chat?id=${connectionToken}`)).status, 101);
  for (const gw of [a, b]) {
    const again = await rawUpgrade(`${gw.url}/chat?id=${connectionToken}`);
    assert.equal(again.status, 404);
    assert.match(JSON.parse(again.body).error, /already used/);
  }
});
