// Architecture rules for service/src, checked from the source: no import circles. A circle (e.g. errors.ts and
// routes/schemas.ts importing each other) makes load order decide what is initialised, and hides layering mistakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Every .ts file under `dir`, as paths relative to it. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.split('\\').join('/'))
    .sort();
}

/**
 * The import graph of `dir`: each file to the files it imports (static, type-only, re-exports and dynamic
 * `import()`). Only relative specifiers count; packages are outside the graph.
 */
export function importGraph(dir: string): Map<string, string[]> {
  const files = sourceFiles(dir);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(dir, file), 'utf8'), true, true);
    const targets = info.importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) =>
        relative(dir, resolve(dir, dirname(file), spec))
          .split('\\')
          .join('/')
          .replace(/\.js$/, '.ts'),
      );
    const missing = targets.filter((t) => !known.has(t));
    if (missing.length) throw new Error(`${file} imports ${missing.join(', ')}, which is not a source file`);
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** Every import circle, each as the path that closes it (a -> b -> a); none when the graph is acyclic. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components; each component of more than one node (or a self-import) is a circle.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indexOf.has(v)) visit(v);
  // Name one concrete circle per component: the shortest path from its first file back to itself.
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0];
    const previous = new Map<string, string>();
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      for (const w of graph.get(queue[i]) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let at = queue[i]; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
          return [...path, start];
        }
        if (!previous.has(w)) {
          previous.set(w, queue[i]);
          queue.push(w);
        }
      }
    }
    return [start, start];
  });
}

test('the cycle finder names a circle in a synthetic graph, and finds none in an acyclic one', () => {
  const circular = new Map([
    ['errors.ts', ['routes/schemas.ts', 'auth/verifier.ts']],
    ['routes/schemas.ts', ['errors.ts']],
    ['auth/verifier.ts', ['config.ts']],
    ['config.ts', []],
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['self.ts', ['self.ts']],
  ]);
  assert.deepEqual(
    findCycles(circular)
      .map((c) => c.join(' -> '))
      .sort(),
    ['a.ts -> b.ts -> c.ts -> a.ts', 'errors.ts -> routes/schemas.ts -> errors.ts', 'self.ts -> self.ts'],
  );
  const layered = new Map([
    ['server.ts', ['routes/a.ts', 'errors.ts']],
    ['routes/a.ts', ['errors.ts', 'text.ts']],
    ['errors.ts', ['text.ts']],
    ['text.ts', []],
  ]);
  assert.deepEqual(findCycles(layered), []);
});

test('the import graph is read from the source (a known edge is found)', () => {
  const graph = importGraph(SRC);
  assert.ok(graph.size >= 40, `found ${graph.size} files`);
  assert.ok(graph.get('errors.ts')?.includes('text.ts'), 'errors.ts imports text.ts');
  assert.ok(graph.get('app.ts')?.includes('server.ts'), 'app.ts imports server.ts');
});

test('service/src has no import circles', () => {
  const cycles = findCycles(importGraph(SRC)).map((c) => c.join(' -> '));
  assert.deepEqual(cycles, [], `import circles in service/src:\n  ${cycles.join('\n  ')}`);
});

test('layers: only server.ts and app.ts import the route and hook plugins; nothing imports app.ts or server.ts back', () => {
  const upper = (f: string) => f.startsWith('routes/') || f.startsWith('hooks/') || f === 'server.ts' || f === 'app.ts';
  const entry = (f: string) => f === 'main.ts' || f === 'dev.ts' || f.startsWith('cli/') || f.startsWith('dev/');
  const wrong: string[] = [];
  for (const [file, targets] of importGraph(SRC)) {
    for (const t of targets) {
      const intoPlugins = (t.startsWith('routes/') || t.startsWith('hooks/')) && !upper(file);
      const intoWiring = (t === 'server.ts' && file !== 'app.ts') || (t === 'app.ts' && !entry(file));
      if (intoPlugins || intoWiring) wrong.push(`${file} -> ${t}`);
    }
  }
  assert.deepEqual(wrong, []);
});
