"""``documents.IdBits``: the settled documents a first import wrote, one bit per key."""

import random

from lmsimport.stages.documents import IdBits


def test_it_holds_exactly_the_keys_added_wherever_they_fall():
    rng = random.Random(7)
    keys = {rng.randrange(10**6, 10**6 + 50_000) for _ in range(5_000)}
    keys |= {999_990, 10**6 - 1, 2_000_000}  # below the first key added, and far above
    bits = IdBits()
    for pk in [1_020_000, *keys]:
        bits.add(pk)
    keys.add(1_020_000)
    probe = range(999_900, 1_060_000)
    assert {pk for pk in probe if pk in bits} == {pk for pk in probe if pk in keys}
    assert 2_000_000 in bits and 2_000_001 not in bits and 0 not in bits
    assert bits.among([0, 999_990, 999_991, 2_000_000, 10**12]) == {999_990, 2_000_000}


def test_an_empty_one_holds_nothing():
    assert 1 not in IdBits()
