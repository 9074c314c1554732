#!/usr/bin/python3
"""make_test_images.py - writes the classify test's inputs into DIR:
a 320x240 RGB PNG, a 200x300 grayscale PNG (landscape and portrait, so the
resize is exercised both ways), and not_an_image.png (text with a .png name).
The PNG encoder is the few lines below (zlib + CRC chunks), so the test needs
nothing beyond the standard library.

    make_test_images.py DIR
"""
import math
import os
import struct
import sys
import zlib


def png(path, w, h, channels, pixel):
    raw = bytearray()
    for y in range(h):
        raw.append(0)  # filter: none
        for x in range(w):
            raw.extend(pixel(x, y))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    color_type = {1: 0, 3: 2}[channels]
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(bytes(raw), 9)))
        f.write(chunk(b"IEND", b""))


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    # smooth colour gradients with a ring: plenty of structure at all scales
    png(os.path.join(d, "rings.png"), 320, 240, 3, lambda x, y: (
        x * 255 // 319, y * 255 // 239,
        int(127.5 + 127.5 * math.sin(math.hypot(x - 160, y - 120) / 6.0))))
    # a grayscale checkerboard: stb_image expands it to RGB
    png(os.path.join(d, "checks.png"), 200, 300, 1, lambda x, y: (
        (230 if (x // 25 + y // 25) % 2 else 20) + (x * y) % 7,))
    with open(os.path.join(d, "not_an_image.png"), "w") as f:
        f.write("this is text, not a PNG\n")


if __name__ == "__main__":
    main()
