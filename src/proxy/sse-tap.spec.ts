import { describe, expect, it } from 'vitest';
import { type ClientUsage, SseTap } from './sse-tap.js';

// A vLLM chat stream with `stream_options.include_usage` (as the proxy always asks): every chunk carries
// `"usage":null`, then a usage-only chunk with `choices: []`, then [DONE].
const ID = 'chatcmpl-7f3a';
const HEAD = `data: {"id":"${ID}","object":"chat.completion.chunk","created":1764640000,"model":"google/gemma-4-31b","choices":[`;
const chunk = (choice: string) => `${HEAD}${choice}],"usage":null}\n\n`;
const USAGE = '{"prompt_tokens":12,"total_tokens":15,"completion_tokens":3,"prompt_tokens_details":null}';
const USAGE_CHUNK = `${HEAD}],"usage":${USAGE}}\n\n`;
const DONE = 'data: [DONE]\n\n';
const CONTENT = [
  chunk('{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}'),
  // Multi-byte characters, so a split can fall inside one.
  chunk('{"index":0,"delta":{"content":"Grüße 👋"},"logprobs":null,"finish_reason":null}'),
  chunk('{"index":0,"delta":{"content":" \\"usage\\":{ in text"},"logprobs":null,"finish_reason":null}'),
  chunk('{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop","stop_reason":null}'),
].join('');
const STREAM = CONTENT + USAGE_CHUNK + DONE;

/** Feeds `parts` through a tap; returns what it forwarded (push results, then rest()). */
function run(parts: Buffer[], stripUsageChunk: boolean | ClientUsage) {
  const tap = new SseTap(typeof stripUsageChunk === 'string' ? stripUsageChunk : stripUsageChunk ? 'none' : 'final');
  const out: Buffer[] = [];
  for (const part of parts) {
    const fwd = tap.push(part);
    if (fwd) out.push(fwd);
  }
  const rest = tap.rest();
  if (rest) out.push(rest);
  return { tap, forwarded: Buffer.concat(out).toString('utf8') };
}

/** Splits `buf` at the given byte offsets (sorted, unique). */
function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    parts.push(buf.subarray(from, cut));
    from = cut;
  }
  parts.push(buf.subarray(from));
  return parts;
}

const bytes = Buffer.from(STREAM);

