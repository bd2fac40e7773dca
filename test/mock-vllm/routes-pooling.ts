// vLLM's pooling-model routes: rerank, score, pooling, classify.
//
// Paths and shapes checked against vllm-project/vllm:
// - vllm/entrypoints/pooling/score/api_router.py: POST /score and /v1/score; /rerank, /v1/rerank and /v2/rerank
//   (all one handler). vllm/entrypoints/pooling/pooling/api_router.py: POST /pooling only (no /v1/pooling).
//   vllm/entrypoints/pooling/classify/api_router.py: POST /classify only (no /v1/classify).
// - vllm/entrypoints/pooling/score/protocol.py and .../scoring/protocol.py: RerankRequest {query, documents,
//   top_n = 0 (all)}; RerankResponse {id, model, usage: RerankUsage, results: [{index, document: {text},
//   relevance_score}]}. RerankUsage is `{total_tokens}` in older releases and `{prompt_tokens, total_tokens}`
//   in newer ones (ServingScores.request_output_to_rerank_response sets both to the prompt tokens); results
//   are sorted by relevance_score, highest first, then cut to top_n. Ids: `rerank-{base id}`, `score-{base id}`.
//   ScoreRequest {text_1, text_2} (newer also {queries, documents}, {queries, items}, {data_1, data_2});
//   ScoreResponse {id, object: "list", created, model, data: [{index, object: "score", score}], usage: UsageInfo}.
// - .../pooling/protocol.py: PoolingResponse {id: "pool-…", object: "list", created, model,
//   data: [{index, object: "pooling", data}], usage}; .../classify/protocol.py: ClassificationResponse
//   {id: "classify-…", object: "list", created, model, data: [{index, label, probs, num_classes}], usage}.
// The mock's "model" is the word counter and hash vectors of mock-vllm.ts: a pair costs the words of both texts.

import { badRequest, countChatTokens, countWords, embed, invalidRequest, isRecord } from './mock-vllm.js';
import { type JsonAnswer, type Route, jsonRoute, nowSeconds, poolingUsage, required, stringList } from './route-kit.js';

const words = (s: string): Set<string> => new Set(s.toLowerCase().split(/\W+/).filter(Boolean));

/** A deterministic relevance in [0, 1]: the share of the document's words that the query has too. */
export function relevance(query: string, doc: string): number {
  const q = words(query);
  const d = words(doc);
  if (d.size === 0) return 0;
  let shared = 0;
  for (const w of d) if (q.has(w)) shared++;
  return shared / d.size;
}

/** _validate_score_input_lens (vllm/entrypoints/pooling/score/utils.py): 1:1, 1:N or N:N, neither side empty. */
function checkLengths(left: unknown[], right: unknown[]): void {
  if (left.length > 1 && left.length !== right.length) throw badRequest('Input lengths must be either 1:1, 1:N or N:N');
  if (left.length === 0) throw badRequest('At least one text element must be given');
  if (right.length === 0) throw badRequest('At least one text_pair element must be given');
}

/** Per-request steering: `mock.legacy_rerank_usage: true` answers RerankUsage as older vLLM does (total_tokens only). */
function legacyUsage(body: Record<string, unknown>): boolean {
  return isRecord(body.mock) && body.mock.legacy_rerank_usage === true;
}

const rerank: JsonAnswer = (body, env, baseId) => {
  const query = required(body, 'query');
  if (typeof query !== 'string') throw invalidRequest('Input should be a valid string: query');
  const documents = stringList(required(body, 'documents'), 'documents');
  checkLengths([query], documents);
  const topN = body.top_n ?? 0;
  if (typeof topN !== 'number' || !Number.isInteger(topN)) throw invalidRequest('Input should be a valid integer: top_n');
  let prompt = 0;
  const results = documents.map((text, index) => {
    prompt += countWords(query) + countWords(text);
    return { index, document: { text }, relevance_score: relevance(query, text) };
  });
  results.sort((a, b) => b.relevance_score - a.relevance_score);
  const n = topN > 0 ? topN : results.length;
  return {
    id: `rerank-${baseId}`,
    model: env.model,
    usage: legacyUsage(body) ? { total_tokens: prompt } : { prompt_tokens: prompt, total_tokens: prompt },
    results: results.slice(0, n),
  };
};

