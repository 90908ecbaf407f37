// The demo page: figures pushed by the server (server-sent events), two canvas charts, the controls.
// Every number shown comes from the server's frames; the page only formats and draws them, so a replay
// shows exactly what the live page showed. After each frame it fires a `demo-frame` event on window
// whose detail is the frame's load time, its users and the text now on screen (for scripts and tests).
"use strict";

const SIDES = ["pitfall", "fix"];
const state = {
  hello: null, stage: null, status: null, frames: [], paused: false, dragging: false, source: null,
  drawPending: false,
};
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ formatting

function fmtRps(v) {
  if (v === null || v === undefined) return "–";
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function fmtMs(v) {
  if (v === null || v === undefined) return "–";
  if (v >= 10000) return (v / 1000).toFixed(0) + " s";
  if (v >= 1000) return (v / 1000).toFixed(1) + " s";
  return v.toFixed(0) + " ms";
}

function fmtRatio(ratio) {
  if (ratio === null || ratio === undefined || ratio <= 0) return ["–", ""];
  const times = (r) => "×" + (r >= 10 ? r.toFixed(0) : r.toFixed(1));
  if (ratio >= 1) return [times(ratio), "more req/s with the fix"];
  return [times(1 / ratio), "fewer req/s with the fix"];
}

// ------------------------------------------------------------------ messages

function onHello(hello) {
  state.hello = hello;
  state.frames = [];
  const root = document.documentElement.style;
  root.setProperty("--pitfall", hello.style.pitfall_color);
  root.setProperty("--fix", hello.style.fix_color);
  root.setProperty("--muted", hello.style.muted_color);
  root.setProperty("--font-vw", hello.style.font_vw);
  $("users").max = hello.max_users;
  fillSelect($("latency"), hello.latency_choices_ms.map((ms) => [ms, ms + " ms"]));
  fillSelect($("scenario"), hello.scenarios.map((s) => [s.id, s.id]));
  const replay = hello.mode === "replay";
  for (const id of ["users", "latency", "scenario", "pitfall-variant", "fix-variant"]) $(id).disabled = replay;
}

function fillSelect(select, options) {
  const current = select.value;
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
  if (current) select.value = current;
}

function onStage(stage) {
  state.stage = stage;
  $("title").textContent = stage.title;
  $("pitfall-text").textContent = stage.pitfall_text;
  $("fix-text").textContent = stage.fix_text;
  for (const side of SIDES) {
    const box = $("big-" + side);
    box.querySelector("[data-role=variant]").textContent = stage.sides[side].variant + " · " + stage.sides[side].title;
  }
  const scenario = (state.hello.scenarios || []).find((s) => s.id === stage.scenario);
  if (scenario) {
    const variants = scenario.variants.map((v) => [v.id, v.id]);
    fillSelect($("pitfall-variant"), variants);
    fillSelect($("fix-variant"), variants);
    $("scenario").value = stage.scenario;
    $("pitfall-variant").value = stage.sides.pitfall.variant;
    $("fix-variant").value = stage.sides.fix.variant;
  }
  ensureLatencyChoice(stage.latency_ms);
  scheduleDraw();
}

function ensureLatencyChoice(ms) {
  const select = $("latency");
  if (![...select.options].some((o) => Number(o.value) === ms)) select.add(new Option(ms + " ms", ms));
  select.value = String(ms);
}

function onStatus(status) {
  state.status = status;
  if (status.paused !== undefined) state.paused = status.paused;
  $("pause").textContent = state.paused ? "Resume" : "Pause";
  if (status.users !== undefined) showUsers(status.users);
  if (status.latency_ms !== undefined) ensureLatencyChoice(status.latency_ms);
  $("message").textContent = status.message || "";
  if (status.state === "ended" && state.source) state.source.close();
  showBadge();
}

function showUsers(users) {
  if (state.dragging) return;
  $("users").value = users;
  $("users-out").textContent = users;
}

function showBadge() {
  const badge = $("badge");
  const status = state.status || {};
  const frame = state.frames[state.frames.length - 1];
  const replay = state.hello && state.hello.mode === "replay";
  let kind = status.state || "starting";
  let text;
  if (kind === "ended") text = "REPLAY · ended";
  else if (state.paused) { kind = "paused"; text = "PAUSED"; }
  else if (kind === "starting") text = "STARTING…";
  else if (kind === "failed") text = "FAILED";
  else text = (replay ? "REPLAY" : "LIVE") + (frame ? ` · ${frame.users} users · L = ${frame.latency_ms} ms` : "");
  if (replay && kind === "running") kind = "live";
  badge.className = kind === "running" ? "live" : kind;
  badge.textContent = text;
}

function onFrame(frame) {
  state.frames.push(frame);
  const horizon = frame.t - state.hello.history_s;
  while (state.frames.length && state.frames[0].t < horizon) state.frames.shift();
  for (const side of SIDES) showSide(side, frame.sides[side]);
  const [value, words] = fmtRatio(frame.ratio);
  $("ratio-value").textContent = value;
  $("ratio-words").textContent = words;
  $("notes").textContent = (frame.notes || []).join(" · ");
  showUsers(frame.users);
  showBadge();
  scheduleDraw();
  const detail = { t: frame.t, users: frame.users, shown: shownText() };
  window.dispatchEvent(new CustomEvent("demo-frame", { detail }));
}

function showSide(side, data) {
  const box = $("big-" + side);
  const figures = data.figures;
  const set = (role, text) => { box.querySelector(`[data-role=${role}]`).textContent = text; };
  set("rps", figures ? fmtRps(figures.throughput_rps) : data.status === "down" ? "DOWN" : "…");
  set("p50", figures ? fmtMs(figures.p50_ms) : "–");
  set("p99", figures ? fmtMs(figures.p99_ms) : "–");
  let warn = data.message || "";
  if (data.invalid && data.invalid.length) warn = "⚠ not trustworthy: " + data.invalid.join("; ");
  else if (figures && figures.errors_per_s > 0) warn = `${fmtRps(figures.errors_per_s)} failed req/s`;
  set("warn", warn);
  box.classList.toggle("invalid", Boolean(data.invalid && data.invalid.length));
  box.classList.toggle("down", data.status === "down");
}

function shownText() {
  const shown = { ratio: $("ratio-value").textContent };
  for (const side of SIDES) {
    for (const role of ["rps", "p50", "p99", "warn"]) {
      shown[`${side}_${role}`] = $("big-" + side).querySelector(`[data-role=${role}]`).textContent;
    }
  }
  return shown;
}

// ------------------------------------------------------------------ charts

function scheduleDraw() {
  if (state.drawPending) return;
  state.drawPending = true;
  requestAnimationFrame(() => { state.drawPending = false; drawCharts(); });
}

function series(side, pick, options) {
  return {
    color: state.hello.style[side + "_color"],
    points: state.frames.map((f) => [f.t, pick(f.sides[side]), (f.sides[side].invalid || []).length > 0]),
    ...options,
  };
}

function drawCharts() {
  if (!state.hello) return;
  const last = state.frames[state.frames.length - 1];
  const tMax = last ? Math.max(last.t, state.hello.history_s) : state.hello.history_s;
  const range = [tMax - state.hello.history_s, tMax];
  const fig = (s, key) => (s.figures ? s.figures[key] : null);
  const rps = [];
  const latency = [];
  for (const side of SIDES) {
    rps.push(series(side, (s) => fig(s, "throughput_rps"), { width: 1 }));
    rps.push(series(side, (s) => s.theory_rps, { width: 0.6, dash: [0.01, 2.2] }));
    latency.push(series(side, (s) => fig(s, "p50_ms"), { width: 1 }));
    latency.push(series(side, (s) => fig(s, "p99_ms"), { width: 0.7, dash: [3, 2.5] }));
    latency.push(series(side, (s) => s.theory_ms, { width: 0.6, dash: [0.01, 2.2] }));
  }
  drawChart($("chart-rps"), rps, { range, log: false, unit: fmtRps });
  drawChart($("chart-latency"), latency, { range, log: true, unit: fmtMs });
}

function niceLinearTicks(max) {
  const rough = max / 4;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough);
  const ticks = [0];
  while (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

function yScale(values, log) {
  const finite = values.filter((v) => v !== null && v > 0);
  if (log) {
    const lo = Math.pow(10, Math.floor(Math.log10(finite.length ? Math.min(...finite) * 0.9 : 10)));
    const hi = Math.pow(10, Math.ceil(Math.log10(finite.length ? Math.max(...finite) * 1.05 : 1000)));
    const ticks = [];
    for (let v = lo; v <= hi * 1.0001; v *= 10) ticks.push(v);
    return { ticks, map: (v) => (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo || 1)) };
  }
  const ticks = niceLinearTicks(Math.max(...finite, 1) * 1.1);
  const top = ticks[ticks.length - 1];
  return { ticks, map: (v) => v / top };
}

function drawChart(canvas, allSeries, { range, log, unit }) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(canvas.clientWidth * ratio);
  const height = Math.round(canvas.clientHeight * ratio);
  if (!width || !height) return;
  if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
  const ctx = canvas.getContext("2d");
  const em = parseFloat(getComputedStyle($("slide")).fontSize) * ratio;
  const line = (state.hello.style.line_vw / 100) * $("slide").clientWidth * ratio;
  const box = { left: em * 2.6, right: width - em * 0.4, top: em * 0.4, bottom: height - em * 1.0 };
  const values = allSeries.flatMap((s) => s.points.filter((p) => p[0] >= range[0]).map((p) => p[1]));
  const y = yScale(values, log);
  const px = (t) => box.left + ((t - range[0]) / (range[1] - range[0])) * (box.right - box.left);
  const py = (v) => box.bottom - Math.min(Math.max(y.map(v), 0), 1) * (box.bottom - box.top);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  drawAxes(ctx, { box, y, px, py, range, unit, em, muted: state.hello.style.muted_color });
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.left, box.top, box.right - box.left, box.bottom - box.top);
  ctx.clip();
  for (const s of allSeries) drawSeries(ctx, s, { px, py, line, range, log });
  ctx.restore();
}

