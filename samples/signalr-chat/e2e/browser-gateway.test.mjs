// The chat page in headless Chromium through tollgate, as in the article:
// the page (served by the chat app) connects to the gateway's /chat with
// skipNegotiation; the gateway negotiates and connects to the service. The
// page's Origin is the app's host:port, which the gateway lets in through
// the signalr-page-origins named value (env SIGNALR_PAGE_ORIGINS).
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
  gw = await startGateway(chat, { port: gwPort, env: { SIGNALR_PAGE_ORIGINS: new URL(chat.appURL).host } });
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

test("two tabs with ?hub=<gateway>/chat: a message sent in one appears in both", async () => {
  const context = await browser.newContext({ viewport: { width: 900, height: 720 } });
  const hub = `${gw.url}/chat`;
  const before = await metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "upgraded" });
  try {
    const alice = await openPage(context, `${chat.appURL}/?${new URLSearchParams({ hub, user: "alice" })}`);
    const bob = await openPage(context, `${chat.appURL}/?${new URLSearchParams({ hub, user: "bob" })}`);
    assert.equal(await alice.textContent("#hub-url"), hub);
    const after = await metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "upgraded" });
    assert.equal(after - before, 2, "both tabs connected through the gateway");

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

test("a page from an origin the gateway does not allow cannot connect (403 before the upgrade)", async () => {
  const context = await browser.newContext();
  // Same app, but as http://localhost:<port>: not in SIGNALR_PAGE_ORIGINS.
  const other = chat.appURL.replace("127.0.0.1", "localhost");
  const before = await metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "bad_request" });
  try {
    const page = await openPage(context, `${other}/?${new URLSearchParams({ hub: `${gw.url}/chat` })}`, "failed");
    assert.equal(await page.isDisabled("#send"), true);
    const after = await metric(gw.adminURL, "tollgate_websocket_handshakes_total", { api: "signalr-chat", outcome: "bad_request" });
    assert.ok(after > before, "the gateway refused the handshake");
  } finally {
    await context.close();
  }
});
