import type { SchemaObject } from '@nestjs/swagger';
import {
  arr,
  bool,
  choices,
  enumOf,
  int,
  MODEL_FIELD,
  nullable,
  num,
  obj,
  ref,
  route,
  type RouteDoc,
  type RouteFamily,
  str,
  USAGE,
  v1AndRoot,
} from './common.js';

// Shapes: OpenAI's audio API reference and vLLM's TranscriptionRequest/TranslationRequest, their responses
// and stream chunks (vllm/entrypoints/openai/speech_to_text/protocol.py). vLLM answers `usage` as
// {"type":"duration","seconds":N}; the proxy bills seconds × input_cost_per_second when the model has that price.

const FORMAT: SchemaObject = { type: 'string', enum: ['json', 'text', 'srt', 'verbose_json', 'vtt'], default: 'json' };

const form = (what: string, extra: Record<string, SchemaObject>): SchemaObject =>
  obj(
    {
      file: { type: 'string', format: 'binary', description: `The audio to ${what} (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav or webm)` },
      model: MODEL_FIELD,
      prompt: str('Text to guide the style or continue a previous segment'),
      response_format: FORMAT,
      temperature: num(),
      ...extra,
      stream: bool('true: answer as server-sent events (the proxy makes one attempt: the body is streamed upstream)'),
      stream_include_usage: bool('vLLM: with stream, a last chunk carries the usage'),
    },
    ['file', 'model'],
    { description: 'multipart/form-data; the proxy streams the body upstream as it arrives, rewriting only `model`' },
  );

const TRANSCRIPTION_FORM = form('transcribe', {
  language: str('ISO-639-1 language of the audio, e.g. en'),
  'timestamp_granularities[]': arr({ type: 'string', enum: ['word', 'segment'] }, 'With verbose_json'),
});
const TRANSLATION_FORM = form('translate into English', { language: str('vLLM: the language of the audio, when known') });

const AUDIO_USAGE = obj({ type: enumOf('duration'), seconds: int('Seconds of audio') }, ['type', 'seconds']);

const RESULT = obj(
  {
    text: str(),
    usage: { oneOf: [AUDIO_USAGE, USAGE], description: 'vLLM: the audio duration; token usage when the backend reports it' },
    language: str('verbose_json'),
    duration: { oneOf: [num(), str()], description: 'verbose_json: seconds' },
    segments: nullable(arr(obj({ id: int(), start: num(), end: num(), text: str() }), 'verbose_json')),
    words: nullable(arr(obj({ word: str(), start: num(), end: num() }), 'verbose_json with word timestamps')),
  },
  ['text'],
  { description: 'response_format json (text, usage) or verbose_json (also language, duration, segments, words)' },
);

const CHUNK = choices(
  str('transcription.chunk or translation.chunk'),
  obj({ delta: obj({ content: nullable(str()) }), finish_reason: nullable(str()), stop_reason: nullable({ oneOf: [int(), str()] }) }, ['delta']),
  nullable(USAGE),
);

const CHUNKS = 'chat-like `data: {chunk}` lines with `choices[].delta.content`, the usage in the last chunk when present, then `data: [DONE]`.';
const TEXT = 'response_format text, srt or vtt: the text itself';

const audio = (id: string, summary: string, schema: string): RouteDoc => ({
  id,
  tag: 'openai',
  summary,
  multipart: ref(schema),
  ok: { json: ref('AudioText'), description: 'The text.', sse: { schema: ref('AudioTextChunk'), description: CHUNKS }, text: TEXT },
});

export const OPENAI_AUDIO: RouteFamily = {
  schemas: { TranscriptionForm: TRANSCRIPTION_FORM, TranslationForm: TRANSLATION_FORM, AudioText: RESULT, AudioTextChunk: CHUNK },
  paths: {
    ...route(
      'post',
      v1AndRoot('/audio/transcriptions'),
      audio('createTranscription', 'Transcribe audio (OpenAI shape), served by a deployment of `model`', 'TranscriptionForm'),
    ),
    ...route('post', v1AndRoot('/audio/translations'), audio('createTranslation', 'Translate audio into English text (OpenAI shape)', 'TranslationForm')),
  },
};
