import { ComplianceReport } from './model';
import { constructsOf, ValidationReport } from './validation-report';

function xml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // XML 1.0 cannot carry control characters other than tab, newline and carriage return.
      .split('')
      .filter((c) => c >= ' ' || c === '\t' || c === '\n' || c === '\r')
      .join('')
  );
}

interface Case {
  readonly name: string;
  readonly classname: string;
  readonly failure?: { readonly type: string; readonly message: string };
  readonly out?: string;
}

function suite(name: string, cases: readonly Case[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const body = cases
    .map((c) => {
      const open = `    <testcase name="${xml(c.name)}" classname="${xml(c.classname)}" time="0"`;
      const inner = [
        c.failure ? `      <failure type="${xml(c.failure.type)}" message="${xml(c.failure.message)}"/>` : '',
        c.out ? `      <system-out>${xml(c.out)}</system-out>` : '',
      ].filter(Boolean);
      return inner.length === 0 ? `${open}/>` : `${open}>\n${inner.join('\n')}\n    </testcase>`;
    })
    .join('\n');
  return `  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="0">\n${body}\n  </testsuite>`;
}

/**
 * `reports/compliance-junit.xml`: a test suite per pack with a test case per rule x resource outcome (compliant and
 * acknowledged pass, the latter with its reason, owner and review-by in system-out; non-compliant and rule errors
 * fail), plus the built-in CloudFormation validation's open findings, for CI test tabs. Deterministic: no timestamps.
 */
export function renderJunit(report: ComplianceReport, validation: ValidationReport | undefined): string {
  const packs = [...new Set(report.findings.map((f) => f.pack))];
  const suites = packs.map((pack) =>
    suite(
      pack,
      report.findings
        .filter((f) => f.pack === pack)
        .map((f) => ({
          name: `${f.rule}${f.finding !== undefined ? `[${f.finding}]` : ''} ${f.resource}`,
          classname: `${pack}.${f.stack}`,
          ...(f.status === 'non-compliant' || f.status === 'error'
            ? {
                failure: {
                  type: f.status,
                  message: f.error ?? report.rules.find((r) => r.rule === f.rule)?.info ?? f.rule,
                },
              }
            : {}),
          ...(f.acknowledgement
            ? {
                out:
                  `acknowledged (${f.acknowledgement.id}): ${f.acknowledgement.reason}; owner ` +
                  `${f.acknowledgement.owner ?? 'none'}, review by ${f.acknowledgement.reviewBy ?? 'none'}`,
              }
            : {}),
        })),
    ),
  );
  // The built-in validation records no passes; only its open findings can be listed.
  const builtIn = (validation?.pluginReports ?? []).filter((p) => !packs.includes(p.pluginName));
  let builtInFailures = 0;
  for (const plugin of builtIn) {
    builtInFailures += plugin.violations.reduce((n, v) => n + constructsOf(v).length, 0);
    suites.push(
      suite(
        plugin.pluginName,
        plugin.violations.flatMap((v) =>
          constructsOf(v).map((c) => ({
            name: `${v.ruleName} ${c.constructPath}`,
            classname: plugin.pluginName,
            failure: { type: 'non-compliant', message: v.description },
          })),
        ),
      ),
    );
  }
  const tests = report.findings.length + builtInFailures;
  const failures = report.summary.outcomes['non-compliant'] + report.summary.outcomes.error + builtInFailures;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="HIPAA Messaging Kit compliance" tests="${tests}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}