function drawAxes(ctx, { box, y, px, py, range, unit, em, muted }) {
  ctx.font = `${em * 0.42}px system-ui, sans-serif`;
  ctx.fillStyle = muted;
  ctx.strokeStyle = "#ddd";
  ctx.lineWidth = Math.max(1, em * 0.03);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of y.ticks) {
    const yy = py(v);
    ctx.beginPath(); ctx.moveTo(box.left, yy); ctx.lineTo(box.right, yy); ctx.stroke();
    ctx.fillText(unit(v), box.left - em * 0.2, yy);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const first = Math.ceil(range[0] / 10) * 10;
  for (let t = first; t <= range[1]; t += 10) {
    if (t < 0) continue;
    ctx.fillText(t.toFixed(0) + " s", px(t), box.bottom + em * 0.15);
  }
}

function drawSeries(ctx, s, { px, py, line, range, log }) {
  // One path per run of points (a dash pattern restarts with every path): a gap (no figure) ends a run,
  // and so does a change of trust, since an untrustworthy stretch is drawn faded.
  ctx.strokeStyle = s.color;
  ctx.lineWidth = Math.max(1, line * s.width);
  ctx.setLineDash((s.dash || []).map((d) => d * Math.max(1, line)));
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  let run = [];
  let faded = false;
  const flush = () => {
    if (run.length > 1) {
      ctx.globalAlpha = faded ? 0.3 : 1;
      ctx.beginPath();
      run.forEach(([t, v], i) => (i ? ctx.lineTo(px(t), py(v)) : ctx.moveTo(px(t), py(v))));
      ctx.stroke();
    }
  };
  for (const [t, v, invalid] of s.points) {
    const usable = v !== null && v !== undefined && (!log || v > 0) && t >= range[0] - 1;
    if (!usable) { flush(); run = []; continue; }
    if (run.length && invalid !== faded) { const joint = run[run.length - 1]; flush(); run = [joint]; }
    faded = invalid;
    run.push([t, v]);
  }
  flush();
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);
}

