import type { DataSource } from 'typeorm';
import { AdminRepository } from './admin.repository';
import { AttemptsRepository } from './attempts.repository';
import { ChangeFeedRepository } from './change-feed.repository';
import { Database, poolOf } from './database';
import { JobsRepository } from './jobs.repository';
import { ListenerConnection, type ListenerEvents } from './listener-connection';
import { MaintenanceRepository } from './maintenance.repository';
import { assertSchemaVersion, runMigrations } from './migrator';
import { NodesRepository } from './nodes.repository';
import { OperatorsRepository } from './operators.repository';
import { ProbeConnection } from './probe-connection';
import { QueuesRepository } from './queues.repository';
import { SchedulesRepository } from './schedules.repository';
import { StatsRepository } from './stats.repository';

/**
 * Everything the module stores, behind one object: a repository per concern, each owning its
 * statements. Nothing above this layer sees a pool, a client or SQL text.
 */
export class JobsStorage {
  readonly jobs: JobsRepository;
  readonly attempts: AttemptsRepository;
  readonly admin: AdminRepository;
  readonly queues: QueuesRepository;
  readonly stats: StatsRepository;
  readonly nodes: NodesRepository;
  readonly changes: ChangeFeedRepository;
  readonly maintenance: MaintenanceRepository;
  readonly schedules: SchedulesRepository;
  readonly operators: OperatorsRepository;

  constructor(readonly db: Database) {
    this.jobs = new JobsRepository(db);
    this.attempts = new AttemptsRepository(db);
    this.admin = new AdminRepository(db);
    this.queues = new QueuesRepository(db);
    this.stats = new StatsRepository(db);
    this.nodes = new NodesRepository(db);
    this.changes = new ChangeFeedRepository(db);
    this.maintenance = new MaintenanceRepository(db);
    this.schedules = new SchedulesRepository(db, this.jobs);
    this.operators = new OperatorsRepository(db);
  }

  /**
   * The storage of `schema` in the DataSource's database: with `migrationsRun`, applies the missing
   * migrations first (under an advisory lock); then checks the schema is at this code's version.
   * Returns the versions it applied.
   */
  static async open(
    dataSource: DataSource,
    options: { schema: string; migrationsRun: boolean },
  ): Promise<{ storage: JobsStorage; applied: number[] }> {
    const pool = poolOf(dataSource);
    const applied = options.migrationsRun ? await runMigrations(pool, options.schema) : [];
    await assertSchemaVersion(pool, options.schema);
    return { storage: new JobsStorage(new Database(pool, options.schema)), applied };
  }

  get schema(): string {
    return this.db.names.schema;
  }

  /** The channels the module's notifications travel on. */
  get channels(): { wake: string; cancel: string } {
    return { wake: this.db.names.wakeChannel, cancel: this.db.names.cancelChannel };
  }

  /** Opens a dedicated connection listening on the module's channels. */
  listen(events: ListenerEvents): Promise<ListenerConnection> {
    const { wake, cancel } = this.channels;
    return ListenerConnection.open(this.db, [wake, cancel], events);
  }

  /** A connection of its own for health probes (its owner closes it). */
  probeConnection(): ProbeConnection {
    return new ProbeConnection(this.db);
  }
}
