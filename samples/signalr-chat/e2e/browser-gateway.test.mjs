// The chat page in headless Chromium through tollgate. By default the page
// uses the official client's default settings: it POSTs the gateway's
// /chat/negotiate (a cross-origin fetch with credentials, allowed by the
// negotiate API's cors policy, env SIGNALR_PAGE_CORS_ORIGINS) and then opens
// /chat?id=...; with ?skipNegotiation=1 it connects as in the article and the
// gateway negotiates for it. The page's Origin is the app's host:port, which
// the WebSocket API lets in through signalr-page-origins (SIGNALR_PAGE_ORIGINS).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import {
  chromiumArgs, chromiumPath, freePort, metric, openPage as openChatPage, sendFrom, startChat, startGateway, waitForMessage,
} from "./helpers.mjs";

const SCREENSHOT = process.env.CHAT_GATEWAY_SCREENSHOT || "/tmp/chat-gateway.png";

let chat;
let gw;
let browser;

before(async () => {
  const executablePath = chromiumPath();
  // The gateway's port first, so the page's default hub URL can name it.
  const gwPort = await freePort();
  chat = await startChat(["--page-hub-url", `http://127.0.0.1:${gwPort}/chat`]);
  gw = await startGateway(chat, {
    port: gwPort,
    env: { SIGNALR_PAGE_ORIGINS: new URL(chat.appURL).host, SIGNALR_PAGE_CORS_ORIGINS: chat.appURL },
  });
  // A fresh temporary profile (playwright's launch makes one and deletes it
  // on close).
  browser = await chromium.launch({ executablePath, headless: true, args: chromiumArgs });
});

after(async () => {
  await browser?.close();
  await gw?.stop();
  await chat?.stop();
});

// openPage is helpers' openPage with the gateway's log in a timeout's error.
function openPage(context, url, state = "connected") {
  return openChatPage(context, url, state, () => `; gateway log:\n${gw.logs.join("")}`);
}

const negotiated = () => metric(gw.adminURL, "tollgate_http_requests_total", { api: "signalr-negotiate", code: "200" });
const upgraded = () => metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "upgraded" });

test("two tabs with ?hub=<gateway>/chat and default settings: negotiate, then a message sent in one appears in both", async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 720 } });
  const hub = `${gw.url}/chat`;
  const [neg0, up0] = [await negotiated(), await upgraded()];
  try {
    const alice = await openPage(context, `${chat.appURL}/?${new URLSearchParams({ hub, user: "alice" })}`);
    const bob = await openPage(context, `${chat.appURL}/?${new URLSearchParams({ hub, user: "bob" })}`);
    assert.equal(await alice.textContent("#hub-url"), hub);
    assert.equal(await alice.getAttribute("#mode", "data-mode"), "negotiate");
    // Each tab's POST, plus the CORS preflights the browser did not cache.
    assert.ok(await negotiated() - neg0 >= 2, "both tabs negotiated with the gateway (cross-origin fetch)");
    assert.equal(await upgraded() - up0, 2, "both tabs connected through the gateway");
    assert.ok(await alice.evaluate(() => window.chatConnection.connectionId), "a negotiated connection has an id");

    await sendFrom(alice, "Hello through tollgate");
    await waitForMessage(alice, "alice", "Hello through tollgate");
    await waitForMessage(bob, "alice", "Hello through tollgate");
    await sendFrom(bob, "Hi Alice — the gateway negotiated for me");
    await waitForMessage(alice, "bob", "Hi Alice — the gateway negotiated for me");
    await waitForMessage(bob, "bob", "Hi Alice — the gateway negotiated for me");
    assert.equal(await alice.locator("#messages li").count(), 2);
    assert.equal(await bob.locator("#messages li").count(), 2);
    await alice.screenshot({ path: SCREENSHOT });
  } finally {
    await context.close();
  }
});

test("without ?hub= the page uses its default hub URL (the gateway)", async () => {
  const context = await browser.newContext();
  try {
    const carol = await openPage(context, `${chat.appURL}/?user=carol`);
    const dave = await openPage(context, `${chat.appURL}/?user=dave`);
    assert.equal(await carol.textContent("#hub-url"), `${gw.url}/chat`);
    await sendFrom(dave, "default hub url works");
    await waitForMessage(carol, "dave", "default hub url works");
    await waitForMessage(dave, "dave", "default hub url works");
  } finally {
    await context.close();
  }
});

test("?skipNegotiation=1 (the article's setup) and a default-settings tab chat together", async () => {
  const context = await browser.newContext();
  const hub = `${gw.url}/chat`;
  const neg0 = await negotiated();
  try {
    const erin = await openPage(context, `${chat.appURL}/?${new URLSearchParams({ hub, user: "erin", skipNegotiation: "1" })}`);
    assert.equal(await erin.getAttribute("#mode", "data-mode"), "skipNegotiation");
    assert.equal(await negotiated() - neg0, 0, "no negotiate request");
    assert.equal(await erin.evaluate(() => window.chatConnection.connectionId), null);
    const frank = await openPage(context, `${chat.appURL}/?${new URLSearchParams({ hub, user: "frank" })}`);
    await sendFrom(erin, "skipped negotiation");
    await waitForMessage(frank, "erin", "skipped negotiation");
    await sendFrom(frank, "negotiated");
    await waitForMessage(erin, "frank", "negotiated");
  } finally {
    await context.close();
  }
});

test("a page from an origin the gateway does not allow cannot connect, in either configuration", async () => {
  const context = await browser.newContext();
  // Same app, but as http://localhost:<port>: not in SIGNALR_PAGE_ORIGINS nor
  // SIGNALR_PAGE_CORS_ORIGINS.
  const other = chat.appURL.replace("127.0.0.1", "localhost");
  const hub = `${gw.url}/chat`;
  const refused = () => metric(gw.adminURL, "tollgate_http_requests_total", { api: "signalr-negotiate", code: "403" });
  const handshakes = () => metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat" });
  const badRequests = () => metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "bad_request" });
  try {
    // Default settings: the preflight gets no CORS headers, so the browser
    // never sends the negotiate (and a POST that skipped the preflight would
    // get 403); no WebSocket is attempted.
    const [refused0, handshakes0] = [await refused(), await handshakes()];
    const page = await openPage(context, `${other}/?${new URLSearchParams({ hub })}`, "failed");
    assert.equal(await page.isDisabled("#send"), true);
    assert.match(await page.textContent("#status"), /Failed to complete negotiation/);
    assert.equal(await handshakes(), handshakes0, "no WebSocket handshake");
    assert.equal(await refused(), refused0, "the browser sent no negotiate POST");

    // skipNegotiation: the WebSocket handshake is refused (403 before the upgrade).
    const bad0 = await badRequests();
    const skip = await openPage(context, `${other}/?${new URLSearchParams({ hub, skipNegotiation: "1" })}`, "failed");
    assert.equal(await skip.isDisabled("#send"), true);
    assert.ok(await badRequests() > bad0, "the gateway refused the handshake");
  } finally {
    await context.close();
  }
});
