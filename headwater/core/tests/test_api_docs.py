"""docs/api.md stays true: its `sh` examples run, in order, against a live server, and their output must match
the `json` (a subset: every documented key and value must be there) or `text` block that follows them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from headwater.users.token_services import api_token_create

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"
BASH = shutil.which("bash") or "/bin/bash"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(DOC.read_text(encoding="utf-8"))]


def examples() -> list[tuple[str, tuple[str, str] | None]]:
    """Each `sh` block with the `json`/`text` block right after it, if any."""
    found = blocks()
    pairs = []
    for index, (info, body) in enumerate(found):
        if info != "sh":
            continue
        following = found[index + 1] if index + 1 < len(found) else None
        pairs.append((body, following if following and following[0] in ("json", "text") else None))
    return pairs


def contains(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where `actual` differs from the documented `expected` (dicts: documented keys only; lists: same length)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path or '.'}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += contains(value, actual[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path or '.'}: expected a list of {len(expected)}, got {actual!r}"]
        return [
            p for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for p in contains(e, a, f"{path}[{i}]")
        ]
    return [] if expected == actual else [f"{path or '.'}: documented {expected!r}, got {actual!r}"]


def test_every_example_in_the_api_docs_runs_as_documented(live_server, tenant):
    for tool in ("bash", "curl", "jq"):
        if shutil.which(tool) is None:
            pytest.fail(f"The docs examples need {tool}: install it (apt-get install {tool}).")
    pairs = examples()
    assert len(pairs) >= 10
    _, secret = api_token_create(account=tenant.account, user=tenant.admin, name="docs")
    script = ["set -o pipefail"]
    for index, (body, _) in enumerate(pairs):
        script += [f"echo '@@start {index}'", body, f"echo '@@end {index}' $?"]
    env = {
        **os.environ,
        "API": f"{live_server.url}/api/v1",
        "TOKEN": secret,
        "AUTH": f"Authorization: Bearer {secret}",
        "JSON": "Content-Type: application/json",
    }
    done = subprocess.run(  # noqa: S603 — our own docs, run by our own test
        [BASH, "-c", "\n".join(script)], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    outputs = dict(re.findall(r"@@start (\d+)\n(.*?)@@end \1 0\n", done.stdout, re.DOTALL))
    for index, (body, expected) in enumerate(pairs):
        assert str(index) in outputs, f"example {index} failed:\n{body}\n--- output ---\n{done.stdout}\n{done.stderr}"
        output = outputs[str(index)]
        if expected is None:
            continue
        kind, text = expected
        if kind == "text":
            assert output.strip() == text.strip(), f"example {index}:\n{body}\n--- got ---\n{output}"
        else:
            actual = json.loads(output)
            problems = contains(json.loads(text), actual)
            assert not problems, f"example {index}:\n{body}\n" + "\n".join(problems)


def test_the_comparison_can_fail():
    assert contains({"a": 1}, {"a": 2}) == [".a: documented 1, got 2"]
    assert contains({"a": {"b": 1}}, {"a": {}}) == [".a.b: missing"]
    assert contains([1], [1, 2]) != []
    assert contains({"a": [{"x": 1}]}, {"a": [{"x": 1, "y": 2}], "z": 0}) == []


def test_the_readme_curl_example_works(live_server, tenant):
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## API", 1)[1]
    body = next(m.group(2) for m in FENCE.finditer(section) if m.group(1) == "sh")
    _, secret = api_token_create(account=tenant.account, user=tenant.member, name="readme")
    script = re.sub(r"^TOKEN=\S+", f"TOKEN={secret}", body, flags=re.MULTILINE)
    script = script.replace("http://127.0.0.1:8000", live_server.url)
    done = subprocess.run(  # noqa: S603 — our own README, run by our own test
        [BASH, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    listed, created = [json.loads(line) for line in done.stdout.replace("}{", "}\n{").splitlines()]
    assert listed == {"items": [], "next": None}
    assert created["name"] == "Acme"
    assert created["version"] == 1
