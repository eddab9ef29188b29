"""Telling English from Indonesian in what a command prints (tests/cli)."""

from __future__ import annotations

import re

# Words that occur in English messages and never in Indonesian ones.
ENGLISH = re.compile(
    r"\b(the|and|of|to|with|from|for|when|into|this|that|is|are|was|not|does|exist|"
    r"no|such|missing|invalid|value|error|usage|try|help|file|directory|option|command|"
    r"argument|failed|cannot|could|unknown|password|please|run|first|found|denied|"
    r"aborted|expected|must|only)\b", re.IGNORECASE)
# What is not prose: `commands`, 'quoted values', paths, URLs, options, UPPER metavars,
# and a driver's own words that central/cli_db.py labels "(rincian teknis: ...)".
CODE = re.compile(r"\(rincian teknis:.*|`[^`]*`|'[^']*'|\"[^\"]*\"|https?://\S+|--?[\w-]+|"
                  r"\b[A-Z_]{2,}\b|"
                  r"[\w.:~-]*[/\\][\w./\\:~-]*|\b\w+\.(?:csv|bjb|bjs|bja|db|toml)\b|"
                  r"\[(?:OPTIONS|ARGS)\]")


def english_words(text: str) -> list[str]:
    """The English words of ``text``'s prose (code, paths and quoted values left out)."""
    return sorted({word.lower() for word in ENGLISH.findall(CODE.sub(" ", text))})
