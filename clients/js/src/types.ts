/**
 * The shapes of what the relay takes and answers (docs/api.md, docs/webhooks.md,
 * docs/analytics.md). Field names are the API's own. Fields a newer relay adds pass through.
 */

export type Channel = "sms" | "wa" | "tg" | "notify" | "email" | "tg_bot" | "pchat";
export type Status = "queued" | "sending" | "sent" | "failed" | "expired";
/** A time: a Date, or an ISO-8601 string with an offset. */
export type Time = Date | string;

/** A message to send: POST /api/v1/messages. */
export interface SendMessage {
  phone_id: string;
  channel: Channel;
  text: string;
  to?: string | null;
  subject?: string | null;
  title?: string | null;
  source?: string | null;
  tags?: string[] | null;
  sim?: 1 | 2 | null;
  bot_token?: string | null;
  status_callback_url?: string | null;
  /** Left out: the client makes a random one, the same for each of its retries. */
  idempotency_key?: string | null;
  send_at?: Time | null;
  ttl_seconds?: number | null;
  expires_at?: Time | null;
  priority?: "normal" | "high" | null;
}

/** The answer to a send: status 202 for a new message, 200 with `duplicate` for a repeat. */
export interface Accepted {
  success: true;
  message_id: string;
  status: Status;
  idempotency_key: string;
  duplicate?: boolean;
  phone_offline?: boolean;
  warning?: string;
  last_error?: string | null;
  delivered_at?: string | null;
  scheduled_for?: string | null;
  expires_at?: string | null;
  encoding?: "GSM-7" | "UCS-2";
  segments?: number;
}

export interface HistoryEntry {
  status: Status;
  at: string;
  error: string | null;
  delivery_result?: "delivered" | "undelivered";
}

export interface Message {
  message_id: string;
  status: Status;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  delivery_result: "delivered" | "undelivered" | null;
  delivery_reported_at: string | null;
  next_attempt_at: string | null;
  channel: Channel;
  phone_id: string;
  to: string | null;
  text: string | null;
  subject: string | null;
  title: string | null;
  source: string | null;
  tags: string[];
  idempotency_key: string | null;
  sim: number | null;
  scheduled_for?: string | null;
  expires_at?: string | null;
  priority?: string;
  encoding?: string;
  segments?: number;
  history: HistoryEntry[];
}

export interface ErrorBody {
  code: string;
  message: string;
  field: string | null;
}

/** One item of a batch send, in the order sent. */
export type BatchResult =
  | ({ index: number; status: 202 | 200 } & Omit<Accepted, "status" | "success">)
  | { index: number; status: number; error: ErrorBody };

export interface MessageFilters {
  status?: Status;
  channel?: Channel;
  phone_id?: string;
  source?: string;
  since?: Time;
  until?: Time;
  /** Messages per request (1-500); the iterator goes on over every page whatever it is. */
  page_size?: number;
}

export interface Phone {
  phone_id: string;
  online: boolean;
  paired: boolean;
  connected_at: string | null;
  last_seen: string | null;
  battery: number | null;
  signal: number | null;
  app_version: string | null;
  capabilities: string[] | null;
  queue_depth: number;
  in_flight: number;
  pacing?: Record<string, unknown>;
}

export interface CallbackOptions {
  channels?: string[];
  event_types?: string[];
  source_filter?: string;
  keyword_filter?: string;
  min_duration_sec?: number;
  max_duration_sec?: number;
  callback_token?: string;
  active?: boolean;
}

