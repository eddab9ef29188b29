"""cli: every command's help and every option's help is in Bahasa Indonesia (the
operators' language); identifiers and examples stay as typed."""

from __future__ import annotations

import re

import click

from berjasa.cli import main

# Words that occur in English help text and never in Indonesian prose.
ENGLISH = re.compile(r"\b(the|and|of|to|with|from|for|when|into|this|that|each|every|until|"
                     r"Example|default|Read|Write|Show|Print|Run|Add|Make|Serve|file|"
                     r"records?|answers?|without|only|then|List|Decide|same|person|evidence|"
                     r"side|or|is|are|required)\b")
CODE = re.compile(r"`[^`]*`|\$\{?\w+\}?|--[\w-]+|\b[\w.-]+\.(?:csv|xlsx|json|md|toml|db|bjs|bja|bjb)\b|"
                  r"https?://\S+|\b[A-Z_]{2,}\b|[\w./:-]*/[\w./:-]*")


def _walk(group: click.Group, ctx: click.Context, path: list[str]):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None:
            continue
        yield [*path, name], command
        if isinstance(command, click.Group):
            yield from _walk(command, click.Context(command, parent=ctx), [*path, name])


def _prose(text: str | None) -> str:
    """The help text without its example lines and code."""
    lines = [line for line in (text or "").splitlines()
             if not line.strip().lower().startswith(("contoh:", "berjasa ", "echo "))]
    return CODE.sub(" ", " ".join(lines))


def test_every_help_text_is_indonesian():
    ctx = click.Context(main)
    english = []
    for path, command in _walk(main, ctx, ["berjasa"]):
        texts = [("help", command.help)] + [
            (f"{'/'.join(p.opts)}", getattr(p, "help", None)) for p in command.params]
        for where, text in texts:
            found = ENGLISH.findall(_prose(text))
            if found:
                english.append(f"{' '.join(path)} {where}: {sorted(set(found))}")
    assert not english, "help in English:\n" + "\n".join(english)


def test_examples_are_labelled_contoh():
    ctx = click.Context(main)
    labelled = [" ".join(path) for path, command in _walk(main, ctx, ["berjasa"])
                if "Example:" in (command.help or "")]
    assert not labelled


def test_click_s_own_words_in_rendered_help_are_indonesian():
    """What click adds to an option's help ("[required]", "default: ...") is
    translated too (berjasa.cli_language)."""
    from click.testing import CliRunner

    shown = CliRunner().invoke(main, ["central", "decide-pair", "--help"]).output
    assert "[wajib]" in shown and "required" not in shown
    assert "Putuskan pasangan dugaan ganda" in shown
