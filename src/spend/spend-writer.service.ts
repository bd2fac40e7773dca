import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import { DbEventsService } from '../database/db-events.service.js';
import { teamEntity, userEntity } from './reservations.js';
import { entrySize, type SpendEntry } from './spend-entry.js';

const MAX_BATCH = 2000;
/** NOTIFY payload prefix announcing `rename:<old hash>><new hash>` on regenerate. */
export const RENAME = 'rename:';
const RENAME_TTL_MS = 30 * 60_000;
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

const BATCH_ROWS = `json_to_recordset($1::json) AS r(request_id text, call_type text, api_key text, spend float8, prompt_tokens int,
    completion_tokens int, start_ms float8, end_ms float8, first_ms float8, model text, model_id text, model_group text,
    api_base text, end_user text, team_id text, status text, metadata json)`;

/*
 * One statement books a batch exactly once: log rows are inserted (a retried batch whose first
 * commit did land inserts nothing), and only the rows actually inserted add to key, user and team
 * spend and to the daily rollup, summed per key — one UPDATE for all keys, never one per request.
 */
const INSERT_LOGS = `INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens,
    "startTime", "endTime", "completionStartTime", request_duration_ms, model, model_id, model_group, api_base, "user",
    team_id, status, metadata, custom_llm_provider)
  SELECT r.request_id, r.call_type, r.api_key, r.spend, r.prompt_tokens, r.completion_tokens, r.prompt_tokens + r.completion_tokens,
    to_timestamp(r.start_ms / 1000.0), to_timestamp(r.end_ms / 1000.0),
    CASE WHEN r.first_ms IS NULL THEN NULL ELSE to_timestamp(r.first_ms / 1000.0) END,
    (r.end_ms - r.start_ms)::int, r.model, r.model_id, r.model_group, r.api_base, r.end_user, r.team_id, r.status,
    r.metadata::jsonb, 'hosted_vllm'
  FROM ${BATCH_ROWS}
  ON CONFLICT (request_id) DO NOTHING
  RETURNING api_key, spend, team_id, metadata->>'user_api_key_user_id' AS user_id,
    to_char("startTime" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, model, model_group, call_type AS endpoint,
    prompt_tokens, completion_tokens, status = 'failure' AS failed`;

/** With `disable_spend_logs`: no log rows, the totals alone (as LiteLLM's setting does). */
const TOTALS_ONLY = `SELECT r.api_key, r.spend, r.team_id, r.metadata->>'user_api_key_user_id' AS user_id,
    to_char(to_timestamp(r.start_ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, r.model, r.model_group,
    r.call_type AS endpoint, r.prompt_tokens, r.completion_tokens, r.status = 'failure' AS failed
  FROM ${BATCH_ROWS}`;

function flushSql(withLogs: boolean): string {
  return `WITH ins AS (${withLogs ? INSERT_LOGS : TOTALS_ONLY}), by_key AS (
  SELECT api_key, sum(spend) AS total FROM ins WHERE api_key <> '' GROUP BY api_key
), daily AS (
  INSERT INTO "LiteLLM_DailyUserSpend" AS d (user_id, date, api_key, model, model_group, custom_llm_provider, endpoint,
    prompt_tokens, completion_tokens, spend, api_requests, successful_requests, failed_requests)
  SELECT user_id, day, api_key, model, model_group, 'hosted_vllm', endpoint, sum(prompt_tokens), sum(completion_tokens), sum(spend),
    count(*), count(*) FILTER (WHERE NOT failed), count(*) FILTER (WHERE failed)
  FROM ins GROUP BY user_id, day, api_key, model, model_group, endpoint
  ON CONFLICT (user_id, date, api_key, model, model_group, custom_llm_provider, mcp_namespaced_tool_name, endpoint) DO UPDATE SET
    prompt_tokens = d.prompt_tokens + excluded.prompt_tokens, completion_tokens = d.completion_tokens + excluded.completion_tokens,
    spend = d.spend + excluded.spend, api_requests = d.api_requests + excluded.api_requests,
    successful_requests = d.successful_requests + excluded.successful_requests,
    failed_requests = d.failed_requests + excluded.failed_requests, updated_at = now()
  RETURNING 1
), users AS (
  UPDATE "LiteLLM_UserTable" u SET spend = u.spend + s.total
  FROM (SELECT user_id, sum(spend) AS total FROM ins WHERE user_id IS NOT NULL GROUP BY user_id) s
  WHERE u.user_id = s.user_id
  RETURNING 'user:' || u.user_id AS token, u.spend
), teams AS (
  UPDATE "LiteLLM_TeamTable" t SET spend = t.spend + s.total
  FROM (SELECT team_id, sum(spend) AS total FROM ins WHERE team_id IS NOT NULL GROUP BY team_id) s
  WHERE t.team_id = s.team_id
  RETURNING 'team:' || t.team_id AS token, t.spend
), keys AS (
  UPDATE "LiteLLM_VerificationToken" k SET spend = k.spend + b.total
  FROM by_key b WHERE k.token = b.api_key
  RETURNING k.token, k.spend
)
SELECT token, spend FROM keys UNION ALL SELECT token, spend FROM users UNION ALL SELECT token, spend FROM teams`;
}

