import { applyDecorators, Get, HttpCode, Post, type Type } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ErrorResponse } from './error-response.dto.js';
import { AdminOnly } from './public.decorator.js';

type Documented = Type<unknown> | [Type<unknown>];
type Doc = MethodDecorator & ClassDecorator;

/** An admin POST route: master key only, 200 as LiteLLM answers (not Nest's 201), its summary, response type and error answers. */
export const AdminPost = (path: string, summary: string, ok: Documented, ...errors: Doc[]) =>
  applyDecorators(Post(path), HttpCode(200), AdminOnly(), ApiOperation({ summary }), ApiOkResponse({ type: ok }), ...errors);

/** An admin GET route: master key only, its summary, response type and error answers. */
export const AdminGet = (path: string, summary: string, ok: Documented, ...errors: Doc[]) =>
  applyDecorators(Get(path), AdminOnly(), ApiOperation({ summary }), ApiOkResponse({ type: ok }), ...errors);

/** The documented 400 (the error envelope), `description` saying when. */
export const BadRequest = (description = 'A known field of the wrong type or value (the message names it)') =>
  ApiBadRequestResponse({ type: ErrorResponse, description });

/** The documented 404 (the error envelope) of a route naming one `what`. */
export const NotFound = (what: string) => ApiNotFoundResponse({ type: ErrorResponse, description: `No such ${what}` });
