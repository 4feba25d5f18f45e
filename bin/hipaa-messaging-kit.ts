#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lib/config';
import { buildKit, registerCompliancePacks } from '../lib/kit-app';
import { resolveConfig } from '../lib/profiles';
import { TenancyError } from '../lib/tenancy-guard';

// The only place that reads context: `-c profile=<name>` and `-c overrides='<json>'` (or the same keys in cdk.json).
const app = new App();
try {
  const config = resolveConfig(app.node.tryGetContext('profile') ?? 'example', app.node.tryGetContext('overrides'));
  buildKit(app, config);
  registerCompliancePacks(app);
} catch (error) {
  if (error instanceof ConfigError || error instanceof TenancyError) {
    // One clear line per problem, no stack trace: these are the operator's to fix.
    for (const problem of error.problems) console.error(`hipaa-kit: ${problem}`);
    process.exit(1);
  }
  throw error;
}
