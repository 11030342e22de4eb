#!/usr/bin/env python3
"""The folding constants of Sources/CKernels/crc32c.c's VPCLMULQDQ path, derived and checked.

Folding a 16-byte chunk forward by D bytes onto the chunk there: its low 8 bytes are multiplied
(carry-less) by reflect32(x^(8D+31) mod P), its high 8 bytes by reflect32(x^(8D-33) mod P), P the
Castagnoli polynomial. This prints both for every distance the C code uses and checks each on
random messages against the bitwise CRC: replacing the chunk by zeros and XORing the fold into the
chunk D bytes on leaves the CRC unchanged.
"""
import random

REFLECTED = 0x82F63B78
NORMAL = 0x11EDC6F41


def crc(state, data):
    for byte in data:
        state ^= byte
        for _ in range(8):
            state = (state >> 1) ^ (REFLECTED if state & 1 else 0)
    return state


def clmul(a, b):
    product = 0
    while b:
        if b & 1:
            product ^= a
        a <<= 1
        b >>= 1
    return product


def x_power_mod(n):
    r = 1
    for _ in range(n):
        r <<= 1
        if r & (1 << 32):
            r ^= NORMAL
    return r


def reflect32(v):
    return int(f"{v:032b}"[::-1], 2)


def constants(distance):
    return reflect32(x_power_mod(8 * distance + 31)), reflect32(x_power_mod(8 * distance - 33))


def check(distance, low, high, rng):
    for _ in range(8):
        chunk = rng.randbytes(16)
        between = rng.randbytes(distance - 16)
        target = rng.randbytes(16)
        tail = rng.randbytes(rng.randrange(0, 40))
        folded = clmul(int.from_bytes(chunk[:8], "little"), low) ^ clmul(int.from_bytes(chunk[8:], "little"), high)
        landed = (folded ^ int.from_bytes(target, "little")).to_bytes(16, "little")
        if crc(0, chunk + between + target + tail) != crc(0, bytes(16) + between + landed + tail):
            return False
    return True


rng = random.Random(1)
for distance in (16, 32, 48, 64, 128, 192, 256):
    low, high = constants(distance)
    assert check(distance, low, high, rng), distance
    print(f"fold by {distance:3d} bytes: low 0x{low:08x}, high 0x{high:08x}  (checked)")
