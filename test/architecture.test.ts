// The layering of lib/ (README, "Architecture"): a file imports only from its own folder or a lower layer, and the
// modules loaded at run time form no cycle. Imports are read with the TypeScript parser (a dev dependency already).
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const lib = path.resolve(__dirname, '..', 'lib');

/** Layers from the bottom; folders on one rank are siblings and may not import each other. */
const RANKS: Record<string, number> = {
  core: 0,
  formats: 1,
  io: 2,
  kernels: 2,
  plan: 3,
  prune: 3,
  optim: 3,
  nn: 4,
  'sparse-training': 5,
  device: 6,
  '.': 7, // lib/index.ts: re-exports only
};

interface Edge {
  from: string;
  to: string;
  /** `import type` / `export type`: erased at compile time, so it creates no load-order dependency. */
  typeOnly: boolean;
}

/** The lib-relative imports of one file (static, re-exports, dynamic import() and require()). */
export function importsOf(file: string, text: string): Edge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: Edge[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    if (!spec.startsWith('.')) return; // node: builtins and packages
    let to = path.join(path.dirname(file), spec);
    if (fs.existsSync(path.join(lib, to, 'index.ts'))) to = path.join(to, 'index');
    edges.push({ from: file, to: `${to}.ts`, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const allTypes = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) &&
        c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, allTypes);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      add(node.arguments[0].text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true); // import('./x').T in a type position
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

function folderOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : '.';
}

/** Every violation of the layering in a graph of lib-relative files, each naming the files. */
export function violations(files: string[], edges: Edge[]): string[] {
  const found: string[] = [];
  const known = new Set(files);
  for (const f of files) if (!(folderOf(f) in RANKS)) found.push(`${f}: folder '${folderOf(f)}' has no layer (add it to RANKS and the README)`);
  for (const e of edges) {
    if (!known.has(e.to)) {
      found.push(`${e.from} imports ${e.to}, which is not a file of lib/`);
      continue;
    }
    const a = folderOf(e.from), b = folderOf(e.to);
    if (a === b) continue;
    if (RANKS[b] > RANKS[a]) found.push(`upward import: ${e.from} (${a}, layer ${RANKS[a]}) imports ${e.to} (${b}, layer ${RANKS[b]})`);
    else if (RANKS[b] === RANKS[a]) found.push(`sibling import: ${e.from} (${a}) imports ${e.to} (${b}), both on layer ${RANKS[a]}`);
  }
  // Cycles among the modules loaded at run time (depth-first search; a back edge closes a cycle).
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.typeOnly && known.has(e.to)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const dfs = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of next.get(f) ?? []) {
      if (state.get(g) === 'open') found.push(`import cycle: ${[...stack.slice(stack.indexOf(g)), g].join(' -> ')}`);
      else if (!state.has(g)) dfs(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...files].sort()) if (!state.has(f)) dfs(f);
  return found;
}

function libGraph(): { files: string[]; edges: Edge[] } {
  const files = (fs.readdirSync(lib, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => f.split(path.sep).join('/'));
  const edges = files.flatMap((f) => importsOf(f, fs.readFileSync(path.join(lib, f), 'utf8')));
  return { files, edges };
}

describe('architecture', () => {
  test('lib/ imports only downward (own folder or a lower layer) and has no import cycle', () => {
    const { files, edges } = libGraph();
    expect(files.length).toBeGreaterThan(40);
    expect(edges.length).toBeGreaterThan(100);
    expect(violations(files, edges)).toEqual([]);
  });

  test('lib/index.ts only re-exports, and nothing in lib/ imports it', () => {
    const text = fs.readFileSync(path.join(lib, 'index.ts'), 'utf8');
    const source = ts.createSourceFile('index.ts', text, ts.ScriptTarget.ES2022);
    for (const s of source.statements) expect(ts.SyntaxKind[s.kind]).toBe('ExportDeclaration');
    const { edges } = libGraph();
    expect(edges.filter((e) => e.to === 'index.ts').map((e) => e.from)).toEqual([]);
  });

  test('the checker finds a planted cycle, an upward import and a sibling import, naming the files', () => {
    const files = ['core/a.ts', 'core/b.ts', 'formats/c.ts', 'kernels/d.ts', 'io/e.ts'];
    const planted = [
      ...importsOf('core/a.ts', "import { b } from './b';"),
      ...importsOf('core/b.ts', "export { a } from './a';"),
      ...importsOf('core/b.ts', "import type { C } from '../formats/c';"),
      ...importsOf('kernels/d.ts', "const e = require('../io/e');"),
    ];
    expect(violations(files, planted)).toEqual([
      'upward import: core/b.ts (core, layer 0) imports formats/c.ts (formats, layer 1)',
      'sibling import: kernels/d.ts (kernels) imports io/e.ts (io), both on layer 2',
      'import cycle: core/a.ts -> core/b.ts -> core/a.ts',
    ]);
    // A cycle through type-only imports within a folder loads fine and is allowed; a runtime one is not.
    const typeCycle = [
      ...importsOf('formats/c.ts', "import type { D } from './d';"),
      ...importsOf('formats/d.ts', "import { c } from './c';"),
    ];
    expect(violations(['formats/c.ts', 'formats/d.ts'], typeCycle)).toEqual([]);
    expect(violations(['formats/c.ts', 'formats/d.ts'], [...typeCycle, ...importsOf('formats/c.ts', "import('./d');")])).toEqual([
      'import cycle: formats/c.ts -> formats/d.ts -> formats/c.ts',
    ]);
  });
});
