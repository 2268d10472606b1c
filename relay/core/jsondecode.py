"""JSON from clients, phones and import files, decoded one way: NaN and Infinity are refused
(they are not JSON) and so is nesting deeper than MAX_DEPTH, so that no walk over a decoded
value (validation, a check of every string) can run out of stack."""
import json

MAX_DEPTH = 32


def _no_constants(name):
    raise ValueError(f"{name} is not valid JSON")


# One decoder (json.loads with an argument builds a new one per call).
_decode = json.JSONDecoder(parse_constant=_no_constants).decode


def loads(text: str):
    """The value `text` holds; a ValueError saying why when it is not JSON or nests too deep."""
    try:
        value = _decode(text)
    except RecursionError:
        raise ValueError(f"it nests deeper than {MAX_DEPTH} arrays and objects") from None
    # The brackets bound the depth from above (those in strings count too): most texts have
    # too few to need the walk.
    if text.count("[") + text.count("{") > MAX_DEPTH and _deeper_than(value, MAX_DEPTH):
        raise ValueError(f"it nests deeper than {MAX_DEPTH} arrays and objects")
    return value


def _deeper_than(value, depth: int) -> bool:
    """Level by level, without recursion: a container below `depth` levels is too deep."""
    level = [value] if isinstance(value, (list, dict)) else []
    for _ in range(depth):
        if not level:
            return False
        level = [child for node in level
                 for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, (list, dict))]
    return bool(level)
