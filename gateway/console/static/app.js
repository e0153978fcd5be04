// tollgate console. Plain JavaScript, no dependencies: every view is drawn
// from the JSON endpoints under /console/api/ (see gateway/console).
"use strict";

const $ = (sel, el = document) => el.querySelector(sel);
const main = $("#main");
let state = { apis: null, lastError: null, route: "", ws: null };

// h builds an element: h("div", {class: "x", onclick: f}, child, "text", ...).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const S = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(S, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(path, opts) {
  const r = await fetch("/console/api/" + path, Object.assign({ credentials: "same-origin" }, opts));
  if (r.status === 401) { location.href = "/console/login"; throw new Error("log in first"); }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.message || r.status + " " + r.statusText);
  return body;
}

const ms = (ns) => ns === undefined ? "" : (ns / 1e6 < 1 ? (ns / 1e3).toFixed(0) + " µs" : (ns / 1e6).toFixed(ns < 1e8 ? 2 : 0) + " ms");
const time = (t) => new Date(t).toLocaleTimeString([], { hour12: false }) + "." + String(new Date(t).getMilliseconds()).padStart(3, "0");
const fileLink = (file, line, col, text) => file
  ? h("a", { href: `#/file/${encodeURIComponent(file)}?line=${line || 1}&col=${col || 0}`, class: "mono", "data-testid": "file-link" }, text || `${file}:${line}:${col}`)
  : h("span", { class: "mono" }, text || "");

// ---- status and polling ----------------------------------------------------

async function refresh() {
  try {
    state.apis = await api("apis");
    state.lastError = null;
  } catch (e) {
    state.lastError = e.message;
  }
  drawStatus();
  if (state.route === "" || state.route === "apis") drawAPIs();
  if (state.route === "connections") drawConnections();
}

function drawStatus() {
  const st = $("#status"), banner = $("#banner");
  if (state.lastError) {
    st.textContent = "admin API unreachable";
    banner.hidden = false;
    banner.className = "banner error";
    banner.textContent = `Cannot reach the admin API (${state.lastError}); the gateway may be restarting. Retrying…`;
    return;
  }
  const a = state.apis;
  const rl = a.reload || {};
  st.textContent = `config ${a.config_hash || "—"} · ${a.ready ? "ready" : "not ready"} · last reload ${rl.result || "—"}${rl.time ? " at " + time(rl.time) : ""}`;
  if (rl.result === "failure") {
    banner.hidden = false;
    banner.className = "banner error";
    banner.replaceChildren(
      h("b", {}, "Last reload failed"), ` (${rl.trigger}, ${time(rl.time)}): still serving configuration ${rl.config_hash}. `,
      h("a", { href: "#/" }, `${a.errors.length} error(s)`));
  } else {
    banner.hidden = true;
  }
}

// ---- APIs list ---------------------------------------------------------------

function chart(series) {
  const w = 150, hgt = 30, n = series.length || 1, bw = w / n;
  const max = Math.max(1, ...series.map((m) => m.handshakes + m.requests));
  const svg = s("svg", { width: w, height: hgt, class: "chart", "data-testid": "chart" },
    s("rect", { class: "bg", x: 0, y: 0, width: w, height: hgt }));
  series.forEach((m, i) => {
    const tot = m.handshakes + m.requests, e = m.errors;
    const th = (tot / max) * (hgt - 2), eh = (e / max) * (hgt - 2);
    svg.append(s("rect", { class: "h", x: i * bw, y: hgt - th, width: bw - 1, height: th },
      s("title", {}, `${time(m.start).slice(0, 5)}: ${tot} per minute, ${e} error(s)`)));
    if (e) svg.append(s("rect", { class: "e", x: i * bw, y: hgt - eh, width: bw - 1, height: eh }));
  });
  return svg;
}

