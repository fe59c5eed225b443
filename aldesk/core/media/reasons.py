"""Decoding errors said for a person: one sentence, never a raw ``OSError: ...`` text.

``MediaError.reason`` stays short (it is shown next to an item in lists); :func:`for_person`
turns it, or any exception a decoder raised, into the sentence a placeholder shows.
"""

from __future__ import annotations

from aldesk.core.errors import AldeskError, MediaError

# Where an exception is a decoding failure: Pillow, libsndfile, the stdlib WAV reader, aldesk's
# media code and the viewers' decode paths (which also stat and open the file).
_DECODER_PACKAGES = ("PIL", "soundfile", "wave")
_DECODER_MODULES = ("aldesk.core.media", "aldesk.gui.viewers")

# Short reasons (MediaError.reason) -> the sentence shown for them.
_SENTENCES = {
    "truncated file": "The file is cut short (truncated).",
    "not an image": "The file is not an image, or not one of the formats aldesk reads.",
    "not an audio file": "The file is not audio, or not one of the formats aldesk reads.",
    "unsupported codec": "The file uses a codec aldesk cannot decode.",
    "corrupt image": "The image file is damaged and cannot be decoded.",
    "corrupt audio file": "The audio file is damaged and cannot be decoded.",
    "permission denied": "The file cannot be read (permission denied).",
    "file not found": "The file is gone: it was moved or deleted after the scan.",
    "empty file (0 bytes)": "The file is empty (0 bytes).",
    "is a folder": "This is a folder, not a file.",
    "no audio frames": "The audio file holds no sound (0 frames).",
}


def for_person(exc: BaseException) -> str:
    """One sentence a person can read for an error raised while decoding a media file."""
    if isinstance(exc, MediaError):
        return _sentence(exc.reason)
    if isinstance(exc, AldeskError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "There is not enough memory to decode this file."
    if isinstance(exc, PermissionError):
        return _SENTENCES["permission denied"]
    if isinstance(exc, FileNotFoundError):
        return _SENTENCES["file not found"]
    if isinstance(exc, IsADirectoryError):
        return _SENTENCES["is a folder"]
    text = str(exc).lower()
    if isinstance(exc, EOFError) or "truncated" in text or "end of file" in text:
        kind = "image " if "image" in text else ""
        return f"The {kind}file is cut short (truncated)."
    if isinstance(exc, OSError | ValueError | SyntaxError):
        return f"The file is damaged and cannot be decoded ({type(exc).__name__})."
    return f"The file cannot be shown ({type(exc).__name__})."


def _sentence(reason: str) -> str:
    if reason in _SENTENCES:
        return _SENTENCES[reason]
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")


def raised_by_decoder(exc: BaseException) -> bool:
    """Whether ``exc`` is a decoder's failure (a MediaError, or raised inside Pillow,
    soundfile or aldesk's media code), as opposed to, say, a bug in training."""
    if isinstance(exc, MediaError):
        return True
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.split(".")[0] in _DECODER_PACKAGES or module.startswith(_DECODER_MODULES):
            return True
        tb = tb.tb_next
    return False
