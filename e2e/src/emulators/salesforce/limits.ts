// API request limits (Salesforce Developer Limits and Allocations Quick Reference, "API
// Request Limits and Allocations"; REST API Developer Guide, "Limits" and "Limit Info
// Header"). Every REST answer except `/services/data` carries
// `Sforce-Limit-Info: api-usage=N/M`; past the daily allocation calls are answered 403
// `REQUEST_LIMIT_EXCEEDED` "TotalRequests Limit exceeded." with no Retry-After (none is
// documented: clients back off on their own).
export interface LimitSettings {
  /** Daily API request allocation (default 100,000, an Enterprise org without licences). */
  dailyMax?: number;
  /** Requests already used in the current 24 h. */
  used?: number;
}

export class Limits {
  max: number;
  used: number;
  bulkBatchesUsed = 0;

  constructor(settings: LimitSettings = {}) {
    this.max = settings.dailyMax ?? 100_000;
    this.used = settings.used ?? 0;
  }

  set(settings: LimitSettings): void {
    if (settings.dailyMax !== undefined) this.max = settings.dailyMax;
    if (settings.used !== undefined) this.used = settings.used;
  }

  get exceeded(): boolean {
    return this.used >= this.max;
  }

  header(): string {
    return `api-usage=${this.used}/${this.max}`;
  }

  /** `GET /limits` (REST API Developer Guide, "Limits"). */
  body(): Record<string, { Max: number; Remaining: number }> {
    const limit = (max: number, used = 0) => ({ Max: max, Remaining: Math.max(0, max - used) });
    return {
      ConcurrentAsyncGetReportInstances: limit(200),
      ConcurrentSyncReportRuns: limit(20),
      DailyApiRequests: limit(this.max, this.used),
      DailyAsyncApexExecutions: limit(250000),
      DailyBulkApiBatches: limit(15000, this.bulkBatchesUsed),
      DailyBulkV2QueryFileStorageMB: limit(976562),
      DailyBulkV2QueryJobs: limit(10000),
      DailyDurableStreamingApiEvents: limit(1000000),
      DailyStreamingApiEvents: limit(1000000),
      DataStorageMB: limit(1024),
      FileStorageMB: limit(1024),
      HourlyLongTermIdMapping: limit(100000),
      HourlyShortTermIdMapping: limit(100000),
      MonthlyPlatformEventsUsageEntitlement: limit(300000),
      StreamingApiConcurrentClients: limit(2000),
    };
  }
}
