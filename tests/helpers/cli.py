"""The `relay` command's own argparse parser, walked: every command path it accepts."""
import argparse
from collections.abc import Iterator


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next((action.choices for action in parser._actions
                 if isinstance(action, argparse._SubParsersAction)), {})


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
             ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """(path, parser) of the parser itself and of every subcommand below it, depth first."""
    yield path, parser
    for name, sub in subcommands(parser).items():
        yield from commands(sub, (*path, name))


def leaf_commands(parser: argparse.ArgumentParser) -> list[tuple[str, ...]]:
    """The paths of the commands that have no subcommands: the ones that run something."""
    return [path for path, sub in commands(parser) if not subcommands(sub)]
