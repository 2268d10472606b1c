/** What a failed call throws: the relay's error shape as an Error. */

/**
 * The relay refused a call, or could not be reached. `status` is the HTTP status (null when
 * no answer came: then `code` is "timeout" or "connection_error"); `code`, `message` and
 * `field` are the relay's error object's.
 */
export class RelayError extends Error {
  readonly status: number | null;
  readonly code: string;
  readonly field: string | null;
  /** Seconds the relay's Retry-After asked for, when it sent one. */
  readonly retryAfter: number | null;
  /** The answer's body: the relay's JSON, or the text of an answer that was not JSON. */
  readonly body: unknown;

  constructor(status: number | null, code: string, message: string,
              options: { field?: string | null; retryAfter?: number | null; body?: unknown;
                         cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RelayError";
    this.status = status;
    this.code = code;
    this.field = options.field ?? null;
    this.retryAfter = options.retryAfter ?? null;
    this.body = options.body;
  }
}

/**
 * A webhook delivery whose signature does not match its body, whose timestamp is too far
 * from now, or whose headers are missing or malformed.
 */
export class WebhookVerificationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WebhookVerificationError";
  }
}

/** The RelayError of a non-2xx answer; a body not in the relay's error shape gives "http_error". */
export function errorOfAnswer(status: number, body: unknown, retryAfter: number | null): RelayError {
  const error = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)
    ?.error;
  if (error && typeof error.code === "string") {
    return new RelayError(status, error.code, String(error.message ?? ""), {
      field: typeof error.field === "string" ? error.field : null, retryAfter, body });
  }
  return new RelayError(status, "http_error", `HTTP ${status} without a Relay error body`,
                        { retryAfter, body });
}
