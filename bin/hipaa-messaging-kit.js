#!/usr/bin/env node
// The package's command (package.json "bin"): `npx hipaa-messaging-kit verify --profile <name> [options]`.
// Synth and deploy stay with the CDK CLI (`npx cdk synth|deploy`), whose app is bin/hipaa-messaging-kit.ts.
'use strict';
const { join } = require('node:path');

const [command, ...rest] = process.argv.slice(2);
if (command === 'verify') {
  // Run the TypeScript entry point in-process through tsx, with the arguments after `verify`.
  require('tsx/cjs/api').register();
  process.argv = [process.argv[0], join(__dirname, 'verify.ts'), ...rest];
  require('./verify.ts');
} else {
  const usage =
    'usage: hipaa-messaging-kit verify --profile <name> [options]   (synth and deploy: npx cdk synth|deploy)';
  const ok = command === undefined || command === '--help' || command === '-h';
  (ok ? console.log : console.error)(ok ? usage : `hipaa-messaging-kit: unknown command "${command}"\n${usage}`);
  process.exit(ok ? 0 : 2);
}
