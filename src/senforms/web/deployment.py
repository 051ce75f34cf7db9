"""Where the web app keeps its data and its job queue: one machine, or several sharing them.

The `[web]` table of the school settings file (or SENFORMS_QUEUE) names them:

    [web]
    data = "/srv/senforms"              # the one store every machine uses (default: a private folder)
    queue = "redis://queue.trust.example:6379/0"   # default: a SQLite queue inside the data folder
    job_lease_seconds = 60              # a job whose worker stops answering this long is run again
    network_share = true                # the data folder is on a network share several machines use
    behind_https_proxy = true           # serve sits on 127.0.0.1 behind a reverse proxy that does HTTPS

With no `[web]` table, everything is in one data folder on this computer, as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from huey import Huey, RedisHuey, SqliteHuey

from senforms.config.settings import SETTINGS_TIP, settings_table
from senforms.errors import SenformsError
from senforms.web.datadir import QUEUE

QUEUE_VARIABLE = "SENFORMS_QUEUE"
# Long enough that a busy machine (LibreOffice at full tilt) never misses renewing it, short enough
# that a job on a machine that died starts again elsewhere within a minute or two.
DEFAULT_LEASE_SECONDS = 60
REDIS_SCHEMES = ("redis", "rediss", "unix")


@dataclass(frozen=True)
class Deployment:
    """What this machine's `serve` or `worker` uses. `queue_url` "" is the data folder's own SQLite queue."""

    data_dir: Path | None
    queue_url: str = ""
    lease_seconds: int = DEFAULT_LEASE_SECONDS
    queue_source: str = ""  # where the queue was named, for messages
    network_share: bool = False  # the data folder is on a share other machines use too (datadir.NETWORK_SHARE)
    behind_https_proxy: bool = False  # one reverse proxy that does HTTPS forwards every request (app.create_app)

    @property
    def shared_queue(self) -> bool:
        return bool(self.queue_url)

    @property
    def queue_label(self) -> str:
        """The queue's address without any password in it, to show to people and logs."""
        if not self.queue_url:
            return "the data folder's own queue"
        parts = urlsplit(self.queue_url)
        if parts.scheme == "unix":
            return f"unix://{parts.path}"
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname or 'localhost'}{port}{parts.path}"


def deployment(data_dir: Path | None, settings_path: Path | None, environ: Mapping[str, str] | None = None) -> Deployment:
    """`--data` over `[web] data`; SENFORMS_QUEUE over `[web] queue`."""
    environ = os.environ if environ is None else environ
    table = settings_table(settings_path, "web")
    where = f"{settings_path.name}: [web]" if settings_path else "[web]"
    if data_dir is None and "data" in table:
        configured = table["data"]
        if not isinstance(configured, str) or not configured.strip():
            raise SenformsError(f"{where} data must be the path of the folder the app keeps its data in, such as \"/srv/senforms\"", fix=SETTINGS_TIP)
        data_dir = Path(configured.strip()).expanduser()
        if not data_dir.is_absolute() and settings_path is not None:
            data_dir = settings_path.parent / data_dir
    queue_url, source = environ.get(QUEUE_VARIABLE, "").strip(), QUEUE_VARIABLE
    if not queue_url:
        queue_url, source = table.get("queue", ""), f"{where} queue"
        if not isinstance(queue_url, str):
            raise SenformsError(f"{where} queue must be the address of a Redis server, such as \"redis://queue.school.example:6379/0\"", fix=SETTINGS_TIP)
        queue_url = queue_url.strip()
    if queue_url and urlsplit(queue_url).scheme not in REDIS_SCHEMES:
        raise SenformsError(
            f"{source} is not the address of a Redis server (it should start redis://, rediss:// or unix://)",
            fix=f"correct {source}, or leave it out to keep the queue in the data folder",
        )
    lease = table.get("job_lease_seconds", DEFAULT_LEASE_SECONDS)
    if isinstance(lease, bool) or not isinstance(lease, int) or not 1 <= lease <= 3600:
        raise SenformsError(f"{where} job_lease_seconds must be a whole number of seconds from 1 to 3600", fix=SETTINGS_TIP)
    network_share = table.get("network_share", False)
    if not isinstance(network_share, bool):
        raise SenformsError(f"{where} network_share must be true or false", fix=SETTINGS_TIP)
    behind_https_proxy = table.get("behind_https_proxy", False)
    if not isinstance(behind_https_proxy, bool):
        raise SenformsError(f"{where} behind_https_proxy must be true or false", fix=SETTINGS_TIP)
    return Deployment(data_dir, queue_url, lease, source if queue_url else "", network_share, behind_https_proxy)


def make_huey(root: Path, place: Deployment, *, immediate: bool = False) -> Huey:
    """The queue: Redis when one is named (several machines), else SQLite in the data folder (one machine)."""
    if place.queue_url and not immediate:
        from redis import ConnectionPool

        # Redis keeps the queue; the job rows stay in the data folder's database. Time-outs, so a
        # machine that vanishes from the network is an error within seconds, never a hang.
        pool = ConnectionPool.from_url(place.queue_url, socket_connect_timeout=5, socket_timeout=15, health_check_interval=30)
        return RedisHuey("senforms", connection_pool=pool, results=False)
    # On a network share, the queue's SQLite file keeps the rollback journal too (see datadir.NETWORK_SHARE).
    journal = "delete" if place.network_share else "wal"
    return SqliteHuey("senforms", filename=str(root / QUEUE), immediate=immediate, results=False, journal_mode=journal)


def queue_errors() -> tuple[type[BaseException], ...]:
    """What a queue that cannot be reached raises (redis is imported only when it is used)."""
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis is a dependency
        return (OSError,)
    return (OSError, RedisError)


def unreachable(place: Deployment) -> SenformsError:
    return SenformsError(
        f"the job queue at {place.queue_label} ({place.queue_source}) cannot be reached",
        fix="check that Redis is running there and that this computer may connect to it, then try again",
    )


def check_queue(huey: Huey, place: Deployment) -> None:
    """Before serving: a Redis queue that cannot be reached is a plain message, not a traceback later."""
    if not place.queue_url:
        return
    try:
        huey.storage.conn.ping()
    except queue_errors():
        raise unreachable(place) from None
