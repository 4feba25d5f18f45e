#!/usr/bin/env node
import { main } from '../verify/cli';

// `npm run verify -- --profile <name>`; the logic and its exit codes live in verify/cli.ts.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `verify: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(2);
  },
);
