import { join } from 'node:path';
import { layeredSources, layerViolations } from './support/import-layers';

describe('architecture: imports go one way (ARCHITECTURE.md)', () => {
  const sources = layeredSources(join(__dirname, '..'));

  test('reads every layer', () => {
    const paths = sources.map((s) => s.path);
    for (const file of [
      'core/config.ts',
      'constructs/messaging-service.ts',
      'policies/rules/helpers/values.ts',
      'lib/kit-app.ts',
      'bin/hipaa-messaging-kit.ts',
      'scripts/report.ts',
      'verify/cli.ts',
    ]) {
      expect(paths).toContain(file);
    }
  });

  test('no file imports against the direction', () => {
    expect(layerViolations(sources)).toEqual([]);
  });

  test('the checker names the file, line and import of each edge against the direction', () => {
    const violations = layerViolations([
      {
        path: 'constructs/bucket.ts',
        text: "import { x } from 'aws-cdk-lib';\nimport { KitConfig } from '../lib/config';",
      },
      { path: 'policies/rules/audit/Rule.ts', text: "import type { T } from '../../../constructs/defaults';" },
      { path: 'core/naming.ts', text: "export * from '../policies/controls';" },
      { path: 'core/aws.ts', text: "import { S3Client } from '@aws-sdk/client-s3';" },
      { path: 'lib/stack.ts', text: "const main = require('../bin/hipaa-messaging-kit');" },
      { path: 'lib/app.ts', text: "async function f() {\n  await import('../service/src/app');\n}" },
      { path: 'verify/run.ts', text: "import { x } from '../scripts/report';" },
    ]);
    expect(violations).toEqual([
      "constructs/bucket.ts:2 imports '../lib/config': constructs/ may import only constructs/, core/, not lib/",
      "policies/rules/audit/Rule.ts:1 imports '../../../constructs/defaults': policies/ may import only policies/, core/, not constructs/",
      "core/naming.ts:1 imports '../policies/controls': core/ may import only core/, not policies/",
      "core/aws.ts:1 imports '@aws-sdk/client-s3': core/ may use only aws-cdk-lib, constructs, cdk-nag and node: modules",
      "lib/stack.ts:1 imports '../bin/hipaa-messaging-kit': lib/ may import only lib/, core/, constructs/, policies/, not bin/",
      "lib/app.ts:2 imports '../service/src/app': service/src/app is outside the kit's layers",
      "verify/run.ts:1 imports '../scripts/report': verify/ may import only verify/, core/, constructs/, policies/, lib/, not scripts/",
    ]);
  });

  test('the checker accepts imports along the direction', () => {
    const files = [
      { path: 'core/naming.ts', text: "import { Token } from 'aws-cdk-lib';\nimport { KitConfig } from './config';" },
      {
        path: 'constructs/vpc.ts',
        text: "import { acknowledge } from '../core/acknowledge';\nimport { x } from './defaults';",
      },
      {
        path: 'policies/rules/a/R.ts',
        text: "import { MIN } from '../../../core/limits';\nimport { v } from '../helpers/values';",
      },
      {
        path: 'lib/app.ts',
        text: "import { V } from '../constructs/vpc';\nimport { P } from '../policies/pillars-checks';",
      },
      { path: 'bin/app.ts', text: "import { buildKit } from '../lib/kit-app';\nimport { main } from '../verify/cli';" },
    ];
    expect(layerViolations(files)).toEqual([]);
  });
});
