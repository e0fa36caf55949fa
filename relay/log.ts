/**
 * The relay's structured logs: one JSON object per line,
 * `{"time","level","msg",…fields}`. Per-connection events are `debug`;
 * limits and refusals `warn`; start and stop `info`.
 */
export type RelayLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RelayLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS: readonly RelayLogLevel[] = ['debug', 'info', 'warn', 'error'];

/** A logger writing JSON lines through `write` at `minimum` and above. */
export function jsonLineLog(write: (line: string) => void, minimum: RelayLogLevel = 'info'): RelayLog {
  const at = (level: RelayLogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(minimum)) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const drop = (): void => {};
export const silentLog: RelayLog = Object.freeze({ debug: drop, info: drop, warn: drop, error: drop });
