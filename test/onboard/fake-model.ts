// The model APIs of the three agents, faked on loopback: each answers "hi"
// (Anthropic messages SSE, OpenAI responses SSE, Gemini generateContent and
// streamGenerateContent SSE), so the real agents run one turn offline.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeModel = { url: string; requests: string[]; close(): Promise<void> };

function anthropic(body: string, res: http.ServerResponse): void {
  let j: { model?: string; stream?: boolean } = {};
  try {
    j = JSON.parse(body) as typeof j;
  } catch {
    // an empty body gets the defaults
  }
  const usage = { input_tokens: 10, output_tokens: 2, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  const message = { id: 'msg_1', type: 'message', role: 'assistant', model: j.model ?? 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage };
  if (!j.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...message, content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn' }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const ev = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev('message_start', { message });
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'hi' } });
  ev('content_block_stop', { index: 0 });
  ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } });
  ev('message_stop', {});
  res.end();
}

function openaiResponses(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const ev = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev('response.created', { response: { id: 'resp_1' } });
  ev('response.output_item.done', { item: { type: 'message', role: 'assistant', id: 'msg_1', content: [{ type: 'output_text', text: 'hi' }] } });
  const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 };
  ev('response.completed', { response: { id: 'resp_1', usage } });
  res.end();
}

const GEMINI_USAGE = { promptTokenCount: 5, candidatesTokenCount: 1, totalTokenCount: 6 };

function gemini(url: string, res: http.ServerResponse): boolean {
  if (url.includes(':streamGenerateContent')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'hi' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: GEMINI_USAGE })}\n\n`);
    res.end();
    return true;
  }
  if (url.includes(':generateContent')) {
    // The model router asks for a JSON choice.
    const text = JSON.stringify({ reasoning: 'a short answer', model_choice: 'flash' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }], usageMetadata: GEMINI_USAGE }));
    return true;
  }
  if (url.includes(':countTokens')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ totalTokens: 5 }));
    return true;
  }
  return false;
}

export async function startFakeModel(): Promise<FakeModel> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const url = req.url ?? '/';
      requests.push(`${req.method} ${url}`);
      if (url.startsWith('/v1/messages')) return anthropic(body, res);
      if (url.startsWith('/v1/responses')) return openaiResponses(res);
      if (gemini(url, res)) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}