export interface Callback {
  id: string;
  callback_url: string;
  channels: string[];
  event_types: string[];
  source_filter: string | null;
  keyword_filter: string | null;
  min_duration_sec: number | null;
  max_duration_sec: number | null;
  has_callback_token: boolean;
  active: boolean;
  deactivated_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** A callback registered; `secret` (whsec_...) signs its deliveries and is shown only here. */
export interface Registration {
  success: true;
  created: boolean;
  callback: Callback;
  secret: string;
}

export interface DeliveryFilters {
  callback_id?: string;
  status?: "pending" | "delivered" | "dead" | "cancelled";
  message_id?: string;
  page_size?: number;
}

export interface Delivery {
  delivery_id: string;
  callback_id: string;
  type: string;
  message_id: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  payload: WebhookEvent;
  events: Record<string, unknown>[];
}

export interface Contact {
  address: string;
  name: string | null;
  tags: string[];
}

// -- the inbound query (docs/analytics.md) ------------------------------------------------------

export interface QueryFields {
  phone_id?: string;
  range?: "1h" | "24h" | "7d" | "30d" | "90d" | "365d" | "all";
  from?: Time;
  to?: Time;
  tz?: string;
  channels?: Channel[];
  event_types?: ("message" | "call" | "answered" | "missed")[];
  tags?: string[];
  tag_mode?: "any" | "all";
  source_contains?: string;
  min_duration_sec?: number;
  max_duration_sec?: number;
  has_response?: boolean;
  waiting?: boolean;
  sort?: "newest" | "oldest" | "slowest" | "fastest" | "longest" | "waiting";
  limit?: number;
}

export type ExportFormat = "csv" | "parquet" | "xlsx" | "json";

export interface Summary {
  inbound_total: number;
  calls_total: number;
  messages_total: number;
  answered_calls: number;
  missed_calls: number;
  avg_call_duration_sec: number;
  median_response_min: number;
  channels: Record<string, number>;
}

export interface SentSummary {
  sent_total: number;
  channels: Record<string, number>;
  statuses: Record<string, number>;
  delivered: number;
  undelivered: number;
}

export interface DayCount { day: string; count: number }
export interface SentByPerson { destination: string; total: number; last_sent: string }
export interface TagCount { tag: string; count: number }
export interface SentEvent {
  message_id: string;
  destination: string | null;
  channel: Channel;
  status: Status;
  created_at: string;
}
export interface SenderCount { sender: string; count: number }
export interface RecipientCount { recipient: string; count: number }
export interface DomainCount { domain: string; count: number }
export interface EmailReport {
  inbound_total: number;
  sent_total: number;
  top_inbound_senders: SenderCount[];
  top_sent_recipients: RecipientCount[];
  domains: DomainCount[];
  by_day: DayCount[];
}
export interface HourCount { hour: number; count: number }
export interface TopContact { source: string; total: number }

export interface InboundEvent {
  message_id: string;
  phone_id: string;
  event_type: "message" | "call" | "answered" | "missed";
  channel: string;
  source: string;
  contact_name: string | null;
  text: string | null;
  duration_sec: number | null;
  tags: string[];
  occurred_at: string;
  response_min: number | null;
  /** Its wait for a reply past a response rule's deadline (docs/alerts.md), else null. */
  waiting: { rule_id: string; deadline_at: string } | null;
}

/** An event still waiting for a reply past its rule's deadline, oldest first. */
export interface WaitingEvent extends Omit<InboundEvent, "text" | "duration_sec" | "tags" |
  "response_min" | "waiting"> {
  rule_id: string;
  deadline_at: string;
  waited_min: number;
}

/** A response rule's definition (docs/alerts.md): the query's filters and a deadline. */
export interface RuleFields {
  within_minutes: number;
  name?: string | null;
  phone_id?: string | null;
  channels?: Channel[] | null;
  event_types?: ("message" | "call" | "answered" | "missed")[] | null;
  tags?: string[] | null;
  tag_mode?: "any" | "all" | null;
  source_contains?: string | null;
  office_hours?: { tz?: string; days?: string[]; start?: string; end?: string } | null;
  notify?: { phone_id: string; channel: Channel; to?: string; subject?: string; title?: string } | null;
  callback_url?: string | null;
  active?: boolean;
}

/** A rule as the relay keeps it. */
export interface Rule extends RuleFields {
  id: string;
  created_at: string;
  updated_at: string;
}

/** Per local day and rule: the events whose deadline passed, and the share replied to. */
export interface AnsweredInTime {
  day: string;
  rule_id: string;
  due: number;
  answered_in_time: number;
  share: number;
}

/** The answer of the webchat inbound query: every section over the filtered set. */
export interface InboundQuery {
  success: true;
  summary: Summary;
  sent_summary: SentSummary;
  sent_by_channel: Record<string, number>;
  sent_by_day: DayCount[];
  sent_by_person: SentByPerson[];
  sent_by_tag: TagCount[];
  sent_events: SentEvent[];
  email_report: EmailReport;
  hourly: HourCount[];
  top_contacts: TopContact[];
  events: InboundEvent[];
  waiting: WaitingEvent[];
  answered_in_time: AnsweredInTime[];
  count: number;
  filters: Record<string, unknown>;
}

// -- what a webhook delivery carries (docs/webhooks.md) -----------------------------------------

export interface InboundDelivery extends Omit<InboundEvent, "response_min"> {
  type: "inbound";
  callback_id: string;
}

export interface StatusDelivery {
  type: "message.status";
  callback_id: string;
  message_id: string;
  phone_id: string;
  status: Status;
  error: string | null;
  delivered_at: string | null;
  at: string;
  delivery_result?: "delivered" | "undelivered";
  delivery_reported_at?: string;
}

/** A webhook delivery's body: narrow it on `type`. Other types (phone.online, ...) pass through. */
export type WebhookEvent = InboundDelivery | StatusDelivery | { type: string; [field: string]: unknown };
