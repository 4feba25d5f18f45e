/**
 * Writes policies/RULES.md from the Pillars rules' metadata. `--check` only compares, and exits 1 on drift.
 * Usage: npx tsx scripts/rules-md.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRulesMarkdown } from '../policies/rules-doc';

const target = join(__dirname, '..', 'policies', 'RULES.md');
const expected = renderRulesMarkdown();
if (process.argv.includes('--check')) {
  const actual = readFileSync(target, 'utf8');
  if (actual !== expected) {
    console.error('policies/RULES.md is out of date; run: npx tsx scripts/rules-md.ts');
    process.exit(1);
  }
  console.log('policies/RULES.md is up to date');
} else {
  writeFileSync(target, expected);
  console.log(`wrote ${target}`);
}
