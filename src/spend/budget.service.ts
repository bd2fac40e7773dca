import { Injectable } from '@nestjs/common';
import { ApiError, ErrorType } from '../common/api-error.js';
import type { KeyRecord } from '../keys/key-record.js';
import { SpendWriter } from './spend-writer.service.js';

/** Budget checks read memory: cached key spend + what is booked but not yet written. */
@Injectable()
export class BudgetService {
  constructor(private readonly writer: SpendWriter) {}

  assertWithinBudget(key: KeyRecord): void {
    if (key.maxBudget === null) return;
    const spend = this.writer.spendOf(key.token, key.spend);
    if (spend >= key.maxBudget) {
      throw new ApiError(400, ErrorType.BudgetExceeded, `Budget has been exceeded! Current cost: ${spend}, Max budget: ${key.maxBudget}`);
    }
  }

  currentSpend(key: KeyRecord): number {
    return this.writer.spendOf(key.token, key.spend);
  }
}
