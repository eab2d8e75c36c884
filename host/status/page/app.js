// The status page: polls GET /v1/status (with the bearer token it asks for
// when the host has tokens) and renders it; invokes functions with the form.
const TOKEN_KEY = "vial-token";
const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);

const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const token = () => localStorage.getItem(TOKEN_KEY);
const headers = (extra = {}) => (token() ? { ...extra, authorization: `Bearer ${token()}` } : extra);
const ms = (v) => (v === null || v === undefined ? "–" : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toString());
const ago = (iso) => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
};
const time = (iso) => new Date(iso).toLocaleTimeString();

const typeName = (t) => (typeof t === "string" ? t : "array" in t ? `array<${typeName(t.array)}>` : `optional<${typeName(t.optional)}>`);
const fields = (list) => list.map((f) => `${esc(f.name)}: ${esc(typeName(f.type))}`).join(", ");

/** A row that fits an input schema, to start the invoke form from. */
function sample(type) {
  if (typeof type === "object") return "array" in type ? [sample(type.array)] : sample(type.optional);
  return { string: "text", int64: 1, float64: 0.5, bool: true, bytes: "AAE=" }[type];
}

function sparkline(series) {
  const max = Math.max(1, ...series.map((p) => p.count));
  const w = 4;
  const bars = series
    .map((p, i) => {
      const h = Math.round((p.count / max) * 22);
      const f = Math.round((p.failed / max) * 22);
      return `<rect x="${i * w}" y="${24 - h}" width="${w - 1}" height="${h - f}"></rect><rect class="bar-failed" x="${i * w}" y="${24 - f}" width="${w - 1}" height="${f}"></rect>`;
    })
    .join("");
  return `<svg class="spark" width="${series.length * w}" height="24" role="img" aria-label="calls per 10 s, last 5 minutes">${bars}</svg>`;
}

function environmentCard(env) {
  const state = env.executor.status === "running" ? "ok" : env.executor.status === "restarting" ? "bad" : "warn";
  const engine = env.engine.running === "v8" ? "V8 isolates" : `component (${esc(env.engine.version)})`;
  const rows = env.functions
    .map((f) => {
      const a = env.activity.find((x) => x.function === f.name);
      const m = a.lastMinute;
      return `<tr data-fn="${esc(f.name)}">
        <td><code>${esc(f.name)}</code>${f.mode === "batch" ? ' <span class="pill">batch</span>' : ""}<div class="sig">(${fields(f.inputs)}) → (${fields(f.outputs)})</div></td>
        <td class="num rate">${m.perSecond}</td><td class="num count">${a.lastFiveMinutes.count}</td><td class="num failed">${a.lastFiveMinutes.failed}</td>
        <td class="num p50">${ms(m.p50Ms)}</td><td class="num p90">${ms(m.p90Ms)}</td><td class="num p99">${ms(m.p99Ms)}</td>
        <td>${sparkline(a.series)}</td></tr>`;
    })
    .join("");
  const deploys = env.deploys
    .map((d) => `<tr><td><code>${esc(d.version)}</code></td><td>${esc(time(d.createdAt))} <span class="muted">(${ago(d.createdAt)})</span></td><td>${d.serving ? '<span class="pill ok">serving</span>' : ""} ${d.current && !d.serving ? '<span class="pill warn">current, not serving</span>' : ""}</td><td class="sig">${d.functions.map(esc).join(", ")}</td></tr>`)
    .join("");
  return `<section class="env" data-env="${esc(env.name)}">
    <header><h2>${esc(env.name)}</h2><code class="version">${esc(env.version)}</code><span class="pill ${state}">executor ${esc(env.executor.status)}</span>
      <span class="muted">${esc(env.language)} on ${engine} · serving since ${esc(time(env.servingSince))} (${ago(env.servingSince)})</span></header>
    <div class="facts">
      <span>pid <b class="num">${esc(env.executor.pid ?? "–")}</b></span><span>restarts <b class="num">${env.executor.restarts}</b></span><span>resident <b class="num">${env.executor.residentMiB} MiB</b></span>
      <span class="pool">pool <b class="num idle">${env.pool.idle}</b> idle · <b class="num busy">${env.pool.busy}</b> busy · <b class="num starting">${env.pool.starting}</b> starting · <b class="num queued">${env.pool.queued}</b> queued (of ${env.pool.size} + ${env.pool.maxQueue})</span>
      <span class="muted">deadline ${env.pool.deadlineMs} ms · ${env.pool.memoryMiB} MiB per instance</span>
    </div>
    ${env.engine.reason ? `<div class="muted">${esc(env.engine.reason)}</div>` : ""}
    ${env.refused ? `<div class="refused">refused ${esc(env.refused.version)}: ${esc(env.refused.error)}</div>` : ""}
    <h3>Functions <span class="muted">(rate and latency over the last minute, calls over 5 minutes)</span></h3>
    <table><thead><tr><th>function</th><th class="num">req/s</th><th class="num">calls</th><th class="num">failed</th><th class="num">p50 ms</th><th class="num">p90 ms</th><th class="num">p99 ms</th><th>last 5 min</th></tr></thead><tbody>${rows}</tbody></table>
    <h3>Deploys</h3>
    <table><tbody>${deploys}</tbody></table>
  </section>`;
}

