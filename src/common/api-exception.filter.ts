import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { ApiError, ErrorType } from './api-error.js';

export const TYPE_BY_STATUS: Record<number, ErrorType> = {
  400: ErrorType.InvalidRequest,
  401: ErrorType.Authentication,
  403: ErrorType.Permission,
  404: ErrorType.NotFound,
  408: ErrorType.Timeout,
  413: ErrorType.InvalidRequest,
  422: ErrorType.InvalidRequest,
  429: ErrorType.RateLimit,
  503: ErrorType.ServiceUnavailable,
};

/** Converts any thrown value into OpenAI's error envelope; unknown errors are 500 with nothing leaked. */
export function toApiError(err: unknown, logger?: Logger): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const res = err.getResponse();
    let message = err.message;
    if (typeof res === 'object' && res !== null && 'message' in res) {
      const m = (res as { message: unknown }).message;
      message = Array.isArray(m) ? m.join('; ') : String(m);
    }
    return new ApiError(status, TYPE_BY_STATUS[status] ?? (status >= 500 ? ErrorType.Internal : ErrorType.InvalidRequest), message);
  }
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  // body-parser errors (malformed JSON, too large) carry a status and a type such as 'entity.parse.failed'.
  if (typeof e?.type === 'string' && e.type.startsWith('entity.') && typeof e.status === 'number') {
    const message = e.type === 'entity.parse.failed' ? `Invalid JSON in request body: ${e.message}` : (e.message ?? 'invalid body');
    return new ApiError(e.status, ErrorType.InvalidRequest, message);
  }
  logger?.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return new ApiError(500, ErrorType.Internal, 'Internal server error');
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Error');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const err = toApiError(exception, this.logger);
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    res.status(err.status).json(err.body());
  }
}
