// The chat page in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), connecting straight to the service: the page gets url +
// accessToken from the app (?direct=1) or takes ?hub= + ?token=, and the
// browser sends the token as access_token in the WebSocket URL.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { appNegotiate, chromiumArgs, chromiumPath, openPage, sendFrom, startChat, waitForMessage } from "./helpers.mjs";

const SCREENSHOT = process.env.CHAT_SCREENSHOT || "/tmp/chat.png";

let chat;
let context;
let profile;

before(async () => {
  const executablePath = chromiumPath();
  chat = await startChat();
  profile = mkdtempSync(join(tmpdir(), "signalr-chat-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 900, height: 720 },
  });
});

after(async () => {
  await context?.close();
  await chat?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

function openChat(query) {
  return openPage(context, `${chat.appURL}/?${query}`);
}

test("two tabs (?direct=1): a message sent in one appears in both", async () => {
  const alice = await openChat("direct=1&user=alice");
  const bob = await openChat("direct=1&user=bob");
  try {
    // The page loaded the official client from the app, not a CDN.
    assert.equal(await alice.evaluate(() => typeof signalR.HubConnectionBuilder), "function");
    assert.match(await alice.textContent("#hub-url"), new RegExp(`^${chat.serviceURL}/client/\\?hub=chat&`));

    await sendFrom(alice, "Hello from Alice <b>not bold</b>");
    await waitForMessage(alice, "alice", "Hello from Alice <b>not bold</b>");
    await waitForMessage(bob, "alice", "Hello from Alice <b>not bold</b>");
    assert.equal(await alice.inputValue("#message"), "", "message box is cleared after sending");

    await sendFrom(bob, "Hi Alice, Bob here — grüße!");
    await waitForMessage(alice, "bob", "Hi Alice, Bob here — grüße!");
    await waitForMessage(bob, "bob", "Hi Alice, Bob here — grüße!");
    await sendFrom(alice, "Both tabs see every message.");
    await waitForMessage(alice, "alice", "Both tabs see every message.");
    await waitForMessage(bob, "alice", "Both tabs see every message.");

    // HTML is shown as text, never interpreted.
    assert.equal(await alice.locator("#messages b").count(), 0);
    assert.equal(await alice.locator("#messages li").count(), 3);
    assert.equal(await bob.locator("#messages li").count(), 3);
    await alice.screenshot({ path: SCREENSHOT });
  } finally {
    await alice.close();
    await bob.close();
  }
});

test("?hub=<service client url>&token=<jwt>: the page sends the given token", async () => {
  const { url, accessToken } = await appNegotiate(chat.appURL, "carol");
  const q = new URLSearchParams({ hub: url, token: accessToken, user: "carol" });
  const carol = await openChat(q.toString());
  const dave = await openChat("direct=1&user=dave");
  try {
    await sendFrom(carol, "token from the query string");
    await waitForMessage(carol, "carol", "token from the query string");
    await waitForMessage(dave, "carol", "token from the query string");
  } finally {
    await carol.close();
    await dave.close();
  }
});

test("a bad ?token= leaves the page failed, not connected", async () => {
  const { url } = await appNegotiate(chat.appURL);
  const page = await context.newPage();
  try {
    await page.goto(`${chat.appURL}/?${new URLSearchParams({ hub: url, token: "bad-token" })}`);
    await page.waitForSelector('#status[data-state="failed"]', { timeout: 15000 });
    assert.equal(await page.isDisabled("#send"), true);
  } finally {
    await page.close();
  }
});
