import { arrivedCalls, type LoadReport } from "./report.js";
import type { HistogramSummary } from "./stats.js";

/**
 * The HTML view of a load report (`--html F.html`, `pbxsim report merge --html`): one
 * self-contained page with inline CSS and inline SVG charts, no scripts and nothing fetched, so it
 * can be archived as a CI artifact and opened offline. Every piece of text from the report is
 * escaped.
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const esc = escapeHtml;

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function fmtNum(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return "–";
  return (+n.toFixed(digits)).toLocaleString("en-US", { maximumFractionDigits: digits });
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms >= 10_000) return `${fmtNum(ms / 1000, 1)} s`;
  if (ms >= 1000) return `${fmtNum(ms / 1000, 2)} s`;
  if (ms >= 100) return `${fmtNum(ms, 0)} ms`;
  if (ms >= 10) return `${fmtNum(ms, 1)} ms`;
  return `${fmtNum(ms, 3)} ms`;
}

function fmtElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${fmtNum((part / whole) * 100, part === whole || part === 0 ? 0 : 2)}%` : "–";
}

const CSS = `
:root { --bg: #fff; --fg: #1d232b; --muted: #5f6b7a; --line: #d8dee6; --card: #f5f7fa;
  --ok: #177a3c; --bad: #c0262d; --s1: #2563eb; --s2: #e07b12; --s3: #177a3c; --s4: #c0262d; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14181d; --fg: #e4e8ee; --muted: #9aa6b4; --line: #323b46; --card: #1c2128;
    --ok: #4cc27a; --bad: #f06a6f; --s1: #6d9cff; --s2: #f2a04a; --s3: #4cc27a; --s4: #f06a6f; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.card h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 6px; }
.card dl { display: grid; grid-template-columns: auto auto; gap: 2px 12px; margin: 0; }
.card dt { color: var(--muted); }
.card dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: right; }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.verdict { display: inline-block; margin-top: 8px; padding: 3px 10px; border-radius: 4px; border: 1px solid currentColor; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 12px; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.legend span { margin-right: 12px; white-space: nowrap; }
.legend i { display: inline-block; width: 12px; height: 3px; vertical-align: middle; margin-right: 4px; }
svg { width: 100%; height: auto; display: block; }
svg text { fill: var(--muted); font-size: 11px; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .s1 { stroke: var(--s1); color: var(--s1); } svg .s2 { stroke: var(--s2); color: var(--s2); }
svg .s3 { stroke: var(--s3); color: var(--s3); } svg .s4 { stroke: var(--s4); color: var(--s4); }
svg polyline { fill: none; stroke-width: 1.6; stroke-linejoin: round; }
svg circle { fill: currentColor; stroke: none; }
.bg-s1 { background: var(--s1); } .bg-s2 { background: var(--s2); } .bg-s3 { background: var(--s3); } .bg-s4 { background: var(--s4); }
`;

// ---- charts -------------------------------------------------------------------------------------

interface Series {
  name: string;
  cls: "s1" | "s2" | "s3" | "s4";
  /** [seconds, value]; null breaks the line (no data in that bucket). */
  points: ([number, number] | null)[];
}

/** 1, 2, 5 × 10^k at or above v. */
function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmtTick(v: number): string {
  if (v >= 1_000_000) return `${fmtNum(v / 1_000_000, 1)}M`;
  if (v >= 10_000) return `${fmtNum(v / 1000, 0)}k`;
  return fmtNum(v, v < 10 ? 2 : 1);
}

const W = 560;
const H = 220;
const PAD = { left: 52, right: 12, top: 22, bottom: 28 };

