import { Module } from '@nestjs/common';
import { BudgetResetService } from './budget-reset.service.js';
import { BudgetService } from './budget.service.js';
import { SpendReportService } from './spend-report.service.js';
import { SpendSyncService } from './spend-sync.service.js';
import { SpendWriter } from './spend-writer.service.js';
import { SpendController } from './spend.controller.js';
import { UsageController } from './usage.controller.js';
import { UsageService } from './usage.service.js';

@Module({
  controllers: [SpendController, UsageController],
  providers: [SpendWriter, BudgetService, SpendReportService, BudgetResetService, SpendSyncService, UsageService],
  exports: [SpendWriter, BudgetService, BudgetResetService],
})
export class SpendModule {}
