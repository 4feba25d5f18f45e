import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import * as ts from 'typescript';

/**
 * The one allowed import direction (ARCHITECTURE.md): the top-level folders each folder may import besides itself.
 * core/ is the ground everything stands on; bin/ holds the entry points (bin/verify.ts launches the verify tool).
 */
export const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  core: [],
  constructs: ['core'],
  policies: ['core'],
  lib: ['core', 'constructs', 'policies'],
  verify: ['core', 'constructs', 'policies', 'lib'],
  scripts: ['core', 'constructs', 'policies', 'lib', 'verify'],
  bin: ['core', 'lib', 'verify'],
};

/** The only packages core/ may import, so it never pulls a tool's dependency into every layer. */
const CORE_PACKAGES = /^(node:|aws-cdk-lib($|\/)|constructs$|cdk-nag$)/;

export interface SourceFile {
  /** Path from the repository root, with `/`, e.g. `lib/kit-app.ts`. */
  readonly path: string;
  readonly text: string;
}

/** Every import against the direction, one line each: `<file>:<line> imports '<specifier>': <why>`. */
export function layerViolations(files: readonly SourceFile[]): string[] {
  return files.flatMap((file) => {
    const layer = file.path.split('/')[0];
    return ts.preProcessFile(file.text, true, true).importedFiles.flatMap(({ fileName: specifier, pos }) => {
      const why = isRelative(specifier)
        ? targetProblem(layer, posix.join(posix.dirname(file.path), specifier))
        : packageProblem(layer, specifier);
      const line = file.text.slice(0, pos).split('\n').length;
      return why ? [`${file.path}:${line} imports '${specifier}': ${why}`] : [];
    });
  });
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../');
}

function targetProblem(layer: string, target: string): string | undefined {
  const folder = target.split('/')[0];
  if (!Object.hasOwn(ALLOWED_IMPORTS, folder)) return `${target} is outside the kit's layers`;
  const allowed = [layer, ...(ALLOWED_IMPORTS[layer] ?? [])];
  if (allowed.includes(folder)) return undefined;
  return `${layer}/ may import only ${allowed.map((f) => `${f}/`).join(', ')}, not ${folder}/`;
}

function packageProblem(layer: string, specifier: string): string | undefined {
  if (layer !== 'core' || CORE_PACKAGES.test(specifier)) return undefined;
  return 'core/ may use only aws-cdk-lib, constructs, cdk-nag and node: modules';
}

/** Every .ts file (not .d.ts) of the layered folders, read from the repository at `root`. */
export function layeredSources(root: string): SourceFile[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  return Object.keys(ALLOWED_IMPORTS)
    .flatMap((folder) => walk(join(root, folder)))
    .map((path) => ({ path: relative(root, path).split(sep).join('/'), text: readFileSync(path, 'utf8') }));
}
