"""Config: overrides parsed by type, unknown keys and bad values named in one line."""
from __future__ import annotations

import pytest

from sparring.config import ConfigError, RunConfig, load, save, set_value, validate
from sparring.recipes import PRESETS


def test_overrides_are_parsed_by_field_type():
    cfg = RunConfig()
    for a in ["learner.lr=1e-4", "rollout.games=64", "eval.greedy=yes", "eval.opponents=random,mcts:20",
              "learner.betas=0.8,0.95", "model.tiny.hidden=64"]:
        set_value(cfg, a)
    assert cfg.learner.lr == 1e-4 and cfg.rollout.games == 64 and cfg.eval.greedy is True
    assert cfg.eval.opponents == ["random", "mcts:20"] and cfg.learner.betas == (0.8, 0.95)
    assert cfg.model.tiny.hidden == 64
    validate(cfg)


@pytest.mark.parametrize("assignment,needle", [
    ("learner.lrr=1", "did you mean learner.lr"),
    ("learner.lr=fast", "expected float"),
    ("rollout.games=2.5", "expected int"),
    ("eval.greedy=maybe", "expected bool"),
    ("model=tiny", "is a section"),
    ("steps", "key=value"),
])
def test_bad_overrides_name_the_key(assignment, needle):
    with pytest.raises(ConfigError, match=needle):
        set_value(RunConfig(), assignment)


@pytest.mark.parametrize("assignment,needle", [
    ("checkpoint_every=0", "checkpoint_every"),
    ("rollout.pool_latest=0", "rollout.pool_latest"),
    ("learner.kl_coef=-1", "learner.kl_coef"),
    ("rollout.pool_prob=1.5", "rollout.pool_prob"),
    ("advantage.decay=1", "advantage.decay"),
    ("model.temperature=0", "model.temperature"),
    ("rollout.opponents=grandmaster", "grandmaster"),
    ("eval.opponents=mcts:lots", "mcts:lots"),
    ("rollout.invalid=ignore", "rollout.invalid"),
    ("advantage.estimator=gae", "learner.value_coef"),
    ("learner.value_coef=0.5", "advantage.estimator=gae"),
    ("advantage.lam=1.5", "advantage.lam"),
])
def test_validation_rejects_bad_values(assignment, needle):
    cfg = RunConfig()
    set_value(cfg, assignment)
    with pytest.raises(ConfigError, match=needle):
        validate(cfg)


def test_presets_are_valid_and_round_trip(tmp_path):
    for make in PRESETS.values():
        cfg = validate(make())
        save(cfg, tmp_path / "c.json")
        assert load(tmp_path / "c.json") == cfg


def test_corrupt_config_file_is_a_clear_error(tmp_path):
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read config"):
        load(tmp_path / "c.json")
    (tmp_path / "c.json").write_text('{"stepz": 3}')
    with pytest.raises(ConfigError, match="stepz"):
        load(tmp_path / "c.json")


def test_smollm2_preset_without_its_package_names_the_install_command(monkeypatch):
    import importlib.util

    from sparring.models import presets

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(presets.ModelError) as e:
        presets.smollm2_gguf()
    assert presets.SMOLLM2_INSTALL in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("assignments,needle", [
    (["advantage.estimator=gae", "learner.value_coef=0.5", "advantage.per_state=true"], "per_state"),
    (["recipe=propose-solve-arithmetic", "tasks.domain=arithmetic(style=question)", "tasks.attempts=2"],
     "majority"),
    (["model.mode=generate", "learner.entropy_coef=0.01"], "learner.entropy_coef"),
    (["recipe=propose-solve-arithmetic", "model.mode=generate", "learner.explore_coef=0.1"], "kl_coef"),
])
def test_combinations_that_would_silently_do_nothing_are_refused(assignments, needle):
    cfg = RunConfig()
    for a in assignments:
        set_value(cfg, a)
    with pytest.raises(ConfigError, match=needle):
        validate(cfg)
