import { applyDecorators, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsInt, IsISO8601, IsOptional, IsString, Max, Min, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { ApiError } from './api-error.js';

/** How a refused value is shown: JSON, so "lots" and 5 and [1] read as the caller sent them. */
export function shown(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (v === undefined) return 'nothing';
  return JSON.stringify(v) ?? String(v);
}

/** A class-validator message: `<field> <text>, got <value>`. */
export function says(text: string, extra: ValidationOptions = {}): ValidationOptions {
  return { ...extra, message: (a: ValidationArguments) => `${a.property} ${text}, got ${shown(a.value)}` };
}

/** A class-validator message: `<field> must be <what>, got <value>`. */
export function expects(what: string, extra: ValidationOptions = {}): ValidationOptions {
  return says(`must be ${what}`, extra);
}

/** Constraints that say what kind of value is expected: when one fails, the range checks behind it are noise. */
const TYPE_CONSTRAINTS = new Set(['isNumber', 'isInt', 'isString', 'isArray', 'isObject', 'isBoolean', 'matches', 'isIso8601', 'isIn', 'isEnum']);

function flatten(errors: ValidationError[], prefix = ''): Array<{ property: string; messages: string[] }> {
  const out: Array<{ property: string; messages: string[] }> = [];
  for (const e of errors) {
    const property = prefix + e.property;
    const constraints = Object.entries(e.constraints ?? {});
    const typed = constraints.filter(([name]) => TYPE_CONSTRAINTS.has(name));
    if (constraints.length) out.push({ property, messages: (typed.length ? typed : constraints).map(([, m]) => m) });
    if (e.children?.length) out.push(...flatten(e.children, `${property}.`));
  }
  return out;
}

/** One 400 in OpenAI's envelope naming the first bad field; every problem is in the message. */
export function validationError(errors: ValidationError[]): ApiError {
  const problems = flatten(errors);
  const message = problems.flatMap((p) => p.messages).join('; ') || 'Invalid request';
  return ApiError.badRequest(message, problems[0]?.property ?? null);
}

/**
 * LiteLLM's leniency: unknown body fields and query parameters are dropped, not refused (LiteLLM's
 * clients send fields this proxy does not use); known fields are validated and converted.
 */
export function adminValidationPipe(): ValidationPipe {
  return new ValidationPipe({ whitelist: true, forbidNonWhitelisted: false, transform: true, exceptionFactory: validationError });
}

/** An optional string field of an admin DTO: documented as a string, validated with a message naming it. */
export function OptionalString(doc: Omit<ApiPropertyOptions, 'type'> = {}): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional({ ...doc, type: 'string' } as ApiPropertyOptions), IsOptional(), IsString(expects('a string')));
}

/** An optional ISO date or time query field (`start_date`, `end_date`), with the message every report route gives. */
export function OptionalDate(doc: Omit<ApiPropertyOptions, 'type'> = {}): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ ...doc, type: 'string' } as ApiPropertyOptions),
    IsOptional(),
    IsISO8601({}, expects('an ISO date or time (2026-11-01, 2026-11-01T12:00:00Z)')),
  );
}

/**
 * An optional whole-number query field from 1 (`page`, `page_size`), parsed from the query string; `max`
 * bounds it. The message says the range, unless `expected` names it (one route keeps its own wording).
 */
export function OptionalCount(doc: Omit<ApiPropertyOptions, 'type' | 'minimum'> & { maximum?: number; expected?: string } = {}): PropertyDecorator {
  const { expected, ...apiDoc } = doc;
  const max = doc.maximum;
  return applyDecorators(
    ApiPropertyOptional({ ...apiDoc, type: 'integer', minimum: 1 } as ApiPropertyOptions),
    IsOptional(),
    Type(() => Number),
    IsInt(expects(expected ?? (max === undefined ? 'an integer ≥ 1' : `an integer from 1 to ${max}`))),
    Min(1, says('must be at least 1')),
    ...(max === undefined ? [] : [Max(max, says(`must be at most ${max}`))]),
  );
}

/** A required id naming one `what` (`team_id`, `user_id`). */
export function IdField(what: string): PropertyDecorator {
  return applyDecorators(ApiProperty({ type: 'string' }), IsString(expects(`a ${what} id (string)`)));
}

/** A required list naming at least one `what` by id (`team_ids`, `user_ids`). */
export function IdList(what: string): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ type: [String] }),
    IsArray(expects(`a list of ${what} ids`)),
    ArrayMinSize(1, says(`must name at least one ${what}`)),
    IsString(expects(`a list of ${what} ids`, { each: true })),
  );
}
