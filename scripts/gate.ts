/**
 * `npm run gate`: synthesizes every stack with the four packs and CDK's built-in validation (failures recorded, not
 * thrown), writes the auditor's report, then runs the compliance gate. The CLI's own chatter (source locations of
 * annotations, "Successfully synthesized", the stack-id hint) is held back; its annotations are printed as one line
 * each, and everything it printed is shown if synth itself fails.
 * Usage: npm run gate [-- --verbose] (further options go to scripts/compliance-gate.ts)
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const passThrough = process.argv.slice(2);

const synth = spawnSync(bin('cdk'), ['synth', '--quiet', '-c', '@aws-cdk/core:failSynthOnValidationErrors=false'], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
const output = `${synth.stdout ?? ''}${synth.stderr ?? ''}`;
if (synth.status !== 0) {
  process.stderr.write(output);
  console.error(`gate: cdk synth failed (exit ${synth.status ?? synth.signal})`);
  process.exit(synth.status ?? 1);
}
// Annotations the app raised (e.g. push disabled): the message line only, without the CLI's location line.
for (const line of output.split('\n')) {
  if (/^(INFO|WARNING|ERROR) /.test(line)) console.log(`synth: ${line.replace(/ \(Construct Annotations\)$/, '')}`);
}

for (const [script, args] of [
  ['scripts/report.ts', []],
  ['scripts/compliance-gate.ts', passThrough],
] as const) {
  const step = spawnSync(bin('tsx'), [script, ...args], { cwd: root, stdio: 'inherit' });
  if (step.status !== 0) process.exit(step.status ?? 1);
}
