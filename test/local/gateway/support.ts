/** A backend for gateway tests: records every request it receives and answers with JSON. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingBackend {
  url: string;
  received: RecordedRequest[];
  close(): Promise<void>;
}

export async function startRecordingBackend(answer: (r: RecordedRequest) => { status: number; headers?: Record<string, string>; body?: string } = () => ({ status: 200, body: '{"ok":true}' })): Promise<RecordingBackend> {
  const received: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const out = answer(r);
      res.writeHead(out.status, { 'content-type': 'application/json', server: 'test-backend', ...(out.headers ?? {}) });
      res.end(out.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
