/**
 * `npm start`: the whole demo on embedded defaults, in one process.
 *
 * 1. Starts the relay in-process on 127.0.0.1:8787 (or a free port when that
 *    one is taken; `RELAY_PORT` picks another).
 * 2. Starts Vite serving the app (index.html + demo-app/) on 127.0.0.1:5173
 *    (the next free port if taken; `PORT` picks another), telling the app
 *    where the relay is (vite.config.ts reads `CAPMESH_RELAY_URL`).
 * 3. Prints the URL to open. Ctrl-C (or SIGTERM) stops both.
 *
 * The relay logs only warnings and errors here; `RELAY_LOG=debug|info` shows more.
 */
import { createServer } from 'vite';
import { jsonLineLogger, startRelay, type LogLevel, type RelayServer } from '../relay/index.js';

const host = process.env.HOST ?? '127.0.0.1';
const webPort = Number(process.env.PORT ?? 5173);
const relayPort = Number(process.env.RELAY_PORT ?? 8787);
const logLevel = (process.env.RELAY_LOG ?? 'warn') as LogLevel;
const log = jsonLineLogger((line) => process.stderr.write(`relay: ${line}\n`), logLevel);

async function relayOnFreePort(): Promise<RelayServer> {
  try {
    return await startRelay({ host, port: relayPort, log });
  } catch (e) {
    if ((e as { code?: string }).code !== 'EADDRINUSE') throw e;
    const relay = await startRelay({ host, port: 0, log });
    console.log(`capmesh: port ${relayPort} is taken; the relay uses ${relay.port} instead`);
    return relay;
  }
}

const relay = await relayOnFreePort();
process.env.CAPMESH_RELAY_URL = relay.url;
const server = await createServer({
  configFile: new URL('../vite.config.ts', import.meta.url).pathname,
  server: { port: webPort, host },
});
await server.listen();
const url = server.resolvedUrls?.local[0] ?? `http://${host}:${webPort}/`;
console.log(`capmesh relay: ${relay.url}`);
console.log(`capmesh demo:  open ${url} in two tabs (or two browsers) — Ctrl-C stops both`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('\ncapmesh: stopping');
  await Promise.allSettled([server.close(), relay.close()]);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
