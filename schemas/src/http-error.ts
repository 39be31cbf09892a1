/**
 * The one JSON error shape both APIs answer with:
 *   {"error": {"code": "invalid_request", "message": "...", "details": [{"path": "events.3.value", "message": "..."}]}}
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

export function errorBody(code: string, message: string, details: ErrorDetail[] = []): ErrorBody {
  return { error: { code, message, details } };
}

interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  keys?: readonly string[];
}

/**
 * zod issues to details with dotted paths ("events.3.value"). Unknown keys get one detail per key,
 * so the path names the offending field itself.
 */
export function issuesToDetails(issues: readonly IssueLike[], prefix: readonly PropertyKey[] = []): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    const base = [...prefix, ...issue.path].map(String);
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const key of issue.keys) details.push({ path: [...base, key].join('.'), message: 'unknown field' });
    } else {
      details.push({ path: base.join('.'), message: issue.message });
    }
  }
  return details;
}

export function invalidRequest(details: ErrorDetail[], message = 'the request is invalid'): HttpError {
  return new HttpError(400, 'invalid_request', message, details);
}
