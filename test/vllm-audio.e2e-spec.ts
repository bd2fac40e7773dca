import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, type MockVllm, type RecordedRequest } from './mock-vllm/mock-vllm.js';
import type { RecordedUpload } from './mock-vllm/routes-audio.js';
import { slowUpload, wav } from './helpers/audio.js';
import type { TestProxy } from './helpers/proxy.js';
import { apiErrorOf, expectErrorEnvelope, withFields } from './helpers/sdk.js';
import { costOf, expectMoney, generateKey } from './helpers/spend.js';
import { startVllmRoutesEnv, type VllmRoutesEnv } from './helpers/vllm-routes.js';

// Issue 15 (/work/notes/VLLM-CONTRACT.md): vLLM's speech-to-text routes through the proxy with the official
// SDK. Multipart forms whose `model` field names the alias go to {api_base}/audio/… with the upstream id and
// the deployment's key; they are booked as atranscription / atranslation. vLLM's non-streamed usage is
// `{"type":"duration","seconds":N}` (transcriptions; translations have none), so those rows carry 0 tokens:
// their spend is seconds × the model's input_cost_per_second, 0 without one.
// A streamed transcription ends with a token usage chunk (stream_include_usage), billed per token.

const WHISPER = 'openai/whisper-large-v3';
const DEPLOY_KEY = 'sk-vllm-audio-deployment';
const PRICES = { input: 0.000001, output: 0.000002 };
/** The README's `input_cost_per_second` (audio): vLLM's transcription usage is in seconds. */
const PER_SECOND = 0.0001;
/** The mock's answer: 8 tokens, and Whisper's 4 task tokens as the prompt of a stream. */
const TEXT = TOKEN.repeat(8);

