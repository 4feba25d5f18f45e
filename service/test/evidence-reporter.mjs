// A node:test reporter (loaded by test/run.ts next to the usual one): one JSON line per top-level test,
// `{ file, name, status }`, for the evidence file run.ts writes for the kit's compliance report.
// Plain JavaScript: node loads reporters before tsx's hooks, so a .ts reporter would not load.
import { relative } from 'node:path';
import process from 'node:process';

/** @param {AsyncIterable<{ type: string, data: { name: string, nesting: number, file?: string, skip?: unknown, todo?: unknown } }>} source */
export default async function* evidenceReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, file, skip, todo } = event.data;
    // Subtests roll up into their top-level test.
    if (nesting !== 0) continue;
    const status = event.type === 'test:fail' ? 'fail' : skip || todo ? 'skip' : 'pass';
    yield `${JSON.stringify({ file: file ? relative(process.cwd(), file) : '', name, status })}\n`;
  }
}
