"""Phone photos as evidence: an iPhone's HEIC/HEIF photo becomes a JPEG on the server, so
that every reader (a bureau's old browser, the printed report) can open it.

The conversion turns the picture upright (EXIF orientation) and writes no metadata: the
camera's location and device never reach the store. A picture larger than
``MAX_PIXELS`` is refused before it is decoded (a small file can declare a huge image)."""

from __future__ import annotations

from pathlib import Path

from evaluator.errors import InvalidInput, Problem

HEIF_TYPES = frozenset({"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"})
# the ISO base media "ftyp" brands of HEIF still images and sequences
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
MAX_PIXELS = 80_000_000  # a 108-megapixel phone takes 12000 × 9000 = 108 M: refuse above 80 M
JPEG_QUALITY = 88


def is_heif(head: bytes) -> bool:
    """Whether a file starts like a HEIF image (``....ftyp<brand>``)."""
    return len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def jpeg_name(original: str) -> str:
    """``IMG_0042.HEIC`` → ``IMG_0042.jpg``."""
    stem = Path(original).stem or "photo"
    return f"{stem}.jpg"


def heif_to_jpeg(source: Path, target: Path) -> tuple[int, int]:
    """Convert the HEIF image at ``source`` to a JPEG at ``target``; (width, height).
    Not a HEIF image, a damaged one or one too large: InvalidInput at ``file``."""
    from PIL import Image, ImageOps
    from pillow_heif import register_heif_opener

    register_heif_opener()
    with source.open("rb") as f:
        head = f.read(12)
    if not is_heif(head):
        raise InvalidInput(
            Problem(
                "the file is not a HEIC/HEIF photo",
                "文件不是 HEIC/HEIF 照片",
                path="file",
            )
        )
    try:
        with Image.open(source, formats=["HEIF"]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidInput(
                    Problem(
                        f"the photo is {width} × {height} pixels; at most {MAX_PIXELS:,} are accepted",
                        f"照片为 {width} × {height} 像素，超过 {MAX_PIXELS:,} 像素上限",
                        path="file",
                    )
                )
            upright = ImageOps.exif_transpose(image).convert("RGB")
            upright.save(target, format="JPEG", quality=JPEG_QUALITY, optimize=True)
            return upright.size
    except InvalidInput:
        raise
    except Exception as exc:  # a damaged container or codec stream: say so, never a 500
        raise InvalidInput(
            Problem(
                f"the HEIC photo cannot be read ({type(exc).__name__})",
                "HEIC 照片无法读取（文件可能已损坏）",
                path="file",
            )
        ) from None
