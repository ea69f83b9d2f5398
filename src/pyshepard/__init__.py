"""pyshepard: research-data platform wire-compatible with shepard 5.4.0, plus a model registry."""

__version__ = "0.1.0"
SHEPARD_COMPAT_VERSION = "5.4.0"
