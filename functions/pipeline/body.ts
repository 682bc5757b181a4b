/** Reads a JSON request body: media type (415), size limit (413), JSON syntax (400), schema (422). */
import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { HttpError, ValidationError } from '../errors.js';

const jsonMediaType = /^application\/(?:[a-z0-9.+-]*\+)?json\s*(?:;.*)?$/i;

export async function readJsonBody<T>(request: HttpRequest, schema: z.ZodType<T>, maxBytes: number): Promise<T> {
  const contentType = request.headers.get('content-type');
  if (contentType === null || !jsonMediaType.test(contentType)) {
    throw new HttpError('FN_121_UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json', { reason: 'unsupported_media_type' });
  }
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    throw new HttpError('FN_120_PAYLOAD_TOO_LARGE', `the body is larger than ${maxBytes} bytes`, { reason: 'payload_too_large' });
  }
  const raw = await request.text();
  if (Buffer.byteLength(raw, 'utf8') > maxBytes) {
    throw new HttpError('FN_120_PAYLOAD_TOO_LARGE', `the body is larger than ${maxBytes} bytes`, { reason: 'payload_too_large' });
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new HttpError('FN_101_BAD_JSON', undefined, { reason: 'bad_json' });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.length ? i.path.join('.') : '(body)', message: i.message })));
  }
  return parsed.data;
}
