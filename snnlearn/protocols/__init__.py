"""Protocols: the paradigms experiments share, each written once (the choice task, ...)."""
