"""Which strings the relay can store: the one check every entry point runs on what it is handed
(JSON bodies, phone frames, import files, command-line arguments).

DuckDB keeps text as UTF-8, and a Python string holding a lone UTF-16 surrogate (U+D800 to
U+DFFF) has no UTF-8 form: JSON's "\\ud800" escape makes one, and so does Python for
command-line bytes that are not UTF-8. Such a string is refused where it comes in, naming where
it was found, instead of failing later in the writer. NUL (U+0000) is text DuckDB stores and
gives back unchanged, so it is taken like any other character."""
import re

from relay.core.errors import bad_request

_SURROGATE = re.compile("[\ud800-\udfff]")
# How a surrogate can hide in JSON text that was decoded from UTF-8: only as an escape. A
# body without one (nearly every body) is not walked. Valid pairs and an escaped backslash
# before "ud8.." match too; the walk then finds nothing. (One literal start lets the search
# skip ahead; an alternative in the pattern would make it try every position.)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def escaped(text: str) -> str:
    """text with each lone surrogate written as \\udxxx, fit for a message or a log line."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _member(path: str, key: str) -> str:
    key = escaped(key)
    return f"{path}.{key}" if path else key


def first_unstorable(value, path: str = "") -> tuple[str, str] | None:
    """(path, string) of the first string in value, a decoded JSON value or a dict of
    arguments, that cannot be stored (an object's key counts as a string at its own path);
    None when every one can. Paths read like `tags[3]` and `filters.phone_id`."""
    stack = [(path, value)]
    while stack:      # by hand: JSON nested as deep as the decoder allows must not recurse
        path, value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return path, value
        elif isinstance(value, dict):
            members = []
            for key, item in value.items():
                member = _member(path, key)
                if _SURROGATE.search(key):
                    return member, key
                members.append((member, item))
            stack.extend(reversed(members))
        elif isinstance(value, (list, tuple)):
            stack.extend(reversed([(f"{path}[{index}]", item)
                                   for index, item in enumerate(value)]))
    return None


def check(value, path: str = "") -> None:
    """A 400 `invalid_text` naming the first string of value that cannot be stored."""
    found = first_unstorable(value, path)
    if found is None:
        return
    field, text = found
    position = _SURROGATE.search(text).start()
    raise bad_request(field or None, f"'{field or 'the body'}' holds a lone surrogate "
                      f"(U+{ord(text[position]):04X}, character {position + 1}): not text, "
                      "so it cannot be stored", "invalid_text")


def check_json(text: str, value) -> None:
    """check() for value, decoded from the JSON text (itself strictly decoded from UTF-8, so
    free of surrogates); cheap when the text has no escape that could have made one."""
    if _SURROGATE_ESCAPE.search(text):
        check(value)
