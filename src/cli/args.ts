import { UsageError } from './subcommand.js';

/**
 * A small argument parser for the subcommands: `--name value`,
 * `--name=value`, boolean `--flag`, positionals, and *markers* — flags that
 * apply to the next positional (`call`'s `--sym`). `--` ends the flags.
 * Unknown flags, a missing value and a marker with nothing after it are
 * `UsageError`s.
 */
export interface ArgSpec {
  /** Flags that take a value. */
  readonly values?: readonly string[];
  /** Flags that are on when present. */
  readonly booleans?: readonly string[];
  /** Flags that mark the next positional. */
  readonly markers?: readonly string[];
}

export interface Positional {
  readonly value: string;
  /** The marker flag that preceded it, if any. */
  readonly marker?: string;
}

export interface ParsedArgs {
  readonly values: ReadonlyMap<string, string>;
  readonly booleans: ReadonlySet<string>;
  readonly positionals: readonly Positional[];
}

export function parseArgs(args: readonly string[], spec: ArgSpec): ParsedArgs {
  const valueFlags = new Set(spec.values ?? []);
  const booleanFlags = new Set(spec.booleans ?? []);
  const markerFlags = new Set(spec.markers ?? []);
  const values = new Map<string, string>();
  const booleans = new Set<string>();
  const positionals: Positional[] = [];
  let marker: string | undefined;
  let flagsDone = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (flagsDone || !arg.startsWith('--') || arg === '--') {
      if (arg === '--' && !flagsDone) {
        flagsDone = true;
        continue;
      }
      positionals.push(marker === undefined ? { value: arg } : { value: arg, marker });
      marker = undefined;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (valueFlags.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else if (booleanFlags.has(name) && eq < 0) {
      booleans.add(name);
    } else if (markerFlags.has(name) && eq < 0) {
      if (marker !== undefined) throw new UsageError(`--${marker} must be followed by an argument, not --${name}`);
      marker = name;
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  if (marker !== undefined) throw new UsageError(`--${marker} must be followed by an argument`);
  return { values, booleans, positionals };
}

/** One of `choices`, or `fallback` when the flag is absent. */
export function choice<T extends string>(parsed: ParsedArgs, flag: string, choices: readonly T[], fallback: T): T;
export function choice<T extends string>(parsed: ParsedArgs, flag: string, choices: readonly T[]): T | undefined;
export function choice<T extends string>(parsed: ParsedArgs, flag: string, choices: readonly T[], fallback?: T): T | undefined {
  const value = parsed.values.get(flag);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** An integer flag in [min, max], or `fallback`. */
export function integer(parsed: ParsedArgs, flag: string, min: number, max: number, fallback: number): number {
  const value = parsed.values.get(flag);
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}
