/**
 * The demo's vat worker: capmesh's own boot plus the demo's worker tools
 * (the round-trip probe; see worker-tools.ts).
 */
import { bootWorkerVat } from 'capmesh/browser';
import { demoWorkerTools } from './worker-tools.js';

bootWorkerVat(self as never, { extension: demoWorkerTools });
