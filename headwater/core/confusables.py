"""The confusable skeleton of Unicode Technical Standard #39 (section 4), from Unicode's own data.

Two strings that look alike ("Partner" in Latin letters and the same word with a Cyrillic capital er and small
a, "Google" and "Goog1e") have the same skeleton. UTS #39 defines it as: NFD, remove default-ignorable code
points, replace every character by its prototype from `confusables.txt`, NFD again.

The data is `unicode/confusables.txt`, the file Unicode publishes for UTS #39 version 17.0.0, vendored unchanged
(its SHA-256 is `CONFUSABLES_SHA256`; a test checks it) with Unicode's licence beside it (`unicode/LICENSE`).
To update it, replace the file with a newer release from https://www.unicode.org/Public/security/, update the
checksum, and add a migration that recomputes the stored keys built on it (see sources/migrations).

Why not a package: `confusable-homoglyphs` (the best known one on PyPI) ships the pairs as an undirected graph
(each character lists its look-alikes in both directions, right-to-left ones wrapped in marks), so a character's
prototype, which the skeleton needs, cannot be recovered from it; it offers mixed-script checks, not skeletons.

This module imports nothing from Django or the apps: data migrations use it.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "unicode"
CONFUSABLES_FILE = DATA_DIR / "confusables.txt"
CONFUSABLES_VERSION = "17.0.0"
CONFUSABLES_SHA256 = "091c7f82fc39ef208faf8f94d29c244de99254675e09de163160c810d13ef22a"

# Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 17.0.0), which the skeleton removes. Python's
# unicodedata has no such property; the list is short and changes rarely. Most of it is also general category
# Cf, which names refuse anyway (core.text), but a skeleton must not depend on that.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


def is_default_ignorable(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _DEFAULT_IGNORABLE)


def _parse(text: str) -> dict[str, str]:
    """`source ; prototype ; MA # comment` lines as {source character: prototype string}."""
    prototypes: dict[str, str] = {}
    for line in text.splitlines():
        data = line.split("#", 1)[0].strip()
        if not data:
            continue
        fields = [field.strip() for field in data.split(";")]
        if len(fields) < 2:
            raise ValueError(f"not a confusables.txt data line: {line!r}")
        source = chr(int(fields[0], 16))
        prototypes[source] = "".join(chr(int(code, 16)) for code in fields[1].split())
    return prototypes


@functools.cache
def prototypes() -> dict[str, str]:
    """The mapping, read once per process (about 6,500 entries, a few milliseconds)."""
    return _parse(CONFUSABLES_FILE.read_text(encoding="utf-8"))


def skeleton(text: str) -> str:
    """skeleton(X) of UTS #39: equal skeletons mean the strings can be mistaken for each other.

    Not a display form (it maps "m" to "rn", "0" to "O"): only ever compare skeletons with each other.
    """
    table = prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(table.get(ch, ch) for ch in decomposed if not is_default_ignorable(ch))
    return unicodedata.normalize("NFD", mapped)