function lineChart(title: string, yUnit: string, series: Series[]): string {
  const pts = series.flatMap((s) => s.points.filter((p): p is [number, number] => p !== null));
  const legend = `<div class="legend">${series
    .map((s) => `<span><i class="bg-${s.cls}"></i>${esc(s.name)}</span>`)
    .join("")}</div>`;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const parts: string[] = [];
  parts.push(
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>`,
  );
  if (pts.length === 0) {
    parts.push(
      `<rect class="grid" x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none"/>`,
      `<text x="${PAD.left + plotW / 2}" y="${PAD.top + plotH / 2}" text-anchor="middle">no data</text>`,
      `</svg>`,
    );
    return `<figure><figcaption>${esc(title)}</figcaption>${parts.join("")}${legend}</figure>`;
  }
  const xMax = Math.max(1, ...pts.map((p) => p[0]));
  // 4 or so gridlines at round values
  const yStep = niceCeil(Math.max(...pts.map((p) => p[1])) / 4);
  const yTicks = Math.max(1, Math.ceil(Math.max(...pts.map((p) => p[1])) / yStep - 1e-9));
  const yMax = yStep * yTicks;
  const x = (t: number) => PAD.left + (t / xMax) * plotW;
  const y = (v: number) => PAD.top + plotH - (v / yMax) * plotH;
  const f = (n: number) => n.toFixed(1);
  for (let i = 0; i <= yTicks; i++) {
    const v = yStep * i;
    parts.push(
      `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(v))}" y2="${f(y(v))}"/>`,
      `<text x="${PAD.left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${esc(fmtTick(v))}</text>`,
    );
  }
  const xStep = niceCeil(xMax / 6);
  for (let t = 0; t <= xMax + 1e-9; t += xStep) {
    parts.push(
      `<line class="axis" x1="${f(x(t))}" x2="${f(x(t))}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH + 4}"/>`,
      `<text x="${f(x(t))}" y="${H - 10}" text-anchor="middle">${esc(fmtElapsed(t * 1000))}</text>`,
    );
  }
  parts.push(
    `<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}"/>`,
    `<text x="4" y="12" text-anchor="start">${esc(yUnit)}</text>`,
  );
  for (const s of series) {
    let run: [number, number][] = [];
    const flush = () => {
      if (run.length === 1) {
        const [t, v] = run[0]!;
        parts.push(`<circle class="${s.cls}" cx="${f(x(t))}" cy="${f(y(v))}" r="2"/>`);
      } else if (run.length > 1) {
        parts.push(
          `<polyline class="${s.cls}" points="${run.map(([t, v]) => `${f(x(t))},${f(y(v))}`).join(" ")}"/>`,
        );
      }
      run = [];
    };
    for (const p of s.points) {
      if (p === null) flush();
      else run.push(p);
    }
    flush();
  }
  parts.push(`</svg>`);
  return `<figure><figcaption>${esc(title)}</figcaption>${parts.join("")}${legend}</figure>`;
}

function charts(report: LoadReport): string {
  const tl = [...report.timeline].sort((a, b) => a.t - b.t);
  // a bucket without responses has no latency: break the line there rather than draw a zero
  const lat = (pick: (b: LoadReport["timeline"][number]) => number) =>
    tl.map((b): [number, number] | null => (b.p50 === 0 && b.p99 === 0 ? null : [b.t, pick(b)]));
  return `<div class="charts">
${lineChart("Requests per second", "req/s", [{ name: "requests sent", cls: "s1", points: tl.map((b) => [b.t, b.requests]) }])}
${lineChart("Latency (corrected)", "ms", [
  { name: "p50", cls: "s1", points: lat((b) => b.p50) },
  { name: "p99", cls: "s2", points: lat((b) => b.p99) },
])}
${lineChart("Errors per second", "err/s", [{ name: "errors", cls: "s4", points: tl.map((b) => [b.t, b.errors]) }])}
${lineChart("Active calls", "calls", [
  { name: "active calls", cls: "s3", points: tl.map((b) => [b.t, b.activeCalls]) },
  { name: "calls started", cls: "s1", points: tl.map((b) => [b.t, b.callsStarted]) },
])}
</div>`;
}

// ---- tables -------------------------------------------------------------------------------------

function card(title: string, rows: [string, string][]): string {
  return `<div class="card"><h3>${esc(title)}</h3><dl>${rows
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join("")}</dl></div>`;
}