let known = "";
function updateTargets(environments) {
  const targets = environments.flatMap((e) => e.functions.map((f) => ({ id: `${e.name}/${f.name}`, f })));
  const ids = targets.map((t) => t.id).join(",");
  if (ids === known) return;
  known = ids;
  const select = $("invoke-target");
  const chosen = select.value;
  select.innerHTML = targets.map((t) => `<option value="${esc(t.id)}">${esc(t.id)}</option>`).join("");
  select.dataset.samples = JSON.stringify(Object.fromEntries(targets.map((t) => [t.id, [Object.fromEntries(t.f.inputs.map((i) => [i.name, sample(i.type)]))]])));
  if (targets.some((t) => t.id === chosen)) select.value = chosen;
  else fillSample();
}

function fillSample() {
  const select = $("invoke-target");
  const samples = JSON.parse(select.dataset.samples || "{}");
  $("invoke-rows").value = JSON.stringify(samples[select.value] ?? [], null, 2);
}

function render(report) {
  const { host } = report;
  $("host-status").textContent = host.status;
  $("host-status").className = `pill ${host.status === "ready" ? "ok" : "warn"}`;
  $("host-meta").textContent = `v${host.version} · up since ${time(host.startedAt)} · updated ${time(host.now)}`;
  $("environments").innerHTML = report.environments.length ? report.environments.map(environmentCard).join("") : '<p class="muted">No environment is being served: deploy one with <code>vial deploy &lt;module&gt; --env &lt;name&gt;</code>.</p>';
  $("events").innerHTML =
    report.events
      .slice()
      .reverse()
      .map((e) => `<li class="${esc(e.kind)}"><time>${esc(time(e.at))}</time><b>${esc(e.env)}${e.function ? `/${esc(e.function)}` : ""}</b> ${e.status ? `<span class="pill bad">${e.status} ${esc(e.code)}</span>` : `<span class="pill warn">${esc(e.kind)}</span>`} ${esc(e.message)}</li>`)
      .join("") || '<li class="muted">none</li>';
  updateTargets(report.environments);
}

function askForToken(reason) {
  $("token-form").hidden = false;
  $("token-reason").textContent = reason;
  $("host-status").textContent = "token needed";
  $("host-status").className = "pill warn";
}

async function poll() {
  try {
    const response = await fetch("/v1/status", { headers: headers() });
    if (response.status === 401 || response.status === 403) {
      const body = await response.json().catch(() => ({}));
      askForToken(body.error?.message ?? `HTTP ${response.status}`);
    } else if (response.ok) {
      $("token-form").hidden = true;
      $("forget-token").hidden = !token();
      render(await response.json());
    } else {
      $("host-status").textContent = `HTTP ${response.status}`;
      $("host-status").className = "pill bad";
    }
  } catch (error) {
    $("host-status").textContent = "unreachable";
    $("host-status").className = "pill bad";
  }
  setTimeout(poll, POLL_MS);
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  localStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  $("token-form").hidden = true;
});
$("forget-token").addEventListener("click", () => localStorage.removeItem(TOKEN_KEY));
$("invoke-target").addEventListener("change", fillSample);

$("invoke-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const [env, fn] = $("invoke-target").value.split("/");
  let rows;
  try {
    rows = JSON.parse($("invoke-rows").value);
  } catch (error) {
    $("invoke-status").textContent = `rows are not valid JSON: ${error.message}`;
    return;
  }
  const deadline = $("invoke-deadline").value;
  const started = performance.now();
  $("invoke-status").textContent = "calling…";
  const response = await fetch(`/v1/invoke/${encodeURIComponent(env)}/${encodeURIComponent(fn)}`, {
    method: "POST",
    headers: headers({ "content-type": "application/json", ...(deadline ? { "x-vial-deadline-ms": deadline } : {}) }),
    body: JSON.stringify({ rows }),
  });
  const text = await response.text();
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {}
  $("invoke-status").textContent = `${response.status} in ${Math.round(performance.now() - started)} ms`;
  $("invoke-result").textContent = shown;
});

poll();
