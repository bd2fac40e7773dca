/** OpenAI error types used by the proxy (LiteLLM uses the same names). */
export enum ErrorType {
  Authentication = 'authentication_error',
  Permission = 'permission_error',
  InvalidRequest = 'invalid_request_error',
  NotFound = 'not_found_error',
  BudgetExceeded = 'budget_exceeded',
  RateLimit = 'rate_limit_error',
  Timeout = 'timeout',
  Upstream = 'upstream_error',
  ServiceUnavailable = 'service_unavailable',
  Internal = 'internal_server_error',
}

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

/** A typed error that the global filter (and the /v1 fast path) render in OpenAI's envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType | string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: String(this.status) } };
  }

  static badRequest(message: string, param: string | null = null): ApiError {
    return new ApiError(400, ErrorType.InvalidRequest, message, param);
  }

  static unauthorized(message: string): ApiError {
    return new ApiError(401, ErrorType.Authentication, message);
  }

  static forbidden(message: string): ApiError {
    return new ApiError(403, ErrorType.Permission, message);
  }

  static notFound(message: string, param: string | null = null): ApiError {
    return new ApiError(404, ErrorType.NotFound, message, param);
  }
}
