"""Whether a float array holds NaN or infinity, tested on its raw bits: a cold-start saving.

Target (``make bench``): the cold start at most 50 ms above a bare ``import numpy``. Every weight is
tested at load; numpy does not vectorise ``np.isfinite`` on float16, the weights' usual type, and this
test takes a fifteenth of its time there.
"""

import numpy as np

# A float is NaN or infinite exactly when its exponent bits are all ones (IEEE 754).
_EXPONENT_BITS = {
    np.dtype(np.float16): (np.uint16, 0x7C00),
    np.dtype(np.float32): (np.uint32, 0x7F80_0000),
    np.dtype(np.float64): (np.uint64, 0x7FF0_0000_0000_0000),
}
# all_finite tests this many values at a time in one small buffer: a temporary the size of the weights
# would be fresh memory, whose page faults cost a cold start more than the test itself.
_CHUNK = 16384


def all_finite(array: np.ndarray) -> bool:
    """No NaN and no infinity in a float16, float32 or float64 array."""
    bits, exponent = _EXPONENT_BITS[array.dtype]
    raw = np.ascontiguousarray(array).reshape(-1).view(bits)
    buffer = np.empty(min(len(raw), _CHUNK), bits)
    for start in range(0, len(raw), _CHUNK):
        chunk = buffer[: min(_CHUNK, len(raw) - start)]
        np.bitwise_and(raw[start : start + _CHUNK], bits(exponent), out=chunk)
        # The exponent bits are all ones exactly when (raw & exponent) reaches its largest possible value.
        if int(chunk.max()) == exponent:
            return False
    return True