describe('vLLM audio routes through the proxy', () => {
  let env: VllmRoutesEnv;
  let vllm: MockVllm;
  let app: TestProxy;
  let bookedRows: VllmRoutesEnv['bookedRows'];

  beforeAll(async () => {
    // hosted_vllm/openai/whisper-large-v3: one prefix is stripped, the upstream id is "openai/whisper-large-v3".
    env = await startVllmRoutesEnv({
      upstreamModel: WHISPER,
      alias: 'whisper',
      deployKey: DEPLOY_KEY,
      prices: PRICES,
      moreAliases: [{ alias: 'whisper-per-second', modelInfo: { input_cost_per_second: PER_SECOND } }],
    });
    ({ vllm, app, bookedRows } = env);
  });
  afterAll(async () => {
    await env?.close();
  });

  /** The one request the mock saw since `before`, with its recorded upload. */
  function upstreamSince(before: number, path: string): { req: RecordedRequest; upload: RecordedUpload } {
    const seen = vllm.requests.slice(before);
    expect(seen.map((r) => r.path)).toEqual([path]);
    const req = seen[0]!;
    expect(req.headers.authorization).toBe(`Bearer ${DEPLOY_KEY}`);
    expect(req.headers['x-request-id']).toMatch(/.+/);
    return { req, upload: req.body as RecordedUpload };
  }
  const form = (fields: Record<string, string>, file: Buffer): FormData => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.set(k, v);
    f.set('file', new Blob([file]), 'a.wav');
    return f;
  };

  it('transcribes with the SDK: upstream /v1/audio/transcriptions, upstream model id, duration usage, an atranscription row', async () => {
    const key = await generateKey(app, { models: ['whisper'] });
    const before = vllm.requests.length;
    const audio = wav(2.2);
    const r = await app.client(key.key).audio.transcriptions.create({ model: 'whisper', file: await toFile(audio, 'a.wav'), language: 'en' });
    expect(r).toEqual({ text: TEXT, usage: { type: 'duration', seconds: 3 } });

    const { req, upload } = upstreamSince(before, '/v1/audio/transcriptions');
    expect(JSON.stringify(req.headers)).not.toContain(key.key);
    expect(upload.fields).toEqual({ model: WHISPER, language: 'en' });
    expect(upload.files.map((f) => [f.field, f.filename, f.size])).toEqual([['file', 'a.wav', audio.length]]);

    const [row] = await bookedRows(key.token, 1);
    expect(row).toMatchObject({ call_type: 'atranscription', model: WHISPER, model_group: 'whisper', prompt_tokens: 0, completion_tokens: 0 });
    expectMoney(row!.spend, 0);
  });

  it('bills a transcription’s duration usage at the model’s input_cost_per_second', async () => {
    const key = await generateKey(app, { models: ['whisper-per-second'] });
    const r = await app.client(key.key).audio.transcriptions.create({ model: 'whisper-per-second', file: await toFile(wav(2.2), 'a.wav') });
    expect(r.usage).toEqual({ type: 'duration', seconds: 3 });
    const [row] = await bookedRows(key.token, 1);
    expect(row).toMatchObject({ call_type: 'atranscription', model: WHISPER, model_group: 'whisper-per-second', prompt_tokens: 0, completion_tokens: 0 });
    expectMoney(row!.spend, 3 * PER_SECOND);
  });

  it('serves /audio/transcriptions without /v1 too (raw multipart)', async () => {
    const key = await generateKey(app, { models: ['whisper'] });
    const before = vllm.requests.length;
    const res = await app.fetch('/audio/transcriptions', { method: 'POST', key: key.key, body: form({ model: 'whisper' }, wav(1)) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ text: TEXT, usage: { type: 'duration', seconds: 1 } });
    upstreamSince(before, '/v1/audio/transcriptions');
    const [row] = await bookedRows(key.token, 1);
    expect(row).toMatchObject({ call_type: 'atranscription', model: WHISPER });
  });

  it.each(['/v1/audio/translations', '/audio/translations'])('translates via %s: text only, an atranslation row', async (path) => {
    const key = await generateKey(app, { models: ['whisper'] });
    const before = vllm.requests.length;
    if (path.startsWith('/v1')) {
      const r = await app.client(key.key).audio.translations.create({ model: 'whisper', file: await toFile(wav(1), 'a.wav') });
      expect(r).toEqual({ text: TEXT });
    } else {
      const res = await app.fetch(path, { method: 'POST', key: key.key, body: form({ model: 'whisper' }, wav(1)) });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toEqual({ text: TEXT });
    }
    expect(upstreamSince(before, '/v1/audio/translations').upload.fields.model).toBe(WHISPER);
    const [row] = await bookedRows(key.token, 1);
    expect(row).toMatchObject({ call_type: 'atranslation', model: WHISPER, model_group: 'whisper', prompt_tokens: 0, completion_tokens: 0 });
    expectMoney(row!.spend, 0);
  });

  it('streams a transcription with the SDK (stream: true) and bills the last chunk’s token usage', async () => {
    const key = await generateKey(app, { models: ['whisper'] });
    const before = vllm.requests.length;
    const params = { model: 'whisper', file: await toFile(wav(1), 'a.wav'), stream: true as const };
    const stream = await app.client(key.key).audio.transcriptions.create(withFields(params, { stream_include_usage: true, mock_inter_token_ms: 20 }));
    const events: Record<string, unknown>[] = [];
    for await (const ev of stream) events.push(ev as unknown as Record<string, unknown>);
    const text = events.map((e) => (e.choices as { delta?: { content?: string } }[] | undefined)?.[0]?.delta?.content ?? '').join('');
    expect(text).toBe(TEXT);
    expect(events.at(-1)).toMatchObject({ object: 'transcription.chunk', choices: [], usage: { prompt_tokens: 4, completion_tokens: 8, total_tokens: 12 } });
    expect(upstreamSince(before, '/v1/audio/transcriptions').upload.fields).toMatchObject({ model: WHISPER, stream: 'true', stream_include_usage: 'true' });

    const [row] = await bookedRows(key.token, 1);
    expect(row).toMatchObject({ call_type: 'atranscription', prompt_tokens: 4, completion_tokens: 8 });
    expectMoney(row!.spend, costOf(PRICES, 4, 8));
  });

  it('refuses a key without the model (401), no key (401) and an unknown model (400); nothing reaches vLLM', async () => {
    const key = await generateKey(app, { models: ['other'] });
    const before = vllm.requests.length;
    const denied = await apiErrorOf(app.client(key.key).audio.transcriptions.create({ model: 'whisper', file: await toFile(wav(1), 'a.wav') }));
    expect(denied.status).toBe(401);
    expect(denied.message).toContain('key not allowed to access model');
    await expectErrorEnvelope(await app.fetch('/v1/audio/translations', { method: 'POST', key: null, body: form({ model: 'whisper' }, wav(1)) }), 401);
    const unknown = await expectErrorEnvelope(
      await app.fetch('/v1/audio/transcriptions', { method: 'POST', body: form({ model: 'no-such-model' }, wav(1)) }),
      400,
    );
    expect(unknown.message).toContain('Invalid model name passed in model=no-such-model');
    expect(vllm.requests.length).toBe(before);
  });

  it('streams the upload: vLLM gets the first bytes while the client is still sending the file', async () => {
    const key = await generateKey(app, { models: ['whisper'] });
    const before = vllm.requests.length;
    const audio = wav(4);
    const r = await slowUpload(`${app.url}/v1/audio/transcriptions`, {
      model: 'whisper',
      file: audio,
      pieces: 6,
      pauseMs: 200,
      headers: { authorization: `Bearer ${key.key}` },
    });
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ text: TEXT, usage: { type: 'duration', seconds: 4 } });

    const { upload } = upstreamSince(before, '/v1/audio/transcriptions');
    expect(upload.order).toEqual(['model', 'file']);
    expect(upload.fields.model).toBe(WHISPER);
    expect(upload.files[0]?.size).toBe(audio.length);
    // The first body bytes reached vLLM at least ~4 pauses before the client wrote its last piece: the
    // proxy forwarded as it received, rather than buffering the whole body first.
    expect(upload.firstByteAt).not.toBeNull();
    expect(r.lastWriteAt - upload.firstByteAt!).toBeGreaterThanOrEqual(600);
    expect(upload.endedAt).toBeGreaterThanOrEqual(r.lastWriteAt);
    await bookedRows(key.token, 1);
  });
});
