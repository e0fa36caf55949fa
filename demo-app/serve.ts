/**
 * `npm start`: serves the demo with Vite on embedded defaults and prints the
 * URL. (The relay joins it here once it exists.) Stops cleanly on Ctrl-C.
 */
import { createServer } from 'vite';

const port = Number(process.env.PORT ?? 5173);
const server = await createServer({ configFile: new URL('../vite.config.ts', import.meta.url).pathname, server: { port, host: '127.0.0.1' } });
await server.listen();
const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
console.log(`capmesh demo: open ${url}`);

const stop = async (): Promise<void> => {
  await server.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
