"""Write docs/cli.md from the commands' own `--help` texts, or check that it is up to date.

Run: python docs/cli_reference.py          (rewrites docs/cli.md)
     python docs/cli_reference.py --check  (exit 1 if docs/cli.md differs; tests/test_docs.py makes
                                            the same comparison)
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "cli.md"
WIDTH = 100  # the width `cli.py` formats its help at, so the reference reads like the terminal


def help_text(command: click.Command, name: str, parent: click.Context | None = None) -> str:
    settings = {**command.context_settings, "max_content_width": WIDTH, "terminal_width": WIDTH}
    return command.get_help(click.Context(command, info_name=name, parent=parent, **settings)).rstrip()


def reference() -> str:
    sys.path.insert(0, str(ROOT))
    from cli import main

    root = click.Context(main, info_name="cli.py", **{**main.context_settings, "terminal_width": WIDTH})
    parts = ["# Command-line reference",
             "",
             "Generated from the commands' `--help` texts by `python docs/cli_reference.py`; the test suite",
             "checks that it is up to date. Every option's default is the library's own (the stage's config).",
             "",
             "```text",
             help_text(main, "cli.py"),
             "```"]
    for name in main.list_commands(root):
        parts += ["", f"## {name}", "", "```text", help_text(main.get_command(root, name), name, root), "```"]
    return "\n".join(parts) + "\n"


def main() -> int:
    text = reference()
    if "--check" in sys.argv[1:]:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run `python docs/cli_reference.py`", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
