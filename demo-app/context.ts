/** What every view gets from the app shell. */
import type { BrowserVat } from 'capmesh/browser';
import type { Route } from './links.js';
import type { AppStorage } from './storage.js';

export interface AppContext {
  readonly vat: BrowserVat;
  readonly storage: AppStorage;
  navigate(route: Route): void;
}

/** A mounted view: its element, and how to stop it (connections, timers). */
export interface View {
  readonly el: HTMLElement;
  /** Where focus goes when the view appears (its heading). */
  readonly focus?: HTMLElement;
  dispose(): void;
}
