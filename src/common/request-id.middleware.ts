import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { requestIdFor } from './request-id.js';

/** Every answer carries `x-request-id` (the caller's, if sane). */
@Injectable()
export class RequestIdMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    res.setHeader('x-request-id', requestIdFor(req));
    next();
  }
}
