"""Remember what a pure function made of the last few large inputs.

ansible sends every host of a task the same module with all its module_utils: ~250 KB
of stdin, in 200,000-byte base64 chunks with the module's arguments last. Decoding and
parsing it again for each host was a tenth of the lab's CPU. A large input is looked
up by its length and tail, then confirmed by comparing it whole: that comparison is a
memcmp, twenty times cheaper than decoding, where hashing the input would cost half.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

Data = TypeVar("Data", str, bytes)
Result = TypeVar("Result")


class Recent(Generic[Data, Result]):
    """`function(data)`, kept for the last `size` inputs of at least `min_size` items."""

    def __init__(self, function: Callable[[Data], Result], size: int = 8,
                 min_size: int = 16 * 1024, tail: int = 1024) -> None:
        """Wrap `function`; smaller inputs are passed straight through."""
        self._function: Callable[[Data], Result] = function
        self._size = size
        self._min_size = min_size
        self._tail = tail
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[int, Data], tuple[Data, Result]] = OrderedDict()

    def __call__(self, data: Data) -> Result:
        """Return function(data), from memory when the same data was seen lately."""
        if len(data) < self._min_size:
            return self._function(data)
        key = (len(data), data[-self._tail :])
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] == data:
            return entry[1]
        result = self._function(data)
        with self._lock:
            self._entries[key] = (data, result)
            self._entries.move_to_end(key)
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return result
