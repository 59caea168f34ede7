/**
 * Failed Basic logins per client address: after `max` failures within `windowMs`, that address is
 * refused (429 with Retry-After) until the window ends, its credentials unchecked, so passwords
 * cannot be tried at request speed (500 wrong ones took 1.6 s). At most `maxClients` addresses are
 * remembered; past that the oldest entry is forgotten.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    readonly max = 10,
    readonly windowMs = 60_000,
    private readonly maxClients = 10_000,
  ) {}

  /** Milliseconds until `client` may try again; 0 when it may now. */
  blockedFor(client: string, now = Date.now()): number {
    const entry = this.failures.get(client);
    if (!entry) return 0;
    const left = entry.since + this.windowMs - now;
    if (left <= 0) {
      this.failures.delete(client);
      return 0;
    }
    return entry.count >= this.max ? left : 0;
  }

  failed(client: string, now = Date.now()): void {
    const entry = this.failures.get(client);
    if (entry && now - entry.since < this.windowMs) {
      entry.count++;
      return;
    }
    this.failures.delete(client);
    if (this.failures.size >= this.maxClients) this.failures.delete(this.failures.keys().next().value!);
    this.failures.set(client, { count: 1, since: now });
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }
}
