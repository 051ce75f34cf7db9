"""The evidence child process: everything that parses untrusted bytes, in its own Python process.

`bundle.evidence.intake` starts it (`python -c "…main()" TASK SOURCE DEST`) with a time limit, kills
its whole process group on timeout (pdf/soffice's helpers), and reads one line of JSON back: only
codes travel, never text from the file. Keep this module self-contained: it is all the child imports.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Any

#: Address-space cap for the child (bytes). A 60-page 300-dpi scan needed ~800 MB in pypdf.
CHILD_MEMORY_LIMIT = 3 * 1024**3

#: Photos are drawn on A4 inside this margin (points), leaving the edges for the bundle stamps.
A4 = (595.2756, 841.8898)
IMAGE_MARGIN = 42.0
#: Photos are downsampled to at most this many pixels per inch at their drawn size.
IMAGE_MAX_DPI = 200

# Link and widget actions that only move around or open a web page are kept; everything else
# (Launch, JavaScript, SubmitForm, ImportData, GoToR, GoToE, Rendition, Sound, Movie…) goes.
_SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named"})
_SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")
# Annotation types that carry files, media or scripts of their own.
_BLOCKED_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
)




class _Refusal(Exception):
    """Raised inside the child with a code from `_REFUSAL_TEXT`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def main() -> None:
    """Entry point of the quarantine process: `task source dest` on argv, JSON on stdout."""
    task, source, dest = sys.argv[1:4]
    _limit_resources()
    from pypdf.errors import LimitReachedError

    try:
        if task == "pdf":
            answer = _clean_pdf(Path(source), Path(dest))
        elif task == "image":
            answer = _image_to_pdf(Path(source), Path(dest))
        else:
            raise _Refusal("unsupported")
    except _Refusal as refusal:
        answer = {"status": refusal.code}
    except LimitReachedError:
        answer = {"status": "limit"}
    except MemoryError:
        answer = {"status": "memory"}
    except Exception:  # noqa: BLE001 - any parser failure on untrusted input means "damaged"
        answer = {"status": "damaged"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def _limit_resources() -> None:
    try:
        import resource
    except ImportError:  # Windows: the timeout still applies
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = CHILD_MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(hard, CHILD_MEMORY_LIMIT)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        pass


class _Capture(logging.Handler):
    """Collects pypdf's log records: each one means pypdf guessed or repaired something."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _clean_pdf(source: Path | io.BytesIO, dest: Path) -> dict[str, Any]:
    """Copy a PDF's pages into a fresh file without active content or metadata.

    Runs in the quarantine child; call it directly only on files you already trust.
    Raises _Refusal("password" | "damaged") or a pypdf error for the caller to classify.
    """
    from pypdf import PasswordType, PdfReader, PdfWriter
    from pypdf.errors import PdfReadWarning
    from pypdf.generic import DictionaryObject

    notes: list[str] = []
    capture = _Capture()
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(capture)
    propagate, pypdf_log.propagate = pypdf_log.propagate, False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PdfReadWarning)
            reader = PdfReader(source, strict=False)
            if reader.is_encrypted:
                if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                    raise _Refusal("password")
                notes.append("restrictions_removed")  # opened with the empty user password
            pages = list(reader.pages)
            notes.extend(_what_goes(reader, pages))
            # The page tree's own count must match the pages found: else pages are missing.
            tree = reader.root_object["/Pages"]
            if not isinstance(tree, DictionaryObject):
                raise _Refusal("damaged")
            declared = tree["/Count"]
            if not pages or declared != len(pages):
                raise _Refusal("damaged")
            for page in pages:
                contents = page.get_contents()  # decoding finds truncated or bomb streams
                if contents is not None:
                    contents.get_data()
                strip_page_active_content(page)
            resolve_named_destinations(reader)
            draw_check_boxes(reader)
            values = _form_values(reader)
            # The form (and any XFA in it) must not be copied: its fields can carry scripts.
            form = reader.root_object.pop("/AcroForm", None)
            writer = PdfWriter()
            writer.append(reader, import_outline=False)
        if capture.count or any(issubclass(w.category, PdfReadWarning) for w in caught):
            raise _Refusal("damaged")
    finally:
        pypdf_log.removeHandler(capture)
        pypdf_log.propagate = propagate
    if values and form is not None:
        writer = _with_form_values_drawn(reader, form, values, notes) or writer

    give_pages_their_own_contents(writer)
    for page in writer.pages:
        strip_page_active_content(page)  # again: append re-adds what it thinks pages need
        if page.rotation % 360:
            page.transfer_rotation_to_content()
    for key in ("/AcroForm", "/Names", "/OpenAction", "/AA", "/Metadata", "/Outlines"):
        writer.root_object.pop(key, None)
    writer.metadata = None  # no /Info at all: not the sender's, not ours
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    with open(dest, "wb") as handle:
        writer.write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    return {"status": "ok", "pages": len(writer.pages), "notes": notes}


def _what_goes(reader: Any, pages: list[Any]) -> list[str]:
    """Note codes for what intake is about to remove, for the person making the pack to hear of."""
    root = reader.root_object
    names = root.get("/Names")
    names = names.get_object() if names is not None else {}
    annotations = [a.get_object() for page in pages for a in (page.get("/Annots") or ())]
    annotations = [a for a in annotations if hasattr(a, "get")]
    found = []
    if "/EmbeddedFiles" in names or any(a.get("/Subtype") == "/FileAttachment" for a in annotations):
        found.append("attachments_removed")
    unsafe = [a for a in annotations if a.get("/A") is not None and not _safe_action(a["/A"].get_object())]
    if (
        "/JavaScript" in names
        or _opens_with_action(root)
        or "/AA" in root
        or any("/AA" in page for page in pages)
        or any("/AA" in a for a in annotations)
        or unsafe
    ):
        found.append("scripts_removed")
    if "/Metadata" in root or any("/Metadata" in page for page in pages):
        found.append("metadata_removed")
    return found


def _opens_with_action(root: Any) -> bool:
    # pdfTeX's /OpenAction is often just a view ([page /Fit]): only an unsafe action is a script.
    action = root.get("/OpenAction")
    if action is None:
        return False
    action = action.get_object()
    return hasattr(action, "get") and not _safe_action(action)


def _form_values(reader: Any) -> dict[str, str]:
    """The filled-in text fields of a form ({} for none, or a form pypdf cannot read)."""
    try:
        fields = reader.get_form_text_fields() or {}
    except Exception:  # a damaged form: its values are lost, the pages are not
        return {}
    return {name: value for name, value in fields.items() if isinstance(value, str) and value.strip()}


def _with_form_values_drawn(reader: Any, form: Any, values: dict[str, str], notes: list[str]) -> Any:
    """A fresh writer of `reader`'s pages with each filled-in value drawn onto its page, or None.

    The LA's reader would not draw a value that has no appearance of its own (`/NeedAppearances`),
    and the form itself goes (its fields can carry scripts, and any XFA): so the values are drawn
    in a copy that still has the form, and that copy is taken in again without it, like any file.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader.root_object[NameObject("/AcroForm")] = form
            drawn = PdfWriter(clone_from=reader)
            for page in drawn.pages:
                drawn.update_page_form_field_values(page, values, auto_regenerate=False, flatten=True)
            buffer = io.BytesIO()
            drawn.write(buffer)
            again = PdfReader(buffer)
            again.root_object.pop("/AcroForm", None)
            writer = PdfWriter()
            writer.append(again, import_outline=False)
            return writer
    except Exception:  # pypdf cannot draw this form: keep the pages, say the values may not show
        notes.append("form_values_not_drawn")
        return None
    finally:
        reader.root_object.pop("/AcroForm", None)


def resolve_named_destinations(reader: Any) -> int:
    """Point every link to a named destination at its page instead; returns how many.

    Named destinations live in the catalogue's name tree, which is not copied (it can carry
    scripts), and pypdf drops a link whose target it cannot find when merging: so a pdfTeX
    report lost every cross-reference (GeoTopo: 480 links). Links to names that do not exist
    are left for the merge to drop.
    """
    from pypdf.generic import ArrayObject, NameObject

    try:
        named = reader.named_destinations
    except Exception:  # a damaged name tree: the links go, the pages stay
        return 0
    if not named:
        return 0
    resolved = 0
    for page in reader.pages:
        for ref in page.get("/Annots") or ():
            annot = ref.get_object()
            if not hasattr(annot, "get") or annot.get("/Subtype") != "/Link":
                continue
            holder, key = annot, "/Dest"
            action = annot.get("/A")
            if "/Dest" not in annot and action is not None and action.get_object().get("/S") == "/GoTo":
                holder, key = action.get_object(), "/D"
            target = holder.get(key)
            if target is None or isinstance(target, ArrayObject):
                continue  # no destination, or already a page
            name = str(target)
            dest = named.get(name) or named.get(name.lstrip("/"))
            if dest is None:
                continue
            holder[NameObject(key)] = dest.dest_array
            resolved += 1
    return resolved


_PUSH_BUTTON = 1 << 16  # /Ff bit 17: a button, not a box with a state


def draw_check_boxes(reader: Any) -> int:
    """Give every check box and radio button an appearance for the state it is in; returns how many.

    The form goes at intake, so a box whose look was left for the viewer to draw
    (`/NeedAppearances`, 010-pdflatex-forms) would vanish, ticked or not: draw its background,
    border and, when on, its tick (ZapfDingbats, as viewers do).
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject

    drawn = 0
    for page in reader.pages:
        for ref in page.get("/Annots") or ():
            widget = ref.get_object()
            if not hasattr(widget, "get") or widget.get("/Subtype") != "/Widget":
                continue
            field = widget.get("/Parent").get_object() if widget.get("/Parent") is not None else widget
            kind = widget.get("/FT") or field.get("/FT")
            flags = int(widget.get("/Ff") or field.get("/Ff") or 0)
            if kind != "/Btn" or flags & _PUSH_BUTTON or widget.get("/Rect") is None:
                continue
            state = str(widget.get("/AS") or field.get("/V") or "/Off")
            normal = (widget.get("/AP") or {}).get("/N")
            normal = normal.get_object() if normal is not None else None
            existing = normal.get(state) if isinstance(normal, dict) else None
            if existing is not None and hasattr(existing.get_object(), "get_data"):
                continue  # it has its own look for this state
            x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
            width, height = abs(x1 - x0), abs(y1 - y0)
            look = widget.get("/MK") or {}
            ops = []
            for key, operator in (("/BG", "rg"), ("/BC", "RG")):
                colour = look.get(key)
                if colour is not None and len(colour) == 3:
                    ops.append(" ".join(f"{float(c):.3f}" for c in colour) + f" {operator}")
            ops.append(f"0 0 {width:.3f} {height:.3f} re " + ("B" if look.get("/BG") is not None and look.get("/BC") is not None else "f" if look.get("/BG") is not None else "S" if look.get("/BC") is not None else "n"))
            if state != "/Off":
                size = max(1.0, min(width, height) * 0.8)
                ops.append(f"0 g BT /ZaDb {size:.3f} Tf {width * 0.15:.3f} {height * 0.2:.3f} Td (4) Tj ET")
            stream = DecodedStreamObject()
            stream.set_data(("q " + " ".join(ops) + " Q").encode("ascii"))
            font = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Font"),
                    NameObject("/Subtype"): NameObject("/Type1"),
                    NameObject("/BaseFont"): NameObject("/ZapfDingbats"),
                }
            )
            stream.update(
                {
                    NameObject("/Type"): NameObject("/XObject"),
                    NameObject("/Subtype"): NameObject("/Form"),
                    NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(width), FloatObject(height)]),
                    NameObject("/Resources"): DictionaryObject(
                        {NameObject("/Font"): DictionaryObject({NameObject("/ZaDb"): font})}
                    ),
                }
            )
            widget[NameObject("/AP")] = DictionaryObject(
                {NameObject("/N"): DictionaryObject({NameObject(state): stream})}
            )
            widget[NameObject("/AS")] = NameObject(state)
            drawn += 1
    return drawn


def give_pages_their_own_contents(writer: Any) -> None:
    """Give every page a content stream of its own.

    Pages may share one stream (a file whose pages were copied from one page, or rotated views of
    one drawing). pypdf changes a page's stream in place when it bakes in a rotation or merges a
    stamp, so on a shared stream each page would get every page's rotation (turning the text off
    the page) and every page's number. Copies cost little: compression dedupes what is left equal.
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, IndirectObject, NameObject

    seen: set[int] = set()
    for page in writer.pages:
        raw = page.get("/Contents")
        if raw is None:
            continue
        refs = [raw.idnum] if isinstance(raw, IndirectObject) else []
        resolved = raw.get_object()
        if isinstance(resolved, ArrayObject):
            refs += [item.idnum for item in resolved if isinstance(item, IndirectObject)]
        if seen.isdisjoint(refs):
            seen.update(refs)
            continue
        contents = page.get_contents()
        own = DecodedStreamObject()
        own.set_data(contents.get_data() if contents is not None else b"")
        page[NameObject("/Contents")] = writer._add_object(own)


