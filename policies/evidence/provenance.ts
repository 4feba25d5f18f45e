import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compareText } from './recorder';
import { Provenance, TemplateDigest } from './types';

/** The installed version of a package, read from its own package.json (found by walking up from its entry point). */
export function installedVersion(name: string): string {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === name && pkg.version) return pkg.version;
  }
  return 'unknown';
}

function git(projectRoot: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/** SHA-256 of every `*.template.json` in the assembly, by file name. */
export function templateDigests(assemblyDir: string): TemplateDigest[] {
  return readdirSync(assemblyDir)
    .filter((f) => f.endsWith('.template.json'))
    .sort(compareText)
    .map((file) => ({
      stack: file.slice(0, -'.template.json'.length),
      file,
      sha256: createHash('sha256')
        .update(readFileSync(join(assemblyDir, file)))
        .digest('hex'),
    }));
}

/** What an auditor needs to tie the report to exact code and tool versions. */
export function provenanceOf(assemblyDir: string, projectRoot: string): Provenance {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  const head = git(projectRoot, ['rev-parse', 'HEAD'])?.trim();
  const status = git(projectRoot, ['status', '--porcelain']);
  return {
    kitVersion: pkg.version,
    gitCommit: head || 'unknown',
    gitDirty: status === undefined ? 'unknown' : status.trim() !== '',
    awsCdkLib: installedVersion('aws-cdk-lib'),
    cdkNag: installedVersion('cdk-nag'),
    templates: templateDigests(assemblyDir),
  };
}