/**
 * Books spend off the hot path: entries wait in memory and are written in batches every
 * `SPEND_FLUSH_MS`. While the database is down they are kept (bounded in bytes, loudly logged)
 * and retried; shutdown flushes what is left.
 */
@Injectable()
export class SpendWriter implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(SpendWriter.name);
  private queue: SpendEntry[] = [];
  private queueBytes = 0;
  private readonly maxBytes: number;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private failingSince: number | null = null;
  private droppedTotal = 0;
  /** Booked but not yet written, per budget entity (key hash, `user:<id>`, `team:<id>`): budgets count it. */
  private readonly pending = new Map<string, number>();
  /** Entity spend as the last flush returned it or the budget sync read it (newer than the auth cache's copy). */
  private readonly written = new Map<string, number>();
  /** Regenerated keys: requests still running under the old hash book onto the new one. */
  private readonly renames = new Map<string, { token: string; until: number }>();
  private readonly sql: string;
  /** Successful writes since start: lets the budget sync tell whether a flush raced its read. */
  private writes = 0;
  /** Written rows since start, for metrics. */
  flushedTotal = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    events: DbEventsService,
  ) {
    this.maxBytes = Number(process.env.SPEND_QUEUE_MAX_BYTES) || DEFAULT_MAX_BYTES;
    this.sql = flushSql(!config.proxy.disableSpendLogs);
    events.subscribe('proxy_key_change', (payload) => {
      if (payload.startsWith(RENAME)) {
        const [from, to] = payload.slice(RENAME.length).split('>');
        if (from && to) this.rename(from, to);
        return;
      }
      // A key changed elsewhere (budget reset, spend edited): forget the spend we last saw for it.
      if (payload === '*') this.written.clear();
      else this.written.delete(payload);
    });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.spendFlushMs);
    this.timer.unref();
  }

  book(entry: SpendEntry): void {
    if (this.renames.size > 0) {
      const to = this.renames.get(entry.apiKey);
      if (to) entry.apiKey = to.token;
    }
    const size = entrySize(entry);
    if (this.queueBytes + size > this.maxBytes) {
      // Bounded memory: refusing new records beats taking the process down. Loud, counted.
      this.droppedTotal++;
      if (this.droppedTotal === 1 || this.droppedTotal % 1000 === 0) {
        this.logger.error(`spend queue full (${this.queueBytes} bytes, database unavailable?): ${this.droppedTotal} record(s) dropped so far`);
      }
      return;
    }
    this.queue.push(entry);
    this.queueBytes += size;
    this.trackPending(entry, 1);
  }

  /** The entities an entry's spend is added to by the flush statement: its key, user and team. */
  private trackPending(e: SpendEntry, sign: 1 | -1): void {
    if (!(e.spend > 0)) return;
    const delta = sign * e.spend;
    if (e.apiKey) this.addPending(e.apiKey, delta);
    const userId = e.metadata.user_api_key_user_id;
    if (typeof userId === 'string') this.addPending(userEntity(userId), delta);
    if (e.teamId) this.addPending(teamEntity(e.teamId), delta);
  }

  private addPending(id: string, delta: number): void {
    const left = (this.pending.get(id) ?? 0) + delta;
    if (left <= 1e-12) this.pending.delete(id);
    else this.pending.set(id, left);
  }

  /**
   * A key was regenerated: what is queued or still to come under the old hash belongs to the new
   * row (the old one is gone, so an UPDATE on it would lose the money).
   */
  rename(from: string, to: string): void {
    const now = Date.now();
    for (const [k, v] of this.renames) if (v.until < now) this.renames.delete(k);
    // Long enough for any request that started under the old key to finish.
    this.renames.set(from, { token: to, until: now + RENAME_TTL_MS });
    for (const e of this.queue) if (e.apiKey === from) e.apiKey = to;
    const pending = this.pending.get(from);
    if (pending !== undefined) {
      this.pending.delete(from);
      this.pending.set(to, (this.pending.get(to) ?? 0) + pending);
    }
    this.written.delete(from);
  }

  /** Current spend of an entity: the larger of the cached and last-written totals, plus what is not yet written. */
  spendOf(entity: string, cachedSpend: number): number {
    return Math.max(cachedSpend, this.written.get(entity) ?? 0) + (this.pending.get(entity) ?? 0);
  }

  /** A mark to pass to `noteDbSpend` with totals read after it. */
  get writeMark(): number {
    return this.writes;
  }

  /**
   * Totals read from the database (other instances' spend included). A flush that completed while they
   * were read may have written newer ones: then they can only raise what is known, never lower it.
   */
  noteDbSpend(totals: ReadonlyArray<{ id: string; spend: number }>, mark: number): void {
    const raced = mark !== this.writes;
    for (const { id, spend } of totals) this.written.set(id, raced ? Math.max(spend, this.written.get(id) ?? 0) : spend);
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  get dropped(): number {
    return this.droppedTotal;
  }

  /** Writes everything queued so far (one batch at a time); resolves when done or when a write fails. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.length === 0) return Promise.resolve();
    this.flushing = this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, MAX_BATCH);
      try {
        await this.write(batch);
      } catch (err) {
        if (this.failingSince === null) {
          this.failingSince = Date.now();
          this.logger.error(`spend writer: database write failed (${(err as Error).message}); ${this.queue.length} record(s) kept in memory and retried`);
        }
        return;
      }
      if (this.failingSince !== null) {
        this.logger.warn(`spend writer: database back after ${Math.round((Date.now() - this.failingSince) / 1000)} s; writing ${this.queue.length} kept record(s)`);
        this.failingSince = null;
      }
      this.queue = this.queue.slice(batch.length);
      for (const e of batch) {
        this.queueBytes -= entrySize(e);
        this.trackPending(e, -1);
      }
      this.flushedTotal += batch.length;
    }
  }

  private async write(batch: SpendEntry[]): Promise<void> {
    // One JSON parameter for the batch: JSON.stringify is native and fast, where 17 array
    // parameters cost pg's per-element escaping in JavaScript.
    const rows = batch.map((e) => ({
      request_id: e.requestId, call_type: e.callType, api_key: e.apiKey, spend: e.spend, prompt_tokens: e.promptTokens,
      completion_tokens: e.completionTokens, start_ms: e.startTime, end_ms: e.endTime, first_ms: e.completionStartTime,
      model: e.model, model_id: e.modelId, model_group: e.modelGroup, api_base: e.apiBase, end_user: e.user,
      team_id: e.teamId, status: e.status, metadata: e.metadata,
    }));
    const params = [JSON.stringify(rows)];
    const runner = this.dataSource.createQueryRunner();
    try {
      // Structured result: a plain query() answers [rows, count] for an UPDATE.
      const result = await runner.query(this.sql, params, true);
      const updated = new Set<string>();
      this.writes++;
      for (const r of result.records as Array<{ token: string; spend: number }>) {
        this.written.set(r.token, r.spend);
        updated.add(r.token);
      }
      await this.carryOverRenamed(runner, batch, updated);
    } finally {
      await runner.release();
    }
  }

  /**
   * A key regenerated while this batch was being written: its old row was gone when the UPDATE ran,
   * so the amount goes to the new row. (Log rows keep the hash the request was made with.)
   */
  private async carryOverRenamed(runner: QueryRunner, batch: SpendEntry[], updated: Set<string>): Promise<void> {
    if (this.renames.size === 0) return;
    const missed = new Map<string, number>();
    for (const e of batch) {
      const to = e.spend > 0 && !updated.has(e.apiKey) ? this.renames.get(e.apiKey)?.token : undefined;
      if (to) missed.set(to, (missed.get(to) ?? 0) + e.spend);
    }
    for (const [token, amount] of missed) {
      await runner.query(`UPDATE "LiteLLM_VerificationToken" SET spend = spend + $2 WHERE token = $1`, [token, amount]);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    for (let attempt = 0; attempt < 5 && this.queue.length > 0; attempt++) {
      await this.flush();
      if (this.queue.length > 0) await new Promise((r) => setTimeout(r, 500));
    }
    if (this.queue.length > 0) this.logger.error(`spend writer: ${this.queue.length} record(s) could not be written before shutdown`);
  }
}
