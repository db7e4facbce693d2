"""Text in, conflict decisions out: the detector and classifier on one shared encoder pass."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from .checkpoint import default_checkpoint
from .constants import CONFLICT_LEVELS
from .data import tokenize_examples
from .errors import ConfigError
from .localization import Localization, document_refs, localize, split_pair_logits
from .encoding.features import BaseEncoder, load_encoder
from .models.modeling_lcr import LCRClassifier, LCRDetector
from .data.windows import Windowing, group_windows
from .encoding.batches import input_windowing, length_sorted_batches


@dataclass
class LCRPredictions:
    """Predictions for a list of rows, in their order.

    Attributes:
        conflict_probability: ``(n,)`` detector probability.
        detected: ``(n,)`` bool, probability >= the detector's threshold.
        level_probabilities: ``(n, 4)`` classifier probabilities, or None without a classifier.
        conflict_logits: ``(n,)`` the detector's raw logits (before its temperature).
        level_logits: ``(n, 4)`` the classifier's raw logits, or None.
        pair_logits: Per row, the detector's logit of each document pair (``n (n - 1) / 2``,
            in ``torch.triu_indices`` order), or None for a detector without document pooling.
        localizations: Per row, where the conflict is (:class:`~lcr_hub.localization.Localization`:
            pair probabilities, the most conflicting pair, per-document scores), or None.
        windows_cut: ``(n,)`` windows of each row dropped by the pipeline's ``max_windows``
            cap (always 0 without a cap, and for joint-sequence checkpoints).
        documents_cut: ``(n,)`` documents of each row that reached no model: dropped by
            the cap, or (joint-sequence checkpoints only) truncated away at the encoder's
            window. 0 means every document was read.
    """

    conflict_probability: np.ndarray
    detected: np.ndarray
    level_probabilities: np.ndarray | None
    conflict_logits: np.ndarray | None = None
    level_logits: np.ndarray | None = None
    pair_logits: list[np.ndarray] | None = None
    localizations: list[Localization] | None = None
    windows_cut: np.ndarray | None = None
    documents_cut: np.ndarray | None = None

    @property
    def levels(self) -> list[str] | None:
        """The most probable level label of each row (``L1_temporal``...), or None."""
        if self.level_probabilities is None:
            return None
        return [CONFLICT_LEVELS[int(i)].label for i in self.level_probabilities.argmax(-1)]


class LCRPipeline:
    """Runs the base encoder once per example and feeds both heads.

    Args:
        detector: A trained :class:`LCRDetector`.
        encoder: The base encoder the detector reads (``detector.config.base_model_*``).
        classifier: Optionally an :class:`LCRClassifier`; a frozen one must read the same
            encoder.
        max_windows: Optional cap on the windows read per row (models with
            ``input_mode="windows"``); what it drops is counted in the predictions'
            ``windows_cut`` and ``documents_cut``. None (default): every window is read.

    Example:
        >>> from lcr_hub import LCRPipeline
        >>> pipe = LCRPipeline.from_pretrained()  # the embedded checkpoints
        >>> row = {"query": "When did the bridge open?", "documents": [
        ...     {"text": "The bridge opened in 1932."}, {"text": "It opened to traffic in 1936."}]}
        >>> pipe.predict([row]).conflict_probability.shape
        (1,)
    """

    def __init__(
        self,
        detector: LCRDetector,
        encoder: BaseEncoder,
        classifier: LCRClassifier | None = None,
        max_windows: int | None = None,
    ) -> None:
        if classifier is not None and classifier.config.freeze_encoder:
            if classifier.config.base_model_name_or_path != detector.config.base_model_name_or_path:
                raise ConfigError(
                    "The classifier's frozen encoder "
                    f"({classifier.config.base_model_name_or_path}) differs from the detector's "
                    f"({detector.config.base_model_name_or_path}); they must share one encoder pass."
                )
        self.detector = detector.eval().to(encoder.device)
        self.classifier = classifier.eval().to(encoder.device) if classifier is not None else None
        self.encoder = encoder
        self.windowing = input_windowing(detector.config, max_windows)
        self._classifier_windowing = (
            input_windowing(classifier.config, max_windows) if classifier is not None else None
        )
        self._classifier_tokenizer = None
        if classifier is not None and not classifier.config.freeze_encoder:
            from transformers import AutoTokenizer

            self._classifier_tokenizer = AutoTokenizer.from_pretrained(classifier.name_or_path)

    @classmethod
    def from_pretrained(
        cls,
        detector: str | os.PathLike | None = None,
        classifier: str | os.PathLike | None = None,
        *,
        with_classifier: bool = True,
        device: str | torch.device = "cpu",
        max_windows: int | None = None,
        **kwargs,
    ) -> "LCRPipeline":
        """Load the detector, the classifier and their base encoder.

        Args:
            detector: Folder or Hub id of the detector (default: the embedded checkpoint).
            classifier: Folder or Hub id of the classifier (default: the embedded one).
            with_classifier: Set False to load the detector only.
            device: Where to run.
            max_windows: Optional cap on windows per row (see the class).
            **kwargs: Passed to both ``from_pretrained`` calls (``revision``, ``subfolder``...).

        Returns:
            The pipeline.

        Raises:
            CheckpointError, ConfigError, EncoderError: A model or the encoder cannot be loaded.
        """
        detector = detector or default_checkpoint("detector")
        detector_model = LCRDetector.from_pretrained(detector, **kwargs)
        if detector_model.config.base_model_name_or_path is None:
            raise ConfigError(
                f"The detector {detector} has no 'base_model_name_or_path' in its config.json, so its base "
                "encoder is unknown. Set it (and 'base_model_revision') to the encoder the detector was "
                "trained on, as the training scripts do, then save the config again."
            )
        classifier_model = None
        if with_classifier:
            classifier_model = LCRClassifier.from_pretrained(classifier or default_checkpoint("classifier"), **kwargs)
        encoder = load_encoder(
            detector_model.config.base_model_name_or_path,
            detector_model.config.base_model_revision,
            device=device,
        )
        return cls(detector_model, encoder, classifier_model, max_windows=max_windows)

    def batches(self, rows: Sequence[Mapping], batch_size: int = 32) -> list[list[int]]:
        """The batches :meth:`predict` runs: row indices grouped by formatted length.

        A row's probabilities depend (in the last bits) on the rows padded with it, so
        running these batches anywhere, in any order, gives :meth:`predict`'s results.

        Args:
            rows: As for :meth:`predict`.
            batch_size: Rows per encoder pass.

        Returns:
            Lists of indices into ``rows``, longest rows first; each index appears once.
        """
        lengths = [len(self.encoder.format(row["query"], row["documents"]).text) for row in rows]
        return length_sorted_batches(lengths, batch_size)

    @torch.inference_mode()
    def predict(
        self, rows: Sequence[Mapping], *, batch_size: int = 32, progress: bool = True
    ) -> LCRPredictions:
        """Score rows (mappings with ``query`` and ``documents``; annotations are never read).

        Args:
            rows: LCR rows or plain ``{"query", "documents"}`` mappings.
            batch_size: Rows per encoder pass (rows are batched by length).
            progress: Show a progress bar.

        Returns:
            :class:`LCRPredictions` in the order of ``rows``.
        """
        formatted = [self.encoder.format(row["query"], row["documents"]) for row in rows]
        n = len(rows)
        probabilities = np.zeros(n, dtype=np.float64)
        logits = np.zeros(n, dtype=np.float64)
        levels = np.zeros((n, len(CONFLICT_LEVELS)), dtype=np.float64) if self.classifier is not None else None
        level_logits = np.zeros((n, len(CONFLICT_LEVELS)), dtype=np.float64) if self.classifier is not None else None
        shared = self.classifier is not None and self.classifier.config.freeze_encoder
        layers = [self.detector.config.layer_index] + ([self.classifier.config.layer_index] if shared else [])
        pair_logits: list[np.ndarray | None] = [None] * n
        windows_cut = np.zeros(n, dtype=np.int64)
        documents_cut = np.zeros(n, dtype=np.int64)
        with tqdm(total=n, desc="Scoring", unit="row", disable=not progress) as bar:
            for indices in self.batches(rows, batch_size):
                batch_examples = [formatted[i] for i in indices]
                one_pass = shared and self._classifier_windowing == self.windowing
                states, attention, documents, cut = self._states(batch_examples, layers if one_pass else layers[:1],
                                                                 self.windowing)
                windows_cut[indices], documents_cut[indices] = cut
                layer = self.detector.config.layer_index
                out = self.detector(states[layer], attention_mask=attention, document_mask=documents)
                probabilities[indices] = out.probabilities.float().cpu().numpy()
                logits[indices] = out.logits.float().cpu().numpy()
                if out.pair_logits is not None:  # localisation: each row's own pairs
                    rows_pairs = split_pair_logits(out.pair_logits.float().cpu().numpy(),
                                                   [len(rows[i]["documents"]) for i in indices])
                    for i, row_pairs in zip(indices, rows_pairs):
                        pair_logits[i] = row_pairs
                if self.classifier is not None and levels is not None:
                    if shared:
                        if not one_pass:
                            states, attention, _, _ = self._states(batch_examples, layers[1:], self._classifier_windowing)
                        cls_out = self.classifier(
                            hidden_states=states[self.classifier.config.layer_index], attention_mask=attention
                        )
                    else:
                        cls_batch = tokenize_examples(self._classifier_tokenizer, batch_examples)
                        cls_out = self.classifier(
                            input_ids=cls_batch["input_ids"].to(self.encoder.device),
                            attention_mask=cls_batch["attention_mask"].to(self.encoder.device),
                        )
                    levels[indices] = cls_out.probabilities.float().cpu().numpy()
                    level_logits[indices] = cls_out.logits.float().cpu().numpy()
                bar.update(len(indices))
        return LCRPredictions(
            conflict_probability=probabilities,
            detected=probabilities >= self.detector.config.threshold,
            level_probabilities=levels,
            conflict_logits=logits,
            level_logits=level_logits,
            windows_cut=windows_cut,
            documents_cut=documents_cut,
            **self.localize(rows, pair_logits),
        )

    def localize(self, rows: Sequence[Mapping], pair_logits: Sequence[np.ndarray | None]) -> dict:
        """``pair_logits`` and ``localizations`` of :class:`LCRPredictions` for rows and their pair logits.

        Args:
            rows: The rows (their ``documents`` name the pairs: ``doc_id``, else position).
            pair_logits: Each row's pair logits (None everywhere for a detector without pairs).

        Returns:
            ``{"pair_logits": [...], "localizations": [...]}``, both None without pair logits.
        """
        if not rows or any(p is None for p in pair_logits):
            return {"pair_logits": None, "localizations": None}
        temperature = self.detector.config.calibration_temperature
        return {
            "pair_logits": list(pair_logits),
            "localizations": [
                localize(p, document_refs(row["documents"]), temperature) for row, p in zip(rows, pair_logits)
            ],
        }

    def _states(
        self, examples: Sequence, layers: Sequence[int], windowing: Windowing | None
    ) -> tuple[dict[int, torch.Tensor], torch.Tensor, torch.Tensor, tuple[np.ndarray, np.ndarray]]:
        """One encoder pass: states per layer, attention and document masks (``(rows, seq)``, or
        ``(rows, windows, seq)`` with windows), and per row the windows and documents cut."""
        hidden, batch = self.encoder.hidden_states(examples, layers, windowing)
        device = self.encoder.device
        if windowing is None:
            present = [len(set(row[row >= 0].tolist())) for row in batch["document_mask"]]
            lost = np.asarray([len(e.document_spans) - k for e, k in zip(examples, present)])
            return hidden, batch["attention_mask"].to(device), batch["document_mask"].to(device), (lost * 0, lost)
        owner, n = batch["window_example"], len(examples)
        attention, documents = group_windows(owner, n, batch["attention_mask"], batch["document_mask"], fill=(0, -1))
        grouped = {k: group_windows(owner, n, v)[0] for k, v in hidden.items()}
        cut = (batch["windows_cut"].numpy(), batch["documents_cut"].numpy())
        return grouped, attention.to(device), documents.to(device), cut
