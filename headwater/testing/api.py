"""A test client for the REST API: sends a real bearer token made by the same service the profile page uses."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from headwater.core.models import Account
from headwater.users.models import User
from headwater.users.token_services import api_token_create


class ApiClient:
    """`api.get("/companies")` → the response; `.json()` on it parses the body."""

    base = "/api/v1"

    def __init__(self, *, account: Account, user: User, token: str | None = None) -> None:
        self.account = account
        self.user = user
        if token is None:
            _, token = api_token_create(account=account, user=user, name="tests")
        self.token = token
        self.client = Client()

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def url(self, path: str) -> str:
        return path if path.startswith(self.base) else f"{self.base}/{path.lstrip('/')}"

    def get(self, path: str, params: dict[str, Any] | None = None, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(self.url(path), params or {}, headers=self._headers(headers))

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        sender = getattr(self.client, method)
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return sender(self.url(path), data=data, content_type="application/json", headers=self._headers(headers))

    def post(self, path: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return self._send("post", path, {} if body is None else body, headers)

    def patch(self, path: str, body: Any, *, headers: dict[str, str] | None = None) -> Any:
        return self._send("patch", path, body, headers)

    def delete(self, path: str, params: dict[str, Any] | None = None, *, headers: dict[str, str] | None = None) -> Any:
        url = self.url(path)
        if params:
            url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.delete(url, headers=self._headers(headers))


def api_for(tenant: Any, role: str = "admin") -> ApiClient:
    return ApiClient(account=tenant.account, user=getattr(tenant, role))
