"""examples/deploy (docs/deploy.md's reference layout for Docker Compose) stays well-formed:
the YAML parses, the replicas point at the services that exist, every setting is one that
frontdesk reads and the guide names, and nginx balances over exactly the replicas."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import yaml

from frontdesk.settings import Settings

from .conftest import REPO

DEPLOY = REPO / "examples" / "deploy"


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


def _replicas(services: dict[str, Any]) -> dict[str, Any]:
    return {
        name: svc
        for name, svc in services.items()
        if svc.get("command", [])[:2] == ["frontdesk", "serve"]
    }


def test_compose_file_names_a_complete_layout() -> None:
    services = _compose()["services"]
    replicas = _replicas(services)
    assert len(replicas) >= 2, sorted(services)
    assert {"postgres", "chroma", "lb"} <= set(services)
    pg_env = services["postgres"]["environment"]
    for name, svc in replicas.items():
        env = svc["environment"]
        memory = urlparse(env["FRONTDESK_MEMORY_URL"])
        assert memory.scheme == "postgresql" and memory.hostname == "postgres", name
        assert (memory.username, memory.password, memory.path.lstrip("/")) == (
            pg_env["POSTGRES_USER"],
            pg_env["POSTGRES_PASSWORD"],
            pg_env["POSTGRES_DB"],
        )
        chroma = urlparse(env["FRONTDESK_CHROMA_URL"])
        assert chroma.hostname == "chroma" and str(chroma.port) in services["chroma"]["command"]
        assert "healthz" in " ".join(svc["healthcheck"]["test"])
        assert set(svc["depends_on"]) <= set(services)
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), volume
    build = replicas[next(iter(replicas))]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()
    assert set(services["lb"]["depends_on"]) == set(replicas)


def test_every_setting_exists_and_is_documented() -> None:
    guide = (REPO / "docs" / "deploy.md").read_text() + (REPO / "README.md").read_text()
    seen = set()
    for svc in _compose()["services"].values():
        for key in svc.get("environment", {}):
            if key.startswith("FRONTDESK_"):
                field = key.removeprefix("FRONTDESK_").lower()
                assert field in Settings.model_fields, f"{key} is not a frontdesk setting"
                assert f"`{key}`" in guide, f"{key} is not documented"
                seen.add(key)
    assert {"FRONTDESK_MEMORY_URL", "FRONTDESK_CHROMA_URL", "FRONTDESK_API_KEYS"} <= seen


def test_nginx_balances_over_exactly_the_replicas() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    assert conf.count("{") == conf.count("}")
    upstream = re.search(r"upstream (\w+) \{(.*?)\}", conf, re.S)
    assert upstream is not None
    servers = set(re.findall(r"server (\w+):8000", upstream.group(2)))
    assert servers == set(_replicas(_compose()["services"]))
    assert "ip_hash;" in upstream.group(2)  # the web chat's queue lives in one replica
    assert f"proxy_pass http://{upstream.group(1)};" in conf
    assert "proxy_buffering off;" in conf  # answers stream (SSE)
