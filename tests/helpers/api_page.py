"""The API page (the client contract, kept outside the repository in shared/seed) as test data:
every JSON object it prints, whether as a body on its own, a printed answer, or inside a code
snippet (a shell string, a Python dict, a JavaScript object, a Go, Java, C# or C++ string)."""
import dataclasses
import json
import os
import pathlib
import re

import pytest

# CI places shared/ beside the clone: the page is ../shared/seed/... from the repository root.
# RELAY_API_PAGE points elsewhere (a worktree that is not beside shared/).
PAGE = pathlib.Path(os.environ.get("RELAY_API_PAGE") or (
    pathlib.Path(__file__).resolve().parents[3] / "shared" / "seed"
    / "phone-relay-api.txt"))


def page_text() -> str:
    if not PAGE.is_file():
        pytest.fail(f"the API page is missing: expected it at {PAGE} (shared/seed/ beside the "
                    "repository's clone, or the file RELAY_API_PAGE names)", pytrace=False)
    return PAGE.read_text()


CHANNELS = {"sms", "wa", "tg", "notify", "email", "tg_bot", "pchat"}


@dataclasses.dataclass(frozen=True)
class Printed:
    text: str      # the JSON as a client sends it (the page's own text when it is JSON as is)
    value: dict


def _closing_brace(text: str, start: int) -> int | None:
    depth = 0
    for at in range(start, len(text)):
        if text[at] == "{":
            depth += 1
        elif text[at] == "}":
            depth -= 1
            if depth == 0:
                return at
    return None


def _readings(block: str, variables: dict):
    """The ways a snippet may hold JSON: as is; inside a string literal (\\" escapes, shell
    $VARIABLES); as a JavaScript or Python object literal (bare keys, a trailing comma)."""
    yield block
    if '\\"' in block:
        unescaped = block.replace('\\"', '"')
        yield re.sub(r"\$([A-Z_]+)", lambda m: variables.get(m.group(1), m.group(0)), unescaped)
    quoted_keys = re.sub(r"(?m)^(\s*)([A-Za-z_]\w*):", r'\1"\2":', block)
    yield re.sub(r",(\s*)}", r"\1}", quoted_keys)


def printed_objects(text: str) -> list[Printed]:
    """Every outermost JSON object of the page, in page order."""
    variables = dict(re.findall(r'^([A-Z_]+)="([^"]*)"$', text, re.M))   # shell assignments
    found, at = [], 0
    while (start := text.find("{", at)) != -1:
        end = _closing_brace(text, start)
        if end is None:
            break
        for reading in _readings(text[start:end + 1], variables):
            try:
                value = json.loads(reading)
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(Printed(reading, value))
                at = end + 1
                break
        else:
            at = start + 1
    return found


def check_shape(printed, actual, path: str = "answer") -> None:
    """`actual` has the printed value's shape: every printed key (recursively), list items
    with the printed item's keys, `a | b` one of the choices, `prefix_...` an id with that
    prefix, an ISO time where the page shows one, the printed booleans as printed, numbers
    for numbers. Other strings are examples: any string. A count per channel is data: it has
    the channels that have something to count."""
    if isinstance(printed, dict) and set(printed) <= CHANNELS:
        assert isinstance(actual, dict) and set(actual) <= CHANNELS, f"{path}: {actual!r}"
        for key, value in actual.items():
            check_shape(0, value, f"{path}.{key}")
    elif isinstance(printed, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not an object"
        for key, value in printed.items():
            assert key in actual, f"{path}: no '{key}' in {sorted(actual)}"
            check_shape(value, actual[key], f"{path}.{key}")
    elif isinstance(printed, list):
        assert isinstance(actual, list), f"{path}: {actual!r} is not a list"
        for item in actual if printed else ():
            check_shape(printed[0], item, f"{path}[]")
    elif isinstance(printed, bool):
        assert actual is printed, f"{path}: {actual!r}, the page says {printed}"
    elif isinstance(printed, (int, float)):
        assert isinstance(actual, (int, float)) and not isinstance(actual, bool), \
            f"{path}: {actual!r} is not a number"
    elif printed is None:
        assert actual is None or isinstance(actual, str), f"{path}: {actual!r}"
    elif " | " in printed:
        assert actual in printed.split(" | "), f"{path}: {actual!r} is not one of {printed}"
    elif re.fullmatch(r"[a-z]+_\.\.\.", printed):
        assert isinstance(actual, str) and actual.startswith(printed[:-3]), f"{path}: {actual!r}"
    elif re.fullmatch(r"\d{4}-\d\d-\d\dT.*", printed):
        assert isinstance(actual, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-][\d:]+)",
                                                        actual), f"{path}: {actual!r}"
    else:
        assert isinstance(actual, str) or (printed == "..." and actual is None), \
            f"{path}: {actual!r} is not a string"