function drawAPIs() {
  const a = state.apis;
  if (!a) { main.replaceChildren(h("p", { class: "muted" }, state.lastError ? "Waiting for the admin API…" : "Loading…")); return; }
  const rl = a.reload || {};
  const rows = a.apis.map((x) => {
    const last = x.series[x.series.length - 1] || { handshakes: 0, requests: 0, errors: 0 };
    return h("tr", { "data-api": x.name },
      h("td", { class: "nowrap" }, x.loaded ? h("a", { href: `#/api/${x.name}/policy` }, h("b", {}, x.name)) : h("b", {}, x.name),
        x.workspace ? h("div", { class: "muted" }, "workspace " + x.workspace) : ""),
      h("td", {}, x.type ? h("span", { class: "pill " + (x.type === "websocket" ? "ws" : "http") }, x.type) : ""),
      h("td", { class: "mono nowrap" }, x.path || ""),
      h("td", { class: "mono", title: x.tools ? x.tools.join("\n") : undefined }, x.backend || ""),
      h("td", {}, x.type === "websocket" ? String(x.active) : "—"),
      h("td", {}, chart(x.series), h("div", { class: "muted" }, `${last.handshakes + last.requests}/min, ${last.errors} err`)),
      h("td", {}, x.errors && x.errors.length
        ? [h("span", { class: "pill err" }, x.loaded ? "reload failed" : "not loaded"),
          h("ul", { class: "errors" }, x.errors.map((e) => h("li", {}, fileLink(e.file, e.line, e.col, `${e.file}:${e.line}:${e.col}`), " ", e.message)))]
        : h("span", { class: "pill ok" }, "loaded")),
      h("td", {}, x.loaded ? [h("a", { href: `#/api/${x.name}/test` }, "test"), " · ", h("a", { href: `#/api/${x.name}/traces` }, "traces")] : ""));
  });
  const reload = h("div", { class: "card", "data-testid": "reload" },
    h("h2", {}, "Last reload"),
    h("div", { class: "row" },
      h("span", { class: "pill " + (rl.result === "failure" ? "err" : "ok") }, rl.result || "—"),
      rl.time ? `${rl.trigger} at ${time(rl.time)}` : "", rl.duration ? ` · took ${rl.duration}` : "",
      rl.changed && rl.changed.length ? ` · changed ${rl.changed.join(", ")}` : ""),
    a.errors.length ? h("ul", { class: "errors", "data-testid": "reload-errors" },
      a.errors.map((e) => h("li", {}, e.file ? fileLink(e.file, e.line, e.col, `${e.file}:${e.line}:${e.col}`) : "", e.file ? ": " + e.message : e.text))) : "",
    a.notices && a.notices.length ? h("details", { "data-testid": "reload-notices" },
      h("summary", {}, `${a.notices.length} notice(s): what the folder holds that tollgate ignores or cannot use`),
      h("ul", { class: "notices" },
        a.notices.map((e) => h("li", {}, e.file ? fileLink(e.file, e.line, e.col, `${e.file}:${e.line}:${e.col}`) : "", e.file ? ": " + e.message : e.text)))) : "");
  main.replaceChildren(
    h("h1", {}, "APIs"),
    h("div", { class: "card" }, h("table", { "data-testid": "apis" },
      h("thead", {}, h("tr", {}, ["name", "type", "path", "backend", "live", "traffic (30 min)", "status", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows))),
    reload);
}

// ---- one API -----------------------------------------------------------------

function apiHeader(name, tab) {
  const x = state.apis && state.apis.apis.find((a) => a.name === name);
  const tabs = ["policy", "test", "traces"].map((t) => h("a", { href: `#/api/${name}/${t}`, class: t === tab ? "active" : "" },
    t === "policy" ? "Policy" : t === "test" ? "Test" : "Traces"));
  return [
    h("h1", {}, name, " ", x ? h("span", { class: "pill " + (x.type === "websocket" ? "ws" : "http") }, x.type) : "",
      " ", x ? h("span", { class: "mono muted" }, `${x.path} → ${x.backend}`) : "",
      x && x.workspace ? h("span", { class: "muted" }, ` (workspace ${x.workspace})`) : ""),
    x && x.policy_files && x.policy_files.length ? h("p", { class: "muted", "data-testid": "policy-files" }, "Files: ",
      x.policy_files.flatMap((f, i) => [i ? ", " : "", fileLink(f, 1, 0, f)])) : "",
    x && x.errors && x.errors.length ? h("div", { class: "card" }, h("b", { class: "error" }, "The last reload failed for this API; the previous version is served."),
      h("ul", { class: "errors" }, x.errors.map((e) => h("li", {}, fileLink(e.file, e.line, e.col), " ", e.message)))) : "",
    h("div", { class: "tabs" }, tabs),
  ];
}

// The plan is drawn as a column per section; a step with branches (choose)
// fans out into its branches side by side and joins again below.
const BOX_W = 210, BOX_H = 40, GAP = 22, COL_GAP = 16;

function measure(nodes) {
  let w = BOX_W, hgt = 0;
  for (const n of nodes) {
    const m = measureNode(n);
    w = Math.max(w, m.w);
    hgt += m.h + GAP;
  }
  return { w, h: Math.max(0, hgt - GAP) };
}
// A choose without <otherwise> has an implicit empty one: nothing runs
// when no condition holds.
function branchesOf(n) {
  let b = n.branches || [];
  // wait runs each child in parallel: one branch per child.
  if (n.policy === "wait" && b.length === 1) b = b[0].steps.map((st, i) => ({ name: `branch ${i + 1}`, file: st.file, line: st.line, steps: [st] }));
  if (n.policy === "choose" && !b.some((x) => x.name === "otherwise")) return [...b, { name: "otherwise", steps: [], implicit: true }];
  return b;
}
function measureNode(n) {
  n.branches = branchesOf(n);
  if (!n.branches.length) return { w: BOX_W, h: BOX_H };
  let w = 0, bh = 0;
  for (const b of n.branches) {
    const m = measure(b.steps);
    const bw = Math.max(BOX_W * 0.8, m.w);
    w += bw + COL_GAP;
    bh = Math.max(bh, m.h || 24);
  }
  return { w: Math.max(BOX_W, w - COL_GAP), h: BOX_H + 34 + bh + 18 };
}
function box(n, x, y, w) {
  const cls = "box" + (n.callout ? " callout" : "") + (n.scope === "global" ? " global" : "") + (n.scope === "workspace" ? " workspace" : "") + (n.branches && n.branches.length ? " branching" : "");
  const label = n.policy + (n.id ? ` #${n.id}` : "");
  const where = `${n.file || "?"}:${n.line}`;
  const g = s("a", { href: n.file ? `#/file/${encodeURIComponent(n.file)}?line=${n.line}&col=${n.col}` : null, "data-testid": "plan-node", "data-path": n.path },
    s("g", { class: cls },
      s("rect", { x: x + (w - BOX_W) / 2, y, width: BOX_W, height: BOX_H, rx: n.branches && n.branches.length ? 14 : 6 }),
      s("text", { x: x + w / 2, y: y + 17, "text-anchor": "middle" }, (n.callout ? "↗ " : "") + label),
      s("text", { x: x + w / 2, y: y + 32, "text-anchor": "middle", class: "small" }, where),
      s("title", {}, `${n.path}\n${where}${n.scope === "global" ? " (global policy, via <base/>)" : n.scope === "workspace" ? " (workspace policy, via <base/>)" : ""}`)));
  return g;
}
function drawNodes(svg, nodes, x, y, w) {
  let cy = y;
  nodes.forEach((n, i) => {
    const m = measureNode(n);
    if (i > 0) svg.append(s("line", { x1: x + w / 2, y1: cy - GAP, x2: x + w / 2, y2: cy }));
    svg.append(box(n, x, cy, w));
    if (n.branches && n.branches.length) {
      const widths = n.branches.map((b) => Math.max(BOX_W * 0.8, measure(b.steps).w));
      const total = widths.reduce((a, b) => a + b, 0) + COL_GAP * (widths.length - 1);
      let bx = x + (w - total) / 2;
      const top = cy + BOX_H, by = top + 34, bottom = cy + m.h;
      n.branches.forEach((b, i) => {
        const bw = widths[i], mid = bx + bw / 2;
        svg.append(s("path", { d: `M${x + w / 2},${top} L${mid},${top + 12} L${mid},${by}` }));
        const cond = b.condition ? b.condition.replace(/^@\(|\)$/g, "") : "";
        const room = Math.max(8, Math.floor(bw / 6.2) - b.name.length - 2);
        svg.append(s("a", { href: b.file ? `#/file/${encodeURIComponent(b.file)}?line=${b.line}` : null },
          s("text", { x: mid, y: top + 26, "text-anchor": "middle", class: "label" },
            b.name + (cond ? ": " + (cond.length > room ? cond.slice(0, room - 1) + "…" : cond) : ""),
            s("title", {}, b.implicit ? "no condition held: nothing runs" : b.condition || b.name))));
        const mb = measure(b.steps);
        if (b.steps.length) drawNodes(svg, b.steps, bx, by, bw);
        else svg.append(s("text", { x: mid, y: by + 14, "text-anchor": "middle", class: "small" }, "(nothing)"));
        svg.append(s("path", { d: `M${mid},${by + Math.max(mb.h, 20)} L${mid},${bottom - 6} L${x + w / 2},${bottom}` }));
        bx += bw + COL_GAP;
      });
    }
    cy += m.h + GAP;
  });
}

async function drawPolicy(name) {
  main.replaceChildren(...apiHeader(name, "policy"), h("p", { class: "muted" }, "Loading…"));
  let plan;
  try {
    plan = await api(`apis/${encodeURIComponent(name)}/plan`);
  } catch (e) {
    main.replaceChildren(...apiHeader(name, "policy"), h("div", { class: "card error", "data-testid": "plan-error" }, e.message,
      " (the API may have been removed or renamed by a reload)"));
    return;
  }
  const secs = ["inbound", "backend", "outbound", "on-error"];
  const sizes = secs.map((sec) => measure(plan.sections[sec] || []));
  const widths = sizes.map((m) => m.w + 20);
  const height = Math.max(...sizes.map((m) => m.h)) + 60;
  const svg = s("svg", { class: "plan", width: widths.reduce((a, b) => a + b, 0) + 40, height, "data-testid": "plan" });
  let x = 10;
  secs.forEach((sec, i) => {
    const nodes = plan.sections[sec] || [];
    svg.append(s("text", { x: x + widths[i] / 2, y: 18, "text-anchor": "middle", class: "sec" }, sec));
    if (sec === "backend" && !nodes.length) {
      svg.append(s("text", { x: x + widths[i] / 2, y: 52, "text-anchor": "middle", class: "small" }, plan.forwards_nothing ? "(empty: nothing forwarded)" : "(forward to the backend)"));
    } else if (!nodes.length) {
      svg.append(s("text", { x: x + widths[i] / 2, y: 52, "text-anchor": "middle", class: "small" }, "(nothing)"));
    }
    drawNodes(svg, nodes, x + 10, 34, widths[i] - 20);
    if (i < 2) svg.append(s("path", { d: `M${x + widths[i] - 4},14 l8,4 l-8,4`, class: "small" }));
    x += widths[i];
  });
  main.replaceChildren(...apiHeader(name, "policy"),
    h("div", { class: "card" },
      h("div", { class: "legend" },
        h("span", {}, h("i", {}), "policy step"), h("span", {}, h("i", { style: "background:#f4edff;border-color:#7a3fd1" }), "call-out"),
        h("span", {}, h("i", { style: "background:#fffaeb;border-color:#dc6803" }), "branches"),
        h("span", {}, h("i", { style: "background:#f2f4f7" }), "from the global policy (<base/>)"),
        h("span", { class: "muted" }, "The effective policy after <base/> and fragments; click a step to open its source.")),
      h("div", { style: "overflow:auto" }, svg)));
}

// ---- traces --------------------------------------------------------------------

function traceTable(t) {
  if (!t) return h("p", { class: "muted" }, "No trace.");
  const total = Math.max(1, t.duration_ns, ...t.steps.map((x) => x.start_ns + x.duration_ns));
  const rows = t.steps.map((st, i) => {
    const depth = (st.path.match(/\//g) || []).length - 1;
    const details = [];
    if (st.branch) details.push(h("div", {}, "branch: ", h("b", {}, st.branch)));
    for (const v of st.vars || []) details.push(h("div", {}, `${v.name} = ${v.value}`));
    for (const c of st.callouts || []) details.push(h("div", { class: "callout" },
      `↗ ${c.method} ${c.url} → ${c.error ? "failed: " + c.error : c.status} in ${ms(c.duration_ns)}`));
    const shown = new Set([...(st.vars || []).map((v) => `${v.name} = ${v.value}`), st.branch ? st.branch + " taken" : ""]);
    for (const n of st.notes || []) if (!shown.has(n) && !(st.callouts || []).length) details.push(h("div", { class: "muted" }, n));
    const oc = st.outcome.startsWith("error") ? "outcome-error" : st.outcome === "stopped" ? "outcome-stopped" : "";
    return h("tr", { "data-testid": "trace-step" },
      h("td", { class: "muted" }, i + 1),
      h("td", {}, st.section),
      h("td", { class: "path", style: `padding-left:${8 + depth * 14}px` }, st.file ? fileLink(st.file, st.line, st.col, st.path) : st.path),
      h("td", {}, h("div", { class: "bar", title: `starts at ${ms(st.start_ns)}` },
        h("span", { style: `left:${(st.start_ns / total) * 100}%;width:${Math.max(1, (st.duration_ns / total) * 100)}%` })),
        h("div", { class: "muted" }, ms(st.duration_ns))),
      h("td", { class: oc }, st.outcome),
      h("td", { class: "detail" }, details));
  });
  return h("div", { "data-testid": "trace" },
    h("div", { class: "row" }, h("b", {}, `${t.method} ${t.url}`), h("span", { class: "pill " + (t.status >= 400 ? "err" : "ok") }, t.status || "—"),
      h("span", { class: "muted" }, `${t.api} · ${time(t.time)} · ${ms(t.duration_ns)} · ${t.steps.length} step(s) · ${t.source === "token" ? "trace token" : "api.xml trace"} · id ${t.id}`)),
    t.last_error ? h("div", { class: "error mono" }, "LastError: " + t.last_error) : "",
    h("table", { class: "trace" }, h("thead", {}, h("tr", {}, ["#", "section", "step", "time", "outcome", "details"].map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)));
}

async function drawTraces(name) {
  const head = name ? apiHeader(name, "traces") : [h("h1", {}, "Recent traces")];
  let list = [];
  try { list = await api("traces" + (name ? "?api=" + encodeURIComponent(name) : "")); } catch (e) { list = []; }
  const tokenBox = name ? h("div", { class: "card" },
    h("h3", {}, "Trace real traffic"),
    h("p", { class: "muted" }, "A client that sends this token in its request headers gets its handshake or request traced here (for 10 minutes, this API only)."),
    h("button", { onclick: async (ev) => {
      const t = await api(`apis/${encodeURIComponent(name)}/trace-token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      ev.target.replaceWith(h("pre", { "data-testid": "trace-token" }, `${t.header}: ${t.token}\n(expires ${new Date(t.expires).toLocaleString()})`));
    } }, "Get a trace token")) : "";
  main.replaceChildren(...head, tokenBox, h("div", { class: "card" },
    list.length ? h("table", { "data-testid": "traces" },
      h("thead", {}, h("tr", {}, ["time", "API", "request", "status", "duration", "steps", "source"].map((x) => h("th", {}, x)))),
      h("tbody", {}, list.map((t) => h("tr", {},
        h("td", {}, h("a", { href: `#/trace/${t.id}` }, time(t.time))), h("td", {}, t.api),
        h("td", { class: "mono" }, `${t.method} ${t.url}`),
        h("td", {}, h("span", { class: "pill " + (t.status >= 400 ? "err" : "ok") }, t.status || "—")),
        h("td", {}, ms(t.duration_ns)), h("td", {}, t.steps), h("td", {}, t.source)))))
      : h("p", { class: "muted" }, "No traces yet. Requests are traced when they carry a trace token (the Test tab uses one) or when api.xml says trace=\"true\".")));
}

async function drawTrace(id) {
  try {
    const t = await api("traces/" + encodeURIComponent(id));
    main.replaceChildren(h("h1", {}, "Trace"), h("div", { class: "card" }, traceTable(t)));
  } catch (e) {
    main.replaceChildren(h("h1", {}, "Trace"), h("p", { class: "error" }, e.message));
  }
}

// ---- file view -------------------------------------------------------------------

async function drawFile(path, line, col) {
  main.replaceChildren(h("h1", {}, path), h("p", { class: "muted" }, "Loading…"));
  try {
    const f = await api("file?path=" + encodeURIComponent(path));
    const err = state.apis && state.apis.errors.filter((e) => e.file === path);
    const lines = f.text.split("\n").map((t, i) => {
      const n = i + 1;
      const row = h("div", { class: n === line ? "hit" : "", id: "L" + n }, h("span", { class: "ln" }, n), t);
      return row;
    });
    if (line && col && line <= lines.length) {
      lines.splice(line, 0, h("div", { class: "caret" }, h("span", { class: "ln" }, ""), " ".repeat(Math.max(0, col - 1)) + "^"));
    }
    main.replaceChildren(
      h("h1", {}, h("span", { class: "mono" }, path), line ? h("span", { class: "muted" }, ` line ${line}${col ? ", column " + col : ""}`) : ""),
      err && err.length ? h("ul", { class: "errors", "data-testid": "file-errors" }, err.map((e) => h("li", {}, h("a", { href: `#/file/${encodeURIComponent(path)}?line=${e.line}&col=${e.col}` }, `${e.line}:${e.col}`), " ", e.message))) : "",
      h("p", { class: "muted" }, "Read-only view of the file on disk (secret named values masked)."),
      h("div", { class: "source", "data-testid": "source" }, lines));
    const hit = document.getElementById("L" + line);
    if (hit) hit.scrollIntoView({ block: "center" });
  } catch (e) {
    main.replaceChildren(h("h1", {}, path), h("p", { class: "error" }, e.message));
  }
}

// ---- test tab ----------------------------------------------------------------------

function kvEditor(rows) {
  const box = h("div", {});
  const add = (k = "", v = "") => {
    const r = h("div", { class: "row kv" },
      h("input", { placeholder: "name", value: k, class: "k" }), h("input", { placeholder: "value", value: v, class: "v" }),
      h("button", { onclick: () => r.remove(), title: "remove" }, "×"));
    box.append(r);
  };
  (rows || []).forEach(([k, v]) => add(k, v));
  const el = h("div", {}, box, h("button", { onclick: () => add(), "data-testid": "add-header" }, "+ header"));
  el.values = () => [...box.querySelectorAll(".kv")].map((r) => ({ name: $(".k", r).value, value: $(".v", r).value })).filter((x) => x.name);
  return el;
}

function drawTest(name) {
  if (state.ws) { state.ws.close(); state.ws = null; }
  const x = state.apis && state.apis.apis.find((a) => a.name === name);
  if (!x) { main.replaceChildren(...apiHeader(name, "test"), h("p", { class: "error" }, "This API is not in the served configuration.")); return; }
  if (x.type === "grpc") {
    // A browser cannot make a gRPC call (HTTP/2 trailers): APIM's test console cannot either.
    main.replaceChildren(...apiHeader(name, "test"), h("p", { class: "muted", "data-testid": "grpc-note" },
      "gRPC APIs are tested with a gRPC client (grpcurl, your own): a browser cannot make gRPC calls. The Policy and Traces tabs work as for other APIs."));
    return;
  }
  if (x.type === "websocket") drawTestWS(name); else drawTestHTTP(name);
}

function drawTestWS(name) {
  const headers = kvEditor([]);
  const path = h("input", { placeholder: "/more/path", "data-testid": "test-path", style: "width:220px" });
  const query = h("input", { placeholder: "a=1&b=2", "data-testid": "test-query", style: "width:220px" });
  const protocols = h("input", { placeholder: "e.g. graphql-transport-ws", "data-testid": "test-subprotocols", style: "width:220px" });
  const hs = h("div", { "data-testid": "handshake" }, h("p", { class: "muted" }, "Not connected."));
  const frames = h("tbody", {});
  const text = h("textarea", { rows: 3, "data-testid": "send-text", placeholder: "text to send; <RS> is the 0x1e record separator" });
  const connect = h("button", { class: "primary", "data-testid": "connect" }, "Connect");
  const disconnect = h("button", { disabled: true, "data-testid": "disconnect" }, "Disconnect");
  const send = h("button", { disabled: true, "data-testid": "send" }, "Send");
  const signalr = h("button", { disabled: true, "data-testid": "signalr-handshake", title: '{"protocol":"json","version":1} + 0x1e' }, "Send SignalR handshake");
  const addFrame = (e) => {
    const payload = e.text ? e.text.split("\x1e").flatMap((part, i) => i ? [h("span", { class: "rs", title: "0x1e record separator" }, "RS"), part] : [part])
      : e.base64 ? "base64: " + e.base64 : "";
    frames.append(h("tr", { class: e.dir, "data-testid": "frame", "data-dir": e.dir },
      h("td", {}, time(e.time)), h("td", {}, e.dir === "in" ? "↓ in" : "↑ out"), h("td", {}, e.binary ? "binary" : "text"),
      h("td", {}, e.size + " B"), h("td", { class: "payload" }, payload, e.cut ? " …" : "")));
    frames.parentElement.parentElement.scrollTop = 1e9;
  };
  const setConnected = (on) => {
    connect.disabled = on; disconnect.disabled = !on; send.disabled = !on; signalr.disabled = !on;
  };
  connect.onclick = () => {
    frames.replaceChildren();
    hs.replaceChildren(h("p", { class: "muted" }, "Connecting through the gateway…"));
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/console/api/apis/${encodeURIComponent(name)}/test-ws`);
    state.ws = ws;
    connect.disabled = true;
    ws.onopen = () => ws.send(JSON.stringify({ type: "connect", path: path.value, query: query.value, headers: headers.values(),
      subprotocols: protocols.value.split(",").map((p) => p.trim()).filter(Boolean) }));
    ws.onmessage = (m) => {
      const e = JSON.parse(m.data);
      if (e.type === "handshake") {
        hs.replaceChildren(
          h("div", { class: "row" }, h("span", { class: "pill " + (e.ok ? "ok" : "err"), "data-testid": "handshake-status" }, e.status ? String(e.status) : "failed"),
            h("span", { class: "mono" }, e.url || ""), h("span", { class: "muted" }, ms(e.duration_ns)), e.subprotocol ? h("span", { class: "pill" }, e.subprotocol) : ""),
          e.error ? h("p", { class: "error" }, e.error) : "",
          e.body ? h("pre", {}, e.body) : "",
          h("h3", {}, "Handshake trace"), traceTable(e.trace));
        setConnected(e.ok);
      } else if (e.type === "frame") {
        addFrame(e);
      } else if (e.type === "close") {
        frames.append(h("tr", { class: "close", "data-testid": "close" }, h("td", {}, time(e.time)), h("td", { colspan: 4 },
          `closed by ${e.by}: ${e.code}${e.reason ? " " + e.reason : ""}${e.error ? " (" + e.error + ")" : ""}`)));
        setConnected(false);
        ws.close();
      } else if (e.type === "error") {
        frames.append(h("tr", { class: "close" }, h("td", {}, time(e.time)), h("td", { colspan: 4 }, e.error)));
      }
    };
    ws.onclose = () => { setConnected(false); connect.disabled = false; };
  };
  const sendText = (t) => state.ws && state.ws.send(JSON.stringify({ type: "send", text: t }));
  send.onclick = () => sendText(text.value.replace(/<RS>/g, "\x1e"));
  signalr.onclick = () => sendText('{"protocol":"json","version":1}\x1e');
  disconnect.onclick = () => state.ws && state.ws.send(JSON.stringify({ type: "close", code: 1000, reason: "console disconnect" }));
  main.replaceChildren(...apiHeader(name, "test"),
    h("div", { class: "grid2" },
      h("div", {},
        h("div", { class: "card" },
          h("h3", {}, "Connect through the gateway"),
          h("p", { class: "muted" }, "The admin side opens the WebSocket on the gateway's real listener with a trace token, and streams the frames here."),
          h("div", { class: "row" }, "path", path, "query ?", query),
          h("div", { class: "row" }, "subprotocols", protocols),
          h("h3", {}, "Headers"), headers,
          h("div", { class: "row", style: "margin-top:12px" }, connect, disconnect))),
      h("div", {},
        h("div", { class: "card" },
          h("h3", {}, "Frames"),
          h("div", { class: "frames" }, h("table", { "data-testid": "frames" },
            h("thead", {}, h("tr", {}, ["time", "dir", "type", "size", "payload"].map((t) => h("th", {}, t)))), frames)),
          h("div", { style: "margin-top:10px" }, text),
          h("div", { class: "row" }, send, signalr, h("span", { class: "muted" }, "<RS> stands for the 0x1e record separator"))))),
    h("div", { class: "card" }, h("h3", {}, "Handshake"), hs));
}

function drawTestHTTP(name) {
  const method = h("select", { "data-testid": "test-method" }, ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].map((m) => h("option", {}, m)));
  const path = h("input", { placeholder: "/more/path", "data-testid": "test-path", style: "width:260px" });
  const query = h("input", { placeholder: "a=1&b=2", "data-testid": "test-query", style: "width:200px" });
  const headers = kvEditor([]);
  const body = h("textarea", { rows: 5, "data-testid": "test-body", placeholder: "request body" });
  const out = h("div", { "data-testid": "response" }, h("p", { class: "muted" }, "No request sent yet."));
  const go = h("button", { class: "primary", "data-testid": "send-request" }, "Send");
  go.onclick = async () => {
    go.disabled = true;
    out.replaceChildren(h("p", { class: "muted" }, "Sending through the gateway…"));
    try {
      const r = await api(`apis/${encodeURIComponent(name)}/test-http`, { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ method: method.value, path: path.value, query: query.value, headers: headers.values(), body: body.value }) });
      out.replaceChildren(
        h("div", { class: "row" }, h("span", { class: "pill " + (r.status >= 400 ? "err" : "ok"), "data-testid": "response-status" }, r.status || "failed"),
          h("span", { class: "mono" }, r.url), h("span", { class: "muted" }, ms(r.duration_ns))),
        r.error ? h("p", { class: "error" }, r.error) : "",
        r.headers ? h("pre", {}, Object.entries(r.headers).map(([k, v]) => `${k}: ${v.join(", ")}`).join("\n")) : "",
        r.body !== undefined ? h("pre", { "data-testid": "response-body", class: "payload" }, r.body + (r.body_truncated ? "\n…" : "")) : "",
        h("h3", {}, "Trace"), traceTable(r.trace));
    } catch (e) {
      out.replaceChildren(h("p", { class: "error" }, e.message));
    }
    go.disabled = false;
  };
  main.replaceChildren(...apiHeader(name, "test"),
    h("div", { class: "grid2" },
      h("div", { class: "card" },
        h("h3", {}, "Request through the gateway"),
        h("div", { class: "row" }, method, "path", path, "?", query),
        h("h3", {}, "Headers"), headers,
        h("h3", {}, "Body"), body,
        h("div", { class: "row", style: "margin-top:10px" }, go)),
      h("div", { class: "card" }, h("h3", {}, "Response"), out)));
}

// ---- the credential manager's connections --------------------------------------

const dateTime = (t) => new Date(t).toLocaleString([], { hour12: false });

// An authorization-code connection nobody consented to yet is connected
// with its login link; any other is connected again (a new consent).
const loginLabel = (c) => c.status === "Error" && c.error && c.error.code === "Unauthenticated" ? "Connect" : "Reconnect";

async function drawConnections() {
  let v;
  try {
    v = await api("connections");
  } catch (e) {
    if (state.route === "connections") main.replaceChildren(h("h1", {}, "Connections"), h("p", { class: "error" }, e.message));
    return;
  }
  if (state.route !== "connections") return; // the operator went elsewhere meanwhile
  const rows = v.connections.map((c) => h("tr", { "data-connection": `${c.provider}/${c.connection}`, "data-testid": "connection" },
    h("td", { class: "nowrap" }, h("b", {}, c.connection), h("div", { class: "muted" }, "provider " + c.provider)),
    h("td", {}, c.identityProvider),
    h("td", {}, c.grantType === "authorizationCode" ? "authorization code" : c.grantType === "clientCredentials" ? "client credentials" : c.grantType),
    h("td", {},
      h("span", { class: "pill " + (c.status === "Connected" ? "ok" : c.status === "Error" ? "err" : ""), "data-testid": "connection-status" },
        c.status === "NotUsedYet" ? "not used yet" : c.status),
      c.error ? h("div", { class: "conn-error", "data-testid": "connection-error" }, h("b", {}, c.error.code), c.error.message ? ": " + c.error.message : "") : ""),
    h("td", { class: "nowrap", title: c.changed || undefined }, c.changed ? dateTime(c.changed) : "—"),
    h("td", { class: "nowrap", title: c.tokenExpires || undefined }, c.tokenExpires ? dateTime(c.tokenExpires) : "—"),
    h("td", { class: "nowrap" }, c.login ? h("a", { href: c.login, "data-testid": "connection-login" }, loginLabel(c)) : "")));
  main.replaceChildren(
    h("h1", {}, "Connections"),
    h("p", { class: "muted" }, "The credential manager's connections (authorizationProviders/ of the served configuration). ",
      "An authorization-code connection's status is every replica's; a client-credentials one's is this gateway's last attempt. ",
      "Tokens and secrets are never shown."),
    v.connections.length
      ? h("div", { class: "card" }, h("table", { "data-testid": "connections" },
        h("thead", {}, h("tr", {}, ["connection", "identity provider", "grant type", "status", "since", "token expires", ""].map((t) => h("th", {}, t)))),
        h("tbody", {}, rows)))
      : h("p", { class: "muted", "data-testid": "no-connections" }, "The served configuration has no credential providers."));
}

// ---- routing ---------------------------------------------------------------------

async function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [pathPart, qs] = hash.split("?");
  const parts = pathPart.split("/").map(decodeURIComponent);
  const q = new URLSearchParams(qs || "");
  state.route = parts[0] || "";
  const nav = state.route === "traces" || state.route === "connections" ? state.route : "apis";
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.dataset.nav === nav);
  if (state.ws && !(parts[0] === "api" && parts[2] === "test")) { state.ws.close(); state.ws = null; }
  if (!state.apis) await refresh();
  switch (parts[0]) {
    case "": case "apis": drawAPIs(); break;
    case "api":
      if (parts[2] === "test") drawTest(parts[1]);
      else if (parts[2] === "traces") drawTraces(parts[1]);
      else drawPolicy(parts[1]);
      break;
    case "traces": drawTraces(null); break;
    case "connections": drawConnections(); break;
    case "trace": drawTrace(parts[1]); break;
    case "file": drawFile(parts.slice(1).join("/"), Number(q.get("line")) || 0, Number(q.get("col")) || 0); break;
    default: drawAPIs();
  }
}

window.addEventListener("hashchange", route);
route();
setInterval(refresh, 3000);
