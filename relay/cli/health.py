"""`relay health`: exit 0 when the relay on the data dir is ready (GET /readyz), else 1.
The container's HEALTHCHECK; it finds the relay, HTTP or HTTPS, through server.json."""
import json
import sys
import urllib.error
import urllib.request

from relay.cli.admin_client import loopback_tls, running_server


def add_command(commands):
    health = commands.add_parser("health", help="exit 0 if the relay on the data dir is ready")
    health.set_defaults(run=run)
    return [health]


def run(args, settings) -> int:
    server = running_server(settings)
    if server is None:
        print("relay: no relay is running on this data dir", file=sys.stderr)
        return 1
    url = server["url"] + "/readyz"
    try:
        with urllib.request.urlopen(url, timeout=5, context=loopback_tls(url)) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b"{}")
    except (OSError, ValueError) as error:
        print(f"relay: {url} did not answer: {error}", file=sys.stderr)
        return 1
    print(json.dumps(body))
    return 0 if body.get("ready") else 1
