"""The original release's documented workflow, made real as a thin layer over lcr_hub.

``LCRModelLoader`` and ``CalibrationValidator`` keep the names and arguments of the
original release's checkpoints README. Everything they do is done by the package:
locating folders (:func:`lcr_hub.hub.layout.component_folder`), sha256 verification
(:mod:`lcr_hub.hub.loading`), ``from_pretrained``, the environment checks
(:func:`lcr_hub.env.compatibility_report`) and the reference-output / calibration checks of
``lcr-hub validate`` (:func:`lcr_hub.evaluation.reference.validate_models`).

Example:
    >>> from lcr_hub.checkpoint import checkpoints_root
    >>> from lcr_hub.compat import CalibrationValidator, LCRModelLoader
    >>> loader = LCRModelLoader(checkpoint_dir=checkpoints_root(), device="cpu", precision="fp32")
    >>> loader.validate_environment().fully_compatible
    True
    >>> CalibrationValidator(recompute_figures=False).validate_detector(loader.load_detector())[0]
    True
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Callable

import torch

from .hub.layout import component_folder, unavailable_hint
from .constants import COMPONENTS, DEFAULT_VARIANT, PRECISIONS
from .env import EnvironmentReport, compatibility_report, describe_verified, resolve_device
from .errors import CalibrationDriftError, CheckpointError, ConfigError, IncompatibleEnvironmentError
from .evaluation.reference import DRIFT_MESSAGE, format_validation, validate_models
from .hub.loading import fetch_verified, verify_local_checkpoint
from .hub.registry import get_variant
from .models.modeling_lcr import LCRClassifier, LCRDetector, LCRRefinement

_CLASSES = {"detector": LCRDetector, "refinement": LCRRefinement, "classifier": LCRClassifier}


class LCRModelLoader:
    """Load the LCR models from a local checkpoints folder or a Hub repo, verified and checked.

    Args:
        checkpoint_dir: A local folder (``checkpoints/``: ``<component>/`` or
            ``<component>/<variant>/`` subfolders) or a Hub repo id such as
            ``"lcr-research/lcr-checkpoints"`` (``<component>/<variant>`` subfolders).
        strict_validation: Make an incompatible environment, an unpinned Hub revision and
            calibration drift on load errors instead of warnings.
        calibration_check: Recompute each loaded model's reference outputs (as
            ``lcr-hub validate --reference-only``) and report drift.
        verify_integrity: Check a local folder's files against the digests it records
            (``checksums.sha256``, ``weights_sha256``) before loading. Hub downloads are always
            checked against the registry's pinned digests.
        device: ``"cpu"``, ``"cuda:0"``... or ``"auto"`` (CUDA when available, else CPU).
        precision: ``"fp32"``, ``"fp16"`` or ``"bf16"``.
        revision: For a Hub repo: a full commit sha or a release tag for every component;
            default: each variant's pinned release commit from the registry.

    Raises:
        ConfigError: Unknown precision or device string.

    Example:
        >>> from lcr_hub.checkpoint import checkpoints_root
        >>> loader = LCRModelLoader(checkpoint_dir=checkpoints_root(), precision="fp32")
        >>> models = loader.load_all()
        >>> sorted(models)
        ['classifier', 'detector']
    """

    def __init__(
        self,
        checkpoint_dir: str | os.PathLike = "checkpoints/",
        strict_validation: bool = False,
        calibration_check: bool = True,
        verify_integrity: bool = True,
        device: str = "auto",
        precision: str = "fp32",
        revision: str | None = None,
    ) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(f"precision {precision!r} is not one of {sorted(PRECISIONS)}.")
        self.checkpoint_dir = os.fspath(checkpoint_dir)
        self.is_local = os.path.isdir(self.checkpoint_dir)
        self.strict_validation = strict_validation
        self.calibration_check = calibration_check
        self.verify_integrity = verify_integrity
        self.device = resolve_device(device)
        self.dtype_name = PRECISIONS[precision]
        self.dtype = getattr(torch, self.dtype_name)
        self.revision = revision
        self._environment: EnvironmentReport | None = None

    # ------------------------------------------------------------------ sources

    def _hub_source(self, component: str, variant: str | None) -> tuple[str, dict[str, Any]]:
        subfolder = f"{component}/{variant or DEFAULT_VARIANT}"
        revision = self.revision
        if revision is None:
            try:
                release = get_variant(subfolder)
            except CheckpointError:
                raise CheckpointError(
                    f"No revision given and lcr_hub's registry has no release {subfolder!r} to pin. "
                    + unavailable_hint(component) + " Or pass revision=<full commit sha> for an unregistered one."
                ) from None
            revision = release.commit
        return self.checkpoint_dir, {"subfolder": subfolder, "revision": revision, "require_pinned": self.strict_validation}

    def _local_folder(self, component: str, variant: str | None) -> Path:
        folder = component_folder(self.checkpoint_dir, component, variant)
        if self.verify_integrity:
            verify_local_checkpoint(folder)
        return folder

    def _verifier(self, component: str, variant: str | None = None) -> Callable[[], str]:
        def run() -> str:
            if self.is_local:
                folder = component_folder(self.checkpoint_dir, component, variant)
                if not self.verify_integrity:
                    return f"{folder}: present (sha256 not checked: verify_integrity=False)"
                return describe_verified(folder, verify_local_checkpoint(folder))
            repo_id, kwargs = self._hub_source(component, variant)
            source = fetch_verified(repo_id, kwargs["subfolder"], kwargs["revision"], require_pinned=kwargs["require_pinned"])
            return f"{repo_id}/{kwargs['subfolder']}@{source.commit}: sha256 verified against the registry or manifest"
        return run

    def has_component(self, component: str, variant: str | None = None) -> bool:
        """Whether the checkpoint source offers ``component`` (a local folder, or a registry release)."""
        try:
            if self.is_local:
                component_folder(self.checkpoint_dir, component, variant)
            elif self.revision is None:
                self._hub_source(component, variant)
        except CheckpointError:
            return False
        return True

    # ------------------------------------------------------------------ checks

    def validate_environment(self) -> EnvironmentReport:
        """Check Python, packages, the device, the dtype and the checkpoint files.

        The checkpoint checks cover the detector and classifier, and the refinement model
        when the source has one; a GPU is not required.

        Returns:
            An :class:`~lcr_hub.env.EnvironmentReport` (``fully_compatible``, ``checks``, ``format()``).

        Raises:
            IncompatibleEnvironmentError: ``strict_validation`` and a check failed.
        """
        components = [c for c in COMPONENTS if c != "refinement" or self.has_component(c)]
        report = compatibility_report(self.device, self.dtype_name, {c: self._verifier(c) for c in components})
        self._environment = report
        if self.strict_validation and not report.fully_compatible:
            raise IncompatibleEnvironmentError(
                "Environment incompatible (strict_validation=True):\n"
                + "\n".join(f"  {c.name}: {c.detail}" for c in report.failures)
                + "\nSee `lcr-hub env` for the full report."
            )
        return report

    def _load(self, component: str, variant: str | None = None):
        if self.strict_validation and self._environment is None:
            self.validate_environment()
        if self.is_local:
            model = _CLASSES[component].from_pretrained(self._local_folder(component, variant), dtype=self.dtype)
        else:
            repo_id, kwargs = self._hub_source(component, variant)
            model = _CLASSES[component].from_pretrained(repo_id, dtype=self.dtype, **kwargs)
        model = model.to(self.device).eval()
        if self.calibration_check and component != "refinement":
            [report] = CalibrationValidator(strict=self.strict_validation, recompute_figures=False).validate(model)
            if not report["ok"]:
                warnings.warn(DRIFT_MESSAGE + "\n" + format_validation([report]), stacklevel=3)
        return model

    # ------------------------------------------------------------------ loading

    def load_detector(self, variant: str | None = None) -> LCRDetector:
        """The conflict detector (default variant ``minilm``), verified and checked.

        Raises:
            IntegrityError: A file differs from its digest ("Checkpoint hash mismatch").
            CheckpointError: No detector in the source.
            CalibrationDriftError: ``strict_validation`` and its outputs drifted.
            IncompatibleEnvironmentError: ``strict_validation`` and the environment is incompatible.
        """
        return self._load("detector", variant)

    def load_refinement(self, variant: str | None = None) -> LCRRefinement:
        """The refinement module, if the source has one (the embedded checkpoints do not).

        Raises:
            CheckpointError: The source has no refinement checkpoint; the message says what
                is missing and how to get one.
        """
        return self._load("refinement", variant)

    def load_classifier(self, variant: str | None = None) -> LCRClassifier:
        """The taxonomy classifier of a variant (default ``minilm``, the embedded one).

        Raises:
            CheckpointError: No such variant; the message lists the ones there are.
        """
        return self._load("classifier", variant)

    def load_all(self) -> dict[str, Any]:
        """The detector, the classifier, and the refinement module when the source has one.

        Returns:
            ``{"detector", "classifier"}`` plus ``"refinement"`` when present.
        """
        models = {"detector": self.load_detector(), "classifier": self.load_classifier()}
        if self.has_component("refinement"):
            models["refinement"] = self.load_refinement()
        return models


class CalibrationValidator:
    """Check loaded models against the reference outputs and calibration figures stored beside their weights.

    Args:
        strict: Raise :class:`~lcr_hub.errors.CalibrationDriftError` on drift instead of
            returning ``is_valid=False``.
        recompute_figures: Also recompute the validation ECE/Brier when the training data is
            here (as ``lcr-hub validate``; minutes on a CPU). False: reference outputs only.
        atol: Allowed |drift| per reference probability (default from the model's dtype).

    Example:
        >>> from lcr_hub import LCRDetector
        >>> from lcr_hub.checkpoint import default_checkpoint
        >>> detector = LCRDetector.from_pretrained(default_checkpoint("detector"))
        >>> validator = CalibrationValidator(strict=True, recompute_figures=False)
        >>> is_valid, report = validator.validate_detector(detector)
        >>> is_valid
        True
    """

    def __init__(self, strict: bool = False, recompute_figures: bool = True, atol: float | None = None) -> None:
        self.strict = strict
        self.recompute_figures = recompute_figures
        self.atol = atol

    def validate(self, *models) -> list[dict]:
        """Validate models (sharing encoder passes); strict raises on any drift.

        Returns:
            One ``lcr-hub validate`` report per model.

        Raises:
            CalibrationDriftError: ``strict`` and a model drifted ("Calibration drift detected").
            CheckpointError: A model's folder has no reference outputs.
        """
        reports = validate_models(models, atol=self.atol, recompute_figures=self.recompute_figures)
        if self.strict and not all(r["ok"] for r in reports):
            raise CalibrationDriftError(DRIFT_MESSAGE + "\n" + format_validation(reports))
        return reports

    def _one(self, model, expected: type) -> tuple[bool, dict]:
        if not isinstance(model, expected):
            raise ConfigError(f"expected an {expected.__name__}, got {type(model).__name__}")
        [report] = self.validate(model)
        return report["ok"], report

    def validate_detector(self, model: LCRDetector) -> tuple[bool, dict]:
        """``(is_valid, report)`` for a detector. Raises CalibrationDriftError in strict mode."""
        return self._one(model, LCRDetector)

    def validate_classifier(self, model: LCRClassifier) -> tuple[bool, dict]:
        """``(is_valid, report)`` for a classifier. Raises CalibrationDriftError in strict mode."""
        return self._one(model, LCRClassifier)

    def validate_full_system(self, detector=None, refinement=None, classifier=None) -> tuple[bool, dict[str, dict]]:
        """``(all_valid, reports)`` for the models given (None ones are skipped).

        A refinement module has no reference outputs in lcr_hub: passing one raises
        :class:`~lcr_hub.errors.CheckpointError` saying so.
        """
        given = {name: m for name, m in (("detector", detector), ("refinement", refinement),
                                         ("classifier", classifier)) if m is not None}
        if "refinement" in given:
            raise CheckpointError(
                "lcr_hub stores reference outputs for the detector and the classifier only, so a refinement module "
                "cannot be calibration-checked; pass refinement=None."
            )
        reports = dict(zip(given, self.validate(*given.values())))
        return all(r["ok"] for r in reports.values()), reports

    @staticmethod
    def print_report(report: dict | list[dict]) -> None:
        """Print one report, a list, or the dict of :meth:`validate_full_system`, as `lcr-hub validate` does."""
        if isinstance(report, dict):
            report = [report] if "model_type" in report else list(report.values())
        print(format_validation(report))
        if not all(r["ok"] for r in report):
            print(DRIFT_MESSAGE)

__all__ = ["CalibrationValidator", "LCRModelLoader"]
