/** Relay: every call of the API over the platform's fetch, with retries that cannot send twice. */
import { RelayError, errorOfAnswer } from "./errors.js";
import { RETRY_STATUSES, policyOf, retryAfterSeconds, retryDelay, type RetryPolicy } from "./retry.js";
import type {
  Accepted, BatchResult, Callback, CallbackOptions, Contact, Delivery, DeliveryFilters,
  ExportFormat, InboundQuery, Message, MessageFilters, Phone, QueryFields, Registration, Rule,
  RuleFields, SendMessage, Time,
} from "./types.js";

export const DEFAULT_URL = "http://127.0.0.1:5110";
const MESSAGES = "/api/v1/messages";
const PHONES = "/api/v1/phones";
const RULES = "/api/v1/webchat/inbound/rules";
const CALLBACKS = "/api/v1/webchat/callbacks/inbound";
const QUERY = "/api/v1/webchat/inbound/query";
const CONTACTS = "/api/v1/contacts";

export interface RelayOptions {
  /** The relay's base URL; default RELAY_URL, else http://127.0.0.1:5110. */
  url?: string;
  /** A client key (rly_...); default RELAY_API_KEY. */
  key?: string;
  /** Seconds one try may take, the answer's body included (default 10). */
  timeout?: number;
  /** A RetryPolicy (or part of one), true for the default, false for a single try. */
  retry?: Partial<RetryPolicy> | boolean;
  /** The fetch to use (default: the platform's). */
  fetch?: typeof fetch;
}

interface Call {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  params?: Record<string, unknown>;
  body?: unknown;
  raw?: boolean;             // the answer's bytes (an export), not JSON
}

type Answer = Record<string, unknown>;

function environment(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } })
    .process?.env?.[name];
}

/** The given fields without the ones left out (undefined or null), Dates in ISO-8601. */
function fields(given: object): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && value !== null) kept[name] = value instanceof Date ? value.toISOString() : value;
  }
  return kept;
}

async function randomKey(): Promise<string> {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  const { randomUUID } = await import("node:crypto");     // Node 18 has no global crypto
  return randomUUID();
}

/** The send body of a message, with a random idempotency key when it has none: made before the
 * first try, so that every retry of it is the same request to the relay. */
async function withIdempotencyKey(message: SendMessage): Promise<Record<string, unknown>> {
  const body = fields(message);
  body.idempotency_key ??= await randomKey();
  return body;
}

/** "timeout" or "connection_error" for what fetch throws when no answer came; else null. */
function transportFailure(error: unknown): string | null {
  if (error instanceof Error && error.name === "TimeoutError") return "timeout";
  if (error instanceof TypeError) return "connection_error";     // fetch's network failure
  return null;
}

const segment = encodeURIComponent;

export class Relay {
  readonly url: string;
  readonly retry: RetryPolicy;
  private readonly headers: Record<string, string>;
  private readonly timeout: number;
  private readonly fetch: typeof fetch;

