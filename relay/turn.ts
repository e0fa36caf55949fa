import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CapmeshError } from '../src/util/errors.js';
import { MAX_TURN_FIELD_CHARS, MAX_TURN_URLS, TURN_QUERY, type RelayServerMessage } from '../src/netlayer/relay/protocol.js';

/**
 * Short-lived TURN credentials, minted by the relay for each registered vat
 * (the "TURN REST API" scheme that coturn implements with
 * `--use-auth-secret --static-auth-secret`): the relay and the TURN server
 * share a secret; the relay hands a vat
 *
 * - `username` = `<expiry, Unix seconds>:<designator>`
 * - `credential` = base64(HMAC-SHA1(secret, username))
 *
 * and the TURN server, knowing the secret, recomputes the credential from the
 * username and refuses it once the expiry has passed. Nothing is stored on
 * either side; a leaked credential is good for one TTL at most. See
 * docs/turn.md.
 */

/** Default lifetime of minted credentials: one hour. */
export const DEFAULT_TURN_TTL_SECONDS = 3_600;
/** Shortest and longest lifetimes accepted (`--turn-ttl`). */
export const MIN_TURN_TTL_SECONDS = 60;
export const MAX_TURN_TTL_SECONDS = 7 * 24 * 3_600;

/** `RelayOptions.turn`: where the TURN server is and the secret it shares with the relay. */
export interface RelayTurnOptions {
  /** `turn:host:port[?transport=udp|tcp]` or `turns:…` URLs of one TURN deployment sharing `secret` (1..8). */
  readonly urls: readonly string[];
  /** coturn's `static-auth-secret`. Never sent to vats. */
  readonly secret: string;
  /**
   * Lifetime of each credential, in seconds (60 .. 604 800). Default 3 600.
   * The relay sends fresh ones every half lifetime while the vat stays
   * registered.
   */
  readonly ttlSeconds?: number;
}

/** One minted credential. */
export interface TurnCredential {
  /** `expiry:designator`. */
  readonly username: string;
  /** base64 HMAC-SHA1 of `username` under the secret. */
  readonly credential: string;
  /** The expiry, Unix seconds (what the username starts with). */
  readonly expiresAt: number;
}

/**
 * Mints the credential for `designator` that expires `ttlSeconds` after
 * `nowMs` (a Unix time in ms, rounded down to the second). Pure.
 */
export function mintTurnCredential(secret: string, designator: string, ttlSeconds: number, nowMs: number): TurnCredential {
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiresAt}:${designator}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt };
}

/**
 * Checks `RelayOptions.turn` up front; throws `INVALID_ARGUMENT` naming the
 * field, and returns it with the TTL default filled in.
 */
export function resolveTurnOptions(turn: RelayTurnOptions): Required<RelayTurnOptions> {
  const fail = (argument: string, message: string): never => {
    throw new CapmeshError('INVALID_ARGUMENT', `relay \`turn.${argument}\`: ${message}`, { detail: { argument: `turn.${argument}` } });
  };
  if (typeof turn !== 'object' || turn === null) fail('urls', 'turn must be an object with urls and secret');
  if (!Array.isArray(turn.urls) || turn.urls.length === 0 || turn.urls.length > MAX_TURN_URLS) fail('urls', `1 to ${MAX_TURN_URLS} TURN URLs`);
  for (const url of turn.urls) {
    if (typeof url !== 'string' || url.length > MAX_TURN_FIELD_CHARS || !/^turns?:[^\s/?#]+(\?transport=(udp|tcp))?$/.test(url)) {
      fail('urls', `a TURN URL is turn:host:port or turns:host:port, optionally ?transport=udp|tcp; got ${JSON.stringify(String(url).slice(0, 100))}`);
    }
  }
  if (typeof turn.secret !== 'string' || turn.secret.length === 0) fail('secret', 'a non-empty string (coturn static-auth-secret)');
  const ttlSeconds = turn.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < MIN_TURN_TTL_SECONDS || ttlSeconds > MAX_TURN_TTL_SECONDS) {
    fail('ttlSeconds', `an integer from ${MIN_TURN_TTL_SECONDS} to ${MAX_TURN_TTL_SECONDS}, got ${JSON.stringify(ttlSeconds)}`);
  }
  return { urls: [...turn.urls], secret: turn.secret, ttlSeconds };
}

/**
 * Hands credentials to registered vats and keeps them fresh. The server calls
 * `registered(key, designator)` once a connection that asked for TURN
 * credentials has registered, and `forget(key)` when it goes; in between,
 * the issuer sends a `turn` message at once and then every half TTL, so a
 * vat always holds credentials with at least half their lifetime left.
 * A send that fails (the connection is closing) is not retried: `forget`
 * follows. `close()` stops every timer.
 */
