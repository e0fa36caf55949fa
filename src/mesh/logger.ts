/**
 * The vat's pluggable logger: four levels, a message and optional key-value
 * fields. `console` works as one; `silentLogger` drops everything (the
 * default); `jsonLineLogger` writes one JSON object per line (for servers).
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const drop = (): void => {};

export const silentLogger: Logger = Object.freeze({ debug: drop, info: drop, warn: drop, error: drop });

/** A logger writing `{"level","msg",…fields}` lines through `write` (e.g. `line => process.stderr.write(line + '\n')`). */
export function jsonLineLogger(write: (line: string) => void, minimum: 'debug' | 'info' | 'warn' | 'error' = 'info'): Logger {
  const order = ['debug', 'info', 'warn', 'error'] as const;
  const at = (level: (typeof order)[number]) => (message: string, fields?: Record<string, unknown>) => {
    if (order.indexOf(level) < order.indexOf(minimum)) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
