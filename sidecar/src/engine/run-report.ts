// What a run reports: its counts, the first changes and failures in detail, the audit
// entries of failures WordPress never saw, and the live progress. A page replayed after an
// interruption counts each user once: the outcomes the interrupted run counted in that page
// are remembered (`pageCounted`) and not counted again.
import type { Logger } from '../logger.js';
import type { Run, RunChange, RunCounts, RunDetails, RunFailure } from '../store/types.js';
import { emptyCounts, emptyDetails } from '../store/types.js';
import type { AuditEntry, WordPressGateway } from './types.js';

/** Changes and failures kept in detail per run (the counts go on). */
export const MAX_DETAILS = 100;

export interface RunProgress {
  processed: number;
  total: number | null;
  counts: RunCounts;
  details: RunDetails;
  full: boolean;
}

export interface RunReportDeps {
  run: Run;
  dryRun: boolean;
  source: string;
  /** The audit source of failures WordPress never saw. */
  auditSource: string;
  wordpress: Pick<WordPressGateway, 'writeAudit'>;
  logger: Logger;
}

export class RunReport {
  readonly counts: RunCounts;
  readonly details: RunDetails;
  total: number | null;
  /** The run read a full listing. */
  full = false;
  private processed: number;
  /** Users counted in the page being applied (or in the replayed page, before it). */
  private pageCounted: Set<string>;
  private inPage = false;
  private readonly audit: AuditEntry[] = [];
  private warnedPhoto = false;

  constructor(private readonly deps: RunReportDeps) {
    const { run } = deps;
    // A reopened run continues its record: what happened before the interruption stays.
    this.counts = { ...emptyCounts(), ...run.counts };
    this.details = {
      ...emptyDetails(),
      failures: [...(run.details?.failures ?? [])],
      changes: [...(run.details?.changes ?? [])],
      interruptions: run.details?.interruptions ?? 0,
      ...(run.details?.withheld ? { withheld: { ...run.details.withheld } } : {}),
    };
    this.pageCounted = new Set(run.details?.pageCounted ?? []);
    this.processed = Math.max(0, (run.processed ?? 0) - this.pageCounted.size);
    this.total = run.total ?? null;
  }

  get progress(): RunProgress {
    return {
      processed: this.processed + this.pageCounted.size,
      total: this.total,
      counts: { ...this.counts },
      details: this.deps.dryRun
        ? this.details
        : { ...this.details, pageCounted: [...this.pageCounted] },
      full: this.full,
    };
  }

  beginPage(): void {
    this.inPage = true;
  }

  /** The page is applied: its users count as processed. */
  endPage(users: number): void {
    this.processed += users;
    this.pageCounted.clear();
    this.inPage = false;
  }

  /** Users applied outside a page (chosen users). */
  addProcessed(users: number): void {
    this.processed += users;
  }

  /**
   * Whether to count an outcome for this user: once per page, and not again for a user the
   * interrupted run counted before it stopped in the page now replayed.
   */
  private countOnce(externalId: string): boolean {
    if (!this.inPage) return true;
    if (this.pageCounted.has(externalId)) return false;
    this.pageCounted.add(externalId);
    return true;
  }

  unchanged(externalId: string): void {
    if (this.countOnce(externalId)) this.counts.unchanged++;
  }

  /** A user left alone because the source may not make this write (counted unchanged). */
  withheld(externalId: string, write: 'create' | 'update'): void {
    if (!this.countOnce(externalId)) return;
    this.counts.unchanged++;
    this.details.withheld ??= { create: 0, update: 0 };
    this.details.withheld[write]++;
  }

  /** Counts what WordPress did (or, in a dry run, would do) for one user. */
  record(change: RunChange, status: string): void {
    if (!this.countOnce(change.externalId)) return;
    switch (status) {
      case 'created':
        this.counts.created++;
        break;
      case 'unchanged':
        this.counts.unchanged++;
        break;
      case 'disabled':
        this.counts.disabled++;
        break;
      case 'deleted':
        this.counts.deleted++;
        break;
      default:
        this.counts.updated++;
    }
    if (status !== 'unchanged') this.listChange(change);
  }

  /** Lists a change in the details (the first MAX_DETAILS of them), without counting it. */
  listChange(change: RunChange): void {
    if (this.details.changes.length < MAX_DETAILS) this.details.changes.push(change);
  }

  /** A user the run could not apply; `audit` when WordPress never saw the failure. */
  fail(
    externalId: string,
    login: string | null,
    action: string,
    code: string,
    message: string,
    audit: { audit: boolean; userId?: number | null } = { audit: false },
  ): void {
    if (!this.countOnce(externalId)) return;
    this.counts.failed++;
    if (audit.audit && !this.deps.dryRun) {
      this.audit.push({
        source: this.deps.auditSource,
        action,
        result: 'failure',
        userId: audit.userId ?? null,
        userLogin: login ?? externalId,
        fields: [],
        message: `${message} (external id ${externalId})`,
        runId: this.deps.run.id,
      });
    }
    if (this.details.failures.length < MAX_DETAILS) {
      const failure: RunFailure = { externalId, login, action, code, message };
      this.details.failures.push(failure);
    }
    this.deps.logger.warn(
      { source: this.deps.source, externalId, login, action, code, message },
      'user not applied',
    );
  }

  /** A profile photo that could not be applied: an audit entry, and one log line per run. */
  photoFailed(job: { externalId: string; wpUserId: number | null }, error: unknown): void {
    this.audit.push({
      source: `run:${this.deps.run.id}`,
      action: 'update',
      result: 'failure',
      userId: job.wpUserId,
      userLogin: job.externalId,
      fields: ['avatar'],
      message: `Profile photo not applied: ${(error as Error).message ?? String(error)}`,
      runId: this.deps.run.id,
    });
    if (this.warnedPhoto) return;
    this.warnedPhoto = true;
    this.deps.logger.warn(
      { source: this.deps.source, externalId: job.externalId, err: error },
      'profile photo not applied',
    );
  }

  /** Writes the pending audit entries; the log is best effort and never stops a run. */
  async flushAudit(): Promise<void> {
    if (this.audit.length === 0) return;
    const entries = this.audit.splice(0);
    try {
      await this.deps.wordpress.writeAudit(entries);
    } catch (error) {
      this.deps.logger.warn({ err: error, entries: entries.length }, 'audit entries not written');
    }
  }
}
