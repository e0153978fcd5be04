// Shared by the Node end-to-end tests in e2e/*-node: a free port, and
// bin/tollgate (TOLLGATE_BIN) serving a folder until stop().
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

// startTollgate serves apis (more serve flags in args) and resolves once
// the admin listener says it is ready: { url, proc, logs, stop }.
export async function startTollgate(apis, args = []) {
  const bin = process.env.TOLLGATE_BIN || join(repoRoot, "bin", "tollgate");
  const port = await freePort();
  const adminPort = await freePort();
  const logs = [];
  const proc = spawn(bin, [
    "serve", "--apis", apis, "--listen", `127.0.0.1:${port}`, "--admin", `127.0.0.1:${adminPort}`,
    "--watch=false", "--drain-timeout", "2s", ...args,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout.on("data", (d) => logs.push(String(d)));
  proc.stderr.on("data", (d) => logs.push(String(d)));
  const exited = new Promise((ok) => proc.once("exit", ok));
  const deadline = Date.now() + 20000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`tollgate exited with ${proc.exitCode}:\n${logs.join("")}`);
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`tollgate not ready:\n${logs.join("")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`, proc, logs,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await exited;
      }
    },
  };
}
