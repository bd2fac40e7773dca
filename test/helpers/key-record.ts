import type { KeyRecord } from '../../src/keys/key-record.js';

/** A key as the auth cache holds it: every model, no budget, no limits, unless `over` says otherwise. */
export function keyRecord(over: Partial<KeyRecord> = {}): KeyRecord {
  return {
    token: 'a'.repeat(64),
    keyName: null,
    keyAlias: null,
    models: [],
    spend: 0,
    maxBudget: null,
    expires: null,
    blocked: false,
    rpmLimit: null,
    tpmLimit: null,
    maxParallelRequests: null,
    userId: null,
    teamId: null,
    userMaxBudget: null,
    userSpend: 0,
    teamMaxBudget: null,
    teamSpend: 0,
    aliases: {},
    team: null,
    user: null,
    ...over,
  };
}
