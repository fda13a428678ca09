"""frontdesk: a front desk that routes each question to the right specialist plugin."""

from frontdesk.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
