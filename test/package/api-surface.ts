import ts from 'typescript';
import { join } from 'node:path';

/**
 * The public API surface of the package, read the way a user's compiler
 * reads it: the declarations `tsconfig.build.json` emits (with its
 * `stripInternal`), compiled in memory, then each `exports` entry's exported
 * names with their kind and, for classes and interfaces, their public
 * members. Nothing is written to disk.
 */

/** The `.d.ts` files the build would write, by absolute path (under the build's `outDir`). */
export interface Declarations {
  readonly outDir: string;
  readonly files: ReadonlyMap<string, string>;
}

/** Emits the declarations of `root`'s build config in memory. Throws with the diagnostics when the build has errors. */
export function emitDeclarations(root: string): Declarations {
  const configPath = join(root, 'tsconfig.build.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: false, declaration: true, emitDeclarationOnly: true, sourceMap: false, declarationMap: false };
  const program = ts.createProgram(parsed.fileNames, options);
  const files = new Map<string, string>();
  const result = program.emit(undefined, (name, text) => files.set(name, text), undefined, true);
  const errors = [...program.getSyntacticDiagnostics(), ...result.diagnostics];
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
  return { outDir: options.outDir!, files };
}

/** A program over the emitted declarations alone (the real `dist/`, if any, is never read). */
export function declarationProgram(root: string, declarations: Declarations, entries: readonly string[]): ts.Program {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2024.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const prefix = declarations.outDir.endsWith('/') ? declarations.outDir : `${declarations.outDir}/`;
  const emitted = (f: string): boolean => f.startsWith(prefix);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (f) => (emitted(f) ? declarations.files.has(f) : fileExists(f));
  host.readFile = (f) => (emitted(f) ? declarations.files.get(f) : readFile(f));
  host.getSourceFile = (f, language, onError, create) => {
    if (!emitted(f)) return getSourceFile(f, language, onError, create);
    const text = declarations.files.get(f);
    return text === undefined ? undefined : ts.createSourceFile(f, text, language, true);
  };
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (d) => {
    if (!emitted(`${d}/`)) return directoryExists ? directoryExists(d) : true;
    const inside = `${d}/`;
    for (const f of declarations.files.keys()) if (f.startsWith(inside)) return true;
    return false;
  };
  host.realpath = (p) => p;
  host.getCurrentDirectory = () => root;
  return ts.createProgram(entries, options, host);
}

/** True when some link of `symbol`'s alias chain is `export type` / `import type`. */
function typeOnlyAlias(checker: ts.TypeChecker, symbol: ts.Symbol): boolean {
  for (let s: ts.Symbol | undefined = symbol; s && s.flags & ts.SymbolFlags.Alias; s = checker.getImmediateAliasedSymbol(s)) {
    for (const d of s.declarations ?? []) {
      if ((ts.isExportSpecifier(d) || ts.isImportSpecifier(d)) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) return true;
      if (ts.isExportDeclaration(d) && d.isTypeOnly) return true;
      if (ts.isImportClause(d) && d.isTypeOnly) return true;
      if (ts.isNamespaceExport(d) && d.parent.isTypeOnly) return true;
    }
  }
  return false;
}

function kindsOf(symbol: ts.Symbol): string[] {
  const f = symbol.flags;
  const kinds: string[] = [];
  if (f & ts.SymbolFlags.Class) kinds.push('class');
  else if (f & ts.SymbolFlags.Interface) kinds.push('interface');
  if (f & ts.SymbolFlags.Function) kinds.push('function');
  if (f & ts.SymbolFlags.Enum) kinds.push('enum');
  if (f & ts.SymbolFlags.Variable) {
    const d = symbol.valueDeclaration;
    kinds.push(d && ts.isVariableDeclaration(d) && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const ? 'const' : 'let');
  }
  if (f & ts.SymbolFlags.TypeAlias) kinds.push('type');
  if (f & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule)) kinds.push('namespace');
  if (f & ts.SymbolFlags.Interface && f & ts.SymbolFlags.Class) kinds.push('interface');
  return kinds.length > 0 ? kinds : ['unknown'];
}

