import ts from 'typescript';
import { existsSync } from 'node:fs';
import { posix } from 'node:path';

/**
 * The layer-import checker: reads the imports of source files with
 * TypeScript's own parser, groups files into top-level modules (`src/wire`,
 * `relay`, …) and checks each import against a table of which module may
 * import which (`layer-table.ts`, DESIGN.md's table as data). Pure but for
 * `resolveImport`'s default file probe; the tests feed it synthetic graphs to
 * prove it fails on a forbidden import.
 */

/** One import, export-from, dynamic `import()` or `import('…')` type of a file. */
export interface ImportEdge {
  /** Repo-relative POSIX path of the importing file. */
  readonly from: string;
  readonly specifier: string;
  /** 1-based line of the import. */
  readonly line: number;
  /**
   * True for `import type …`, `export type … from` and `import('…')` in a
   * type position: erased from the JavaScript. `import { type X }` is not
   * type-only (under `verbatimModuleSyntax` it still loads the module).
   */
  readonly typeOnly: boolean;
}

/** An import with its target: a repo-relative file, a package, or neither. */
export interface ResolvedEdge extends ImportEdge {
  /** The imported file (relative specifiers), else undefined. */
  readonly to?: string | undefined;
  /** The package name for a bare specifier (`ws`, `node:net`, `@noble/curves/ed25519.js`). */
  readonly package?: string | undefined;
}

export interface Allowance {
  readonly module: string;
  /** Only these files of `module` (repo-relative paths)… */
  readonly files?: readonly string[];
  /** …or any of its files, through type-only imports. */
  readonly typeOnly?: boolean;
}

export interface LayerRule {
  /** `src/<folder>`, `entries` (the files directly in `src/`), or a top-level folder (`relay`). */
  readonly module: string;
  /** Modules this one may import; a bare string allows every file of that module. */
  readonly mayImport: readonly (string | Allowance)[];
  /** Packages it may import: an exact name, a name whose sub-paths count too, or a prefix ending in `:` (`node:`). */
  readonly packages: readonly string[];
  /** The DESIGN.md sentence the rule encodes (shown with a violation). */
  readonly why: string;
}

/** The imports `text` (the file `from`) makes, in source order. */
export function importsOf(from: string, text: string): ImportEdge[] {
  const file = ts.createSourceFile(from, text, ts.ScriptTarget.Latest, true, from.endsWith('.d.ts') ? ts.ScriptKind.TS : undefined);
  const out: ImportEdge[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, typeOnly: boolean): void => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
    out.push({ from, specifier: specifier.text, line, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, node.importClause?.isTypeOnly === true);
    else if (ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression, node.isTypeOnly);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal as ts.Expression, true);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], false);
    // `declare module 'ws' { … }` names a module; it does not import one.
    if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) return;
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/**
 * Resolves a relative specifier as NodeNext does for our sources (`./x.js`
 * is `./x.ts`, or `./x.d.ts` for a declaration-only module); a bare one is a
 * package. `to` stays undefined when no file matches (reported as a violation).
 */
export function resolveImport(edge: ImportEdge, exists: (path: string) => boolean = existsSync): ResolvedEdge {
  if (!edge.specifier.startsWith('.')) return { ...edge, package: edge.specifier };
  const base = posix.normalize(posix.join(posix.dirname(edge.from), edge.specifier));
  const stem = base.replace(/\.(js|mjs|cjs)$/, '');
  const candidates = stem === base ? [base, `${base}.ts`, `${base}/index.ts`] : [`${stem}.ts`, `${stem}.d.ts`, base];
  return { ...edge, to: candidates.find((c) => exists(c)) };
}

/** The module a repo-relative file belongs to: `src/<folder>`, `entries` for `src/*.ts`, else its top folder. */
export function moduleOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'src') return parts.length === 2 ? 'entries' : `src/${parts[1]}`;
  return parts.length === 1 ? '.' : parts[0]!;
}

function packageAllowed(name: string, allowed: readonly string[]): boolean {
  return allowed.some((p) => name === p || name.startsWith(p.endsWith(':') ? p : `${p}/`));
}

