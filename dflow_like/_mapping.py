"""A plain dict-backed mutable mapping: the base of OPIO, OPIOSign and template fields."""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, MutableMapping, ValuesView
from typing import Any

__all__ = ["DictMapping"]


class DictMapping(MutableMapping[str, Any]):
    """dflow code indexes, iterates, copies and ``dict()``s these; subclasses add meaning."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._data: dict[str, Any] = {}
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __contains__(self, key: object) -> bool:  # not via __getitem__ and a raised KeyError
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:  # likewise
        return self._data.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # The dict's own views: the generic ones call back into Python per item, and the
    # compiler reads every template's fields for each of thousands of steps.
    def keys(self) -> KeysView[str]:
        return self._data.keys()

    def items(self) -> ItemsView[str, Any]:
        return self._data.items()

    def values(self) -> ValuesView[Any]:
        return self._data.values()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"
