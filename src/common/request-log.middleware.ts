import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { performance } from 'node:perf_hooks';
import { LOGGER, type Logger } from './logger.js';
import { requestIdFor } from './request-id.js';
import { redactPath } from './secrets.js';

/** Every answer carries `x-request-id` (the caller's, if sane), and each request is one log line. */
@Injectable()
export class RequestLogMiddleware implements NestMiddleware {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const t0 = performance.now();
    const id = requestIdFor(req);
    res.setHeader('x-request-id', id);
    res.once('finish', () => {
      // Path only, keys masked: query strings may carry a key (`/key/info?key=sk-…`), and so may
      // the path itself (`/key/sk-…/regenerate`).
      this.logger.info(
        { req_id: id, method: req.method, path: redactPath(req.path), status: res.statusCode, ms: Math.round((performance.now() - t0) * 10) / 10 },
        'request',
      );
    });
    next();
  }
}
