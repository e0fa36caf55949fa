/**
 * The demo's vat worker: capmesh's own boot plus the demo's worker tools
 * (round-trip probe, dropping dead connections; see worker-tools.ts).
 */
import { bootWorkerVat } from 'capmesh/browser';
import { demoWorkerTools, trackDialled } from './worker-tools.js';

bootWorkerVat(self as never, { wrapNetlayer: trackDialled, extension: demoWorkerTools });
