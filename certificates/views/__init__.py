"""Certificate pages, by sub-domain: downloads, verification, evaluations."""
