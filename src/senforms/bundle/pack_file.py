"""The pack description `<stem>-pack.json` (format `senforms-pack/1`): written by `build_pack`,
read by `send-pack`. Whose pack it is (the UPN), whether it is encrypted, and the file names; no
pupil details beyond the UPN. It also records the LA's profile as it was when the pack was made,
for people reading it, but `send-pack` never trusts that copy: the file is editable, so the LA's
address and allowed domains come from the register and the school's settings file instead."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from senforms.errors import DeliveryError
from senforms.outputs.atomic import write_atomic

PACK_FORMAT = "senforms-pack/1"
DESCRIPTION_SUFFIX = "-pack.json"
REMAKE = "make the pack again with `senforms bundle`"


@dataclass(frozen=True)
class PackDescription:
    """A pack as its description states it. `files` maps a key ("bundle", "cover_pdf"…) to a file name."""

    upn: str
    made_on: dt.date
    encrypted: bool
    files: dict[str, str]
    parts: tuple[str, ...]
    la_name: str
    la_team: str
    la_email: str
    allowed_domains: tuple[str, ...]
    size_limit_mb: float
    school_name: str
    senco_name: str
    senco_email: str

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PACK_FORMAT,
            "upn": self.upn,
            "made_on": self.made_on.isoformat(),
            "encrypted": self.encrypted,
            "files": dict(self.files),
            "parts": list(self.parts),
            "local_authority": {
                "name": self.la_name,
                "send_team_name": self.la_team,
                "send_team_email": self.la_email,
                "allowed_domains": list(self.allowed_domains),
                "email_size_limit_mb": self.size_limit_mb,
            },
            "school": {"name": self.school_name, "senco_name": self.senco_name, "senco_email": self.senco_email},
        }

    @classmethod
    def from_json(cls, data: Any) -> PackDescription:
        """Raises ValueError, KeyError, TypeError or AttributeError for anything not `senforms-pack/1`."""
        if not isinstance(data, dict) or data.get("format") != PACK_FORMAT:
            raise ValueError("not a senforms pack description")
        la, school = data["local_authority"], data["school"]
        files, parts = data["files"], data.get("parts") or []
        if not isinstance(files, dict) or not isinstance(parts, list) or not all(isinstance(v, str) and v for v in files.values()):
            raise TypeError("files must name files")
        if not isinstance(data["encrypted"], bool) or not isinstance(data["upn"], str):
            raise TypeError("encrypted must be true or false, upn a string")
        limit = float(la.get("email_size_limit_mb") or 10)
        if not math.isfinite(limit) or limit <= 0:
            raise ValueError("the email size limit must be a positive number")
        return cls(
            upn=data["upn"],
            made_on=dt.date.fromisoformat(data["made_on"]),
            encrypted=data["encrypted"],
            files={str(k): str(v) for k, v in files.items()},
            parts=tuple(str(p) for p in parts),
            la_name=str(la.get("name") or ""),
            la_team=str(la.get("send_team_name") or la.get("name") or ""),
            la_email=str(la.get("send_team_email") or ""),
            allowed_domains=tuple(str(d) for d in la.get("allowed_domains") or []),
            size_limit_mb=limit,
            school_name=str(school.get("name") or ""),
            senco_name=str(school.get("senco_name") or ""),
            senco_email=str(school.get("senco_email") or ""),
        )


def write_description(path: Path, description: PackDescription) -> Path:
    text = json.dumps(description.to_json(), indent=2, ensure_ascii=False) + "\n"
    return write_atomic(path, text.encode("utf-8"), overwrite=True)


def read_description(folder: Path) -> tuple[Path, PackDescription]:
    """The one `*-pack.json` in `folder` and what it says (DeliveryError if none, several, or unreadable)."""
    found = sorted(folder.glob(f"*{DESCRIPTION_SUFFIX}"))
    if not found:
        raise DeliveryError(f"{folder} holds no pack description (*{DESCRIPTION_SUFFIX})", fix="make the pack with `senforms bundle`, giving this folder as its output folder")
    if len(found) > 1:
        raise DeliveryError(f"{folder} holds {len(found)} pack descriptions; send-pack needs a folder with one pack", fix="make each pupil's pack in its own folder")
    path = found[0]
    try:
        return path, PackDescription.from_json(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise DeliveryError(f"{path} cannot be read ({exc.strerror or exc})", fix=REMAKE) from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DeliveryError(f"{path.name} is not a pack description senforms can read", fix=REMAKE) from None
