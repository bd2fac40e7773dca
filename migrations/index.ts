import { CreateLiteLLMSchema1764040000000 } from './1764040000000-CreateLiteLLMSchema.js';
import { AddDailyUserSpend1764050000000 } from './1764050000000-AddDailyUserSpend.js';
import { AddUiSessions1795580571688 } from './1795580571688-AddUiSessions.js';
import { AddAuditLog1795590000000 } from './1795590000000-AddAuditLog.js';
import { AddHourlySpend1795600000000 } from './1795600000000-AddHourlySpend.js';
import { AddPortableDailySpendKey1795600000001 } from './1795600000001-AddPortableDailySpendKey.js';

/** An explicit list: a file glob breaks under Vitest and can load duplicates from dist. */
export const MIGRATIONS = [
  CreateLiteLLMSchema1764040000000,
  AddDailyUserSpend1764050000000,
  AddUiSessions1795580571688,
  AddAuditLog1795590000000,
  AddHourlySpend1795600000000,
  AddPortableDailySpendKey1795600000001,
];
