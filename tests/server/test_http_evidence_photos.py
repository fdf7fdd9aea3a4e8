"""A phone's HEIC photo over HTTP: converted to an upright JPEG without metadata, the
original's hash kept in the audit event; a file that only claims to be HEIC is 422 and
leaves nothing behind."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import quote

import pillow_heif
from api_fixtures import assert_problem
from PIL import Image

from evaluator.services.evidence import stored_path
from evaluator.store.audit import AuditEvent

pillow_heif.register_heif_opener()


def heic(width: int, height: int, *, orientation: int | None = None) -> bytes:
    """A real HEIC photo: the left half red, the right half blue."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    exif[0x010F] = "Apple"  # the camera's make: must not survive the conversion
    out = io.BytesIO()
    image.save(out, format="HEIF", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


async def test_a_heic_photo_is_stored_as_an_upright_jpeg_without_metadata(api, world, evidence_dir):
    data = heic(64, 32, orientation=6)  # stored sideways, shown turned 90° clockwise
    station = world.county.stations["ST01"]
    r = await api.post(
        f"/rounds/{world.county.round_a.id}/evidence?station={station.id}",
        token=world.tokens["agency_a"],
        content=data,
        headers={"Content-Type": "image/heic", "X-Filename": "IMG_0042.HEIC"},
    )
    assert r.status_code == 201, r.text
    record = r.json()
    assert (record["media_type"], record["original_name"]) == ("image/jpeg", "IMG_0042.jpg")
    assert files_under(evidence_dir) == [stored_path(record["sha256"])]  # no temporary left
    with Image.open(stored_path(record["sha256"])) as jpeg:
        assert jpeg.format == "JPEG"
        assert jpeg.size == (32, 64)  # turned upright
        assert not jpeg.getexif()  # no camera, no location
        top, bottom = jpeg.getpixel((16, 4)), jpeg.getpixel((16, 60))
    # turned clockwise: the left (red) half is now on top, the blue half below
    assert top[0] > 150 and top[2] < 100 and bottom[2] > 150 and bottom[0] < 100

    event = await AuditEvent.filter(action="evidence.attach").order_by("-seq").first()
    after = event.after if isinstance(event.after, dict) else json.loads(event.after)
    assert after["converted_from"]["media_type"] == "image/heic"
    assert after["converted_from"]["size"] == len(data)
    assert after["sha256"] == record["sha256"]


async def test_a_file_that_only_claims_to_be_heic_is_422_and_nothing_is_stored(
    api, world, evidence_dir
):
    attached = await AuditEvent.filter(action="evidence.attach").count()
    for body, says in (
        (b"%PDF-1.4 not a photo", "not a HEIC"),
        (heic(16, 16)[:40], "cannot be read"),  # a truncated photo
    ):
        r = await api.post(
            f"/rounds/{world.county.round_a.id}/evidence",
            token=world.tokens["agency_a"],
            content=body,
            headers={"Content-Type": "image/heic", "X-Filename": "x.heic"},
        )
        assert_problem(r, 422)
        assert says in r.text and "HEIC" in r.text
    assert files_under(evidence_dir) == []
    assert await AuditEvent.filter(action="evidence.attach").count() == attached


async def test_a_phone_video_and_old_office_documents_are_accepted(api, world, evidence_dir):
    for media_type, name, body in (
        ("video/mp4", "活动.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64),
        ("video/quicktime", "IMG_0001.MOV", b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 64),
        ("application/msword", "制度.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
        (
            "application/vnd.ms-excel",
            "台账.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 64,
        ),
    ):
        r = await api.post(
            f"/rounds/{world.county.round_a.id}/evidence",
            token=world.tokens["evaluator"],
            content=body,
            headers={"Content-Type": media_type, "X-Filename": quote(name)},
        )
        assert r.status_code == 201, (media_type, r.text)
        assert (r.json()["media_type"], r.json()["original_name"]) == (media_type, name)
