"""Errors meant for people: one line saying what was wrong, where, and what to do."""

from __future__ import annotations


class FrontdeskError(Exception):
    """Base class; `str(err)` is the one line shown to the user."""

    exit_code = 1
    http_status = 500


class InputError(FrontdeskError):
    """The question, a flag or a file given by the user is not acceptable."""

    exit_code = 2
    http_status = 400


class TooLargeError(InputError):
    """A question or upload over its size limit."""

    http_status = 413


class NotFoundError(FrontdeskError):
    """A plugin, model or thread that does not exist."""

    exit_code = 2
    http_status = 404


class ManifestError(FrontdeskError):
    """A plugin.toml that cannot be used; names the file and the field."""

    exit_code = 2
    http_status = 400

    def __init__(self, path: object, field: str, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.path}: field '{field}': {problem}")


class BackendError(FrontdeskError):
    """A model backend or store that is down, unreachable or failing."""

    exit_code = 3
    http_status = 502


class BackendTimeout(BackendError):
    http_status = 504


class MemoryUnavailable(BackendError):
    """The conversation memory (SQLite file or Postgres) cannot be read or written just now."""

    http_status = 503


class Cancelled(FrontdeskError):
    """The caller stopped the answer (a client disconnected)."""

    exit_code = 130
    http_status = 499


def error_json(message: str, kind: str, code: str) -> bytes:
    """A body in OpenAI's error shape, for the middlewares that answer before the app does."""
    import json

    error = {"message": message, "type": kind, "param": None, "code": code}
    return json.dumps({"error": error}).encode()
