import { Module } from '@nestjs/common';
import { BudgetService } from './budget.service.js';
import { SpendWriter } from './spend-writer.service.js';

@Module({
  providers: [SpendWriter, BudgetService],
  exports: [SpendWriter, BudgetService],
})
export class SpendModule {}
