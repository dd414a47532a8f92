"""Any TextArena environment as a text game: free-text moves, judged by the game itself.

``TextArenaGame("TicTacToe-v0")`` follows the same ``Game``/``State`` protocol as the
OpenSpiel adapter, with these TextArena-specific rules:

* **Moves are free text.**  ``legal_actions()`` is always ``None``: TextArena does not
  expose legal-move lists, the game parses whatever text it gets (most games look for
  a bracketed move such as ``[4]`` or ``[e2e4]`` anywhere in the text).  Moves pass
  through the environment's default TextArena action wrappers: most games put
  brackets round text that has none, conversational ones keep only the last 1,000
  characters.  ``example_moves()`` lists bracketed moves the game's own messages
  mention (its "available moves" line, the examples in its rules): a hint for random
  play and tests, not a legal-move list.  Some free-talk games accept any text, and a
  few judge a bad move by their own rules without calling it invalid (in Snake-v0 an
  unreadable move kills your snake): no exception is raised then.
* **Invalid moves follow TextArena's rules, not OpenSpiel's.**  When the game judges a
  move invalid, ``apply`` raises ``RecordedIllegalMove`` (an ``IllegalMove``) carrying
  the game's reason, *after* the game has recorded it.  The state is then usable in
  one of three ways, read them off the state: the same player is to move again (the
  game told them why; the usual case for a first offence, TextArena's error allowance
  is one retry), or the game is over (a repeated offence: the offender loses;
  ``invalid_by()`` names them), or, in some games of three or more, the offender
  was eliminated and play passed on.  Unlike OpenSpiel, an invalid move is therefore
  not free: it counts toward the game's error allowance.
* If TextArena itself crashes on a move (a bug in a game, not a judgement), the state
  is restored to what it was before the move and ``IllegalMove`` (not recorded, not
  counted) is raised, so the caller sees one exception type only.
* **Randomness.**  TextArena games draw from Python's global ``random`` (and a few from
  numpy's).  Each state keeps its own generator states and swaps them in only around
  calls into TextArena, so a seed reproduces a game whatever else runs in between, and
  the caller's global generators are left as they were.  Every offline game in
  textarena 0.7.4 replays identically from the same seed and moves.
* ``clone()`` is ``copy.deepcopy`` of the environment: TextArena has no cheap copy.
  ``apply`` also keeps such a copy for the crash rule above (well under a millisecond
  for board and card games; tens of milliseconds for Set-v0 and SettlersOfCatan-v0).
* TextArena's own prints are silenced (stdout is redirected around its calls, so this
  adapter is not thread-safe; use processes for parallel play).
* Games that need what an offline machine has not got, an LLM judge over the network
  (OpenRouter), NLTK data that TextArena would download at import, or a package that
  is not installed, fail at construction with a one-line ``UnknownGame``; nothing here
  ever downloads.  ``offline_blocker(env_id)`` says why without constructing anything.
* The number of players is what ``reset(num_players=...)`` accepts: by default the
  first of 2, 1, 3, 4, 5, 6 that works; pass ``num_players`` to choose.
* ``current_player()`` is TextArena's current player, or -4 (OpenSpiel's
  ``TERMINAL``) once the game is over.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import difflib
import functools
import importlib.util
import io
import math
import random
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from sparring.arena.base import IllegalMove, UnknownGame

TERMINAL = -4  # pyspiel.PlayerId.TERMINAL, so callers can treat both adapters alike
PLAYER_COUNTS = (2, 1, 3, 4, 5, 6)  # tried in this order when the caller names none
VIEWS = ("compact", "full")

_BRACKETED = re.compile(r"\[[^\[\]\n]{1,40}\]")


class RecordedIllegalMove(IllegalMove):
    """The game judged the move invalid and recorded it (see the module docstring)."""

    def __init__(self, reason: str, game_over: bool):
        super().__init__(reason)
        self.reason = reason
        self.game_over = game_over


class _Offline(RuntimeError):
    """TextArena tried to fetch something over the network."""


# --------------------------------------------------------------------------- textarena


@functools.lru_cache(maxsize=None)
def _ta():
    with _quiet(stderr=True):
        import textarena  # slow (about a second): import only when a TextArena game is wanted
    return textarena


def _registry() -> dict:
    return _ta().envs.registration.ENV_REGISTRY


@contextlib.contextmanager
def _quiet(stderr: bool = False):
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        if stderr:
            with contextlib.redirect_stderr(sink):
                yield
        else:
            yield


def textarena_game_ids(playable_only: bool = True) -> list[str]:
    """Registered TextArena ids, without the ``-raw``/``-train`` wrapper variants.

    With ``playable_only`` (the default), games with an ``offline_blocker`` are left out.
    """
    ids = [i for i in _registry() if not i.endswith(("-raw", "-train"))]
    if playable_only:
        ids = [i for i in ids if offline_blocker(i) is None]
    return sorted(ids)


def _suggest(env_id: str) -> str:
    ids = [i for i in _registry() if not i.endswith(("-raw", "-train"))]
    by_lower = {i.lower(): i for i in ids}
    close = difflib.get_close_matches(env_id.lower(), list(by_lower), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(by_lower[c] for c in close)}?" if close else ""


# ----------------------------------------------------------------- offline requirements


def _entry_file(env_id: str) -> tuple[Path, Path] | None:
    """(the game's package folder, its entry module's file), found without importing them."""
    entry = _registry()[env_id].entry_point
    if not isinstance(entry, str):
        return None
    parts = entry.split(":")[0].split(".")  # e.g. textarena.envs.Wordle.env
    if parts[0] != "textarena" or len(parts) < 4:
        return None
    root = Path(_ta().__file__).parent
    # some games download data at import, so their files are read, never imported
    return root.joinpath(*parts[1:3]), root.joinpath(*parts[1:]).with_suffix(".py")


@functools.lru_cache(maxsize=None)
def _installed(top_level_module: str) -> bool:
    return importlib.util.find_spec(top_level_module) is not None


def _module_file(base: Path, dotted: list[str]) -> Path | None:
    path = base.joinpath(*dotted)
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=None)
def _nltk_has(resource: str) -> bool:
    import nltk

    for category in ("corpora", "taggers", "tokenizers", "chunkers", "models", "misc", "sentiment", "grammars"):
        for name in (f"{category}/{resource}", f"{category}/{resource}.zip"):
            try:
                nltk.data.find(name)
                return True
            except LookupError:
                continue
    return False


@functools.lru_cache(maxsize=None)
def _source_blocker(env_dir: Path, entry_file: Path) -> tuple[str | None, str | None]:
    """(network blocker, local blocker) read off the files a game imports, without importing them."""
    texts = []
    missing_pkgs: set[str] = set()
    stdlib = set(sys.stdlib_module_names)
    package = "textarena.envs." + env_dir.name
    todo = [f for f in (env_dir / "__init__.py", entry_file) if f.is_file()]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text(encoding="utf-8", errors="replace")
        texts.append(text)
        try:
            with warnings.catch_warnings():  # old escape sequences in some games' sources
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except SyntaxError as e:
            where = f"{path.relative_to(env_dir.parent)}:{e.lineno}"
            return None, (
                f"its code does not parse on Python {sys.version_info.major}.{sys.version_info.minor} "
                f"({where}: {e.msg})"
            )
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom):  # relative: within the game's package
                here = path.parent
                for _ in range(node.level - 1):
                    here = here.parent
                dotted = node.module.split(".") if node.module else []
                for extra in ([dotted] + [dotted + [a.name] for a in node.names]):
                    found = _module_file(here, extra) if extra else None
                    if found is not None and env_dir in found.parents:
                        todo.append(found)
                continue
            else:
                continue
            for name in modules:
                if name.startswith(package + "."):
                    found = _module_file(env_dir, name.split(".")[3:])
                    if found is not None:
                        todo.append(found)
                    continue
                top = name.split(".")[0]
                if top not in stdlib and top != "textarena" and not _installed(top):
                    missing_pkgs.add(top)
    text = "\n".join(texts)
    network = None
    if "OpenRouter" in text or "Jury" in text:
        network = "it needs an LLM over the network (OpenRouter judge or game master)"
    if missing_pkgs:
        return network, f"it needs package(s) not installed: {', '.join(sorted(missing_pkgs))}"
    wanted: list[str] = []
    for call in re.findall(r"nltk\.download\(([^)]*)\)", text):
        wanted += re.findall(r"['\"]([\w.-]+)['\"]", call)
    if "word_lists" in text or "EnglishDictionary" in text:
        wanted.append("words")
    missing = sorted({r for r in wanted if not _nltk_has(r)})
    if missing:
        return network, (
            f"it needs NLTK data {', '.join(missing)} "
            f"(install once with: python -m nltk.downloader {' '.join(missing)})"
        )
    return network, None


# Games that construct but cannot be played, found by playing every offline game (0.7.4).
_KNOWN_BROKEN = {
    "CharacterConclave": "it crashes on every move in textarena 0.7.x (its step omits an argument)",
    "ScorableGames": "its game descriptions are missing from the textarena 0.7.x package",
    "UsedCarNegotiation": "its instruction files are missing from the textarena 0.7.x package",
}


def offline_blocker(env_id: str, allow_network: bool = False) -> str | None:
    """Why a registered TextArena game cannot run on this machine offline, or ``None``."""
    spec = _registry()[env_id]
    network = None
    if "jury_class" in spec.kwargs:
        network = "it is judged by an LLM jury over the network (OpenRouter)"
    files = _entry_file(env_id)
    local = None
    if files is not None and not files[1].is_file():
        local = f"its module is missing from the installed textarena ({spec.entry_point})"
    elif files is not None:
        src_network, local = _source_blocker(*files)
        network = network or src_network
    broken = _KNOWN_BROKEN.get(files[0].name if files is not None else "")
    if broken and _ta().__version__.startswith("0.7."):
        local = local or broken
    if local:
        return local
    if network and not allow_network:
        return network + "; pass allow_network=True to use it anyway"
    return None


def _offline_nltk_download(info_or_id=None, *args, **kwargs):
    ids = [info_or_id] if isinstance(info_or_id, str) else list(info_or_id or [])
    missing = [i for i in ids if not _nltk_has(str(i))]
    if missing:
        raise _Offline(
            f"it needs NLTK data {', '.join(map(str, missing))} "
            f"(install once with: python -m nltk.downloader {' '.join(map(str, missing))})"
        )
    return True


@contextlib.contextmanager
def _no_downloads():
    """Make ``nltk.download`` check local data instead of fetching (it always goes online)."""
    nltk = sys.modules.get("nltk")
    if nltk is None:
        yield
        return
    original = nltk.download
    nltk.download = _offline_nltk_download
    try:
        yield
    finally:
        nltk.download = original


# ------------------------------------------------------------------------------ game


def _unwrap(env):
    ta = _ta()
    while isinstance(env, ta.Wrapper):
        env = env.env
    return env


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[-1] if text else ''}".rstrip(": ")


_PROBED: dict[tuple, int] = {}


class TextArenaGame:
    """A TextArena environment id as a ``Game``.

    ``view="compact"`` (default) renders each player's whole message history but only
    the latest board; ``view="full"`` keeps every board, as TextArena's LLM wrapper does.
    ``env_kwargs`` go to the environment's constructor (e.g. ``max_turns=20``).
    ``allow_network=True`` lets games with an LLM judge or game master be built (they
    then need ``OPENROUTER_API_KEY`` and call OpenRouter while they are played).
    """

    def __init__(
        self,
        env_id: str,
        num_players: int | None = None,
        *,
        view: str = "compact",
        allow_network: bool = False,
        **env_kwargs: Any,
    ):
        registry = _registry()
        if env_id not in registry:
            raise UnknownGame(f"unknown TextArena game {env_id!r}{_suggest(env_id)}")
        if view not in VIEWS:
            raise UnknownGame(f"TextArena view must be one of {', '.join(VIEWS)}, not {view!r}")
        blocker = offline_blocker(env_id, allow_network=allow_network)
        if blocker:
            raise UnknownGame(f"TextArena game {env_id!r} cannot run here: {blocker}")
        self.env_id = env_id
        self.view = view
        self.env_kwargs = dict(env_kwargs)
        params: dict[str, Any] = {}
        if num_players is not None:
            params["players"] = num_players
        params.update(env_kwargs)
        if view != "compact":
            params["view"] = view
        if allow_network:
            params["allow_network"] = True
        suffix = "(" + ",".join(f"{k}={v}" for k, v in params.items()) + ")" if params else ""
        self.name = f"textarena:{env_id}{suffix}"
        self.num_players = self._probe(num_players)

    def _make_env(self):
        try:
            return _ta().make(self.env_id, **self.env_kwargs)
        except _Offline:
            raise
        except ImportError as e:
            raise UnknownGame(f"TextArena game {self.env_id!r} cannot run here: {_one_line(e)}") from None

    def _probe(self, num_players: int | None) -> int:
        key = (self.env_id, num_players, repr(sorted(self.env_kwargs.items())))
        if key in _PROBED:
            return _PROBED[key]
        counts = (num_players,) if num_players is not None else PLAYER_COUNTS
        errors: list[tuple[int, str]] = []
        outer = random.getstate()
        np_random = _numpy_random()
        outer_np = np_random.get_state() if np_random is not None else None
        try:
            for n in counts:
                try:
                    with _quiet(stderr=True), _no_downloads():
                        random.seed(0)
                        env = self._make_env()
                except UnknownGame:
                    raise
                except _Offline as e:
                    raise UnknownGame(f"TextArena game {self.env_id!r} cannot run here: {e}") from None
                except Exception as e:  # noqa: BLE001  the environment itself cannot be built
                    raise UnknownGame(f"TextArena game {self.env_id!r} cannot be built: {_one_line(e)}") from None
                try:
                    with _quiet(stderr=True), _no_downloads():
                        env.reset(num_players=n, seed=0)
                        found = int(_unwrap(env).state.num_players)
                except _Offline as e:
                    raise UnknownGame(f"TextArena game {self.env_id!r} cannot run here: {e}") from None
                except Exception as e:  # noqa: BLE001  games reject wrong counts in many ways
                    errors.append((n, _one_line(e)))
                    continue
                _PROBED[key] = found
                return found
        finally:
            random.setstate(outer)
            if outer_np is not None:
                np_random.set_state(outer_np)
        distinct = list(dict.fromkeys(msg for _, msg in errors))
        if len(distinct) == 1:
            why = distinct[0]
        else:
            why = "; ".join(f"{n} players: {msg}" for n, msg in errors[:2])
        counts_text = ", ".join(str(n) for n in counts)
        raise UnknownGame(
            f"TextArena game {self.env_id!r} would not start with {counts_text} players ({why[:300]})"
        )

    def new_state(self, seed: int) -> "TextArenaState":
        return TextArenaState(self, seed)

    def __repr__(self) -> str:
        return f"TextArenaGame({self.name!r}, num_players={self.num_players})"


class TextArenaState:
    def __init__(self, game: TextArenaGame, seed: int | None):
        self.game = game
        self._py_rng = random.Random(seed).getstate()
        self._np_rng = _numpy_state(seed)
        self._log: dict[int, list[tuple]] = {p: [] for p in range(game.num_players)}
        self._batch = 0
        self._ended_by: int | None = None
        try:
            with self._sandbox(stderr=True):
                self.env = game._make_env()
                self.env.reset(num_players=game.num_players, seed=seed)
        except _Offline as e:
            raise UnknownGame(f"TextArena game {game.env_id!r} cannot run here: {e}") from None
        self.base = _unwrap(self.env)
        self._collect()

    # -- plumbing ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _sandbox(self, stderr: bool = False):
        """Swap in this game's random generators and silence prints around TextArena code."""
        outer = random.getstate()
        random.setstate(self._py_rng)
        np_random = _numpy_random()
        outer_np = None
        if np_random is not None and self._np_rng is not None:
            outer_np = np_random.get_state()
            np_random.set_state(self._np_rng)
        try:
            with _quiet(stderr=stderr), _no_downloads():
                yield
        finally:
            self._py_rng = random.getstate()
            random.setstate(outer)
            if outer_np is not None:
                self._np_rng = np_random.get_state()
                np_random.set_state(outer_np)

    def _collect(self) -> None:
        """Move TextArena's pending messages into this state's per-player history.

        Each message is kept as (sender, text, kind, batch), batch counting the calls
        into TextArena, so the compact view can show the whole latest board.
        """
        ta = _ta()
        state = self.base.state
        self._batch += 1
        if not state.done and type(self.base).get_observation is not ta.Env.get_observation:
            # a few games add the current player's status only when asked for it
            with self._sandbox():
                pid, messages = self.base.get_observation()
            if pid in self._log and isinstance(messages, list):
                self._log[pid].extend((*m[:3], self._batch) for m in messages)
        pending = state.observations
        for pid in self._log:
            messages = pending.get(pid)
            if messages:
                self._log[pid].extend((*m[:3], self._batch) for m in messages)
                pending[pid] = []

    # -- protocol -----------------------------------------------------------------------

    def is_terminal(self) -> bool:
        return bool(self.base.state.done)

    def current_player(self) -> int:
        if self.is_terminal():
            return TERMINAL
        return int(self.base.state.current_player_id)

    def observation(self, player: int) -> str:
        """The game's prompt, then every message ``player`` got, oldest first.

        In the compact view (the default) old boards are left out: only the board
        messages of the most recent step that sent any are shown.
        """
        ta = _ta()
        board = ta.ObservationType.GAME_BOARD
        messages = self._log.get(player, [])
        compact = self.game.view == "compact"
        last_board = max((b for _, _, kind, b in messages if kind == board), default=-1)
        roles = getattr(self.base.state, "role_mapping", None) or {}
        parts = []
        for sender, message, kind, batch in messages:
            text = str(message).strip("\n")
            if kind == ta.ObservationType.PROMPT:
                parts.append(text.strip() + "\n")
                continue
            if compact and kind == board and batch != last_board:
                continue
            who = "GAME" if sender == ta.GAME_ID else roles.get(sender, f"Player {sender}")
            parts.append(f"[{who}] {text}")
        text = "\n".join(parts).strip()
        return text or f"{self.game.env_id}: you are Player {player}; no messages yet."

    def legal_actions(self) -> None:
        return None  # free text: the game judges it

    def example_moves(self) -> list[str]:
        """Bracketed moves the game's messages to the current player mention, newest first.

        Drawn from the latest board (e.g. an "Available Moves" line), recent game messages
        and the rules' examples.  A hint for random play and tests; not guaranteed legal.
        """
        if self.is_terminal():
            return []
        ta = _ta()
        messages = self._log.get(self.current_player(), [])
        board = ta.ObservationType.GAME_BOARD
        last_board = max((m[3] for m in messages if m[2] == board), default=-1)
        boards = [m for m in messages if m[2] == board and m[3] == last_board]
        game = [m for m in messages if m[0] == ta.GAME_ID and m[2] not in (board, ta.ObservationType.PROMPT)]
        prompt = [m for m in messages if m[2] == ta.ObservationType.PROMPT]
        ordered = boards[::-1] + game[::-1][:10] + prompt
        out: list[str] = []
        for _, message, _, _ in ordered:
            for move in _BRACKETED.findall(str(message)):
                if move not in out:
                    out.append(move)
        return out

    def apply(self, action: str) -> None:
        if not isinstance(action, str):
            raise IllegalMove(f"a move must be text, not {type(action).__name__}")
        if self.is_terminal():
            raise IllegalMove("the game is over")
        snapshot = (copy.deepcopy(self.env), self._py_rng, self._np_rng)
        mover = self.current_player()
        state = self.base.state
        reasons: list[str] = []
        original = state.set_invalid_move

        def record(*args, **kwargs):
            # the reason is the text argument (a few single-player games pass it second)
            texts = [a for a in (kwargs.get("reason"), *args) if isinstance(a, str)]
            reasons.append(texts[0] if texts else "")
            return original(*args, **kwargs)

        state.set_invalid_move = record  # instance attribute, removed right after the step
        try:
            with self._sandbox():
                self.env.step(action)
        except Exception as e:  # noqa: BLE001  a crash inside the game, not a judgement
            self.env, self._py_rng, self._np_rng = snapshot
            self.base = _unwrap(self.env)
            raise IllegalMove(f"the game could not process this move ({_one_line(e)})") from None
        finally:
            state.__dict__.pop("set_invalid_move", None)
        self._collect()
        if reasons:
            if self.is_terminal():
                self._ended_by = mover
            raise RecordedIllegalMove(reasons[-1] or "invalid move", game_over=self.is_terminal())

    def returns(self) -> list[float]:
        n = self.game.num_players
        if not self.is_terminal():
            return [0.0] * n
        rewards = self.base.state.rewards or {}
        info = getattr(self.base.state, "game_info", None) or {}
        out = []
        for p in range(n):
            value = rewards.get(p, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                # a few single-player games pass set_invalid_move's arguments swapped and
                # leave the reason text as the reward: score it as TextArena's default penalty
                value = -1.0 if (info.get(p) or {}).get("invalid_move") else 0.0
            out.append(float(value))
        return out

    def clone(self) -> "TextArenaState":
        """A deep copy of the whole TextArena environment (TextArena has no cheaper one)."""
        twin = object.__new__(TextArenaState)
        twin.game = self.game
        twin.env = copy.deepcopy(self.env)
        twin.base = _unwrap(twin.env)
        twin._py_rng = self._py_rng
        twin._np_rng = self._np_rng
        twin._log = {p: list(m) for p, m in self._log.items()}
        twin._batch = self._batch
        twin._ended_by = self._ended_by
        return twin

    # -- extras -------------------------------------------------------------------------

    def game_info(self) -> dict:
        """TextArena's per-player info (role, invalid_move, reason, turn_count)."""
        return copy.deepcopy(getattr(self.base.state, "game_info", {}) or {})

    def invalid_by(self) -> int | None:
        """The player whose invalid move ended the game, if that is how it ended."""
        return self._ended_by if self.is_terminal() else None

    def __str__(self) -> str:
        return self.observation(max(self.current_player(), 0))


def _numpy_random():
    np = sys.modules.get("numpy")
    return None if np is None else np.random


def _numpy_state(seed: int | None):
    np_random = _numpy_random()
    if np_random is None:
        return None
    return np_random.RandomState(None if seed is None else seed % 2**32).get_state()
