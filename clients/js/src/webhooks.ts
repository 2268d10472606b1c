/**
 * Checking a webhook delivery before trusting it, with the Standard Webhooks reference library:
 * the signature over the raw body, and a timestamp within five minutes of now.
 */
import { Webhook, WebhookVerificationError as StandardError } from "standardwebhooks";

import { WebhookVerificationError } from "./errors.js";
import type { WebhookEvent } from "./types.js";

/** Request headers as Node (IncomingHttpHeaders), fetch (Headers) or a plain object has them. */
export type WebhookHeaders =
  | Headers
  | Record<string, string | string[] | undefined>;

function plainHeaders(headers: WebhookHeaders): Record<string, string> {
  const entries: Iterable<[string, unknown]> = typeof (headers as Headers).entries === "function"
    && typeof (headers as Headers).get === "function"
    ? (headers as Headers).entries() : Object.entries(headers);
  const plain: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (value !== undefined) plain[name.toLowerCase()] = Array.isArray(value) ? value.join(" ") : String(value);
  }
  return plain;
}

/**
 * The delivery's event when `body`, the raw request body, is signed with `secret` (the
 * whsec_... of the callback's registration) in `headers` and its timestamp is not stale; else
 * throws WebhookVerificationError. Parse nothing before this: a re-encoded body no longer
 * matches its signature.
 */
export function verifyWebhook(body: string | Uint8Array, headers: WebhookHeaders,
                              secret: string): WebhookEvent {
  const text = typeof body === "string" ? body : new TextDecoder().decode(body);
  try {
    return new Webhook(secret).verify(text, plainHeaders(headers)) as WebhookEvent;
  } catch (error) {
    const message = error instanceof StandardError ? error.message
      : `malformed webhook: ${(error as Error).message}`;
    throw new WebhookVerificationError(message, { cause: error });
  }
}
