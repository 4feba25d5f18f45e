/**
 * `npm run cost`: the priced bill of materials of the last synth (cdk.out), from the pinned price table
 * (policies/report/prices-us-east-1.ts). The report's cost section shows the same table and total.
 * Usage: tsx scripts/cost.ts [--assembly cdk.out] [--json]
 */
import { existsSync } from 'node:fs';
import { estimateCost, renderCostText } from '../policies/report/cost';
import { assemblyScope, loadTemplates } from '../policies/report/templates';

const args = process.argv.slice(2);
const i = args.indexOf('--assembly');
const assembly = i >= 0 && args[i + 1] ? args[i + 1] : 'cdk.out';
if (!existsSync(assembly)) {
  console.error(`cost: ${assembly} not found; run "npm run synth" (or "npm run gate") first`);
  process.exit(2);
}
const cost = estimateCost(loadTemplates(assembly), assemblyScope(assembly).region);
process.stdout.write(args.includes('--json') ? `${JSON.stringify(cost, undefined, 2)}\n` : renderCostText(cost));
