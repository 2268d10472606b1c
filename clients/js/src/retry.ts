/**
 * When to try a call again, and how long to wait first: exponential backoff with jitter on
 * connection errors, timeouts, 429 and 503 (a Retry-After header wins); never on other answers.
 */

/**
 * `attempts` counts the first try: 1 turns retrying off. The n-th retry waits between half and
 * all of min(maxDelay, baseDelay * 2**(n-1)) seconds, so that clients that failed together do
 * not come back together. A Retry-After longer than `maxRetryAfter` seconds is not waited for:
 * the error is thrown with its `retryAfter`.
 */
export interface RetryPolicy {
  attempts: number;
  baseDelay: number;
  maxDelay: number;
  maxRetryAfter: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  attempts: 4, baseDelay: 0.5, maxDelay: 8, maxRetryAfter: 60 });
export const NO_RETRIES: RetryPolicy = Object.freeze({ ...DEFAULT_RETRY, attempts: 1 });
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** A client's `retry` option: a (partial) policy, true (the default) or false (off). */
export function policyOf(retry: Partial<RetryPolicy> | boolean | undefined): RetryPolicy {
  if (retry === false) return NO_RETRIES;
  const policy = { ...DEFAULT_RETRY, ...(retry === true || retry === undefined ? {} : retry) };
  if (!(policy.attempts >= 1)) throw new RangeError("attempts counts the first try: at least 1");
  return policy;
}

/** Seconds to wait before retry number `retry` (1-based), or null: do not retry. */
export function retryDelay(policy: RetryPolicy, retry: number,
                           retryAfter: number | null = null): number | null {
  if (retry >= policy.attempts) return null;
  if (retryAfter !== null) return retryAfter <= policy.maxRetryAfter ? retryAfter : null;
  const ceiling = Math.min(policy.maxDelay, policy.baseDelay * 2 ** (retry - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** A Retry-After header's wait in seconds (seconds, or an HTTP date); null when absent. */
export function retryAfterSeconds(value: string | null): number | null {
  if (!value) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const when = Date.parse(text);
  return Number.isNaN(when) ? null : Math.max(0, (when - Date.now()) / 1000);
}
