"""Audio: the clips engines return, assembling programs, mastering and export (the only users of pydub and ffmpeg)."""
