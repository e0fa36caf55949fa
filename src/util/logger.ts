/**
 * The one logger shape every capmesh part takes (vats, netlayers, the relay
 * client and the relay server): four levels, a message and optional key-value
 * fields. `console` works as one; `silentLogger` drops everything (the default
 * everywhere but the relay server, which logs JSON lines to stderr);
 * `jsonLineLogger` writes one JSON object per line.
 *
 * A logger must not throw: callers log from inside event handlers and do not
 * guard the call.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A level of `Logger`, lowest first in `LOG_LEVELS`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The levels, lowest first. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['debug', 'info', 'warn', 'error']);

const drop = (): void => {};

/** Drops everything. */
export const silentLogger: Logger = Object.freeze({ debug: drop, info: drop, warn: drop, error: drop });

/**
 * A logger writing `{"time","level","msg",…fields}` lines through `write`
 * (e.g. `line => process.stderr.write(line + '\n')`), at `minimum` (default
 * `info`) and above. Bigints in fields are written as decimal strings.
 */
export function jsonLineLogger(write: (line: string) => void, minimum: LogLevel = 'info'): Logger {
  const floor = LOG_LEVELS.indexOf(minimum);
  const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(level) < floor) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
