/**
 * Reads cdk.out/validation-report.json after `cdk synth` and prints the compliance gate's result:
 * per-pack counts, every open finding, and every acknowledgement. Exits 1 on any open finding.
 * Usage: tsx scripts/compliance-gate.ts [--assembly cdk.out] [--stack <substring>]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ViolatingConstruct {
  constructPath: string;
}
interface Violation {
  ruleName: string;
  description: string;
  severity: string;
  violatingConstructs?: ViolatingConstruct[];
  violatingResources?: ViolatingConstruct[];
}
interface Suppressed extends Violation {
  acknowledgedId: string;
  reason?: string;
  acknowledgedAt?: string;
}
interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations: Violation[];
  suppressedViolations?: Suppressed[];
}

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const assembly = option('--assembly') ?? 'cdk.out';
const stackFilter = option('--stack');
const reportPath = join(assembly, 'validation-report.json');

if (!existsSync(reportPath)) {
  console.error(`compliance gate: ${reportPath} not found; run "npx cdk synth" first`);
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { pluginReports: PluginReport[] };
const matches = (path: string) => !stackFilter || path.includes(stackFilter);
const constructsOf = (v: Violation) =>
  (v.violatingConstructs ?? v.violatingResources ?? []).filter((c) => matches(c.constructPath));

let open = 0;
for (const plugin of report.pluginReports) {
  const findings = plugin.violations.flatMap((v) => constructsOf(v).map((c) => ({ v, c })));
  const acknowledged = (plugin.suppressedViolations ?? []).flatMap((v) => constructsOf(v).map((c) => ({ v, c })));
  open += findings.length;
  console.log(`${plugin.pluginName}: ${findings.length} open, ${acknowledged.length} acknowledged`);
  for (const { v, c } of findings) {
    console.log(`  OPEN ${v.ruleName} ${c.constructPath}\n       ${v.description.slice(0, 200)}`);
  }
  for (const { v, c } of acknowledged) {
    console.log(`  ACK  ${v.ruleName} ${c.constructPath}\n       ${v.reason ?? '(no reason)'}`);
  }
}
// A pack with nothing to report (no finding, no acknowledgement) is absent from the report but did run.
console.log(
  open === 0
    ? 'compliance gate: PASS (0 open findings in any registered pack or the built-in validation)'
    : `compliance gate: FAIL (${open} open findings)`,
);
process.exit(open === 0 ? 0 : 1);
