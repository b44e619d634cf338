"""What every callback shares. Callbacks run on hams threads (or, for log
records, on any thread that calls hams); nothing raised in them may reach C."""

from __future__ import annotations

import threading
from typing import Any, List

_tls = threading.local()


def _in_callback() -> bool:
    return bool(getattr(_tls, "depth", 0))


class _CallbackScope:
    def __enter__(self) -> None:
        _tls.depth = getattr(_tls, "depth", 0) + 1

    def __exit__(self, *exc: Any) -> None:
        _tls.depth -= 1


_callback_scope = _CallbackScope()

#: Callback objects that C may call for as long as the process lives (those
#: of handles this package does not own).
_immortal: List[Any] = []
