"""Settings: command-line flags, then RELAY_* environment variables, then relay.toml in the
data dir, then defaults. docs/configuration.md describes each one."""
import dataclasses
import os
import pathlib
import tomllib


class ConfigError(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting: its flag, RELAY_* variable, relay.toml key and Settings attribute are all
    derived from `name`; docs/configuration.md documents each (tests/test_config.py checks).
    A whole number is never negative unless `low` says otherwise."""
    name: str
    type: type
    default: object
    help: str
    low: int = 0
    high: int | None = None
    choices: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        return "RELAY_" + self.name.upper()

    @property
    def allowed(self) -> str:
        """The values the check lets through, in words (error messages and the docs)."""
        if self.choices:
            return ", ".join(self.choices[:-1]) + " or " + self.choices[-1]
        if self.type is not int:
            return "any"
        if self.high is not None:
            return f"{self.low} to {self.high}"
        return f"at least {self.low}"

    def check(self, value, origin: str) -> None:
        if self.type is int:
            fits = self.low <= value and (self.high is None or value <= self.high)
        else:
            fits = not self.choices or value in self.choices
        if not fits:
            raise ConfigError(f"{origin}: {self.name} must be {self.allowed}, not {value!r}")


SETTINGS = (
    Setting("data_dir", str, "./relay-data", "folder holding the database, keys and tokens"),
    Setting("host", str, "127.0.0.1", "address to listen on"),
    Setting("port", int, 5110, "port to listen on", low=1, high=65535),
    Setting("public_url", str, "", "URL phones and clients use to reach the relay "
                                   "(default http://HOST:PORT)"),
    Setting("default_region", str, "US", "region for phone numbers written without +"),
    Setting("strict_phone_numbers", int, 0, "1: a message's number must be one its country "
                                            "assigns; 0: any number of a possible length",
            high=1),
    Setting("idempotency_days", int, 7, "days an idempotency key is remembered"),
    Setting("body_retention_days", int, 0, "days message and inbound texts are kept; counts "
                                           "and statuses stay; 0: forever"),
    Setting("reader_threads", int, 4, "threads serving database reads", low=1),
    Setting("log_level", str, "info", "debug, info, warning or error",
            choices=("debug", "info", "warning", "error")),
    Setting("smtp_host", str, "", "SMTP server for email; empty: email goes through the phone"),
    Setting("smtp_port", int, 0, "SMTP port; 0: 25, 587 or 465 by smtp_security", high=65535),
    Setting("smtp_security", str, "starttls", "none, starttls or tls (implicit TLS)",
            choices=("none", "starttls", "tls")),
    Setting("smtp_username", str, "", "SMTP AUTH user name; empty: no AUTH"),
    Setting("smtp_password", str, "", "SMTP AUTH password"),
    Setting("smtp_from", str, "", "the From address of email (required with smtp_host)"),
    Setting("smtp_ca_file", str, "", "PEM certificates to trust for the SMTP server's TLS "
                                     "(default: the system's)"),
    Setting("smtp_timeout_seconds", int, 30, "time each step of an SMTP conversation may take",
            low=1),
    Setting("smtp_concurrency", int, 4, "email deliveries in flight at once", low=1),
    Setting("telegram_api_base", str, "https://api.telegram.org", "Telegram Bot API base URL"),
    Setting("telegram_timeout_seconds", int, 30, "time the Bot API has to answer", low=1),
    Setting("telegram_concurrency", int, 8, "tg_bot deliveries in flight at once", low=1),
    Setting("send_max_attempts", int, 12, "attempts of an email or tg_bot message before it "
                                          "fails", low=1),
    Setting("send_max_age_seconds", int, 21600, "no retry of an email or tg_bot message later "
                                                "than this after it was accepted"),
    Setting("send_retry_base_ms", int, 5000, "delay before the first retry; doubles each time"),
    Setting("sync_delivery_ms", int, 0, "POST /api/v1/messages waits up to this long for an "
                                        "email or tg_bot delivery; 0: answer at once"),
    Setting("callback_allow_networks", str, "", "CIDRs webhooks may reach though private "
                                                  "(comma-separated), e.g. 10.0.0.0/8"),
    Setting("callback_concurrency", int, 16, "webhook deliveries in flight at once", low=1),
    Setting("callback_timeout_seconds", int, 10, "time a webhook receiver has to answer", low=1),
    Setting("max_in_flight", int, 10, "deliver frames a phone may have unacknowledged at once",
            low=1),
    Setting("device_queue_window", int, 256, "messages waiting for a phone that are kept in "
                                            "memory; the rest wait in the database only", low=1),
    Setting("message_ttl_seconds", int, 86400, "a message not sent or failed by then expires",
            low=1),
    Setting("schedule_horizon_days", int, 365, "how far ahead a message's send_at may be",
            low=1, high=3650),
    Setting("offline_after_seconds", int, 300, "a phone unseen this long is reported offline"),
    Setting("pacing_interval_ms", int, 0, "least time between two messages handed to one "
                                          "phone; 0: none", high=86_400_000),
    Setting("pacing_jitter_ms", int, 0, "a random extra wait of up to this long before each "
                                        "message after the first", high=86_400_000),
    Setting("pacing_per_hour", int, 0, "messages handed to one phone (per SIM) in any hour; "
                                       "more wait; 0: no cap", high=1_000_000),
    Setting("pacing_per_day", int, 0, "messages handed to one phone (per SIM) in any 24 "
                                      "hours; more wait; 0: no cap", high=10_000_000),
    Setting("device_token_seconds", int, 900, "lifetime of a phone's access token", low=1),
    Setting("device_ping_seconds", int, 20, "websocket ping interval; no pong within it closes",
            low=1),
    Setting("reply_window_hours", int, 168, "a message to a contact within this long after "
                                            "their inbound event counts as its reply"),
    Setting("alert_minute_seconds", int, 60, "how long one minute of a response-time rule "
            "lasts, in seconds; only tests shorten it", low=1, high=60),
    Setting("query_timeout_ms", int, 10000, "an analytics query running longer is stopped (422)",
            low=1),
    Setting("query_max_rows", int, 100000, "rows an analytics export may hold (more: 422)", low=1),
    Setting("query_memory_mb", int, 384, "memory the database may use at once (analytics "
                                          "queries use the most); more spills to disk; 0: 80% "
                                          "of RAM"),
    Setting("query_threads", int, 2, "threads one database query may use; 0: one per core"),
    Setting("checkpoint_wal_mb", int, 64, "write-ahead log size at which the database "
                                          "checkpoints even under steady writes; below it, "
                                          "when the writer is idle"),
    Setting("rate_limit", int, 50, "requests a second per client key (token bucket); 0: off"),
    Setting("rate_burst", int, 100, "requests a client key may send at once above the rate"),
    Setting("auth_failures_per_minute", int, 30, "failed authentications an address may make "
                                                 "a minute before it gets 429"),
    Setting("trusted_proxies", str, "", "CIDRs of reverse proxies whose X-Forwarded-For or "
                                        "X-Real-IP names the client (comma-separated); "
                                        "empty: none"),
    Setting("min_free_disk_mb", int, 64, "below this much free disk in the data dir, writes "
                                         "get 503"),
    Setting("tls_cert", str, "", "PEM certificate chain: serve HTTPS (TLS 1.2 and up)"),
    Setting("tls_key", str, "", "PEM private key for tls_cert"),
    Setting("metrics_token", str, "", "bearer token for GET /metrics (the admin token works "
                                      "too)"),
    Setting("portal_session_hours", int, 12, "a portal sign-in lasts this long", low=1),
    Setting("portal_signin_per_minute", int, 10, "portal sign-in attempts an address may make "
                                                 "a minute before it gets 429"),
)
BY_NAME = {s.name: s for s in SETTINGS}


class _SettingsMethods:
    @property
    def url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        return self.public_url or f"{scheme}://{self.host}:{self.port}"

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


# One attribute per entry of SETTINGS, so a setting is declared once. data_dir holds a Path.
Settings = dataclasses.make_dataclass(
    "Settings", [(s.name, pathlib.Path if s.name == "data_dir" else s.type) for s in SETTINGS],
    bases=(_SettingsMethods,), frozen=True, namespace={"__module__": __name__})


def _convert(setting: Setting, value, origin: str):
    if setting.type is int and not isinstance(value, bool):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{origin}: {setting.name} must be a whole number") from None
    if setting.type is str and isinstance(value, str):
        return value
    raise ConfigError(f"{origin}: {setting.name} must be a {setting.type.__name__}")


def _read_secret_file(path: str, origin: str) -> str:
    try:
        return pathlib.Path(path).read_text().strip()
    except OSError as error:
        raise ConfigError(f"{origin}: cannot read {path}: {error.strerror}") from None


def load(flags: dict | None = None, environ=None) -> Settings:
    """flags: setting name -> value for the flags given on the command line (None: not given)."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    environ = os.environ if environ is None else environ
    data_dir = flags.get("data_dir") or environ.get("RELAY_DATA_DIR") or BY_NAME["data_dir"].default
    toml_path = pathlib.Path(data_dir) / "relay.toml"
    from_file = {}
    if toml_path.exists():
        try:
            from_file = tomllib.loads(toml_path.read_text())
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{toml_path}: {error}") from None
        unknown = set(from_file) - set(BY_NAME)
        if unknown:
            raise ConfigError(f"{toml_path}: unknown settings {', '.join(sorted(unknown))}")
    values = {}
    for setting in SETTINGS:
        if setting.name in flags:
            value, origin = flags[setting.name], "--" + setting.name.replace("_", "-")
        elif setting.env in environ:
            value, origin = environ[setting.env], setting.env
        elif setting.env + "_FILE" in environ:      # secrets mounted as files (Docker, k8s)
            origin = setting.env + "_FILE"
            value = _read_secret_file(environ[origin], origin)
        elif setting.name in from_file:
            value, origin = from_file[setting.name], str(toml_path)
        else:
            value, origin = setting.default, "default"
        values[setting.name] = _convert(setting, value, origin)
        setting.check(values[setting.name], origin)
    values["data_dir"] = pathlib.Path(data_dir)
    return Settings(**values)
