/**
 * The demo's vat worker: capmesh's own boot plus the demo's worker tools
 * (relay reachability, round-trip probe, dropping dead connections; see
 * worker-tools.ts).
 */
import { bootWorkerVat } from 'capmesh/browser';
import { demoWorkerTools, trackDialled, watchRelaySockets } from './worker-tools.js';

watchRelaySockets(self as never);
bootWorkerVat(self as never, { wrapNetlayer: trackDialled, extension: demoWorkerTools });
