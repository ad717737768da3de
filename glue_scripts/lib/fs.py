"""One small file-system API for the storage root, on `file://` and `s3://` alike.

Spark moves the data; this module only handles the small files that make a write atomic
(the state files of commits) and the listing and clean-up of snapshot folders.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from urllib.parse import urlparse


class StorageError(RuntimeError):
    """The storage root cannot be read or written."""


def normalize_root(root: str) -> str:
    """Turn a root given as a path or URI into a URI without a trailing slash.

    A `file://` URI carries the path as is, not percent-encoded: Spark (Hadoop's `Path`)
    reads `file:///x/a%20b` as a folder literally named `a%20b`, so `Path.as_uri()` would
    send Spark and this module to another folder than the one given (`a b`). Normalizing a
    normalized root gives it back unchanged.
    """
    if root.startswith(("s3://", "s3a://")):
        return root.replace("s3a://", "s3://", 1).rstrip("/")
    path = local_path(root) if root.startswith("file://") else Path(root).expanduser()
    return "file://" + path.resolve().as_posix()


def join(uri: str, *parts: str) -> str:
    return "/".join([uri.rstrip("/"), *(p.strip("/") for p in parts)])


def spark_path(uri: str) -> str:
    """The path Spark should be given for a URI (Glue reads `s3://` natively)."""
    return uri


def arrow_filesystem(uri: str):
    """pyarrow's file system of a URI and the path on it."""
    import pyarrow.fs as pafs

    if uri.startswith("file://"):
        # Not from_uri: a normalized file:// URI is not percent-encoded (see normalize_root).
        return pafs.LocalFileSystem(), str(local_path(uri))
    return pafs.FileSystem.from_uri(uri)


def local_path(uri: str) -> Path:
    if not uri.startswith("file://"):
        raise StorageError(f"{uri} is not a local file:// URI")
    # Not urlparse: `#`, `?` and `%` are ordinary characters of the path (see normalize_root).
    return Path(uri.removeprefix("file://"))


class FileSystem(ABC):
    @abstractmethod
    def read_text(self, uri: str) -> str | None:
        """The file's text, or None when it does not exist."""

    @abstractmethod
    def create_exclusive(self, uri: str, text: str) -> bool:
        """Create a file only if it does not exist yet; False when another writer won."""

    @abstractmethod
    def list_children(self, uri: str) -> list[str]:
        """Names of the direct children of a folder (empty when it does not exist)."""

    @abstractmethod
    def delete_tree(self, uri: str) -> None:
        """Delete a folder and everything below it."""

    @abstractmethod
    def delete_file(self, uri: str) -> None: ...

    @abstractmethod
    def read_head(self, uri: str, size: int = 65536) -> bytes:
        """The first bytes of a file (enough for a CSV header)."""

    @abstractmethod
    def exists(self, uri: str) -> bool: ...

    @abstractmethod
    def list_files(self, uri: str) -> list[tuple[str, int, str]]:
        """Every file below a folder as (relative path, size, content tag), sorted by path.

        The content tag changes whenever the bytes change: a SHA-256 locally, the ETag on S3.
        """


class LocalFileSystem(FileSystem):
    def read_text(self, uri: str) -> str | None:
        path = local_path(uri)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def create_exclusive(self, uri: str, text: str) -> bool:
        path = local_path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then hard-link into place: link() fails if the name exists, so the
        # file appears complete or not at all, and only one of two racing writers wins.
        # A random name: two threads of one process may publish the very same text object.
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(text, encoding="utf-8")
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)

    def list_children(self, uri: str) -> list[str]:
        path = local_path(uri)
        if not path.is_dir():
            return []
        return sorted(p.name for p in path.iterdir())

    def delete_tree(self, uri: str) -> None:
        shutil.rmtree(local_path(uri), ignore_errors=True)

    def delete_file(self, uri: str) -> None:
        local_path(uri).unlink(missing_ok=True)

    def read_head(self, uri: str, size: int = 65536) -> bytes:
        with local_path(uri).open("rb") as handle:
            return handle.read(size)

    def exists(self, uri: str) -> bool:
        return local_path(uri).exists()

    def list_files(self, uri: str) -> list[tuple[str, int, str]]:
        base = local_path(uri)
        if not base.is_dir():
            return []
        files = sorted(p for p in base.rglob("*") if p.is_file())
        return [(p.relative_to(base).as_posix(), p.stat().st_size, _sha256(p)) for p in files]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class S3FileSystem(FileSystem):
    def __init__(self, client=None):
        if client is None:
            import boto3  # Glue ships boto3; imported lazily so local runs never need AWS.

            client = boto3.client("s3")
        self._s3 = client

    @staticmethod
    def _split(uri: str) -> tuple[str, str]:
        parsed = urlparse(uri)
        return parsed.netloc, parsed.path.lstrip("/")

    def read_text(self, uri: str) -> str | None:
        bucket, key = self._split(uri)
        try:
            return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except self._s3.exceptions.NoSuchKey:
            return None

    def create_exclusive(self, uri: str, text: str) -> bool:
        from botocore.exceptions import ParamValidationError

        bucket, key = self._split(uri)
        try:
            # S3 conditional writes: the PUT fails if the key exists, like O_EXCL.
            self._s3.put_object(Bucket=bucket, Key=key, Body=text.encode(), IfNoneMatch="*")
            return True
        except ParamValidationError as err:
            # boto3 before 1.35 (Glue 5.0 ships one) does not know conditional writes, and
            # a plain PUT would let two writers overwrite each other's commit.
            raise StorageError(
                f"cannot commit {uri}: this boto3 predates S3 conditional writes "
                "(IfNoneMatch); install boto3>=1.35 (`lakehouse deploy` adds it to the Glue "
                "job's --additional-python-modules)"
            ) from err
        except self._s3.exceptions.ClientError as err:
            # 412 PreconditionFailed: the key exists. 409 ConditionalRequestConflict: another
            # conditional write to the key is in flight. Either way another writer won.
            code = err.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "409"):
                return False
            raise

    def list_children(self, uri: str) -> list[str]:
        bucket, key = self._split(uri)
        prefix = key.rstrip("/") + "/"
        names: set[str] = set()
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.add(common["Prefix"][len(prefix) :].rstrip("/"))
            for obj in page.get("Contents", []):
                names.add(obj["Key"][len(prefix) :])
        return sorted(n for n in names if n)

    def delete_tree(self, uri: str) -> None:
        bucket, key = self._split(uri)
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=key.rstrip("/") + "/"):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                self._s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})

    def delete_file(self, uri: str) -> None:
        bucket, key = self._split(uri)
        self._s3.delete_object(Bucket=bucket, Key=key)

    def read_head(self, uri: str, size: int = 65536) -> bytes:
        bucket, key = self._split(uri)
        response = self._s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{size - 1}")
        return response["Body"].read()

    def exists(self, uri: str) -> bool:
        bucket, key = self._split(uri)
        page = self._s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return bool(page.get("KeyCount"))

    def list_files(self, uri: str) -> list[tuple[str, int, str]]:
        bucket, key = self._split(uri)
        prefix = key.rstrip("/") + "/"
        files = []
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                files.append((obj["Key"][len(prefix) :], obj["Size"], obj["ETag"].strip('"')))
        return sorted(files)


def filesystem_for(uri: str) -> FileSystem:
    if uri.startswith("file://"):
        return LocalFileSystem()
    if uri.startswith("s3://"):
        return S3FileSystem()
    raise StorageError(
        f"unsupported storage URI {uri!r}: use a local folder, a file:// URI or s3://bucket/prefix"
    )
