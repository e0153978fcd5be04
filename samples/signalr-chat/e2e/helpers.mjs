// Shared helpers for the end-to-end tests: build (or locate) the sample
// binary, start it on free loopback ports, stop it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const sampleDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = resolve(sampleDir, "..", "..");

let builtBin;

// chatBinary returns SIGNALR_CHAT_BIN, or builds the sample with the Go
// toolchain. A missing toolchain or binary is an error, never a skip.
export function chatBinary() {
  if (process.env.SIGNALR_CHAT_BIN) {
    const bin = resolve(process.env.SIGNALR_CHAT_BIN);
    if (!existsSync(bin)) throw new Error(`SIGNALR_CHAT_BIN=${bin} does not exist`);
    return bin;
  }
  if (builtBin) return builtBin;
  const out = join(mkdtempSync(join(tmpdir(), "signalr-chat-e2e-")), "signalr-chat");
  const r = spawnSync("go", ["build", "-o", out, "./samples/signalr-chat"], { cwd: repoRoot, encoding: "utf8" });
  if (r.error) {
    throw new Error(`cannot run the Go toolchain to build the sample (${r.error.message}); install Go or set SIGNALR_CHAT_BIN to a prebuilt binary`);
  }
  if (r.status !== 0) throw new Error(`go build ./samples/signalr-chat failed:\n${r.stderr}`);
  builtBin = out;
  return out;
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

async function waitHealthy(url, proc, logs, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`signalr-chat exited with ${proc.exitCode}:\n${logs.join("")}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not healthy after ${timeoutMs} ms:\n${logs.join("")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// startChat starts the sample on free ports and resolves to
// { appURL, serviceURL, logs, stop() }.
export async function startChat(extraArgs = []) {
  const bin = chatBinary();
  const appPort = await freePort();
  const servicePort = await freePort();
  const appURL = `http://127.0.0.1:${appPort}`;
  const serviceURL = `http://127.0.0.1:${servicePort}`;
  const proc = spawn(bin, [
    "--app-listen", `127.0.0.1:${appPort}`,
    "--service-listen", `127.0.0.1:${servicePort}`,
    "--node-modules", join(sampleDir, "node_modules"),
    ...extraArgs,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  const logs = [];
  proc.stdout.on("data", (d) => logs.push(d.toString()));
  proc.stderr.on("data", (d) => logs.push(d.toString()));
  const exited = new Promise((r) => proc.on("exit", r));
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 10000);
      await exited;
      clearTimeout(t);
    }
  };
  try {
    await waitHealthy(`${appURL}/healthz`, proc, logs);
    await waitHealthy(`${serviceURL}/healthz`, proc, logs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { appURL, serviceURL, logs, stop, proc };
}

// appNegotiate asks the Chat App for the redirect (url + accessToken).
export async function appNegotiate(appURL, user) {
  const q = new URLSearchParams({ negotiateVersion: "1" });
  if (user) q.set("user", user);
  const res = await fetch(`${appURL}/chat/negotiate?${q}`, { method: "POST" });
  if (!res.ok) throw new Error(`app negotiate: HTTP ${res.status}`);
  return res.json();
}

export async function waitUntil(what, cond, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
