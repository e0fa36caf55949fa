import type { Page } from '@playwright/test';

/**
 * A typed caller of the functions a bench page puts on `window[globalName]`
 * (bench/browser-page.ts, bench/yjs-page.ts). Each call runs through an inline
 * arrow, so nothing named crosses into the page, and fails after `timeoutMs`
 * with the step's name instead of hanging the bench.
 */
export function pageCaller<Api extends Record<string, (arg: never) => unknown>>(globalName: string, timeoutMs: number) {
  return async <K extends keyof Api & string>(page: Page, fn: K, arg: Parameters<Api[K]>[0]): Promise<Awaited<ReturnType<Api[K]>>> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bench step ${fn} took over ${timeoutMs} ms: stuck?`)), timeoutMs);
    });
    try {
      const run = page.evaluate(
        ([g, f, a]) => (window as unknown as Record<string, Record<string, (x: unknown) => unknown>>)[g]![f]!(a),
        [globalName, fn, arg] as const,
      );
      return (await Promise.race([run, watchdog])) as never;
    } finally {
      clearTimeout(timer);
    }
  };
}
