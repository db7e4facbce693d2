"""The embedded detector and classifier, installed as ``lcr_hub.checkpoints`` (package data).

In a checkout they live in the top-level ``checkpoints/`` folder; the wheel (and an editable
install, through setuptools' package-dir mapping) places them at ``lcr_hub/checkpoints``. Each
subfolder is a released variant, byte for byte: find it with
``lcr_hub.checkpoint.default_checkpoint("detector")``, never by a path of your own.
"""
