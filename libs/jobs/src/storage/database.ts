import { Client, type ClientConfig, type Pool, type PoolClient, type QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import { InvalidJobOptionsError, JobsStatementTimeoutError } from '../errors';
import type { JobsConnectionOptions } from '../interfaces';
import { schemaNames, type SchemaNames } from './schema-name';
import type { Statement } from './statements/statement';

/** How long a statement of the engine may go unanswered before its caller gives up (see `query`). */
export const QUERY_TIMEOUT_MS = 60_000;

/** A statement with its parameters. */
export type Query = Statement & { values?: unknown[] };

/** Something a statement runs on: the pool, a client in a transaction, or a caller's TypeORM
 * EntityManager (`managerQueryable`, which runs it unnamed). */
export interface Queryable {
  query<R extends QueryResultRow>(query: Query): Promise<{ rows: R[]; rowCount?: number | null }>;
}

/**
 * The module's database: the pool of the DataSource it works through, and the names of its schema.
 * Every repository runs its statements here.
 */
export class Database implements Queryable {
  readonly names: SchemaNames;
  /** The statement timeout of the operators' statements (`timed`). */
  adminTimeoutMs = 5_000;

  constructor(
    readonly pool: Pool,
    schema: string,
  ) {
    this.names = schemaNames(schema);
  }

  /**
   * Runs a statement on the pool. It fails after `timeoutMs` without an answer (`query_timeout`: the
   * pool then discards the client), so that no caller waits forever on a connection whose peer went
   * silent (a partition keeps the socket open); the statement may still run on the server.
   */
  async query<R extends QueryResultRow>(
    query: Query,
    timeoutMs = QUERY_TIMEOUT_MS,
  ): Promise<{ rows: R[]; rowCount: number | null }> {
    return this.pool.query<R>({ ...query, query_timeout: Math.max(1, Math.floor(timeoutMs)) } as Query);
  }

  /** Runs `work` in a transaction on one pooled client: committed if it resolves, else rolled back. */
  async transaction<R>(work: (client: PoolClient) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    // The pool listens for errors of idle clients only: a connection that drops between two
    // statements of a transaction would otherwise be an unhandled 'error' event, which ends the
    // process. The statement under way (or the next one) fails, and the client is discarded.
    let lost: Error | undefined;
    const onError = (err: Error) => (lost = err);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(lost);
    }
  }

  /**
   * Runs `work` in a transaction whose statements stop after `adminTimeoutMs` (`SET LOCAL
   * statement_timeout`): an admin request can never hold a connection and scan for minutes. A
   * timeout becomes a `JobsStatementTimeoutError` (503), not a database error. `timeoutMs` replaces
   * `adminTimeoutMs` for reads with a budget of their own (the queue counts).
   */
  async timed<R>(action: string, work: (on: Queryable) => Promise<R>, timeoutMs = this.adminTimeoutMs): Promise<R> {
    const ms = Math.max(1, Math.floor(timeoutMs));
    try {
      return await this.transaction(async (client) => {
        await client.query(`SET LOCAL statement_timeout = ${ms}`);
        return work(client);
      });
    } catch (err) {
      if ((err as { code?: unknown }).code === '57014') throw new JobsStatementTimeoutError(action, ms);
      throw err;
    }
  }

  /** A connection of its own, outside the pool, with the pool's settings (LISTEN, node session). */
  dedicatedClient(): Client {
    const config = (this.pool as unknown as { options: ClientConfig }).options;
    return new Client({
      ...config,
      connectionTimeoutMillis: config.connectionTimeoutMillis || 5_000,
      // A session statement unanswered this long fails (its caller then drops the connection).
      query_timeout: 5_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
  }
}

/** Opens a DataSource of the module's own (`connection` option); the module destroys it at shutdown.
 * A connection attempt to an unreachable host fails after 5 s instead of hanging (pg's default). */
export async function openDataSource(connection: JobsConnectionOptions): Promise<DataSource> {
  const dataSource = new DataSource({
    connectTimeoutMS: 5_000,
    ...connection,
    type: 'postgres',
    entities: [],
    migrations: [],
  });
  await dataSource.initialize();
  return dataSource;
}

/** The pool behind a PostgreSQL DataSource (the host's or the module's own). */
export function poolOf(dataSource: DataSource): Pool {
  if (dataSource.options.type !== 'postgres') {
    throw new InvalidJobOptionsError('dataSource', `must be a PostgreSQL DataSource, got "${dataSource.options.type}"`);
  }
  // The PostgreSQL driver's pool; read structurally, since the driver's file is not part of TypeORM's
  // public entry (and 1.x maps such deep paths differently for require and import).
  return (dataSource.driver as unknown as { master: Pool }).master;
}
