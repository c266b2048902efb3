import { auditVerdict } from '../../scripts/ci-audit';

// The shapes `npm audit --json` prints (auditReportVersion 2), cut down to the fields CI reads.
const report = (vulnerabilities: Record<string, { severity: string; fixAvailable: boolean }>) =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities: Object.fromEntries(
      Object.entries(vulnerabilities).map(([name, entry]) => [name, { name, isDirect: false, via: [], ...entry }]),
    ),
    metadata: {
      vulnerabilities: {
        info: 0,
        low: Object.values(vulnerabilities).filter((entry) => entry.severity === 'low').length,
        moderate: Object.values(vulnerabilities).filter((entry) => entry.severity === 'moderate').length,
        high: Object.values(vulnerabilities).filter((entry) => entry.severity === 'high').length,
        critical: Object.values(vulnerabilities).filter((entry) => entry.severity === 'critical').length,
      },
    },
  });

describe('CI advisory check (scripts/ci-audit.ts)', () => {
  test('low and moderate advisories pass, and are counted', () => {
    expect(
      auditVerdict(
        report({ a: { severity: 'low', fixAvailable: true }, b: { severity: 'moderate', fixAvailable: false } }),
      ),
    ).toEqual({
      status: 'clean',
      message:
        'npm audit: no high or critical advisories in production dependencies (0 critical, 0 high, 1 moderate, 1 low)',
    });
  });

  test('a high or critical advisory fails, naming the packages', () => {
    const verdict = auditVerdict(
      report({ undici: { severity: 'high', fixAvailable: true }, tar: { severity: 'critical', fixAvailable: false } }),
    );
    expect(verdict.status).toBe('advisories');
    expect(verdict.message).toContain('undici (high, fix available), tar (critical)');
  });

  test('an endpoint that cannot be reached is "unavailable", never clean', () => {
    // What this machine's registry answers: the bulk advisory endpoint only allows GET.
    const refused = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      method: 'POST',
      statusCode: 405,
      error: { summary: '', detail: '' },
    });
    expect(auditVerdict(refused)).toEqual({
      status: 'unavailable',
      message:
        'npm audit could not reach the advisory service (405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk)',
    });
    expect(auditVerdict(JSON.stringify({ error: { code: 'ENOTFOUND', summary: '' } })).status).toBe('unavailable');
    expect(auditVerdict('').status).toBe('unavailable');
  });
});