export class TurnIssuer<K> {
  readonly #config: Required<RelayTurnOptions>;
  readonly #send: (key: K, message: RelayServerMessage) => void;
  readonly #now: () => number;
  readonly #timers = new Map<K, ReturnType<typeof setInterval>>();

  /** `now`: Unix time in ms (default `Date.now`; the TURN server compares expiries with its own clock, so keep both in sync). */
  constructor(config: RelayTurnOptions, send: (key: K, message: RelayServerMessage) => void, now: () => number = Date.now) {
    this.#config = resolveTurnOptions(config);
    this.#send = send;
    this.#now = now;
  }

  /** Credentials issued so far (for `/metrics`). */
  issued = 0;

  /** Peers being kept supplied. */
  get size(): number {
    return this.#timers.size;
  }

  /** The message `designator` would get now. */
  message(designator: string): RelayServerMessage {
    const { urls, secret, ttlSeconds } = this.#config;
    const { username, credential } = mintTurnCredential(secret, designator, ttlSeconds, this.#now());
    return { type: 'turn', urls, username, credential, ttlSeconds };
  }

  /** `key` registered as `designator`: send credentials now and every half TTL until `forget(key)`. */
  registered(key: K, designator: string): void {
    this.forget(key);
    const issue = (): void => {
      this.issued++;
      this.#send(key, this.message(designator));
    };
    const timer = setInterval(issue, (this.#config.ttlSeconds * 1000) / 2);
    (timer as { unref?: () => void }).unref?.();
    this.#timers.set(key, timer);
    issue();
  }

  /** Stops refreshing `key`'s credentials (the credentials it holds stay valid until they expire). */
  forget(key: K): void {
    clearInterval(this.#timers.get(key));
    this.#timers.delete(key);
  }

  close(): void {
    for (const timer of this.#timers.values()) clearInterval(timer);
    this.#timers.clear();
  }
}

/** True when the upgrade request's URL (path and query, as `IncomingMessage.url`) asks for TURN credentials (`?capmesh-turn=1`). */
export function wantsTurnCredentials(requestUrl: string | undefined): boolean {
  const query = (requestUrl ?? '').split('?')[1];
  return query !== undefined && new URLSearchParams(query).get(TURN_QUERY) === '1';
}

const TURN_FLAGS = new Set(['--turn-url', '--turn-secret', '--turn-secret-file', '--turn-ttl']);

/**
 * Collects the `capmesh relay` TURN flags (`parseRelayArgs`): `accepts`
 * says whether a flag is one of them, `take` records it (throws
 * `INVALID_ARGUMENT` naming the flag), `options` checks the whole and gives
 * `RelayTurnOptions`, or undefined when no TURN flag was given.
 */
export class TurnFlags {
  readonly #urls: string[] = [];
  #secret: string | undefined;
  #ttl: number | undefined;
  #any = false;

  accepts(flag: string): boolean {
    return TURN_FLAGS.has(flag);
  }

  take(flag: string, value: string | undefined): void {
    this.#any = true;
    if (value === undefined || value === '') throw new CapmeshError('INVALID_ARGUMENT', `${flag} takes a value`);
    if (flag === '--turn-url') this.#urls.push(value);
    else if (flag === '--turn-ttl') {
      if (!/^\d+$/.test(value)) throw new CapmeshError('INVALID_ARGUMENT', `--turn-ttl takes whole seconds, got ${JSON.stringify(value)}`);
      this.#ttl = Number(value);
    } else {
      if (this.#secret !== undefined) throw new CapmeshError('INVALID_ARGUMENT', 'give one of --turn-secret and --turn-secret-file, once');
      if (flag === '--turn-secret') this.#secret = value;
      else {
        try {
          this.#secret = readFileSync(value, 'utf8').replace(/\r?\n$/, '');
        } catch (cause) {
          throw new CapmeshError('INVALID_ARGUMENT', `--turn-secret-file: cannot read ${JSON.stringify(value)}`, { cause });
        }
      }
    }
  }

  options(): RelayTurnOptions | undefined {
    if (!this.#any) return undefined;
    if (this.#urls.length === 0) throw new CapmeshError('INVALID_ARGUMENT', 'the TURN flags need at least one --turn-url');
    if (this.#secret === undefined) throw new CapmeshError('INVALID_ARGUMENT', '--turn-url needs --turn-secret or --turn-secret-file');
    const options: RelayTurnOptions = { urls: this.#urls, secret: this.#secret, ...(this.#ttl !== undefined ? { ttlSeconds: this.#ttl } : {}) };
    try {
      return resolveTurnOptions(options);
    } catch (cause) {
      throw new CapmeshError('INVALID_ARGUMENT', `${(cause as Error).message.replace('relay `turn.urls`', '--turn-url').replace('relay `turn.ttlSeconds`', '--turn-ttl').replace('relay `turn.secret`', '--turn-secret')}`, { cause });
    }
  }
}
