// vLLM's speech-to-text routes: POST /v1/audio/transcriptions and /v1/audio/translations, multipart forms
// (vllm/entrypoints/openai/speech_to_text/api_router.py; only under /v1). Checked against
// vllm/entrypoints/openai/speech_to_text/protocol.py and speech_to_text.py:
// - Form fields: file (required, an upload), model, language, prompt, response_format ("json" default; the
//   server accepts only text, json, verbose_json), temperature, stream, stream_include_usage,
//   stream_continuous_usage_stats (flattened stream options), max_completion_tokens, to_language.
// - Transcription answer: `{"text", "usage": {"type": "duration", "seconds": ceil(audio seconds)}}`
//   (TranscriptionUsageAudio; no token counts). Translation answer: `{"text"}` only — no usage at all.
// - Streamed (stream=true): SSE chunks `{"id": "transcribe-…"|"translate-…", "object": "transcription.chunk"|
//   "translation.chunk", "created", "model": <the request's model field>, "choices": [{"delta": {"content"}}]}`
//   dumped with exclude_unset (the last choice adds finish_reason and stop_reason); with
//   stream_include_usage a last chunk `{"choices": [], "usage": {prompt_tokens, completion_tokens,
//   total_tokens}}` (token counts, not duration), with stream_continuous_usage_stats usage on every chunk; then
//   `data: [DONE]`. Stream options without stream=true: 400 "Stream options can only be defined when `stream=True`.".
// - Files over VLLM_MAX_AUDIO_CLIP_FILESIZE_MB (default 25) are refused: 400 "Maximum file size exceeded".
// The mock does not decode audio: a WAV's length comes from its header's byte rate, any other file counts as
// 16 kHz 16-bit mono PCM (32000 bytes a second). The prompt is Whisper's 4 task tokens plus the prompt's words.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, SSE_TYPE, TOKEN, countWords, errorJson, invalidRequest, readBody, send } from './mock-vllm.js';
import { type MultipartBody, type MultipartFile, MultipartError, boundaryOf, readMultipart } from './multipart.js';
import { type Route, type RouteEnv, baseRequestId, checkModel, nowSeconds, refuseUnauthorized } from './route-kit.js';

const MAX_FILE_BYTES = 25 * 1024 * 1024;
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_AUDIO_TOKENS = 8;
const TASK_PROMPT_TOKENS = 4;
const PCM_BYTES_PER_SECOND = 32000;

type Task = 'transcribe' | 'translate';

/** The upload as `mock.requests` shows it: fields, file sizes (not their bytes) and the timing. */
export interface RecordedUpload extends Omit<MultipartBody, 'files'> {
  files: Omit<MultipartFile, 'head'>[];
}

/** Seconds of audio in `file`: a WAV header's byte rate, else 16 kHz 16-bit mono. */
export function audioSeconds(file: MultipartFile): number {
  const h = file.head;
  if (h.length >= 44 && h.toString('latin1', 0, 4) === 'RIFF' && h.toString('latin1', 8, 12) === 'WAVE') {
    const byteRate = h.readUInt32LE(28);
    if (byteRate > 0) return Math.max(0, file.size - 44) / byteRate;
  }
  return file.size / PCM_BYTES_PER_SECOND;
}

/** pydantic's bool parsing of a form value. */
function formBool(v: string | undefined, name: string): boolean {
  if (v === undefined) return false;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 't', 'yes', 'y', 'on'].includes(s)) return true;
  if (['0', 'false', 'f', 'no', 'n', 'off', ''].includes(s)) return false;
  throw invalidRequest(`Input should be a valid boolean: ${name}`);
}

function formInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw invalidRequest(`Input should be a valid integer: ${name}`);
  return n;
}

const validationError = (message: string, param: string): HttpError =>
  new HttpError(400, JSON.stringify({ error: { message, type: 'BadRequestError', param, code: 400 } }));

async function readForm(req: IncomingMessage, env: RouteEnv, path: string): Promise<MultipartBody | undefined> {
  const boundary = boundaryOf(req.headers['content-type']);
  if (boundary === undefined) {
    const raw = await readBody(req);
    env.record({ method: 'POST', path, headers: req.headers, body: raw === '' ? null : raw, receivedAt: Date.now() });
    return undefined;
  }
  const receivedAt = Date.now();
  let form: MultipartBody;
  try {
    form = await readMultipart(req, boundary, MAX_BODY_BYTES);
  } catch (err) {
    if (!(err instanceof MultipartError)) throw err;
    if (err.message === 'too large') throw new HttpError(413, errorJson('request body too large', 'Request Entity Too Large', 413));
    throw invalidRequest('There was an error parsing the body');
  }
  const upload: RecordedUpload = { ...form, files: form.files.map(({ head: _head, ...f }) => f) };
  env.record({ method: 'POST', path, headers: req.headers, body: upload, receivedAt });
  return form;
}

