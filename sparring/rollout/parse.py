"""Turn free text from a model into a legal move: tolerant of what models write,
strict about legality.  Returns ``None`` when no legal move can be read."""
from __future__ import annotations

import re

_MARKERS = [
    r"\[([^\[\]\n]{1,80})\]",  # [move]
    r"\\boxed\{([^{}\n]{1,80})\}",  # \boxed{move}
    r"(?:move|action|answer)\s*(?:is)?\s*[:=]?\s*\**\s*([^\n.,;*]{1,80})",  # Move: X / my move is X
]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip("\"'`*").strip()).lower()


def parse_move(text: str, legal: list[str] | None) -> str | None:
    """The legal move that ``text`` states, or None.

    With ``legal=None`` (free-text games) the stripped text itself is the move,
    or ``None`` if empty.  Otherwise, in order: the whole text is a legal move;
    the last explicitly marked move ([X], \\boxed{X}, "move: X") that is legal;
    the last legal move mentioned as a whole word.
    """
    if legal is None:
        stripped = text.strip()
        return stripped or None
    by_norm = {_norm(a): a for a in legal}
    whole = _norm(text)
    if whole in by_norm:
        return by_norm[whole]
    marked = []  # (position, move) of every legal marked move, whichever marker
    for pattern in _MARKERS:
        for m in re.finditer(pattern, text, flags=re.IGNORECASE):
            if _norm(m.group(1)) in by_norm:
                marked.append((m.start(1), by_norm[_norm(m.group(1))]))
    if marked:
        return max(marked)[1]
    best, best_pos = None, -1
    for norm, action in by_norm.items():
        if not norm:
            continue
        for m in re.finditer(r"(?<!\w)" + re.escape(norm) + r"(?!\w)", text.lower()):
            if m.start() > best_pos:
                best, best_pos = action, m.start()
    return best
