"""charmbox_ops.abccache: the ABC caches a Python component's snapshot holds
are made current before the snapshot, and every answer stays the same."""

import abc
import collections.abc
import importlib
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "guest-sdk", "python"))
abccache = importlib.import_module("charmbox_ops.abccache")


class Shape(abc.ABC):
    @abc.abstractmethod
    def area(self): ...


class Square(Shape):
    def area(self):
        return 1


class Unrelated(abc.ABC):
    pass


class Later:
    """Registered as a ``Shape`` after ``Shape`` said no to it."""


def negative(cls):
    _, _, neg, version = abc._get_dump(cls)
    return {ref() for ref in neg}, version


def test_a_stale_negative_cache_is_current_after_refresh():
    assert not isinstance("text", Shape)
    assert str in negative(Shape)[0]
    Unrelated.register(type("Fresh", (), {}))  # any registration makes it stale
    assert negative(Shape)[1] < abc.get_cache_token()
    assert abccache.refresh() > 0
    cached, version = negative(Shape)
    assert version == abc.get_cache_token()
    assert str in cached and int in cached  # the stale entry and a common type


def test_answers_are_the_same_before_and_after():
    assert not issubclass(Later, Shape)
    Shape.register(Later)
    checks = [
        (t, c)
        for t in (str, int, dict, list, Square, Later, bytes, type(None))
        for c in (Shape, Unrelated, collections.abc.Mapping, collections.abc.Sequence,
                  collections.abc.Hashable, collections.abc.Iterable)
    ]
    before = [issubclass(t, c) for t, c in checks]
    abccache.refresh()
    assert [issubclass(t, c) for t, c in checks] == before
    assert issubclass(Later, Shape) and isinstance(Later(), Shape)
    assert isinstance({}, collections.abc.Mapping) and not isinstance("x", collections.abc.Mapping)


def test_a_hook_that_raises_still_raises_for_the_event():
    class Picky(abc.ABC):
        @classmethod
        def __subclasshook__(cls, sub):
            if sub is str:
                raise RuntimeError("no strings")
            return NotImplemented

    with pytest.raises(RuntimeError):
        isinstance("x", Picky)
    abccache.refresh()  # asks Picky about str again and carries on
    with pytest.raises(RuntimeError, match="no strings"):
        isinstance("x", Picky)
    assert not isinstance(1, Picky)