// ------------------------------------------------------------------ snapshot

function snapshotCanvas() {
  // The slide at 1920x1080: title and ratio, each side's numbers in its own column, both charts.
  const out = document.createElement("canvas");
  out.width = 1920;
  out.height = 1080;
  const ctx = out.getContext("2d");
  const font = (px, bold) => `${bold ? "bold " : ""}${px}px system-ui, sans-serif`;
  const style = state.hello.style;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.textBaseline = "top";
  ctx.fillStyle = "#111";
  ctx.font = font(56, true);
  ctx.fillText($("title").textContent, 60, 36, 1250);
  ctx.textAlign = "right";
  ctx.fillStyle = style.fix_color;
  ctx.font = font(48, true);
  ctx.fillText($("ratio-value").textContent, 1860, 30);
  ctx.font = font(24, false);
  ctx.fillText($("ratio-words").textContent, 1860, 86);
  ctx.textAlign = "left";
  const shown = shownText();
  SIDES.forEach((side, i) => {
    const x = 60 + i * 940;
    ctx.fillStyle = style[side + "_color"];
    ctx.font = font(52, true);
    ctx.fillText(`${shown[side + "_rps"]} req/s`, x, 130, 860);
    ctx.font = font(26, false);
    const variant = $("big-" + side).querySelector("[data-role=variant]").textContent;
    ctx.fillText(`${variant} · p50 ${shown[side + "_p50"]} · p99 ${shown[side + "_p99"]}`, x, 196, 860);
  });
  ctx.fillStyle = "#111";
  ctx.font = font(28, true);
  ctx.fillText("Throughput, req/s", 60, 262);
  ctx.fillText("Latency, p50 / p99 (log scale)", 1000, 262);
  ctx.drawImage($("chart-rps"), 40, 305, 900, 710);
  ctx.drawImage($("chart-latency"), 980, 305, 900, 710);
  ctx.fillStyle = style.muted_color;
  ctx.font = font(24, false);
  ctx.fillText($("badge").textContent + " · dotted: theory · awaitbench demo", 60, 1036);
  return out;
}

