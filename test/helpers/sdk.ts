import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APIError } from 'openai';
import { expect } from 'vitest';
import type { Fault, MockVllm, RecordedRequest } from '../mock-vllm/mock-vllm.js';

/** Per-request steering the mock vLLM reads from the body (the proxy forwards unknown fields). */
export interface MockSteering {
  fault?: Fault;
  ttft_ms?: number;
  inter_token_ms?: number;
}

/** SDK params plus fields the SDK types do not know; the proxy must forward them untouched. */
export function withFields<P extends object>(params: P, fields: Record<string, unknown>): P {
  return Object.assign({}, params, fields);
}

/** SDK params steering the mock vLLM for this one request. */
export function withMock<P extends object>(params: P, mock: MockSteering): P {
  return withFields(params, { mock });
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** The SDK error `promise` rejects with (fails the test on success or on any other error). */
export async function apiErrorOf(promise: Promise<unknown>): Promise<APIError> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 2000, stepMs = 20): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Asserts OpenAI's error envelope (`code` = the status as a string) and the proxy's headers; returns the error. */
export async function expectErrorEnvelope(res: Response, status: number): Promise<{ message: string; type: string; param: string | null; code: string }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('x-request-id')).toMatch(/.+/);
  const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.code).toBe(String(status));
  expect(typeof body.error.message).toBe('string');
  expect(typeof body.error.type).toBe('string');
  return body.error;
}

/** Requests a mock received whose body carries `tag` in the given field (tests share mocks, not tags). */
export function tagged(mock: MockVllm, tag: string, field = 'test_tag'): RecordedRequest[] {
  return mock.requests.filter((r) => typeof r.body === 'object' && r.body !== null && (r.body as Record<string, unknown>)[field] === tag);
}

/** A loopback port nobody listens on (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let tagSeq = 0;
/** A tag unique to this run, to find one test's requests and spend rows. */
export function uniqueTag(name: string): string {
  return `${name}-${process.pid}-${Date.now().toString(36)}-${++tagSeq}`;
}
