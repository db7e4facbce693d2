import json

import pytest
from transformers import AutoConfig

import lcr_hub  # noqa: F401  (registers the auto classes)
from lcr_hub import LCRClassifierConfig, LCRDetectorConfig, LCRRefinementConfig
from lcr_hub.errors import ConfigError
from lcr_hub.constants import CONFLICT_LEVELS, level_by_code


@pytest.mark.parametrize("cls", [LCRDetectorConfig, LCRRefinementConfig, LCRClassifierConfig])
def test_round_trip_and_auto_config(cls, tmp_path):
    config = cls(layer_index=2, base_model_name_or_path="org/base", base_model_revision="a" * 40)
    config.save_pretrained(tmp_path)
    loaded = AutoConfig.from_pretrained(tmp_path)
    assert type(loaded) is cls
    assert loaded.to_diff_dict() == config.to_diff_dict()
    assert (loaded.base_model_name_or_path, loaded.base_model_revision, loaded.layer_index) == ("org/base", "a" * 40, 2)


def test_wrong_model_type_is_refused_with_path(tmp_path):
    LCRDetectorConfig().save_pretrained(tmp_path)
    with pytest.raises(ConfigError, match="model_type 'lcr_refinement'.*model_type 'lcr_detector'"):
        LCRRefinementConfig.from_pretrained(tmp_path)


def test_missing_required_key_is_named(tmp_path):
    LCRRefinementConfig().save_pretrained(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    del data["t_max"]
    (tmp_path / "config.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"missing required key\(s\) \['t_max'\]"):
        LCRRefinementConfig.from_pretrained(tmp_path)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"pooling": "max"}, "pooling must be one of"),
        ({"threshold": 1.5}, "threshold"),
        ({"calibration_temperature": 0.0}, "calibration_temperature"),
        ({"layer_index": -1}, "layer_index"),
        ({"document_attention": "pointer"}, "document_attention must be one of"),
        ({"document_attention": "query", "pooling": "documents"}, "input_mode='windows'"),
        ({"document_attention": "query", "input_mode": "windows"}, "pooling='documents'"),
    ],
)
def test_detector_config_validation(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        LCRDetectorConfig(**kwargs)


def test_classifier_labels_are_fixed():
    config = LCRClassifierConfig()
    assert [config.id2label[i] for i in range(4)] == [level.label for level in CONFLICT_LEVELS]
    assert config.label2id["L3_entity"] == 2
    with pytest.raises(ConfigError, match="fixed by the LCR taxonomy"):
        LCRClassifierConfig(id2label={0: "a", 1: "b"})


def test_classifier_config_json_labels_and_level_lookup(tmp_path):
    LCRClassifierConfig().save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    labels = {"0": "L1_temporal", "1": "L2_numerical", "2": "L3_entity", "3": "L4_semantic"}  # the spec's ids
    assert saved["id2label"] == labels
    assert saved["label2id"] == {label: int(i) for i, label in labels.items()}
    assert saved["refine_levels"] == ["L1_temporal", "L2_numerical"]
    assert [(lv.id, lv.code, lv.kind) for lv in CONFLICT_LEVELS] == [
        (0, "L1", "temporal"), (1, "L2", "numerical"), (2, "L3", "entity"), (3, "L4", "semantic")]
    assert level_by_code("L4").label == "L4_semantic"
    with pytest.raises(KeyError, match=r"unknown conflict level 'L5'.*\['L1', 'L2', 'L3', 'L4'\]"):
        level_by_code("L5")


def test_finetuned_classifier_needs_encoder_config():
    with pytest.raises(ConfigError, match="encoder_config"):
        LCRClassifierConfig(freeze_encoder=False)


@pytest.mark.parametrize("cls", [LCRDetectorConfig, LCRClassifierConfig])
def test_input_mode_is_recorded_and_old_configs_read_joint(cls, tmp_path):
    cls(hidden_size=8, input_mode="windows", window_overlap=32).save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert (saved["input_mode"], saved["window_overlap"]) == ("windows", 32)
    assert cls.from_pretrained(tmp_path).input_mode == "windows"
    del saved["input_mode"], saved["window_overlap"]  # a config.json written before windows existed
    (tmp_path / "config.json").write_text(json.dumps(saved))
    assert cls.from_pretrained(tmp_path).input_mode == "joint"
    with pytest.raises(ConfigError, match="input_mode"):
        cls(hidden_size=8, input_mode="chunks")
    with pytest.raises(ConfigError, match="window_overlap"):
        cls(hidden_size=8, window_overlap=-1)


@pytest.mark.parametrize("cls", [LCRDetectorConfig, LCRClassifierConfig])
def test_a_packed_config_reads_packed_windows(cls):
    from lcr_hub.data.windows import Windowing
    from lcr_hub.encoding.batches import input_windowing

    config = cls(hidden_size=8, input_mode="packed", window_overlap=16)
    assert input_windowing(config, max_windows=3) == Windowing(overlap=16, max_windows=3, pack=True)
    assert input_windowing(cls(hidden_size=8, input_mode="windows")).pack is False
    assert input_windowing(cls(hidden_size=8)) is None  # joint


def test_query_attention_accepts_packed_windows():
    config = LCRDetectorConfig(hidden_size=8, pooling="documents", document_attention="query", input_mode="packed")
    assert config.document_attention == "query"
