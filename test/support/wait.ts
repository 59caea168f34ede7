import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value that is not `undefined`/`false`, or fails with `message`
 * at the deadline. The test's synchronisation primitive: no bare sleeps.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  {
    timeoutMs = 10_000,
    intervalMs = 25,
    message = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    last = value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message} (last: ${String(last)})`);
    await sleep(intervalMs);
  }
}

/** A promise with its resolve function outside, for handlers that tests release by hand. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
