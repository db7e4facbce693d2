"""Private helpers of lcr_hub (paths, provenance); not part of the public API."""