function hidden(decl: ts.Declaration | undefined, name: string): boolean {
  if (name.startsWith('__#') || name.startsWith('#')) return true;
  return decl !== undefined && (ts.getCombinedModifierFlags(decl) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
}

function memberLine(member: ts.Symbol, prefix: string): string | undefined {
  const decls = member.declarations ?? [];
  const decl = member.valueDeclaration ?? decls[0];
  const raw = member.getName();
  if (hidden(decl, raw)) return undefined;
  // A unique-symbol key reads `__@name@<symbol id>`; the id depends on the compiler's order: print `[name]`.
  const name = raw.replace(/^__@(.+)@\d+$/, '[$1]');
  const optional = member.flags & ts.SymbolFlags.Optional ? '?' : '';
  const has = (test: (d: ts.Declaration) => boolean): boolean => decls.some(test);
  let kind: string;
  if (has(ts.isGetAccessorDeclaration) && has(ts.isSetAccessorDeclaration)) kind = 'get/set';
  else if (has(ts.isGetAccessorDeclaration)) kind = 'getter';
  else if (has(ts.isSetAccessorDeclaration)) kind = 'setter';
  else if (has((d) => ts.isMethodDeclaration(d) || ts.isMethodSignature(d))) kind = 'method';
  else {
    const readonly = decl !== undefined && ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Readonly;
    kind = readonly ? 'readonly property' : 'property';
  }
  return `  ${prefix}${kind} ${name}${optional}`;
}

function membersOf(checker: ts.TypeChecker, symbol: ts.Symbol, typeOnly: boolean): string[] {
  const lines: string[] = [];
  const byName = (a: ts.Symbol, b: ts.Symbol): number => a.getName().localeCompare(b.getName());
  if (symbol.flags & ts.SymbolFlags.Class) {
    const statics = checker.getTypeOfSymbol(symbol);
    // A class exported as a type only cannot be constructed by users: no constructor line.
    for (const signature of typeOnly ? [] : statics.getConstructSignatures()) {
      const decl = signature.getDeclaration() as ts.SignatureDeclaration | undefined;
      const visibility = decl && ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Private ? 'private ' : decl && ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Protected ? 'protected ' : '';
      lines.push(`  ${visibility}constructor(${signature.getParameters().map((p) => p.getName()).join(', ')})`);
    }
    for (const member of checker.getPropertiesOfType(statics).sort(byName)) {
      if (member.getName() === 'prototype') continue;
      const line = memberLine(member, 'static ');
      if (line) lines.push(line);
    }
  }
  if (symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface)) {
    const instance = checker.getDeclaredTypeOfSymbol(symbol);
    if (symbol.flags & ts.SymbolFlags.Interface) {
      if (instance.getCallSignatures().length > 0) lines.push('  (call)');
      if (instance.getConstructSignatures().length > 0) lines.push('  new (construct)');
      for (const info of checker.getIndexInfosOfType(instance)) lines.push(`  [index: ${checker.typeToString(info.keyType)}]`);
    }
    for (const member of checker.getPropertiesOfType(instance).sort(byName)) {
      const line = memberLine(member, '');
      if (line) lines.push(line);
    }
  }
  return lines;
}

/**
 * The surface of the module `file` of `program`: one line per exported name
 * (`<kinds> <name>`, `(type only)` when it can be used only as a type),
 * sorted by name, each class or interface followed by its public members
 * (indented; private, protected and `#` members left out; constructors
 * only for classes users can construct), sorted.
 */
export function surfaceOf(program: ts.Program, file: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`no declarations for ${file}`);
  const module = checker.getSymbolAtLocation(source);
  if (!module) return [];
  const lines: string[] = [];
  const exports = checker.getExportsOfModule(module).sort((a, b) => a.getName().localeCompare(b.getName()));
  for (const exported of exports) {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const typeOnly = typeOnlyAlias(checker, exported) && (target.flags & ts.SymbolFlags.Value) !== 0;
    lines.push(`${kindsOf(target).join(' + ')} ${exported.getName()}${typeOnly ? ' (type only)' : ''}`);
    lines.push(...membersOf(checker, target, typeOnly));
  }
  return lines;
}

/**
 * A line diff from `before` to `after` (longest common subsequence): `- `
 * for a line only in `before`, `+ ` for one only in `after`. A member line
 * is shown with its owner (`RelayConnection › method frame`) so each line
 * reads alone. Empty when equal.
 */
export function diffLines(before: readonly string[], after: readonly string[]): string[] {
  const n = before.length;
  const m = after.length;
  const common: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i]![j] = before[i] === after[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const owner = (lines: readonly string[], at: number): string => {
    for (let k = at; k >= 0; k--) if (!lines[k]!.startsWith(' ')) return lines[k]!.replace(/ \(type only\)$/, '').split(' ').at(-1)!;
    return '';
  };
  const show = (lines: readonly string[], at: number): string => (lines[at]!.startsWith(' ') ? `${owner(lines, at)} › ${lines[at]!.trim()}` : lines[at]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      i++;
      j++;
    } else if (i < n && (j === m || common[i + 1]![j]! >= common[i]![j + 1]!)) {
      out.push(`- ${show(before, i++)}`);
    } else {
      out.push(`+ ${show(after, j++)}`);
    }
  }
  return out;
}
