// CI's advisory check (.ci/run): `npm audit --omit=dev`, failing on high or critical
// advisories in the production dependencies. When the registry's advisory endpoint cannot
// be reached (a mirror or proxy that serves only GET answers 405; no network), nothing was
// checked: that is said on stderr, and CI goes on unless CHASSIS_CI_REQUIRE_AUDIT=1 makes
// it a failure. Run: node --require tsx/cjs scripts/ci-audit.ts
import { spawnSync } from 'node:child_process';

/** What one `npm audit` run means for CI. */
export interface AuditVerdict {
  /** `unavailable`: no report, so nothing was checked. */
  status: 'clean' | 'advisories' | 'unavailable';
  message: string;
}

/** Severities that fail CI. */
const FAILING = new Set(['high', 'critical']);

interface AuditReport {
  message?: string;
  error?: { code?: string; summary?: string };
  vulnerabilities?: Record<string, { name: string; severity: string; fixAvailable?: unknown }>;
  metadata?: { vulnerabilities?: Record<string, number> };
}

/** Reads the output of `npm audit --json`. */
export function auditVerdict(output: string): AuditVerdict {
  let report: AuditReport | null;
  try {
    report = JSON.parse(output) as AuditReport | null;
  } catch {
    return { status: 'unavailable', message: `npm audit printed no JSON report: ${output.trim().slice(0, 200)}` };
  }
  const counts = report?.metadata?.vulnerabilities;
  if (counts === undefined) {
    const reason = report?.message || report?.error?.summary || report?.error?.code || 'no report';
    return { status: 'unavailable', message: `npm audit could not reach the advisory service (${reason})` };
  }
  const failing = Object.values(report?.vulnerabilities ?? {}).filter((entry) => FAILING.has(entry.severity));
  const summary = ['critical', 'high', 'moderate', 'low'].map((severity) => `${counts[severity] ?? 0} ${severity}`);
  if (failing.length === 0) {
    return {
      status: 'clean',
      message: `npm audit: no high or critical advisories in production dependencies (${summary.join(', ')})`,
    };
  }
  const names = failing.map(
    (entry) => `${entry.name} (${entry.severity}${entry.fixAvailable ? ', fix available' : ''})`,
  );
  return {
    status: 'advisories',
    message: `npm audit: high or critical advisories in production dependencies: ${names.join(', ')}; run "npm audit --omit=dev" for details and "npm audit fix" where a fix exists`,
  };
}

function main(): number {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['audit', '--omit=dev', '--audit-level=high', '--json'], { encoding: 'utf8' });
  const verdict = auditVerdict(run.stdout ?? '');
  if (verdict.status === 'unavailable') {
    const required = process.env.CHASSIS_CI_REQUIRE_AUDIT === '1';
    process.stderr.write(
      `${required ? 'error' : 'warning'}: ${verdict.message}: production dependencies were NOT checked for advisories` +
        `${required ? '' : ' (set CHASSIS_CI_REQUIRE_AUDIT=1 to fail CI on this)'}\n`,
    );
    return required ? 1 : 0;
  }
  (verdict.status === 'clean' ? process.stdout : process.stderr).write(`${verdict.message}\n`);
  return verdict.status === 'clean' ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
