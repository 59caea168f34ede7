import type { RunningAttempt } from './running-attempt';

/**
 * How long a node's session lock may stay free before the sweep declares the node dead: a live node
 * whose session dropped reconnects and takes its lock again well within it (it retries at once, then
 * every few hundred ms); a dead process never does. Crash recovery costs this much more than a sweep.
 */
export const SESSION_GRACE_MS = 900;

/** How often a node proves its session with a round trip on it (see `NotificationListener`). */
export const SESSION_CHECK_MS = 100;

/** A session check unanswered this long means the session is gone (a silent socket): it is replaced. */
export const SESSION_SILENCE_MS = 3_000;

/**
 * How much before the earliest moment another node may take its jobs a node aborts its handlers: the
 * lateness of the watchdog's timer (`WATCHDOG_MS`) and of a busy event loop.
 */
export const SELF_ABORT_MARGIN_MS = 150;

/** A node starts (and claims) a job only while it can prove itself alive this much longer: a short job
 * started then ends before the node would have to abort it (during a database restart, say). */
export const START_MARGIN_MS = 300;

/** How often the node compares its leases with its monotonic clock. */
export const WATCHDOG_MS = 50;

/** Why an attempt whose lease the node could not prove in time is aborted or not started. */
export const LEASE_NOT_PROVEN = new Error(
  'Job lease not proven in time: the node could not renew it (database unreachable, or the process was paused)',
);

/** Why an attempt is given back at shutdown. */
export const HANDED_BACK = new Error('Worker shutting down: job handed back');

/**
 * What this node can prove about its claims, by its own monotonic clock (`performance.now()`, which
 * keeps counting while the process is stopped): never by comparing its clock with the database's.
 *
 * Every rule that lets another node take this node's jobs measures a duration on the database's
 * clock from an event that happened after this node *sent* a statement that succeeded:
 * - a job's lease ends `leaseMs` after the claim or renewal that set it was executed, so no earlier
 *   than `leaseMs` after it was sent;
 * - the node is stale `leaseMs` after its last heartbeat was executed, so no earlier than `leaseMs`
 *   after it was sent;
 * - the node's session lock is free `SESSION_GRACE_MS` after a sweep first saw it free, which is
 *   after the session ended, which is after the last round trip on it was sent. This one counts once
 *   the node knows its session is gone: PostgreSQL ends a session either telling the client (an
 *   error, the socket closed) or, for a client it cannot reach, after its TCP keepalive (11 s), while
 *   the node gives a session up after `SESSION_SILENCE_MS` without an answer.
 * So the node counts each deadline from the send time of the last statement that proved it, minus
 * `SELF_ABORT_MARGIN_MS`, and past it aborts the attempt and starts nothing.
 */
export class LeaseClock {
  private heartbeatSentAt = -Infinity;
  private sessionSentAt = -Infinity;
  /** The node's session ended (or is presumed gone), and no new one is registered yet. */
  private sessionDown = true;

  constructor(readonly leaseMs: number) {}

  /** A heartbeat (or registration) sent at `sentAt` found the node's row. */
  heartbeatProved(sentAt: number): void {
    this.heartbeatSentAt = Math.max(this.heartbeatSentAt, sentAt);
  }

  /** A round trip on the node's locked session (or its registration), sent at `sentAt`, succeeded. */
  sessionProved(sentAt: number): void {
    this.sessionSentAt = Math.max(this.sessionSentAt, sentAt);
    this.sessionDown = false;
  }

  /** The session failed, ended, or stopped answering: until a new one is registered, the grace counts. */
  sessionLost(): void {
    this.sessionDown = true;
  }

  /** The registry no longer has this node: nothing it owned is its own any more. */
  forget(): void {
    this.heartbeatSentAt = -Infinity;
  }

  /** Until when (monotonic ms) the node itself is safe from being declared dead. */
  nodeDeadline(): number {
    const session = this.sessionDown ? this.sessionSentAt + SESSION_GRACE_MS : Infinity;
    return Math.min(this.heartbeatSentAt + this.leaseMs, session) - SELF_ABORT_MARGIN_MS;
  }

  /** Until when the attempt is this node's to run. */
  deadline(attempt: RunningAttempt): number {
    return Math.min(this.nodeDeadline(), attempt.leaseSentAt + this.leaseMs - SELF_ABORT_MARGIN_MS);
  }

  /** Whether the attempt is still provably this node's. */
  holds(attempt: RunningAttempt, now = performance.now()): boolean {
    return now < this.deadline(attempt);
  }

  /** Whether the node may claim, and start `attempt`: it can prove itself alive (and the attempt its
   * lease) `START_MARGIN_MS` longer. */
  mayStart(attempt?: RunningAttempt, now = performance.now()): boolean {
    return now + START_MARGIN_MS < (attempt ? this.deadline(attempt) : this.nodeDeadline());
  }
}
