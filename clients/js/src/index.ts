/** A client of Relay's REST API: errors as RelayError, retries that cannot send twice, and
 * verifyWebhook for the relay's signed deliveries. */
export { DEFAULT_URL, Relay, type RelayOptions } from "./client.js";
export { RelayError, WebhookVerificationError } from "./errors.js";
export { DEFAULT_RETRY, NO_RETRIES, retryDelay, type RetryPolicy } from "./retry.js";
export { verifyWebhook, type WebhookHeaders } from "./webhooks.js";
export type * from "./types.js";
