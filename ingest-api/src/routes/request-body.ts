import { HttpError, invalidRequest, issuesToDetails } from '@rankstream/schemas';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';

/** 413 past the cap, counted on the bytes actually read (Content-Length can lie or be absent). */
export function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new HttpError(413, 'payload_too_large', `the body is larger than ${maxBytes} bytes`);
    },
  });
}

export async function readJson(c: Context): Promise<unknown> {
  return parseJsonText(await c.req.text());
}

/** As readJson, with an empty body read as `{}`: for requests whose every field is optional. */
export async function readOptionalJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  return text.trim() === '' ? {} : parseJsonText(text);
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON', [{ path: '', message: 'not valid JSON' }]);
  }
}

/** Validates at the edge; a failure names every offending field with its dotted path. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw invalidRequest(issuesToDetails(result.error.issues));
  return result.data;
}
