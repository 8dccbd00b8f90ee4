"""A page's query string with one parameter changed, for the many links that differ only in it.

A table's sortable headers, a source's drill-down and the trend's switch each link to the page's own URL with one
parameter set: written as `query = request.GET.copy(); query[param] = value; query.urlencode()`, every link encodes
every parameter of the page again (a Statistics page wrote about 30 such links a request, each re-encoding the
period, the dates and the tables' orders). `QueryWith` encodes the parameters before and after `param` once and
writes each link as those two texts around the one pair that changes: the same text as Django's, byte for byte (the
parameters keep their order; a parameter the query lacks goes last, as `query[param] = value` appends it).
"""

from __future__ import annotations

from urllib.parse import quote_plus

from django.http import QueryDict


class QueryWith:
    """`query` with `param` set to one value, as `QueryDict.urlencode` writes it (without a leading "?")."""

    def __init__(self, query: QueryDict, param: str) -> None:
        self._encoding = query.encoding
        self._key = self._pair(param, "")  # "name=", the name encoded
        pairs = [self._pair(key, value) for key, values in query.lists() if key != param for value in values]
        keys = list(query)
        # The pairs of the parameters before `param` (all of them when the query lacks it: it then goes last).
        at = sum(len(query.getlist(key)) for key in keys[: keys.index(param)]) if param in query else len(pairs)
        self._before, self._after = "&".join(pairs[:at]), "&".join(pairs[at:])

    def _pair(self, key: str, value: object) -> str:
        # What `QueryDict.urlencode` makes of each pair (`urlencode({key: value})` of the two encoded, which is
        # `quote_plus` of each with nothing safe), without a dict and `urlencode`'s checks per pair.
        encoding = self._encoding
        return f"{quote_plus(key.encode(encoding), '')}={quote_plus(str(value).encode(encoding), '')}"

    def __call__(self, value: str) -> str:
        pair = self._key + quote_plus(str(value).encode(self._encoding), "")
        if self._before:
            pair = f"{self._before}&{pair}"
        return f"{pair}&{self._after}" if self._after else pair
