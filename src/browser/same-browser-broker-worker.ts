/**
 * The SharedWorker entry of the same-browser broker: `startBrowserVat`
 * starts this file once per origin and browser profile (unless
 * `sameBrowser: false`).
 */
import { bootSameBrowserBroker } from './same-browser-broker.js';

bootSameBrowserBroker();