function describeAllowance(a: string | Allowance): string {
  if (typeof a === 'string') return a;
  const ways = [...(a.files ? [`only ${a.files.join(', ')}`] : []), ...(a.typeOnly ? ['type-only imports'] : [])];
  return `${a.module} (${ways.join(' or ')})`;
}

function edgeAllowed(edge: ResolvedEdge, target: string, rule: LayerRule): boolean {
  for (const a of rule.mayImport) {
    if (typeof a === 'string') {
      if (a === target) return true;
      continue;
    }
    if (a.module !== target) continue;
    if (a.files?.includes(edge.to!)) return true;
    if (a.typeOnly && edge.typeOnly) return true;
  }
  return false;
}

/**
 * Every import `edges` make that `rules` forbid, as readable lines
 * (`file:line imports target (from → to): why; may import …`), in the
 * order of `edges`. Imports inside one module are always allowed; a file
 * whose module has no rule, an unresolved relative import, or a module of
 * the table that no file belongs to are violations too.
 */
export function checkLayers(edges: readonly ResolvedEdge[], rules: readonly LayerRule[], files: readonly string[] = []): string[] {
  const byModule = new Map(rules.map((r) => [r.module, r]));
  const violations: string[] = [];
  const unruled = new Set<string>();
  for (const file of files) {
    const m = moduleOf(file);
    if (!byModule.has(m)) unruled.add(m);
  }
  for (const m of [...unruled].sort()) violations.push(`${m} has no row in the layer table (where does it sit?)`);
  const present = new Set(files.map(moduleOf));
  if (files.length > 0) {
    for (const r of rules) if (!present.has(r.module)) violations.push(`the layer table has a row for ${r.module}, which has no files`);
  }
  for (const edge of edges) {
    const from = moduleOf(edge.from);
    const rule = byModule.get(from);
    const at = `${edge.from}:${edge.line}`;
    if (!rule) {
      if (!unruled.has(from)) violations.push(`${at}: ${from} has no row in the layer table`);
      continue;
    }
    if (edge.package !== undefined) {
      if (!packageAllowed(edge.package, rule.packages)) {
        violations.push(`${at} imports the package "${edge.package}": ${from} may import ${rule.packages.length ? rule.packages.join(', ') : 'no packages'} (${rule.why})`);
      }
      continue;
    }
    if (edge.to === undefined) {
      violations.push(`${at} imports "${edge.specifier}", which resolves to no file`);
      continue;
    }
    const target = moduleOf(edge.to);
    if (target === from || edgeAllowed(edge, target, rule)) continue;
    const kind = edge.typeOnly ? 'type-imports' : 'imports';
    violations.push(`${at} ${kind} ${edge.to} (${from} → ${target}): ${from} may import ${rule.mayImport.map(describeAllowance).join(', ') || 'no other module'} (${rule.why})`);
  }
  return violations;
}

/**
 * The cycles between modules that `edges` form (type-only imports count:
 * a layer cycle is a design fault even when erased), one line per strongly
 * connected group: `a → b → a`. Empty when the module graph is acyclic.
 */
export function findCycles(edges: readonly ResolvedEdge[]): string[] {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.to === undefined) continue;
    const a = moduleOf(e.from);
    const b = moduleOf(e.to);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    if (!graph.has(b)) graph.set(b, new Set());
    graph.get(a)!.add(b);
  }
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return groups.map((group) => {
    // One concrete cycle through the group's first module (breadth-first, inside the group).
    const members = new Set(group);
    const start = [...group].sort()[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    let closing: string | undefined;
    while (queue.length > 0 && closing === undefined) {
      const v = queue.shift()!;
      for (const w of [...graph.get(v)!].sort()) {
        if (!members.has(w)) continue;
        if (w === start) {
          closing = v;
          break;
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [start];
    for (let v = closing; v !== undefined && v !== start; v = previous.get(v)) path.splice(1, 0, v);
    return [...path, start].join(' → ');
  });
}
