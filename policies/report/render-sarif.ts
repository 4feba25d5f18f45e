import { ComplianceReport } from './model';
import { constructsOf, sourceLocationIn, SourceLocation, ValidationReport } from './validation-report';

/** SARIF 2.1.0 levels for cdk-nag's (and the built-in validation's) severities. */
function levelOf(severity: string | undefined): 'error' | 'warning' | 'note' {
  return severity === 'warning' ? 'warning' : severity === 'info' ? 'note' : 'error';
}

function physical(location: SourceLocation | undefined) {
  return location
    ? {
        physicalLocation: {
          artifactLocation: { uri: location.file, uriBaseId: '%SRCROOT%' },
          region: { startLine: location.line, startColumn: location.column },
        },
      }
    : {};
}

/**
 * `reports/findings.sarif`: one run per pack that CDK's validation report names (the four packs and the built-in
 * CloudFormation validation). Open findings are results at their rule's level; acknowledged ones are results with an
 * accepted in-source suppression carrying the reason and its owner and review-by date. Each result names the
 * construct path (logical location) and the kit source line that created the construct (physical location).
 */
export function renderSarif(
  validation: ValidationReport,
  report: ComplianceReport,
  projectRoot: string,
  kitVersion: string,
): string {
  const ownerOf = new Map(
    report.exceptions.map((x) => [`${x.rule}${x.finding !== null ? `[${x.finding}]` : ''} ${x.resource}`, x]),
  );
  const runs = validation.pluginReports.map((plugin) => {
    const all = [
      ...plugin.violations.map((v) => ({ v, suppressed: undefined })),
      ...(plugin.suppressedViolations ?? []).map((v) => ({ v, suppressed: v })),
    ];
    const ruleIds = [...new Set(all.map(({ v }) => v.ruleName))].sort();
    const rules = ruleIds.map((id) => {
      const v = all.find((a) => a.v.ruleName === id)!.v;
      return {
        id,
        shortDescription: { text: v.description.split('\n')[0].slice(0, 200) || id },
        fullDescription: { text: v.description || id },
        defaultConfiguration: { level: levelOf(v.severity) },
      };
    });
    const results = all.flatMap(({ v, suppressed }) =>
      constructsOf(v).map((c) => {
        const exception = ownerOf.get(`${v.ruleName} ${c.constructPath}`);
        const location = sourceLocationIn(c.stackTraces?.join('\n'), projectRoot);
        return {
          ruleId: v.ruleName,
          ruleIndex: ruleIds.indexOf(v.ruleName),
          level: levelOf(v.severity),
          message: { text: `${v.ruleName} on ${c.constructPath}: ${v.description.split('\n')[0]}` },
          locations: [
            {
              ...physical(location),
              logicalLocations: [{ fullyQualifiedName: c.constructPath, kind: 'resource' }],
            },
          ],
          partialFingerprints: { constructPath: `${v.ruleName}|${c.constructPath}` },
          ...(suppressed
            ? {
                suppressions: [
                  {
                    kind: 'inSource',
                    status: 'accepted',
                    justification: suppressed.reason ?? '(no reason)',
                    properties: {
                      acknowledgedId: suppressed.acknowledgedId,
                      acknowledgedAt: suppressed.acknowledgedAt ?? c.constructPath,
                      owner: exception?.owner ?? null,
                      reviewBy: exception?.reviewBy ?? null,
                    },
                    ...(() => {
                      const at = sourceLocationIn(suppressed.acknowledgedStackTrace, projectRoot);
                      return at ? { location: physical(at) } : {};
                    })(),
                  },
                ],
              }
            : {}),
        };
      }),
    );
    return {
      tool: {
        driver: {
          name: plugin.pluginName,
          fullName: `${plugin.pluginName} (HIPAA Messaging Kit compliance gate)`,
          version: kitVersion,
          rules,
        },
      },
      originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The kit repository root' } } },
      automationDetails: { id: `hipaa-kit/${report.scope.profile}/${plugin.pluginName}/` },
      properties: {
        gitCommit: report.provenance.gitCommit,
        account: report.scope.account,
        region: report.scope.region,
      },
      results,
    };
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs,
  };
  return `${JSON.stringify(log, undefined, 2)}\n`;
}
