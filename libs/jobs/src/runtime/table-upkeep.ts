import type { Logger } from '@nestjs/common';
import type { MaintenanceRepository, TableStats } from '../storage/maintenance.repository';

/** How often the tables' activity is checked. */
const CHECK_EVERY_MS = 30_000;
/** Autovacuum counts as lagging when it has not done a needed job for this long. */
const LAG_S = 10 * 60;

/** Whether `t` needs a vacuum (dead rows) or an analyze (changed rows), the way autovacuum judges
 * it, with thresholds a little above its defaults. */
function needs(t: TableStats): { vacuum: boolean; analyze: boolean } {
  const vacuum = t.dead > Math.max(10_000, 0.2 * t.live);
  const analyze = (t.reltuples < 0 && t.live > 1_000) || t.modified > Math.max(10_000, 0.2 * Math.max(t.reltuples, 0));
  return { vacuum, analyze };
}

/**
 * The upkeep of the module's busy tables when autovacuum does not do it: a server with autovacuum
 * off (or off for the table), or an autovacuum that lags far behind. Dead rows left by every state
 * change then pile up, and a table filled in bulk has no statistics for the planner. Every 30 s one
 * node (an advisory lock) checks `pg_stat_user_tables` and runs `VACUUM (ANALYZE)` or `ANALYZE` where
 * needed, on a connection of its own. With autovacuum working, it does nothing.
 */
export class TableUpkeep {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private refused = false;
  private stopping = false;
  /** When this node first saw each table needing a vacuum or an analyze (and still does). */
  private readonly neededSince = new Map<string, number>();

  constructor(
    private readonly maintenance: MaintenanceRepository,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  /** Stops checking; a vacuum under way is canceled (it would hold the shutdown for as long as it
   * runs; the next check of any node starts it again). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping = true;
    if (this.running) await this.maintenance.cancelUpkeep().catch(() => undefined);
    await this.running;
  }

  /** Checks the tables now (and vacuums or analyzes them if needed). */
  check(): Promise<void> {
    if (this.refused) return Promise.resolve();
    this.running ??= this.run()
      .catch((err: Error & { code?: string }) => {
        if (err.code === '57014' && this.stopping) return; // canceled by stop()
        if (err.code === '42501') {
          // Not the tables' owner: leave them to autovacuum (or the DBA) from now on.
          this.refused = true;
          this.logger.warn(`Table upkeep is not allowed (${err.message}); it is left to autovacuum`);
        } else this.logger.warn(`Table upkeep failed (${err.message})`);
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  private async run(): Promise<void> {
    const due: Array<{ table: string; vacuum: boolean }> = [];
    const now = Date.now();
    for (const t of await this.maintenance.tableStats()) {
      const need = needs(t);
      if (t.vacuum_running || !(need.vacuum || need.analyze)) {
        this.neededSince.delete(t.table);
        continue; // a vacuum is at it already (two at once only slow the jobs down), or nothing to do
      }
      const since = this.neededSince.get(t.table) ?? now;
      this.neededSince.set(t.table, since);
      // With autovacuum on, a table is left to it unless it has lagged for LAG_S: work it has not
      // done for that long, by the last run's age or (a table it never got to) by how long this
      // node has seen the work waiting.
      const lagging = (ago: number | null) => !t.autovacuum || (ago ?? (now - since) / 1_000) > LAG_S;
      const vacuum = need.vacuum && lagging(t.vacuumed_s_ago);
      const analyze = need.analyze && lagging(t.analyzed_s_ago);
      if (vacuum || analyze) due.push({ table: t.table, vacuum });
    }
    if (due.length === 0) return;
    const started = Date.now();
    if (await this.maintenance.upkeep(due)) {
      this.logger.log(
        `Table upkeep: ${due.map((d) => `${d.vacuum ? 'vacuumed' : 'analyzed'} ${d.table}`).join(', ')} ` +
          `in ${Date.now() - started} ms (autovacuum off or behind)`,
      );
    }
  }
}