def strip_page_active_content(page: Any) -> None:
    """Remove page actions, metadata and risky annotations from one pypdf page, in place.

    Kept: links that go to a page, a named view or an http(s)/mailto address. Removed: page
    `/AA`, page and image XMP, file-attachment and media annotations, and annotations whose
    action launches, runs script, submits or imports data. Form widgets keep their look but
    lose their actions and their link to the form (whose scripts would otherwise be copied).
    """
    from pypdf.generic import ArrayObject

    for key in ("/AA", "/Metadata", "/PieceInfo"):
        page.pop(key, None)
    _strip_resource_metadata(page.get("/Resources"), depth=0)
    annots = page.get("/Annots")
    if annots is None:
        return
    kept = ArrayObject()
    for ref in annots.get_object():
        annot = ref.get_object()
        if not hasattr(annot, "get"):
            continue
        subtype = annot.get("/Subtype")
        if subtype in _BLOCKED_ANNOTATIONS:
            continue
        annot.pop("/AA", None)
        if subtype == "/Widget":
            annot.pop("/Parent", None)
        action = annot.get("/A")
        if action is not None:
            action = action.get_object()
            if _safe_action(action):
                action.pop("/Next", None)  # a safe first action can chain an unsafe one
            elif subtype == "/Link":
                continue
            else:
                annot.pop("/A", None)
        kept.append(ref)
    if kept:
        page[_name("/Annots")] = kept
    else:
        page.pop("/Annots", None)


