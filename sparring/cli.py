"""``sparring train | eval | play | export | games``: the command line."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + traceback
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    from sparring.recipes import PRESETS

    p = _Parser(prog="sparring", description="Language models that teach themselves by self-play.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train with a recipe", description=(
        "Train a policy with a recipe. Recipes: " + ", ".join(PRESETS) +
        ". A game name (see `sparring games`) as RECIPE means mirror self-play on that game."))
    t.add_argument("recipe", nargs="?", help="recipe name, or a game to self-play")
    t.add_argument("--game", help="game to play (overrides the recipe's)")
    t.add_argument("--model", help="tiny (default), smollm2-135m, or a Hugging Face model directory/id")
    t.add_argument("--out", type=Path, help="run directory (default runs/RECIPE-TIME)")
    budget = t.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="training steps")
    budget.add_argument("--minutes", type=float, help="wall-clock budget in minutes")
    t.add_argument("--seed", type=int)
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config value, e.g. --set learner.lr=1e-4 (repeatable)")
    t.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue a run from its latest checkpoint")

    e = sub.add_parser("eval", help="evaluate a run's latest checkpoint (games, or held-out suites)")
    e.add_argument("run_dir", type=Path, nargs="?", help="run directory (or --model for an untrained model)")
    e.add_argument("--model", help="evaluate this model instead of a run: tiny, smollm2-135m, or a HF path/id")
    e.add_argument("--suite", action="append", default=[], metavar="NAME_OR_JSONL",
                   help="held-out maths suite: mawps_singleop, mawps_addsub, gsm8k, math500, or a JSONL path "
                        "(repeatable); greedy decoding")
    e.add_argument("--limit", type=int, help="a fixed random subset of this many questions per suite")
    e.add_argument("--game", help="game (default: the run's)")
    e.add_argument("--opponent", help="comma-separated: random, mcts[:SIMS], optimal (default: the run's)")
    e.add_argument("--games", type=int, help="games per seat against each opponent")
    mode = e.add_mutually_exclusive_group()
    mode.add_argument("--greedy", action="store_true", default=None, help="play the most probable move")
    mode.add_argument("--sample", dest="greedy", action="store_false", help="sample moves from the policy")
    e.add_argument("--seed", type=int, default=1)
    e.add_argument("--out", type=Path, help="JSON file to write (default RUN_DIR/eval/cli-TIME.json)")

    pl = sub.add_parser("play", help="play against a run's model in the terminal")
    pl.add_argument("run_dir", type=Path)
    pl.add_argument("--game", help="game (default: the run's)")
    pl.add_argument("--seat", default="random", help="your seat: 0, 1, ... or random (default)")
    pl.add_argument("--show-reasoning", action="store_true", help="print what the model writes before its move")
    pl.add_argument("--greedy", action="store_true", help="the model plays its most probable move")
    pl.add_argument("--seed", type=int, help="seed for the deal and the model's sampling")

    x = sub.add_parser("export", help="write a run's checkpoint as a plain (merged) Hugging Face model directory")
    x.add_argument("run_dir", type=Path)
    x.add_argument("out", type=Path, help="directory to write (transformers and vLLM load it directly)")

    g = sub.add_parser("games", help="list the games you can play")
    g.add_argument("filter", nargs="?", help="only names containing this text")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rich.console import Console
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    from sparring.arena.base import UnknownGame
    from sparring.config import ConfigError
    from sparring.evaluation.maths import SuiteError
    from sparring.models.presets import ModelError

    console = Console()
    try:
        commands = {"train": _train, "eval": _eval, "play": _play, "export": _export, "games": _games}
        return commands[args.command](args, console)
    except (ConfigError, UnknownGame, ModelError, UsageError, FileNotFoundError, SuiteError) as e:
        print(f"sparring {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; resume with `sparring train --resume RUN_DIR`", file=sys.stderr)
        return 130


def _train(args, console) -> int:
    from sparring import config as C
    from sparring.arena import make_game
    from sparring.recipes import PRESETS, trainer

    if args.resume:
        cfg_path = args.resume / "config.json"
        if not cfg_path.exists():
            raise FileNotFoundError(f"no run to resume at {args.resume} (missing config.json)")
        cfg, run_dir = C.load(cfg_path), args.resume
        if args.recipe or args.game or args.model or args.out or args.seed is not None:
            raise UsageError("--resume continues a run as configured; only --steps, --minutes and --set may change")
        fixed = [a for a in args.set if a.split("=", 1)[0].strip().split(".")[0] in ("seed", "game", "recipe", "model")]
        if fixed:
            raise UsageError(f"--resume cannot change {fixed[0].split('=', 1)[0]}: the checkpoint was made with it")
    else:
        if not args.recipe:
            raise UsageError("name a recipe (" + ", ".join(PRESETS) + ") or a game, or --resume RUN_DIR")
        if args.recipe in PRESETS:
            cfg = PRESETS[args.recipe](args.model or "tiny")
        else:
            try:
                make_game(args.recipe)
            except Exception as e:
                raise UsageError(f"unknown recipe {args.recipe!r} (recipes: {', '.join(PRESETS)}); "
                                 f"as a game: {e}") from None
            cfg = PRESETS["selfplay"](args.model or "tiny")
            cfg.game = args.recipe
        run_dir = args.out or _default_dir(cfg.recipe)
        if (run_dir / "config.json").exists():
            raise UsageError(f"{run_dir} already holds a run; resume it with --resume {run_dir} or pick another --out")
    if args.game:
        cfg.game = args.game
    if args.model:
        cfg.model.name = args.model
    if args.seed is not None:
        cfg.seed = args.seed
    if args.steps is not None:
        cfg.steps, cfg.minutes = args.steps, 0.0
    if args.minutes is not None:
        if args.minutes <= 0:
            raise UsageError(f"--minutes must be positive, got {args.minutes}")
        cfg.minutes, cfg.steps = args.minutes, 10**9  # on resume: the total, time already trained included
    for assignment in args.set:
        C.set_value(cfg, assignment)
    C.validate(cfg)  # fails fast on an unknown game or task domain, before any model loads
    what = cfg.tasks.domain if C.uses_tasks(cfg) else cfg.game
    console.print(f"[bold]sparring[/bold] {cfg.recipe} on {what} with {cfg.model.name} -> {run_dir}")
    final = trainer(cfg.recipe)(cfg, run_dir, resume=bool(args.resume), console=console)
    _print_final(final, console)
    return 0


def _default_dir(recipe: str) -> Path:
    from sparring.runs import default_run_dir

    return default_run_dir(recipe)


def _print_final(final: dict, console) -> None:
    from rich.table import Table

    table = Table(title=f"final evaluation (step {final.get('step')}, {final.get('minutes', 0):.1f} min)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    shown = ("rollout/invalid_rate", "rollout/forfeits", "rollout/turns_per_game", "propose/valid", "solve/accuracy",
             "solve/in_band", "judge/agreement")
    for k, v in final.items():
        if (k.startswith("eval/") and k != "eval/seconds") or k in shown:
            table.add_row(k.removeprefix("eval/"), f"{v:.4f}")
    console.print(table)
    skipped = final.get("eval_skipped") or {}
    for name, why in skipped.items():
        console.print(f"[dim]not evaluated against {name}: {why}[/dim]")
    ladder = Path(final["run_dir"]) / "ladder.json"
    if ladder.exists():
        rows = json.loads(ladder.read_text())
        board = Table(title="rating ladder (openskill; ordinal = mu - 3 sigma)")
        for col in ("player", "mu", "sigma", "ordinal", "games"):
            board.add_column(col, justify="left" if col == "player" else "right")
        for r in rows[:12]:
            board.add_row(r["name"], f"{r['mu']:.2f}", f"{r['sigma']:.2f}", f"{r['ordinal']:.2f}", str(r["games"]))
        console.print(board)
    console.print(f"run directory: {final['run_dir']}   learning curve: {final.get('plot')}")


def _eval(args, console) -> int:
    from rich.table import Table

    from sparring.arena import make_game
    from sparring.config import uses_tasks
    from sparring.evaluation.suite import evaluate
    from sparring.models.presets import build_model
    from sparring.recipes.selfplay import make_policy

    if args.suite:
        return _eval_suites(args, console)
    if args.run_dir is None:
        raise UsageError("name a run directory to evaluate games (or --suite with --model)")
    cfg, ckpt = _load_run(args.run_dir)
    if uses_tasks(cfg):  # a run on proposed tasks is measured on held-out suites
        if not cfg.eval.suites:
            raise UsageError(f"{args.run_dir} trained on tasks, not a game: name held-out suites with --suite")
        args.suite = cfg.eval.suites
        return _eval_suites(args, console)
    game = make_game(args.game or cfg.game)
    opponents = [o.strip() for o in args.opponent.split(",")] if args.opponent else cfg.eval.opponents
    games = cfg.eval.games if args.games is None else args.games
    greedy = cfg.eval.greedy if args.greedy is None else args.greedy
    if games <= 0:
        raise UsageError(f"--games must be positive, got {games}")
    model, tok = build_model(cfg.model, cfg.seed, checkpoint=ckpt)
    policy = make_policy(cfg, model, tok)
    try:
        metrics, report = evaluate(game, policy, opponents, games, greedy, True, seed=args.seed)
    except ValueError as e:
        raise UsageError(str(e)) from None
    report["checkpoint"] = str(ckpt)
    table = Table(title=f"{game.name}: {ckpt.name} ({'greedy' if greedy else 'sampled'} moves, {games} games a seat)")
    for col in ("opponent", "seat", "win", "draw", "loss", "games"):
        table.add_column(col, justify="right" if col != "opponent" else "left")
    for name, res in report["matches"].items():
        for seat in res["per_seat"]:
            table.add_row(name, str(seat["seat"]), f"{seat['win_rate']:.3f}", f"{seat['draw_rate']:.3f}",
                          f"{seat['loss_rate']:.3f}", str(seat["games"]))
        table.add_row(name, "all", f"{res['win_rate']:.3f}", f"{res['draw_rate']:.3f}", f"{res['loss_rate']:.3f}",
                      str(res["games"]), style="bold")
    console.print(table)
    if "exploitability" in report:
        console.print(f"exploitability (exact, sampled policy): {report['exploitability']:.4f}")
    elif "exploitability_skipped" in report:
        console.print(f"exploitability not computed: {report['exploitability_skipped']}")
    out = args.out or args.run_dir / "eval" / f"cli-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    console.print(f"wrote {out}")
    return 0


def _load_run(run_dir: Path):
    """(config, latest checkpoint) of a run directory, or a one-line error."""
    from sparring import checkpoint
    from sparring import config as C

    cfg_path = run_dir / "config.json"
    if not cfg_path.exists():
        raise FileNotFoundError(f"{run_dir} is not a run directory (missing config.json)")
    cfg = C.load(cfg_path)
    ckpt = checkpoint.latest(run_dir)
    if ckpt is None:
        raise FileNotFoundError(f"{run_dir} has no checkpoint yet")
    return cfg, ckpt


def _eval_suites(args, console) -> int:
    from rich.table import Table

    from sparring.config import ModelConfig
    from sparring.evaluation.maths import MAX_NEW_TOKENS, evaluate_suite, load_suite
    from sparring.models.lm import LMPolicy
    from sparring.models.presets import build_model

    if (args.run_dir is None) == (args.model is None):
        raise UsageError("give either a run directory or --model to evaluate on --suite")
    if args.limit is not None and args.limit <= 0:
        raise UsageError(f"--limit must be positive, got {args.limit}")
    suites = {name: load_suite(name, limit=args.limit) for name in args.suite}  # bad names fail before loading
    if args.run_dir is not None:
        cfg, ckpt = _load_run(args.run_dir)
        model, tok = build_model(cfg.model, cfg.seed, checkpoint=ckpt)
        label, out_dir = str(ckpt), args.run_dir / "eval"
    else:
        model, tok = build_model(ModelConfig(name=args.model), 0)
        label, out_dir = args.model, Path("runs") / "eval"
    policy = LMPolicy(model, tok, mode="generate", greedy=True, max_new_tokens=MAX_NEW_TOKENS)
    table = Table(title=f"held-out suites: {label} (greedy)")
    for col in ("suite", "correct", "total", "accuracy"):
        table.add_column(col, justify="left" if col == "suite" else "right")
    report = {"model": label, "suites": {}}
    for name, questions in suites.items():
        res = evaluate_suite(policy, questions)
        report["suites"][name] = res
        table.add_row(name, str(res["correct"]), str(res["total"]), f"{res['accuracy']:.3f}")
    console.print(table)
    out = args.out or out_dir / f"suites-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    console.print(f"wrote {out}")
    return 0


def _play(args, console) -> int:
    import random

    from sparring.arena import make_game
    from sparring.models.presets import build_model
    from sparring.recipes.selfplay import make_policy
    from sparring.terminal import play_human

    cfg, ckpt = _load_run(args.run_dir)
    game = make_game(args.game or cfg.game)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    if args.seat == "random":
        seat = random.Random(seed).randrange(game.num_players)
    elif args.seat.isdigit() and int(args.seat) < game.num_players:
        seat = int(args.seat)
    else:
        raise UsageError(f"--seat must be random or 0..{game.num_players - 1}, got {args.seat!r}")
    model, tok = build_model(cfg.model, cfg.seed, checkpoint=ckpt)
    policy = make_policy(cfg, model, tok, greedy=args.greedy)
    console.print(f"{game.name}: you are P{seat}, the model ({ckpt.name}) plays the other seats")
    play_human(game, policy, seat, show_reasoning=args.show_reasoning, seed=seed)
    return 0


def _export(args, console) -> int:
    from sparring.models.presets import build_model, export_merged

    cfg, ckpt = _load_run(args.run_dir)
    if args.out.exists() and any(args.out.iterdir()):
        raise UsageError(f"{args.out} exists and is not empty")
    model, tok = build_model(cfg.model, cfg.seed, checkpoint=ckpt)
    export_merged(model, tok, args.out)
    console.print(f"wrote {args.out} (from {ckpt}); load it with AutoModelForCausalLM.from_pretrained")
    return 0


def _games(args, console) -> int:
    from sparring.arena import list_games

    for source, names in list_games().items():
        shown = [n for n in names if not args.filter or args.filter.lower() in n.lower()]
        console.print(f"[bold]{source}[/bold] ({len(shown)}): " + ", ".join(shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