function audioRoute(task: Task): Route {
  return async (req, res, env, path) => {
    const form = await readForm(req, env, path);
    if (refuseUnauthorized(req, res, env, path)) return;
    const fields = form?.fields ?? {};
    const file = form?.files.find((f) => f.field === 'file');
    if (file === undefined) {
      if (fields.file !== undefined) {
        throw new HttpError(422, errorJson("Expected 'file' to be a file-like object, not 'str'.", 'Unprocessable Entity', 422));
      }
      throw invalidRequest('Field required: file');
    }
    const stream = formBool(fields.stream, 'stream');
    const includeUsage = formBool(fields.stream_include_usage, 'stream_include_usage');
    const continuous = formBool(fields.stream_continuous_usage_stats, 'stream_continuous_usage_stats');
    if ((includeUsage || continuous) && !stream) {
      throw validationError('Stream options can only be defined when `stream=True`.', includeUsage ? 'stream_include_usage' : 'stream_continuous_usage_stats');
    }
    checkModel(fields.model, env);
    const format = fields.response_format ?? 'json';
    if (!['text', 'json', 'verbose_json'].includes(format)) {
      throw invalidRequest('Currently only support response_format: `text`, `json` or `verbose_json`');
    }
    // The mock's "model" has no segment timestamps, as most non-Whisper models.
    if (format === 'verbose_json') throw invalidRequest(`Currently do not support verbose_json for ${fields.model ?? env.model}`);
    if (file.size > MAX_FILE_BYTES) throw validationError('Maximum file size exceeded', 'audio_filesize_mb');

    const n = formInt(fields.max_completion_tokens, 'max_completion_tokens') ?? DEFAULT_AUDIO_TOKENS;
    const id = `${task}-${baseRequestId(req)}`;
    if (!stream) {
      const text = TOKEN.repeat(n);
      send(res, 200, JSON.stringify(task === 'transcribe' ? { text, usage: { type: 'duration', seconds: Math.ceil(audioSeconds(file)) } } : { text }));
      return;
    }
    const prompt = TASK_PROMPT_TOKENS + countWords(fields.prompt ?? '');
    const interTokenMs = Number(fields.mock_inter_token_ms ?? 0) || 0;
    await streamAudio(res, { id, task, model: fields.model ?? null, n, prompt, includeUsage, continuous, interTokenMs });
  };
}

interface AudioStream {
  id: string;
  task: Task;
  /** The request's model field as given (vLLM echoes `request.model`, null when it was left out). */
  model: string | null;
  n: number;
  prompt: number;
  includeUsage: boolean;
  continuous: boolean;
  interTokenMs: number;
}

async function streamAudio(res: ServerResponse, s: AudioStream): Promise<void> {
  const object = s.task === 'transcribe' ? 'transcription.chunk' : 'translation.chunk';
  const created = nowSeconds();
  const usage = (completion: number) => ({ prompt_tokens: s.prompt, completion_tokens: completion, total_tokens: s.prompt + completion });
  res.writeHead(200, { 'content-type': SSE_TYPE, 'cache-control': 'no-cache' });
  res.flushHeaders();
  for (let i = 1; i <= s.n; i++) {
    if (i > 1 && s.interTokenMs > 0) await new Promise((r) => setTimeout(r, s.interTokenMs));
    if (res.destroyed) return;
    const choice = i === s.n ? { delta: { content: TOKEN }, finish_reason: 'length', stop_reason: null } : { delta: { content: TOKEN } };
    const chunk = { id: s.id, object, created, model: s.model, choices: [choice], ...(s.continuous ? { usage: usage(i) } : {}) };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  if (s.includeUsage) {
    // exclude_none: a missing model is left out of this one.
    const last = { id: s.id, object, created, ...(s.model !== null ? { model: s.model } : {}), choices: [], usage: usage(s.n) };
    res.write(`data: ${JSON.stringify(last)}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

export const AUDIO_ROUTES: Readonly<Record<string, Route>> = {
  '/v1/audio/transcriptions': audioRoute('transcribe'),
  '/v1/audio/translations': audioRoute('translate'),
};
