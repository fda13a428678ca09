"""frontdesk: a front desk that routes each question to the right specialist plugin."""

__version__ = "0.1.0"