async function takeSnapshot() {
  drawCharts();
  const blob = await new Promise((resolve) => snapshotCanvas().toBlob(resolve, "image/png"));
  const answer = await fetch("snapshot", { method: "POST", headers: { "Content-Type": "image/png" }, body: blob });
  const data = await answer.json();
  $("message").textContent = answer.ok ? "snapshot saved to " + data.path : data.error;
}

// ------------------------------------------------------------------ controls

async function send(control) {
  $("message").textContent = "";
  const answer = await fetch("control", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(control),
  });
  if (!answer.ok) {
    $("message").textContent = (await answer.json()).error;
  } else if (control.paused !== undefined) {  // a replay has no status to say so
    state.paused = control.paused;
    $("pause").textContent = state.paused ? "Resume" : "Pause";
    showBadge();
  }
}

function wireControls() {
  const users = $("users");
  users.addEventListener("input", () => { state.dragging = true; $("users-out").textContent = users.value; });
  users.addEventListener("change", () => { state.dragging = false; send({ users: Number(users.value) }); });
  $("latency").addEventListener("change", (e) => send({ latency_ms: Number(e.target.value) }));
  $("scenario").addEventListener("change", (e) => send({ scenario: e.target.value }));
  const pair = () => send({ scenario: $("scenario").value, pitfall: $("pitfall-variant").value, fix: $("fix-variant").value });
  $("pitfall-variant").addEventListener("change", pair);
  $("fix-variant").addEventListener("change", pair);
  $("pause").addEventListener("click", () => send({ paused: !state.paused }));
  $("snapshot").addEventListener("click", takeSnapshot);
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
    if (e.key === "s" || e.key === "S") takeSnapshot();
    if (e.key === " ") { e.preventDefault(); send({ paused: !state.paused }); }
  });
  window.addEventListener("resize", scheduleDraw);
}

function connect() {
  const source = new EventSource("events");
  state.source = source;
  const handlers = { hello: onHello, stage: onStage, status: onStatus, frame: onFrame };
  source.onmessage = (event) => {
    const message = JSON.parse(event.data);
    handlers[message.kind](message);
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED || (state.status && state.status.state === "ended")) return;
    const badge = $("badge");
    badge.className = "stopped";
    badge.textContent = "DISCONNECTED";
  };
}

wireControls();
connect();
