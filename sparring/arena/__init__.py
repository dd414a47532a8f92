"""Every game by one name.

``make_game(spec)`` accepts:

* an OpenSpiel short name, bare or prefixed, with OpenSpiel's own parameter syntax:
  ``kuhn_poker``, ``openspiel:leduc_poker``, ``leduc_poker(players=3)``,
  ``openspiel:turn_based_simultaneous_game(game=goofspiel(num_cards=4))``;
  plus sparring's own ``view`` (``full`` or ``compact``; for Tic-Tac-Toe also
  ``symmetric``, the compact board turned so that mirror images look alike):
  ``tic_tac_toe(view=compact)``;
* a TextArena environment id, bare or prefixed: ``TicTacToe-v0``,
  ``textarena:TicTacToe-v0``, with optional ``key=value`` parameters in the same
  syntax: ``players`` (number of players), ``view`` (``compact`` or ``full``),
  ``allow_network`` and anything else the environment's constructor takes, e.g.
  ``textarena:LiarsDice-v0(players=3)`` or ``PigDice-v0(winning_score=30)``;
* a friendly alias from ``GAME_ALIASES`` (``kuhn-poker``, ``tic-tac-toe``).

Unknown names raise ``UnknownGame`` with one line that suggests close matches.
"""
from __future__ import annotations

import ast
import difflib
import re

import pyspiel

from sparring.arena.base import Game, IllegalMove, State, UnknownGame
from sparring.arena.openspiel import OpenSpielGame, openspiel_game_names

__all__ = [
    "GAME_ALIASES",
    "Game",
    "IllegalMove",
    "State",
    "UnknownGame",
    "list_games",
    "make_game",
]

GAME_ALIASES: dict[str, str] = {
    "kuhn-poker": "kuhn_poker",
    "tic-tac-toe": "tic_tac_toe",
}

_FAMILIES = ("openspiel", "textarena")
_TEXTARENA_OPTIONS = {"players": "num_players", "view": "view", "allow_network": "allow_network"}


def list_games() -> dict[str, list[str]]:
    """Names ``make_game`` accepts, by family.

    ``openspiel``: every registered OpenSpiel game except the mean-field ones
    (simultaneous-move games are played turn by turn).  ``textarena``: the base ids of
    the registered TextArena environments (not their ``-raw``/``-train`` wrapper
    variants), leaving out those that cannot run here offline (an LLM judge over the
    network, NLTK data or packages not installed, code this Python cannot parse, or
    known broken in the installed version); ``sparring.arena.textarena.offline_blocker``
    says why one is left out.
    """
    from sparring.arena.textarena import textarena_game_ids

    return {"openspiel": openspiel_game_names(), "textarena": textarena_game_ids()}


def make_game(spec: str) -> Game:
    """The game ``spec`` names (see the module docstring for the accepted forms)."""
    if not isinstance(spec, str) or not spec.strip():
        raise UnknownGame(f"no game named {spec!r}; `sparring games` lists them all")
    text = GAME_ALIASES.get(spec.strip(), spec.strip())
    family, sep, rest = text.partition(":")
    if sep and family.strip().lower() in _FAMILIES:
        family = family.strip().lower()
        text = GAME_ALIASES.get(rest.strip(), rest.strip())
    else:
        family = None
    base, params = _split_params(text)
    if params is None:
        raise UnknownGame(f"cannot read game {spec!r}: unbalanced brackets")

    if family == "openspiel" or (family is None and base in _openspiel_names()):
        if base not in _openspiel_names():
            raise UnknownGame(f"unknown OpenSpiel game {base!r}{_did_you_mean(base, openspiel_game_names())}")
        text, view = _pop_view(base, params)
        return OpenSpielGame(text, view=view)  # OpenSpiel parses its own parameter syntax

    if family == "textarena" or (family is None and base in _textarena_ids()):
        from sparring.arena.textarena import TextArenaGame

        kwargs: dict = {}
        for key, value in _parse_kwargs(params, spec).items():
            kwargs[_TEXTARENA_OPTIONS.get(key, key)] = value
        return TextArenaGame(base, **kwargs)

    candidates = openspiel_game_names() + _textarena_ids() + list(GAME_ALIASES)
    raise UnknownGame(f"unknown game {spec.strip()!r}{_did_you_mean(base, candidates)}")


# --------------------------------------------------------------------------- helpers


def _openspiel_names() -> set[str]:
    return set(pyspiel.registered_names())


def _textarena_ids() -> list[str]:
    from sparring.arena.textarena import textarena_game_ids

    return textarena_game_ids(playable_only=False)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _did_you_mean(name: str, candidates: list[str]) -> str:
    by_norm: dict[str, list[str]] = {}
    for c in candidates:
        by_norm.setdefault(_norm(c), []).append(c)
    hits = list(by_norm.get(_norm(name), []))
    for key in difflib.get_close_matches(_norm(name), list(by_norm), n=4, cutoff=0.6):
        hits += [c for c in by_norm[key] if c not in hits]
    hits = [GAME_ALIASES.get(h, h) for h in hits]
    hits = list(dict.fromkeys(hits))[:3]
    if hits:
        return f"; did you mean {', '.join(hits)}? (`sparring games` lists them all)"
    return "; `sparring games` lists them all"


def _split_params(text: str) -> tuple[str, str | None]:
    """``"leduc_poker(players=3)"`` -> ``("leduc_poker", "players=3")``; None if malformed."""
    text = text.strip()
    if "(" not in text:
        return text, "" if ")" not in text else None
    base, _, tail = text.partition("(")
    if not tail.endswith(")"):
        return base.strip(), None
    inner = tail[:-1]
    depth = 0
    for ch in inner:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth < 0:
            return base.strip(), None
    return base.strip(), inner if depth == 0 else None


def _pop_view(base: str, params: str) -> tuple[str, str]:
    """``("tic_tac_toe", "view=compact")`` -> ``("tic_tac_toe", "compact")``: sparring's own
    ``view`` option taken out of an OpenSpiel parameter list, the rest left to OpenSpiel."""
    view, rest = "full", []
    for part in _split_top_level(params):
        key, eq, value = part.partition("=")
        if eq and key.strip() == "view":
            view = value.strip()
        elif part.strip():
            rest.append(part.strip())
    return (f"{base}({','.join(rest)})" if rest else base), view


def _parse_kwargs(params: str, spec: str) -> dict:
    """``"players=3, view=full"`` -> ``{"players": 3, "view": "full"}`` (literals where they parse)."""
    out: dict = {}
    for part in _split_top_level(params):
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or not key.isidentifier():
            raise UnknownGame(f"cannot read game {spec!r}: expected key=value, got {part.strip()!r}")
        value = value.strip()
        lowered = value.lower()
        if lowered in ("true", "false"):
            out[key] = lowered == "true"
            continue
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts
