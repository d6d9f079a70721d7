import type { CheckResult } from "./battery.js";

/**
 * JUnit XML for CI servers: one testsuite, one testcase per check, a `<failure>` for each failed
 * check and a `<skipped>` for each check that did not apply. The classname groups checks by vendor.
 */
export function toJUnit(suite: string, results: CheckResult[]): string {
  const failures = results.filter((r) => !r.ok).length;
  const skipped = results.filter((r) => r.ok && r.skipped).length;
  const time = seconds(results.reduce((s, r) => s + r.durationMs, 0));
  const counts = `tests="${results.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}"`;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${attr(suite)}" ${counts}>`,
    `  <testsuite name="${attr(suite)}" ${counts} timestamp="${new Date().toISOString().replace(/\.\d+Z$/, "")}">`,
  ];
  for (const r of results) {
    const classname = `${suite}.${r.vendor}`;
    const open = `    <testcase classname="${attr(classname)}" name="${attr(r.name)}" time="${seconds(r.durationMs)}"`;
    const out = `      <system-out>${text(`${r.id}\nrule: ${r.rule}\n${r.detail}`)}</system-out>`;
    if (!r.ok) {
      lines.push(
        `${open}>`,
        `      <failure message="${attr(r.detail)}" type="${attr(r.id)}">${text(`${r.detail}\n\nrule: ${r.rule}`)}</failure>`,
        out,
        `    </testcase>`,
      );
    } else if (r.skipped) {
      lines.push(`${open}>`, `      <skipped message="${attr(r.detail)}"/>`, out, `    </testcase>`);
    } else {
      lines.push(`${open}>`, out, `    </testcase>`);
    }
  }
  lines.push(`  </testsuite>`, `</testsuites>`, "");
  return lines.join("\n");
}

/** One line for the end of a run: how many checks passed, failed and were skipped, and which failed. */
export function summaryLine(results: CheckResult[]): string {
  const failed = results.filter((r) => !r.ok);
  const skipped = results.filter((r) => r.ok && r.skipped).length;
  const passed = results.length - failed.length - skipped;
  const parts = [`${passed} passed`, `${failed.length} failed`];
  if (skipped) parts.push(`${skipped} skipped`);
  const which = failed.length ? `: ${failed.map((r) => r.id).join(", ")}` : "";
  return `${results.length} checks: ${parts.join(", ")}${which}`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** XML 1.0 allows tab, newline, carriage return and printable characters; everything else is dropped. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "");
}

function text(s: string): string {
  return clean(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function attr(s: string): string {
  return text(s)
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}
