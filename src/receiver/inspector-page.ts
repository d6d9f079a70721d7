import { createHash } from "node:crypto";

/**
 * The inspector page: one self-contained HTML document with inline CSS and JavaScript and no
 * outside resources. It reads the records from the `events` stream next to it (a snapshot, then
 * each new record) and builds everything with DOM text nodes, so a body holding markup stays text.
 * Stable `data-testid` attributes name the parts a person looks at.
 */

export interface InspectorConfig {
  vendors: { id: string; name: string; auth: "token" | "signature" | "none" }[];
  /** The page keeps at most this many records. */
  limit: number;
}

const STYLE = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #fff; --text: #1d2330; --muted: #5d6677; --line: #d9dde5;
  --ok: #17663a; --ok-bg: #e3f4e9; --bad: #a3161b; --bad-bg: #fde8e8; --warn: #8a5300; --warn-bg: #fff1d6;
  --info: #1f4fa3; --info-bg: #e5edfb; --grey-bg: #eceef2; --accent: #3a5bd9;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171c; --panel: #1c2028; --text: #e4e7ed; --muted: #9aa3b2; --line: #2f3541;
    --ok: #7fd6a0; --ok-bg: #17301f; --bad: #ff9a9a; --bad-bg: #3a1a1c; --warn: #f3c26b; --warn-bg: #362a12;
    --info: #9db8ff; --info-bg: #1c2742; --grey-bg: #2a2f39; --accent: #8aa2ff;
  }
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.top { position: sticky; top: 0; z-index: 2; background: var(--panel); border-bottom: 1px solid var(--line); padding: 10px 20px; }
.top-row { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 18px; }
h1 { font-size: 18px; margin: 0; }
.conn { margin: 0; font-size: 13px; color: var(--muted); }
.conn::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: var(--muted); }
.conn[data-state="live"]::before { background: #21a35a; }
.conn[data-state="reconnecting"]::before, .conn[data-state="disconnected"]::before { background: #d23b3b; }
.counts { margin: 0; color: var(--muted); }
.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; margin-top: 8px; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
.filters select, .filters input, .filters button { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: var(--text); }
.filters input { min-width: 220px; }
.filters button { cursor: pointer; }
main { padding: 16px 20px 40px; display: flex; flex-direction: column; gap: 18px; }
.notice { color: var(--muted); margin: 0; }
.vendor { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.vendor > h2 { font-size: 16px; margin: 0 0 10px; display: flex; align-items: baseline; gap: 10px; }
.vendor > h2 .sub { font-size: 13px; font-weight: normal; color: var(--muted); }
.calls { display: flex; flex-direction: column; gap: 10px; }
.call { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.call > header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px; margin-bottom: 6px; }
.call h3 { font-size: 14px; margin: 0; }
.call h3 code { font-weight: 600; }
.call .sub { color: var(--muted); font-size: 12.5px; }
.call.nocall h3 { font-style: italic; }
.timeline { list-style: none; margin: 0; padding: 0 0 0 14px; border-left: 2px solid var(--line); }
.ev { position: relative; margin: 0; padding: 3px 0 3px 8px; }
.ev::before { content: ""; position: absolute; left: -20px; top: 9px; width: 10px; height: 10px; border-radius: 50%; background: var(--panel); border: 2px solid var(--accent); }
.ev.invalid::before, .ev.authfail::before { border-color: var(--bad); background: var(--bad); }
.ev.fresh { animation: arrive 1.5s ease-out; }
@keyframes arrive { from { background: var(--info-bg); } to { background: transparent; } }
.ev summary { cursor: pointer; display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; list-style: none; border-radius: 6px; padding: 2px 4px; }
.ev summary::-webkit-details-marker { display: none; }
.ev summary::before { content: "\25B8"; color: var(--muted); width: 10px; }
.ev details[open] > summary::before { content: "\25BE"; }
.ev summary:hover { background: var(--grey-bg); }
.ev summary:focus-visible { outline: 2px solid var(--accent); }
.seq { color: var(--muted); font-size: 12px; min-width: 3.2em; }
.ev time { color: var(--muted); }
.name { font-weight: 600; }
.name.unknown { font-style: italic; color: var(--muted); }
.badge { display: inline-block; font-size: 11.5px; line-height: 1.5; padding: 0 7px; border-radius: 999px; background: var(--grey-bg); color: var(--muted); white-space: nowrap; }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.bad { background: var(--bad-bg); color: var(--bad); font-weight: 600; }
.badge.warn { background: var(--warn-bg); color: var(--warn); font-weight: 600; }
.badge.info { background: var(--info-bg); color: var(--info); font-weight: 600; }
.issues { margin: 2px 0 4px 22px; padding: 6px 10px 6px 26px; background: var(--bad-bg); color: var(--bad); border-left: 3px solid var(--bad); border-radius: 4px; }
.issues li { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.detail { margin: 6px 0 8px 22px; padding: 10px 12px; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; overflow: auto; }
.detail h4 { margin: 10px 0 4px; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.detail h4:first-child { margin-top: 0; }
.detail dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.detail dt { color: var(--muted); }
.detail dd { margin: 0; word-break: break-all; }
.detail table { border-collapse: collapse; width: 100%; }
.detail th, .detail td { text-align: left; vertical-align: top; padding: 2px 8px 2px 0; border-bottom: 1px solid var(--line); word-break: break-all; }
.detail th { font-weight: 600; white-space: nowrap; width: 1%; }
.detail pre { margin: 0; white-space: pre-wrap; word-break: break-word; max-height: 480px; overflow: auto; }
[hidden] { display: none !important; }
`;

const SCRIPT = String.raw`
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("pbxsim-config").textContent || "{}");
  var vendorList = config.vendors || [];
  var vendorById = new Map(vendorList.map(function (v) { return [v.id, v]; }));
  var LIMIT = config.limit || 2000;
  var NO_CALL = "";

  var groupsEl = document.getElementById("groups");
  var connEl = document.getElementById("connection");
  var countsEl = document.getElementById("counts");
  var emptyEl = document.getElementById("empty");
  var nomatchEl = document.getElementById("nomatch");
  var vendorSel = document.getElementById("filter-vendor");
  var eventInput = document.getElementById("filter-event");
  var outcomeSel = document.getElementById("filter-outcome");
  var clearBtn = document.getElementById("filter-clear");

  /** seq -> { rec, li } */
  var bySeq = new Map();
  /** seqs in arrival order, for dropping the oldest past LIMIT */
  var arrival = [];
  /** vendor key -> { el, sub, calls: Map(call key -> call group) } */
  var vendors = new Map();
  var open = new Set();
  var serverTotal = 0;
  var pending = false;

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === "class") el.className = v;
        else el.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === undefined || c === null || c === false) return;
      el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return el;
  }

  function pad(n, w) { n = String(n); while (n.length < w) n = "0" + n; return n; }
  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2) + "." + pad(d.getMilliseconds(), 3);
  }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many || one + "s"); }

  function vendorKey(rec) { return rec.vendor || "unknown"; }
  function callKey(rec) { return rec.callId || NO_CALL; }
  function vendorName(key) {
    var v = vendorById.get(key);
    return v ? v.name : key === "unknown" ? "Unknown vendor" : key;
  }
  function authFailed(rec) { return rec.auth === "missing" || rec.auth === "bad"; }
  function authLabel(rec) {
    var v = vendorById.get(rec.vendor || "");
    var what = v && v.auth === "signature" ? "signature" : v && v.auth === "token" ? "token" : "auth";
    if (rec.auth === "ok") return what + " ok";
    if (rec.auth === "missing") return what + " missing";
    if (rec.auth === "bad") return what + " bad";
    return what === "auth" ? "auth not checked" : what + " not checked";
  }

  function prettyBody(rec) {
    var body = rec.body || "";
    if (body === "") return { text: "(empty body)", kind: "empty" };
    var ct = (rec.headers && rec.headers["content-type"]) || "";
    try {
      return { text: JSON.stringify(JSON.parse(body), null, 2), kind: "json" };
    } catch (e) { /* not JSON */ }
    if (/x-www-form-urlencoded/i.test(ct)) {
      var lines = [];
      new URLSearchParams(body).forEach(function (value, key) { lines.push(key + " = " + value); });
      return { text: lines.join("\n"), kind: "form" };
    }
    return { text: body, kind: "text" };
  }

  function detailOf(rec) {
    var meta = h("dl", null, [
      h("dt", null, ["request"]), h("dd", { class: "mono" }, [rec.method + " " + rec.path]),
      h("dt", null, ["received"]), h("dd", { class: "mono" }, [rec.receivedAt]),
      h("dt", null, ["answered"]), h("dd", { class: "mono" }, [String(rec.status)]),
      rec.callId ? h("dt", null, ["call id"]) : null, rec.callId ? h("dd", { class: "mono" }, [rec.callId]) : null,
      rec.dedupeKey ? h("dt", null, ["dedupe key"]) : null, rec.dedupeKey ? h("dd", { class: "mono" }, [rec.dedupeKey]) : null,
      rec.fault ? h("dt", null, ["fault"]) : null, rec.fault ? h("dd", null, [rec.fault]) : null,
    ]);
    var rows = Object.keys(rec.headers || {}).sort().map(function (k) {
      return h("tr", null, [h("th", { scope: "row", class: "mono" }, [k]), h("td", { class: "mono" }, [rec.headers[k]])]);
    });
    var body = prettyBody(rec);
    return h("div", { class: "detail", "data-testid": "event-detail" }, [
      h("h4", null, ["Delivery"]), meta,
      h("h4", null, ["Headers"]),
      h("table", { "data-testid": "event-headers" }, [h("tbody", null, rows)]),
      h("h4", null, ["Body" + (body.kind === "json" ? " (JSON)" : body.kind === "form" ? " (form fields)" : "")]),
      h("pre", { "data-testid": "event-body", "data-kind": body.kind }, [h("code", null, [body.text])]),
    ]);
  }

  function eventItem(rec) {
    var invalid = !rec.valid;
    var classes = ["ev"];
    if (invalid) classes.push("invalid");
    if (authFailed(rec)) classes.push("authfail");
    var statusClass = rec.status >= 500 ? "bad" : rec.status >= 400 ? "warn" : rec.status >= 200 && rec.status < 300 ? "ok" : "";
    var summary = h("summary", null, [
      h("span", { class: "seq mono", title: "arrival number" }, ["#" + rec.seq]),
      h("time", { "data-testid": "event-time", datetime: rec.receivedAt, title: rec.receivedAt, class: "mono" }, [clock(rec.receivedAt)]),
      h("span", { class: "name" + (rec.event ? "" : " unknown"), "data-testid": "event-name" }, [rec.event || "(unknown event)"]),
      h("span", { class: "badge " + statusClass, "data-testid": "event-status", title: "status answered" }, [String(rec.status)]),
      h("span", { class: "badge " + (invalid ? "bad" : "ok"), "data-testid": "validation" }, [invalid ? "invalid" : "valid"]),
      h("span", {
        class: "badge " + (rec.auth === "ok" ? "ok" : authFailed(rec) ? "bad" : ""),
        "data-testid": "auth",
        "data-auth": rec.auth,
      }, [authLabel(rec)]),
      rec.duplicate ? h("span", { class: "badge warn", "data-testid": "badge-duplicate", title: "the same event was received before" }, ["duplicate"]) : null,
      rec.outOfOrder ? h("span", { class: "badge info", "data-testid": "badge-out-of-order", title: "an earlier-received event of this call carries a later vendor timestamp" }, ["out of order"]) : null,
      rec.fault ? h("span", { class: "badge warn", "data-testid": "badge-fault", title: rec.fault }, ["fault injected"]) : null,
    ]);
    var details = h("details", { "data-seq": rec.seq }, [summary]);
    var issues = rec.issues && rec.issues.length
      ? h("ul", { class: "issues", "data-testid": "issues" }, rec.issues.map(function (i) { return h("li", null, [i]); }))
      : null;
    // the headers and body follow the issues, built when first opened
    var detail = null;
    var show = function () {
      if (details.open) {
        open.add(rec.seq);
        if (!detail) { detail = detailOf(rec); li.appendChild(detail); }
        detail.hidden = false;
      } else {
        open.delete(rec.seq);
        if (detail) detail.hidden = true;
      }
    };
    details.addEventListener("toggle", show);
    var li = h("li", {
      class: classes.join(" "),
      "data-testid": "event",
      "data-seq": rec.seq,
      "data-event": rec.event || "",
      "data-status": rec.status,
      "data-valid": String(!invalid),
      "data-auth": rec.auth,
      "data-duplicate": String(!!rec.duplicate),
      "data-out-of-order": String(!!rec.outOfOrder),
    }, [details, issues]);
    if (open.has(rec.seq)) { details.open = true; show(); }
    return li;
  }

  function vendorGroup(key) {
    var g = vendors.get(key);
    if (g) return g;
    var sub = h("span", { class: "sub", "data-testid": "vendor-summary" });
    var calls = h("div", { class: "calls" });
    var el = h("section", { class: "vendor", "data-testid": "vendor-group", "data-vendor": key, "aria-label": vendorName(key) }, [
      h("h2", null, [h("span", { "data-testid": "vendor-name" }, [vendorName(key)]), sub]),
      calls,
    ]);
    g = { key: key, el: el, sub: sub, callsEl: calls, calls: new Map() };
    vendors.set(key, g);
    // vendors keep the receiver's order; unknown senders last
    var rank = function (k) { var i = vendorList.findIndex(function (v) { return v.id === k; }); return i < 0 ? vendorList.length : i; };
    var before = null;
    vendors.forEach(function (other) {
      if (before === null && other !== g && other.el.parentNode && rank(other.key) > rank(key)) before = other.el;
    });
    groupsEl.insertBefore(el, before);
    return g;
  }

  function callGroup(vg, key) {
    var c = vg.calls.get(key);
    if (c) return c;
    var sub = h("span", { class: "sub", "data-testid": "call-summary" });
    var flags = h("span", { class: "flags" });
    var timeline = h("ol", { class: "timeline", "data-testid": "timeline" });
    var title = key === NO_CALL
      ? h("h3", null, ["no call id"])
      : h("h3", null, ["call ", h("code", { "data-testid": "call-id" }, [key])]);
    var el = h("article", {
      class: "call" + (key === NO_CALL ? " nocall" : ""),
      "data-testid": "call-group",
      "data-call-id": key,
    }, [h("header", null, [title, sub, flags]), timeline]);
    c = { key: key, el: el, sub: sub, flags: flags, timeline: timeline, seqs: [] };
    vg.calls.set(key, c);
    // the newest call first; events without a call id stay at the bottom
    if (key === NO_CALL) vg.callsEl.appendChild(el);
    else vg.callsEl.insertBefore(el, vg.callsEl.firstChild);
    return c;
  }

  function add(rec, fresh) {
    if (!rec || typeof rec.seq !== "number" || bySeq.has(rec.seq)) return;
    var li = eventItem(rec);
    if (fresh) {
      li.classList.add("fresh");
      setTimeout(function () { li.classList.remove("fresh"); }, 1600);
    }
    li.hidden = !matches(rec);
    var c = callGroup(vendorGroup(vendorKey(rec)), callKey(rec));
    c.seqs.push(rec.seq);
    c.timeline.appendChild(li);
    bySeq.set(rec.seq, { rec: rec, li: li });
    arrival.push(rec.seq);
    while (arrival.length > LIMIT) drop(arrival.shift());
  }

  function drop(seq) {
    var item = bySeq.get(seq);
    if (!item) return;
    bySeq.delete(seq);
    open.delete(seq);
    item.li.remove();
    var vg = vendors.get(vendorKey(item.rec));
    var c = vg && vg.calls.get(callKey(item.rec));
    if (!c) return;
    c.seqs = c.seqs.filter(function (s) { return s !== seq; });
    if (c.seqs.length === 0) { c.el.remove(); vg.calls.delete(c.key); }
    if (vg.calls.size === 0) { vg.el.remove(); vendors.delete(vg.key); }
  }

  function clearAll() {
    bySeq.clear();
    arrival = [];
    vendors.forEach(function (g) { g.el.remove(); });
    vendors.clear();
  }

  function filters() {
    return { vendor: vendorSel.value, event: eventInput.value.trim().toLowerCase(), outcome: outcomeSel.value };
  }

  function matches(rec, f) {
    f = f || filters();
    if (f.vendor && vendorKey(rec) !== f.vendor) return false;
    if (f.event && (rec.event || "").toLowerCase().indexOf(f.event) < 0) return false;
    switch (f.outcome) {
      case "valid": return !!rec.valid;
      case "invalid": return !rec.valid;
      case "auth-failed": return authFailed(rec);
      case "duplicates": return !!rec.duplicate;
      case "out-of-order": return !!rec.outOfOrder;
      default: return true;
    }
  }

  function flagBadge(n, one, cls, many) {
    return n ? h("span", { class: "badge " + cls }, [plural(n, one, many)]) : null;
  }

  function refresh() {
    pending = false;
    var f = filters();
    var shown = 0, invalid = 0, authBad = 0, dups = 0, late = 0;
    vendors.forEach(function (vg) {
      var vShown = 0, vTotal = 0;
      vg.calls.forEach(function (c) {
        var cShown = 0, bad = 0, dup = 0, ooo = 0, auth = 0;
        c.seqs.forEach(function (seq) {
          var item = bySeq.get(seq);
          var m = matches(item.rec, f);
          item.li.hidden = !m;
          if (m) cShown++;
          if (!item.rec.valid) bad++;
          if (authFailed(item.rec)) auth++;
          if (item.rec.duplicate) dup++;
          if (item.rec.outOfOrder) ooo++;
        });
        var first = bySeq.get(c.seqs[0]).rec, last = bySeq.get(c.seqs[c.seqs.length - 1]).rec;
        c.sub.textContent = (cShown === c.seqs.length ? plural(c.seqs.length, "event") : cShown + " of " + plural(c.seqs.length, "event") + " shown") +
          " \u00b7 " + clock(first.receivedAt) + (c.seqs.length > 1 ? " \u2013 " + clock(last.receivedAt) : "");
        c.flags.replaceChildren.apply(c.flags, [
          flagBadge(bad, "invalid", "bad", "invalid"), flagBadge(auth, "auth failure", "bad"),
          flagBadge(dup, "duplicate", "warn"), flagBadge(ooo, "out of order", "info", "out of order"),
        ].filter(Boolean));
        c.el.hidden = cShown === 0;
        vShown += cShown; vTotal += c.seqs.length;
        invalid += bad; authBad += auth; dups += dup; late += ooo;
      });
      var calls = 0;
      vg.calls.forEach(function (c) { if (c.key !== NO_CALL) calls++; });
      vg.sub.textContent = plural(vTotal, "event") + " \u00b7 " + plural(calls, "call");
      vg.el.hidden = vShown === 0;
      shown += vShown;
    });
    var total = bySeq.size;
    var parts = [plural(Math.max(serverTotal, total), "delivery", "deliveries")];
    if (invalid) parts.push(invalid + " invalid");
    if (authBad) parts.push(plural(authBad, "auth failure"));
    if (dups) parts.push(plural(dups, "duplicate"));
    if (late) parts.push(late + " out of order");
    if (shown !== total) parts.push(shown + " shown");
    if (serverTotal > total) parts.push("latest " + total + " kept");
    countsEl.textContent = parts.join(" \u00b7 ");
    countsEl.setAttribute("data-total", String(total));
    countsEl.setAttribute("data-shown", String(shown));
    emptyEl.hidden = total !== 0;
    nomatchEl.hidden = !(total !== 0 && shown === 0);
  }

  function schedule() {
    if (pending) return;
    pending = true;
    setTimeout(refresh, 30);
  }

  function setConn(state, text) {
    connEl.setAttribute("data-state", state);
    connEl.textContent = text;
  }

  function connect() {
    setConn("connecting", "connecting\u2026");
    var es = new EventSource("events");
    es.addEventListener("open", function () { setConn("live", "live"); });
    es.addEventListener("snapshot", function (e) {
      var data = JSON.parse(e.data);
      clearAll();
      serverTotal = data.total || 0;
      (data.records || []).forEach(function (r) { add(r, false); });
      schedule();
    });
    es.addEventListener("record", function (e) {
      serverTotal++;
      add(JSON.parse(e.data), true);
      schedule();
    });
    es.addEventListener("error", function () {
      if (es.readyState === EventSource.CLOSED) {
        setConn("disconnected", "disconnected, retrying\u2026");
        setTimeout(connect, 3000);
      } else setConn("reconnecting", "reconnecting\u2026");
    });
  }

  function saveFilters() {
    var f = filters();
    var q = new URLSearchParams();
    if (f.vendor) q.set("vendor", f.vendor);
    if (eventInput.value.trim()) q.set("event", eventInput.value.trim());
    if (f.outcome !== "all") q.set("outcome", f.outcome);
    var s = q.toString();
    history.replaceState(null, "", s ? "?" + s : location.pathname);
  }

  vendorList.forEach(function (v) { vendorSel.appendChild(h("option", { value: v.id }, [v.name])); });
  vendorSel.appendChild(h("option", { value: "unknown" }, ["Unknown vendor"]));
  var initial = new URLSearchParams(location.search);
  if (initial.get("vendor")) vendorSel.value = initial.get("vendor");
  if (initial.get("event")) eventInput.value = initial.get("event");
  if (initial.get("outcome")) outcomeSel.value = initial.get("outcome");
  if (!outcomeSel.value) outcomeSel.value = "all";

  [vendorSel, outcomeSel].forEach(function (el) { el.addEventListener("change", function () { saveFilters(); refresh(); }); });
  eventInput.addEventListener("input", function () { saveFilters(); refresh(); });
  clearBtn.addEventListener("click", function () {
    vendorSel.value = ""; eventInput.value = ""; outcomeSel.value = "all";
    saveFilters(); refresh();
  });
  document.getElementById("receiver-url").textContent = location.origin + "/<vendor>";

  refresh();
  connect();
})();
`;

function sha256(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/** Only the page's own inline script and style run; it talks only to its own origin. */
export const INSPECTOR_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** JSON that is safe inside a `<script type="application/json">` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}

export function inspectorPage(config: InspectorConfig): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>pbxsim inspector</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header class="top" data-testid="toolbar">
  <div class="top-row">
    <h1>pbxsim inspector</h1>
    <p class="conn" id="connection" data-testid="connection" data-state="connecting" role="status">connecting…</p>
    <p class="counts" id="counts" data-testid="counts" aria-live="polite">0 deliveries</p>
  </div>
  <form class="filters" role="search" data-testid="filters" aria-label="Filter deliveries">
    <label>Vendor
      <select id="filter-vendor" name="vendor" data-testid="filter-vendor"><option value="">all vendors</option></select>
    </label>
    <label>Event name
      <input id="filter-event" name="event" type="search" placeholder="contains…" autocomplete="off" data-testid="filter-event">
    </label>
    <label>Outcome
      <select id="filter-outcome" name="outcome" data-testid="filter-outcome">
        <option value="all">all</option>
        <option value="valid">valid</option>
        <option value="invalid">invalid</option>
        <option value="auth-failed">auth failed</option>
        <option value="duplicates">duplicates</option>
        <option value="out-of-order">out of order</option>
      </select>
    </label>
    <button type="button" id="filter-clear" data-testid="filter-clear">Clear filters</button>
  </form>
</header>
<main id="groups" data-testid="groups">
  <p class="notice" id="empty" data-testid="empty">No webhooks received yet. Point a vendor, or <code>pbxsim run</code>, at <code id="receiver-url"></code>; deliveries appear here as they arrive.</p>
  <p class="notice" id="nomatch" data-testid="no-match" hidden>No deliveries match the filters.</p>
</main>
<script type="application/json" id="pbxsim-config">${scriptJson(config)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
