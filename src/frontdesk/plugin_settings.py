"""A plugin's own settings (plugin.toml) over the global ones: model options and escalation.

`temperature`, `max_tokens` and `api_key_env` shape the options its model is built with;
`escalate` decides whether its unsupported answers go to the coordinator. Unset, the
FRONTDESK_* setting applies. The API key is read from the named variable at call time (a key
is a secret, not a setting) and a missing one is an error naming the variable.
"""

from __future__ import annotations

import os

from frontdesk.errors import BackendError
from frontdesk.models import ModelOptions
from frontdesk.plugins import Plugin
from frontdesk.settings import Settings


def api_key(plugin: Plugin | None) -> str | None:
    if plugin is None or not plugin.api_key_env:
        return None
    key = os.environ.get(plugin.api_key_env)
    if not key:
        raise BackendError(
            f"plugin '{plugin.name}': the environment variable {plugin.api_key_env} "
            f"(api_key_env in {plugin.manifest_path}) is not set; export it with the API key "
            "of its model host"
        )
    return key


def model_options(
    settings: Settings, plugin: Plugin | None = None, max_tokens: int | None = None
) -> ModelOptions:
    """Options for a model call: a request's `max_tokens` never exceeds the plugin's limit
    (or FRONTDESK_MAX_ANSWER_TOKENS)."""
    limit = (plugin.max_tokens if plugin else None) or settings.max_answer_tokens
    temperature = plugin.temperature if plugin and plugin.temperature is not None else 0.0
    return ModelOptions(
        max_tokens=min(max_tokens, limit) if max_tokens else limit,
        context_window=settings.context_window,
        timeout=settings.model_timeout,
        temperature=temperature,
        api_key=api_key(plugin),
        pool_cooldown=settings.pool_cooldown,
        pool_cooldown_max=settings.pool_cooldown_max,
    )


def escalates(plugin: Plugin, default: bool) -> bool:
    """Whether this plugin's unsupported answers may go to the coordinator."""
    return default if plugin.escalate is None else plugin.escalate
