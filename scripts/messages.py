"""Keep the message catalogues in step with the code: `python scripts/messages.py [new-language]`.

Extracts every text (Python, the pages and their script) into chalicelib/i18n/messages.pot, then
updates each language's messages.po; with a language code, starts that language's catalogue and touches
no other one (README, "Languages").
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # babel.cfg names chalicelib.i18n.pages:extract_html
I18N = ROOT / "chalicelib" / "i18n"


def pybabel(*arguments: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *arguments])


def main(new_language: str | None = None) -> None:
    template, locales = str(I18N / "messages.pot"), str(I18N / "locales")
    pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-o", template, "--no-location", "--sort-output",
            "--omit-header", str(ROOT))
    if new_language:
        if (I18N / "locales" / new_language / "LC_MESSAGES" / "messages.po").exists():
            sys.exit(f"{new_language} has a catalogue already: run scripts/messages.py without a language")
        pybabel("init", "-i", template, "-d", locales, "-l", new_language)
        pybabel("update", "-i", template, "-d", locales, "-l", new_language, "--no-fuzzy-matching",
                "--omit-header")  # the same layout as the others; no other catalogue is opened
        return
    pybabel("update", "-i", template, "-d", locales, "--no-fuzzy-matching", "--omit-header")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