  constructor(options: RelayOptions = {}) {
    this.url = (options.url || environment("RELAY_URL") || DEFAULT_URL).replace(/\/+$/, "");
    const key = options.key || environment("RELAY_API_KEY");
    if (!key) {
      throw new Error("no client key: pass { key } or set RELAY_API_KEY " +
                      "(make one with `relay keys create --name NAME`)");
    }
    this.headers = { Authorization: `Bearer ${key}`, Accept: "application/json" };
    this.timeout = options.timeout ?? 10;
    this.retry = policyOf(options.retry);
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  // -- messages ---------------------------------------------------------------------------------

  /** Queues a message. Without idempotency_key a random one is used, the same for every retry;
   * the answer says which. */
  async send(message: SendMessage): Promise<Accepted> {
    return await this.run({ method: "POST", path: MESSAGES, body: await withIdempotencyKey(message) }) as Accepted;
  }

  /** Queues up to 1000 messages in one request; the results come in the same order. Each
   * message without an idempotency key gets a random one, so a retried batch makes no repeats. */
  async sendBatch(messages: SendMessage[]): Promise<BatchResult[]> {
    const body = { messages: await Promise.all(messages.map(withIdempotencyKey)) };
    return (await this.run({ method: "POST", path: `${MESSAGES}/batch`, body }) as Answer).results as BatchResult[];
  }

  async getMessage(messageId: string): Promise<Message> {
    return (await this.run({ method: "GET", path: `${MESSAGES}/${segment(messageId)}` }) as Answer)
      .message as Message;
  }

  /** Every message of the client that matches, newest first, page after page. */
  listMessages(filters: MessageFilters = {}): AsyncGenerator<Message> {
    const { page_size, ...rest } = filters;
    return this.pages<Message>(MESSAGES, { ...rest, limit: page_size }, "messages");
  }

  /** Cancels a message that has not gone to a phone: it is failed, last_error "cancelled". */
  async cancel(messageId: string): Promise<Message> {
    return (await this.run({ method: "POST", path: `${MESSAGES}/${segment(messageId)}/cancel` }) as Answer)
      .message as Message;
  }

  /** Moves a waiting message to another time. */
  async reschedule(messageId: string, sendAt: Time): Promise<Message> {
    return (await this.run({ method: "PATCH", path: `${MESSAGES}/${segment(messageId)}`,
                             body: fields({ send_at: sendAt }) }) as Answer).message as Message;
  }

  // -- response rules (docs/alerts.md) ---------------------------------------------------------

  /** A response rule: which inbound events need a reply within how many minutes. */
  async createRule(rule: RuleFields): Promise<Rule> {
    return (await this.run({ method: "POST", path: RULES, body: rule }) as Answer).rule as Rule;
  }

  async listRules(): Promise<Rule[]> {
    return (await this.run({ method: "GET", path: RULES }) as Answer).rules as Rule[];
  }

  async getRule(ruleId: string): Promise<Rule> {
    return (await this.run({ method: "GET", path: `${RULES}/${segment(ruleId)}` }) as Answer)
      .rule as Rule;
  }

  /** The rule's whole new definition (fields left out take their defaults). */
  async replaceRule(ruleId: string, rule: RuleFields): Promise<Rule> {
    return (await this.run({ method: "PUT", path: `${RULES}/${segment(ruleId)}`, body: rule }) as
      Answer).rule as Rule;
  }

  /** Deletes a rule (its open deadlines alert no one); gives its id. */
  async deleteRule(ruleId: string): Promise<string> {
    return (await this.run({ method: "DELETE", path: `${RULES}/${segment(ruleId)}` }) as Answer)
      .deleted as string;
  }

  // -- phones -----------------------------------------------------------------------------------

  async listPhones(): Promise<Phone[]> {
    return (await this.run({ method: "GET", path: PHONES }) as Answer).phones as Phone[];
  }

  async getPhone(phoneId: string): Promise<Phone> {
    return (await this.run({ method: "GET", path: `${PHONES}/${segment(phoneId)}` }) as Answer).phone as Phone;
  }

  // -- the webchat inbound query ----------------------------------------------------------------

  /** What came in and went out, every section typed. */
  async query(query: QueryFields = {}): Promise<InboundQuery> {
    return await this.run({ method: "POST", path: QUERY, body: fields(query) }) as InboundQuery;
  }

  /** One list section as a download (csv, parquet, xlsx or json). */
  async export(format: ExportFormat, section = "events", query: QueryFields = {}): Promise<Uint8Array> {
    return await this.run({ method: "POST", path: QUERY, raw: true,
                            body: fields({ ...query, format, section }) }) as Uint8Array;
  }

  // -- callbacks (webhooks) ---------------------------------------------------------------------

  /** Registers (or replaces) the callback for the URL; keep the secret: it is shown only here.
   * `event_types: []` takes status callbacks only. */
  async registerCallback(callbackUrl: string, options: CallbackOptions = {}): Promise<Registration> {
    return await this.run({ method: "POST", path: CALLBACKS,
                            body: fields({ ...options, callback_url: callbackUrl }) }) as Registration;
  }

  /** The client's callbacks, never their secret or token. */
  async listCallbacks(): Promise<Callback[]> {
    return (await this.run({ method: "GET", path: CALLBACKS }) as Answer).callbacks as Callback[];
  }

  /** Deletes a callback by id or URL (its pending deliveries are cancelled); gives its id. */
  async deleteCallback(which: { id: string } | { callback_url: string }): Promise<string> {
    return (await this.run({ method: "DELETE", path: CALLBACKS, params: which }) as Answer).deleted as string;
  }

  /** The webhook deliveries log, newest first, page after page. */
  listDeliveries(filters: DeliveryFilters = {}): AsyncGenerator<Delivery> {
    const { page_size, ...rest } = filters;
    return this.pages<Delivery>(`${CALLBACKS}/deliveries`, { ...rest, limit: page_size }, "deliveries");
  }

  /** Sends a delivery again now, with the same webhook-id and body. */
  async redeliver(deliveryId: string): Promise<{ delivery_id: string; status: string }> {
    return await this.run({ method: "POST",
                            path: `${CALLBACKS}/deliveries/${segment(deliveryId)}/redeliver` }) as
      { delivery_id: string; status: string };
  }

  // -- contacts ---------------------------------------------------------------------------------

  /** Sets a contact's whole entry. */
  async setContact(address: string, entry: { name?: string; tags?: string[] } = {}): Promise<Contact> {
    return (await this.run({ method: "POST", path: CONTACTS, body: fields({ address, ...entry }) }) as Answer)
      .contact as Contact;
  }

  async getContact(address: string): Promise<Contact> {
    const answer = await this.run({ method: "GET", path: CONTACTS, params: { address } }) as Answer;
    return (answer.contacts as Contact[])[0];
  }

  /** The address book by address, page after page. */
  listContacts(filters: { tag?: string; page_size?: number } = {}): AsyncGenerator<Contact> {
    return this.pages<Contact>(CONTACTS, { tag: filters.tag, limit: filters.page_size }, "contacts",
                               "next_after", "after");
  }

  async deleteContact(address: string): Promise<Answer> {
    return await this.run({ method: "DELETE", path: CONTACTS, params: { address } }) as Answer;
  }

  // -- how a call is made -----------------------------------------------------------------------

  private async *pages<T>(path: string, params: Record<string, unknown>, items: string,
                          cursor = "next_cursor", param = "cursor"): AsyncGenerator<T> {
    let call: Call | null = { method: "GET", path, params };
    while (call !== null) {
      const answer = await this.run(call) as Answer;
      yield* answer[items] as T[];
      const position = answer[cursor];
      call = position ? { ...call, params: { ...call.params, [param]: position } } : null;
    }
  }

  private async run(call: Call): Promise<unknown> {
    const query = new URLSearchParams(fields(call.params ?? {}) as Record<string, string>).toString();
    const url = this.url + call.path + (query ? `?${query}` : "");
    const headers = call.body === undefined ? this.headers
      : { ...this.headers, "Content-Type": "application/json" };
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    for (let retries = 1; ; retries++) {
      let wait: number | null;
      try {
        const response = await this.fetch(url, { method: call.method, headers, body,
                                                 signal: AbortSignal.timeout(this.timeout * 1000) });
        wait = RETRY_STATUSES.has(response.status)
          ? retryDelay(this.retry, retries, retryAfterSeconds(response.headers.get("Retry-After")))
          : null;
        if (wait === null) return await finish(call, response);
        await response.body?.cancel();
      } catch (error) {
        const failure = transportFailure(error);
        if (error instanceof RelayError || failure === null) throw error;
        wait = retryDelay(this.retry, retries);
        if (wait === null) {
          const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
          throw new RelayError(null, failure, reason, { cause: error });
        }
      }
      await new Promise((resolve) => setTimeout(resolve, wait! * 1000));
    }
  }
}

/** What a call gives for this answer; a RelayError when it is not a 2xx. */
async function finish(call: Call, response: Response): Promise<unknown> {
  if (response.ok) {
    return call.raw ? new Uint8Array(await response.arrayBuffer()) : await response.json();
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: a proxy's page, kept as text
  }
  throw errorOfAnswer(response.status, body, retryAfterSeconds(response.headers.get("Retry-After")));
}