describe('SseTap', () => {
  it('forwards a stream in one piece unchanged when the client asked for usage, and reads usage, id and [DONE]', () => {
    const { tap, forwarded } = run([bytes], false);
    expect(forwarded).toBe(STREAM);
    expect(tap.usage).toEqual({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    expect(tap.id).toBe(ID);
    expect(tap.done).toBe(true);
  });

  it('drops only the usage-only chunk when the client did not ask for usage', () => {
    const { tap, forwarded } = run([bytes], true);
    expect(forwarded).toBe(CONTENT + DONE);
    expect(tap.usage).toEqual({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    expect(tap.done).toBe(true);
  });

  it('gives the same result for a split at every byte offset, with and without stripping', () => {
    for (let cut = 1; cut < bytes.length; cut++) {
      for (const strip of [false, true]) {
        const { tap, forwarded } = run(splitAt(bytes, [cut]), strip);
        expect(forwarded, `cut at ${cut}, strip ${strip}`).toBe(strip ? CONTENT + DONE : STREAM);
        expect(tap.usage?.total_tokens, `cut at ${cut}`).toBe(15);
        expect(tap.id, `cut at ${cut}`).toBe(ID);
        expect(tap.done, `cut at ${cut}`).toBe(true);
      }
    }
  });

  it('gives the same result fed one byte at a time and in random pieces', () => {
    const single = run(
      [...bytes].map((b) => Buffer.from([b])),
      true,
    );
    expect(single.forwarded).toBe(CONTENT + DONE);
    expect(single.tap.usage?.total_tokens).toBe(15);
    expect(single.tap.done).toBe(true);

    let seed = 13;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const cuts = [...new Set(Array.from({ length: 1 + Math.floor(random() * 12) }, () => 1 + Math.floor(random() * (bytes.length - 1))))];
      cuts.sort((a, b) => a - b);
      const strip = round % 2 === 0;
      const { tap, forwarded } = run(splitAt(bytes, cuts), strip);
      expect(forwarded, `cuts ${cuts.join(',')}`).toBe(strip ? CONTENT + DONE : STREAM);
      expect(tap.usage?.total_tokens).toBe(15);
      expect(tap.done).toBe(true);
    }
  });

  it('forwards only complete events, holding back a partial one', () => {
    const tap = new SseTap('none');
    const first = bytes.indexOf('\n\n') + 2;
    expect(tap.push(bytes.subarray(0, first + 5))?.toString()).toBe(STREAM.slice(0, first));
    expect(tap.push(bytes.subarray(first + 5, first + 6))).toBeUndefined();
    expect(tap.done).toBe(false);
  });

  it('returns nothing for a push that holds only the stripped usage chunk', () => {
    const tap = new SseTap('none');
    expect(tap.push(Buffer.from(USAGE_CHUNK))).toBeUndefined();
    expect(tap.usage?.prompt_tokens).toBe(12);
    expect(tap.push(Buffer.from(DONE))?.toString()).toBe(DONE);
    expect(tap.done).toBe(true);
  });

  describe('running usage on every chunk (the proxy asks vLLM for continuous_usage_stats)', () => {
    const choice = '{"index":0,"delta":{"content":"x"},"finish_reason":null}';
    const running = (n: number) => `{"prompt_tokens":4,"total_tokens":${4 + n},"completion_tokens":${n}}`;
    const withChoice = (n: number, usage: string) => `${HEAD}${choice}],"usage":${usage}}\n\n`;
    const usageOnly = `${HEAD}],"usage":${running(2)}}\n\n`;
    const upstream = withChoice(1, running(1)) + withChoice(2, running(2)) + usageOnly + DONE;
    const cases: Array<[ClientUsage, string]> = [
      ['continuous', upstream],
      ['final', withChoice(1, 'null') + withChoice(2, 'null') + usageOnly + DONE],
      ['none', `${HEAD}${choice}]}\n\n`.repeat(2) + DONE],
    ];
    for (const [client, expected] of cases) {
      it(`shows a client that asked for ${client} usage only that, at every split, and reads the last usage`, () => {
        const buf = Buffer.from(upstream);
        for (let cut = 1; cut < buf.length; cut += 7) {
          const { tap, forwarded } = run(splitAt(buf, [cut]), client);
          expect(forwarded, `cut at ${cut}`).toBe(expected);
          expect(tap.usage).toEqual({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });
          expect(tap.done).toBe(true);
        }
      });
    }

    it('keeps the running count of a stream cut before its end', () => {
      const { tap } = run([Buffer.from(withChoice(1, running(1)) + withChoice(2, running(2)))], 'none');
      expect(tap.usage?.completion_tokens).toBe(2);
      expect(tap.done).toBe(false);
    });
  });

  it('does not take "data: [DONE]" inside a content string for the end of the stream', () => {
    const said = chunk('{"index":0,"delta":{"content":"the last event is data: [DONE]"},"finish_reason":null}');
    const { tap, forwarded } = run([Buffer.from(said)], true);
    expect(forwarded).toBe(said);
    expect(tap.done).toBe(false);
    expect(run([Buffer.from(said + DONE)], true).tap.done).toBe(true);
  });

  it('reports not done for a stream cut before [DONE], and hands back the unterminated tail', () => {
    const cut = bytes.indexOf(DONE) + 4;
    const tap = new SseTap('final');
    const forwarded = tap.push(bytes.subarray(0, cut));
    expect(forwarded?.toString()).toBe(CONTENT + USAGE_CHUNK);
    expect(tap.done).toBe(false);
    expect(tap.rest()?.toString()).toBe('data');
    expect(tap.rest()).toBeUndefined();
  });

  it('forwards events that are not JSON untouched', () => {
    const odd = 'data: {"usage":{not json}\n\n: keep-alive\n\n';
    const { tap, forwarded } = run([Buffer.from(odd)], true);
    expect(forwarded).toBe(odd);
    expect(tap.usage).toBeUndefined();
  });
});

describe('SseTap for the Responses and Messages streams', () => {
  const responses = [
    'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_abc","usage":null}}\n\n',
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"tok "}\n\n',
    'event: response.completed\ndata: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_abc","usage":{"input_tokens":4,"output_tokens":1,"total_tokens":5}}}\n\n',
  ];

  it('passes a Responses stream through, reads its usage and id, and ends at response.completed', () => {
    const tap = new SseTap('continuous', { injectUsage: false, endMarks: [Buffer.from('"type":"response.completed"')] });
    const out = responses.map((e) => tap.push(Buffer.from(e))!.toString()).join('');
    expect(out).toBe(responses.join(''));
    expect(tap).toMatchObject({ id: 'resp_abc', done: true, usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } });
    const cut = new SseTap('continuous', { injectUsage: false, endMarks: [Buffer.from('"type":"response.completed"')] });
    cut.push(Buffer.from(responses[0] + responses[1]));
    expect(cut.done).toBe(false);
  });

  it('merges Anthropic usage: input from message_start, output from the last message_delta, in one read or many', () => {
    const events = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":9,"output_tokens":1}}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"tok "}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":6}}\n\n',
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ];
    const format = { injectUsage: false, endMarks: [Buffer.from('"type":"message_stop"')], mergeUsage: true };
    for (const pieces of [events, [events.join('')]]) {
      const tap = new SseTap('continuous', format);
      for (const p of pieces) tap.push(Buffer.from(p));
      expect(tap).toMatchObject({ id: 'msg_1', done: true, usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 } });
    }
  });
});
