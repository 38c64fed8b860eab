"""attnviz: see attention in a sequence-to-sequence model, one decoder step at a time."""

__version__ = "0.1.0"
