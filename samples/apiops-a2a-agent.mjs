// A minimal A2A agent (A2A 0.3 JSON-RPC, no dependencies) for the
// agent-a2a API of samples/apiops: its card at
// /.well-known/agent-card.json, message/send answered with one message,
// message/stream as an event stream of three events. docs/a2a.md walks
// through it. Run: node samples/apiops-a2a-agent.mjs (listens on
// 127.0.0.1:7071, or PORT).
import { createServer } from "node:http";

const port = Number(process.env.PORT || 7071);
const self = `http://127.0.0.1:${port}`;

const card = {
  protocolVersion: "0.3.0",
  name: "Market analyst",
  description: "A sample agent that echoes what it is told",
  url: `${self}/`,
  preferredTransport: "JSONRPC",
  additionalInterfaces: [
    { url: `${self}/`, transport: "JSONRPC" },
    { url: `${self}/rest`, transport: "HTTP+JSON" },
  ],
  version: "1.0.0",
  capabilities: { streaming: true },
  defaultInputModes: ["text/plain"],
  defaultOutputModes: ["text/plain"],
  skills: [{ id: "echo", name: "Echo", description: "Echoes the message", tags: ["sample"] }],
};

const text = (params) => (params?.message?.parts ?? []).map((p) => p.text ?? "").join("");
const reply = (s) => ({ kind: "message", role: "agent", messageId: crypto.randomUUID(), parts: [{ kind: "text", text: s }] });

createServer((req, res) => {
  if (req.method === "GET" && req.url === "/.well-known/agent-card.json") {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(card));
    return;
  }
  if (req.method !== "POST") {
    res.statusCode = 404;
    res.end();
    return;
  }
  let body = "";
  req.on("data", (c) => { body += c; });
  req.on("end", () => {
    let call;
    try {
      call = JSON.parse(body);
    } catch {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }));
      return;
    }
    const { id, method, params } = call;
    if (method === "message/stream") {
      res.setHeader("Content-Type", "text/event-stream");
      const events = [
        { kind: "status-update", taskId: "t1", contextId: "c1", status: { state: "working" }, final: false },
        { kind: "artifact-update", taskId: "t1", contextId: "c1", artifact: { artifactId: "a1", parts: [{ kind: "text", text: `echo: ${text(params)}` }] } },
        { kind: "status-update", taskId: "t1", contextId: "c1", status: { state: "completed" }, final: true },
      ];
      let i = 0;
      const next = () => {
        res.write(`data: ${JSON.stringify({ jsonrpc: "2.0", id, result: events[i] })}\n\n`);
        if (++i < events.length) setTimeout(next, 500); else res.end();
      };
      next();
      return;
    }
    res.setHeader("Content-Type", "application/json");
    if (method === "message/send") {
      res.end(JSON.stringify({ jsonrpc: "2.0", id, result: reply(`echo: ${text(params)}`) }));
    } else {
      res.end(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } }));
    }
  });
}).listen(port, "127.0.0.1", () => console.log(`A2A agent on ${self}`));
