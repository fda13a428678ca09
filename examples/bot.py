"""A tiny command-line bot on frontdesk, written exactly as for OpenAI's API.

    frontdesk serve &                       # in another terminal
    python examples/bot.py "How long should I rest a steak?"

Only the base URL (and the key, when the server sets FRONTDESK_API_KEYS) differ from a bot
written for OpenAI. The thread id header gives the bot the server's memory of the chat.
"""

from __future__ import annotations

import argparse
import os
import sys

from openai import OpenAI


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="+")
    parser.add_argument(
        "--base-url", default=os.environ.get("FRONTDESK_URL", "http://127.0.0.1:7860/v1")
    )
    parser.add_argument("--model", default="frontdesk", help="frontdesk or frontdesk/<plugin>")
    parser.add_argument("--thread", default="example-bot")
    args = parser.parse_args()

    client = OpenAI(base_url=args.base_url, api_key=os.environ.get("FRONTDESK_API_KEY", "none"))
    stream = client.chat.completions.create(
        model=args.model,
        messages=[{"role": "user", "content": " ".join(args.question)}],
        stream=True,
        extra_headers={"X-Frontdesk-Thread": args.thread},
    )
    extra = {}
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            print(chunk.choices[0].delta.content, end="", flush=True)
        if chunk.model_extra and "frontdesk" in chunk.model_extra:
            extra = chunk.model_extra["frontdesk"]
    print()
    route = extra.get("route", {})
    names = ", ".join(p["name"] for p in route.get("plugins", [])) or "coordinator"
    print(f"[{route.get('mode')}: {names}]", file=sys.stderr)
    for c in extra.get("citations", []):
        print(f"  source: {c['plugin']}/{c['source']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
