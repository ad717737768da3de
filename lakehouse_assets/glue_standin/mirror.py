"""A local folder that mirrors S3 prefixes of the endpoint, for Spark that cannot reach S3.

Local PySpark has no `s3://` file system (no PyPI package ships hadoop-aws), so the stand-in
runs a job on `file://<folder>/<bucket>/<key>` and keeps that folder and the endpoint's S3
in step: `pull` before a run brings what others put on S3 (landing files, earlier runs'
tables), `push` after it publishes what the run wrote or deleted. Each object synced either
way is remembered with its ETag and the local file's size and mtime, so both directions
only move what changed since, and a deletion on one side is repeated on the other.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

# Never copied to S3: Spark's staging folders and checksum files (hidden), and development
# secrets a script may create under a local root (glue_scripts/lib/masking.py).
PRIVATE_PARTS = ("_temporary", "_secrets")


def _skipped(relative: str) -> bool:
    return any(p.startswith(".") or p in PRIVATE_PARTS for p in relative.split("/"))


def split_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.strip("/")


class S3Mirror:
    """Args:
    folder: the local folder (`<folder>/<bucket>/<key>`).
    s3: a boto3 S3 client of the endpoint.
    """

    def __init__(self, folder: Path, s3: Any):
        self.folder = folder
        self.s3 = s3
        self._lock = threading.Lock()
        # "bucket/key" -> (ETag on S3, size and mtime_ns of the local file) when last synced
        self._synced: dict[str, tuple[str, int, int]] = {}

    def local_uri(self, uri: str) -> str:
        """`s3://bucket/key` -> `file://<folder>/bucket/key`."""
        bucket, key = split_uri(uri)
        return "file://" + (self.folder / bucket / key).as_posix().rstrip("/")

    def _path(self, bucket: str, key: str) -> Path:
        return self.folder / bucket / key

    def _stat(self, path: Path) -> tuple[int, int]:
        stat = path.stat()
        return stat.st_size, stat.st_mtime_ns

    def _objects(self, bucket: str, prefix: str) -> dict[str, str]:
        found = {}
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""):
            for obj in page.get("Contents", []):
                if not obj["Key"].endswith("/"):
                    found[obj["Key"]] = obj["ETag"]
        return found

    def pull(self, uri: str) -> int:
        """Bring S3's changes under `uri` into the folder; returns the objects moved."""
        bucket, prefix = split_uri(uri)
        moved = 0
        with self._lock:
            remote = self._objects(bucket, prefix)
            for key, etag in remote.items():
                path, name = self._path(bucket, key), f"{bucket}/{key}"
                known = self._synced.get(name)
                if known and known[0] == etag and path.exists():
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                self.s3.download_file(bucket, key, str(path))
                self._synced[name] = (etag, *self._stat(path))
                moved += 1
            start = f"{bucket}/{prefix}/" if prefix else f"{bucket}/"
            for name in [n for n in self._synced if n.startswith(start)]:
                key = name.split("/", 1)[1]
                if key in remote:
                    continue
                # Deleted on S3 since the last sync: delete here too, unless changed here.
                path = self._path(bucket, key)
                if path.exists() and self._stat(path) == self._synced[name][1:]:
                    path.unlink()
                    moved += 1
                self._synced.pop(name)
        return moved

    def push(self, uri: str) -> int:
        """Publish the folder's changes under `uri` to S3; returns the objects moved."""
        bucket, prefix = split_uri(uri)
        base = self._path(bucket, prefix)
        moved = 0
        with self._lock:
            present = set()
            for directory, _, files in os.walk(base):
                for file_name in files:
                    path = Path(directory) / file_name
                    key = path.relative_to(self.folder / bucket).as_posix()
                    if _skipped(path.relative_to(base).as_posix()):
                        continue
                    name = f"{bucket}/{key}"
                    present.add(name)
                    known = self._synced.get(name)
                    stat = self._stat(path)
                    if known and known[1:] == stat:
                        continue
                    with path.open("rb") as body:
                        etag = self.s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"]
                    self._synced[name] = (etag, *stat)
                    moved += 1
            start = f"{bucket}/{prefix}/" if prefix else f"{bucket}/"
            for name in [n for n in self._synced if n.startswith(start) and n not in present]:
                key = name.split("/", 1)[1]
                if not self._path(bucket, key).exists():
                    self.s3.delete_object(Bucket=bucket, Key=key)
                    self._synced.pop(name)
                    moved += 1
        return moved

    def clear(self) -> None:
        """Forget everything (the endpoint was reset): the folder and what was synced."""
        with self._lock:
            self._synced.clear()
            shutil.rmtree(self.folder, ignore_errors=True)
