"""The `lcr-hub` command line itself: help texts, device errors, one-line errors, quiet progress."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
import torch

from conftest import REPO, script_env
from lcr_hub.cli import _usable_device, main
from lcr_hub.constants import DEFAULT_REPO_ID, DEFAULT_SEED, ON_DUPLICATE_ERROR, ON_DUPLICATE_KEEP_FIRST
from lcr_hub_cli import build_parser

# Every command with a --device that loads a model; `env` only reports on the device.
DEVICE_COMMANDS: dict[str, list[str]] = {
    "evaluate": [],
    "calibrate": ["--data", "rows.jsonl", "--output", "out"],
    "validate": [],
    "generate": ["--base", "base", "--detector", "det", "--refinement", "ref"],
    "evaluate-answers": ["--base", "base", "--detector", "det", "--refinement", "ref", "--data", "rows.jsonl"],
    "detect": ["--data", "rows.jsonl", "--output", "preds.jsonl"],
}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_option_has_help_and_every_command_a_purpose_and_an_example():
    commands = _subcommands(build_parser())
    assert len(commands) == 13
    for name, sub in commands.items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert (action.help or "").strip(), f"lcr-hub {name} {'/'.join(action.option_strings) or action.dest}: no help"
        assert sub.description and "\n" not in sub.description, f"lcr-hub {name}: no one-line purpose"
        assert isinstance(sub.formatter_class, type) and issubclass(sub.formatter_class, argparse.RawDescriptionHelpFormatter)
        examples = [line.strip() for line in (sub.epilog or "").splitlines() if line.strip().startswith("lcr-hub ")]
        assert examples and all(e.startswith(f"lcr-hub {name}") for e in examples), f"lcr-hub {name}: no example"
        for example in examples:  # every example parses
            build_parser().parse_args(example.split()[1:])
        assert "example:" in sub.format_help()


def test_launcher_defaults_are_the_library_constants():
    commands = _subcommands(build_parser())
    assert commands["publish"].get_default("repo_id") == DEFAULT_REPO_ID
    for name in ("evaluate", "calibrate", "generate"):
        assert commands[name].get_default("seed") == DEFAULT_SEED, name
        assert commands[name].get_default("on_duplicate") == ON_DUPLICATE_ERROR, name
        assert commands[name].parse_args(["--keep-first-duplicate"] + (["--data", "x", "--output", "y"] if name == "calibrate"
                                          else ["--base", "b", "--detector", "d", "--refinement", "r"] if name == "generate"
                                          else [])).on_duplicate == ON_DUPLICATE_KEEP_FIRST, name


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "--batch-size", "0"], "argument --batch-size: expected an integer >= 1, got 0"),
    (["calibrate", "--data", "d", "--output", "o", "--batch-size", "x"], "argument --batch-size: expected an integer, got 'x'"),
    (["evaluate", "--bootstrap", "-5"], "argument --bootstrap: expected an integer >= 0, got -5"),
    (["validate", "--atol", "-1"], "argument --atol: expected a number >= 0, got -1"),
    (["generate", "--base", "b", "--detector", "d", "--refinement", "r", "--max-new-tokens", "0"],
     "argument --max-new-tokens: expected an integer >= 1, got 0"),
])
def test_out_of_range_numbers_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args(argv)
    assert exit.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"lcr-hub {argv[0]}: error: {message}"


def test_every_device_command_is_checked_here():
    with_device = {name for name, sub in _subcommands(build_parser()).items()
                   if any("--device" in a.option_strings for a in sub._actions)}
    assert with_device - {"env"} == set(DEVICE_COMMANDS)


CUDA_MISSING = not torch.cuda.is_available()


@pytest.mark.skipif(not CUDA_MISSING, reason="needs a machine without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:7"])
@pytest.mark.parametrize("command", sorted(DEVICE_COMMANDS))
def test_unavailable_device_is_one_line_and_exit_2(command, device, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([command, *DEVICE_COMMANDS[command], "--device", device]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    # The wording of `lcr-hub env --device cuda`: what torch sees, and what to use instead.
    assert err.startswith(f"lcr-hub {command}: error: --device {device}: 0 CUDA device(s) visible to torch"), err
    assert "use device='cpu' or 'auto'" in err


@pytest.mark.parametrize("device", ["mps", "tpu", "cuda:x"])
def test_other_bad_devices_are_one_line(device, capsys):
    if device == "mps" and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        pytest.skip("this machine has MPS")
    assert main(["validate", "--device", device]) == 2
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("lcr-hub validate: error: ") and repr(device) in err or (
        f"--device {device}: " in err), err


def test_auto_device_resolves_to_what_is_there():
    assert _usable_device("auto") == ("cuda:0" if torch.cuda.is_available() else "cpu")
    assert _usable_device("cpu") == "cpu"


def test_generate_with_device_map_skips_the_device_check(capsys, tmp_path):
    # --device is ignored with --device-map, so an unavailable one must not stop the command;
    # it stops later, at the missing base folder, with one line.
    code = main(["generate", "--base", str(tmp_path / "no-base"), "--detector", str(tmp_path / "d"),
                 "--refinement", str(tmp_path / "r"), "--device", "cuda:7", "--device-map", "auto"])
    _, err = capsys.readouterr()
    assert code == 2 and "--device cuda:7" not in err and err.count("\n") == 1, err


def test_bad_max_memory_is_a_config_error(capsys, tmp_path):
    code = main(["generate", "--base", "b", "--detector", "d", "--refinement", "r", "--max-memory", "20GiB"])
    _, err = capsys.readouterr()
    assert code == 2 and err == "lcr-hub generate: error: --max-memory expects DEVICE=AMOUNT " \
                               "(e.g. 0=20GiB or cpu=64GiB), got '20GiB'\n"


def test_os_error_is_one_line_naming_the_path(capsys, tmp_path, monkeypatch):
    import lcr_hub.cli as cli

    def fail(args):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out.json"))

    monkeypatch.setitem(cli._COMMANDS, "variants", fail)
    assert main(["variants"]) == 2
    _, err = capsys.readouterr()
    assert err == f"lcr-hub variants: error: {tmp_path / 'out.json'}: Permission denied; check the path and its permissions\n"


def test_value_error_is_one_line(capsys, monkeypatch):
    import lcr_hub.cli as cli

    def fail(args):
        raise ValueError("bad\n  value")

    monkeypatch.setitem(cli._COMMANDS, "variants", fail)
    assert main(["variants"]) == 2
    _, err = capsys.readouterr()
    assert err == "lcr-hub variants: error: bad value (ValueError; check the arguments named above)\n"


@pytest.mark.parametrize("hub_bars_before", ["on", "off"])
def test_third_party_bars_are_off_inside_a_command_and_restored_after(hub_bars_before, monkeypatch):
    import datasets
    import huggingface_hub.utils as hub_utils
    from transformers.utils import logging as transformers_logging

    import lcr_hub.cli as cli

    def state() -> tuple[bool, bool, bool]:
        return (transformers_logging.is_progress_bar_enabled(), hub_utils.are_progress_bars_disabled(),
                datasets.are_progress_bars_disabled())

    seen = {}

    def probe(args):
        seen["during"] = state()
        return 0

    monkeypatch.setitem(cli._COMMANDS, "variants", probe)
    if hub_bars_before == "off":  # transformers' on, huggingface_hub's off: each comes back as it was
        hub_utils.disable_progress_bars()
    try:
        before = state()
        assert before == (True, hub_bars_before == "off", False)
        assert main(["variants"]) == 0
        assert seen["during"] == (False, True, True)
        assert state() == before
    finally:
        hub_utils.enable_progress_bars()


@pytest.mark.slow
def test_evaluate_shows_our_bars_only_and_no_progress_hides_them(capfd, write_jsonl):
    from lcr_hub.data import SAMPLE_DATA_PATH
    from lcr_hub.pipeline import LCRPipeline

    # Control: outside a command, loading the embedded models shows transformers' bars.
    LCRPipeline.from_pretrained()
    assert "Loading weights" in capfd.readouterr().err

    rows = SAMPLE_DATA_PATH.read_text().splitlines()[:4]
    data = write_jsonl(rows)
    assert main(["evaluate", "--data", str(data), "--bootstrap", "0"]) == 0
    err = capfd.readouterr().err
    assert "Loading weights" not in err and "Scoring" in err, err
    assert main(["evaluate", "--data", str(data), "--bootstrap", "0", "--no-progress"]) == 0
    assert capfd.readouterr().err == ""


def test_python_m_lcr_hub_uses_the_same_parser():
    result = subprocess.run([sys.executable, "-m", "lcr_hub", "variants", "--help"], capture_output=True, text=True,
                            env=script_env(), cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("usage: lcr-hub variants") and "example:\n  lcr-hub variants" in result.stdout
