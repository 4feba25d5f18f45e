#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { resolve } from 'node:path';
import { ConfigError } from '../core/config';
import { buildKit, registerCompliancePacks, synthWithEvidence } from '../lib/kit-app';
import { resolveConfig } from '../lib/profiles';
import { TenancyError } from '../lib/tenancy-guard';

// The only place that reads context: `-c profile=<name>`, `-c overrides='<json>'` and `-c evidenceFile=<path>`
// (or the same keys in cdk.json).
const app = new App();
const projectRoot = resolve(__dirname, '..');
const recorder = (() => {
  try {
    const config = resolveConfig(app.node.tryGetContext('profile') ?? 'example', app.node.tryGetContext('overrides'));
    buildKit(app, config);
    return registerCompliancePacks(app);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TenancyError) {
      // One clear line per problem, no stack trace: these are the operator's to fix.
      for (const problem of error.problems) console.error(`hipaa-kit: ${problem}`);
      process.exit(1);
    }
    throw error;
  }
})();

const evidenceFile = resolve(
  app.node.tryGetContext('evidenceFile') ?? resolve(projectRoot, 'reports', '.evidence.json'),
);
synthWithEvidence(app, recorder, projectRoot, evidenceFile);
