"""Audio: assembling programs, mastering and export (the only users of pydub and ffmpeg)."""
