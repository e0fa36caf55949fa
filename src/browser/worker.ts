/**
 * The default worker entry for a browser vat: `startBrowserVat` starts this
 * file in a dedicated module worker unless the app gives its own worker.
 */
import { bootWorkerVat } from './worker-vat.js';

bootWorkerVat();
