"""Text that came from a program (an exception message, captured output, a source) made safe to show."""

from __future__ import annotations

import unicodedata


def printable(text: str, keep: str = "\n\t") -> str:
    """``text`` with every control or format character (C0 and C1 controls such as ESC and CSI, DEL,
    bidirectional overrides, zero-width characters, line and paragraph separators, surrogates) replaced by
    its visible escape (``\\x1b``, ``\\u202e``), so it cannot move a terminal's cursor, recolour, erase or
    retitle it, write to the clipboard (OSC 52), or reorder what a reader of a page sees. Characters in
    ``keep`` (newline and tab by default) pass through; markup of any kind is the caller's to escape."""
    out = []
    for ch in str(text):
        if ch in keep or (ch.isprintable() and unicodedata.category(ch) not in ("Cf", "Co", "Cs")):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)
