"""A page's query string with one parameter changed, for the many links that differ only in it.

A table's sortable headers, a source's drill-down and the trend's switch each link to the page's own URL with one
parameter set: written as `query = request.GET.copy(); query[param] = value; query.urlencode()`, every link encodes
every parameter of the page again (a Statistics page wrote about 30 such links a request, each re-encoding the
period, the dates and the tables' orders). `QueryWith` encodes the parameters before and after `param` once and
writes each link as those two texts around the one pair that changes: the same text as Django's, byte for byte (the
parameters keep their order; a parameter the query lacks goes last, as `query[param] = value` appends it).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import QueryDict


class QueryWith:
    """`query` with `param` set to one value, as `QueryDict.urlencode` writes it (without a leading "?")."""

    def __init__(self, query: QueryDict, param: str) -> None:
        self._encoding = query.encoding
        self._param = param.encode(self._encoding)
        keys = list(query)
        at = keys.index(param) if param in query else len(keys)
        before, after = (
            QueryDict(mutable=True, encoding=self._encoding),
            QueryDict(mutable=True, encoding=self._encoding),
        )
        for key in keys[:at]:
            before.setlist(key, list(query.getlist(key)))
        for key in keys[at + 1 :]:
            after.setlist(key, list(query.getlist(key)))
        self._before, self._after = before.urlencode(), after.urlencode()

    def __call__(self, value: str) -> str:
        # The pair as `QueryDict.urlencode` encodes each of its pairs (the query's encoding, then `urlencode`).
        pair = urlencode({self._param: str(value).encode(self._encoding)})
        if self._before:
            pair = f"{self._before}&{pair}"
        return f"{pair}&{self._after}" if self._after else pair
