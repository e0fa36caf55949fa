/**
 * The capmesh build the benchmarks measure: the compiled `dist/` (what users
 * run), not the sources as transpiled on the fly by tsx, which wraps every
 * function it creates in a naming helper and skews the figures. `npm run
 * bench` builds first. Types come from the sources.
 */
type Main = typeof import('../src/index.js');
type Testing = typeof import('../src/testing.js');

const fromSource = process.env.CAPMESH_BENCH_SOURCE === '1';
export const capmesh = (await import(fromSource ? '../src/index.js' : '../dist/src/index.js')) as Main;
export const testing = (await import(fromSource ? '../src/testing.js' : '../dist/src/testing.js')) as Testing;