/** The two sides of a score request, in any of the field pairs vLLM accepts. */
function scoreSides(body: Record<string, unknown>): [string[], string[]] {
  const pairs: [string, string][] = [
    ['text_1', 'text_2'],
    ['queries', 'documents'],
    ['queries', 'items'],
    ['data_1', 'data_2'],
  ];
  for (const [a, b] of pairs) {
    if (body[a] !== undefined && body[b] !== undefined) return [stringList(body[a], a), stringList(body[b], b)];
  }
  throw invalidRequest('Field required: text_1, text_2');
}

const score: JsonAnswer = (body, env, baseId) => {
  const [left, right] = scoreSides(body);
  checkLengths(left, right);
  // One left text is paired with every right one; otherwise the lists pair up.
  const firsts = left.length === 1 ? right.map(() => left[0] as string) : left;
  let prompt = 0;
  const data = right.map((text, index) => {
    const first = firsts[index] as string;
    prompt += countWords(first) + countWords(text);
    return { index, object: 'score', score: relevance(first, text) };
  });
  return { id: `score-${baseId}`, object: 'list', created: nowSeconds(), model: env.model, data, usage: poolingUsage(prompt) };
};

/** The inputs of a pooling/classify request: `input` (completion form) or `messages` (chat form). */
function poolingInputs(body: Record<string, unknown>): { texts: string[]; prompt: number } {
  if (Array.isArray(body.messages)) {
    const text = JSON.stringify(body.messages);
    return { texts: [text], prompt: Math.max(1, countChatTokens(body.messages)) };
  }
  const texts = stringList(required(body, 'input'), 'input');
  return {
    texts,
    prompt: Math.max(
      1,
      texts.reduce((n, t) => n + countWords(t), 0),
    ),
  };
}

const pooling: JsonAnswer = (body, env, baseId) => {
  const { texts, prompt } = poolingInputs(body);
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw badRequest(`unsupported encoding_format ${JSON.stringify(format)}`);
  const dims = typeof body.dimensions === 'number' && Number.isInteger(body.dimensions) && body.dimensions > 0 ? body.dimensions : 8;
  const data = texts.map((text, index) => {
    const vector = embed(text, dims);
    return { index, object: 'pooling', data: format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
  });
  return { id: `pool-${baseId}`, object: 'list', created: nowSeconds(), model: env.model, data, usage: poolingUsage(prompt) };
};

export const CLASSIFY_LABELS = ['negative', 'positive'];

const classify: JsonAnswer = (body, env, baseId) => {
  const { texts, prompt } = poolingInputs(body);
  const data = texts.map((text, index) => {
    // Softmax over two hash-derived logits: stable per text.
    const [a = 0, b = 0] = embed(text, 2);
    const ea = Math.exp(a);
    const eb = Math.exp(b);
    const probs = [ea / (ea + eb), eb / (ea + eb)];
    const label = CLASSIFY_LABELS[(probs[1] as number) > (probs[0] as number) ? 1 : 0] as string;
    return { index, label, probs, num_classes: CLASSIFY_LABELS.length };
  });
  return { id: `classify-${baseId}`, object: 'list', created: nowSeconds(), model: env.model, data, usage: poolingUsage(prompt) };
};

export const POOLING_ROUTES: Readonly<Record<string, Route>> = {
  '/rerank': jsonRoute(rerank),
  '/v1/rerank': jsonRoute(rerank),
  '/v2/rerank': jsonRoute(rerank),
  '/score': jsonRoute(score),
  '/v1/score': jsonRoute(score),
  '/pooling': jsonRoute(pooling),
  '/classify': jsonRoute(classify),
};
