import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BudgetResetService } from './budget-reset.service.js';
import { BudgetService } from './budget.service.js';
import { DailySpendEntity } from './daily-spend.entity.js';
import { HourlySpendEntity } from './hourly-spend.entity.js';
import { SpendLogEntity } from './spend-log.entity.js';
import { SpendReportService } from './spend-report.service.js';
import { SpendStore } from './spend-store.js';
import { SpendSyncService } from './spend-sync.service.js';
import { SpendWriter } from './spend-writer.service.js';
import { SpendController } from './spend.controller.js';
import { UsageController } from './usage.controller.js';
import { UsageService } from './usage.service.js';

/** Spend: the batched writer and its store, budgets and their periods, reports; owns LiteLLM_SpendLogs and the daily and hourly rollups. */
@Module({
  imports: [TypeOrmModule.forFeature([SpendLogEntity, DailySpendEntity, HourlySpendEntity])],
  controllers: [SpendController, UsageController],
  providers: [SpendStore, SpendWriter, BudgetService, SpendReportService, BudgetResetService, SpendSyncService, UsageService],
  exports: [SpendWriter, BudgetService, BudgetResetService],
})
export class SpendModule {}
