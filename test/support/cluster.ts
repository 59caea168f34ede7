import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The repository root, from test/dist/support at run time. */
export const repoRoot = resolve(__dirname, '../../..');
/** The example app's two entry points: the server (HTTP API, dashboard, workers) and the
 * worker-only process (a Nest application context, no HTTP server). */
const entries = {
  server: join(repoRoot, 'apps/server/dist/main.js'),
  worker: join(repoRoot, 'apps/server/dist/worker.js'),
} as const;
export type NodeKind = keyof typeof entries;
/** Logs of the server processes the tests start (gitignored). */
export const artifactsRoot = join(repoRoot, 'test/artifacts');

/** One line of a node's execution log (`JOBS_EXECUTION_LOG`, written by the `simulate` handler). */
export interface ExecutionEvent {
  kind: 'start' | 'end';
  jobId: string;
  attempt: number;
  pid: number;
  at: number;
  /** For `end`: whether the handler returned (`ok`) or threw (`fail`). */
  ok?: boolean;
  /** The node whose log the line is in. */
  node: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** Every child process started by this file, so that none outlives the test process. */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when the test process ends without the tests' own clean-up (a crash, an uncaught
  // error): SIGKILL works on stopped processes as well.
  process.once('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
}

/** One `node apps/server/dist/main.js` (or `worker.js`) process, its combined stdout/stderr in `logFile`. */
export class ServerNode {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Signals this test sent, with when. */
  readonly signals: Array<{ signal: NodeJS.Signals; at: number }> = [];
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  exit: ProcessExit | null = null;
  port = 0;
  /** The jobs node id (`host:pid:random`), read from /health once ready. */
  nodeId = '';
  readyAt = 0;
  readonly startedAt = Date.now();

  constructor(
    readonly name: string,
    readonly logFile: string,
    readonly executionLog: string,
    env: NodeJS.ProcessEnv,
    readonly kind: NodeKind = 'server',
  ) {
    const out = openSync(logFile, 'a');
    try {
      this.child = spawn(process.execPath, [entries[kind]], { env, stdio: ['ignore', out, out] });
    } finally {
      closeSync(out); // the child has its own copy
    }
    if (this.child.pid === undefined) throw new Error(`Could not start ${name}`);
    this.pid = this.child.pid;
    track(this.child);
    this.exited = new Promise((done) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        done(this.exit);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  alive(): boolean {
    return this.exit === null;
  }

  /** Exited without this test having sent SIGKILL or SIGTERM: it died by itself. */
  diedByItself(): boolean {
    return this.exit !== null && !this.signals.some((s) => s.signal === 'SIGKILL' || s.signal === 'SIGTERM');
  }

  /** Sends `signal`; returns when it was sent. */
  kill(signal: NodeJS.Signals): number {
    const at = Date.now();
    this.signals.push({ signal, at });
    if (this.alive()) this.child.kill(signal);
    return at;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** The last lines of the node's output, for failure messages. */
  tail(lines = 30): string {
    return this.log().trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Waits for the "Listening on" line and a 200 from /health (a worker-only process: its
   * "Worker node … ready" line), or fails with the log's tail. */
  async ready(timeoutMs = 30_000): Promise<this> {
    const deadline = Date.now() + timeoutMs;
    if (this.kind === 'worker') {
      for (;;) {
        const match = /Worker node (\S+) ready/.exec(this.log());
        if (match) {
          this.nodeId = match[1];
          this.readyAt = Date.now();
          return this;
        }
        await this.waitOrFail(deadline, 'to be ready');
      }
    }
    while (this.port === 0) {
      const match = /Listening on http:\/\/localhost:(\d+)/.exec(this.log());
      if (match) this.port = Number(match[1]);
      else await this.waitOrFail(deadline, 'to listen');
    }
    for (;;) {
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200) {
          this.nodeId = ((await res.json()) as { details: { workers: { nodeId: string } } }).details.workers.nodeId;
          this.readyAt = Date.now();
          return this;
        }
      } catch {
        // not answering yet
      }
      await this.waitOrFail(deadline, 'to answer /health with 200');
    }
  }

  /** GET /health: the status, or 0 when the process does not answer. */
  async health(timeoutMs = 2_000): Promise<number> {
    try {
      return (await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(timeoutMs) })).status;
    } catch {
      return 0;
    }
  }

