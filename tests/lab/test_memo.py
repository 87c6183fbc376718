"""memo.Recent: large inputs seen lately are answered from memory, and only identical ones."""

from __future__ import annotations

from sitekit.lab.memo import Recent


def recorder(calls: list[str]) -> Recent[str, str]:
    """A Recent over upper(), recording every real call."""

    def upper(text: str) -> str:
        calls.append(text)
        return text.upper()

    return Recent(upper, size=2, min_size=100, tail=10)


def test_same_large_input_is_computed_once() -> None:
    calls: list[str] = []
    upper = recorder(calls)
    text = "a" * 200
    first = upper(text)
    assert upper("".join(["a"] * 200)) is first  # an equal, distinct str: from memory
    assert calls == [text]


def test_same_length_and_tail_but_another_middle_is_computed_again() -> None:
    calls: list[str] = []
    upper = recorder(calls)
    upper("a" * 200)
    assert upper("a" * 50 + "b" + "a" * 149) == "A" * 50 + "B" + "A" * 149
    assert len(calls) == 2


def test_small_inputs_pass_through_and_old_entries_go() -> None:
    calls: list[str] = []
    upper = recorder(calls)
    upper("small")
    upper("small")
    for letter in "xyzx":
        upper(letter * 200)
    assert calls == ["small", "small", "x" * 200, "y" * 200, "z" * 200, "x" * 200]