function table(head: string[], numeric: boolean[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="n"' : ""}>${esc(h)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ""}>${c}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A percentile is reported at the top of its HDR bucket, which can pass the exact max by < 0.1 %. */
function latencyRow(name: string, s: HistogramSummary): string[] {
  return [
    esc(name),
    esc(fmtInt(s.count)),
    ...[s.min, s.mean, s.p50, s.p90, s.p99, s.p999, s.max].map((v) =>
      esc(s.count ? fmtMs(Math.min(v, s.max)) : "–"),
    ),
  ];
}

function statusOrder(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  if (Number.isFinite(na)) return -1;
  if (Number.isFinite(nb)) return 1;
  return a.localeCompare(b);
}

function statusClass(status: string): string {
  const n = Number(status);
  return Number.isFinite(n) && n >= 200 && n < 300 ? "" : ' class="bad"';
}

// ---- page ---------------------------------------------------------------------------------------

function configLine(report: LoadReport): string {
  const c = report.config;
  const bits: string[] = [
    `rate ${c.rate} (${c.arrivals})`,
    c.durationMs !== undefined ? `duration ${fmtElapsed(c.durationMs)}` : "",
    c.calls !== undefined ? `${fmtInt(c.calls)} calls` : "",
    `speed ${c.speed}`,
    c.maxCalls !== undefined ? `max calls ${fmtInt(c.maxCalls)}` : "",
    `max in flight ${fmtInt(c.maxInflight)}`,
    c.pipelining !== undefined && c.pipelining > 1 ? `pipelining ${fmtInt(c.pipelining)}` : "",
    `seed ${c.seed}`,
  ].filter(Boolean);
  if (c.shards.length > 0)
    bits.push(
      c.shards.length === 1
        ? `shard ${c.shards[0]!.index + 1} of ${c.shards[0]!.count}`
        : `${c.shards.length} shards merged (${c.shards.map((s) => `${s.index + 1}/${s.count}`).join(", ")})`,
    );
  return bits.join(" · ");
}

export function renderHtml(report: LoadReport): string {
  const r = report;
  const c = r.config;
  const title = `pbxsim load report: ${c.target}`;
  const scenarios = c.scenarios.length ? c.scenarios.map((s) => `${s.id}=${s.weight}`).join(", ") : "(none)";

  const thresholds = r.thresholds;
  const failed = thresholds?.filter((t) => !t.ok).length ?? 0;
  const verdict =
    thresholds && thresholds.length > 0
      ? failed === 0
        ? `<div class="verdict ok">all ${thresholds.length} thresholds passed</div>`
        : `<div class="verdict bad">${failed} of ${thresholds.length} thresholds breached</div>`
      : "";

  const cards = [
    card("Calls", [
      ["target", fmtInt(r.calls.target)],
      ["arrived (the arrival draw)", fmtInt(arrivedCalls(r.calls))],
      ["started", fmtInt(r.calls.started)],
      ["completed", fmtInt(r.calls.completed)],
      ["blocked (max calls)", fmtInt(r.calls.blocked)],
      ["skipped (receiver behind)", fmtInt(r.calls.skipped ?? 0)],
    ]),
    card("Requests", [
      ["sent", fmtInt(r.requests.sent)],
      ["delivered", `${fmtInt(r.requests.delivered)} (${pct(r.requests.delivered, r.requests.sent)})`],
      ["failed", `${fmtInt(r.requests.failed)} (${pct(r.requests.failed, r.requests.sent)})`],
      ["retried", fmtInt(r.requests.retried)],
      ["late (>10 ms behind)", fmtInt(r.requests.late)],
      ["cancelled", fmtInt(r.requests.cancelled)],
      ...(r.requests.redirects
        ? [["redirects followed", fmtInt(r.requests.redirects)] as [string, string]]
        : []),
      ["dead-lettered", fmtInt(r.deadLettered)],
    ]),
    card("Rates", [
      ["target calls/s", fmtNum(r.rates.targetCallsPerSec)],
      ["achieved calls/s", fmtNum(r.rates.achievedCallsPerSec)],
      ["achieved / target", pct(r.rates.achievedCallsPerSec, r.rates.targetCallsPerSec)],
      ["started / arrived calls", pct(r.calls.started, arrivedCalls(r.calls))],
      ["target requests/s (due)", fmtNum(r.rates.targetRequestsPerSec)],
      ["achieved requests/s", fmtNum(r.rates.achievedRequestsPerSec)],
      ["achieved / target requests", pct(r.rates.achievedRequestsPerSec, r.rates.targetRequestsPerSec)],
      ["requests/s over the run (retries too)", fmtNum(r.rates.requestsPerSec)],
      ["elapsed", fmtElapsed(r.elapsedMs)],
    ]),
    card("Latency (corrected)", [
      [
        "p50",
        r.latency.corrected.count ? fmtMs(Math.min(r.latency.corrected.p50, r.latency.corrected.max)) : "–",
      ],
      [
        "p99",
        r.latency.corrected.count ? fmtMs(Math.min(r.latency.corrected.p99, r.latency.corrected.max)) : "–",
      ],
      ["max", r.latency.corrected.count ? fmtMs(r.latency.corrected.max) : "–"],
      ["scheduling lag p99", r.lag.count ? fmtMs(Math.min(r.lag.p99, r.lag.max)) : "–"],
    ]),
  ].join("\n");

  const latencyTable = table(
    ["", "count", "min", "mean", "p50", "p90", "p99", "p99.9", "max"],
    [false, true, true, true, true, true, true, true, true],
    [
      latencyRow("corrected (from due time)", r.latency.corrected),
      latencyRow("service (from send time)", r.latency.service),
      latencyRow("scheduling lag", r.lag),
    ],
    "",
  );

  const totalStatuses = Object.values(r.statuses).reduce((a, b) => a + b, 0);
  const statusTable = table(
    ["status", "count", "share"],
    [false, true, true],
    Object.entries(r.statuses)
      .sort(([a], [b]) => statusOrder(a, b))
      .map(([s, n]) => [
        `<span${statusClass(s)}>${esc(s)}</span>`,
        esc(fmtInt(n)),
        esc(pct(n, totalStatuses)),
      ]),
    "No responses.",
  );

  const eventTable = table(
    ["vendor", "event", "status", "count", "p50", "p99", "max"],
    [false, false, false, true, true, true, true],
    Object.values(r.byEvent)
      .sort(
        (a, b) =>
          a.vendor.localeCompare(b.vendor) ||
          a.event.localeCompare(b.event) ||
          statusOrder(a.status, b.status),
      )
      .map((e) => [
        esc(e.vendor),
        esc(e.event),
        `<span${statusClass(e.status)}>${esc(e.status)}</span>`,
        esc(fmtInt(e.corrected.count)),
        esc(e.corrected.count ? fmtMs(Math.min(e.corrected.p50, e.corrected.max)) : "–"),
        esc(e.corrected.count ? fmtMs(Math.min(e.corrected.p99, e.corrected.max)) : "–"),
        esc(e.corrected.count ? fmtMs(e.corrected.max) : "–"),
      ]),
    "No requests were sent.",
  );

  const errorTable = table(
    ["reason", "count"],
    [false, true],
    Object.entries(r.errors)
      .sort(([ra, a], [rb, b]) => b - a || ra.localeCompare(rb))
      .map(([reason, n]) => [esc(reason), esc(fmtInt(n))]),
    "No failed deliveries.",
  );

  const thresholdTable =
    thresholds === undefined || thresholds.length === 0
      ? `<p class="muted">No thresholds were set (e.g. <code>--threshold 'p99&lt;250ms'</code>).</p>`
      : table(
          ["threshold", "actual", "result"],
          [false, false, false],
          thresholds.map((t) => [
            `<code>${esc(t.expr)}</code>`,
            esc(t.actual),
            t.ok ? `<span class="ok">pass</span>` : `<span class="bad">FAIL</span>`,
          ]),
          "",
        );

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>pbxsim load report</h1>
<div>target <strong>${esc(c.target)}</strong> · scenarios ${esc(scenarios)}</div>
<div class="muted">${esc(configLine(r))}</div>
<div class="muted">${esc(r.startedAt)} → ${esc(r.endedAt)} (${esc(fmtElapsed(r.elapsedMs))})</div>
${r.stopped ? `<div><strong>stopped early:</strong> ${esc(r.stopped.message)}</div>` : ""}
${verdict}
</header>

<h2>Summary</h2>
<div class="cards">
${cards}
</div>

<h2>Latency</h2>
${latencyTable}
<p class="muted">Corrected latency runs from the moment each request was due, so a receiver that falls behind shows its queueing delay (no coordinated omission). Scheduling lag is how late pbxsim itself sent each request.</p>

<h2>Over time</h2>
${charts(r)}

<h2>Statuses</h2>
${statusTable}

<h2>By event</h2>
${eventTable}

<h2>Errors</h2>
${errorTable}

<h2>Thresholds</h2>
${thresholdTable}

<footer class="muted"><p>Generated by pbxsim.</p></footer>
</body>
</html>
`;
}
