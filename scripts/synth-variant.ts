/** One whole-kit synth for bench-synth.ts; PACKS and VALIDATION (true/false) and OUTDIR come from the environment. */
import { App } from 'aws-cdk-lib';
import { buildKit, registerCompliancePacks } from '../lib/kit-app';
import { resolveConfig } from '../lib/profiles';

const app = new App({
  outdir: process.env.OUTDIR,
  builtinCloudFormationValidation: process.env.VALIDATION === 'true',
  context: { '@aws-cdk/core:failSynthOnValidationErrors': false },
});
buildKit(app, resolveConfig('example'));
if (process.env.PACKS === 'true') registerCompliancePacks(app);
app.synth();
// Peak resident memory in KiB, read by bench-synth.ts.
console.log(process.resourceUsage().maxRSS);
