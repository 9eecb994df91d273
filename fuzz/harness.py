"""What every fuzz target shares: running one target under atheris with libFuzzer's flags.

`python -m fuzz.extract -runs=2000` runs a bounded session (the test suite does
this); with no -runs/-max_total_time it fuzzes until stopped.  A target is a
function `one_input(data: bytes)` that raises only on a real defect: an
unexpected exception, or a broken property (AssertionError).
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def run(one_input: Callable[[bytes], None]) -> None:
    import atheris

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