  /** POST /api/jobs; returns the job's id. */
  async enqueue(type: string, payload: unknown, options: Record<string, unknown> = {}): Promise<string> {
    const res = await fetch(`${this.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'test' },
      body: JSON.stringify({ type, payload, ...options }),
    });
    const text = await res.text();
    if (res.status !== 201 && res.status !== 200) throw new Error(`enqueue on ${this.name}: ${res.status} ${text}`);
    return (JSON.parse(text) as { id: string }).id;
  }

  /** Waits for the process to exit, up to `timeoutMs`; null if it is still running then. */
  async waitForExit(timeoutMs: number): Promise<ProcessExit | null> {
    return Promise.race([this.exited, sleep(timeoutMs, null)]);
  }

  private async waitOrFail(deadline: number, what: string): Promise<void> {
    if (!this.alive())
      throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before ${what}:\n${this.tail()}`);
    if (Date.now() > deadline) throw new Error(`${this.name} did not get ${what} in time:\n${this.tail()}`);
    await sleep(50);
  }
}

export interface ClusterOptions {
  /** Names the artifacts directory, e.g. the test file. */
  name: string;
  databaseUrl: string;
  schema: string;
  /** Environment of every node (on top of this process's). */
  env?: Record<string, string>;
}

/**
 * Server processes on one database and schema: start, signal, restart, read their execution logs,
 * and always kill them at the end. Artifacts (each node's output and execution log) go to
 * test/artifacts/<name>-<schema>/.
 */
export class Cluster {
  readonly nodes: ServerNode[] = [];
  readonly dir: string;

  constructor(readonly options: ClusterOptions) {
    this.dir = join(artifactsRoot, `${options.name}-${options.schema}`);
    mkdirSync(this.dir, { recursive: true });
  }

  /** Spawns a node without waiting for it; `env` adds to the cluster's environment. */
  spawn(env: Record<string, string> = {}, kind: NodeKind = 'server'): ServerNode {
    const name = `node${this.nodes.length + 1}`;
    const node = new ServerNode(
      name,
      join(this.dir, `${name}.log`),
      join(this.dir, `${name}.executions`),
      {
        ...process.env,
        NO_COLOR: '1',
        PORT: '0',
        DATABASE_URL: this.options.databaseUrl,
        JOBS_SCHEMA: this.options.schema,
        JOBS_EXECUTION_LOG: join(this.dir, `${name}.executions`),
        ...this.options.env,
        ...env,
      },
      kind,
    );
    this.nodes.push(node);
    return node;
  }

  /** Spawns a node and waits until it is ready. */
  async start(env: Record<string, string> = {}, timeoutMs?: number): Promise<ServerNode> {
    return this.spawn(env).ready(timeoutMs);
  }

  live(): ServerNode[] {
    return this.nodes.filter((n) => n.alive());
  }

  /** Every node's execution log, parsed, in time order; `skipped` counts lines that did not parse. */
  executions(): { events: ExecutionEvent[]; skipped: number } {
    const events: ExecutionEvent[] = [];
    let skipped = 0;
    for (const node of this.nodes) {
      if (!existsSync(node.executionLog)) continue;
      for (const line of readFileSync(node.executionLog, 'utf8').split('\n')) {
        if (line === '') continue;
        const m = /^(start|end) (\d+) (\d+) (\d+) (\d+)(?: (ok|fail))?$/.exec(line);
        if (!m || (m[1] === 'end') !== (m[6] !== undefined)) {
          skipped += 1;
          continue;
        }
        events.push({
          kind: m[1] as 'start' | 'end',
          jobId: m[2],
          attempt: Number(m[3]),
          pid: Number(m[4]),
          at: Number(m[5]),
          ...(m[6] ? { ok: m[6] === 'ok' } : {}),
          node: node.name,
        });
      }
    }
    events.sort((a, b) => a.at - b.at);
    return { events, skipped };
  }

  /** SIGTERMs the live nodes and waits up to `timeoutMs` for them to exit; returns their exits. */
  async terminateAll(timeoutMs = 15_000): Promise<Map<string, ProcessExit | null>> {
    const live = this.live();
    for (const node of live) {
      node.kill('SIGCONT');
      node.kill('SIGTERM');
    }
    const exits = await Promise.all(live.map((n) => n.waitForExit(timeoutMs)));
    return new Map(live.map((n, i) => [n.name, exits[i]]));
  }

  /** SIGKILLs every node still running and waits for them to be gone. */
  async killAll(): Promise<void> {
    const live = this.live();
    for (const node of live) node.kill('SIGKILL');
    await Promise.all(live.map((n) => n.waitForExit(5_000)));
  }

  /** Kills every node; removes the artifacts unless asked to keep them (keep them on failure). */
  async dispose({ keepArtifacts }: { keepArtifacts: boolean }): Promise<void> {
    await this.killAll();
    if (!keepArtifacts && !process.env.JOBS_TEST_KEEP_ARTIFACTS) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Percentile (nearest rank) of `values`; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
