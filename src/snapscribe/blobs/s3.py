"""Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph, …) through boto3.

The bucket and a key prefix come from ``[blobs] url = "s3://bucket/prefix"``; the endpoint
and credentials from the environment, as for any AWS tool: ``AWS_ENDPOINT_URL`` (MinIO and
other non-AWS stores), ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``.
Addressing is path-style, which every S3-compatible server accepts.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from .base import BlobError, BlobStore, BlobTooLarge, check_key

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class S3Blobs(BlobStore):
    def __init__(self, bucket: str, prefix: str = "", *, client=None, timeout_s: float = 30.0):
        if not bucket:
            raise BlobError("blobs.url: s3:// needs a bucket name")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            check_key(self.prefix)
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.client = client if client is not None else make_client(timeout_s)

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 30.0) -> S3Blobs:
        parsed = urlparse(url)
        return cls(parsed.netloc, parsed.path, timeout_s=timeout_s)

    def _full(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, what: str, fn, **kw):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(Bucket=self.bucket, **kw)
        except ClientError:
            raise
        except BotoCoreError as exc:
            raise BlobError(f"{what} {self.url}: {exc}") from exc

    def put(self, key: str, data: bytes) -> None:
        self._call("put", self.client.put_object, Key=self._full(key), Body=data)

    def put_file(self, key: str, path: str) -> None:
        with open(path, "rb") as fh:
            self._call("put", self.client.put_object, Key=self._full(key), Body=fh)
        os.unlink(path)

    def get(self, key: str, max_bytes: int | None = None) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            resp = self._call("get", self.client.get_object, Key=self._full(key))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise BlobError(f"get {key} from {self.url}: {exc}") from exc
        body = resp["Body"]
        try:
            if max_bytes is not None and int(resp.get("ContentLength") or 0) > max_bytes:
                raise BlobTooLarge(f"{key} is over the cap of {max_bytes:,} bytes")
            data = body.read() if max_bytes is None else body.read(max_bytes + 1)
        except BotoCoreError as exc:
            raise BlobError(f"get {key} from {self.url}: {exc}") from exc
        finally:
            body.close()
        if max_bytes is not None and len(data) > max_bytes:
            raise BlobTooLarge(f"{key} is over the cap of {max_bytes:,} bytes")
        return data

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._call("head", self.client.head_object, Key=self._full(key))
            return True
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise BlobError(f"head {key} in {self.url}: {exc}") from exc

    def delete(self, key: str) -> None:
        self._call("delete", self.client.delete_object, Key=self._full(key))

    def keys(self, prefix: str) -> list[str]:
        full = self._full(prefix.rstrip("/")) + ("/" if prefix.endswith("/") else "")
        out: list[str] = []
        token = None
        while True:
            kw = {"Prefix": full, **({"ContinuationToken": token} if token else {})}
            resp = self._call("list", self.client.list_objects_v2, **kw)
            skip = len(self.prefix) + 1 if self.prefix else 0
            out += [obj["Key"][skip:] for obj in resp.get("Contents", [])]
            if not resp.get("IsTruncated"):
                return sorted(out)
            token = resp.get("NextContinuationToken")

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._full(key)}"

    def key_of(self, uri: str) -> str | None:
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or parsed.netloc != self.bucket:
            return None
        path = parsed.path.lstrip("/")
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return None
            path = path[len(self.prefix) + 1 :]
        try:
            return check_key(path)
        except ValueError:
            return None

    def move(self, src: str, dest: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._call(
                "copy",
                self.client.copy_object,
                Key=self._full(dest),
                CopySource={"Bucket": self.bucket, "Key": self._full(src)},
            )
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise BlobError(f"move {src} in {self.url}: {exc}") from exc
        self.delete(src)
        return True

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (a fresh MinIO); other errors are raised."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise BlobError(f"bucket {self.bucket}: {exc}") from exc
            self.client.create_bucket(Bucket=self.bucket)

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise BlobError(f"bucket {self.bucket} is not reachable: {exc}") from exc


def make_client(timeout_s: float = 30.0):
    """An S3 client configured from the environment (endpoint, credentials, region)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise BlobError("s3:// blobs need boto3: pip install 'snapscribe[s3]'") from exc
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        config=Config(
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": "path"},
        ),
    )