def _safe_action(action: Any) -> bool:
    kind = action.get("/S")
    if kind not in _SAFE_ACTIONS:
        return False
    if kind == "/URI":
        uri = str(action.get("/URI", "")).strip().lower()
        return uri.startswith(_SAFE_URI_SCHEMES)
    return True


def _strip_resource_metadata(resources: Any, depth: int) -> None:
    # Image and form XObjects can carry their own XMP (camera, author, location).
    if resources is None or depth > 8:
        return
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return
    for ref in xobjects.get_object().values():
        xobject = ref.get_object()
        if hasattr(xobject, "pop"):
            xobject.pop("/Metadata", None)
            xobject.pop("/PieceInfo", None)
            if xobject.get("/Subtype") == "/Form":
                _strip_resource_metadata(xobject.get("/Resources"), depth + 1)


def _name(value: str) -> Any:
    from pypdf.generic import NameObject

    return NameObject(value)


def _image_to_pdf(source: Path, dest: Path) -> dict[str, Any]:
    """Draw a JPEG/PNG upright on one A4 page (portrait or landscape to match), without EXIF.

    Runs in the quarantine child. The pixels are copied into a new image, so no EXIF, GPS,
    XMP or comments from the original can reach the PDF.
    """
    from PIL import Image, ImageOps
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    try:
        opened = Image.open(source)
    except Image.DecompressionBombError:
        raise _Refusal("image_too_large") from None
    with opened:
        if opened.format not in ("JPEG", "PNG"):
            raise _Refusal("unsupported")
        original_format = opened.format
        if original_format == "JPEG":
            # Let libjpeg decode at a reduced scale (never below what the page can show):
            # far less memory and time for 50-megapixel photos.
            longest = math.ceil((A4[1] - 2 * IMAGE_MARGIN) / 72 * IMAGE_MAX_DPI)
            opened.draft("RGB", (longest, longest))
        upright = ImageOps.exif_transpose(opened)
        pixels = _flatten(upright)

    width, height = pixels.size
    page = (A4[1], A4[0]) if width > height else A4
    box_w, box_h = page[0] - 2 * IMAGE_MARGIN, page[1] - 2 * IMAGE_MARGIN
    scale = min(box_w / width, box_h / height)
    draw_w, draw_h = width * scale, height * scale
    max_w = max(1, round(draw_w / 72 * IMAGE_MAX_DPI))
    if width > max_w:
        pixels = pixels.resize((max_w, max(1, round(height * max_w / width))), Image.Resampling.LANCZOS)
    # A brand-new image has no .info: nothing from the original file's metadata survives.
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    encoded = io.BytesIO()
    if original_format == "JPEG":
        clean.save(encoded, "JPEG", quality=85, optimize=True)
    else:
        clean.save(encoded, "PNG", optimize=False)
    encoded.seek(0)

    drawn = io.BytesIO()
    pdf = canvas.Canvas(drawn, pagesize=page, invariant=True, pageCompression=1)
    pdf.drawImage(
        ImageReader(encoded),
        (page[0] - draw_w) / 2,
        (page[1] - draw_h) / 2,
        width=draw_w,
        height=draw_h,
    )
    pdf.showPage()
    pdf.save()
    drawn.seek(0)
    # Same exit path as any PDF, so metadata handling lives in one place.
    return _clean_pdf(drawn, dest)


def _flatten(image: Any) -> Any:
    """RGB or greyscale, with transparency composited onto white."""
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("L", "RGB"):
        return image
    return image.convert("RGB")

