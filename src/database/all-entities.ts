import { AuditLogEntity } from '../audit/audit-log.entity.js';
import { UiSessionEntity } from '../auth/ui-session.entity.js';
import { VerificationTokenEntity } from '../keys/verification-token.entity.js';
import { ProxyModelEntity } from '../models/proxy-model.entity.js';
import { DailySpendEntity } from '../spend/daily-spend.entity.js';
import { HourlySpendEntity } from '../spend/hourly-spend.entity.js';
import { SpendLogEntity } from '../spend/spend-log.entity.js';
import { TeamEntity } from '../teams/team.entity.js';
import { UserEntity } from '../users/user.entity.js';
import { BudgetEntity } from './entities/budget.entity.js';
import { ConfigEntity } from './entities/config.entity.js';

/**
 * Every table (LiteLLM's and our own), mapped column for column, so `migration:generate` proposes only
 * real changes: the migration CLI's list (`ormconfig.ts`). The app does not use it: each module registers
 * its own entities (`TypeOrmModule.forFeature`). BudgetEntity and ConfigEntity are LiteLLM tables no
 * module reads; they are mapped for the schema check alone.
 */
export const ALL_ENTITIES = [
  VerificationTokenEntity,
  ProxyModelEntity,
  SpendLogEntity,
  DailySpendEntity,
  HourlySpendEntity,
  UserEntity,
  TeamEntity,
  BudgetEntity,
  ConfigEntity,
  UiSessionEntity,
  AuditLogEntity,
];
